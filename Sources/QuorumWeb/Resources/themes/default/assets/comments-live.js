// One live stream for the whole browser, shared by its tabs (a SharedWorker: every tab of the site talks to the
// same one). Each tab says which article's thread it shows while it is visible and on screen ("watch"), when it
// stops showing it ("unwatch") and when it goes away ("bye", on pagehide). The worker keeps one EventSource for
// all watched articles (none when nothing is watched) and passes each event to the tabs watching its article.
"use strict";
var ports = new Map();   // MessagePort -> slug it watches, or null
var source = null;       // the EventSource, if one is open
var following = "";      // the sorted, comma-separated slugs the open stream follows
var timer = null;
var MAXIMUM = 20;        // the server follows at most this many articles per stream

function watched() {
  var slugs = [];
  ports.forEach(function (slug) { if (slug && slugs.indexOf(slug) < 0) slugs.push(slug); });
  return slugs.sort().slice(0, MAXIMUM).join(",");
}

function schedule(delay) {
  if (timer) clearTimeout(timer);
  timer = setTimeout(function () { timer = null; reconcile(); }, delay);
}

function reconcile() {
  var wanted = watched();
  if (source && wanted === following) return;
  if (source) { source.close(); source = null; }
  following = wanted;
  if (!wanted) return;
  var stream = new EventSource("/comments/live?articles=" + encodeURIComponent(wanted));
  source = stream;
  stream.addEventListener("comment", function (event) {
    var data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    ports.forEach(function (slug, port) { if (slug === data.slug) port.postMessage(data); });
  });
  stream.onerror = function () {
    // The browser reconnects by itself unless the server refused the stream (too many open from here): then
    // try again later rather than never.
    if (stream.readyState === 2 && source === stream) { source = null; following = ""; schedule(30000); }
  };
}

self.onconnect = function (event) {
  var port = event.ports[0];
  ports.set(port, null);
  port.onmessage = function (message) {
    var data = message.data || {};
    if (data.type === "watch" && typeof data.slug === "string") ports.set(port, data.slug);
    else if (data.type === "unwatch") ports.set(port, null);
    else if (data.type === "bye") ports.delete(port);
    else if (data.type === "state") {
      // What the worker holds, for a page (or a test) that asks.
      port.postMessage({ type: "state", following: following, open: !!source, tabs: ports.size });
      return;
    }
    // A tab going away may be the last one, and the worker may end with it: let go at once. Otherwise a short
    // pause lets a tab that switches articles (or a burst of tabs) change the stream once.
    if (data.type === "bye") reconcile(); else schedule(50);
  };
  // Where the browser tells of a tab that is gone without a goodbye (closed, crashed), forget it too.
  port.addEventListener("close", function () { ports.delete(port); schedule(50); });
  port.start();
};

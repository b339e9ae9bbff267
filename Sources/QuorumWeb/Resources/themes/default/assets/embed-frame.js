// Inside the embed's frame: tells the host page how tall the page is, whenever that changes, so the frame fits
// its content. Only the host sites Quorum allows (data-quorum-origins on <body>) are told; the host's embed.js
// in turn believes only messages from this origin and this frame.
(function () {
  "use strict";
  if (window.parent === window) { return; }
  var origins = [];
  var last = -1;

  function tell() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) { return; }
    last = height;
    origins.forEach(function (origin) {
      try { window.parent.postMessage({ type: "quorum:height", height: height }, origin); } catch (e) {}
    });
  }

  function start() {
    origins = (document.body.getAttribute("data-quorum-origins") || "").split(" ").filter(Boolean);
    tell();
    if (window.ResizeObserver) { new ResizeObserver(tell).observe(document.documentElement); }
    window.addEventListener("load", tell);
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();

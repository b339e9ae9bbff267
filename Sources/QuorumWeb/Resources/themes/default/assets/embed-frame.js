// Inside the embed's frame: tells the host page how tall the page is, whenever that changes, so the frame fits
// its content. Only the host sites Quorum allows (data-quorum-origins on <body>) are told; the host's embed.js
// in turn believes only messages from this origin and this frame.
//
// Signing in inside the frame (docs/embedding.md, "Signing in inside the frame"): the emailed code works in the
// frame where the browser keeps the frame's partitioned cookies. Where it keeps none, the frame asks for storage
// access on the reader's click; where that is missing or refused, the reader signs in in a window on Quorum's
// own site, which hands this frame a one-time ticket by postMessage (origin and window checked on both sides).
// Without script the sign-in page's link opens that window as a plain new tab.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", fn); } else { fn(); }
  }

  // The sign-in window (a top-level page of Quorum's own site): hand the frame that opened it its ticket.
  if (window.parent === window) {
    ready(function () {
      var holder = document.querySelector("[data-quorum-ticket]");
      if (!holder || !window.opener) { return; }
      try {
        window.opener.postMessage({ type: "quorum:signed-in", ticket: holder.getAttribute("data-quorum-ticket") }, location.origin);
      } catch (e) { return; }
      setTimeout(function () { window.close(); }, 500);
    });
    return;
  }

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

  function nonce() {
    var bytes = new Uint8Array(18);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // Whether this frame keeps a cookie at all (a partitioned one, as the frame's own cookies are).
  function keepsCookies() {
    var probe = "quorum_probe=" + nonce();
    var attributes = "; path=/; SameSite=None; Secure; Partitioned";
    document.cookie = probe + attributes + "; max-age=60";
    var kept = document.cookie.indexOf(probe) >= 0;
    document.cookie = "quorum_probe=" + attributes + "; max-age=0";
    return kept;
  }

  function frameSignIn() {
    var box = document.querySelector("[data-quorum-frame-signin]");
    if (!box) { return; }
    var link = box.querySelector("a[data-quorum-popup]");
    var next = document.querySelector("form input[name=next]");
    var csrf = document.querySelector("form input[name=csrf]");
    var secret = nonce();
    var popup = null;

    function openWindow() {
      var url = link.getAttribute("href") + "?next=" + encodeURIComponent(next ? next.value : "/") + "&nonce=" + secret;
      popup = window.open(url, "quorum-signin", "popup,width=520,height=720");
      return !!popup;
    }

    link.addEventListener("click", function (event) {
      if (openWindow()) { event.preventDefault(); }
    });

    var kept = keepsCookies();
    box.setAttribute("data-quorum-cookies", kept ? "kept" : "dropped");
    var access = box.querySelector("[data-quorum-storage-access]");
    if (!kept && access && document.hasStorageAccess && document.requestStorageAccess) {
      document.hasStorageAccess().then(function (has) {
        if (has) { return; }
        access.hidden = false;
        access.querySelector("button").addEventListener("click", function () {
          document.requestStorageAccess().then(function () {
            location.reload();
          }, function () {
            // Refused: the sign-in window (a pop-up blocker may stop it; the link stays for a second click).
            access.hidden = true;
            openWindow();
          });
        });
      }, function () {});
    }

    window.addEventListener("message", function (event) {
      if (event.origin !== location.origin || !popup || event.source !== popup) { return; }
      var data = event.data;
      if (!data || data.type !== "quorum:signed-in" || typeof data.ticket !== "string") { return; }
      var form = document.createElement("form");
      form.method = "post";
      form.action = "/embed/signin/ticket";
      [["csrf", csrf ? csrf.value : ""], ["ticket", data.ticket], ["nonce", secret]].forEach(function (pair) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = pair[0];
        input.value = pair[1];
        form.appendChild(input);
      });
      document.body.appendChild(form);
      form.submit();
    });
  }

  ready(function () {
    origins = (document.body.getAttribute("data-quorum-origins") || "").split(" ").filter(Boolean);
    tell();
    if (window.ResizeObserver) { new ResizeObserver(tell).observe(document.documentElement); }
    window.addEventListener("load", tell);
    frameSignIn();
  });
})();

// Quorum's comments on another site. The host page adds
//   <div id="quorum-comments"></div>
//   <script src="https://QUORUM/embed.js" data-url="https://news.example/story" data-title="The story" async></script>
// and this script puts the thread for data-url in an iframe there (data-url defaults to the page's own
// address). The frame tells its height by postMessage; only messages from the Quorum origin, from that frame,
// are believed. Optional: data-sso="TOKEN" (a JWT the host signed for its signed-in reader, docs/embedding.md).
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) { return; }
  var quorum = new URL(script.src).origin;
  var holder = document.getElementById(script.getAttribute("data-target") || "quorum-comments");
  if (!holder) { return; }
  var page = script.getAttribute("data-url") || (location.origin + location.pathname);
  var title = script.getAttribute("data-title") || document.title;
  var src = quorum + "/embed?url=" + encodeURIComponent(page) + "&title=" + encodeURIComponent(title);
  var sso = script.getAttribute("data-sso");
  if (sso) { src += "&sso=" + encodeURIComponent(sso); }

  var frame = document.createElement("iframe");
  frame.src = src;
  frame.title = script.getAttribute("data-frame-title") || "Comments";
  frame.className = "quorum-comments-frame";
  frame.setAttribute("scrolling", "no");
  frame.width = "100%";
  frame.height = "400";
  frame.frameBorder = "0";
  holder.appendChild(frame);

  window.addEventListener("message", function (event) {
    if (event.origin !== quorum || event.source !== frame.contentWindow) { return; }
    var data = event.data;
    if (!data || data.type !== "quorum:height" || typeof data.height !== "number") { return; }
    var height = Math.max(100, Math.min(100000, Math.ceil(data.height)));
    frame.height = String(height);
    holder.setAttribute("data-quorum-height", String(height));
  });
})();

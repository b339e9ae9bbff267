// Fills every <a data-quorum-count="PAGE ADDRESS"> on a host page with that page's published comment count.
// Include it from the Quorum site: <script src="https://QUORUM/count.js" async></script>. Addresses are
// asked for 200 at a time; the answer is readable only on sites the Quorum admin allows.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) { return; }
  var base = new URL(script.src).origin;
  var one = script.getAttribute("data-one") || "1 comment";
  var many = script.getAttribute("data-many") || "{n} comments";

  function fill(links, counts) {
    links.forEach(function (link) {
      var n = counts[link.getAttribute("data-quorum-count")];
      if (typeof n !== "number") { return; }
      link.textContent = n === 1 ? one : many.replace("{n}", String(n));
      link.setAttribute("data-quorum-counted", String(n));
    });
  }

  function run() {
    var links = Array.prototype.slice.call(document.querySelectorAll("a[data-quorum-count]"));
    var urls = [];
    links.forEach(function (link) {
      var url = link.getAttribute("data-quorum-count");
      if (url && urls.indexOf(url) < 0) { urls.push(url); }
    });
    for (var i = 0; i < urls.length; i += 200) {
      var query = urls.slice(i, i + 200).map(function (u) { return "url=" + encodeURIComponent(u); }).join("&");
      fetch(base + "/api/v1/counts?" + query, { credentials: "omit" })
        .then(function (response) { return response.ok ? response.json() : { counts: {} }; })
        .then(function (body) { fill(links, body.counts || {}); })
        .catch(function () {});
    }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", run); } else { run(); }
})();

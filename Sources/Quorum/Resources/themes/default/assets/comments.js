// Comments without reloading: new comments appear as peers publish them (Server-Sent Events), and
// "Recommend" works in place. Everything here is an enhancement: without it, every link and form still works.
(function () {
  "use strict";
  var thread = document.getElementById("thread");
  if (!thread) return;
  var slug = thread.getAttribute("data-slug");
  var token = null;

  function csrf() {
    if (token) return Promise.resolve(token);
    return fetch("/api/v1/session", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (body) { token = body.csrfToken; return token; });
  }

  function refresh() {
    var current = document.getElementById("thread");
    var sort = current.getAttribute("data-sort") || "oldest";
    fetch("/article/" + encodeURIComponent(slug) + "/comments?fragment=1&sort=" + encodeURIComponent(sort), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#thread");
        if (fresh) { current.replaceWith(fresh); }
      });
  }

  if (window.EventSource) {
    var source = new EventSource("/article/" + encodeURIComponent(slug) + "/comments/live");
    source.addEventListener("comment", refresh);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-action=recommend]");
    if (!link) return;
    event.preventDefault();
    csrf().then(function (t) {
      return fetch("/api/v1/comments/" + link.getAttribute("data-id") + "/recommend", {
        method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": t, "Content-Type": "application/json" }, body: "{}"
      });
    }).then(function (r) {
      if (r.status === 401) { window.location.href = link.href; return null; }
      return r.ok ? r.json() : null;
    }).then(function (body) {
      if (!body) return;
      var count = link.querySelector(".recommends");
      if (count) count.textContent = body.recommends;
    }).catch(function () { window.location.href = link.href; });
  });
})();

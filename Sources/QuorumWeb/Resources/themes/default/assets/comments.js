// Comments without reloading: new comments appear as peers publish them (Server-Sent Events), and
// "Recommend" works in place. Everything here is an enhancement: without it, every link and form still works.
(function () {
  "use strict";
  var thread = document.getElementById("thread");
  if (!thread) return;
  var slug = thread.getAttribute("data-slug");
  var token = null;
  // Inside the embed's frame the thread's own pages are under /embed (the frame's links stay in the frame).
  var framed = document.body.classList.contains("embedded") ? "/embed" : "";

  function csrf() {
    if (token) return Promise.resolve(token);
    return fetch("/api/v1/session", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (body) { token = body.csrfToken; return token; });
  }

  function refresh() {
    var current = document.getElementById("thread");
    var sort = current.getAttribute("data-sort") || "oldest";
    fetch(framed + "/article/" + encodeURIComponent(slug) + "/comments?fragment=1&sort=" + encodeURIComponent(sort), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#thread");
        if (fresh) { current.replaceWith(fresh); }
      });
  }

  // Live updates cost the browser one connection at most: a SharedWorker (comments-live.js) holds one stream for
  // all the site's tabs. This page asks for its article only while it is visible and its thread is on screen,
  // and lets go on pagehide. Without SharedWorker, the page holds its own stream under the same conditions.
  (function () {
    var holder = thread.parentNode; // stays when the thread inside it is replaced
    var onScreen = !window.IntersectionObserver, watching = false, port = null, own = null;
    if (window.SharedWorker) {
      try {
        port = new SharedWorker("/assets/comments-live.js", { name: "quorum-live" }).port;
        port.onmessage = function (event) {
          if (event.data && event.data.type === "state") { window.__quorumLive = event.data; return; }
          if (event.data && event.data.slug === slug) refresh();
        };
        window.__quorumLiveState = function () { port.postMessage({ type: "state" }); };
        port.start();
      } catch (e) { port = null; }
    }
    function update() {
      var wanted = onScreen && document.visibilityState === "visible";
      if (wanted === watching) return;
      watching = wanted;
      if (port) { port.postMessage({ type: wanted ? "watch" : "unwatch", slug: slug }); return; }
      if (own) { own.close(); own = null; }
      if (wanted && window.EventSource) {
        own = new EventSource("/comments/live?articles=" + encodeURIComponent(slug));
        own.addEventListener("comment", refresh);
      }
    }
    if (window.IntersectionObserver) {
      new IntersectionObserver(function (entries) {
        onScreen = entries[entries.length - 1].isIntersecting;
        update();
      }).observe(holder);
    }
    document.addEventListener("visibilitychange", update);
    window.addEventListener("pagehide", function () {
      watching = false;
      if (port) port.postMessage({ type: "bye" });
      if (own) { own.close(); own = null; }
    });
    window.addEventListener("pageshow", function (event) { if (event.persisted) update(); });
    update();
  })();

  // The whole flow inline: write, review three, rate your own, without leaving the article. Every text from the
  // server goes in with textContent, never as markup.
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function api(method, path, body) {
    return csrf().then(function (t) {
      return fetch(path, { method: method, credentials: "same-origin",
        headers: { "X-CSRF-Token": t, "Content-Type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
    }).then(function (r) {
      return r.json().then(function (json) {
        if (r.status === 401) { var e = new Error("signin"); e.signin = true; throw e; }
        if (!r.ok) throw new Error((json.error && json.error.message) || "Something went wrong.");
        return json;
      });
    });
  }
  function choice(name, value, label) {
    var wrap = el("label");
    wrap.appendChild(el("input", { type: "radio", name: name, value: value, required: "" }));
    wrap.appendChild(document.createTextNode(" " + label + " "));
    return wrap;
  }
  function startInline(link) {
    var panel = el("div", { "class": "panel inline-flow", "aria-live": "polite" });
    link.parentNode.parentNode.insertBefore(panel, link.parentNode.nextSibling);
    function fail(error) {
      if (error.signin) { window.location.href = link.href; return; }
      panel.appendChild(el("p", { "class": "notice error", role: "alert" }, error.message));
    }
    function step(title) { panel.textContent = ""; panel.appendChild(el("h3", {}, title)); }
    function write() {
      step("Write a comment");
      var form = el("form", { "class": "stack" });
      var area = el("textarea", { rows: "6", maxlength: "3000", required: "", "aria-label": "Your comment" });
      form.appendChild(area);
      form.appendChild(el("button", { type: "submit" }, "Continue"));
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        api("POST", "/api/v1/articles/" + encodeURIComponent(slug) + "/comments", { body: area.value })
          .then(function (r) { review(r.comment.id, r.comment.body); }).catch(fail);
      });
      panel.appendChild(form);
      area.focus();
    }
    function review(id, own, extra) {
      api("GET", "/api/v1/comments/" + id + "/review-task" + (extra ? "?extra=1" : "")).then(function (r) {
        if (!r.task) { rate(id, own, r.optionalReviews); return; }
        step(r.task.optional ? "An extra review (optional)" : "Review comment " + r.task.position + " of " + r.task.required);
        panel.appendChild(el("blockquote", { "class": "under-review" }, r.task.body));
        var form = el("form", { "class": "stack" });
        var q = el("fieldset"); q.appendChild(el("legend", {}, "Is this a good comment?"));
        [["good", "Good"], ["somewhat", "Somewhat good"], ["notGood", "Not good"]].forEach(function (c) { q.appendChild(choice("quality", c[0], c[1])); });
        var c = el("fieldset"); c.appendChild(el("legend", {}, "Is it civil?"));
        c.appendChild(choice("civil", "yes", "Yes")); c.appendChild(choice("civil", "no", "No"));
        form.appendChild(q); form.appendChild(c);
        form.appendChild(el("button", { type: "submit" }, "Submit review"));
        form.addEventListener("submit", function (e) {
          e.preventDefault();
          var quality = form.querySelector("input[name=quality]:checked"), civil = form.querySelector("input[name=civil]:checked");
          api("POST", "/api/v1/review-tasks/" + r.task.id, { quality: quality.value, civil: civil.value === "yes" })
            .then(function () { review(id, own); }).catch(fail);
        });
        panel.appendChild(form);
        if (r.task.optional) {
          var skip = el("button", { type: "button", "class": "secondary" }, "Skip it");
          skip.addEventListener("click", function () { rate(id, own); });
          panel.appendChild(skip);
        }
      }).catch(fail);
    }
    function rate(id, own, optional) {
      step("Rate your own comment");
      if (optional && optional.left > 0) {
        var offer = el("p", { "class": "notice" }, optional.waiting + (optional.waiting === 1 ? " comment is" : " comments are") +
          " waiting for readers to review. Review one more to help them get published sooner — optional, your comment does not wait for it. ");
        var more = el("button", { type: "button", "class": "secondary" }, "Review one more");
        more.addEventListener("click", function () { review(id, own, true); });
        offer.appendChild(more);
        panel.appendChild(offer);
      }
      var form = el("form", { "class": "stack" });
      var area = el("textarea", { rows: "6", maxlength: "3000", required: "", "aria-label": "Your comment (last chance to edit)" });
      area.value = own;
      var c = el("fieldset"); c.appendChild(el("legend", {}, "Is your comment civil?"));
      c.appendChild(choice("own", "yes", "Yes")); c.appendChild(choice("own", "no", "No"));
      form.appendChild(area); form.appendChild(c);
      form.appendChild(el("button", { type: "submit" }, "Submit my comment"));
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var civil = form.querySelector("input[name=own]:checked");
        api("POST", "/api/v1/comments/" + id + "/submit", { civil: civil.value === "yes", body: area.value })
          .then(function (r) { step(r.comment.status === "published" ? "Published" : "Waiting for review"); panel.appendChild(el("p", {}, r.comment.statusText)); })
          .catch(fail);
      });
      panel.appendChild(form);
    }
    write();
  }

  document.addEventListener("click", function (event) {
    var writer = event.target.closest && event.target.closest("a[data-action=write]");
    if (writer) { event.preventDefault(); startInline(writer); return; }
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

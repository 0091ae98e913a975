// The widget's frame. Tells the page that embeds it how tall it is (widget.js listens), and
// updates the results in place when the reader searches. It listens to no message: nothing the
// host page sends can reach it. Without this file the frame still works as a plain page.
(function () {
  "use strict";

  var lastHeight = 0;

  function postHeight() {
    if (window.parent === window) return;
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height === lastHeight) return;
    lastHeight = height;
    // Only a height leaves the frame, so any parent may read it.
    window.parent.postMessage({ type: "orgsite:height", height: height }, "*");
  }

  function query(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { if (value !== "") params.append(key, value); });
    return params.toString();
  }

  function setupSearch(form) {
    if (!window.fetch || !window.DOMParser) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var url = form.action + "?" + query(form);
      var results = document.getElementById("results");
      results.setAttribute("aria-busy", "true");
      fetch(url, { credentials: "omit" })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var fresh = page.querySelector("form[data-embed-search]");
          var freshResults = page.getElementById("results");
          var mapData = page.getElementById("map-data");
          // A first map needs its scripts: load the page itself.
          if (!fresh || !freshResults || (mapData && !window.orgsiteMap)) throw new Error("reload");
          results.replaceWith(freshResults);
          if (fresh.querySelector(".field-errors")) {
            // Errors and "did you mean" belong to the form: take the server's, keep the reader's
            // open chips, and put the focus back where the error is.
            var details = fresh.querySelector("details");
            if (details && form.querySelector("details[open]")) details.open = true;
            form.replaceWith(fresh);
            setupSearch(fresh);
            var invalid = fresh.querySelector("[aria-invalid=true]");
            if (invalid) invalid.focus();
          } else {
            // Keep the form (and the reader's focus); only its errors and summary change.
            form.querySelectorAll(".field-errors").forEach(function (el) { el.remove(); });
            form.querySelectorAll("[aria-invalid]").forEach(function (el) {
              el.removeAttribute("aria-invalid");
              el.removeAttribute("aria-describedby");
            });
            var summary = form.querySelector("summary"), freshSummary = fresh.querySelector("summary");
            if (summary && freshSummary) summary.textContent = freshSummary.textContent;
          }
          // The hint and the notices about the writer's presets have served their purpose.
          document.querySelectorAll(".embed__hint, .embed__notices").forEach(function (el) { el.remove(); });
          if (mapData) window.orgsiteMap.update(JSON.parse(mapData.textContent));
          document.title = page.title;
          history.replaceState(null, "", url);
        })
        .catch(function () { window.location.replace(url); });
    });
    form.addEventListener("change", function (event) {
      if (event.target.name !== "cause") return;
      if (form.requestSubmit) form.requestSubmit();
      else form.dispatchEvent(new Event("submit", { cancelable: true }));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-embed-search]");
    if (form) setupSearch(form);
    postHeight();
    if (window.ResizeObserver) new ResizeObserver(postHeight).observe(document.body);
    else window.addEventListener("resize", postHeight);
  });
  window.addEventListener("load", postHeight);
})();

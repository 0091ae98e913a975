// The widget builder: every change redraws the preview and the snippets (the server writes them,
// so the page without JavaScript shows the same after "Update the preview"), and copy buttons.
(function () {
  "use strict";

  function debounce(fn, wait) {
    var timer;
    return function () { clearTimeout(timer); timer = setTimeout(fn, wait); };
  }

  function query(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { if (value !== "") params.append(key, value); });
    return params.toString();
  }

  function setupCopy(root) {
    root.querySelectorAll("[data-copy]").forEach(function (button) {
      var field = document.getElementById(button.dataset.copy);
      var status = button.parentNode.querySelector("[data-copy-status]");
      button.hidden = false;
      button.addEventListener("click", function () {
        function done() { status.textContent = button.dataset.copied; }
        field.select();
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(done, function () {
            if (document.execCommand("copy")) done();
          });
        } else if (document.execCommand("copy")) {
          done();
        }
      });
    });
  }

  function setup(form) {
    var output = document.querySelector("[data-builder-output]");
    var lastQuery = query(form);
    var update = debounce(function () {
      var q = query(form);
      if (q === lastQuery) return;
      lastQuery = q;
      var url = form.action + (q ? "?" + q : "");
      fetch(url, { credentials: "same-origin" })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-builder-output]");
          if (!fresh) throw new Error("unexpected page");
          output.replaceWith(fresh);
          output = fresh;
          setupCopy(output);
          history.replaceState(null, "", url);
          if (window.OrgsiteWidget) window.OrgsiteWidget.init();
        })
        .catch(function () { window.location.href = url; });
    }, 300);
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    form.addEventListener("submit", function (event) { event.preventDefault(); update(); });
    form.querySelector("[data-builder-submit]").hidden = true;
    setupCopy(output);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-builder]");
    if (form && window.fetch && window.DOMParser) setup(form);
  });
})();

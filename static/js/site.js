// Progressive enhancement for the search form: place autocomplete, "use my location", and
// results that update without a full page load. Without this file every feature still works
// through plain links and form submissions.
(function () {
  "use strict";

  var SUGGEST_URL = "/places/suggest/";
  // Django's JavaScript catalog (jsi18n) defines gettext; without it, English.
  var gettext = window.gettext || function (text) { return text; };

  function debounce(fn, wait) {
    var timer;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, wait);
    };
  }

  function setupAutocomplete(input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) return;
    var lastQuery = "";
    input.addEventListener("input", debounce(function () {
      var text = input.value.trim();
      if (text.length < 2 || text === lastQuery || /^-?\d+(\.\d+)?\s*,/.test(text)) return;
      lastQuery = text;
      fetch(SUGGEST_URL + "?q=" + encodeURIComponent(text), { credentials: "omit" })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) {
          list.replaceChildren.apply(list, data.results.map(function (place) {
            var option = document.createElement("option");
            option.value = place.label;
            return option;
          }));
        })
        .catch(function () { /* autocomplete is a convenience; typing still works */ });
    }, 150));
  }

  function setupLocation(form) {
    var button = form.querySelector("[data-use-location]");
    var status = form.querySelector("[data-location-status]");
    var input = form.querySelector("input[name=near]");
    if (!button || !input || !("geolocation" in navigator)) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = button.dataset.finding || gettext("Finding your location…");
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (position) {
        // Three decimals (about 100 m) is plenty to find groups, and keeps the reader's
        // exact position out of URLs and logs.
        input.value = position.coords.latitude.toFixed(3) + "," + position.coords.longitude.toFixed(3);
        status.textContent = "";
        button.disabled = false;
        form.requestSubmit();
      }, function () {
        status.textContent = button.dataset.denied || gettext("We couldn’t get your location. Type a ZIP code or city instead.");
        button.disabled = false;
      }, { timeout: 10000, maximumAge: 600000 });
    });
  }

  // What a screen reader hears after live results arrive: the count, in a region that stays on
  // the page (replacing a live region itself announces nothing, or everything).
  function announce(results) {
    var status = document.querySelector("[data-results-status]");
    if (!status) return;
    var summary = results.querySelector(".results__summary, .notice");
    status.textContent = summary ? summary.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function focusErrorSummary(root) {
    var summary = root.querySelector("[data-error-summary]");
    if (summary && document.activeElement !== summary) summary.focus();
    return summary;
  }

  function setupLiveSearch(form) {
    if (!window.fetch || !window.DOMParser) return;
    function load(url, push) {
      var results = document.getElementById("results");
      results.removeAttribute("aria-live");
      results.setAttribute("aria-busy", "true");
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var fresh = page.getElementById("results");
          if (!fresh) { window.location.href = url; return; }
          fresh.removeAttribute("aria-live");
          results.replaceWith(fresh);
          // Errors and "did you mean" belong to the form: take the server's form when it has any.
          var freshForm = page.querySelector("form[data-live-search]");
          if (freshForm && freshForm.querySelector(".field-errors, [data-error-summary]")) {
            form.replaceWith(freshForm);
            form = freshForm;
            enhance(form);
            focusErrorSummary(form);
          } else {
            form.querySelectorAll(".field-errors, [data-error-summary]").forEach(function (el) { el.remove(); });
            form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
            announce(fresh);
          }
          // The one-line summary of the search ("94704 · Immigrant rights · 25 mi") follows it.
          var summary = document.querySelector("[data-search-summary]");
          var freshSummary = page.querySelector("[data-search-summary]");
          if (summary && freshSummary) summary.replaceWith(freshSummary);
          if (push) history.pushState({ url: url }, "", url);
          var freshMap = page.getElementById("map-data");
          if (freshMap && window.orgsiteMap) window.orgsiteMap.update(JSON.parse(freshMap.textContent));
          document.title = page.title;
        })
        .catch(function () { window.location.href = url; });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      // Leave out empty fields, so shared URLs stay short and readable.
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, key) { if (value !== "") params.append(key, value); });
      load(form.action + "?" + params.toString(), true);
    });
    form.addEventListener("change", function (event) {
      var name = event.target.name;
      var near = form.querySelector("input[name=near]");
      if ((name === "cause" || name === "coverage" || name === "lang") && near.value.trim()) {
        form.requestSubmit();
      }
    });
    if (!window.orgsitePopstate) {
      window.orgsitePopstate = true;
      window.addEventListener("popstate", function () { load(window.location.href, false); });
    }
  }

  function enhance(form) {
    form.querySelectorAll("input[list=place-suggestions]").forEach(setupAutocomplete);
    setupLocation(form);
    // Live results only where the results are on the page (the search page itself).
    if (document.getElementById("results")) setupLiveSearch(form);
  }

  document.addEventListener("DOMContentLoaded", function () {
    // autofocus does this without JavaScript; some browsers skip it after a back navigation.
    focusErrorSummary(document);
    var results = document.getElementById("results");
    if (results) results.removeAttribute("aria-live");
    document.querySelectorAll("form[data-live-search]").forEach(enhance);
    // "Print a flyer" on a group page: the print stylesheet (css/print.css) makes it one sheet.
    document.querySelectorAll("[data-print-flyer]").forEach(function (box) {
      box.hidden = false;
      box.querySelector("button").addEventListener("click", function () { window.print(); });
    });
  });
})();

// Progressive enhancement for the contact form: a characters-left counter, and one submission
// per press (a double click would otherwise be refused as a duplicate). The form works without.
(function () {
  "use strict";

  function setupCounter(form) {
    var counter = form.querySelector("[data-counter-for]");
    if (!counter) return;
    var field = document.getElementById(counter.getAttribute("data-counter-for"));
    var limit = field && parseInt(field.getAttribute("maxlength"), 10);
    if (!limit) return;
    var update = function () {
      counter.textContent = counter.getAttribute("data-template").replace("%(n)s", String(limit - field.value.length));
    };
    counter.hidden = false;
    update();
    field.addEventListener("input", update);
  }

  function setupSubmit(form) {
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function () {
      if (!button) return;
      // Disabled after the browser has collected the form data, so nothing is lost.
      window.setTimeout(function () {
        button.disabled = true;
        button.textContent = button.getAttribute("data-sending") || button.textContent;
      }, 0);
    });
  }

  document.querySelectorAll("[data-contact-form]").forEach(function (form) {
    setupCounter(form);
    setupSubmit(form);
  });
})();

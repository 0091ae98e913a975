// The admin's autocomplete (select2) draws a search box without a label, and draws it again
// whenever the choice changes: name each one after the field it searches.
(function () {
  "use strict";
  function label(root) {
    root.querySelectorAll(".select2-search__field:not([aria-label])").forEach(function (input) {
      var container = input.closest(".select2-container");
      var select = container && container.previousElementSibling;
      var text = select && select.id && document.querySelector("label[for='" + select.id + "']");
      if (text) input.setAttribute("aria-label", text.textContent.replace(/:\s*$/, "").trim());
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    label(document);
    new MutationObserver(function () { label(document); })
      .observe(document.body, { childList: true, subtree: true });
  });
})();

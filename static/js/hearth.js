// Hearth's few page behaviours, declared in the markup with data attributes. They live here
// because the Content-Security-Policy runs no inline script and no on*= handler. Listeners sit
// on the document, so content that htmx swaps in later works the same.
"use strict";

(function () {
  // [data-autofocus]: focus it when it appears (a failed Step 2 check shows its error there,
  // so a screen reader reads it at once), on page load and after an htmx swap.
  function focusIn(root) {
    const target = root.matches && root.matches("[data-autofocus]")
      ? root
      : root.querySelector && root.querySelector("[data-autofocus]");
    if (target) {
      target.focus();
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    focusIn(document);
  });
  document.addEventListener("htmx:load", function (event) {
    focusIn(event.target);
  });

  // form[data-next-from-location]: its "next" field is the page's address when submitted —
  // back to the list as it is now (htmx may have changed the search since the page loaded).
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.matches("[data-next-from-location]") && form.elements.next) {
      form.elements.next.value = window.location.pathname + window.location.search;
    }
  });

  // input[data-select-all="selector"]: a "select all" checkbox for the boxes the selector names.
  document.addEventListener("change", function (event) {
    const box = event.target;
    const selector = box.dataset && box.dataset.selectAll;
    if (selector) {
      document.querySelectorAll(selector).forEach(function (other) {
        other.checked = box.checked;
      });
    }
  });
})();

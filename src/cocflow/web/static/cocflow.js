// cocflow's only script, and an optional one: every page works without it.
// It moves focus to the error summary when a page shows one, and makes the summary's links
// focus their field with its label or legend in view.
(function () {
  "use strict";

  function labelFor(field) {
    var fieldset = field.closest("fieldset");
    if (fieldset) {
      var legend = fieldset.querySelector("legend");
      if (legend) {
        return legend;
      }
    }
    return document.querySelector('label[for="' + field.id + '"]') || field;
  }

  function focusField(event) {
    var id = decodeURIComponent(this.hash.slice(1));
    var field = document.getElementById(id);
    if (!field) {
      return;
    }
    event.preventDefault();
    labelFor(field).scrollIntoView();
    field.focus({ preventScroll: true });
  }

  function start() {
    document.documentElement.classList.add("js-enabled");
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) {
      return;
    }
    summary.focus();
    var links = summary.querySelectorAll('a[href^="#"]');
    for (var i = 0; i < links.length; i += 1) {
      links[i].addEventListener("click", focusField);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

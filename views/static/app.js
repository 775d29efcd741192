// cara's small client script: no framework, no inline script (the CSP forbids it).
(function () {
  "use strict";

  // Warn before leaving a form with unsaved changes.
  var dirty = false;
  document.addEventListener("input", function (e) {
    if (e.target.closest("form[data-unsaved-warning]")) dirty = true;
  });
  document.addEventListener("submit", function () { dirty = false; });
  // Only a swap of the form itself (a save) makes it clean; look-ups and the edit panel do not.
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "case-form") dirty = false;
  });
  window.addEventListener("beforeunload", function (e) {
    if (dirty) { e.preventDefault(); e.returnValue = ""; }
  });

  // Ctrl+S (or Cmd+S) saves the current section.
  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === "s") {
      var form = document.getElementById("case-form");
      if (form) {
        e.preventDefault();
        form.requestSubmit();
      }
    }
  });
})();

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
  // A re-run of the edits swaps each field's flags in out of band; the field's mark follows them.
  document.addEventListener("htmx:afterSwap", function () {
    document.querySelectorAll(".edit-flags").forEach(function (fl) {
      var field = fl.closest(".field");
      if (field) field.classList.toggle("has-flag", fl.querySelector(".edit-flag") !== null);
    });
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

// Item help and text counters (views/case.templ: Field, FieldHelp). Listeners sit on the document,
// so they keep working after htmx swaps the form.
(function () {
  "use strict";

  function panelOf(btn) {
    return document.getElementById(btn.getAttribute("aria-controls"));
  }

  function setHelp(btn, open) {
    var panel = panelOf(btn);
    if (!panel) return;
    panel.hidden = !open;
    btn.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function toggleHelp(btn) {
    setHelp(btn, btn.getAttribute("aria-expanded") !== "true");
  }

  // The "?" beside a field's label.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest ? e.target.closest("[data-help-toggle]") : null;
    if (!btn) return;
    e.preventDefault();
    toggleHelp(btn);
  });

  // In a field: F1 opens or closes its help, and so does "?" in a field that takes codes (in a
  // free-text field "?" is typed); Escape closes an open help panel.
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    var t = e.target;
    var field = t && t.closest ? t.closest(".field") : null;
    if (!field || !t.matches("input, select, textarea")) return;
    var btn = field.querySelector("[data-help-toggle]");
    if (!btn) return;
    var help = e.key === "F1" || (e.key === "?" && !field.hasAttribute("data-free-text") && t.tagName !== "TEXTAREA");
    if (help) {
      e.preventDefault();
      toggleHelp(btn);
    } else if (e.key === "Escape" && btn.getAttribute("aria-expanded") === "true") {
      setHelp(btn, false);
    }
  });

  // When "?" opened the help, it must not also be typed (a keydown's default is not always the
  // character: some input methods and automation send it as a separate event).
  document.addEventListener("beforeinput", function (e) {
    if (e.data !== "?") return;
    var field = e.target && e.target.closest ? e.target.closest(".field") : null;
    if (field && field.querySelector("[data-help-toggle]") && !field.hasAttribute("data-free-text") && e.target.tagName !== "TEXTAREA") {
      e.preventDefault();
    }
  });

  // A text area's character counter: "123 / 4000", counted in characters as NAACCR counts them.
  function countChars(s) {
    return Array.from(s).length;
  }
  document.addEventListener("input", function (e) {
    var t = e.target;
    if (!t || !t.getAttribute) return;
    var id = t.getAttribute("data-counter");
    var counter = id ? document.getElementById(id) : null;
    if (!counter) return;
    var max = parseInt(counter.getAttribute("data-max"), 10) || 0;
    var n = countChars(t.value);
    counter.textContent = n + " / " + max;
    counter.classList.toggle("full", max > 0 && n >= max);
  });
})();

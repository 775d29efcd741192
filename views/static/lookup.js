// The code look-up: keyboard and mouse for the "code" widget (an input with role="combobox" whose
// listbox htmx fills as the user types, see views/lookup.templ). Listeners sit on the document, so
// they keep working after htmx swaps the form or the list. No inline script: the CSP forbids it.
(function () {
  "use strict";

  function comboOf(el) {
    var box = el && el.closest ? el.closest(".lookup") : null;
    return box ? box.querySelector('input[role="combobox"]') : null;
  }

  function listOf(input) {
    return document.getElementById(input.getAttribute("aria-controls"));
  }

  function options(list) {
    return list ? Array.prototype.slice.call(list.querySelectorAll('[role="option"]')) : [];
  }

  function isOpen(input) {
    var list = listOf(input);
    return !!list && !list.hidden;
  }

  function setActive(input, opt) {
    var list = listOf(input);
    options(list).forEach(function (o) { o.setAttribute("aria-selected", o === opt ? "true" : "false"); });
    if (opt) {
      input.setAttribute("aria-activedescendant", opt.id);
      opt.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function open(input) {
    var list = listOf(input);
    if (!list || !list.children.length) return;
    list.hidden = false;
    input.setAttribute("aria-expanded", options(list).length ? "true" : "false");
  }

  function close(input) {
    var list = listOf(input);
    if (list) list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    setActive(input, null);
  }

  function labelOf(input) {
    return input.closest(".lookup").querySelector(".code-label");
  }

  // pick puts the option's code into the field and its label beside it, and tells the form (its
  // edit panel listens for change) that the field changed.
  function pick(input, opt) {
    input.value = opt.getAttribute("data-code");
    input.setAttribute("data-picked", input.value);
    var label = labelOf(input);
    if (label) label.textContent = opt.getAttribute("data-label") || "";
    close(input);
    if (window.htmx) window.htmx.trigger(input, "htmx:abort"); // a look-up still on its way is moot
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // normalize writes a typed code as the lists do: upper case, no dots, no "/behavior".
  function normalize(s) {
    return s.split("/")[0].replace(/[.\s]/g, "").toUpperCase();
  }

  // swallowEnter is set while an Enter that the look-up took is down, so that its keypress (sent
  // apart from the keydown by some drivers) does not submit the form either.
  var swallowEnter = false;

  document.addEventListener("keydown", function (e) {
    var input = e.target;
    if (!input.matches || !input.matches('.lookup input[role="combobox"]')) return;
    var list = listOf(input);
    var opts = options(list);
    var active = document.getElementById(input.getAttribute("aria-activedescendant") || "");
    var i = opts.indexOf(active);
    switch (e.key) {
      case "ArrowDown":
      case "ArrowUp":
        if (!opts.length) return;
        e.preventDefault();
        if (!isOpen(input)) {
          open(input);
          setActive(input, e.key === "ArrowDown" ? opts[0] : opts[opts.length - 1]);
          return;
        }
        if (e.key === "ArrowDown") i = i < 0 || i === opts.length - 1 ? 0 : i + 1;
        else i = i <= 0 ? opts.length - 1 : i - 1;
        setActive(input, opts[i]);
        return;
      case "Enter":
        if (!isOpen(input)) return; // the form's own Enter
        e.preventDefault(); // never submit the form while the list is open
        swallowEnter = true;
        if (active) pick(input, active);
        else close(input);
        return;
      case "Escape":
        if (isOpen(input)) {
          e.preventDefault();
          close(input);
        }
        return;
    }
  });

  document.addEventListener("keypress", function (e) {
    if (e.key === "Enter" && swallowEnter) e.preventDefault();
  });
  document.addEventListener("keyup", function (e) {
    if (e.key === "Enter") swallowEnter = false;
  });

  // Typing makes the shown label stale until a code is picked or typed in full.
  document.addEventListener("input", function (e) {
    var input = e.target;
    if (!input.matches || !input.matches('.lookup input[role="combobox"]')) return;
    input.removeAttribute("data-picked");
    var label = labelOf(input);
    if (label) label.textContent = "";
  });

  // Keep the focus in the input while an option is clicked, then pick it.
  document.addEventListener("mousedown", function (e) {
    if (e.target.closest && e.target.closest('.lookup [role="listbox"]')) e.preventDefault();
  });
  document.addEventListener("click", function (e) {
    var opt = e.target.closest ? e.target.closest('.lookup [role="option"]') : null;
    if (!opt) return;
    var input = comboOf(opt);
    if (input) {
      pick(input, opt);
      input.focus();
    }
  });

  document.addEventListener("focusout", function (e) {
    var input = e.target;
    if (!input.matches || !input.matches('.lookup input[role="combobox"]')) return;
    input.removeAttribute("data-picked");
    close(input);
  });

  // A list that arrives after the user picked a code or left the field is not shown.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var input = comboOf(e.detail.target);
    if (!input) return;
    var picked = input.getAttribute("data-picked");
    if (document.activeElement !== input || (picked !== null && picked === input.value)) {
      e.detail.shouldSwap = false;
    }
  });

  // A fresh list opens with nothing active; a code typed in full gets its label.
  document.addEventListener("htmx:afterSwap", function (e) {
    var input = comboOf(e.detail.target);
    if (!input) return;
    var list = listOf(input);
    setActive(input, null);
    if (list && list.children.length) open(input);
    else close(input);
    var typed = normalize(input.value);
    var label = labelOf(input);
    options(list).some(function (o) {
      if (o.getAttribute("data-code") === typed) {
        if (label) label.textContent = o.getAttribute("data-label") || "";
        return true;
      }
      return false;
    });
  });
})();

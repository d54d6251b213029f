// Search-as-you-type for long lists of organisations and people. A `<select data-picker>`
// gets a search box above it that hides the options not matching what is typed; the select
// itself stays the form's control, so the page works the same without this script and a
// screen reader meets an ordinary search box and an ordinary select.
//
// Matching ignores the differences people do not mean: full- and half-width forms (NFKC),
// upper and lower case, katakana and hiragana. Every word typed must appear, in the
// option's text or in its organisation's path: an option naming its parent's value in
// `data-parent` is found by the names of the organisations above it in the same list.
(function () {
  "use strict";
  var me = document.currentScript;
  var prompt = (me && me.getAttribute("data-filter")) || "";
  var found = (me && me.getAttribute("data-found")) || "#";

  function fold(s) {
    s = (s || "").normalize("NFKC").toLowerCase();
    // Katakana (ァ–ヶ) to hiragana: 「こう」 finds 「コウ」.
    return s.replace(/[\u30a1-\u30f6]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0x60);
    });
  }

  // The names above each option, nearest last, among the options of the same select.
  function paths(select) {
    var byValue = {};
    var opts = select.options;
    for (var i = 0; i < opts.length; i++) byValue[opts[i].value] = opts[i];
    var out = [];
    for (var j = 0; j < opts.length; j++) {
      var names = [];
      var seen = {};
      var p = opts[j].getAttribute("data-parent");
      while (p && byValue[p] && !seen[p]) {
        seen[p] = true;
        names.unshift(byValue[p].textContent);
        p = byValue[p].getAttribute("data-parent");
      }
      out.push(fold(names.join(" / ") + " " + opts[j].textContent));
    }
    return out;
  }

  function labelOf(select) {
    if (select.getAttribute("aria-label")) return select.getAttribute("aria-label");
    var l = select.labels && select.labels[0];
    return l ? l.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function visible(select) {
    var out = [];
    for (var i = 0; i < select.options.length; i++) {
      var o = select.options[i];
      if (!o.hidden && o.value !== "") out.push(o);
    }
    return out;
  }

  function attach(select, n) {
    var haystack = paths(select);
    var input = document.createElement("input");
    input.type = "search";
    input.id = (select.id || "picker-" + n) + "-filter";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.className = "picker-filter";
    input.placeholder = prompt;
    input.setAttribute("aria-label", (labelOf(select) + " " + prompt).trim());
    input.setAttribute("aria-controls", select.id || "");
    if (!select.id) input.removeAttribute("aria-controls");
    input.style.marginBottom = "0.25rem";
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.id = input.id + "-status";
    input.setAttribute("aria-describedby", status.id);
    select.parentNode.insertBefore(input, select);
    select.parentNode.insertBefore(status, select);

    function filter() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var count = 0;
      for (var i = 0; i < select.options.length; i++) {
        var o = select.options[i];
        // The empty choice (「選択してください」, —) always stays.
        var hit =
          o.value === "" ||
          words.every(function (w) {
            return haystack[i].indexOf(w) !== -1;
          });
        o.hidden = !hit;
        if (hit && o.value !== "") count++;
      }
      // A choice hidden by the filter would still be sent: the first match takes its place.
      var chosen = select.options[select.selectedIndex];
      if (words.length && (!chosen || chosen.hidden || chosen.value === "")) {
        var first = visible(select)[0];
        if (first && first !== chosen) {
          first.selected = true;
          select.dispatchEvent(new Event("change", { bubbles: true }));
        }
      }
      status.textContent = words.length ? found.replace("#", String(count)) : "";
    }

    // Up and down walk the matches without leaving the box; Enter keeps the choice rather
    // than sending the form half filled; Escape clears the filter.
    function step(by) {
      var list = visible(select);
      if (!list.length) return;
      var at = list.indexOf(select.options[select.selectedIndex]);
      var next = at === -1 ? (by > 0 ? 0 : list.length - 1) : at + by;
      if (next < 0 || next >= list.length) return;
      list[next].selected = true;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      status.textContent = list[next].textContent;
    }

    input.addEventListener("input", filter);
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") {
        e.preventDefault();
        step(1);
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        step(-1);
      } else if (e.key === "Enter") {
        e.preventDefault();
        select.focus();
      } else if (e.key === "Escape" && input.value) {
        e.preventDefault();
        input.value = "";
        filter();
      }
    });
  }

  var selects = document.querySelectorAll("select[data-picker]");
  for (var i = 0; i < selects.length; i++) attach(selects[i], i);
})();

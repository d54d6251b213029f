// Keeps what is typed in a case's form as a draft on the server: a few seconds after the
// last change, and at once when the page is hidden (the browser closed, the phone locked,
// another app opened). The first save opens the draft; later ones update it. Nothing is
// kept in the browser itself, so a shared PC holds no report after its tab is closed.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form) return;
  var status = document.querySelector("[data-autosave-status]");
  var timer = null;
  var dirty = false;
  var busy = false;
  // A button pressed while a save is on its way: pressed again once the save is back, so
  // that a new form is never opened twice.
  var waiting = null;
  // Typed while a save was on its way: saved once that one is back.
  var again = false;
  // The save on its way, for whoever must wait for it (a file waiting for its draft).
  var inflight = null;
  // Files being attached: a button pressed meanwhile waits for them, so that the file is
  // not sent a second time with the form.
  var uploads = 0;

  function body() {
    var data = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (typeof value === "string" && key !== "_do") data.append(key, value);
    });
    data.set("_do", "save");
    return data;
  }

  function show(key) {
    if (status) status.textContent = status.getAttribute(key) || "";
  }

  // Whom to call follows the contracts named: the saved draft's page says it, and its
  // panel replaces the one shown, without reloading what is being typed.
  function swapCalls(html) {
    var slot = document.querySelector("[data-calls-slot]");
    if (!slot) return;
    var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-calls-slot]");
    if (fresh) slot.innerHTML = fresh.innerHTML;
  }

  function save(leaving) {
    if (!dirty || busy) return inflight || Promise.resolve();
    busy = true;
    dirty = false;
    inflight = fetch(form.getAttribute("action"), {
      method: "POST",
      body: body(),
      credentials: "same-origin",
      keepalive: !!leaving,
    })
      .then(function (res) {
        // A new form's first save answers with the draft's page: the form now updates it.
        var opened = res.redirected && new URL(res.url).pathname.match(/^\/cases\/([0-9a-f-]{36})$/);
        if (opened && form.getAttribute("action") === "/cases") {
          form.setAttribute("action", "/cases/" + opened[1]);
          history.replaceState(null, "", "/cases/" + opened[1]);
        }
        if (!res.ok) dirty = true;
        show(res.ok ? "data-saved" : "data-failed");
        if (res.ok && !leaving) return res.text().then(swapCalls);
      })
      .catch(function () {
        dirty = true;
        show("data-failed");
      })
      .then(function () {
        busy = false;
        inflight = null;
        if (again) {
          again = false;
          clearTimeout(timer);
          timer = setTimeout(save, 3000);
        }
        pressAgain();
      });
    return inflight;
  }

  function pressAgain() {
    if (!waiting || busy || uploads) return;
    var button = waiting;
    waiting = null;
    form.requestSubmit(button);
  }

  // The case the form belongs to, saving it first: a new form has none until its draft
  // is opened, and a file can only be attached to a case.
  function draft() {
    return (inflight || Promise.resolve())
      .then(function () {
        dirty = true;
        clearTimeout(timer);
        return save(false);
      })
      .then(function () {
        var m = form.getAttribute("action").match(/^\/cases\/([0-9a-f-]{36})$/);
        if (!m) throw new Error("no draft");
        return m[1];
      });
  }

  // A file chosen for an attachment field is attached at once, to the draft saved for
  // it; the field's list then shows it, as the saved page has it.
  function attach(input) {
    var field = input.getAttribute("data-attach-for");
    var note = input.parentNode.querySelector("[data-attach-status]");
    var say = function (key) {
      if (note) note.textContent = input.getAttribute(key) || "";
    };
    if (!input.files || !input.files.length) return;
    uploads++;
    say("data-uploading");
    draft()
      .then(function (id) {
        var data = new FormData();
        data.append("_csrf", form.querySelector("input[name=_csrf]").value);
        data.append("field", field);
        data.append("file", input.files[0]);
        return fetch("/cases/" + id + "/attachments", {
          method: "POST",
          body: data,
          credentials: "same-origin",
        });
      })
      .then(function (res) {
        if (!res.ok) throw new Error("refused");
        return res.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.querySelector('[data-attached="' + field + '"]');
        var list = form.querySelector('[data-attached="' + field + '"]');
        if (fresh && list) list.innerHTML = fresh.innerHTML;
        input.value = "";
        say("data-uploaded");
      })
      .catch(function () {
        say("data-failed");
      })
      .then(function () {
        uploads--;
        pressAgain();
      });
  }

  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input && input.matches && input.matches("input[type=file][data-attach-for]")) attach(input);
  });

  form.addEventListener("input", function () {
    dirty = true;
    if (busy) again = true;
    clearTimeout(timer);
    timer = setTimeout(save, 3000);
  });
  form.addEventListener("submit", function (event) {
    clearTimeout(timer);
    if (busy || uploads) {
      event.preventDefault();
      waiting = event.submitter || null;
      return;
    }
    dirty = false;
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") save(true);
  });
})();

// An action that ends a case undecided (withdrawing) asks once more before it is taken;
// without the script, opening the folded section it sits in is that second step.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();

// Rows of a table in a form: 「行を追加」 copies the last row, emptied, under the next
// number; 「削除」 takes a row away (the last one left is emptied instead). Without the
// script both buttons submit the form, and the server shows it again the same way.
(function () {
  "use strict";

  function rows(table) {
    return Array.prototype.slice.call(table.tBodies[0].rows);
  }

  function renumber(table) {
    rows(table).forEach(function (tr, i) {
      var n = String(i + 1);
      var cell = tr.querySelector("[data-row-number]");
      if (cell) cell.textContent = n;
      tr.querySelectorAll("[aria-label]").forEach(function (el) {
        el.setAttribute("aria-label", el.getAttribute("aria-label").replace(/\d+(?=\D*$)/, n));
      });
    });
  }

  function empty(tr) {
    tr.querySelectorAll("input, textarea, select").forEach(function (el) {
      if (el.tagName === "SELECT") el.selectedIndex = 0;
      else if (el.type === "checkbox" || el.type === "radio") el.checked = false;
      else el.value = "";
      el.removeAttribute("aria-invalid");
    });
    tr.querySelectorAll(".field-error").forEach(function (el) {
      el.remove();
    });
    tr.querySelectorAll(".has-error").forEach(function (el) {
      el.classList.remove("has-error");
    });
  }

  function changed(table) {
    var form = table.closest("form");
    if (form) form.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function add(table) {
    var id = table.getAttribute("data-rows");
    var all = rows(table);
    var last = all[all.length - 1];
    if (!last) return;
    var next = 1 + Math.max.apply(null, all.map(function (tr) {
      return Number(tr.getAttribute("data-row")) || 0;
    }));
    var old = id + "." + last.getAttribute("data-row") + ".";
    var fresh = id + "." + next + ".";
    var copy = last.cloneNode(true);
    copy.setAttribute("data-row", String(next));
    ["name", "id", "for", "list", "aria-describedby"].forEach(function (attr) {
      copy.querySelectorAll("[" + attr + "]").forEach(function (el) {
        el.setAttribute(attr, el.getAttribute(attr).split(old).join(fresh));
      });
    });
    var remove = copy.querySelector("[data-remove-row]");
    if (remove) remove.value = "remove_row:" + id + ":" + next;
    empty(copy);
    last.parentNode.appendChild(copy);
    renumber(table);
    var first = copy.querySelector("input, textarea, select");
    if (first) first.focus();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-add-row], [data-remove-row]");
    if (!button) return;
    var table = button.hasAttribute("data-add-row")
      ? button.closest("fieldset").querySelector('table[data-rows="' + button.getAttribute("data-add-row") + '"]')
      : button.closest("table[data-rows]");
    if (!table) return;
    event.preventDefault();
    if (button.hasAttribute("data-add-row")) {
      add(table);
      return;
    }
    var tr = button.closest("tr");
    if (rows(table).length > 1) {
      var focus = tr.nextElementSibling || tr.previousElementSibling;
      tr.remove();
      renumber(table);
      var target = focus && focus.querySelector("input, textarea, select");
      if (target) target.focus();
    } else {
      empty(tr);
    }
    changed(table);
  });
})();

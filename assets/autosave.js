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
    if (!dirty || busy) return;
    busy = true;
    dirty = false;
    fetch(form.getAttribute("action"), {
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
        if (again) {
          again = false;
          clearTimeout(timer);
          timer = setTimeout(save, 3000);
        }
        if (waiting) {
          var button = waiting;
          waiting = null;
          form.requestSubmit(button);
        }
      });
  }

  form.addEventListener("input", function () {
    dirty = true;
    if (busy) again = true;
    clearTimeout(timer);
    timer = setTimeout(save, 3000);
  });
  form.addEventListener("submit", function (event) {
    clearTimeout(timer);
    if (busy) {
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

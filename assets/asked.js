// Items a form asks only in some cases (a library's `asked_when`) are hidden while the
// answers given so far say they do not apply, so that a form on a phone asks the deciding
// questions first and then only what follows from them. Without this script every item
// shows and the server still asks only what applies. A hidden item keeps what was typed in
// it: the draft keeps it, in case the answer that hid it changes back.
(() => {
  'use strict';

  /** The answers given for `name`: checked boxes and radios, or a filled value. */
  function answers(form, name) {
    const out = [];
    for (const el of form.elements) {
      if (el.name !== name) continue;
      if (el.type === 'checkbox' || el.type === 'radio') {
        if (el.checked) out.push(el.value);
      } else if (el.value.trim() !== '') {
        out.push(el.value);
      }
    }
    // A yes/no item is sent as yes or no and stored as true or false.
    return out.map((v) => (v === 'yes' ? true : v === 'no' ? false : v));
  }

  function same(a, b) {
    return typeof a === 'boolean' || typeof b === 'boolean' ? a === b : String(a) === String(b);
  }

  function holds(c, form) {
    if (c.all) return c.all.every((x) => holds(x, form));
    if (c.any) return c.any.some((x) => holds(x, form));
    if (c.not) return !holds(c.not, form);
    if (!c.field) return true;
    const got = answers(form, c.field);
    if ('filled' in c) return got.length > 0 === c.filled;
    if ('is' in c) return got.some((v) => same(v, c.is));
    return got.some((v) => (c.in || []).some((w) => same(v, w)));
  }

  function apply(form) {
    for (const el of form.querySelectorAll('[data-asked-when]')) {
      let condition;
      try {
        condition = JSON.parse(el.dataset.askedWhen);
      } catch {
        continue;
      }
      el.hidden = !holds(condition, form);
    }
  }

  function start() {
    for (const form of document.querySelectorAll('form')) {
      if (!form.querySelector('[data-asked-when]')) continue;
      apply(form);
      form.addEventListener('change', () => apply(form));
      form.addEventListener('input', () => apply(form));
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();

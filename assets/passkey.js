// Passkeys (WebAuthn) in the browser: registration on the account's passkey page, and
// logging in with one on the login page (without a password) or on the second-factor
// page. The server sends WebAuthn's JSON options under `publicKey`; binary values travel
// as base64url both ways. Everything else on these pages works without this file.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function fromB64(s) {
    var b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
    var out = new Uint8Array(b.length);
    for (var i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
    return out.buffer;
  }

  function toB64(buf) {
    var bytes = new Uint8Array(buf);
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (c) {
      var d = { type: c.type, id: fromB64(c.id) };
      if (c.transports) d.transports = c.transports;
      return d;
    });
  }

  function creationOptions(o) {
    var p = Object.assign({}, o);
    p.challenge = fromB64(o.challenge);
    p.user = Object.assign({}, o.user, { id: fromB64(o.user.id) });
    p.excludeCredentials = descriptors(o.excludeCredentials);
    return p;
  }

  function requestOptions(o) {
    var p = Object.assign({}, o);
    p.challenge = fromB64(o.challenge);
    p.allowCredentials = descriptors(o.allowCredentials);
    return p;
  }

  // PublicKeyCredential as WebAuthn's JSON (RegistrationResponseJSON or
  // AuthenticationResponseJSON), for browsers without `toJSON`.
  function credentialJson(cred) {
    if (typeof cred.toJSON === "function") return cred.toJSON();
    var r = cred.response;
    var response = { clientDataJSON: toB64(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64(r.attestationObject);
      if (r.getTransports) response.transports = r.getTransports();
    } else {
      response.authenticatorData = toB64(r.authenticatorData);
      response.signature = toB64(r.signature);
      if (r.userHandle) response.userHandle = toB64(r.userHandle);
    }
    return {
      id: cred.id,
      rawId: toB64(cred.rawId),
      type: cred.type,
      response: response,
      authenticatorAttachment: cred.authenticatorAttachment || null,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
    };
  }

  // JSON to our API. The session cookie goes with it; the server refuses requests
  // from other sites by their Origin, as for every API call from a page.
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) {
          var e = new Error((data.error && data.error.message) || res.statusText);
          e.shown = true;
          e.code = data.error && data.error.code;
          throw e;
        }
        return data;
      });
    });
  }

  function showError(box, err) {
    if (!box) return;
    // The server's message is in the reader's language; the browser's own (a cancelled
    // dialog, say) is not, so the page's wording stands in for it.
    box.textContent = err && err.shown ? err.message : box.getAttribute("data-failed");
    // Announced when it appears; an empty, hidden alert would be one more alert on the page.
    box.setAttribute("role", "alert");
    box.hidden = false;
  }

  document.querySelectorAll("[data-passkey-register]").forEach(function (form) {
    var box = form.querySelector("[data-passkey-error]");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var name = form.querySelector("[name=name]").value;
      var button = form.querySelector("button");
      button.disabled = true;
      if (box) box.hidden = true;
      post("/api/v1/me/passkeys/registration", { name: name })
        .then(function (opts) {
          return navigator.credentials.create({ publicKey: creationOptions(opts.publicKey) });
        })
        .then(function (cred) {
          return post("/api/v1/me/passkeys/registration/finish", credentialJson(cred));
        })
        .then(function () {
          window.location.assign(form.getAttribute("data-done"));
        })
        .catch(function (err) {
          button.disabled = false;
          showError(box, err);
        });
    });
  });

  document.querySelectorAll("[data-passkey-login]").forEach(function (block) {
    var box = block.querySelector("[data-passkey-error]");
    var button = block.querySelector("button");
    block.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      if (box) box.hidden = true;
      post("/api/v1/session/passkey", {})
        .then(function (opts) {
          return navigator.credentials.get({ publicKey: requestOptions(opts.publicKey) });
        })
        .then(function (cred) {
          return post("/api/v1/session/passkey/finish", credentialJson(cred));
        })
        .then(function () {
          window.location.assign(block.getAttribute("data-done"));
        })
        .catch(function (err) {
          // A login that must change its password first continues on that page.
          if (err && err.code === "password_change_required") {
            window.location.assign("/account/password");
            return;
          }
          button.disabled = false;
          showError(box, err);
        });
    });
  });
})();

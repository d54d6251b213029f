//! Passkeys over HTTP, with a software authenticator: a P-256 key, "none" attestation,
//! and the authenticator data, attestation object and client data built by hand, as a
//! browser and a platform authenticator would send them.

use data_encoding::BASE64URL_NOPAD as B64;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::*;

/// A platform authenticator holding one discoverable credential.
pub(crate) struct Authenticator {
    key: SigningKey,
    credential_id: Vec<u8>,
    user_handle: Vec<u8>,
    counter: u32,
    origin: String,
}

fn cbor_head(major: u8, len: usize) -> Vec<u8> {
    let m = major << 5;
    match len {
        0..=23 => vec![m | len as u8],
        24..=255 => vec![m | 24, len as u8],
        _ => vec![m | 25, (len >> 8) as u8, len as u8],
    }
}

fn cbor_bytes(b: &[u8]) -> Vec<u8> {
    let mut out = cbor_head(2, b.len());
    out.extend_from_slice(b);
    out
}

fn cbor_text(s: &str) -> Vec<u8> {
    let mut out = cbor_head(3, s.len());
    out.extend_from_slice(s.as_bytes());
    out
}

fn sha256(b: &[u8]) -> Vec<u8> {
    Sha256::digest(b).to_vec()
}

impl Authenticator {
    /// A new authenticator for the test server; `seed` makes its key and credential id.
    pub(crate) fn new(t: &TestApp, seed: u32) -> Self {
        let seed = seed.to_be_bytes();
        let key = SigningKey::from_slice(&sha256(&[&seed[..], b"key"].concat())).unwrap();
        Self {
            key,
            credential_id: sha256(&[&seed[..], b"credential"].concat())[..20].to_vec(),
            user_handle: Vec::new(),
            counter: 0,
            origin: t.base.clone(),
        }
    }

    fn rp_id_hash(&self) -> Vec<u8> {
        let host = self.origin.trim_start_matches("http://");
        sha256(host.split(':').next().unwrap().as_bytes())
    }

    fn client_data(&self, kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
        format!(
            r#"{{"type":"{kind}","challenge":"{challenge}","origin":"{origin}","crossOrigin":false}}"#
        )
        .into_bytes()
    }

    /// COSE_Key for ES256, in CTAP2 canonical order (1, 3, -1, -2, -3).
    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_encoded_point(false);
        let mut out = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        out.extend(cbor_bytes(point.x().unwrap()));
        out.push(0x22);
        out.extend(cbor_bytes(point.y().unwrap()));
        out
    }

    /// `navigator.credentials.create` with the server's options.
    fn create(&mut self, options: &Value) -> Value {
        let o = &options["publicKey"];
        let challenge = o["challenge"].as_str().unwrap();
        self.user_handle = B64
            .decode(o["user"]["id"].as_str().unwrap().as_bytes())
            .unwrap();
        let client_data = self.client_data("webauthn.create", challenge, &self.origin.clone());
        // Flags: user present, user verified, attested credential data.
        let mut auth_data = self.rp_id_hash();
        auth_data.push(0x45);
        auth_data.extend(self.counter.to_be_bytes());
        auth_data.extend([0u8; 16]);
        auth_data.extend((self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend(&self.credential_id);
        auth_data.extend(self.cose_key());
        let mut att = vec![0xa3];
        att.extend(cbor_text("fmt"));
        att.extend(cbor_text("none"));
        att.extend(cbor_text("attStmt"));
        att.push(0xa0);
        att.extend(cbor_text("authData"));
        att.extend(cbor_bytes(&auth_data));
        json!({
            "id": B64.encode(&self.credential_id),
            "rawId": B64.encode(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": B64.encode(&client_data),
                "attestationObject": B64.encode(&att),
                "transports": ["internal"],
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        })
    }

    /// `navigator.credentials.get`, signing with the counter `counter`, as `origin`.
    fn assert_as(&self, options: &Value, counter: u32, origin: &str, user_handle: &[u8]) -> Value {
        let challenge = options["publicKey"]["challenge"].as_str().unwrap();
        let client_data = self.client_data("webauthn.get", challenge, origin);
        let mut auth_data = self.rp_id_hash();
        auth_data.push(0x05);
        auth_data.extend(counter.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend(sha256(&client_data));
        let signature: Signature = self.key.sign(&signed);
        json!({
            "id": B64.encode(&self.credential_id),
            "rawId": B64.encode(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": B64.encode(&client_data),
                "authenticatorData": B64.encode(&auth_data),
                "signature": B64.encode(signature.to_der().as_bytes()),
                "userHandle": B64.encode(user_handle),
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        })
    }

    /// `navigator.credentials.get` as the real authenticator does: counter moved on.
    fn get(&mut self, options: &Value) -> Value {
        self.counter += 1;
        let (origin, handle) = (self.origin.clone(), self.user_handle.clone());
        self.assert_as(options, self.counter, &origin, &handle)
    }
}

/// Registers a passkey for the logged-in client; its id.
pub(crate) async fn register(t: &TestApp, c: &Client, a: &mut Authenticator, name: &str) -> String {
    let (status, options) = t
        .post(
            c,
            "/api/v1/me/passkeys/registration",
            json!({ "name": name }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{options}");
    assert_eq!(
        options["publicKey"]["authenticatorSelection"]["userVerification"],
        "required"
    );
    let (status, body) = t
        .post(
            c,
            "/api/v1/me/passkeys/registration/finish",
            a.create(&options),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["name"], name);
    body["id"].as_str().unwrap().to_owned()
}

/// Starts a passkey login on `c` (its cookie, if any, decides which kind); the options.
async fn start_login(t: &TestApp, c: &Client) -> Value {
    let (status, options) = t.post(c, "/api/v1/session/passkey", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{options}");
    assert_eq!(options["publicKey"]["userVerification"], "required");
    options
}

async fn finish_login(t: &TestApp, c: &Client, assertion: Value) -> (StatusCode, Value) {
    t.post(c, "/api/v1/session/passkey/finish", assertion).await
}

/// The audit events with `action`, newest first, as the administrator reads them.
async fn events(t: &TestApp, action: &str) -> Vec<Value> {
    let admin = t.admin().await;
    // The filter matches a prefix and ignores `_`.
    let prefix = action.split('_').next().unwrap();
    let (status, body) = t
        .get(&admin, &format!("/api/v1/audit?action={prefix}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action)
        .cloned()
        .collect()
}

/// The logins and failed logins with a passkey, newest first (the administrator's own
/// password logins, which reading the trail needs, left out).
async fn passkey_logins(t: &TestApp) -> Vec<Value> {
    events(t, "login")
        .await
        .into_iter()
        .filter(|e| e["detail"]["method"] == "passkey")
        .collect()
}

/// A member of a new company, logged in with their own password.
async fn member(t: &TestApp, email: &str) -> (Client, String, String) {
    let admin = t.admin().await;
    let org = t.org(&admin, &format!("{email} 社"), "company", None).await;
    let id = t.person(&admin, "甲 一郎", email, &org).await;
    (t.first_login(email, "initial-pass-1").await, id, org)
}

#[tokio::test]
async fn a_registered_passkey_logs_in_without_a_password() {
    let t = TestApp::with_admin().await;
    let (c, id, _) = member(&t, "ichiro@ko.example.jp").await;
    let mut a = Authenticator::new(&t, 1);
    register(&t, &c, &mut a, "業務用PC").await;
    let (status, list) = t.get(&c, "/api/v1/me/passkeys").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["transports"], json!(["internal"]));

    let fresh = t.client();
    let options = start_login(&t, &fresh).await;
    let (status, me) = finish_login(&t, &fresh, a.get(&options)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["id"], id.as_str());
    let (status, me) = t.get(&fresh, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["email"], "ichiro@ko.example.jp");

    let registered = events(&t, "passkey.register").await;
    assert_eq!(registered[0]["outcome"], "success");
    assert_eq!(registered[0]["detail"]["name"], "業務用PC");
    let logins = passkey_logins(&t).await;
    let login = &logins[0];
    assert_eq!(login["outcome"], "success");
    assert_eq!(login["target_id"], id.as_str());
    t.verify_chain().await;
}

#[tokio::test]
async fn a_passkey_is_the_second_factor_where_the_organisation_requires_one() {
    let t = TestApp::with_admin().await;
    let (c, id, org) = member(&t, "ichiro@ko.example.jp").await;
    let mut a = Authenticator::new(&t, 1);
    register(&t, &c, &mut a, "業務用PC").await;
    let admin = t.admin().await;
    let (status, body) = t
        .patch(
            &admin,
            &format!("/api/v1/organisations/{org}"),
            json!({"require_totp": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The password alone opens nothing: the login waits for the passkey.
    let b = t.client();
    let (status, body) = t
        .post(
            &b,
            "/api/v1/session",
            json!({"email": "ichiro@ko.example.jp", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "passkey_required");
    assert_eq!(t.get(&b, "/api/v1/me").await.0, StatusCode::UNAUTHORIZED);

    let options = start_login(&t, &b).await;
    let (status, me) = finish_login(&t, &b, a.get(&options)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["id"], id.as_str());
    assert_eq!(t.get(&b, "/api/v1/me").await.0, StatusCode::OK);
    let second = events(&t, "login.second_factor").await;
    assert_eq!(second[0]["detail"]["method"], "passkey");

    // Through the pages the same: the password leads to the second-factor page.
    let browser = t.client();
    let res = browser
        .post(t.url("/login"))
        .form(&[("email", "ichiro@ko.example.jp"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/login/totp");
    let page = t.html(&browser, "/login/totp").await;
    assert!(page.contains("data-passkey-login"), "{page}");
}

#[tokio::test]
async fn an_assertion_from_another_origin_is_refused() {
    let t = TestApp::with_admin().await;
    let (c, _, _) = member(&t, "ichiro@ko.example.jp").await;
    let mut a = Authenticator::new(&t, 1);
    register(&t, &c, &mut a, "業務用PC").await;
    let fresh = t.client();
    let options = start_login(&t, &fresh).await;
    let handle = a.user_handle.clone();
    let phished = a.assert_as(&options, 1, "https://mamori.example.com", &handle);
    let (status, body) = finish_login(&t, &fresh, phished).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "passkey_failed");
    assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    assert_eq!(
        t.get(&fresh, "/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    let failed = passkey_logins(&t).await;
    assert_eq!(failed[0]["outcome"], "failure");
    assert_eq!(failed[0]["detail"]["reason"], "not_verified");
}

#[tokio::test]
async fn an_assertion_answers_its_challenge_once() {
    let t = TestApp::with_admin().await;
    let (c, _, _) = member(&t, "ichiro@ko.example.jp").await;
    let mut a = Authenticator::new(&t, 1);
    register(&t, &c, &mut a, "業務用PC").await;
    let first = t.client();
    let options = start_login(&t, &first).await;
    let assertion = a.get(&options);
    assert_eq!(
        finish_login(&t, &first, assertion.clone()).await.0,
        StatusCode::OK
    );
    // The same answer again (captured on the wire, say) opens nothing.
    let thief = t.client();
    let (status, body) = finish_login(&t, &thief, assertion).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(
        t.get(&thief, "/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        passkey_logins(&t).await[0]["detail"]["reason"],
        "unknown_challenge"
    );
}

#[tokio::test]
async fn a_counter_going_backwards_is_refused() {
    let t = TestApp::with_admin().await;
    let (c, _, _) = member(&t, "ichiro@ko.example.jp").await;
    let mut a = Authenticator::new(&t, 1);
    register(&t, &c, &mut a, "業務用PC").await;
    let handle = a.user_handle.clone();
    let origin = t.base.clone();

    // An authenticator that keeps no counter (always zero) logs in again and again.
    for _ in 0..2 {
        let c = t.client();
        let options = start_login(&t, &c).await;
        let (status, body) = finish_login(&t, &c, a.assert_as(&options, 0, &origin, &handle)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let c = t.client();
    let options = start_login(&t, &c).await;
    assert_eq!(
        finish_login(&t, &c, a.assert_as(&options, 7, &origin, &handle))
            .await
            .0,
        StatusCode::OK
    );
    // A clone still at 5 is refused, and so is one that repeats 7.
    for counter in [5, 7] {
        let clone = t.client();
        let options = start_login(&t, &clone).await;
        let (status, body) =
            finish_login(&t, &clone, a.assert_as(&options, counter, &origin, &handle)).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "counter {counter}: {body}"
        );
        assert_eq!(
            passkey_logins(&t).await[0]["detail"]["reason"],
            "counter_went_back"
        );
    }
    let (_, list) = t.get(&c, "/api/v1/me/passkeys").await;
    assert_eq!(list[0]["sign_count"], 7);
}

#[tokio::test]
async fn a_removed_passkey_no_longer_logs_in() {
    let t = TestApp::with_admin().await;
    let (c, person, _) = member(&t, "ichiro@ko.example.jp").await;
    let mut a = Authenticator::new(&t, 1);
    let id = register(&t, &c, &mut a, "業務用PC").await;
    let mut b = Authenticator::new(&t, 2);
    let lost = register(&t, &c, &mut b, "紛失したキー").await;

    // Another company's member may not remove it; the administrator may (a lost key).
    let (other, _, _) = member(&t, "jiro@otsu.example.jp").await;
    let res = other
        .delete(t.url(&format!("/api/v1/persons/{person}/passkeys/{lost}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let admin = t.admin().await;
    let res = admin
        .delete(t.url(&format!("/api/v1/persons/{person}/passkeys/{lost}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let res = c
        .delete(t.url(&format!("/api/v1/me/passkeys/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (_, list) = t.get(&c, "/api/v1/me/passkeys").await;
    assert_eq!(list, json!([]));
    for key in [&mut a, &mut b] {
        let fresh = t.client();
        let options = start_login(&t, &fresh).await;
        let (status, body) = finish_login(&t, &fresh, key.get(&options)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    let removed = events(&t, "passkey.remove").await;
    let outcomes: Vec<&str> = removed
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["success", "success", "denied"]);
    // With no passkey left, the password alone logs in again.
    t.login("ichiro@ko.example.jp", PASSWORD).await;
}

#[tokio::test]
async fn another_persons_passkey_never_logs_in_as_you() {
    let t = TestApp::with_admin().await;
    let (ichiro, _, _) = member(&t, "ichiro@ko.example.jp").await;
    let (jiro, jiro_id, _) = member(&t, "jiro@otsu.example.jp").await;
    let mut mine = Authenticator::new(&t, 1);
    register(&t, &ichiro, &mut mine, "一郎のキー").await;
    let mut theirs = Authenticator::new(&t, 2);
    register(&t, &jiro, &mut theirs, "次郎のキー").await;

    // Jiro knows Ichiro's password but holds only his own passkey: the second factor of
    // Ichiro's login refuses it.
    let c = t.client();
    let (status, _) = t
        .post(
            &c,
            "/api/v1/session",
            json!({"email": "ichiro@ko.example.jp", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let options = start_login(&t, &c).await;
    let (status, body) = finish_login(&t, &c, theirs.get(&options)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(t.get(&c, "/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        passkey_logins(&t).await[0]["detail"]["reason"],
        "wrong_session"
    );

    // Without a password: Jiro's key claiming Ichiro's user handle does not verify.
    let fresh = t.client();
    let options = start_login(&t, &fresh).await;
    let forged = theirs.assert_as(&options, 10, &t.base, &mine.user_handle);
    let (status, _) = finish_login(&t, &fresh, forged).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // And his own key logs in as himself, never as Ichiro.
    let fresh = t.client();
    let options = start_login(&t, &fresh).await;
    let (status, me) = finish_login(&t, &fresh, theirs.get(&options)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["id"], jiro_id.as_str());
}

#[tokio::test]
async fn only_a_login_registers_a_passkey() {
    let t = TestApp::with_admin().await;
    let anonymous = t.client();
    let (status, _) = t
        .post(
            &anonymous,
            "/api/v1/me/passkeys/registration",
            json!({"name": "鍵"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (c, _, _) = member(&t, "ichiro@ko.example.jp").await;
    let (status, body) = t
        .post(&c, "/api/v1/me/passkeys/registration", json!({"name": " "}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["name"].is_string(), "{body}");
    // A personal API token acts as the person but cannot give itself a way to log in.
    let (status, made) = t
        .post(
            &c,
            "/api/v1/me/tokens",
            json!({"name": "集計", "scopes": ["write"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let res = t
        .client()
        .post(t.url("/api/v1/me/passkeys/registration"))
        .bearer_auth(made["token"].as_str().unwrap())
        .json(&json!({"name": "鍵"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // An answer to a challenge this session never asked for is refused.
    let mut a = Authenticator::new(&t, 1);
    let (_, options) = t
        .post(
            &c,
            "/api/v1/me/passkeys/registration",
            json!({"name": "鍵"}),
        )
        .await;
    let answer = a.create(&options);
    let (other, _, _) = member(&t, "jiro@otsu.example.jp").await;
    let (status, body) = t
        .post(&other, "/api/v1/me/passkeys/registration/finish", answer)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, list) = t.get(&other, "/api/v1/me/passkeys").await;
    assert_eq!(list, json!([]));
    assert_eq!(
        events(&t, "passkey.register").await[0]["outcome"],
        "failure"
    );
}

#[tokio::test]
async fn the_account_page_lists_and_removes_passkeys_without_javascript() {
    let t = TestApp::with_admin().await;
    let (_, _, _) = member(&t, "ichiro@ko.example.jp").await;
    let c = t.browser("ichiro@ko.example.jp", PASSWORD).await;
    let mut a = Authenticator::new(&t, 1);
    let id = register(&t, &c, &mut a, "業務用PC").await;
    let page = t.html(&c, "/account/passkeys").await;
    assert!(page.contains("業務用PC"), "{page}");
    assert!(page.contains("data-passkey-register"));
    let csrf = crate::auth::hidden(&page, "_csrf");
    // Without the form token the removal is refused.
    let res = c
        .post(t.url(&format!("/account/passkeys/{id}/remove")))
        .form(&[("_csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = c
        .post(t.url(&format!("/account/passkeys/{id}/remove")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        "/account/passkeys?notice=passkey-removed"
    );
    let page = t.html(&c, "/account/passkeys?notice=passkey-removed").await;
    assert!(!page.contains("業務用PC"), "{page}");
    assert!(page.contains("パスキーを削除しました。"));
    let login = t.html(&t.client(), "/login").await;
    assert!(login.contains("data-passkey-login"));
    assert!(login.contains("/assets/passkey.js"));
    let js = t
        .client()
        .get(t.url("/assets/passkey.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), StatusCode::OK);
}

//! Sign-in with the office's directory (OpenID Connect): who a verified ID token is in
//! mamori, whether they still owe a second factor, and the session that follows.
//!
//! A sign-in started here is kept in the database (`oidc_logins`, by the hash of its
//! `state`), not in the server's memory, so that the browser may come back to any server
//! behind a load balancer; it is taken (deleted) when the browser comes back, so that one
//! `state` signs in once. The rules that decide the person and the stage are pure
//! functions at the end of this file.
//!
//! The local lockout is left alone, in both directions. A refusal here tests no local
//! secret (the directory checked the password and keeps its own lockout), so counting it
//! would let anyone who can reach the directory lock a colleague out of mamori by signing
//! in badly as themselves; and a directory sign-in does not clear a lock that wrong local
//! passwords set, since that would give a password guesser a fresh count.

use std::path::PathBuf;
use std::sync::Arc;

use jiff::SignedDuration;
use mamori_auth::oidc::{self, Claims, Provider};
use mamori_auth::token;
use mamori_domain::audit::Outcome;
use mamori_domain::person::{Email, PersonName};
use mamori_storage::oidc as store;
use mamori_storage::sessions::{self, NewSession, stage};
use mamori_storage::{Ts, persons};
use uuid::Uuid;

use crate::{App, AppError, Event, LoginOutcome};

/// How long a browser has to come back from the directory.
const LOGIN_MINUTES: i64 = 10;

/// The button's text when the installation gives none.
pub const DEFAULT_LABEL: &str = "組織のアカウントでログイン";

/// How a directory sign-in finds its person when no subject is bound yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OidcMatch {
    /// By the ID token's `email` (unless `email_verified` is false) against the login
    /// e-mail; the subject is then bound to the person.
    Email,
    /// Only by a subject already bound (at an earlier sign-in, or when the sign-in
    /// created the person): e-mail addresses are not trusted to name anyone.
    Subject,
}

/// What `mamori serve` was told about the directory.
#[derive(Debug, Clone)]
pub struct OidcOptions {
    /// The issuer (discovery reads `{issuer}/.well-known/openid-configuration`).
    pub issuer: String,
    /// mamori's client id there.
    pub client_id: String,
    /// Its secret (none for a public client).
    pub client_secret: Option<String>,
    /// The button's text.
    pub label: String,
    /// How people are found.
    pub matching: OidcMatch,
    /// Where a person unknown to mamori is created; `None`: nobody is created.
    pub create_in: Option<Uuid>,
    /// The office's own certificate authority (PEM), for the provider's TLS.
    pub ca_file: Option<PathBuf>,
    /// Whether the ID token's `amr` may stand for mamori's second factor.
    pub trust_amr: bool,
}

/// The directory, ready to use (the provider itself is discovered at first sign-in).
#[derive(Debug, Clone)]
pub struct OidcSettings {
    /// The client.
    pub provider: Arc<Provider>,
    /// The button's text.
    pub label: String,
    /// How people are found.
    pub matching: OidcMatch,
    /// Where unknown people are created, if anywhere.
    pub create_in: Option<Uuid>,
    /// Whether `amr` may stand for the second factor.
    pub trust_amr: bool,
}

impl OidcOptions {
    /// Checks what can be checked without the provider (the issuer's form, the
    /// certificate file) and prepares the client.
    pub fn into_settings(self) -> Result<OidcSettings, AppError> {
        let ca_pem =
            match &self.ca_file {
                Some(path) => Some(std::fs::read(path).map_err(|e| {
                    AppError::Internal(format!("cannot read {}: {e}", path.display()))
                })?),
                None => None,
            };
        let provider = Provider::new(oidc::Config {
            issuer: self.issuer.trim_end_matches('/').to_owned(),
            client_id: self.client_id,
            client_secret: self.client_secret.filter(|s| !s.is_empty()),
            ca_pem,
        })
        .map_err(|e| AppError::Internal(e.to_string()))?;
        let label = self.label.trim();
        Ok(OidcSettings {
            provider: Arc::new(provider),
            label: if label.is_empty() {
                DEFAULT_LABEL.to_owned()
            } else {
                label.to_owned()
            },
            matching: self.matching,
            create_in: self.create_in,
            trust_amr: self.trust_amr,
        })
    }
}

/// Why a directory sign-in did not sign anyone in. Each is an audit event (`login`,
/// failure or denied, with the reason) and a message on the login page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OidcRefusal {
    /// The directory could not be reached (or answered nonsense).
    ProviderUnavailable,
    /// The directory answered with an error (`access_denied`: the person cancelled, or the
    /// directory does not let them use mamori).
    ProviderError,
    /// No sign-in of this browser has this `state`: forged, already used, or from another
    /// browser.
    BadState,
    /// The browser came back too late.
    Expired,
    /// The code or the ID token did not verify.
    TokenInvalid,
    /// Matching by e-mail, and the token has no e-mail.
    NoEmail,
    /// The directory says the e-mail is not verified.
    EmailUnverified,
    /// Nobody in mamori is this person, and nobody is created.
    NoMatch,
    /// The person found by e-mail is bound to another subject of this directory.
    OtherSubject,
    /// Creating the person: their e-mail already belongs to someone mamori does not match
    /// it to (matching by subject).
    EmailTaken,
    /// The person's account is deactivated.
    Inactive,
}

impl OidcRefusal {
    /// The audit detail's reason, and the end of the message's id (`oidc-refused-…`).
    pub fn reason(self) -> &'static str {
        match self {
            OidcRefusal::ProviderUnavailable => "provider_unavailable",
            OidcRefusal::ProviderError => "provider_error",
            OidcRefusal::BadState => "bad_state",
            OidcRefusal::Expired => "expired",
            OidcRefusal::TokenInvalid => "token_invalid",
            OidcRefusal::NoEmail => "no_email",
            OidcRefusal::EmailUnverified => "email_unverified",
            OidcRefusal::NoMatch => "no_match",
            OidcRefusal::OtherSubject => "other_subject",
            OidcRefusal::EmailTaken => "email_taken",
            OidcRefusal::Inactive => "inactive",
        }
    }

    /// Refused by a rule about the person (denied) rather than by a failed exchange.
    fn outcome(self) -> Outcome {
        match self {
            OidcRefusal::NoMatch
            | OidcRefusal::Inactive
            | OidcRefusal::EmailUnverified
            | OidcRefusal::NoEmail
            | OidcRefusal::OtherSubject
            | OidcRefusal::EmailTaken => Outcome::Denied,
            _ => Outcome::Failure,
        }
    }
}

/// A started sign-in: where to send the browser, and the `state` for the browser's cookie.
#[derive(Debug)]
pub struct OidcRedirect {
    /// The directory's address.
    pub url: String,
    /// The `state`, which the callback must find in the cookie too.
    pub state: String,
}

/// What the directory sent back to the callback.
#[derive(Debug, Default, Clone)]
pub struct OidcCallback {
    /// `state` from the query.
    pub state: Option<String>,
    /// `code`.
    pub code: Option<String>,
    /// `error` (e.g. `access_denied`).
    pub error: Option<String>,
    /// The `state` this browser kept in its cookie when it left.
    pub cookie_state: Option<String>,
}

/// A directory sign-in that started a session.
#[derive(Debug, Clone)]
pub struct OidcSignedIn {
    /// The session, as a password login gives it.
    pub login: LoginOutcome,
    /// Where the person was going before signing in.
    pub return_to: String,
}

impl App {
    /// The directory's button text, when sign-in with the directory is configured.
    pub fn oidc_label(&self) -> Option<&str> {
        self.settings.oidc.as_ref().map(|o| o.label.as_str())
    }

    /// Starts a sign-in with the directory: keeps its `state` (hashed), nonce and PKCE
    /// verifier, and answers the directory's address. `None` when no directory is
    /// configured; a refusal when it cannot be reached.
    pub async fn start_oidc_login(
        &self,
        redirect_uri: &str,
        return_to: &str,
    ) -> Result<Option<Result<OidcRedirect, OidcRefusal>>, AppError> {
        let Some(oidc) = &self.settings.oidc else {
            return Ok(None);
        };
        let started = match oidc.provider.start(redirect_uri).await {
            Ok(s) => s,
            Err(oidc::Error::Config(e)) => return Err(AppError::Internal(e)),
            Err(e) => {
                // Nobody was refused yet: the log says the directory is down, the page says
                // to try later. Not an audit event, so that a down directory does not fill
                // the trail with a line per click.
                tracing::warn!(error = %e, "the directory could not be reached to start a sign-in");
                return Ok(Some(Err(OidcRefusal::ProviderUnavailable)));
            }
        };
        let now = self.now();
        let mut tx = self.db.begin().await?;
        store::delete_expired_logins(&mut tx, now).await?;
        store::insert_login(
            &mut tx,
            &store::NewLogin {
                state_hash: &token::hash_token(&started.state),
                nonce: &started.nonce,
                pkce_verifier: &started.pkce_verifier,
                return_to: safe_return(return_to),
                now,
                expires_at: Ts(now.0 + SignedDuration::from_mins(LOGIN_MINUTES)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Some(Ok(OidcRedirect {
            url: started.url,
            state: started.state,
        })))
    }

    /// Finishes a sign-in when the browser comes back: checks the `state` (once, within
    /// its time, from the browser that left), exchanges the code, verifies the ID token,
    /// finds or creates the person and starts a session as a password login does. `None`
    /// when no directory is configured.
    pub async fn finish_oidc_login(
        &self,
        redirect_uri: &str,
        callback: &OidcCallback,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Result<Option<Result<OidcSignedIn, OidcRefusal>>, AppError> {
        let Some(oidc) = self.settings.oidc.clone() else {
            return Ok(None);
        };
        let ip = ip.as_deref();
        let issuer = oidc.provider.issuer();
        // The sign-in is taken whatever the answer: a state answers once.
        let taken = match callback.state.as_deref().filter(|s| !s.is_empty()) {
            Some(state) => {
                let mut tx = self.db.begin().await?;
                let row = store::take_login(&mut tx, &token::hash_token(state)).await?;
                tx.commit().await?;
                row
            }
            None => None,
        };
        if let Some(error) = &callback.error {
            let error: String = error.chars().take(100).collect();
            return self
                .oidc_refused(
                    OidcRefusal::ProviderError,
                    None,
                    ip,
                    serde_json::json!({ "issuer": issuer, "error": error }),
                )
                .await;
        }
        let same_browser = match (&callback.state, &callback.cookie_state) {
            (Some(q), Some(c)) => token::same_secret(q, c),
            _ => false,
        };
        let (Some(login), true, Some(code)) = (taken, same_browser, callback.code.as_deref())
        else {
            return self
                .oidc_refused(
                    OidcRefusal::BadState,
                    None,
                    ip,
                    serde_json::json!({ "issuer": issuer }),
                )
                .await;
        };
        let now = self.now();
        if login.expires_at <= now {
            return self
                .oidc_refused(
                    OidcRefusal::Expired,
                    None,
                    ip,
                    serde_json::json!({ "issuer": issuer }),
                )
                .await;
        }
        let claims = match oidc
            .provider
            .finish(redirect_uri, code, &login.nonce, &login.pkce_verifier)
            .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "a directory sign-in did not verify");
                let refusal = match e {
                    oidc::Error::Unavailable(_) => OidcRefusal::ProviderUnavailable,
                    _ => OidcRefusal::TokenInvalid,
                };
                let detail: String = e.to_string().chars().take(300).collect();
                return self
                    .oidc_refused(
                        refusal,
                        None,
                        ip,
                        serde_json::json!({ "issuer": issuer, "error": detail }),
                    )
                    .await;
            }
        };
        let about = serde_json::json!({
            "issuer": claims.issuer,
            "subject": claims.subject,
            "email": claims.email,
        });
        let found = self.find_directory_person(&oidc, &claims).await?;
        let decision = decide(&oidc_rules(&oidc), &claims, &found);
        let (person, bind) = match decision {
            Decision::Refuse(refusal) => {
                let person = found.bound.or(found.by_email.map(|p| p.id));
                return self.oidc_refused(refusal, person, ip, about).await;
            }
            Decision::SignIn { person, bind } => (person, bind),
            Decision::Create => {
                let Some(org) = oidc.create_in else {
                    return self
                        .oidc_refused(OidcRefusal::NoMatch, None, ip, about)
                        .await;
                };
                let created = self.create_directory_person(org, &claims, ip).await?;
                match created {
                    Some(id) => (id, false),
                    None => {
                        return self
                            .oidc_refused(OidcRefusal::EmailTaken, None, ip, about)
                            .await;
                    }
                }
            }
        };
        let creds = persons::credentials(&self.db, person).await?;
        if !creds.active {
            return self
                .oidc_refused(OidcRefusal::Inactive, Some(person), ip, about)
                .await;
        }
        let totp_required =
            mamori_storage::organisations::totp_required(&self.db, creds.organisation_id).await?;
        let has_passkey = mamori_storage::passkeys::exists_for_person(&self.db, person).await?;
        let amr_counts = oidc.trust_amr && amr_is_multi_factor(&claims.amr);
        let next = directory_stage(StageFacts {
            has_totp: creds.totp_secret.is_some(),
            has_passkey,
            totp_required,
            amr_counts,
        });

        let mut tx = self.db.begin().await?;
        if bind
            && !store::bind_subject(&mut tx, &claims.issuer, &claims.subject, person, now).await?
        {
            // Another sign-in bound this subject or this person meanwhile: start again.
            drop(tx);
            return self
                .oidc_refused(OidcRefusal::OtherSubject, Some(person), ip, about)
                .await;
        }
        if bind {
            self.record(
                &mut tx,
                Some(person),
                ip,
                Event {
                    action: "person.bind_directory",
                    organisation: Some(creds.organisation_id),
                    target_kind: "person",
                    target_id: Some(person.to_string()),
                    outcome: Outcome::Success,
                    detail: about.clone(),
                },
            )
            .await?;
        }
        store::touch_subject(&mut tx, &claims.issuer, &claims.subject, now).await?;
        let token = token::random_token();
        let user_agent: Option<String> = user_agent.map(|u| u.chars().take(200).collect());
        sessions::insert(
            &mut tx,
            &NewSession {
                id_hash: &token::hash_token(&token),
                person,
                stage: next,
                csrf_token: &token::random_token(),
                now,
                expires_at: Ts(now.0 + SignedDuration::from_hours(self.settings.session_max_hours)),
                ip,
                user_agent: user_agent.as_deref(),
                via_directory: true,
            },
        )
        .await?;
        self.record(
            &mut tx,
            Some(person),
            ip,
            Event {
                action: "login",
                organisation: Some(creds.organisation_id),
                target_kind: "person",
                target_id: Some(person.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({
                    "method": "oidc",
                    "issuer": claims.issuer,
                    "subject": claims.subject,
                    "stage": next,
                    "amr": claims.amr,
                    "second_factor_by_directory": amr_counts,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Some(Ok(OidcSignedIn {
            login: LoginOutcome {
                token,
                stage: next,
                person,
            },
            return_to: login.return_to,
        })))
    }

    /// The people a token may name: the one its subject is bound to, and the one with its
    /// e-mail (with the subject that person is bound to, if any).
    async fn find_directory_person(
        &self,
        oidc: &OidcSettings,
        claims: &Claims,
    ) -> Result<Found, AppError> {
        let bound = store::person_of_subject(&self.db, &claims.issuer, &claims.subject).await?;
        let mut by_email = None;
        if bound.is_none() && oidc.matching == OidcMatch::Email {
            let email = claims.email.as_deref().and_then(|e| Email::parse(e).ok());
            if let Some(email) = email
                && let Some(c) = persons::credentials_by_email(&self.db, email.as_ref()).await?
            {
                let subject = store::subject_of_person(&self.db, &claims.issuer, c.id).await?;
                by_email = Some(EmailMatch {
                    id: c.id,
                    bound_subject: subject,
                });
            }
        }
        Ok(Found { bound, by_email })
    }

    /// Creates the person a sign-in names, with no roles, bound to its subject. `None`
    /// when the e-mail already belongs to someone.
    async fn create_directory_person(
        &self,
        org: Uuid,
        claims: &Claims,
        ip: Option<&str>,
    ) -> Result<Option<Uuid>, AppError> {
        let email = claims
            .email
            .as_deref()
            .and_then(|e| Email::parse(e).ok())
            .ok_or_else(|| AppError::Internal("creating a person without an e-mail".into()))?;
        // The directory's name if mamori accepts it; else the address, which an
        // administrator may correct.
        let name = claims
            .name
            .as_deref()
            .and_then(|n| PersonName::parse(n).ok())
            .map(|n| n.as_ref().to_owned())
            .unwrap_or_else(|| email.as_ref().to_owned());
        if persons::credentials_by_email(&self.db, email.as_ref())
            .await?
            .is_some()
        {
            return Ok(None);
        }
        let now = self.now();
        let id = Uuid::now_v7();
        let mut tx = self.db.begin().await?;
        let inserted = persons::insert(
            &mut tx,
            &persons::NewPerson {
                id,
                organisation: org,
                name: &name,
                email: email.as_ref(),
                // Not a hash: no password opens it (a directory person signs in through the
                // directory; an administrator may give them a password later).
                password_hash: DIRECTORY_ONLY,
                must_change_password: false,
                now,
            },
        )
        .await;
        match inserted {
            Ok(()) => {}
            Err(mamori_storage::StorageError::Conflict(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        if !store::bind_subject(&mut tx, &claims.issuer, &claims.subject, id, now).await? {
            return Ok(None);
        }
        self.record(
            &mut tx,
            None,
            ip,
            Event {
                action: "person.create",
                organisation: Some(org),
                target_kind: "person",
                target_id: Some(id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({
                    "name": name,
                    "email": email.as_ref(),
                    "source": "oidc",
                    "issuer": claims.issuer,
                    "subject": claims.subject,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    async fn oidc_refused<T>(
        &self,
        refusal: OidcRefusal,
        person: Option<Uuid>,
        ip: Option<&str>,
        mut detail: serde_json::Value,
    ) -> Result<Option<Result<T, OidcRefusal>>, AppError> {
        let organisation = match person {
            Some(p) => Some(persons::credentials(&self.db, p).await?.organisation_id),
            None => None,
        };
        if let Some(d) = detail.as_object_mut() {
            d.insert("method".into(), "oidc".into());
            d.insert("reason".into(), refusal.reason().into());
        }
        let mut tx = self.db.begin().await?;
        self.record(
            &mut tx,
            person,
            ip,
            Event {
                action: "login",
                organisation,
                target_kind: "person",
                target_id: person.map(|p| p.to_string()),
                outcome: refusal.outcome(),
                detail,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Some(Err(refusal)))
    }
}

/// Stored where a password hash goes for a person created by a directory sign-in: it is
/// no PHC string, so no password verifies against it.
const DIRECTORY_ONLY: &str = "!directory";

/// Only a path of mamori's own (`/…`, not `//host`): the return address must not send a
/// signed-in person to another site.
fn safe_return(path: &str) -> &str {
    if path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\") {
        path
    } else {
        "/"
    }
}

/// The person found by e-mail, and the subject of this directory they are bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct EmailMatch {
    id: Uuid,
    bound_subject: Option<String>,
}

/// Who a token may name in mamori.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Found {
    /// The person its subject is bound to.
    bound: Option<Uuid>,
    /// The person with its e-mail (looked for only when matching by e-mail and unbound).
    by_email: Option<EmailMatch>,
}

#[derive(Debug, Clone, Copy)]
struct Rules {
    matching: OidcMatch,
    may_create: bool,
}

fn oidc_rules(o: &OidcSettings) -> Rules {
    Rules {
        matching: o.matching,
        may_create: o.create_in.is_some(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Decision {
    /// This person; `bind`: bind the token's subject to them first.
    SignIn {
        person: Uuid,
        bind: bool,
    },
    /// Create the person (in the configured organisation).
    Create,
    Refuse(OidcRefusal),
}

/// Who a verified token signs in. A bound subject decides alone, whatever the e-mail
/// says now (addresses change and are reassigned; the subject is the directory's lasting
/// id). Otherwise, matching by e-mail, the address must be present, not marked
/// unverified, and its person not bound to another subject of this directory (that would
/// be another directory account reusing the address). A person nobody matches is created
/// only when the installation allows it, and then needs a verified address too.
fn decide(rules: &Rules, claims: &Claims, found: &Found) -> Decision {
    if let Some(person) = found.bound {
        return Decision::SignIn {
            person,
            bind: false,
        };
    }
    let email_usable = match (&claims.email, claims.email_verified) {
        (None, _) => Err(OidcRefusal::NoEmail),
        (Some(_), Some(false)) => Err(OidcRefusal::EmailUnverified),
        (Some(_), _) => Ok(()),
    };
    if rules.matching == OidcMatch::Email {
        if let Err(refusal) = email_usable {
            return Decision::Refuse(refusal);
        }
        if let Some(m) = &found.by_email {
            return match &m.bound_subject {
                Some(s) if *s != claims.subject => Decision::Refuse(OidcRefusal::OtherSubject),
                _ => Decision::SignIn {
                    person: m.id,
                    bind: true,
                },
            };
        }
    }
    if !rules.may_create {
        return Decision::Refuse(OidcRefusal::NoMatch);
    }
    match email_usable {
        Ok(()) => Decision::Create,
        Err(refusal) => Decision::Refuse(refusal),
    }
}

/// What decides the stage a directory sign-in starts in.
#[derive(Debug, Clone, Copy, Default)]
struct StageFacts {
    has_totp: bool,
    has_passkey: bool,
    totp_required: bool,
    /// `--oidc-trust-amr` is on and the token's `amr` shows several factors.
    amr_counts: bool,
}

/// The same stages as a password login, without the forced password change (the person
/// did not use a local password): a person with TOTP or a passkey is asked for it, a person
/// whose organisation requires a second factor enrols one, unless the directory vouches
/// for a multi-factor sign-in and the installation trusts it to.
fn directory_stage(f: StageFacts) -> &'static str {
    if f.amr_counts {
        stage::FULL
    } else if f.has_totp || f.has_passkey {
        stage::TOTP
    } else if f.totp_required {
        stage::TOTP_SETUP
    } else {
        stage::FULL
    }
}

/// Whether an `amr` claim (RFC 8176) says the person used more than one factor: `mfa`
/// itself, or methods of two different kinds among something known (`pwd`, `pin`, `kba`),
/// something held (`otp`, `hwk`, `swk`, `sc`, `sms`, `tel`) and something one is (`fpt`,
/// `face`, `iris`, `retina`, `vbm`). One method alone is one factor, even a hardware key:
/// the claim does not say whether it checked a PIN, and `pwd` with `rba` (risk-based)
/// is still a password.
pub(crate) fn amr_is_multi_factor(amr: &[String]) -> bool {
    let mut known = false;
    let mut held = false;
    let mut inherent = false;
    for m in amr {
        match m.as_str() {
            "mfa" => return true,
            "pwd" | "pin" | "kba" => known = true,
            "otp" | "hwk" | "swk" | "sc" | "sms" | "tel" => held = true,
            "fpt" | "face" | "iris" | "retina" | "vbm" => inherent = true,
            _ => {}
        }
    }
    u8::from(known) + u8::from(held) + u8::from(inherent) >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(email: Option<&str>, verified: Option<bool>) -> Claims {
        Claims {
            issuer: "https://idp.example.go.jp".into(),
            subject: "sub-1".into(),
            email: email.map(str::to_owned),
            email_verified: verified,
            name: Some("組織 太郎".into()),
            amr: vec![],
        }
    }

    const BY_EMAIL: Rules = Rules {
        matching: OidcMatch::Email,
        may_create: false,
    };
    const BY_SUBJECT: Rules = Rules {
        matching: OidcMatch::Subject,
        may_create: false,
    };

    fn person(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn by_email(id: Uuid, bound: Option<&str>) -> Found {
        Found {
            bound: None,
            by_email: Some(EmailMatch {
                id,
                bound_subject: bound.map(str::to_owned),
            }),
        }
    }

    #[test]
    fn a_bound_subject_decides_whatever_the_email_says() {
        let found = Found {
            bound: Some(person(1)),
            by_email: None,
        };
        for c in [
            claims(Some("other@example.go.jp"), Some(true)),
            claims(None, None),
            claims(Some("x@example.go.jp"), Some(false)),
        ] {
            for rules in [BY_EMAIL, BY_SUBJECT] {
                assert_eq!(
                    decide(&rules, &c, &found),
                    Decision::SignIn {
                        person: person(1),
                        bind: false
                    }
                );
            }
        }
    }

    #[test]
    fn an_email_match_binds_the_subject_unless_the_email_is_unverified() {
        let found = by_email(person(2), None);
        let bind = Decision::SignIn {
            person: person(2),
            bind: true,
        };
        // Absent `email_verified` is not "false": Entra ID sends none.
        assert_eq!(
            decide(&BY_EMAIL, &claims(Some("a@example.go.jp"), None), &found),
            bind
        );
        assert_eq!(
            decide(
                &BY_EMAIL,
                &claims(Some("a@example.go.jp"), Some(true)),
                &found
            ),
            bind
        );
        assert_eq!(
            decide(
                &BY_EMAIL,
                &claims(Some("a@example.go.jp"), Some(false)),
                &found
            ),
            Decision::Refuse(OidcRefusal::EmailUnverified)
        );
        assert_eq!(
            decide(&BY_EMAIL, &claims(None, None), &Found::default()),
            Decision::Refuse(OidcRefusal::NoEmail)
        );
    }

    #[test]
    fn a_person_bound_to_another_subject_is_not_taken_over_by_email() {
        let c = claims(Some("a@example.go.jp"), Some(true));
        assert_eq!(
            decide(&BY_EMAIL, &c, &by_email(person(3), Some("sub-0"))),
            Decision::Refuse(OidcRefusal::OtherSubject)
        );
        // Bound to this very subject (a race with another sign-in): fine.
        assert_eq!(
            decide(&BY_EMAIL, &c, &by_email(person(3), Some("sub-1"))),
            Decision::SignIn {
                person: person(3),
                bind: true
            }
        );
    }

    #[test]
    fn matching_by_subject_ignores_the_email() {
        let c = claims(Some("a@example.go.jp"), Some(true));
        assert_eq!(
            decide(&BY_SUBJECT, &c, &Found::default()),
            Decision::Refuse(OidcRefusal::NoMatch)
        );
    }

    #[test]
    fn nobody_is_created_unless_allowed_and_then_only_with_a_usable_email() {
        let c = claims(Some("new@example.go.jp"), Some(true));
        assert_eq!(
            decide(&BY_EMAIL, &c, &Found::default()),
            Decision::Refuse(OidcRefusal::NoMatch)
        );
        for matching in [OidcMatch::Email, OidcMatch::Subject] {
            let rules = Rules {
                matching,
                may_create: true,
            };
            assert_eq!(decide(&rules, &c, &Found::default()), Decision::Create);
            assert_eq!(
                decide(
                    &rules,
                    &claims(Some("new@example.go.jp"), Some(false)),
                    &Found::default()
                ),
                Decision::Refuse(OidcRefusal::EmailUnverified)
            );
            assert_eq!(
                decide(&rules, &claims(None, None), &Found::default()),
                Decision::Refuse(OidcRefusal::NoEmail)
            );
        }
    }

    #[test]
    fn the_stage_follows_the_password_login_without_the_password_change() {
        let f = StageFacts::default();
        assert_eq!(directory_stage(f), stage::FULL);
        for f in [
            StageFacts {
                has_totp: true,
                ..f
            },
            StageFacts {
                has_passkey: true,
                ..f
            },
        ] {
            assert_eq!(directory_stage(f), stage::TOTP);
            assert_eq!(
                directory_stage(StageFacts {
                    amr_counts: true,
                    ..f
                }),
                stage::FULL
            );
        }
        let required = StageFacts {
            totp_required: true,
            ..f
        };
        assert_eq!(directory_stage(required), stage::TOTP_SETUP);
        assert_eq!(
            directory_stage(StageFacts {
                amr_counts: true,
                ..required
            }),
            stage::FULL
        );
    }

    #[test]
    fn amr_counts_only_for_several_factors() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(amr_is_multi_factor(&v(&["mfa"])));
        assert!(amr_is_multi_factor(&v(&["pwd", "mfa"])));
        assert!(amr_is_multi_factor(&v(&["pwd", "otp"])));
        assert!(amr_is_multi_factor(&v(&["hwk", "pin"])));
        assert!(amr_is_multi_factor(&v(&["swk", "fpt"])));
        assert!(!amr_is_multi_factor(&v(&[])));
        assert!(!amr_is_multi_factor(&v(&["pwd"])));
        assert!(!amr_is_multi_factor(&v(&["otp"])));
        assert!(!amr_is_multi_factor(&v(&["hwk"])));
        assert!(!amr_is_multi_factor(&v(&["pwd", "rba"])));
        assert!(!amr_is_multi_factor(&v(&["otp", "sms"])));
        assert!(!amr_is_multi_factor(&v(&["wia"])));
    }

    #[test]
    fn only_paths_of_our_own_are_returned_to() {
        assert_eq!(safe_return("/cases/1"), "/cases/1");
        assert_eq!(safe_return("//evil.example"), "/");
        assert_eq!(safe_return("/\\evil.example"), "/");
        assert_eq!(safe_return("https://evil.example"), "/");
        assert_eq!(safe_return(""), "/");
    }
}

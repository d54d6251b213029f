//! Passkeys: registering them from the account page, listing and removing them, and
//! logging in with them — as the second factor after a password, or without a password
//! (the passkey names the person). A passkey verifies its user (PIN or biometrics), so a
//! login with one meets an organisation's second-factor requirement.
//!
//! The ceremony between "start" and "finish" lives in the database, not in the server's
//! memory, so that it may finish on another server; it is taken (deleted) when it is
//! answered, so that one challenge logs in once. Every registration, login, failure and
//! removal is an audit event.

use jiff::SignedDuration;
use mamori_auth::token;
use mamori_auth::webauthn::{self, LoginResponse, RegistrationResponse, RelyingParty};
use mamori_domain::FieldErrors;
use mamori_domain::audit::Outcome;
use mamori_domain::validation::clean_text;
use mamori_storage::passkeys::{self, CeremonyRow, NewCeremony, NewPasskey, PasskeyRow, kind};
use mamori_storage::sessions::{self, NewSession, stage};
use mamori_storage::{Ts, persons};
use uuid::Uuid;

use crate::{App, AppError, Caller, Event, LoginOutcome, SessionInfo};

/// Longest name of a passkey.
const NAME_MAX: u32 = 100;

/// How long a browser has to answer (the WebAuthn timeout the options ask for).
const CEREMONY_MINUTES: i64 = 5;

/// Why a passkey did not log anyone in. The answer to the client is the same for all of
/// them; the audit event names the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasskeyRefusal {
    /// The answer is not a WebAuthn assertion.
    Malformed,
    /// No ceremony has this challenge (never started, already answered, or expired).
    UnknownChallenge,
    /// The credential is not registered (or was removed).
    UnknownCredential,
    /// The ceremony was started by another session, or for another person.
    WrongSession,
    /// The signature, origin, flags or user handle do not verify.
    NotVerified,
    /// The signature counter did not move forward: a cloned authenticator.
    CounterWentBack,
    /// The account is inactive or locked.
    AccountUnavailable,
}

impl PasskeyRefusal {
    fn reason(self) -> &'static str {
        match self {
            PasskeyRefusal::Malformed => "malformed",
            PasskeyRefusal::UnknownChallenge => "unknown_challenge",
            PasskeyRefusal::UnknownCredential => "unknown_credential",
            PasskeyRefusal::WrongSession => "wrong_session",
            PasskeyRefusal::NotVerified => "not_verified",
            PasskeyRefusal::CounterWentBack => "counter_went_back",
            PasskeyRefusal::AccountUnavailable => "account_unavailable",
        }
    }
}

fn stored(row: &PasskeyRow) -> webauthn::StoredPasskey {
    webauthn::StoredPasskey {
        credential_id: row.credential_id.clone(),
        public_key: row.public_key.clone(),
        // Stored from a u32; a value out of range can only be a damaged row, which then
        // fails verification rather than passing with a wrapped counter.
        sign_count: u32::try_from(row.sign_count).unwrap_or(u32::MAX),
        flags: row.flags.clone(),
        user_handle: row.user_handle.clone(),
        transports: u8::try_from(row.transports).unwrap_or(0),
    }
}

fn config_error(e: webauthn::Error) -> AppError {
    AppError::Internal(e.to_string())
}

impl App {
    fn ceremony_expiry(&self, now: Ts) -> Ts {
        Ts(now.0 + SignedDuration::from_mins(CEREMONY_MINUTES))
    }

    /// The caller's own passkeys.
    pub async fn my_passkeys(&self, caller: &Caller) -> Result<Vec<PasskeyRow>, AppError> {
        Ok(passkeys::list_for_person(&self.db, caller.actor.person).await?)
    }

    /// Starts registering a passkey named `name` for the logged-in caller; the options for
    /// `navigator.credentials.create`. Only a full login may add one, not an API token:
    /// a token must not be able to give itself a way to log in.
    pub async fn start_passkey_registration(
        &self,
        session: &SessionInfo,
        rp: &RelyingParty,
        name: &str,
    ) -> Result<serde_json::Value, AppError> {
        let caller = &session.caller;
        if !session.is_full() || caller.api_token.is_some() {
            return self
                .deny(
                    caller,
                    "passkey.register",
                    Some(caller.actor.organisation),
                    "person",
                    Some(caller.actor.person.to_string()),
                )
                .await;
        }
        let mut errors = FieldErrors::default();
        let name = errors.take(clean_text("name", name, NAME_MAX));
        errors.into_result()?;
        let name = name.ok_or_else(|| AppError::Internal("name checked without errors".into()))?;
        let existing = passkeys::list_for_person(&self.db, caller.actor.person).await?;
        // One handle per person, so that an authenticator keeps one account for mamori.
        let handle = existing
            .first()
            .map(|p| p.user_handle.clone())
            .unwrap_or_else(webauthn::new_user_handle);
        let ids: Vec<Vec<u8>> = existing.iter().map(|p| p.credential_id.clone()).collect();
        let ceremony =
            webauthn::start_registration(rp, &handle, &session.email, &session.name, &ids)
                .map_err(config_error)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        passkeys::insert_ceremony(
            &mut tx,
            &NewCeremony {
                challenge: &ceremony.challenge,
                kind: kind::REGISTER,
                person: Some(caller.actor.person),
                session_hash: Some(&caller.session),
                name: Some(&name),
                state: &ceremony.state,
                now,
                expires_at: self.ceremony_expiry(now),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ceremony.options)
    }

    /// Finishes a registration with the browser's answer; the stored passkey.
    pub async fn finish_passkey_registration(
        &self,
        session: &SessionInfo,
        rp: &RelyingParty,
        response: &[u8],
    ) -> Result<PasskeyRow, AppError> {
        let caller = &session.caller;
        if !session.is_full() || caller.api_token.is_some() {
            return self
                .deny(
                    caller,
                    "passkey.register",
                    Some(caller.actor.organisation),
                    "person",
                    Some(caller.actor.person.to_string()),
                )
                .await;
        }
        let parsed = RegistrationResponse::parse(response);
        let challenge = parsed.as_ref().ok().and_then(|p| p.challenge().ok());
        let (Ok(parsed), Some(challenge)) = (parsed, challenge) else {
            self.registration_failed(caller, "malformed").await?;
            return Err(AppError::Rule {
                code: "passkey-not-registered",
            });
        };
        let mut tx = self.db.begin().await?;
        let row = passkeys::take_ceremony(&mut tx, &challenge).await?;
        // The ceremony is gone whatever happens next: a challenge is answered once.
        tx.commit().await?;
        let now = self.now();
        let Some(ceremony) = row.filter(|c| {
            c.kind == kind::REGISTER
                && c.person_id == Some(caller.actor.person)
                && c.session_hash.as_deref() == Some(caller.session.as_slice())
                && c.expires_at > now
        }) else {
            self.registration_failed(caller, "unknown_challenge")
                .await?;
            return Err(AppError::Rule {
                code: "passkey-ceremony-expired",
            });
        };
        let key = match webauthn::finish_registration(rp, &ceremony.state, &parsed) {
            Ok(k) => k,
            Err(e) => {
                tracing::warn!(person.id = %caller.actor.person, error = %e, "passkey registration refused");
                self.registration_failed(caller, "not_verified").await?;
                return Err(AppError::Rule {
                    code: "passkey-not-registered",
                });
            }
        };
        let id = Uuid::now_v7();
        let name = ceremony.name.clone().unwrap_or_default();
        let mut tx = self.db.begin().await?;
        let inserted = passkeys::insert(
            &mut tx,
            &NewPasskey {
                id,
                person: caller.actor.person,
                credential_id: &key.credential_id,
                user_handle: &key.user_handle,
                public_key: &key.public_key,
                sign_count: i64::from(key.sign_count),
                flags: &key.flags,
                transports: i64::from(key.transports),
                name: &name,
                now,
            },
        )
        .await?;
        if !inserted {
            drop(tx);
            self.registration_failed(caller, "already_registered")
                .await?;
            return Err(AppError::Rule {
                code: "passkey-already-registered",
            });
        }
        self.record_done(
            &mut tx,
            caller,
            "passkey.register",
            caller.actor.organisation,
            ("passkey", id.to_string()),
            serde_json::json!({
                "person": caller.actor.person,
                "name": name,
                "credential_id": webauthn::encode_id(&key.credential_id),
            }),
        )
        .await?;
        let row = passkeys::get(&mut tx, id).await?;
        tx.commit().await?;
        Ok(row)
    }

    async fn registration_failed(&self, caller: &Caller, reason: &str) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "passkey.register",
                organisation: Some(caller.actor.organisation),
                target_kind: "person",
                target_id: Some(caller.actor.person.to_string()),
                outcome: Outcome::Failure,
                detail: serde_json::json!({ "reason": reason }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The passkeys of `person`, for the caller themselves or someone who may manage them.
    pub async fn person_passkeys(
        &self,
        caller: &Caller,
        person: Uuid,
    ) -> Result<Vec<PasskeyRow>, AppError> {
        if self
            .may_manage_credentials_of(caller, person)
            .await?
            .is_none()
        {
            return self
                .deny(
                    caller,
                    "passkey.list",
                    None,
                    "person",
                    Some(person.to_string()),
                )
                .await;
        }
        Ok(passkeys::list_for_person(&self.db, person).await?)
    }

    /// Removes one of `person`'s passkeys. It no longer logs anyone in.
    pub async fn remove_passkey(
        &self,
        caller: &Caller,
        person: Uuid,
        id: Uuid,
    ) -> Result<(), AppError> {
        let Some(organisation) = self.may_manage_credentials_of(caller, person).await? else {
            return self
                .deny(
                    caller,
                    "passkey.remove",
                    None,
                    "passkey",
                    Some(id.to_string()),
                )
                .await;
        };
        let mut tx = self.db.begin().await?;
        let row = passkeys::get(&mut tx, id).await?;
        if row.person_id != person {
            return Err(AppError::NotFound);
        }
        if passkeys::delete(&mut tx, id).await? {
            self.record_done(
                &mut tx,
                caller,
                "passkey.remove",
                organisation,
                ("passkey", id.to_string()),
                serde_json::json!({
                    "person": person,
                    "name": row.name,
                    "credential_id": webauthn::encode_id(&row.credential_id),
                }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Starts a passkey login: the second factor when `session` waits for one, otherwise a
    /// passwordless login. The options for `navigator.credentials.get`.
    pub async fn start_passkey_login(
        &self,
        session: Option<&SessionInfo>,
        rp: &RelyingParty,
    ) -> Result<serde_json::Value, AppError> {
        let ceremony = webauthn::start_login(rp).map_err(config_error)?;
        let second = session.filter(|s| s.stage == stage::TOTP && s.caller.api_token.is_none());
        let now = self.now();
        let mut tx = self.db.begin().await?;
        passkeys::insert_ceremony(
            &mut tx,
            &NewCeremony {
                challenge: &ceremony.challenge,
                kind: if second.is_some() {
                    kind::SECOND_FACTOR
                } else {
                    kind::LOGIN
                },
                person: second.map(|s| s.caller.actor.person),
                session_hash: second.map(|s| s.caller.session.as_slice()),
                name: None,
                state: &ceremony.state,
                now,
                expires_at: self.ceremony_expiry(now),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ceremony.options)
    }

    /// Finishes a passkey login with the browser's answer. A second factor moves the
    /// waiting session on (under a new token); a passwordless login starts a session.
    pub async fn finish_passkey_login(
        &self,
        session: Option<&SessionInfo>,
        rp: &RelyingParty,
        response: &[u8],
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Result<Result<LoginOutcome, PasskeyRefusal>, AppError> {
        let Some((parsed, challenge)) = LoginResponse::parse(response)
            .ok()
            .and_then(|p| Some((p.challenge().ok()?, p)))
            .map(|(c, p)| (p, c))
        else {
            return self
                .passkey_login_failed(None, None, ip, PasskeyRefusal::Malformed)
                .await;
        };
        let mut tx = self.db.begin().await?;
        let ceremony = passkeys::take_ceremony(&mut tx, &challenge).await?;
        // Taken for good, whatever the outcome: a challenge is answered once.
        tx.commit().await?;
        let now = self.now();
        let Some(ceremony) = ceremony.filter(|c| {
            c.expires_at > now && (c.kind == kind::LOGIN || c.kind == kind::SECOND_FACTOR)
        }) else {
            return self
                .passkey_login_failed(None, None, ip, PasskeyRefusal::UnknownChallenge)
                .await;
        };
        let Some(key) = passkeys::by_credential_id(&self.db, &parsed.credential_id()).await? else {
            return self
                .passkey_login_failed(None, None, ip, PasskeyRefusal::UnknownCredential)
                .await;
        };
        let creds = persons::credentials(&self.db, key.person_id).await?;
        let fail = |refusal| {
            self.passkey_login_failed(
                Some(key.id),
                Some((key.person_id, creds.organisation_id)),
                ip.clone(),
                refusal,
            )
        };
        if let Err(refusal) = second_factor_fits(&ceremony, session, key.person_id) {
            return fail(refusal).await;
        }
        if !creds.active || creds.locked_until.is_some_and(|u| u > now) {
            return fail(PasskeyRefusal::AccountUnavailable).await;
        }
        let updated = match webauthn::finish_login(rp, &ceremony.state, &parsed, &stored(&key)) {
            Ok(u) => u,
            Err(webauthn::Error::CounterWentBack) => {
                tracing::warn!(passkey.id = %key.id, person.id = %key.person_id, "passkey counter went backwards: possibly cloned");
                return fail(PasskeyRefusal::CounterWentBack).await;
            }
            Err(e) => {
                tracing::warn!(passkey.id = %key.id, person.id = %key.person_id, error = %e, "passkey login refused");
                return fail(PasskeyRefusal::NotVerified).await;
            }
        };
        // A directory sign-in used no local password: none must be changed after it.
        let via_directory =
            ceremony.kind == kind::SECOND_FACTOR && session.is_some_and(|s| s.via_directory);
        let next = if creds.must_change_password && !via_directory {
            stage::PASSWORD_CHANGE
        } else {
            stage::FULL
        };
        let mut tx = self.db.begin().await?;
        if !passkeys::record_use(
            &mut tx,
            key.id,
            key.sign_count,
            i64::from(updated.sign_count),
            &updated.flags,
            now,
        )
        .await?
        {
            // Another login with this passkey moved the counter meanwhile.
            drop(tx);
            return fail(PasskeyRefusal::CounterWentBack).await;
        }
        persons::record_successful_login(&mut tx, key.person_id).await?;
        let token = token::random_token();
        let action = if ceremony.kind == kind::SECOND_FACTOR {
            let Some(s) = session else {
                return Err(AppError::Unauthenticated);
            };
            let moved = sessions::rotate(
                &mut tx,
                &s.caller.session,
                &token::hash_token(&token),
                next,
                &token::random_token(),
            )
            .await?;
            if !moved {
                return Err(AppError::Unauthenticated);
            }
            "login.second_factor"
        } else {
            let user_agent: Option<String> = user_agent.map(|u| u.chars().take(200).collect());
            sessions::insert(
                &mut tx,
                &NewSession {
                    id_hash: &token::hash_token(&token),
                    person: key.person_id,
                    stage: next,
                    csrf_token: &token::random_token(),
                    now,
                    expires_at: Ts(
                        now.0 + SignedDuration::from_hours(self.settings.session_max_hours)
                    ),
                    ip: ip.as_deref(),
                    user_agent: user_agent.as_deref(),
                    via_directory: false,
                },
            )
            .await?;
            "login"
        };
        self.record(
            &mut tx,
            Some(key.person_id),
            ip.as_deref(),
            Event {
                action,
                organisation: Some(creds.organisation_id),
                target_kind: "person",
                target_id: Some(key.person_id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({
                    "method": "passkey",
                    "passkey": key.id,
                    "stage": next,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(LoginOutcome {
            token,
            stage: next,
            person: key.person_id,
        }))
    }

    async fn passkey_login_failed(
        &self,
        passkey: Option<Uuid>,
        person: Option<(Uuid, Uuid)>,
        ip: Option<String>,
        refusal: PasskeyRefusal,
    ) -> Result<Result<LoginOutcome, PasskeyRefusal>, AppError> {
        let mut tx = self.db.begin().await?;
        self.record(
            &mut tx,
            person.map(|p| p.0),
            ip.as_deref(),
            Event {
                action: "login",
                organisation: person.map(|p| p.1),
                target_kind: "person",
                target_id: person.map(|p| p.0.to_string()),
                outcome: Outcome::Failure,
                detail: serde_json::json!({
                    "method": "passkey",
                    "passkey": passkey,
                    "reason": refusal.reason(),
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Err(refusal))
    }
}

/// A second-factor ceremony finishes only in the session that started it, with a passkey
/// of the person who typed the password: someone else's passkey never completes it.
fn second_factor_fits(
    ceremony: &CeremonyRow,
    session: Option<&SessionInfo>,
    passkey_owner: Uuid,
) -> Result<(), PasskeyRefusal> {
    if ceremony.kind != kind::SECOND_FACTOR {
        return Ok(());
    }
    let Some(s) = session.filter(|s| s.stage == stage::TOTP) else {
        return Err(PasskeyRefusal::WrongSession);
    };
    if ceremony.session_hash.as_deref() != Some(s.caller.session.as_slice())
        || ceremony.person_id != Some(passkey_owner)
        || s.caller.actor.person != passkey_owner
    {
        return Err(PasskeyRefusal::WrongSession);
    }
    Ok(())
}

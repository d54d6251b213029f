//! Logging in: password, lockout, second factor, forced password change.

use jiff::SignedDuration;
use mamori_auth::{token, totp};
use mamori_domain::audit::Outcome;
use mamori_domain::person::{Email, NewPassword};
use mamori_domain::{FieldError, FieldErrors};
use mamori_storage::sessions::{self, NewSession, stage};
use mamori_storage::{Ts, persons};
use uuid::Uuid;

use crate::{App, AppError, Caller, Event, SessionInfo};

/// Whether the client can continue a login over several pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginMode {
    /// A browser: a second factor is asked for on its own page.
    Browser,
    /// An API client: the code must come with the password.
    Api,
}

/// A started session.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    /// The cookie value (shown once, stored only as a hash).
    pub token: String,
    /// Where the session stands (see [`stage`]).
    pub stage: &'static str,
    /// The person.
    pub person: Uuid,
}

/// Request details recorded with a login.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// Address.
    pub ip: Option<String>,
    /// Browser.
    pub user_agent: Option<String>,
}

impl App {
    /// Checks credentials and starts a session.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        code: Option<&str>,
        mode: LoginMode,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Result<LoginOutcome, AppError> {
        let email_typed: String = email.trim().chars().take(254).collect();
        let creds = match Email::parse(email) {
            Ok(e) => persons::credentials_by_email(&self.db, e.as_ref()).await?,
            Err(_) => None,
        };
        let now = self.now();
        let Some(creds) = creds.filter(|c| c.active) else {
            // Same work as a real check, so timing does not reveal which addresses exist.
            self.verify_password(password.to_owned(), None).await?;
            self.login_failed(
                None,
                None,
                &email_typed,
                "unknown_or_inactive",
                ip.as_deref(),
            )
            .await?;
            return Err(AppError::BadCredentials);
        };
        if creds.locked_until.is_some_and(|u| u > now) {
            // A locked account answers exactly as an unknown address does, after the same
            // hashing work: otherwise the lock (its status, its wait, its speed) would tell
            // anyone which addresses have accounts. The right password does not open it.
            self.verify_password(password.to_owned(), None).await?;
            self.login_failed(
                Some(creds.id),
                Some(creds.organisation_id),
                &email_typed,
                "locked",
                ip.as_deref(),
            )
            .await?;
            return Err(AppError::BadCredentials);
        }
        if !self
            .verify_password(password.to_owned(), Some(creds.password_hash.clone()))
            .await?
        {
            return Err(indistinct(
                self.count_failure(creds.id, creds.organisation_id, &email_typed, ip.as_deref())
                    .await?,
            ));
        }

        let totp_required =
            mamori_storage::organisations::totp_required(&self.db, creds.organisation_id).await?;
        let has_passkey = mamori_storage::passkeys::exists_for_person(&self.db, creds.id).await?;
        let mut tx = self.db.begin().await?;
        let stage = match (&creds.totp_secret, code, mode) {
            (Some(secret), Some(code), _) => {
                let step = self
                    .unseal(secret, creds.id)
                    .and_then(|secret| totp::check(&secret, code, now.0.as_second().max(0) as u64));
                let fresh = match step {
                    Some(step) => persons::accept_totp_step(&mut tx, creds.id, step as i64).await?,
                    None => false,
                };
                if !fresh {
                    drop(tx);
                    return Err(indistinct(
                        self.count_failure(
                            creds.id,
                            creds.organisation_id,
                            &email_typed,
                            ip.as_deref(),
                        )
                        .await?,
                    ));
                }
                after_second_factor(creds.must_change_password)
            }
            (Some(_), None, LoginMode::Api) => return Err(AppError::TotpRequired),
            (Some(_), None, LoginMode::Browser) => stage::TOTP,
            // A passkey is the second factor of a person who has one (verified on its
            // own page or API call, `crate::passkeys`); it meets the organisation's rule.
            (None, _, _) if has_passkey => stage::TOTP,
            (None, _, _) if totp_required => stage::TOTP_SETUP,
            (None, _, _) => after_second_factor(creds.must_change_password),
        };
        persons::record_successful_login(&mut tx, creds.id).await?;
        let token = token::random_token();
        let user_agent: Option<String> = user_agent.map(|u| u.chars().take(200).collect());
        sessions::insert(
            &mut tx,
            &NewSession {
                id_hash: &token::hash_token(&token),
                person: creds.id,
                stage,
                csrf_token: &token::random_token(),
                now,
                expires_at: Ts(now.0 + SignedDuration::from_hours(self.settings.session_max_hours)),
                ip: ip.as_deref(),
                user_agent: user_agent.as_deref(),
                via_directory: false,
            },
        )
        .await?;
        self.record(
            &mut tx,
            Some(creds.id),
            ip.as_deref(),
            Event {
                action: "login",
                organisation: Some(creds.organisation_id),
                target_kind: "person",
                target_id: Some(creds.id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({ "stage": stage }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(LoginOutcome {
            token,
            stage,
            person: creds.id,
        })
    }

    /// Completes a browser login waiting for its second-factor code. The session gets a
    /// new token (returned for the cookie); the one used so far stops working.
    pub async fn verify_second_factor(
        &self,
        session: &SessionInfo,
        code: &str,
    ) -> Result<LoginOutcome, AppError> {
        if session.stage != stage::TOTP {
            return Err(AppError::Forbidden);
        }
        let caller = &session.caller;
        let creds = persons::credentials(&self.db, caller.actor.person).await?;
        let now = self.now();
        if let Some(until) = creds.locked_until.filter(|u| *u > now) {
            return Err(AppError::Locked {
                minutes: minutes_until(now, until),
            });
        }
        let step = creds
            .totp_secret
            .as_deref()
            .and_then(|sealed| self.unseal(sealed, creds.id))
            .and_then(|s| totp::check(&s, code, now.0.as_second().max(0) as u64));
        let mut tx = self.db.begin().await?;
        let fresh = match step {
            Some(step) => persons::accept_totp_step(&mut tx, creds.id, step as i64).await?,
            None => false,
        };
        if !fresh {
            drop(tx);
            return Err(self
                .count_failure(
                    creds.id,
                    creds.organisation_id,
                    &session.email,
                    caller.ip.as_deref(),
                )
                .await?);
        }
        let next = after_second_factor(creds.must_change_password && !session.via_directory);
        let token = rotate_session(&mut tx, &caller.session, next).await?;
        self.record(
            &mut tx,
            Some(creds.id),
            caller.ip.as_deref(),
            Event {
                action: "login.second_factor",
                organisation: Some(creds.organisation_id),
                target_kind: "person",
                target_id: Some(creds.id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(LoginOutcome {
            token,
            stage: next,
            person: creds.id,
        })
    }

    /// Changes the caller's own password after checking the current one; ends their other
    /// sessions, and completes a login that was waiting for this change. A completed login
    /// continues under a new session token, returned for the cookie.
    pub async fn change_password(
        &self,
        session: &SessionInfo,
        current: &str,
        new: &str,
    ) -> Result<Option<String>, AppError> {
        let caller = &session.caller;
        let mut errors = FieldErrors::default();
        if current.is_empty() {
            errors.push("current", "required");
        }
        let new = errors.take(NewPassword::parse("new", new, Some(&session.email)));
        if new.as_ref().is_some_and(|n| n.expose() == current) {
            errors.push("new", "password-unchanged");
        }
        errors.clone().into_result()?;
        let new = new.ok_or(AppError::Invalid(errors))?;
        let creds = persons::credentials(&self.db, caller.actor.person).await?;
        if !self
            .verify_password(current.to_owned(), Some(creds.password_hash))
            .await?
        {
            return Err(AppError::Invalid(
                FieldError {
                    field: "current",
                    code: "wrong-password",
                    limit: None,
                }
                .into(),
            ));
        }
        let hash = self.hash_password(new.expose().to_owned()).await?;
        let mut tx = self.db.begin().await?;
        persons::set_password(&mut tx, caller.actor.person, &hash, false, self.now()).await?;
        let ended =
            sessions::delete_for_person(&mut tx, caller.actor.person, Some(&caller.session))
                .await?;
        let rotated = if session.stage == stage::PASSWORD_CHANGE {
            Some(rotate_session(&mut tx, &caller.session, stage::FULL).await?)
        } else {
            None
        };
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "person.change_password",
                organisation: Some(caller.actor.organisation),
                target_kind: "person",
                target_id: Some(caller.actor.person.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({ "other_sessions_ended": ended }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(rotated)
    }

    /// Starts enrolling a second factor: a new secret kept in the session until confirmed.
    pub async fn begin_totp_enrolment(&self, session: &SessionInfo) -> Result<String, AppError> {
        let person = session.caller.actor.person;
        if let Some(secret) = session
            .totp_pending
            .as_deref()
            .and_then(|p| self.unseal(p, person))
        {
            return Ok(secret);
        }
        let secret = totp::new_secret();
        let mut tx = self.db.begin().await?;
        sessions::set_totp_pending(
            &mut tx,
            &session.caller.session,
            Some(&self.seal(&secret, person)),
        )
        .await?;
        tx.commit().await?;
        Ok(secret)
    }

    /// Confirms enrolment with a code from the new authenticator. A login that was
    /// waiting for the enrolment continues under a new session token, returned for the
    /// cookie.
    pub async fn confirm_totp_enrolment(
        &self,
        session: &SessionInfo,
        code: &str,
    ) -> Result<Option<String>, AppError> {
        let caller = &session.caller;
        let person = caller.actor.person;
        let Some((sealed, secret)) = session
            .totp_pending
            .as_deref()
            .and_then(|p| Some((p, self.unseal(p, person)?)))
        else {
            return Err(AppError::Rule {
                code: "totp-not-started",
            });
        };
        let now = self.now();
        let Some(step) = totp::check(&secret, code, now.0.as_second().max(0) as u64) else {
            return Err(AppError::Invalid(
                FieldError {
                    field: "code",
                    code: "wrong-code",
                    limit: None,
                }
                .into(),
            ));
        };
        let creds = persons::credentials(&self.db, caller.actor.person).await?;
        let mut tx = self.db.begin().await?;
        // The pending value is already sealed for this person: it is stored as it is.
        persons::set_totp(&mut tx, caller.actor.person, Some(sealed), now).await?;
        persons::accept_totp_step(&mut tx, caller.actor.person, step as i64).await?;
        sessions::set_totp_pending(&mut tx, &caller.session, None).await?;
        let rotated = if session.stage == stage::TOTP_SETUP {
            let next = after_second_factor(creds.must_change_password && !session.via_directory);
            Some(rotate_session(&mut tx, &caller.session, next).await?)
        } else {
            None
        };
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "person.enrol_totp",
                organisation: Some(caller.actor.organisation),
                target_kind: "person",
                target_id: Some(caller.actor.person.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(rotated)
    }

    /// Counts a failed attempt (locking the account at the threshold) and says which
    /// error to answer with.
    async fn count_failure(
        &self,
        person: Uuid,
        organisation: Uuid,
        email: &str,
        ip: Option<&str>,
    ) -> Result<AppError, AppError> {
        let now = self.now();
        let until = Ts(now.0 + SignedDuration::from_mins(self.settings.lockout_minutes));
        let mut tx = self.db.begin().await?;
        let locked =
            persons::record_failed_login(&mut tx, person, self.settings.lockout_threshold, until)
                .await?;
        self.record(
            &mut tx,
            Some(person),
            ip,
            Event {
                action: "login",
                organisation: Some(organisation),
                target_kind: "person",
                target_id: Some(person.to_string()),
                outcome: Outcome::Failure,
                detail: serde_json::json!({ "email": email, "reason": "wrong_credentials", "locked": locked }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(if locked {
            AppError::Locked {
                minutes: self.settings.lockout_minutes,
            }
        } else {
            AppError::BadCredentials
        })
    }

    async fn login_failed(
        &self,
        person: Option<Uuid>,
        organisation: Option<Uuid>,
        email: &str,
        reason: &str,
        ip: Option<&str>,
    ) -> Result<(), AppError> {
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
                outcome: Outcome::Failure,
                detail: serde_json::json!({ "email": email, "reason": reason }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of the caller but the current one (e.g. after a lost phone).
    pub async fn end_other_sessions(&self, caller: &Caller) -> Result<u64, AppError> {
        let mut tx = self.db.begin().await?;
        let n = sessions::delete_for_person(&mut tx, caller.actor.person, Some(&caller.session))
            .await?;
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "session.end_others",
                organisation: Some(caller.actor.organisation),
                target_kind: "person",
                target_id: Some(caller.actor.person.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({ "ended": n }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }
}

/// A failed password login answers the same whether or not it just locked the account:
/// an unknown address never locks, so the lock would tell that the account exists.
fn indistinct(e: AppError) -> AppError {
    match e {
        AppError::Locked { .. } => AppError::BadCredentials,
        other => other,
    }
}

/// Moves a session to `next` under a new token (and form token), in `tx`; the token for
/// the cookie. A session ended meanwhile is a login to start again.
async fn rotate_session(
    tx: &mut mamori_storage::Tx,
    session: &[u8],
    next: &str,
) -> Result<String, AppError> {
    let token = token::random_token();
    let moved = sessions::rotate(
        tx,
        session,
        &token::hash_token(&token),
        next,
        &token::random_token(),
    )
    .await?;
    if !moved {
        return Err(AppError::Unauthenticated);
    }
    Ok(token)
}

fn after_second_factor(must_change_password: bool) -> &'static str {
    if must_change_password {
        stage::PASSWORD_CHANGE
    } else {
        stage::FULL
    }
}

fn minutes_until(now: Ts, until: Ts) -> i64 {
    let secs = until.0.duration_since(now.0).as_secs();
    (secs + 59) / 60
}

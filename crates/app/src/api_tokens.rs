//! Personal API tokens: a person makes a token for a script, which then calls the API as
//! that person — with the roles they hold on the day of each request, as the policy
//! decides for their session — until the token expires or is revoked. Every use is an
//! audit event.

use jiff::SignedDuration;
use mamori_auth::token;
use mamori_domain::FieldErrors;
use mamori_domain::audit::Outcome;
use mamori_domain::person::Locale;
use mamori_domain::policy::Actor;
use mamori_domain::validation::clean_text;
use mamori_storage::Ts;
use mamori_storage::api_tokens::{self, ApiTokenRow, NewApiToken, scope};
use mamori_storage::sessions::stage;
use uuid::Uuid;

use crate::{App, AppError, Caller, Event, SessionInfo};

/// The longest a token may be valid, in days.
pub const MAX_TOKEN_DAYS: i64 = 366;
/// How long a token is valid when its maker does not say.
pub const DEFAULT_TOKEN_DAYS: i64 = 90;
/// The longest name of a token.
const NAME_MAX: u32 = 100;

/// A token to make.
#[derive(Debug, Clone, Default)]
pub struct ApiTokenInput {
    /// What the token is for (shown in lists).
    pub name: String,
    /// `read`, `write` or both; `write` includes reading.
    pub scopes: Vec<String>,
    /// Days until it expires; [`DEFAULT_TOKEN_DAYS`] when absent.
    pub expires_in_days: Option<i64>,
}

/// A token just made: the only time its secret is available.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// The token to give the script. Never stored, never shown again.
    pub token: String,
    /// Its row.
    pub row: ApiTokenRow,
}

/// Why a presented token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    /// Not a token of this installation (or a wrong secret).
    Unknown,
    /// Past its expiry.
    Expired,
    /// Revoked.
    Revoked,
    /// Its person may no longer log in.
    Inactive,
    /// Its person must change their password first (after a reset, say).
    PasswordChange,
    /// A `read` token used for a request that changes something.
    ReadOnly,
}

impl TokenRefusal {
    fn reason(self) -> &'static str {
        match self {
            TokenRefusal::Unknown => "unknown",
            TokenRefusal::Expired => "expired",
            TokenRefusal::Revoked => "revoked",
            TokenRefusal::Inactive => "inactive",
            TokenRefusal::PasswordChange => "password_change",
            TokenRefusal::ReadOnly => "read_only",
        }
    }
}

/// The scopes a stored scope grants, as the API shows them.
pub fn scopes_of(stored: &str) -> Vec<&'static str> {
    if stored == scope::WRITE {
        vec![scope::READ, scope::WRITE]
    } else {
        vec![scope::READ]
    }
}

fn parse_input(input: &ApiTokenInput) -> Result<(String, &'static str, i64), AppError> {
    let mut errors = FieldErrors::default();
    let name = errors.take(clean_text("name", &input.name, NAME_MAX));
    let mut scope_out = None;
    if input.scopes.is_empty() {
        errors.push("scopes", "required");
    } else if input
        .scopes
        .iter()
        .any(|s| s != scope::READ && s != scope::WRITE)
    {
        errors.push("scopes", "invalid-choice");
    } else if input.scopes.iter().any(|s| s == scope::WRITE) {
        scope_out = Some(scope::WRITE);
    } else {
        scope_out = Some(scope::READ);
    }
    let days = input.expires_in_days.unwrap_or(DEFAULT_TOKEN_DAYS);
    if !(1..=MAX_TOKEN_DAYS).contains(&days) {
        errors.push_limit("expires_in_days", "token-days", MAX_TOKEN_DAYS as u32);
    }
    errors.into_result()?;
    match (name, scope_out) {
        (Some(n), Some(s)) => Ok((n, s, days)),
        _ => Err(AppError::Internal(
            "token input checked without errors".into(),
        )),
    }
}

impl App {
    /// Makes a token for the caller themselves. A token cannot make tokens: only a login
    /// can, so that a leaked token cannot outlive its expiry by minting a successor.
    pub async fn create_api_token(
        &self,
        caller: &Caller,
        input: &ApiTokenInput,
    ) -> Result<NewToken, AppError> {
        if caller.api_token.is_some() {
            return self
                .deny(
                    caller,
                    "api_token.create",
                    Some(caller.actor.organisation),
                    "api_token",
                    None,
                )
                .await;
        }
        let (name, scope, days) = parse_input(input)?;
        let (prefix, secret) = token::new_api_token();
        let id = Uuid::now_v7();
        let now = self.now();
        let expires_at = Ts(now
            .0
            .checked_add(SignedDuration::from_hours(days * 24))
            .map_err(|e| AppError::Internal(e.to_string()))?);
        let mut tx = self.db.begin().await?;
        api_tokens::insert(
            &mut tx,
            &NewApiToken {
                id,
                person: caller.actor.person,
                name: &name,
                prefix: &prefix,
                secret_hash: &token::hash_token(&secret),
                scope,
                now,
                expires_at,
            },
        )
        .await?;
        self.record_done(
            &mut tx,
            caller,
            "api_token.create",
            caller.actor.organisation,
            ("api_token", id.to_string()),
            serde_json::json!({
                "person": caller.actor.person, "name": name, "prefix": prefix,
                "scope": scope, "expires_at": expires_at.0.to_string(),
            }),
        )
        .await?;
        let row = api_tokens::get(&mut tx, id).await?;
        tx.commit().await?;
        Ok(NewToken { token: secret, row })
    }

    /// The caller's own tokens.
    pub async fn my_api_tokens(&self, caller: &Caller) -> Result<Vec<ApiTokenRow>, AppError> {
        Ok(api_tokens::list_for_person(&self.db, caller.actor.person).await?)
    }

    /// A person's tokens, for themselves or someone who may manage them.
    pub async fn person_api_tokens(
        &self,
        caller: &Caller,
        person: Uuid,
    ) -> Result<Vec<ApiTokenRow>, AppError> {
        if self
            .may_manage_credentials_of(caller, person)
            .await?
            .is_none()
        {
            return self
                .deny(
                    caller,
                    "api_token.list",
                    None,
                    "person",
                    Some(person.to_string()),
                )
                .await;
        }
        Ok(api_tokens::list_for_person(&self.db, person).await?)
    }

    /// Revokes one of `person`'s tokens, as that person or someone who may manage them.
    /// A token that is not `person`'s is not found; revoking twice changes nothing.
    pub async fn revoke_api_token(
        &self,
        caller: &Caller,
        person: Uuid,
        id: Uuid,
    ) -> Result<(), AppError> {
        let Some(organisation) = self.may_manage_credentials_of(caller, person).await? else {
            return self
                .deny(
                    caller,
                    "api_token.revoke",
                    None,
                    "api_token",
                    Some(id.to_string()),
                )
                .await;
        };
        let mut tx = self.db.begin().await?;
        let row = api_tokens::get(&mut tx, id).await?;
        if row.person_id != person {
            return Err(AppError::NotFound);
        }
        if api_tokens::revoke(&mut tx, id, caller.actor.person, self.now()).await? {
            self.record_done(
                &mut tx,
                caller,
                "api_token.revoke",
                organisation,
                ("api_token", id.to_string()),
                serde_json::json!({ "person": person, "name": row.name, "prefix": row.prefix }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Checks a presented token for a request (`changes` when its method is not a read)
    /// and records the use — accepted or refused — as an audit event, in the same
    /// transaction that notes the token's last use. On success the caller acts as the
    /// token's person with the roles they hold today.
    pub async fn api_token_session(
        &self,
        presented: &str,
        changes: bool,
        method: &str,
        path: &str,
        ip: Option<String>,
    ) -> Result<Result<SessionInfo, TokenRefusal>, AppError> {
        let path: String = path.chars().take(200).collect();
        let found = match token::api_token_prefix(presented) {
            Some(prefix) => api_tokens::lookup(&self.db, prefix, self.today()).await?,
            None => None,
        };
        let Some((row, grants)) = found else {
            return self.refuse_unknown_token(ip, method, &path).await;
        };
        if !token::same_hash(&token::hash_token(presented), &row.secret_hash) {
            return self.refuse_unknown_token(ip, method, &path).await;
        }
        let now = self.now();
        let refusal = if row.revoked_at.is_some() {
            Some(TokenRefusal::Revoked)
        } else if row.expires_at <= now {
            Some(TokenRefusal::Expired)
        } else if !row.active {
            Some(TokenRefusal::Inactive)
        } else if row.must_change_password {
            Some(TokenRefusal::PasswordChange)
        } else if changes && row.scope != scope::WRITE {
            Some(TokenRefusal::ReadOnly)
        } else {
            None
        };
        let mut detail = serde_json::json!({ "method": method, "path": path });
        if let Some(r) = refusal {
            detail["reason"] = r.reason().into();
            tracing::warn!(api_token.id = %row.id, person.id = %row.person_id, reason = r.reason(), %path, "API token refused");
        }
        let mut tx = self.db.begin().await?;
        if refusal.is_none() {
            api_tokens::touch(&mut tx, row.id, now).await?;
        }
        self.record(
            &mut tx,
            Some(row.person_id),
            ip.as_deref(),
            Event {
                action: "api_token.use",
                organisation: Some(row.organisation_id),
                target_kind: "api_token",
                target_id: Some(row.id.to_string()),
                outcome: if refusal.is_some() {
                    Outcome::Denied
                } else {
                    Outcome::Success
                },
                detail,
            },
        )
        .await?;
        tx.commit().await?;
        if let Some(r) = refusal {
            return Ok(Err(r));
        }
        Ok(Ok(SessionInfo {
            caller: Caller {
                actor: Actor {
                    person: row.person_id,
                    organisation: row.organisation_id,
                    grants,
                },
                ip,
                // No session stands behind a token: nothing a session-ending use case
                // does with this (empty) key can touch a real session.
                session: Vec::new(),
                api_token: Some(row.id),
            },
            stage: stage::FULL.to_owned(),
            // Tokens never post forms: no value can match an empty form token.
            csrf_token: String::new(),
            name: row.person_name,
            email: row.email,
            locale: Locale::parse_or_default(&row.locale),
            // Dates on pages only; a token reads the API, whose dates are ISO.
            date_style: Default::default(),
            totp_pending: None,
            via_directory: false,
        }))
    }

    async fn refuse_unknown_token(
        &self,
        ip: Option<String>,
        method: &str,
        path: &str,
    ) -> Result<Result<SessionInfo, TokenRefusal>, AppError> {
        tracing::warn!(%path, "unknown API token refused");
        self.record_refused_request(None, ip, "api_token", &format!("{method} {path}"))
            .await?;
        Ok(Err(TokenRefusal::Unknown))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, scopes: &[&str], days: Option<i64>) -> ApiTokenInput {
        ApiTokenInput {
            name: name.into(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            expires_in_days: days,
        }
    }

    #[test]
    fn token_input_is_checked() {
        assert_eq!(
            parse_input(&input(" 集計 ", &["read"], None)).ok(),
            Some(("集計".to_owned(), scope::READ, DEFAULT_TOKEN_DAYS))
        );
        assert_eq!(
            parse_input(&input("集計", &["read", "write"], Some(366)))
                .ok()
                .map(|r| r.1),
            Some(scope::WRITE)
        );
        for (bad, field) in [
            (input("", &["read"], None), "name"),
            (input("集計", &[], None), "scopes"),
            (input("集計", &["admin"], None), "scopes"),
            (input("集計", &["read"], Some(367)), "expires_in_days"),
            (input("集計", &["read"], Some(0)), "expires_in_days"),
        ] {
            match parse_input(&bad) {
                Err(AppError::Invalid(e)) => assert!(e.for_field(field).is_some(), "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}

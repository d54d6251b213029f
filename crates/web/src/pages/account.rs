//! The person's own account: password, second factor, language, calendar, sessions.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use mamori_app::read::session_stage as stage;
use mamori_domain::calendar::DateStyle;
use mamori_domain::person::Locale;
use serde::Deserialize;

use super::{FormErrors, Layout, NoticeQuery, done, form_failure, render};
use crate::AppState;
use crate::error::Failure;
use crate::extract::{AnySession, CsrfForm, PageSession, continue_login, lang_cookie};
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "account/show.html")]
struct AccountPage {
    l: Layout,
    email: String,
    totp_enrolled: bool,
    locale: &'static str,
    /// `seireki` or `wareki`: what the calendar choice shows selected (as typed, when
    /// a choice was refused).
    date_style: String,
    tokens: Vec<TokenLine>,
    /// A token just made: shown on this page once, never again.
    new_token: Option<String>,
    token_form: TokenForm,
    errors: FormErrors,
    summary: Option<String>,
}

/// One personal API token in the account's list.
struct TokenLine {
    id: uuid::Uuid,
    name: String,
    prefix: String,
    write: bool,
    created_at: mamori_app::read::Ts,
    expires_at: mamori_app::read::Ts,
    last_used_at: Option<mamori_app::read::Ts>,
    /// `active`, `expired` or `revoked`.
    state: &'static str,
}

/// What the account page shows beyond the person's own facts.
#[derive(Default)]
struct AccountExtras {
    /// A calendar choice that was refused, shown again as sent.
    date_style: Option<String>,
    new_token: Option<String>,
    token_form: Option<TokenForm>,
    errors: FormErrors,
    summary: Option<String>,
}

async fn account_page(
    state: &AppState,
    s: &mamori_app::SessionInfo,
    notice: Option<&str>,
    extras: AccountExtras,
) -> Result<Response, Failure> {
    let me = state.app.person(&s.caller, s.caller.actor.person).await?;
    let now = state.app.now();
    let tokens = state
        .app
        .my_api_tokens(&s.caller)
        .await?
        .into_iter()
        .map(|t| TokenLine {
            state: if t.revoked_at.is_some() {
                "revoked"
            } else if t.expires_at <= now {
                "expired"
            } else {
                "active"
            },
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            write: t.scope == mamori_app::read::token_scope::WRITE,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
        })
        .collect();
    Ok(render(&AccountPage {
        l: Layout::new(s, "account-title", "account").with_notice(notice),
        email: me.email,
        totp_enrolled: me.totp_enrolled,
        locale: s.locale.as_str(),
        date_style: extras
            .date_style
            .unwrap_or_else(|| s.date_style.as_str().to_owned()),
        tokens,
        new_token: extras.new_token,
        token_form: extras.token_form.unwrap_or_default(),
        errors: extras.errors,
        summary: extras.summary,
    }))
}

/// `GET /account`.
pub async fn show(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, Failure> {
    account_page(&state, &s, q.notice.as_deref(), AccountExtras::default()).await
}

/// The form that makes a personal API token.
#[derive(Deserialize, Clone)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    /// `read` or `write`.
    #[serde(default)]
    scope: String,
    /// Days until it expires, as typed.
    #[serde(default)]
    days: String,
}

impl Default for TokenForm {
    fn default() -> Self {
        Self {
            name: String::new(),
            scope: "read".into(),
            days: mamori_app::DEFAULT_TOKEN_DAYS.to_string(),
        }
    }
}

/// `POST /account/tokens`: makes a token and shows it, this once, on the account page.
pub async fn create_token(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> Result<Response, Failure> {
    let tr = Tr::of(&s);
    // A number that does not parse is out of range all the same: the use case says so.
    let days = form.days.trim().parse::<i64>().unwrap_or(0);
    let made = state
        .app
        .create_api_token(
            &s.caller,
            &mamori_app::ApiTokenInput {
                name: form.name.clone(),
                scopes: vec![form.scope.clone()],
                expires_in_days: Some(days),
            },
        )
        .await;
    match made {
        Ok(made) => {
            let extras = AccountExtras {
                new_token: Some(made.token),
                ..AccountExtras::default()
            };
            account_page(&state, &s, Some("token-created"), extras).await
        }
        Err(e) => {
            let failure = Failure::from(e);
            if failure.status() != axum::http::StatusCode::BAD_REQUEST {
                return Err(failure);
            }
            let fields = failure.fields();
            let extras = AccountExtras {
                token_form: Some(form),
                errors: FormErrors::new(tr, &fields),
                summary: fields.is_empty().then(|| failure.message(tr)),
                ..AccountExtras::default()
            };
            let mut res = account_page(&state, &s, None, extras).await?;
            *res.status_mut() = failure.status();
            Ok(res)
        }
    }
}

/// `POST /account/tokens/{id}/revoke`.
pub async fn revoke_token(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    axum::extract::Path(id): axum::extract::Path<uuid::Uuid>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, Failure> {
    state
        .app
        .revoke_api_token(&s.caller, s.caller.actor.person, id)
        .await?;
    Ok(done("/account", "token-revoked"))
}

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    l: Layout,
    forced: bool,
    errors: FormErrors,
    summary: Option<String>,
}

fn password_page(
    s: &mamori_app::SessionInfo,
    errors: FormErrors,
    summary: Option<String>,
) -> Response {
    let forced = s.stage == stage::PASSWORD_CHANGE;
    let mut l = Layout::new(s, "password-title", "account");
    if forced {
        l.user = None;
    }
    render(&PasswordPage {
        l,
        forced,
        errors,
        summary,
    })
}

/// `GET /account/password` (also where a login that requires a new password lands).
pub async fn password_form(AnySession(s): AnySession) -> Response {
    if s.stage != stage::FULL && s.stage != stage::PASSWORD_CHANGE {
        return Redirect::to(continue_login(&s.stage)).into_response();
    }
    password_page(&s, FormErrors::default(), None)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /account/password`.
pub async fn change_password(
    State(state): State<AppState>,
    AnySession(s): AnySession,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Response {
    if s.stage != stage::FULL && s.stage != stage::PASSWORD_CHANGE {
        return Redirect::to(continue_login(&s.stage)).into_response();
    }
    let tr = Tr::of(&s);
    if form.new != form.confirm {
        let mut errors = mamori_domain::FieldErrors::default();
        errors.push("confirm", "confirm-mismatch");
        let mut res = password_page(&s, FormErrors::new(tr, &errors), None);
        *res.status_mut() = axum::http::StatusCode::BAD_REQUEST;
        return res;
    }
    match state
        .app
        .change_password(&s, &form.current, &form.new)
        .await
    {
        Ok(rotated) => super::login::with_session_cookie(
            &state,
            rotated.as_deref(),
            done("/account", "password-changed"),
        ),
        Err(e) => form_failure(tr, Failure::from(e), |errors, summary| {
            password_page(&s, errors, summary)
        }),
    }
}

#[derive(Template)]
#[template(path = "account/totp.html")]
struct TotpEnrolPage {
    l: Layout,
    forced: bool,
    secret: String,
    qr_svg: String,
    errors: FormErrors,
    summary: Option<String>,
}

async fn totp_page(
    state: &AppState,
    s: &mamori_app::SessionInfo,
    errors: FormErrors,
    summary: Option<String>,
) -> Result<Response, Failure> {
    let secret = state.app.begin_totp_enrolment(s).await?;
    let (_, qr_svg) = mamori_auth::totp::enrolment(&secret, &s.email).unwrap_or_default();
    let forced = s.stage == stage::TOTP_SETUP;
    let mut l = Layout::new(s, "totp-enrol-title", "account");
    if forced {
        l.user = None;
    }
    Ok(render(&TotpEnrolPage {
        l,
        forced,
        secret,
        qr_svg,
        errors,
        summary,
    }))
}

/// `GET /account/totp`: enrol an authenticator app.
pub async fn totp_form(
    State(state): State<AppState>,
    AnySession(s): AnySession,
) -> Result<Response, Failure> {
    if s.stage != stage::FULL && s.stage != stage::TOTP_SETUP {
        return Ok(Redirect::to(continue_login(&s.stage)).into_response());
    }
    totp_page(&state, &s, FormErrors::default(), None).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /account/totp`: confirm with a first code.
pub async fn confirm_totp(
    State(state): State<AppState>,
    AnySession(s): AnySession,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, Failure> {
    if s.stage != stage::FULL && s.stage != stage::TOTP_SETUP {
        return Ok(Redirect::to(continue_login(&s.stage)).into_response());
    }
    match state.app.confirm_totp_enrolment(&s, &form.code).await {
        Ok(rotated) if s.stage == stage::TOTP_SETUP => Ok(super::login::with_session_cookie(
            &state,
            rotated.as_deref(),
            Redirect::to("/").into_response(),
        )),
        Ok(_) => Ok(done("/account", "totp-enrolled")),
        Err(e) => {
            let failure = Failure::from(e);
            let tr = Tr::of(&s);
            let errors = FormErrors::new(tr, &failure.fields());
            let mut res = totp_page(&state, &s, errors, None).await?;
            *res.status_mut() = failure.status();
            Ok(res)
        }
    }
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    locale: String,
}

/// `POST /account/language`.
pub async fn set_language(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    CsrfForm(form): CsrfForm<LanguageForm>,
) -> Result<Response, Failure> {
    let locale = Locale::parse_or_default(&form.locale);
    state.app.set_locale(&s.caller, locale).await?;
    Ok((
        AppendHeaders([(header::SET_COOKIE, lang_cookie(&state.web, locale))]),
        done("/account", "language-changed"),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct DateStyleForm {
    #[serde(default)]
    date_style: String,
}

/// `POST /account/dates`: whether pages write dates in 和暦 or 西暦 for this person.
pub async fn set_date_style(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    CsrfForm(form): CsrfForm<DateStyleForm>,
) -> Result<Response, Failure> {
    let Some(style) = DateStyle::parse(&form.date_style) else {
        // Only a tampered form sends anything else; say so beside the choice.
        let mut errors = FormErrors::default();
        errors.extend([(
            "date_style".to_owned(),
            Tr::of(&s).t("account-dates-invalid"),
        )]);
        let extras = AccountExtras {
            date_style: Some(form.date_style),
            errors,
            ..AccountExtras::default()
        };
        let mut res = account_page(&state, &s, None, extras).await?;
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    };
    state.app.set_date_style(&s.caller, style).await?;
    Ok(done("/account", "account-dates-changed"))
}

#[derive(Deserialize)]
pub struct Empty {}

/// `POST /account/sessions/end-others`.
pub async fn end_other_sessions(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, Failure> {
    state.app.end_other_sessions(&s.caller).await?;
    Ok(done("/account", "sessions-ended"))
}

//! Login, second factor, logout, language, and the first-run page.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use mamori_app::{FirstAdmin, LoginMode};
use mamori_domain::person::Locale;
use serde::Deserialize;

use super::{FormErrors, Layout, done, form_failure, render};
use crate::AppState;
use crate::error::Failure;
use crate::extract::{
    AnySession, ClientIp, CsrfForm, MaybeSession, PublicForm, clear_session_cookie, continue_login,
    lang_cookie, request_locale, session_cookie, user_agent,
};

#[derive(Template)]
#[template(path = "login.html")]
pub(super) struct LoginPage {
    pub(super) l: Layout,
    pub(super) email: String,
    pub(super) errors: FormErrors,
    pub(super) summary: Option<String>,
    pub(super) first_run_open: bool,
    /// The directory's button, when sign-in with the directory is configured.
    pub(super) oidc_label: Option<String>,
}

/// `GET /login`.
pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: MaybeSession,
    Query(q): Query<super::NoticeQuery>,
) -> Response {
    if let Some(s) = session.0 {
        return Redirect::to(continue_login(&s.stage)).into_response();
    }
    let tr = request_locale(&headers);
    let first_run_open = state
        .first_run_token
        .lock()
        .map(|t| t.is_some())
        .unwrap_or(false);
    render(&LoginPage {
        l: Layout::public(tr, "login-title").with_notice(q.notice.as_deref()),
        email: String::new(),
        errors: FormErrors::default(),
        summary: None,
        first_run_open,
        oidc_label: state.app.oidc_label().map(str::to_owned),
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// `POST /login`.
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    PublicForm(form): PublicForm<LoginForm>,
) -> Response {
    let tr = request_locale(&headers);
    match state
        .app
        .login(
            &form.email,
            &form.password,
            None,
            LoginMode::Browser,
            ip.clone(),
            user_agent(&headers),
        )
        .await
    {
        Ok(outcome) => {
            let locale = match state.app.session(&outcome.token, ip).await {
                Ok(Some(s)) => s.locale,
                _ => tr.locale(),
            };
            let max_age = state.app.settings().session_max_hours * 3600;
            (
                AppendHeaders([
                    (
                        header::SET_COOKIE,
                        session_cookie(&state.web, &outcome.token, max_age),
                    ),
                    (header::SET_COOKIE, lang_cookie(&state.web, locale)),
                ]),
                Redirect::to(continue_login(outcome.stage)),
            )
                .into_response()
        }
        Err(e) => form_failure(tr, Failure::from(e), |errors, summary| {
            render(&LoginPage {
                l: Layout::public(tr, "login-title"),
                email: form.email.clone(),
                errors,
                summary,
                first_run_open: false,
                oidc_label: state.app.oidc_label().map(str::to_owned),
            })
        }),
    }
}

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpPage {
    l: Layout,
    summary: Option<String>,
}

/// `GET /login/totp`: the code after the password.
pub async fn totp_form(AnySession(s): AnySession) -> Response {
    let mut l = Layout::new(&s, "totp-title", "");
    l.user = None;
    render(&TotpPage { l, summary: None })
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /login/totp`.
pub async fn totp(
    State(state): State<AppState>,
    AnySession(s): AnySession,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Response {
    match state.app.verify_second_factor(&s, &form.code).await {
        Ok(outcome) => with_session_cookie(
            &state,
            Some(&outcome.token),
            Redirect::to(continue_login(outcome.stage)).into_response(),
        ),
        Err(e) => {
            let tr = crate::Tr::of(&s);
            form_failure(tr, Failure::from(e), |_, summary| {
                let mut l = Layout::new(&s, "totp-title", "");
                l.user = None;
                render(&TotpPage {
                    l,
                    summary: summary.or_else(|| Some(tr.t("problem-bad_credentials"))),
                })
            })
        }
    }
}

/// Sets the cookie of a session that just got a new token (a login step completed), if
/// it did.
pub(super) fn with_session_cookie(
    state: &AppState,
    token: Option<&str>,
    mut res: Response,
) -> Response {
    let Some(token) = token else {
        return res;
    };
    let max_age = state.app.settings().session_max_hours * 3600;
    if let Ok(v) = header::HeaderValue::from_str(&session_cookie(&state.web, token, max_age)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    AnySession(s): AnySession,
    CsrfForm(_): CsrfForm<CodeForm>,
) -> Response {
    if let Err(e) = state.app.logout(&s.caller).await {
        return Failure::from(e).into_response();
    }
    (
        AppendHeaders([(header::SET_COOKIE, clear_session_cookie(&state.web))]),
        done("/login", "logged-out"),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct LanguageQuery {
    set: Option<String>,
}

/// `GET /language?set=en`: switches the language before login (a cookie only).
pub async fn language(State(state): State<AppState>, Query(q): Query<LanguageQuery>) -> Response {
    let locale = Locale::parse_or_default(q.set.as_deref().unwrap_or("ja"));
    (
        AppendHeaders([(header::SET_COOKIE, lang_cookie(&state.web, locale))]),
        Redirect::to("/login"),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "first_run.html")]
struct FirstRunPage {
    l: Layout,
    token: String,
    form: FirstRunForm,
    errors: FormErrors,
    summary: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct FirstRunForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

fn first_run_allowed(state: &AppState, token: &str) -> bool {
    state
        .first_run_token
        .lock()
        .map(|t| {
            t.as_deref()
                .is_some_and(|expected| mamori_auth::token::same_secret(expected, token))
        })
        .unwrap_or(false)
}

/// `GET /first-run?token=…`: open only while no administrator exists, and only with the
/// token the server printed on its console.
pub async fn first_run_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    let token = q.token.unwrap_or_default();
    if !first_run_allowed(&state, &token) {
        return Failure::not_found().into_response();
    }
    let tr = request_locale(&headers);
    render(&FirstRunPage {
        l: Layout::public(tr, "first-run-title"),
        token,
        form: FirstRunForm {
            organisation: tr.t("first-run-default-organisation"),
            ..Default::default()
        },
        errors: FormErrors::default(),
        summary: None,
    })
}

/// `POST /first-run`.
pub async fn first_run(
    State(state): State<AppState>,
    headers: HeaderMap,
    PublicForm(form): PublicForm<FirstRunForm>,
) -> Response {
    if !first_run_allowed(&state, &form.token) {
        return Failure::not_found().into_response();
    }
    let tr = request_locale(&headers);
    let input = FirstAdmin {
        organisation: form.organisation.clone(),
        name: form.name.clone(),
        email: form.email.clone(),
        password: form.password.clone(),
    };
    match state
        .app
        .create_system_admin(&input, true, "first-run page")
        .await
    {
        Ok(_) => {
            // The page closes for good: the token is spent.
            if let Ok(mut t) = state.first_run_token.lock() {
                *t = None;
            }
            done("/login", "first-run-done")
        }
        Err(e) => form_failure(tr, Failure::from(e), |errors, summary| {
            render(&FirstRunPage {
                l: Layout::public(tr, "first-run-title"),
                token: form.token.clone(),
                form: FirstRunForm {
                    password: String::new(),
                    ..form.clone()
                },
                errors,
                summary,
            })
        }),
    }
}

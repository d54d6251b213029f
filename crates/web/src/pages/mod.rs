//! Server-rendered pages. Every form works without JavaScript (post, then redirect); a
//! form with mistakes is shown again with what was typed and a message per field.

mod account;
mod adaptations;
mod assessments;
pub(crate) mod audit;
mod cases;
mod delegations;
mod form_widgets;
mod home;
mod login;
mod matrices;
mod obligations;
mod oidc;
mod organisations;
mod passkeys;
mod persons;
mod quick;
mod registers;
mod reports;
mod rollup;
mod secrets;

use askama::Template;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use mamori_app::SessionInfo;
use mamori_domain::FieldErrors;
use serde::Deserialize;

use crate::AppState;
use crate::error::Failure;
use crate::i18n::Tr;

/// Every page route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route(
            "/first-run",
            get(login::first_run_form).post(login::first_run),
        )
        .route("/login", get(login::login_form).post(login::login))
        .route("/login/totp", get(login::totp_form).post(login::totp))
        .route("/login/oidc", get(oidc::start))
        .route("/login/oidc/callback", get(oidc::callback))
        .route("/logout", post(login::logout))
        .route("/language", get(login::language))
        .route("/account", get(account::show))
        .route(
            "/account/password",
            get(account::password_form).post(account::change_password),
        )
        .route(
            "/account/totp",
            get(account::totp_form).post(account::confirm_totp),
        )
        .route("/account/language", post(account::set_language))
        .route("/account/dates", post(account::set_date_style))
        .route(
            "/account/sessions/end-others",
            post(account::end_other_sessions),
        )
        .route("/account/passkeys", get(passkeys::show))
        .route("/account/passkeys/{id}/remove", post(passkeys::remove))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .route(
            "/organisations",
            get(organisations::list).post(organisations::create),
        )
        .route("/organisations/new", get(organisations::new_form))
        .route("/organisations/{id}", get(organisations::show))
        .route(
            "/organisations/{id}/edit",
            get(organisations::edit_form).post(organisations::update),
        )
        .route("/organisations/{id}/move", post(organisations::move_to))
        .route("/organisations/{id}/delete", post(organisations::delete))
        .route(
            "/organisations/{id}/relations",
            post(organisations::add_relation),
        )
        .route("/organisations/{id}/posts", post(organisations::add_post))
        .route("/organisations/{id}/desk", post(organisations::set_desk))
        .route(
            "/relations/{id}/delete",
            post(organisations::remove_relation),
        )
        .route(
            "/relations/{id}/accept",
            post(organisations::accept_relation),
        )
        .route("/persons", get(persons::list).post(persons::create))
        .route("/persons/new", get(persons::new_form))
        .route(
            "/persons/import",
            // Workbooks are limited by the installation's file size while they are read.
            get(persons::import_form)
                .post(persons::import)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/persons/{id}", get(persons::show))
        .route("/persons/{id}/edit", post(persons::update))
        .route(
            "/persons/{id}/reset-password",
            post(persons::reset_password),
        )
        .route("/persons/{id}/reset-totp", post(persons::reset_totp))
        .route("/posts/{id}", get(persons::post))
        .route("/posts/{id}/holders", post(persons::assign_post))
        .route("/posts/{id}/rename", post(persons::rename_post))
        .route("/designations/new", get(persons::designation_form))
        .route("/designations", post(persons::designate))
        .route("/designations/{id}/end", post(persons::end_designation))
        .route(
            "/designations/{id}/delegate",
            get(delegations::form).post(delegations::delegate),
        )
        .route("/procedures", get(cases::procedures))
        .route(
            "/cases",
            get(cases::list)
                .post(cases::create)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/reports", get(reports::board))
        .route("/organisations/{id}/rollup", get(rollup::show))
        .route("/obligations", get(obligations::list))
        .route(
            "/obligations/{library}/{procedure}",
            get(obligations::board),
        )
        .route(
            "/obligations/{library}/{procedure}/board.xlsx",
            get(obligations::workbook),
        )
        .route("/dsg", get(crate::rulebooks::dsg::pages::sites))
        .route("/cases/new", get(cases::new_form))
        .route(
            "/cases/{id}",
            get(cases::show)
                .post(cases::update)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/cases/{id}/actions/{action}", post(cases::act))
        .route("/cases/{id}/emergencies/{seq}", post(cases::ratify))
        .route("/cases/{id}/hold", post(cases::hold))
        .route("/cases/{id}/release", post(cases::release))
        .route(
            "/cases/{id}/secrets/{seq}/{field}/reveal",
            post(secrets::reveal),
        )
        .route(
            "/cases/{id}/secrets/{seq}/{field}/receipt",
            post(secrets::receive),
        )
        .route(
            "/cases/{id}/attachments",
            // Files are limited by the installation's setting while they are read.
            post(cases::attach).layer(DefaultBodyLimit::disable()),
        )
        .route("/cases/{id}/bundle", post(cases::bundle))
        .route(
            "/cases/{id}/attachments/{attachment}/withdraw",
            post(cases::withdraw_attachment),
        )
        .route(
            "/organisations/{id}/adaptations/{library}",
            get(adaptations::show).post(adaptations::save),
        )
        .route(
            "/organisations/{id}/adaptations/{library}/remove",
            post(adaptations::remove),
        )
        .route(
            "/assessments",
            get(assessments::list).post(assessments::start),
        )
        .route("/assessments/{id}", get(assessments::show))
        .route("/assessments/{id}/answers", post(assessments::answer))
        .route("/assessments/{id}/submit", post(assessments::submit))
        .route(
            "/assessments/{id}/evidence",
            post(assessments::upload_evidence).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/assessments/{id}/evidence/link",
            post(assessments::link_evidence),
        )
        .route("/registers/{id}", get(registers::list))
        .route("/registers/{id}/rows", post(registers::add))
        .route("/registers/{id}/export", post(registers::export_sealed))
        .route(
            "/registers/{id}/rows/{row}",
            get(registers::row).post(registers::edit),
        )
        .route("/registers/{id}/rows/{row}/retire", post(registers::retire))
        .route("/registers/{id}/rows/{row}/hold", post(registers::hold))
        .route(
            "/registers/{id}/rows/{row}/roles",
            post(registers::designate),
        )
        .route(
            "/registers/{id}/rows/{row}/roles/{designation}/end",
            post(registers::end_role),
        )
        .route(
            "/registers/{id}/rows/{row}/release",
            post(registers::release),
        )
        .route(
            "/registers/{id}/import",
            // Workbooks are limited by the installation's file size while they are read.
            post(registers::import).layer(DefaultBodyLimit::disable()),
        )
        .route("/matrices", get(matrices::index))
        .route("/matrices/{library}/{matrix}", get(matrices::show))
        .route(
            "/matrices/{library}/{matrix}/rows/{row}",
            get(matrices::row),
        )
        .route(
            "/matrices/{library}/{matrix}/rows/{row}/corrections",
            post(matrices::correct),
        )
        .route("/audit", get(audit::list))
        .route("/audit.csv", get(audit::csv))
}

/// The person in the top bar.
pub struct UserBar {
    pub name: String,
    /// Shows the audit trail link.
    pub audits: bool,
}

/// What every page's frame needs.
pub struct Layout {
    /// Translator.
    pub tr: Tr,
    /// Page title.
    pub title: String,
    /// Logged-in person, if any.
    pub user: Option<UserBar>,
    /// Form token.
    pub csrf: String,
    /// The current section, for `aria-current`.
    pub nav: &'static str,
    /// A confirmation to show at the top.
    pub notice: Option<String>,
}

impl Layout {
    /// A page of a logged-in person.
    pub fn new(s: &SessionInfo, title_key: &str, nav: &'static str) -> Self {
        let tr = Tr::of(s);
        Self {
            title: tr.t(title_key),
            tr,
            user: Some(UserBar {
                name: s.name.clone(),
                audits: s.caller.actor.audits_anything(),
            }),
            csrf: s.csrf_token.clone(),
            nav,
            notice: None,
        }
    }

    /// A page before login.
    pub fn public(tr: Tr, title_key: &str) -> Self {
        Self {
            title: tr.t(title_key),
            tr,
            user: None,
            csrf: String::new(),
            nav: "",
            notice: None,
        }
    }

    /// Shows `notice-<key>` at the top, if such a message exists.
    pub fn with_notice(mut self, key: Option<&str>) -> Self {
        self.notice = key.and_then(|k| {
            let id = format!("notice-{k}");
            let text = self.tr.t(&id);
            (text != id).then_some(text)
        });
        self
    }

    /// Replaces the title with literal text (an organisation's or person's name).
    pub fn titled(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }
}

/// `?notice=…` after a redirect.
#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    /// Which confirmation to show.
    pub notice: Option<String>,
}

/// Per-field messages for a form being shown again.
#[derive(Default)]
pub struct FormErrors(Vec<(String, String)>);

impl FormErrors {
    /// Translates validation errors.
    pub fn new(tr: Tr, errors: &FieldErrors) -> Self {
        Self(tr.field_errors(errors))
    }

    /// The message for `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Every message, for the summary at the top of the form.
    pub fn all(&self) -> &[(String, String)] {
        &self.0
    }

    /// Adds messages (the first one per field is shown).
    pub fn extend(&mut self, more: impl IntoIterator<Item = (String, String)>) {
        for (field, message) in more {
            if !self.0.iter().any(|(f, _)| *f == field) {
                self.0.push((field, message));
            }
        }
    }

    /// Whether there is anything to show.
    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }
}

/// Renders a template, or a plain 500 if the template itself fails.
pub fn render(t: &impl Template) -> Response {
    render_status(StatusCode::OK, t)
}

/// Renders with a status (400 for a form shown again with errors).
pub fn render_status(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Redirect after a successful post, with a confirmation.
pub fn done(to: &str, notice: &str) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}notice={notice}")).into_response()
}

/// A failed post: form errors and rule violations are shown on the form (with the given
/// re-render), anything else becomes an error page.
pub fn form_failure(
    tr: Tr,
    failure: Failure,
    rerender: impl FnOnce(FormErrors, Option<String>) -> Response,
) -> Response {
    match failure.status() {
        StatusCode::BAD_REQUEST
        | StatusCode::CONFLICT
        | StatusCode::UNPROCESSABLE_ENTITY
        | StatusCode::TOO_MANY_REQUESTS
        | StatusCode::UNAUTHORIZED => {
            let fields = failure.fields();
            let summary = fields.is_empty().then(|| failure.message(tr));
            let mut res = rerender(FormErrors::new(tr, &fields), summary);
            *res.status_mut() = failure.status();
            res
        }
        _ => failure.into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    l: Layout,
    status: u16,
    message: &'a str,
    fields: &'a [String],
}

/// The body of an error page.
pub fn error_page(tr: Tr, status: StatusCode, message: &str, fields: &[String]) -> String {
    let l = Layout::public(tr, "error-title");
    ErrorPage {
        l,
        status: status.as_u16(),
        message,
        fields,
    }
    .render()
    .unwrap_or_else(|_| message.to_owned())
}

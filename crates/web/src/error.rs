//! Failures, rendered once, in the reader's language: JSON `{"error":{…}}` under `/api/`,
//! an HTML page elsewhere. Handlers return a [`Failure`]; the [`render`] middleware writes
//! its body, because only it knows the request's path and language.

use std::collections::BTreeMap;

use axum::extract::Request;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use mamori_app::{AppError, FormProblem};
use mamori_domain::{FieldError, FieldErrors};
use mamori_library::Text;

use crate::i18n::Tr;

/// What went wrong, before it is put into words.
#[derive(Debug, Clone)]
pub struct Failure {
    status: StatusCode,
    code: &'static str,
    message_key: String,
    detail: Option<String>,
    fields: Vec<FieldError>,
    /// What a procedure library said (boxed: rare, and keeps every `Result` small).
    library: Option<Box<LibraryProblems>>,
    retry_after_secs: Option<i64>,
}

/// Problems worded by a procedure library.
#[derive(Debug, Clone, Default)]
struct LibraryProblems {
    /// Field problems of a library form.
    form_fields: Vec<FormProblem>,
    /// Requirements not met, in the library's words.
    unmet: Vec<Text>,
    /// Mistakes in a library file a user wrote (a form variant), each with its line.
    file: Vec<mamori_library::Problem>,
}

impl Failure {
    fn new(status: StatusCode, code: &'static str) -> Self {
        Self {
            status,
            code,
            message_key: format!("problem-{code}"),
            detail: None,
            fields: vec![],
            library: None,
            retry_after_secs: None,
        }
    }

    /// A refusal because the request came from another site.
    pub fn cross_site() -> Self {
        Self::new(StatusCode::FORBIDDEN, "cross_site")
    }

    /// A passkey that did not log in (one answer whatever the reason; the audit trail
    /// keeps the reason).
    pub fn passkey_failed() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "passkey_failed")
    }

    /// Password accepted; the login goes on with the person's passkey
    /// (`POST /api/v1/session/passkey`).
    pub fn passkey_required() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "passkey_required")
    }

    /// Not logged in.
    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated")
    }

    /// A personal API token that is unknown, expired or revoked, or whose person may no
    /// longer log in.
    pub fn token_invalid() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "token_invalid")
    }

    /// A read-only API token used for a request that changes something.
    pub fn token_read_only() -> Self {
        Self::new(StatusCode::FORBIDDEN, "token_read_only")
    }

    /// Something only a login may do (make a token), asked with a token.
    pub fn token_login_required() -> Self {
        Self::new(StatusCode::FORBIDDEN, "token_login_required")
    }

    /// Logged in, but the password must be changed first.
    pub fn password_change_required() -> Self {
        Self::new(StatusCode::FORBIDDEN, "password_change_required")
    }

    /// Logged in, but a second factor must be enrolled first (in the browser).
    pub fn totp_setup_required() -> Self {
        Self::new(StatusCode::FORBIDDEN, "totp_setup_required")
    }

    /// The form token was missing or wrong.
    pub fn bad_csrf_token() -> Self {
        Self::new(StatusCode::FORBIDDEN, "csrf_token")
    }

    /// Too many failures from the client's address; try again in `secs` seconds.
    pub fn too_many_requests(secs: u64) -> Self {
        Self {
            retry_after_secs: Some(i64::try_from(secs).unwrap_or(i64::MAX)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
        }
    }

    /// The machine-readable code (`bad_credentials`, `cross_site`, …).
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// A missing page.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found")
    }

    /// Too many uploads are being received at once: try again shortly.
    pub fn busy() -> Self {
        Self {
            retry_after_secs: Some(5),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "busy")
        }
    }

    /// A JSON body whose top level is not an object: serde would read a struct from an
    /// array by position, so `["…", "…"]` could stand for a request whose fields are never
    /// named.
    pub fn json_object_expected() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "json_object_expected")
    }

    /// A body not sent as the content type the endpoint reads.
    pub fn unsupported_media_type() -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    }

    /// Submitted text that is not valid UTF-8: refused rather than stored with U+FFFD in
    /// place of what was sent.
    pub fn invalid_utf8() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_utf8")
    }

    /// An error status that no handler put into words: a route that does not exist, a
    /// method the route does not take, a body too large for the server's limit.
    fn for_status(status: StatusCode) -> Self {
        let code = match status {
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            s if s.is_server_error() => "internal",
            _ => "bad_request",
        };
        Self::new(status, code)
    }

    /// A request whose body or query is malformed, with the parser's explanation.
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            detail: Some(detail.into()),
            ..Self::new(StatusCode::BAD_REQUEST, code)
        }
    }

    /// A single field problem.
    pub fn field(e: FieldError) -> Self {
        AppError::Invalid(e.into()).into()
    }

    /// Status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Problems with a library form's fields, if that is what failed.
    pub(crate) fn form_fields(&self) -> &[FormProblem] {
        self.library.as_ref().map_or(&[], |l| &l.form_fields)
    }

    /// Mistakes in a library file a user wrote, if that is what failed.
    pub(crate) fn file_problems(&self) -> &[mamori_library::Problem] {
        self.library.as_ref().map_or(&[], |l| &l.file)
    }

    /// The sentence for people, in `tr`'s language.
    pub fn message(&self, tr: Tr) -> String {
        if let Some(l) = &self.library
            && !l.unmet.is_empty()
        {
            return l
                .unmet
                .iter()
                .map(|t| tr.text(t))
                .collect::<Vec<_>>()
                .join(" ");
        }
        match (&self.detail, self.code) {
            (Some(minutes), "locked") => tr.t1(&self.message_key, "minutes", minutes),
            (Some(detail), _) => format!("{}（{detail}）", tr.t(&self.message_key)),
            (None, _) => tr.t(&self.message_key),
        }
    }

    /// The validation errors, if any.
    pub fn fields(&self) -> FieldErrors {
        let mut errors = FieldErrors::default();
        for f in &self.fields {
            match f.limit {
                Some(l) => errors.push_limit(f.field, f.code, l),
                None => errors.push(f.field, f.code),
            }
        }
        errors
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(errors) => Failure {
                fields: errors.iter().cloned().collect(),
                ..Failure::new(StatusCode::BAD_REQUEST, "validation_failed")
            },
            AppError::Unauthenticated => Failure::unauthenticated(),
            // One wording for a wrong password, an unknown address and a locked account,
            // so that the answer does not tell which accounts exist; it says that repeated
            // failures lock, for the person who is locked.
            AppError::BadCredentials => Failure {
                message_key: "problem-login-failed".into(),
                ..Failure::new(StatusCode::UNAUTHORIZED, "bad_credentials")
            },
            AppError::TotpRequired => Failure::new(StatusCode::UNAUTHORIZED, "totp_required"),
            AppError::Locked { minutes } => Failure {
                retry_after_secs: Some(minutes * 60),
                detail: Some(minutes.to_string()),
                ..Failure::new(StatusCode::TOO_MANY_REQUESTS, "locked")
            },
            AppError::Forbidden => Failure::new(StatusCode::FORBIDDEN, "forbidden"),
            // Worded like a requirement not met: the library's text says who may.
            AppError::Refused(reason) => Failure {
                library: Some(Box::new(LibraryProblems {
                    unmet: vec![reason],
                    ..LibraryProblems::default()
                })),
                ..Failure::new(StatusCode::FORBIDDEN, "forbidden")
            },
            AppError::NotFound => Failure::not_found(),
            AppError::Conflict { field } => Failure {
                fields: vec![FieldError {
                    field,
                    code: "taken",
                    limit: None,
                }],
                ..Failure::new(StatusCode::CONFLICT, "conflict")
            },
            AppError::Rule { code } => Failure {
                message_key: format!("rule-{code}"),
                ..Failure::new(StatusCode::UNPROCESSABLE_ENTITY, "rule_violated")
            },
            AppError::FormInvalid(problems) => Failure {
                library: Some(Box::new(LibraryProblems {
                    form_fields: problems,
                    ..LibraryProblems::default()
                })),
                ..Failure::new(StatusCode::BAD_REQUEST, "validation_failed")
            },
            AppError::Unmet(texts) => Failure {
                library: Some(Box::new(LibraryProblems {
                    unmet: texts,
                    ..LibraryProblems::default()
                })),
                ..Failure::new(StatusCode::UNPROCESSABLE_ENTITY, "requirement_unmet")
            },
            AppError::LibraryInvalid(problems) => Failure {
                library: Some(Box::new(LibraryProblems {
                    file: problems,
                    ..LibraryProblems::default()
                })),
                ..Failure::new(StatusCode::BAD_REQUEST, "library_invalid")
            },
            AppError::Internal(message) => {
                // Logged here, once, where it becomes a response.
                tracing::error!(error = %message, "internal error");
                Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }
}

impl From<JsonRejection> for Failure {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonSyntaxError(e) => {
                Failure::bad_request("malformed_json", source_text(&e))
            }
            JsonRejection::JsonDataError(e) => {
                Failure::bad_request("invalid_body", source_text(&e))
            }
            JsonRejection::MissingJsonContentType(_) => {
                Failure::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Failure::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            }
            other => Failure::bad_request("malformed_json", other.body_text()),
        }
    }
}

impl From<PathRejection> for Failure {
    fn from(_: PathRejection) -> Self {
        // A malformed id names nothing that exists.
        Failure::not_found()
    }
}

impl From<QueryRejection> for Failure {
    fn from(r: QueryRejection) -> Self {
        Failure::bad_request("invalid_query", r.body_text())
    }
}

/// The innermost message of a serde error (axum's outer text repeats itself).
fn source_text(e: &dyn std::error::Error) -> String {
    let mut inner: &dyn std::error::Error = e;
    while let Some(next) = inner.source() {
        inner = next;
    }
    inner.to_string()
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut res = self.status.into_response();
        if let Some(secs) = self.retry_after_secs
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res.extensions_mut().insert(self);
        res
    }
}

fn is_json(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Writes the body of every [`Failure`] in the language of the request.
pub async fn render(req: Request, next: Next) -> Response {
    let tr = crate::extract::request_locale(req.headers());
    let api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    let failure = match res.extensions_mut().remove::<Failure>() {
        Some(failure) => failure,
        // Under the API every error answers in the API's format, also those no handler
        // wrote: axum's 404 for an unknown route and 405 for a method a route does not
        // take have empty bodies, which a client cannot tell from a proxy's answer.
        None if api && res.status().as_u16() >= 400 && !is_json(&res) => {
            Failure::for_status(res.status())
        }
        None => return res,
    };
    let message = failure.message(tr);
    let (status, headers) = (res.status(), res.headers().clone());
    let mut out = if api {
        let mut error = serde_json::json!({ "code": failure.code, "message": message });
        if !failure.fields.is_empty() || !failure.form_fields().is_empty() {
            let mut fields: BTreeMap<&str, String> = failure
                .fields
                .iter()
                .rev()
                .map(|f| (f.field, tr.field_error(f)))
                .collect();
            for p in failure.form_fields().iter().rev() {
                fields.insert(&p.field, tr.form_error(p));
            }
            error["fields"] = serde_json::json!(fields);
        }
        if !failure.file_problems().is_empty() {
            error["problems"] = failure
                .file_problems()
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "file": p.file, "line": p.line, "column": p.column, "message": p.message,
                    })
                })
                .collect();
        }
        axum::Json(serde_json::json!({ "error": error })).into_response()
    } else {
        let mut fields: Vec<String> = failure.fields.iter().map(|f| tr.field_error(f)).collect();
        fields.extend(failure.form_fields().iter().map(|p| tr.form_error(p)));
        fields.extend(failure.file_problems().iter().map(|p| p.to_string()));
        Html(crate::pages::error_page(tr, status, &message, &fields)).into_response()
    };
    *out.status_mut() = status;
    for (name, value) in headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            // Append: a failure may carry several Set-Cookie headers.
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}

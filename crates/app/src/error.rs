//! What a use case can answer besides success.

use mamori_domain::FieldErrors;
use mamori_storage::StorageError;

/// A use case's failure, in terms the web layer maps to statuses and messages.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input did not validate; every field's problem is listed.
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// Nobody is logged in, or the session ended.
    #[error("not logged in")]
    Unauthenticated,
    /// E-mail or password (or code) wrong: deliberately vague.
    #[error("wrong credentials")]
    BadCredentials,
    /// The account is locked after repeated failures.
    #[error("account locked")]
    Locked {
        /// Minutes until the lock ends (rounded up).
        minutes: i64,
    },
    /// The password was right but a second-factor code is needed.
    #[error("second factor required")]
    TotpRequired,
    /// The actor may not do this.
    #[error("forbidden")]
    Forbidden,
    /// The actor may not do this, and is told why (who may, in the library's words).
    #[error("forbidden: {}", .0.ja)]
    Refused(mamori_library::Text),
    /// The thing does not exist.
    #[error("not found")]
    NotFound,
    /// A unique value is already taken; `field` says which.
    #[error("conflict on {field}")]
    Conflict {
        /// The input field.
        field: &'static str,
    },
    /// The request is well-formed but breaks a rule (`code` names it).
    #[error("rule violated: {code}")]
    Rule {
        /// A message id (`cycle`, `not-empty`, …).
        code: &'static str,
    },
    /// A library form's data did not validate; every field's problem, with its label.
    #[error("invalid form data")]
    FormInvalid(Vec<FormProblem>),
    /// A procedure's requirement does not hold yet; the library's messages say which.
    #[error("requirements not met")]
    Unmet(Vec<mamori_library::Text>),
    /// A library file written by a user (a form variant) has mistakes, each with its line.
    #[error("invalid library file")]
    LibraryInvalid(Vec<mamori_library::Problem>),
    /// Anything else; logged where it is turned into a response.
    #[error("internal error: {0}")]
    Internal(String),
}

/// One problem with one field of a library form.
#[derive(Debug, Clone)]
pub struct FormProblem {
    /// The field's id.
    pub field: String,
    /// Its label, to word the message.
    pub label: mamori_library::Text,
    /// What is wrong (see [`mamori_library::form::FieldProblem`]).
    pub code: &'static str,
    /// A limit the message quotes.
    pub limit: Option<String>,
}

impl AppError {
    /// One field's problem (`code` names it), as a form answers it.
    pub(crate) fn on_field(field: &'static str, code: &'static str) -> Self {
        mamori_domain::FieldError {
            field,
            code,
            limit: None,
        }
        .into()
    }
}

impl From<StorageError> for AppError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => AppError::NotFound,
            StorageError::Conflict(field) => AppError::Conflict { field },
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(e: FieldErrors) -> Self {
        AppError::Invalid(e)
    }
}

impl From<mamori_domain::FieldError> for AppError {
    fn from(e: mamori_domain::FieldError) -> Self {
        AppError::Invalid(e.into())
    }
}

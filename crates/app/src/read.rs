//! What the application hands to pages and the API to read.
//!
//! The records are defined where they are stored and named here, one list, so that the web
//! crate depends on the application alone: a page can hold a record and show it, but it
//! cannot reach a repository, a transaction or the database — every read and write goes
//! through an [`App`](crate::App) method that has decided who may see what.

// Calendar days and instants, as stored and as shown.
pub use mamori_storage::{Day, Ts};

// One page of a list, and how a caller asks for it.
pub use mamori_storage::{Page, PageRequest};

// Organisations, their relations and their desks.
pub use mamori_storage::organisations::{
    DeskRow, OrganisationFilter, OrganisationRow, RelationRow,
};

// People, their posts and who fills them.
pub use mamori_storage::persons::{PersonFilter, PersonRow};
pub use mamori_storage::posts::{HolderRow, PostRow};

// Designations to roles.
pub use mamori_storage::designations::{DesignationFilter, DesignationRow};

// Cases and what is attached to them.
pub use mamori_storage::attachments::AttachmentRow;
pub use mamori_storage::cases::{CaseEventRow, CaseFilter, CaseRow};

// Register rows, assessments and evidence.
pub use mamori_storage::assessments::{AnswerRow, AssessmentRow};
pub use mamori_storage::evidence::EvidenceRow;
pub use mamori_storage::registers::RowRecord;

// The audit trail.
pub use mamori_storage::audit::{AuditFilter, AuditRow};

// Sign-in: passkeys, API tokens, and the stages a session passes through.
pub use mamori_storage::api_tokens::{ApiTokenRow, scope as token_scope};
pub use mamori_storage::passkeys::PasskeyRow;
pub use mamori_storage::sessions::stage as session_stage;

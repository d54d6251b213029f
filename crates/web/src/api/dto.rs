//! What the API sends and receives. Request bodies refuse unknown fields, so a typo in a
//! field name is an error rather than a silently ignored value.

use mamori_app::read::AuditRow;
use mamori_app::read::DesignationRow;
use mamori_app::read::PersonRow;
use mamori_app::read::{HolderRow, PostRow};
use mamori_app::read::{OrganisationRow, RelationRow};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Accepts `null` as `Some(None)`, so PATCH can tell "set to nothing" from "leave alone".
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// An error answer.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// The problem.
    pub error: ErrorDetail,
}

/// The problem.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code (`validation_failed`, `forbidden`, …).
    pub code: String,
    /// A sentence for people, in the request's language.
    pub message: String,
    /// Per-field messages.
    pub fields: Option<std::collections::BTreeMap<String, String>>,
    /// Mistakes in a library file sent (a form variant), each with its place.
    pub problems: Option<Vec<FileProblemDto>>,
}

/// One mistake in a library file.
#[derive(Serialize, ToSchema)]
pub struct FileProblemDto {
    /// The file (`adaptation.yaml`, …).
    pub file: String,
    /// 1-based line; 0 for the file as a whole.
    pub line: u64,
    /// 1-based column; 0 when unknown.
    pub column: u64,
    /// What is wrong, in Japanese (English in parentheses where it helps).
    pub message: String,
}

/// The id of something just created.
#[derive(Serialize, ToSchema)]
pub struct Created {
    /// Its id.
    pub id: Uuid,
}

/// Log in.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// E-mail address.
    pub email: String,
    /// Password.
    pub password: String,
    /// Six-digit code, when a second factor is enrolled.
    pub totp: Option<String>,
}

/// Change one's own password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The current password.
    pub current: String,
    /// The new one (at least 10 characters).
    pub new: String,
}

/// A short reference to an organisation.
#[derive(Serialize, ToSchema)]
pub struct OrgRef {
    pub id: Uuid,
    pub name: String,
}

/// A role held now.
#[derive(Serialize, ToSchema)]
pub struct RoleGrant {
    /// Role id.
    pub role: String,
    /// Where (absent: everywhere).
    pub organisation: Option<Uuid>,
}

/// The logged-in person.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: Uuid,
    pub name: String,
    /// E-mail.
    pub email: String,
    /// `ja` or `en`.
    pub locale: String,
    /// Their organisation.
    pub organisation: OrgRef,
    /// Roles held today.
    pub roles: Vec<RoleGrant>,
}

/// An organisation.
#[derive(Serialize, ToSchema)]
pub struct Organisation {
    pub id: Uuid,
    pub name: String,
    /// Kind: ministry, agency, bureau, unit, local_government, department, company, site.
    pub kind: String,
    /// Parent.
    pub parent: Option<Uuid>,
    /// Whether members must use a second factor.
    pub require_totp: bool,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Changed (RFC 3339).
    pub updated_at: String,
}

impl From<OrganisationRow> for Organisation {
    fn from(r: OrganisationRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            kind: r.kind,
            parent: r.parent_id,
            require_totp: r.require_totp,
            created_at: r.created_at.0.to_string(),
            updated_at: r.updated_at.0.to_string(),
        }
    }
}

/// A page of organisations.
#[derive(Serialize, ToSchema)]
pub struct OrganisationList {
    /// This page.
    pub items: Vec<Organisation>,
    /// Matching in all, counted up to 1,000; see `total_exact`.
    pub total: i64,
    /// Whether `total` is exact; if not, at least that many match (lists stop counting at
    /// 1,000 so that a page costs the same however large the table grows).
    pub total_exact: bool,
}

/// Create an organisation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationCreate {
    /// Name (1–200 characters).
    pub name: String,
    /// Kind id.
    pub kind: String,
    /// Parent (omit for a top-level organisation: system administrators only).
    pub parent: Option<Uuid>,
}

/// Change an organisation; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationPatch {
    pub name: Option<String>,
    /// Kind id.
    pub kind: Option<String>,
    /// Require a second factor of members.
    pub require_totp: Option<bool>,
    /// New parent (`null`: move to the top level).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub parent: Option<Option<Uuid>>,
}

/// A relation across the tree.
#[derive(Serialize, ToSchema)]
pub struct Relation {
    pub id: Uuid,
    /// `contracts_with`, `subcontractor_of`, `engages` or `reports_to`.
    pub kind: String,
    /// The organisation it is stated for.
    pub from: OrgRef,
    /// Its counterpart.
    pub to: OrgRef,
    /// Whether the counterpart accepted it; until then it gives neither side anything.
    pub accepted: bool,
}

impl From<RelationRow> for Relation {
    fn from(r: RelationRow) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            from: OrgRef {
                id: r.from_id,
                name: r.from_name,
            },
            to: OrgRef {
                id: r.to_id,
                name: r.to_name,
            },
            accepted: r.accepted_at.is_some(),
        }
    }
}

/// State a relation from this organisation to another.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelationCreate {
    /// `contracts_with`, `subcontractor_of`, `engages` or `reports_to`.
    pub kind: String,
    /// The other organisation.
    pub other: Uuid,
}

/// A person.
#[derive(Serialize, ToSchema)]
pub struct Person {
    pub id: Uuid,
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Organisation.
    pub organisation: OrgRef,
    /// `ja` or `en`.
    pub locale: String,
    /// May log in.
    pub active: bool,
    /// Must change the password at next login.
    pub must_change_password: bool,
    /// A second factor is enrolled.
    pub totp_enrolled: bool,
    /// Locked after failed logins until (RFC 3339).
    pub locked_until: Option<String>,
    /// Created (RFC 3339).
    pub created_at: String,
}

impl From<PersonRow> for Person {
    fn from(r: PersonRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            email: r.email,
            organisation: OrgRef {
                id: r.organisation_id,
                name: r.organisation_name,
            },
            locale: r.locale,
            active: r.active,
            must_change_password: r.must_change_password,
            totp_enrolled: r.totp_enrolled,
            locked_until: r.locked_until.map(|t| t.0.to_string()),
            created_at: r.created_at.0.to_string(),
        }
    }
}

/// A page of persons.
#[derive(Serialize, ToSchema)]
pub struct PersonList {
    /// This page.
    pub items: Vec<Person>,
    /// Matching in all, counted up to 1,000; see `total_exact`.
    pub total: i64,
    /// Whether `total` is exact; if not, at least that many match (lists stop counting at
    /// 1,000 so that a page costs the same however large the table grows).
    pub total_exact: bool,
}

/// Create a person.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonCreate {
    /// Name (1–100 characters).
    pub name: String,
    /// E-mail (unique).
    pub email: String,
    /// Organisation.
    pub organisation: Uuid,
    /// Initial password (at least 10 characters); it must be changed at first login.
    pub initial_password: String,
}

/// Change a person; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonPatch {
    pub name: Option<String>,
    /// Organisation.
    pub organisation: Option<Uuid>,
    /// May log in (false ends their sessions).
    pub active: Option<bool>,
}

/// Set a temporary password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// Temporary password (at least 10 characters), to be changed at next login.
    pub password: String,
}

/// A post.
#[derive(Serialize, ToSchema)]
pub struct Post {
    pub id: Uuid,
    pub name: String,
    /// Organisation.
    pub organisation: OrgRef,
    /// Holders, latest first (only in single-post answers).
    pub holders: Option<Vec<Holder>>,
}

impl Post {
    /// From a row, with holders when read one by one.
    pub fn new(r: PostRow, holders: Option<Vec<HolderRow>>) -> Self {
        Self {
            id: r.id,
            name: r.name,
            organisation: OrgRef {
                id: r.organisation_id,
                name: r.organisation_name,
            },
            holders: holders.map(|h| h.into_iter().map(Holder::from).collect()),
        }
    }
}

/// Someone holding a post.
#[derive(Serialize, ToSchema)]
pub struct Holder {
    pub id: Uuid,
    /// Person id.
    pub person: Uuid,
    pub person_name: String,
    pub starts_on: String,
    pub ends_on: Option<String>,
}

impl From<HolderRow> for Holder {
    fn from(h: HolderRow) -> Self {
        Self {
            id: h.id,
            person: h.person_id,
            person_name: h.person_name,
            starts_on: h.starts_on.0.to_string(),
            ends_on: h.ends_on.map(|d| d.0.to_string()),
        }
    }
}

/// Create a post.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostCreate {
    /// Organisation.
    pub organisation: Uuid,
    /// Name (1–100 characters, unique in the organisation).
    pub name: String,
}

/// Rename a post.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostPatch {
    /// New name.
    pub name: String,
}

/// Record who holds a post.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolderCreate {
    /// Person.
    pub person: Uuid,
    /// From (YYYY-MM-DD).
    pub starts_on: String,
    /// Until (YYYY-MM-DD), if known.
    pub ends_on: Option<String>,
}

/// A designation.
#[derive(Serialize, ToSchema)]
pub struct Designation {
    pub id: Uuid,
    /// Role id.
    pub role: String,
    /// Organisation (absent for platform-wide roles).
    pub organisation: Option<OrgRef>,
    /// Person designated by name.
    pub person: Option<Uuid>,
    /// Their name.
    pub person_name: Option<String>,
    /// Post designated.
    pub post: Option<Uuid>,
    /// Its name.
    pub post_name: Option<String>,
    pub starts_on: String,
    pub ends_on: Option<String>,
    pub note: String,
    /// Designated by.
    pub designated_by: Option<Uuid>,
    /// When (RFC 3339).
    pub designated_at: String,
    /// Ended by, if ended.
    pub ended_by: Option<Uuid>,
    /// For a delegation: the designation its holder delegated it from.
    pub delegated_from: Option<Uuid>,
}

/// A delegation asked for: the holder gives the role to another person of the
/// organisation for a period within their own.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DelegationCreate {
    /// To whom.
    pub person: Option<Uuid>,
    /// From (YYYY-MM-DD).
    pub starts_on: String,
    /// Until (YYYY-MM-DD): a delegation always ends.
    pub ends_on: String,
    /// Why (absence, business trip).
    #[serde(default)]
    pub note: Option<String>,
}

impl From<DesignationRow> for Designation {
    fn from(d: DesignationRow) -> Self {
        Self {
            id: d.id,
            role: d.role,
            organisation: d.organisation_id.map(|id| OrgRef {
                id,
                name: d.organisation_name.unwrap_or_default(),
            }),
            person: d.person_id,
            person_name: d.person_name,
            post: d.post_id,
            post_name: d.post_name,
            starts_on: d.starts_on.0.to_string(),
            ends_on: d.ends_on.map(|e| e.0.to_string()),
            note: d.note,
            designated_by: d.designated_by,
            designated_at: d.designated_at.0.to_string(),
            ended_by: d.ended_by,
            delegated_from: d.delegated_from,
        }
    }
}

/// Designations.
#[derive(Serialize, ToSchema)]
pub struct DesignationList {
    /// Newest first.
    pub items: Vec<Designation>,
}

/// Designate a role.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DesignationCreate {
    /// `administrator`, `auditor` or `system_admin`.
    pub role: String,
    /// Organisation (not for `system_admin`).
    pub organisation: Option<Uuid>,
    /// The person (or give a post).
    pub person: Option<Uuid>,
    /// The post (or give a person).
    pub post: Option<Uuid>,
    /// From (YYYY-MM-DD).
    pub starts_on: String,
    /// Until (YYYY-MM-DD).
    pub ends_on: Option<String>,
    /// Note (e.g. the notice number).
    pub note: Option<String>,
    /// The person belongs to an organisation outside the one designated in, and that is
    /// meant; without it such a designation is refused (`from-another-organisation`).
    #[serde(default)]
    pub from_another_organisation: bool,
}

/// End a designation.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct DesignationEnd {
    /// Last day (YYYY-MM-DD); today if absent.
    pub ends_on: Option<String>,
}

/// An audit event.
#[derive(Serialize, ToSchema)]
pub struct AuditEvent {
    /// Sequence number in the chain.
    pub seq: i64,
    /// When (RFC 3339).
    pub occurred_at: String,
    pub actor: Option<Uuid>,
    /// Their name.
    pub actor_name: Option<String>,
    /// Whose trail.
    pub organisation: Option<Uuid>,
    /// Its name.
    pub organisation_name: Option<String>,
    /// What.
    pub action: String,
    /// Kind of target.
    pub target_kind: String,
    /// Target.
    pub target_id: Option<String>,
    /// `success`, `denied` or `failure`.
    pub outcome: String,
    /// Details.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// Client address.
    pub ip: Option<String>,
    /// This event's chain hash (hex).
    pub hash: String,
}

impl From<AuditRow> for AuditEvent {
    fn from(r: AuditRow) -> Self {
        Self {
            seq: r.seq,
            occurred_at: r.occurred_at.0.to_string(),
            actor: r.actor_id,
            actor_name: r.actor_name,
            organisation: r.organisation_id,
            organisation_name: r.organisation_name,
            action: r.action,
            target_kind: r.target_kind,
            target_id: r.target_id,
            outcome: r.outcome,
            detail: serde_json::from_str(&r.detail).unwrap_or(serde_json::Value::Null),
            ip: r.ip,
            hash: mamori_domain::audit::hex(&r.hash),
        }
    }
}

/// A page of the trail, newest first.
#[derive(Serialize, ToSchema)]
pub struct AuditList {
    /// Events.
    pub items: Vec<AuditEvent>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

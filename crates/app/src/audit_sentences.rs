//! Audit events as sentences an auditor reads: who did what to which case, person or
//! organisation (by name), and what changed. The words live in the locale files; this
//! module only chooses the message and its arguments, so the same event reads in Japanese
//! or English and the raw record stays as it was chained.

use std::collections::{BTreeSet, HashMap};

use mamori_library::Text;
use mamori_storage::audit::{AuditRow, NameRequest};
use serde_json::Value;
use uuid::Uuid;

/// Every operation the application writes to the trail, in the order the filter lists
/// them. A refused case action is written as `case.` + the library's action id; those are
/// found with the `case.` family.
pub const OPERATIONS: &[&str] = &[
    "login",
    "login.second_factor",
    "logout",
    "session.end_others",
    "person.change_password",
    "person.enrol_totp",
    "person.set_locale",
    "person.set_date_style",
    "passkey.register",
    "passkey.remove",
    "passkey.list",
    "api_token.create",
    "api_token.revoke",
    "api_token.use",
    "api_token.list",
    "request.refused",
    "request.refused_repeated",
    "system_admin.create",
    "organisation.create",
    "organisation.update",
    "organisation.move",
    "organisation.delete",
    "organisation.desk",
    "organisation.relate",
    "organisation.accept_relation",
    "organisation.unrelate",
    "organisation.read",
    "person.create",
    "person.update",
    "person.reset_password",
    "person.reset_totp",
    "person.read",
    "post.create",
    "post.rename",
    "post.assign",
    "post.read",
    "designation.create",
    "designation.end",
    "designation.read",
    "case.open",
    "case.save",
    "case.act",
    "case.read",
    "case.attach",
    "case.attachment.download",
    "case.attachment.withdraw",
    "case.document",
    "case.export",
    "case.deadline",
    "register.add",
    "register.edit",
    "register.retire",
    "register.import",
    "register.export",
    "register.read",
    "register.row_role",
    "register.row_role_end",
    "assessment.start",
    "assessment.campaign",
    "assessment.answer",
    "assessment.evidence",
    "assessment.submit",
    "assessment.read",
    "evidence.add",
    "evidence.download",
    "evidence.read",
    "library.adapt",
    "library.adaptation.remove",
    "library.adaptation.read",
    "library.matrix_correct",
    "library.matrix_read",
    "audit.read",
    "audit.verify",
    "audit.anchor",
];

/// The families the filter offers as a whole (a prefix of the operations above).
pub const FAMILIES: &[&str] = &[
    "login",
    "person.",
    "organisation.",
    "post.",
    "designation.",
    "case.",
    "register.",
    "assessment.",
    "evidence.",
    "library.",
    "passkey.",
    "api_token.",
    "request.",
];

/// The message naming an operation (`audit-op-case-act` for `case.act`).
pub fn operation_key(code: &str) -> String {
    format!("audit-op-{}", code.replace(['.', '_'], "-"))
}

/// The message naming a family of operations (`audit-family-case` for `case.`).
pub fn family_key(prefix: &str) -> String {
    format!(
        "audit-family-{}",
        prefix.trim_end_matches('.').replace(['.', '_'], "-")
    )
}

/// One argument of a sentence, resolved into words by the reader's language.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// A name or value as recorded (a person's name, a case's title, a file name).
    Plain(String),
    /// Wording from a procedure library (a state, an action, a procedure).
    Text(Text),
    /// A role id, named by the roles' messages or the library that declares it.
    Role(String),
    /// A message of the locale files, by key.
    Msg(String),
    /// A day (`YYYY-MM-DD`) or an instant (RFC 3339), as recorded.
    When(String),
    /// A why-code (`wrong_credentials`), named by `audit-reason-*` where one is written.
    Reason(String),
    /// A sentence inside the sentence (what the event was about).
    Phrase(Box<Sentence>),
    /// Several, listed (the changes of an update).
    Phrases(Vec<Sentence>),
}

/// A message of the locale files with its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    /// `audit-s-*`, `audit-t-*` or `audit-c-*`.
    pub key: String,
    /// Named arguments.
    pub args: Vec<(&'static str, Part)>,
}

impl Sentence {
    fn new(key: &str) -> Self {
        Self {
            key: key.to_owned(),
            args: Vec::new(),
        }
    }

    fn arg(mut self, name: &'static str, part: Part) -> Self {
        self.args.push((name, part));
        self
    }

    fn plain(self, name: &'static str, value: impl Into<String>) -> Self {
        self.arg(name, Part::Plain(value.into()))
    }

    /// The argument `name`, if given (for tests and callers that need one value).
    pub fn get(&self, name: &str) -> Option<&Part> {
        self.args.iter().find(|(n, _)| *n == name).map(|(_, p)| p)
    }
}

/// An event with the sentence that tells it.
#[derive(Debug, Clone)]
pub struct DescribedEvent {
    /// The event as chained.
    pub row: AuditRow,
    /// What it says.
    pub sentence: Sentence,
}

/// What a case is called: its title, its procedure and the library's names for its states
/// and actions.
#[derive(Debug, Clone, Default)]
pub struct CaseName {
    /// The case's title.
    pub title: String,
    /// Its procedure's title.
    pub procedure: Option<Text>,
    /// State names by id.
    pub states: HashMap<String, Text>,
    /// Action names by id.
    pub actions: HashMap<String, Text>,
}

/// Names for the ids a page of events mentions (see [`wanted`]).
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// People.
    pub persons: HashMap<Uuid, String>,
    /// Organisations.
    pub organisations: HashMap<Uuid, String>,
    /// Posts.
    pub posts: HashMap<Uuid, String>,
    /// Cases.
    pub cases: HashMap<Uuid, CaseName>,
    /// Designations: the holder's name and the role.
    pub designations: HashMap<Uuid, (String, String)>,
    /// Assessments' titles.
    pub assessments: HashMap<Uuid, String>,
    /// Registers' titles by id.
    pub registers: HashMap<String, Text>,
    /// Libraries' titles by id.
    pub libraries: HashMap<String, Text>,
}

fn detail(row: &AuditRow) -> Value {
    serde_json::from_str(&row.detail).unwrap_or(Value::Null)
}

fn uuid_at(d: &Value, key: &str) -> Option<Uuid> {
    d.get(key)?.as_str()?.parse().ok()
}

fn target_uuid(row: &AuditRow) -> Option<Uuid> {
    row.target_id.as_deref()?.parse().ok()
}

fn text_at(d: &Value, key: &str) -> String {
    match d.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

/// The ids of `rows` that the sentences name, each once.
pub fn wanted(rows: &[AuditRow]) -> NameRequest {
    let mut persons = BTreeSet::new();
    let mut organisations = BTreeSet::new();
    let mut posts = BTreeSet::new();
    let mut cases = BTreeSet::new();
    let mut designations = BTreeSet::new();
    let mut assessments = BTreeSet::new();
    for row in rows {
        let d = detail(row);
        if let Some(id) = target_uuid(row) {
            match row.target_kind.as_str() {
                "person" => {
                    persons.insert(id);
                }
                "organisation" => {
                    organisations.insert(id);
                }
                "post" => {
                    posts.insert(id);
                }
                "case" => {
                    cases.insert(id);
                }
                "designation" => {
                    designations.insert(id);
                }
                "assessment" => {
                    assessments.insert(id);
                }
                _ => {}
            }
        }
        persons.extend(uuid_at(&d, "person"));
        posts.extend(uuid_at(&d, "post"));
        if row.action.starts_with("organisation.") {
            for key in ["parent", "from", "to"] {
                organisations.extend(uuid_at(&d, key));
            }
        }
        for side in ["before", "after"] {
            organisations.extend(d.get(side).and_then(|s| uuid_at(s, "organisation")));
        }
    }
    NameRequest {
        persons: persons.into_iter().collect(),
        organisations: organisations.into_iter().collect(),
        posts: posts.into_iter().collect(),
        cases: cases.into_iter().collect(),
        designations: designations.into_iter().collect(),
        assessments: assessments.into_iter().collect(),
    }
}

/// Reads ids as names.
struct Namer<'a> {
    names: &'a Names,
}

impl Namer<'_> {
    fn person(&self, id: Option<Uuid>) -> Part {
        id.and_then(|id| self.names.persons.get(&id)).map_or_else(
            || Part::Msg("audit-unknown-person".into()),
            |n| Part::Plain(n.clone()),
        )
    }

    fn organisation(&self, id: Option<Uuid>) -> Part {
        id.and_then(|id| self.names.organisations.get(&id))
            .map_or_else(
                || Part::Msg("audit-unknown-organisation".into()),
                |n| Part::Plain(n.clone()),
            )
    }

    fn post(&self, id: Option<Uuid>) -> Part {
        id.and_then(|id| self.names.posts.get(&id)).map_or_else(
            || Part::Msg("audit-unknown-post".into()),
            |n| Part::Plain(n.clone()),
        )
    }

    fn case(&self, row: &AuditRow) -> Option<&CaseName> {
        target_uuid(row).and_then(|id| self.names.cases.get(&id))
    }

    fn case_title(&self, row: &AuditRow) -> Part {
        self.case(row).map_or_else(
            || Part::Msg("audit-unknown-case".into()),
            |c| Part::Plain(c.title.clone()),
        )
    }

    fn state(&self, row: &AuditRow, id: &str) -> Part {
        match self.case(row).and_then(|c| c.states.get(id)) {
            Some(t) => Part::Text(t.clone()),
            None => Part::Plain(id.to_owned()),
        }
    }

    /// What the event was about, as a phrase (案件「…」, 職員「…」).
    fn target(&self, row: &AuditRow) -> Option<Sentence> {
        let id = target_uuid(row);
        let named = |key: &str, part: Part| Some(Sentence::new(key).arg("name", part));
        match row.target_kind.as_str() {
            "case" => named("audit-t-case", self.case_title(row)),
            "person" => named("audit-t-person", self.person(id)),
            "organisation" => named("audit-t-organisation", self.organisation(id)),
            "post" => named("audit-t-post", self.post(id)),
            "designation" => {
                let (holder, role) = id.and_then(|i| self.names.designations.get(&i))?;
                Some(
                    Sentence::new("audit-t-designation")
                        .plain("name", holder.clone())
                        .arg("role", Part::Role(role.clone())),
                )
            }
            "assessment" => named(
                "audit-t-assessment",
                id.and_then(|i| self.names.assessments.get(&i)).map_or_else(
                    || Part::Msg("audit-unknown-assessment".into()),
                    |n| Part::Plain(n.clone()),
                ),
            ),
            "register" | "register_row" => Some(Sentence::new("audit-t-register")),
            "library" => named("audit-t-library", self.library(row)),
            "evidence" => Some(Sentence::new("audit-t-evidence")),
            "api_token" => Some(Sentence::new("audit-t-api-token")),
            "passkey" => Some(Sentence::new("audit-t-passkey")),
            "relation" => Some(Sentence::new("audit-t-relation")),
            "audit" => Some(Sentence::new("audit-t-audit")),
            _ => None,
        }
    }

    fn register(&self, row: &AuditRow) -> Part {
        let id = row.target_id.clone().unwrap_or_default();
        match self.names.registers.get(&id) {
            Some(t) => Part::Text(t.clone()),
            None => Part::Plain(id),
        }
    }

    fn library(&self, row: &AuditRow) -> Part {
        let id = row.target_id.clone().unwrap_or_default();
        match self.names.libraries.get(&id) {
            Some(t) => Part::Text(t.clone()),
            None => Part::Plain(id),
        }
    }
}

fn flag(on: bool) -> Part {
    Part::Msg(if on { "audit-yes" } else { "audit-no" }.into())
}

/// The sentence for one event. Pure: every name comes from `names`.
pub fn sentence(row: &AuditRow, names: &Names) -> Sentence {
    let n = Namer { names };
    let d = detail(row);
    let actor = match (&row.actor_name, row.action.as_str()) {
        (Some(name), _) => Part::Plain(name.clone()),
        (None, "request.refused" | "login") => Part::Msg("audit-actor-anonymous".into()),
        (None, _) => Part::Msg("audit-actor-system".into()),
    };
    let s = |key: &str| Sentence::new(key).arg("actor", actor.clone());
    let op = Part::Msg(operation_key(&row.action));
    let about = n.target(row).map(|t| Part::Phrase(Box::new(t)));
    match row.outcome.as_str() {
        "denied" => return denied(row, &n, actor, op, about),
        "failure" => {
            let base = if row.action == "login" {
                s("audit-s-login-failed").plain("email", text_at(&d, "email"))
            } else {
                s("audit-s-failed").arg("operation", op)
            };
            return base.arg("reason", Part::Reason(text_at(&d, "reason")));
        }
        _ => {}
    }
    let target_person = n.person(target_uuid(row));
    let org_here = row.organisation_name.clone().map_or_else(
        || Part::Msg("audit-unknown-organisation".into()),
        Part::Plain,
    );
    match row.action.as_str() {
        "login" if text_at(&d, "method") == "passkey" => s("audit-s-login-passkey"),
        "login" => s("audit-s-login"),
        "login.second_factor" => s("audit-s-login-second-factor"),
        "logout" => s("audit-s-logout"),
        "audit.anchor" => s("audit-s-audit-anchor")
            .plain("seq", text_at(&d, "seq"))
            .plain("key", text_at(&d, "key")),
        "session.end_others" => {
            s("audit-s-session-end-others").plain("count", text_at(&d, "ended"))
        }
        "person.change_password" => s("audit-s-person-change-password"),
        "person.enrol_totp" => s("audit-s-person-enrol-totp"),
        "person.set_locale" => s("audit-s-person-set-locale").arg(
            "locale",
            Part::Msg(format!("audit-locale-{}", text_at(&d, "locale"))),
        ),
        "person.set_date_style" => s("audit-s-person-set-date-style").arg(
            "style",
            Part::Msg(format!("audit-date-style-{}", text_at(&d, "date_style"))),
        ),
        "organisation.desk" => match d.get("after").filter(|a| a.is_object()) {
            Some(after) => s("audit-s-organisation-desk")
                .arg("name", n.organisation(target_uuid(row)))
                .plain("desk", text_at(after, "name"))
                .plain("phone", text_at(after, "phone")),
            None => {
                s("audit-s-organisation-desk-clear").arg("name", n.organisation(target_uuid(row)))
            }
        },
        "passkey.register" => s("audit-s-passkey-register").plain("name", text_at(&d, "name")),
        "passkey.remove" => s("audit-s-passkey-remove")
            .plain("name", text_at(&d, "name"))
            .arg("person", n.person(uuid_at(&d, "person"))),
        "api_token.create" => s("audit-s-api-token-create")
            .plain("name", text_at(&d, "name"))
            .plain("prefix", text_at(&d, "prefix"))
            .arg("until", Part::When(text_at(&d, "expires_at"))),
        "api_token.revoke" => s("audit-s-api-token-revoke")
            .plain("name", text_at(&d, "name"))
            .arg("person", n.person(uuid_at(&d, "person"))),
        "api_token.use" => s("audit-s-api-token-use")
            .plain("method", text_at(&d, "method"))
            .plain("path", text_at(&d, "path")),
        "request.refused" => s("audit-s-request-refused")
            .plain("path", text_at(&d, "path"))
            .arg("reason", Part::Reason(text_at(&d, "reason"))),
        "request.refused_repeated" => s("audit-s-request-refused-repeated")
            .plain("count", text_at(&d, "count"))
            .arg("from", Part::When(text_at(&d, "from")))
            .arg("until", Part::When(text_at(&d, "until"))),
        "system_admin.create" => {
            s("audit-s-system-admin-create").plain("name", text_at(&d, "name"))
        }
        "organisation.create" => match uuid_at(&d, "parent") {
            Some(parent) => s("audit-s-organisation-create-under")
                .plain("name", text_at(&d, "name"))
                .arg("parent", n.organisation(Some(parent))),
            None => s("audit-s-organisation-create").plain("name", text_at(&d, "name")),
        },
        "organisation.update" => s("audit-s-organisation-update")
            .arg("name", org_here)
            .arg("changes", Part::Phrases(organisation_changes(&d))),
        "organisation.move" => s("audit-s-organisation-move")
            .arg("name", n.organisation(target_uuid(row)))
            .arg("from", n.organisation(uuid_at(&d, "from")))
            .arg("to", n.organisation(uuid_at(&d, "to"))),
        "organisation.delete" => {
            s("audit-s-organisation-delete").plain("name", text_at(&d, "name"))
        }
        "organisation.relate" | "organisation.accept_relation" | "organisation.unrelate" => {
            s(&format!("audit-s-{}", row.action.replace(['.', '_'], "-")))
                .arg("from", n.organisation(uuid_at(&d, "from")))
                .arg("to", n.organisation(uuid_at(&d, "to")))
                .arg(
                    "kind",
                    Part::Msg(format!("relation-{}", text_at(&d, "kind"))),
                )
        }
        "person.create" => s("audit-s-person-create")
            .plain("name", text_at(&d, "name"))
            .arg("organisation", org_here),
        "person.update" => s("audit-s-person-update")
            .arg("person", target_person)
            .arg("changes", Part::Phrases(person_changes(&n, &d))),
        "person.reset_password" => s("audit-s-person-reset-password").arg("person", target_person),
        "person.reset_totp" => s("audit-s-person-reset-totp").arg("person", target_person),
        "post.create" => s("audit-s-post-create")
            .plain("name", text_at(&d, "name"))
            .arg("organisation", org_here),
        "post.rename" => s("audit-s-post-rename")
            .plain("from", text_at(&d, "before"))
            .plain("to", text_at(&d, "after")),
        "post.assign" => s("audit-s-post-assign")
            .arg("person", n.person(uuid_at(&d, "person")))
            .arg("post", n.post(target_uuid(row)))
            .arg("period", period(&d)),
        "designation.create" => {
            let holder = match uuid_at(&d, "person") {
                Some(p) => n.person(Some(p)),
                None => n.post(uuid_at(&d, "post")),
            };
            let key = if row.organisation_id.is_some() {
                "audit-s-designation-create"
            } else {
                "audit-s-designation-create-everywhere"
            };
            s(key)
                .arg("person", holder)
                .arg("role", Part::Role(text_at(&d, "role")))
                .arg("organisation", org_here)
                .arg("period", period(&d))
        }
        "designation.end" => {
            let holder = target_uuid(row)
                .and_then(|id| names.designations.get(&id))
                .map_or_else(
                    || Part::Msg("audit-unknown-person".into()),
                    |(h, _)| Part::Plain(h.clone()),
                );
            let key = if d.get("at_once").and_then(Value::as_bool) == Some(true) {
                "audit-s-designation-end-now"
            } else {
                "audit-s-designation-end"
            };
            s(key)
                .arg("person", holder)
                .arg("role", Part::Role(text_at(&d, "role")))
                .arg("last", Part::When(text_at(&d, "ends_on")))
        }
        "case.open" => s("audit-s-case-open")
            .arg("case", n.case_title(row))
            .arg("procedure", procedure(&n, row)),
        "case.save" => s("audit-s-case-save").arg("case", n.case_title(row)),
        "case.act" => {
            let action = text_at(&d, "action");
            let name = match n.case(row).and_then(|c| c.actions.get(&action)) {
                Some(t) => Part::Text(t.clone()),
                None => Part::Plain(action),
            };
            let (from, to) = (text_at(&d, "from"), text_at(&d, "to"));
            let key = if from == to {
                "audit-s-case-act-stay"
            } else {
                "audit-s-case-act"
            };
            s(key)
                .arg("case", n.case_title(row))
                .arg("procedure", procedure(&n, row))
                .arg("action", name)
                .arg("from", n.state(row, &from))
                .arg("to", n.state(row, &to))
        }
        "case.attach" | "case.attachment.download" | "case.attachment.withdraw" => {
            s(&format!("audit-s-{}", row.action.replace(['.', '_'], "-")))
                .arg("case", n.case_title(row))
                .plain("file", text_at(&d, "file_name"))
        }
        "case.document" => s("audit-s-case-document")
            .arg("case", n.case_title(row))
            .plain("document", text_at(&d, "document")),
        "case.export" => s("audit-s-case-export").arg("case", n.case_title(row)),
        "case.deadline" => {
            let key = if text_at(&d, "kind") == "due" {
                "audit-s-case-deadline-due"
            } else {
                "audit-s-case-deadline-remind"
            };
            s(key)
                .arg("case", n.case_title(row))
                .arg("state", n.state(row, &text_at(&d, "state")))
                .arg("due", Part::When(text_at(&d, "due")))
        }
        "register.add" | "register.edit" | "register.retire" => {
            s(&format!("audit-s-{}", row.action.replace('.', "-")))
                .arg("register", n.register(row))
                .plain("key", text_at(&d, "key"))
        }
        "register.import" => s("audit-s-register-import")
            .arg("register", n.register(row))
            .plain("added", text_at(&d, "added"))
            .plain("updated", text_at(&d, "updated"))
            .plain("unchanged", text_at(&d, "unchanged")),
        "register.export" => s("audit-s-register-export")
            .arg("register", n.register(row))
            .plain("rows", text_at(&d, "rows")),
        "register.row_role" => s("audit-s-register-row-role")
            .arg("person", n.person(uuid_at(&d, "person")))
            .plain("row", text_at(&d, "row_name"))
            .arg("role", Part::Role(text_at(&d, "role")))
            .arg("period", period(&d)),
        "register.row_role_end" => s("audit-s-register-row-role-end")
            .arg("person", n.person(uuid_at(&d, "person")))
            .plain("row", text_at(&d, "row_name"))
            .arg("role", Part::Role(text_at(&d, "role"))),
        "assessment.start" | "assessment.campaign" => {
            s(&format!("audit-s-{}", row.action.replace('.', "-")))
                .plain("title", text_at(&d, "title"))
                .arg("organisation", org_here)
        }
        "assessment.answer" => s("audit-s-assessment-answer")
            .arg("assessment", assessment(&n, row))
            .plain(
                "count",
                d.get("answers")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len)
                    .to_string(),
            ),
        "assessment.evidence" => {
            s("audit-s-assessment-evidence").arg("assessment", assessment(&n, row))
        }
        "assessment.submit" => s("audit-s-assessment-submit")
            .arg("assessment", assessment(&n, row))
            .plain("pass", text_at(&d, "pass"))
            .plain("fail", text_at(&d, "fail"))
            .plain("na", text_at(&d, "not_applicable")),
        "evidence.add" => s("audit-s-evidence-add")
            .plain("title", text_at(&d, "title"))
            .arg("organisation", org_here),
        "evidence.download" => {
            s("audit-s-evidence-download").plain("file", text_at(&d, "file_name"))
        }
        "library.matrix_correct" => s("audit-s-library-matrix-correct")
            .plain("row", text_at(&d, "row"))
            .plain("title", text_at(&d, "title"))
            .plain("reason", text_at(&d, "reason"))
            .arg("organisation", org_here),
        "library.adapt" | "library.adaptation.remove" => {
            s(&format!("audit-s-{}", row.action.replace('.', "-")))
                .arg("library", n.library(row))
                .arg("organisation", org_here)
        }
        _ => s("audit-s-other").arg("operation", op).arg(
            "about",
            about.unwrap_or(Part::Msg("audit-t-nothing".into())),
        ),
    }
}

/// A refused attempt: what was tried, on what, by whom.
fn denied(row: &AuditRow, n: &Namer<'_>, actor: Part, op: Part, about: Option<Part>) -> Sentence {
    // A refused case action carries the library's action id: name it as the library does.
    let op = match row.action.strip_prefix("case.") {
        Some(action) if !OPERATIONS.contains(&row.action.as_str()) => {
            match n.case(row).and_then(|c| c.actions.get(action)) {
                Some(t) => Part::Text(t.clone()),
                None => Part::Msg(operation_key("case.act")),
            }
        }
        _ => op,
    };
    let s = Sentence::new(if about.is_some() {
        "audit-s-denied-on"
    } else {
        "audit-s-denied"
    })
    .arg("actor", actor)
    .arg("operation", op);
    match about {
        Some(a) => s.arg("about", a),
        None => s,
    }
}

fn procedure(n: &Namer<'_>, row: &AuditRow) -> Part {
    match n.case(row).and_then(|c| c.procedure.clone()) {
        Some(t) => Part::Text(t),
        None => Part::Msg("audit-unknown-procedure".into()),
    }
}

fn assessment(n: &Namer<'_>, row: &AuditRow) -> Part {
    target_uuid(row)
        .and_then(|id| n.names.assessments.get(&id))
        .map_or_else(
            || Part::Msg("audit-unknown-assessment".into()),
            |t| Part::Plain(t.clone()),
        )
}

/// From (and until) of a designation or post assignment.
fn period(d: &Value) -> Part {
    let starts = Part::When(text_at(d, "starts_on"));
    Part::Phrase(Box::new(match d.get("ends_on").and_then(Value::as_str) {
        Some(ends) => Sentence::new("audit-c-period")
            .arg("from", starts)
            .arg("until", Part::When(ends.to_owned())),
        None => Sentence::new("audit-c-period-open").arg("from", starts),
    }))
}

/// One "before → after" for each field that changed.
fn change(out: &mut Vec<Sentence>, key: &str, before: Part, after: Part) {
    if before != after {
        out.push(Sentence::new(key).arg("from", before).arg("to", after));
    }
}

fn organisation_changes(d: &Value) -> Vec<Sentence> {
    let (b, a) = (&d["before"], &d["after"]);
    let mut out = Vec::new();
    change(
        &mut out,
        "audit-c-name",
        Part::Plain(text_at(b, "name")),
        Part::Plain(text_at(a, "name")),
    );
    change(
        &mut out,
        "audit-c-kind",
        Part::Msg(format!("kind-{}", text_at(b, "kind"))),
        Part::Msg(format!("kind-{}", text_at(a, "kind"))),
    );
    let totp = |v: &Value| {
        v.get("require_totp")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    change(
        &mut out,
        "audit-c-require-totp",
        flag(totp(b)),
        flag(totp(a)),
    );
    out
}

fn person_changes(n: &Namer<'_>, d: &Value) -> Vec<Sentence> {
    let (b, a) = (&d["before"], &d["after"]);
    let mut out = Vec::new();
    change(
        &mut out,
        "audit-c-name",
        Part::Plain(text_at(b, "name")),
        Part::Plain(text_at(a, "name")),
    );
    change(
        &mut out,
        "audit-c-organisation",
        n.organisation(uuid_at(b, "organisation")),
        n.organisation(uuid_at(a, "organisation")),
    );
    let active = |v: &Value| v.get("active").and_then(Value::as_bool).unwrap_or(true);
    change(&mut out, "audit-c-active", flag(active(b)), flag(active(a)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mamori_storage::Ts;

    fn row(
        action: &str,
        outcome: &str,
        kind: &str,
        target: Option<Uuid>,
        detail: Value,
    ) -> AuditRow {
        AuditRow {
            seq: 1,
            occurred_at: Ts(jiff::Timestamp::UNIX_EPOCH),
            actor_id: Some(Uuid::nil()),
            actor_name: Some("監査 花子".into()),
            organisation_id: Some(Uuid::nil()),
            organisation_name: Some("甲社".into()),
            action: action.into(),
            target_kind: kind.into(),
            target_id: target.map(|t| t.to_string()),
            outcome: outcome.into(),
            detail: detail.to_string(),
            ip: None,
            hash: vec![0; 32],
        }
    }

    fn text(ja: &str) -> Text {
        Text {
            ja: ja.into(),
            en: None,
        }
    }

    fn case_names(id: Uuid) -> Names {
        let mut names = Names::default();
        names.cases.insert(
            id,
            CaseName {
                title: "ChatGPT".into(),
                procedure: Some(text("外部サービスの利用承認")),
                states: [
                    ("draft".to_owned(), text("下書き")),
                    ("received".to_owned(), text("受領")),
                ]
                .into(),
                actions: [("submit".to_owned(), text("申請する"))].into(),
            },
        );
        names
    }

    #[test]
    fn a_case_action_names_the_case_and_both_states() {
        let id = Uuid::now_v7();
        let r = row(
            "case.act",
            "success",
            "case",
            Some(id),
            serde_json::json!({"action": "submit", "from": "draft", "to": "received"}),
        );
        let s = sentence(&r, &case_names(id));
        assert_eq!(s.key, "audit-s-case-act");
        assert_eq!(s.get("case"), Some(&Part::Plain("ChatGPT".into())));
        assert_eq!(s.get("from"), Some(&Part::Text(text("下書き"))));
        assert_eq!(s.get("to"), Some(&Part::Text(text("受領"))));
        assert_eq!(s.get("action"), Some(&Part::Text(text("申請する"))));
    }

    #[test]
    fn a_refused_case_action_is_named_by_the_library() {
        let id = Uuid::now_v7();
        let r = row(
            "case.submit",
            "denied",
            "case",
            Some(id),
            serde_json::json!({}),
        );
        let s = sentence(&r, &case_names(id));
        assert_eq!(s.key, "audit-s-denied-on");
        assert_eq!(s.get("operation"), Some(&Part::Text(text("申請する"))));
    }

    #[test]
    fn wanted_collects_people_and_organisations_from_the_detail_once() {
        let p = Uuid::now_v7();
        let o = Uuid::now_v7();
        let rows = [
            row(
                "designation.create",
                "success",
                "designation",
                Some(Uuid::now_v7()),
                serde_json::json!({"person": p, "role": "auditor"}),
            ),
            row(
                "person.reset_password",
                "success",
                "person",
                Some(p),
                serde_json::json!({}),
            ),
            row(
                "organisation.move",
                "success",
                "organisation",
                Some(o),
                serde_json::json!({"from": o, "to": null}),
            ),
        ];
        let w = wanted(&rows);
        assert_eq!(w.persons, vec![p]);
        assert_eq!(w.organisations, vec![o]);
        assert_eq!(w.designations.len(), 1);
    }

    #[test]
    fn a_person_update_lists_only_what_changed() {
        let p = Uuid::now_v7();
        let r = row(
            "person.update",
            "success",
            "person",
            Some(p),
            serde_json::json!({"before": {"name": "甲 一郎", "active": true}, "after": {"name": "甲 一郎", "active": false}}),
        );
        let s = sentence(&r, &Names::default());
        let Some(Part::Phrases(changes)) = s.get("changes") else {
            panic!("{s:?}")
        };
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].key, "audit-c-active");
    }

    #[test]
    fn every_operation_has_a_family_or_stands_alone() {
        for op in OPERATIONS {
            assert!(
                FAMILIES.iter().any(|f| op.starts_with(f))
                    || [
                        "logout",
                        "session.end_others",
                        "system_admin.create",
                        "audit.read",
                        "audit.verify",
                        "audit.anchor"
                    ]
                    .contains(op),
                "{op}"
            );
        }
    }
}

//! Adding staff in bulk from a workbook (職員の一括登録).
//!
//! An office moving onto mamori has its staff list in an HR workbook. Each row becomes a
//! person who signs in the first time with a sign-in code mamori draws for them
//! ([`mamori_auth::enrolment`]) and then chooses their own password. No password is
//! hashed up front, so three thousand staff are added in seconds rather than minutes.

use std::collections::{BTreeMap, BTreeSet};

use mamori_auth::enrolment;
use mamori_domain::audit::Outcome;
use mamori_domain::person::{Email, PersonName};
use mamori_domain::policy::{self, Permission};
use mamori_library::Text;
use mamori_storage::persons::{self, NewPerson};
use mamori_storage::{Ts, organisations as orgs};
use uuid::Uuid;

use crate::registers::read_workbook;
use crate::{App, AppError, Caller, Event, FormProblem};

/// How long a sign-in code opens its account. The seeds set no figure; thirty days is
/// mamori's own, long enough to hand notices out on paper across an office.
pub const CODE_DAYS: i64 = 30;

/// The headers each column is recognised by (trimmed, any case).
const NAME_HEADERS: &[&str] = &["氏名", "名前", "職員名", "name"];
const EMAIL_HEADERS: &[&str] = &["メールアドレス", "メール", "電子メール", "e-mail", "email"];
const UNIT_HEADERS: &[&str] = &[
    "所属",
    "所属組織",
    "部署",
    "unit",
    "organisation",
    "organization",
];

/// One person added, with the code to hand them. The code is shown once and kept nowhere.
#[derive(Debug, Clone)]
pub struct ImportedPerson {
    /// The new person.
    pub id: Uuid,
    /// Their name.
    pub name: String,
    /// Their e-mail address (lower-case), which they sign in with.
    pub email: String,
    /// The organisation they belong to.
    pub organisation: Uuid,
    /// Its name.
    pub organisation_name: String,
    /// Their sign-in code, grouped for reading (`7K3M-9QXD-2BHN-W4RT`).
    pub code: String,
}

/// What an import added.
#[derive(Debug, Clone)]
pub struct PeopleImport {
    /// Every person added, in the workbook's order.
    pub people: Vec<ImportedPerson>,
    /// When the codes stop opening the accounts.
    pub codes_expire_at: Ts,
}

/// A row that passed its checks.
struct Row {
    line: u32,
    name: PersonName,
    email: Email,
    unit: String,
}

/// The problem `code` at one cell, named as Excel shows it (「12行目 メールアドレス」), with
/// its row to sort by.
fn at(line: u32, field: &str, ja: &str, en: &str, code: &'static str) -> (u32, FormProblem) {
    at_limit(line, field, ja, en, code, None)
}

/// [`at`], with the limit the message quotes.
fn at_limit(
    line: u32,
    field: &str,
    ja: &str,
    en: &str,
    code: &'static str,
    limit: Option<String>,
) -> (u32, FormProblem) {
    let problem = FormProblem {
        field: format!("row{line}.{field}"),
        label: Text {
            ja: format!("{line}行目 {ja}"),
            en: Some(format!("row {line}, {en}")),
        },
        code,
        limit,
    };
    (line, problem)
}

fn column(header: &[String], names: &[&str]) -> Option<usize> {
    header.iter().position(|h| {
        let h = h.trim().to_lowercase();
        names.iter().any(|n| h == *n)
    })
}

impl App {
    /// Adds every person of a workbook to `organisation` (or to the unit below it that a
    /// row's 所属 names), each with a sign-in code. Every row is checked first; if any is
    /// wrong, nobody is added and each problem is named by its row.
    pub async fn import_people(
        &self,
        caller: &Caller,
        organisation: Uuid,
        workbook: Vec<u8>,
    ) -> Result<PeopleImport, AppError> {
        let facts = match orgs::facts_db(&self.db, organisation).await {
            Ok(f) => f,
            Err(mamori_storage::StorageError::NotFound) => {
                return Err(AppError::on_field("organisation", "not-found"));
            }
            Err(e) => return Err(e.into()),
        };
        if !policy::allows(&caller.actor, Permission::ManagePeople, &facts) {
            return self
                .deny(
                    caller,
                    "person.import",
                    Some(organisation),
                    "organisation",
                    Some(organisation.to_string()),
                )
                .await;
        }
        let table = read_workbook(workbook).await?;
        let (Some(name_at), Some(email_at)) = (
            column(&table.header, NAME_HEADERS),
            column(&table.header, EMAIL_HEADERS),
        ) else {
            return Err(AppError::Rule {
                code: "people-import-columns",
            });
        };
        let unit_at = column(&table.header, UNIT_HEADERS);
        if table.rows.is_empty() {
            return Err(AppError::Rule {
                code: "import-empty",
            });
        }

        let mut found = Vec::new();
        let mut rows = Vec::new();
        let mut first_line: BTreeMap<String, u32> = BTreeMap::new();
        for (line, cells) in &table.rows {
            let cell = |i: usize| cells.get(i).map_or("", String::as_str);
            let name = PersonName::parse(cell(name_at))
                .map_err(|e| {
                    found.push(at_limit(
                        *line,
                        "name",
                        "氏名",
                        "name",
                        e.code,
                        e.limit.map(|l| l.to_string()),
                    ))
                })
                .ok();
            let email = Email::parse(cell(email_at))
                .map_err(|e| {
                    found.push(at_limit(
                        *line,
                        "email",
                        "メールアドレス",
                        "e-mail",
                        e.code,
                        e.limit.map(|l| l.to_string()),
                    ))
                })
                .ok();
            if let Some(email) = &email {
                if let Some(first) = first_line.get(email.as_ref()) {
                    found.push(at_limit(
                        *line,
                        "email",
                        "メールアドレス",
                        "e-mail",
                        "duplicate-key",
                        Some(first.to_string()),
                    ));
                } else {
                    first_line.insert(email.as_ref().to_owned(), *line);
                }
            }
            if let (Some(name), Some(email)) = (name, email) {
                rows.push(Row {
                    line: *line,
                    name,
                    email,
                    unit: unit_at
                        .map(|i| cell(i).trim().to_owned())
                        .unwrap_or_default(),
                });
            }
        }

        let now = self.now();
        let expires = Ts::from(now.0 + jiff::SignedDuration::from_hours(24 * CODE_DAYS));
        let mut tx = self.db.begin().await?;
        // The units the rows name, each looked up once among the organisation's own.
        let mut units: BTreeMap<String, Result<(Uuid, String), &'static str>> = BTreeMap::new();
        let root = orgs::get(&mut tx, organisation).await?;
        for row in &rows {
            if units.contains_key(&row.unit) {
                continue;
            }
            let found_unit = if row.unit.is_empty() || row.unit == root.name {
                Ok((organisation, root.name.clone()))
            } else {
                match orgs::named_in(&mut tx, organisation, &row.unit)
                    .await?
                    .as_slice()
                {
                    [] => Err("unknown-unit"),
                    [one] => {
                        let facts = orgs::ancestry(&mut tx, *one).await?;
                        if policy::allows(&caller.actor, Permission::ManagePeople, &facts) {
                            Ok((*one, orgs::get(&mut tx, *one).await?.name))
                        } else {
                            Err("unknown-unit")
                        }
                    }
                    _ => Err("ambiguous-unit"),
                }
            };
            units.insert(row.unit.clone(), found_unit);
        }
        let emails: Vec<String> = rows.iter().map(|r| r.email.as_ref().to_owned()).collect();
        let taken: BTreeSet<String> = persons::taken_emails(&mut tx, &emails)
            .await?
            .into_iter()
            .collect();
        for row in &rows {
            if let Some(Err(code)) = units.get(&row.unit) {
                found.push(at(row.line, "unit", "所属", "unit", code));
            }
            if taken.contains(row.email.as_ref()) {
                found.push(at(
                    row.line,
                    "email",
                    "メールアドレス",
                    "e-mail",
                    "email-in-use",
                ));
            }
        }
        if !found.is_empty() {
            drop(tx);
            // In the order of the sheet, so people work down it.
            found.sort_by_key(|(line, _)| *line);
            return Err(AppError::FormInvalid(
                found.into_iter().map(|(_, p)| p).collect(),
            ));
        }

        let mut people = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(Ok((unit, unit_name))) = units.get(&row.unit).cloned() else {
                continue;
            };
            let (code, stored) = enrolment::new_code(expires.0.as_second());
            let id = Uuid::now_v7();
            persons::insert(
                &mut tx,
                &NewPerson {
                    id,
                    organisation: unit,
                    name: row.name.as_ref(),
                    email: row.email.as_ref(),
                    password_hash: &stored,
                    must_change_password: true,
                    now,
                },
            )
            .await?;
            // Each person's own creation, so their history starts where everyone's does.
            self.record(
                &mut tx,
                Some(caller.actor.person),
                caller.ip.as_deref(),
                Event {
                    action: "person.create",
                    organisation: Some(unit),
                    target_kind: "person",
                    target_id: Some(id.to_string()),
                    outcome: Outcome::Success,
                    detail: serde_json::json!({
                        "name": row.name.as_ref(),
                        "email": row.email.as_ref(),
                        "by": "import",
                    }),
                },
            )
            .await?;
            people.push(ImportedPerson {
                id,
                name: row.name.as_ref().to_owned(),
                email: row.email.as_ref().to_owned(),
                organisation: unit,
                organisation_name: unit_name,
                code,
            });
        }
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "person.import",
                organisation: Some(organisation),
                target_kind: "organisation",
                target_id: Some(organisation.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({
                    "added": people.len(),
                    "codes_expire_at": expires.0.to_string(),
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(PeopleImport {
            people,
            codes_expire_at: expires,
        })
    }
}

//! Registers (台帳) kept by hand: rows added, corrected and retired by the register's
//! editors, each change kept in the row's history; and the whole register to and from
//! Excel, where an import is checked row by row and stored only if every row is right.
//!
//! Reading follows [`Permission::ViewCases`] over the organisation that keeps the row.
//! Editing needs one of the register's `editors` roles held in that organisation or one
//! above it (the same rule as a procedure's `parent_chain` party). A row whose handling
//! mark is need-to-know is read by its editors only.

use std::collections::BTreeMap;
use std::sync::Arc;

use mamori_domain::policy::{self, CaseFacts, CaseRelation, OrgFacts, Permission};
use mamori_library::condition::{key_text, resolve_key};
use mamori_library::form::{self, Completeness, Data};
use mamori_library::model::{FieldType, Register};
use mamori_library::{Library, Text};
use mamori_sheets::{Column, Limit, Limits, SheetError, Table};
use mamori_storage::organisations as orgs;
use mamori_storage::registers::{self, RowEvent, RowFilter, RowRecord, RowWrite};
use mamori_storage::{PageRequest, Tx};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::FormProblem;
use crate::{App, AppError, Caller, RenderedDocument};

/// Rows a page of a register holds when the reader does not say.
pub const ROWS_PER_PAGE: i64 = 100;

/// The most rows one page of a register holds.
pub const MAX_ROWS_PER_PAGE: i64 = 1000;

/// The most rows an export, a document or a table filled from a register reads (all a
/// reader sees, in any register kept by hand so far).
const ALL_ROWS: i64 = 5000;

/// The most column filters one listing takes: each is one more index read per row.
const MAX_FILTERS: usize = 16;

/// Which rows of a register to list.
#[derive(Debug, Clone, Default)]
pub struct RowQuery {
    /// The retired rows instead of the live ones.
    pub retired: bool,
    /// (column id, value as typed): a row must have every one. An empty value filters
    /// nothing; a column named twice keeps the later value.
    pub filters: Vec<(String, String)>,
    /// Rows per page: [`ROWS_PER_PAGE`] when not given, at most [`MAX_ROWS_PER_PAGE`].
    pub limit: Option<i64>,
    /// Rows to skip.
    pub offset: Option<i64>,
}

/// A register as its reader sees it.
#[derive(Debug, Clone)]
pub struct RegisterView {
    /// The library (current version) that declares it.
    pub library: Arc<Library>,
    /// Its rows kept by organisations the reader may read: one page of those the filters
    /// let through.
    pub rows: Vec<RowRecord>,
    /// How many rows the filters let through in all, counted up to 1,000.
    pub total: i64,
    /// Whether `total` is exact (otherwise at least that many).
    pub total_exact: bool,
    /// Rows skipped before this page.
    pub offset: i64,
    /// Rows per page.
    pub limit: i64,
    /// Organisations where the reader may add rows: (id, name).
    pub editable_in: Vec<(Uuid, String)>,
}

impl RegisterView {
    /// The register's definition.
    pub fn register(&self, id: &str) -> &Register {
        &self.library.registers[id]
    }
}

/// A row with its history.
#[derive(Debug, Clone)]
pub struct RowView {
    /// The library (current version) that declares the register.
    pub library: Arc<Library>,
    /// The row.
    pub row: RowRecord,
    /// Its columns.
    pub data: Data,
    /// Its changes, oldest first.
    pub events: Vec<RowEvent>,
    /// Whether the reader may edit or retire it.
    pub may_edit: bool,
    /// Whether the reader may place or release a legal hold on it (an administrator or an
    /// auditor over its organisation).
    pub may_hold: bool,
    /// The dates it carries and where each stands.
    pub dates: Vec<crate::RowDateView>,
    /// The roles held for it now (its register's `roles`: the system's manager).
    pub roles: Vec<mamori_storage::row_designations::RowDesignationRow>,
    /// Whether the reader may designate for it and end those designations (an
    /// administrator over the keeping organisation), where the register holds roles.
    pub may_designate: bool,
    /// Whom the reader may designate for it: the keeping organisation's members, when
    /// they may designate.
    pub candidates: Vec<(Uuid, String)>,
    /// Today, where the installation is (a new designation's first day by default).
    pub today: jiff::civil::Date,
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    /// Rows added.
    pub added: usize,
    /// Rows changed.
    pub updated: usize,
    /// Rows already as in the workbook.
    pub unchanged: usize,
}

fn parse(text: &str) -> Data {
    serde_json::from_str(text).unwrap_or_default()
}

/// The problems of one form-like validation, each labelled for people.
fn problems(
    register: &Register,
    found: Vec<form::FieldProblem>,
    row: Option<u32>,
) -> Vec<FormProblem> {
    found
        .into_iter()
        .map(|p| {
            let label = register
                .column(&p.field)
                .map(|c| c.label.clone())
                .unwrap_or_else(|| Text {
                    ja: p.field.clone(),
                    en: None,
                });
            let (field, label) = match row {
                // Named after the row as Excel shows it, so people find the cell.
                Some(line) => (
                    format!("row{line}.{}", p.field),
                    Text {
                        ja: format!("{line}行目 {}", label.ja),
                        en: Some(format!("row {line}, {}", label.get("en"))),
                    },
                ),
                None => (p.field, label),
            };
            FormProblem {
                label,
                field,
                code: p.code,
                limit: p.limit,
            }
        })
        .collect()
}

impl App {
    pub(crate) fn register_def(
        &self,
        register: &str,
    ) -> Result<(Arc<Library>, Register), AppError> {
        let lib = self
            .libraries
            .register(register)
            .cloned()
            .ok_or(AppError::NotFound)?;
        let def = lib.registers[register].clone();
        Ok((lib, def))
    }

    /// Whether the caller holds an editor role of `register` in `org` or above it.
    async fn may_edit_in<'a>(
        &self,
        src: impl Into<mamori_storage::Src<'a>>,
        caller: &Caller,
        register: &Register,
        org: Uuid,
    ) -> Result<bool, AppError> {
        let ancestors = orgs::ancestors(src, org).await?;
        Ok(may_edit(caller, register, ancestors))
    }

    /// Begins the transaction of a change to row `id`, once the caller may edit it.
    async fn row_for_change(
        &self,
        caller: &Caller,
        register: &str,
        id: Uuid,
        action: &str,
    ) -> Result<(Tx, Arc<Library>, Register, RowRecord), AppError> {
        let (lib, def) = self.register_def(register)?;
        let mut tx = self.db.begin().await?;
        let row = registers::get(&mut tx, lib.id(), register, id).await?;
        if !self
            .may_edit_in(&mut tx, caller, &def, row.organisation_id)
            .await?
        {
            // The refusal is recorded in a transaction of its own.
            drop(tx);
            return self
                .deny_because(
                    caller,
                    action,
                    Some(row.organisation_id),
                    ("register_row", id.to_string()),
                    editors_only(&lib, &def),
                )
                .await;
        }
        Ok((tx, lib, def, row))
    }

    /// A register's rows kept by organisations the caller may read: the live ones, or the
    /// retired ones, every one of them (up to 5,000) — what an export, a document or a
    /// table filled from the register reads.
    pub async fn register(
        &self,
        caller: &Caller,
        register: &str,
        retired: bool,
    ) -> Result<RegisterView, AppError> {
        let (lib, def) = self.register_def(register)?;
        let filter = RowFilter {
            retired,
            ..RowFilter::default()
        };
        let all = PageRequest {
            limit: ALL_ROWS,
            offset: 0,
        };
        self.read_rows(caller, lib, &def, filter, all).await
    }

    /// A page of a register's rows kept by organisations the caller may read, filtered by
    /// the values of its columns: the register's page and `GET /registers/{id}/rows`.
    pub async fn register_rows(
        &self,
        caller: &Caller,
        register: &str,
        query: &RowQuery,
    ) -> Result<RegisterView, AppError> {
        let (lib, def) = self.register_def(register)?;
        let filter = RowFilter {
            retired: query.retired,
            values: column_filters(&def, &query.filters)?,
            ..RowFilter::default()
        };
        let page = PageRequest {
            limit: query
                .limit
                .unwrap_or(ROWS_PER_PAGE)
                .clamp(1, MAX_ROWS_PER_PAGE),
            offset: query.offset.unwrap_or(0).max(0),
        };
        self.read_rows(caller, lib, &def, filter, page).await
    }

    /// The rows the caller reads: kept in organisations where they may read cases, and,
    /// where a row's class is read only by those who need to know, kept where they are
    /// its register's editor.
    async fn read_rows(
        &self,
        caller: &Caller,
        lib: Arc<Library>,
        def: &Register,
        mut filter: RowFilter,
        page: PageRequest,
    ) -> Result<RegisterView, AppError> {
        let scope = policy::scope(&caller.actor, Permission::ViewCases, &[]);
        // A row holds one level on each axis: one filtered to another level of an axis
        // cannot hold the restricted one, and is not looked up for it.
        filter.restricted = need_to_know_levels(&lib)
            .into_iter()
            .filter(|(axis, level)| {
                !filter
                    .values
                    .iter()
                    .any(|(column, value)| column == axis && value != level)
            })
            .collect();
        if !filter.restricted.is_empty() {
            filter.restricted_shown_under = edited_under(caller, def);
        }
        let rows = registers::list(
            &self.db,
            lib.id(),
            def.id.value.as_str(),
            &scope,
            &filter,
            page,
        )
        .await?;
        let editable_in = self
            .held_in(caller, def.editors.iter().map(|e| e.value.as_str()))
            .await?;
        Ok(RegisterView {
            library: lib,
            rows: rows.items,
            total: rows.total,
            total_exact: rows.exact,
            offset: page.offset,
            limit: page.limit,
            editable_in,
        })
    }

    /// One row with its history.
    pub async fn register_row(
        &self,
        caller: &Caller,
        register: &str,
        id: Uuid,
    ) -> Result<RowView, AppError> {
        let (lib, def) = self.register_def(register)?;
        let row = registers::get(&self.db, lib.id(), register, id).await?;
        let ancestors = orgs::ancestors(&self.db, row.organisation_id).await?;
        let may_edit = may_edit(caller, &def, ancestors.clone());
        let facts = OrgFacts {
            ancestors,
            related: vec![],
        };
        let readers_by_office = !need_to_know(&lib, &parse(&row.data))
            && policy::allows(&caller.actor, Permission::ViewCases, &facts);
        if !may_edit && !readers_by_office {
            return self
                .deny(
                    caller,
                    "register.read",
                    Some(row.organisation_id),
                    "register_row",
                    Some(id.to_string()),
                )
                .await;
        }
        let events = registers::events(&self.db, id).await?;
        let data = parse(&row.data);
        let roles = if def.roles.is_empty() {
            Vec::new()
        } else {
            mamori_storage::row_designations::for_row(&self.db, id)
                .await?
                .into_iter()
                .filter(|d| d.ended_at.is_none())
                .collect()
        };
        let may_designate = !def.roles.is_empty()
            && row.retired_at.is_none()
            && policy::allows(&caller.actor, Permission::ManagePeople, &facts);
        let candidates = if may_designate {
            let filter = mamori_storage::persons::PersonFilter {
                organisation: Some(row.organisation_id),
                q: None,
            };
            self.persons(
                caller,
                &filter,
                mamori_storage::PageRequest::new(Some(200), None),
            )
            .await?
            .items
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect()
        } else {
            Vec::new()
        };
        Ok(RowView {
            today: self.today().0,
            may_designate,
            candidates,
            roles,
            may_hold: policy::allows(&caller.actor, Permission::ViewAudit, &facts),
            dates: self.row_dates(&def, &data),
            data,
            may_edit: may_edit && row.retired_at.is_none(),
            library: lib,
            row,
            events,
        })
    }

    /// Adds a row kept by `organisation`; a live row with the same key is a conflict.
    pub async fn add_register_row(
        &self,
        caller: &Caller,
        register: &str,
        organisation: Uuid,
        data: Data,
    ) -> Result<Uuid, AppError> {
        let (lib, def) = self.register_def(register)?;
        let clean = form::validate(&def.columns, &data, Completeness::Complete)
            .map_err(|p| AppError::FormInvalid(problems(&def, p, None)))?;
        let mut tx = self.db.begin().await?;
        if !self
            .may_edit_in(&mut tx, caller, &def, organisation)
            .await?
        {
            drop(tx);
            return self
                .deny_because(
                    caller,
                    "register.add",
                    Some(organisation),
                    ("register", register.to_owned()),
                    editors_only(&lib, &def),
                )
                .await;
        }
        let key = row_key(&def, &clean);
        if registers::find(&mut tx, lib.id(), register, &[organisation], &key)
            .await?
            .is_some()
        {
            return Err(AppError::FormInvalid(vec![key_problem(
                &def, None, "taken", None,
            )]));
        }
        let id = self
            .write_row(
                &mut tx,
                caller,
                &lib,
                register,
                organisation,
                &key,
                &clean,
                &clean,
                "add",
                "",
            )
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Corrects a live row: `data` holds the columns to change (key columns cannot, since
    /// they say which row this is).
    pub async fn edit_register_row(
        &self,
        caller: &Caller,
        register: &str,
        id: Uuid,
        data: Data,
        comment: &str,
    ) -> Result<(), AppError> {
        let (mut tx, lib, def, row) = self
            .row_for_change(caller, register, id, "register.edit")
            .await?;
        if row.retired_at.is_some() {
            return Err(AppError::Rule {
                code: "register-row-retired",
            });
        }
        let before = parse(&row.data);
        let mut merged = before.clone();
        for (k, v) in data {
            if v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty()) {
                merged.remove(&k);
            } else {
                merged.insert(k, v);
            }
        }
        let clean = form::validate(&def.columns, &merged, Completeness::Complete)
            .map_err(|p| AppError::FormInvalid(problems(&def, p, None)))?;
        if row_key(&def, &clean) != row.key_text {
            return Err(AppError::Rule {
                code: "register-key-fixed",
            });
        }
        let change = changes(&before, &clean);
        if change.is_empty() {
            return Ok(());
        }
        self.write_row(
            &mut tx,
            caller,
            &lib,
            register,
            row.organisation_id,
            &row.key_text,
            &clean,
            &change,
            "edit",
            comment.trim(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Retires a row (the service is no longer used, say); it stays, with its history,
    /// among the retired rows.
    pub async fn retire_register_row(
        &self,
        caller: &Caller,
        register: &str,
        id: Uuid,
        comment: &str,
    ) -> Result<(), AppError> {
        let comment = mamori_domain::validation::clean_text("comment", comment, 2000)
            .map_err(|e| AppError::Invalid(e.into()))?;
        let (mut tx, _, _, row) = self
            .row_for_change(caller, register, id, "register.retire")
            .await?;
        if !registers::retire(&mut tx, id, caller.actor.person, &comment, self.now()).await? {
            return Err(AppError::Rule {
                code: "register-row-retired",
            });
        }
        self.record_done(
            &mut tx,
            caller,
            "register.retire",
            row.organisation_id,
            ("register", register.to_owned()),
            json!({ "row": id, "key": row.key_text, "comment": comment }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The register's live rows that the caller may read, as an Excel workbook; recorded,
    /// since an export is how a register leaves mamori.
    ///
    /// With a password the workbook leaves inside an AES-256 ZIP, as anything sent outside
    /// the organisation must; the password goes to the recipient another way.
    pub async fn export_register(
        &self,
        caller: &Caller,
        register: &str,
        password: Option<&str>,
    ) -> Result<RenderedDocument, AppError> {
        if let Some(p) = password {
            crate::exports::check_password(p)?;
        }
        let view = self.register(caller, register, false).await?;
        let def = view.register(register);
        let lib = &view.library;
        let mut columns = vec![Column {
            id: "_organisation".into(),
            label: "組織".into(),
            width: 20.0,
        }];
        columns.extend(def.columns.iter().map(|c| Column {
            id: c.id().to_owned(),
            label: c.label.ja.clone(),
            width: if c.kind == FieldType::LongText {
                40.0
            } else {
                18.0
            },
        }));
        let data: Vec<Data> = view.rows.iter().map(|r| parse(&r.data)).collect();
        let rows = view
            .rows
            .iter()
            .zip(&data)
            .map(|(r, data)| {
                std::iter::once(r.organisation_name.clone())
                    .chain(def.columns.iter().map(|c| {
                        data.get(c.id())
                            .map(|v| form::display(c, v, "ja"))
                            .unwrap_or_default()
                    }))
                    .collect()
            })
            .collect();
        let marked = rows_mark(lib, &data).map(|label| (mamori_sheets::MARK.to_owned(), label));
        let marked_label = marked.as_ref().map(|(_, l)| l.clone());
        let table = Table {
            sheet: def.title.ja.clone(),
            meta: vec![
                ("library".into(), lib.id().to_owned()),
                ("version".into(), lib.version().to_owned()),
                ("register".into(), register.to_owned()),
            ]
            .into_iter()
            .chain(marked)
            .collect(),
            columns,
            rows,
        };
        let body = mamori_sheets::write(&table).map_err(|e| AppError::Internal(e.to_string()))?;
        let workbook = format!("{register}.xlsx");
        let doc = match password {
            Some(p) => RenderedDocument {
                file_name: format!("{register}.zip"),
                download_name: None,
                content_type: "application/zip",
                // The archive's comment, readable without the password, says how to
                // handle it, as the workbook's header does once opened.
                body: crate::exports::sealed_off_thread(
                    vec![(workbook, body)],
                    p,
                    marked_label.map(|m| format!("取扱区分: {m}")),
                )
                .await?,
            },
            None => RenderedDocument {
                file_name: workbook,
                download_name: None,
                content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                body,
            },
        };
        let mut tx = self.db.begin().await?;
        self.record_done(
            &mut tx,
            caller,
            "register.export",
            caller.actor.organisation,
            ("register", register.to_owned()),
            json!({ "rows": view.rows.len(), "encryption": password.map(|_| "AES-256") }),
        )
        .await?;
        tx.commit().await?;
        Ok(doc)
    }

    /// Imports a workbook into the rows kept by `organisation`: each row is added, or
    /// changes the row with its key. Every row is checked first; if any is wrong nothing is
    /// stored and every problem is reported with its row number.
    pub async fn import_register(
        &self,
        caller: &Caller,
        register: &str,
        organisation: Uuid,
        workbook: Vec<u8>,
    ) -> Result<ImportReport, AppError> {
        let (lib, def) = self.register_def(register)?;
        if !self
            .may_edit_in(&self.db, caller, &def, organisation)
            .await?
        {
            return self
                .deny_because(
                    caller,
                    "register.import",
                    Some(organisation),
                    ("register", register.to_owned()),
                    editors_only(&lib, &def),
                )
                .await;
        }
        let table = read_workbook(workbook).await?;
        if table.meta("register").is_some_and(|r| r != register) {
            return Err(AppError::Rule {
                code: "import-other-register",
            });
        }
        let positions = column_positions(&def, &table.header, table.meta("columns"));
        if !def
            .key
            .iter()
            .all(|k| positions.contains_key(k.value.as_str()))
        {
            return Err(AppError::Rule {
                code: "import-no-key-column",
            });
        }
        // Check every row before storing any.
        let mut found = Vec::new();
        let mut rows: Vec<(String, Data)> = Vec::new();
        let mut first_line: BTreeMap<String, u32> = BTreeMap::new();
        for (line, cells) in &table.rows {
            let pairs: Vec<(String, String)> = def
                .columns
                .iter()
                .filter_map(|c| {
                    let at = positions.get(c.id())?;
                    let raw = cells.get(*at).cloned().unwrap_or_default();
                    Some((c.id().to_owned(), choice_id(c, raw)))
                })
                .collect();
            let data = form::from_pairs(&def.columns, &pairs);
            match form::validate(&def.columns, &data, Completeness::Complete) {
                Ok(clean) => {
                    let key = row_key(&def, &clean);
                    if let Some(first) = first_line.get(&key) {
                        found.push(key_problem(
                            &def,
                            Some(*line),
                            "duplicate_key",
                            Some(first.to_string()),
                        ));
                    } else {
                        first_line.insert(key.clone(), *line);
                    }
                    rows.push((key, clean));
                }
                Err(p) => found.extend(problems(&def, p, Some(*line))),
            }
        }
        if !found.is_empty() {
            return Err(AppError::FormInvalid(found));
        }
        let mut report = ImportReport {
            added: 0,
            updated: 0,
            unchanged: 0,
        };
        let mut tx = self.db.begin().await?;
        for (key, clean) in &rows {
            let existing =
                registers::find(&mut tx, lib.id(), register, &[organisation], key).await?;
            let before = existing
                .as_ref()
                .map(|r| parse(&r.data))
                .unwrap_or_default();
            // The sheet decides the columns it has (an empty cell clears one); columns it
            // lacks keep their value.
            let mut merged = before.clone();
            for column in positions.keys() {
                match clean.get(*column) {
                    Some(v) => merged.insert((*column).to_owned(), v.clone()),
                    None => merged.remove(*column),
                };
            }
            let change = changes(&before, &merged);
            match (&existing, change.is_empty()) {
                (Some(_), true) => {
                    report.unchanged += 1;
                    continue;
                }
                (Some(_), false) => report.updated += 1,
                (None, _) => report.added += 1,
            }
            self.write_row(
                &mut tx,
                caller,
                &lib,
                register,
                organisation,
                key,
                &merged,
                &change,
                "import",
                "",
            )
            .await?;
        }
        self.record_done(&mut tx, caller, "register.import", organisation, ("register", register.to_owned()),
            json!({ "added": report.added, "updated": report.updated, "unchanged": report.unchanged }))
            .await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Writes a row and, unless it comes from an import, records the audit event for it.
    #[allow(clippy::too_many_arguments)]
    async fn write_row(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        lib: &Library,
        register: &str,
        organisation: Uuid,
        key: &str,
        data: &Data,
        change: &Data,
        action: &str,
        comment: &str,
    ) -> Result<Uuid, AppError> {
        let id = registers::write(
            tx,
            &RowWrite {
                library: lib.id(),
                register,
                organisation,
                key_text: key,
                data: &Value::Object(data.clone()).to_string(),
                change: &Value::Object(change.clone()).to_string(),
                actor: caller.actor.person,
                case: None,
                action,
                comment,
                now: self.now(),
            },
        )
        .await?;
        if let Some(def) = lib.registers.get(register) {
            self.set_row_dates(tx, def, id, data).await?;
        }
        // An import is one audit event for all its rows (written by the caller).
        if action == "import" {
            return Ok(id);
        }
        self.record_done(tx, caller, &format!("register.{action}"), organisation, ("register", register.to_owned()),
            json!({ "row": id, "key": key, "change": Value::Object(change.clone()), "comment": comment }))
            .await?;
        Ok(id)
    }
}

/// Whether a row's mark keeps it from readers by office.
fn need_to_know(lib: &Library, data: &Data) -> bool {
    lib.need_to_know(&lib.class_of(data))
}

/// The (axis, level) pairs only those who need to know read, as a listing filters them.
fn need_to_know_levels(lib: &Library) -> Vec<(String, String)> {
    lib.axes
        .iter()
        .flat_map(|a| {
            a.levels
                .iter()
                .filter(|l| l.need_to_know)
                .map(|l| (a.id.value.clone(), l.id.value.clone()))
        })
        .collect()
}

/// The organisations under which the caller keeps `register` (where they hold an editor
/// role): rows kept in their subtrees are theirs to read whatever their class.
fn edited_under(caller: &Caller, register: &Register) -> Vec<Uuid> {
    caller
        .actor
        .grants
        .iter()
        .filter(|g| register.editors.iter().any(|e| e.value == g.role))
        .filter_map(|g| g.organisation)
        .collect()
}

/// A query's filters as the values stored for filtering, the one expected to match the
/// fewest rows first (a free text before a choice of three levels; see
/// [`RowFilter::values`]). An unknown column, one whose values are not matched (long
/// text, a table, files) and a value the column cannot hold are refused, each named.
fn column_filters(
    def: &Register,
    filters: &[(String, String)],
) -> Result<Vec<(String, String)>, AppError> {
    let mut wanted: Vec<(&str, &str)> = Vec::new();
    for (column, raw) in filters {
        wanted.retain(|(c, _)| c != column);
        if !raw.trim().is_empty() {
            wanted.push((column, raw));
        }
    }
    if wanted.len() > MAX_FILTERS {
        return Err(AppError::FormInvalid(vec![FormProblem {
            field: "filter".into(),
            label: Text {
                ja: "絞り込み".into(),
                en: Some("filters".into()),
            },
            code: "too_many_filters",
            limit: Some(MAX_FILTERS.to_string()),
        }]));
    }
    let mut found = Vec::new();
    let mut values = Vec::new();
    for (column, raw) in wanted {
        let field = format!("filter[{column}]");
        let Some(c) = def.column(column) else {
            found.push(FormProblem {
                field,
                label: Text {
                    ja: column.to_owned(),
                    en: None,
                },
                code: "unknown_column",
                limit: None,
            });
            continue;
        };
        match filter_value(c, raw) {
            Ok(value) => values.push((c, value)),
            Err((code, limit)) => found.push(FormProblem {
                field,
                label: c.label.clone(),
                code,
                limit,
            }),
        }
    }
    if !found.is_empty() {
        return Err(AppError::FormInvalid(found));
    }
    values.sort_by_key(|(c, _)| std::cmp::Reverse(distinct_values(c)));
    Ok(values
        .into_iter()
        .map(|(c, v)| (c.id().to_owned(), v))
        .collect())
}

/// How many values a column can take, as far as its definition says.
fn distinct_values(field: &mamori_library::model::Field) -> usize {
    match field.kind {
        FieldType::Choice | FieldType::MultiChoice => field.options.len(),
        FieldType::YesNo => 2,
        _ => usize::MAX,
    }
}

/// A value typed to filter `field` by, as stored for filtering: a choice by its id or its
/// label, yes/no as はい/いいえ too, anything else checked as the form checks it (a date
/// written as a date, a number as a number).
fn filter_value(
    field: &mamori_library::model::Field,
    raw: &str,
) -> Result<String, (&'static str, Option<String>)> {
    let raw = raw.trim();
    match field.kind {
        FieldType::LongText
        | FieldType::Contact
        | FieldType::Group
        | FieldType::Attachment
        | FieldType::Secret => Err(("not_filterable", None)),
        // An option of a multiple choice matches the rows that chose it among others.
        FieldType::Choice | FieldType::MultiChoice => field
            .options
            .iter()
            .find(|o| o.id.value == raw || o.label.ja == raw || o.label.en.as_deref() == Some(raw))
            .map(|o| o.id.value.clone())
            .ok_or(("unknown_option", None)),
        FieldType::YesNo => match choice_id(field, raw.to_owned()).as_str() {
            "yes" | "true" => Ok("true".into()),
            "no" | "false" => Ok("false".into()),
            _ => Err(("invalid_value", None)),
        },
        _ => {
            let fields = std::slice::from_ref(field);
            let data = form::from_pairs(fields, &[(field.id().to_owned(), raw.to_owned())]);
            let clean = form::validate(fields, &data, Completeness::Draft).map_err(|p| {
                p.into_iter()
                    .next()
                    .map_or(("invalid_value", None), |p| (p.code, p.limit))
            })?;
            clean
                .get(field.id())
                .and_then(registers::value_text)
                .ok_or(("too_long", Some(registers::VALUE_CHARS.to_string())))
        }
    }
}

/// Why someone who is not an editor is refused: who keeps the register. Holding an office
/// over the organisation (its administrator) is no editor role, so it is said plainly.
fn editors_only(lib: &Library, register: &Register) -> Text {
    let names = |lang: &str, open: &str, close: &str, sep: &str| {
        register
            .editors
            .iter()
            .map(|e| {
                let name = lib
                    .role(&e.value)
                    .map_or(e.value.as_str(), |r| r.name.get(lang));
                format!("{open}{name}{close}")
            })
            .collect::<Vec<_>>()
            .join(sep)
    };
    let title = &register.title;
    if register.editors.is_empty() {
        return Text {
            ja: format!(
                "「{}」の行は手続の操作だけが書き込みます。手で追加・修正・廃止することはできません。",
                title.ja
            ),
            en: Some(format!(
                "Rows of “{}” are written by procedures only; nobody adds, corrects or retires them by hand.",
                title.get("en")
            )),
        };
    }
    Text {
        ja: format!(
            "「{}」の行を追加・修正・廃止できるのは、{}の役割を持つ人だけです（その役割が置かれた組織とその下の組織で）。組織の管理者であっても、この役割がなければ編集できません。",
            title.ja,
            names("ja", "「", "」", "")
        ),
        en: Some(format!(
            "Only holders of {} may add, correct or retire rows of “{}” (in the organisation where they hold it and those below); administering an organisation is not enough.",
            names("en", "“", "”", ", "),
            title.get("en")
        )),
    }
}

/// Whether the caller holds an editor role of `register` in the organisation whose
/// chain (itself first, then those above) is `ancestors`.
fn may_edit(caller: &Caller, register: &Register, ancestors: Vec<Uuid>) -> bool {
    let facts = CaseFacts {
        ancestors,
        ..CaseFacts::default()
    };
    register.editors.iter().any(|role| {
        policy::acting_as(
            &caller.actor,
            &role.value,
            CaseRelation::ParentChain,
            &facts,
        )
        .is_some()
    })
}

/// The canonical key of a row's data.
fn row_key(def: &Register, data: &Data) -> String {
    let spec: BTreeMap<String, String> = def
        .key
        .iter()
        .map(|k| (k.value.clone(), format!("${}", k.value)))
        .collect();
    resolve_key(&spec, data, "")
        .map(|k| key_text(&k))
        .unwrap_or_default()
}

/// A problem with a row's key, reported on its first key column.
fn key_problem(
    def: &Register,
    line: Option<u32>,
    code: &'static str,
    limit: Option<String>,
) -> FormProblem {
    let column = def.key[0].value.as_str();
    let problem = form::FieldProblem {
        field: column.to_owned(),
        code,
        limit,
    };
    problems(def, vec![problem], line).remove(0)
}

/// The columns whose value differs, with the new value (removed ones as null).
fn changes(before: &Data, after: &Data) -> Data {
    let mut out = Data::new();
    for (k, v) in after {
        if before.get(k) != Some(v) {
            out.insert(k.clone(), v.clone());
        }
    }
    for k in before.keys() {
        if !after.contains_key(k) {
            out.insert(k.clone(), Value::Null);
        }
    }
    out
}

/// Where each register column is in the sheet: by the ids mamori wrote in `_meta`, or
/// else by header labels in either language.
fn column_positions<'a>(
    def: &'a Register,
    header: &[String],
    ids: Option<&str>,
) -> BTreeMap<&'a str, usize> {
    let mut out = BTreeMap::new();
    let ids: Vec<&str> = ids.map(|s| s.split(',').collect()).unwrap_or_default();
    for c in &def.columns {
        let by_id = ids.iter().position(|i| *i == c.id());
        let by_label = || {
            header.iter().position(|h| {
                let h = h.trim();
                h == c.label.ja || c.label.en.as_deref() == Some(h) || h == c.id()
            })
        };
        if let Some(at) = by_id.or_else(by_label) {
            out.insert(c.id(), at);
        }
    }
    out
}

/// A choice cell may hold the option's label (as exported) or its id.
fn choice_id(field: &mamori_library::model::Field, raw: String) -> String {
    match field.kind {
        FieldType::Choice => field
            .options
            .iter()
            .find(|o| o.label.ja == raw || o.label.en.as_deref() == Some(raw.as_str()))
            .map_or(raw, |o| o.id.value.clone()),
        FieldType::YesNo => match raw.as_str() {
            "はい" | "Yes" | "TRUE" | "○" => "yes".into(),
            "いいえ" | "No" | "FALSE" | "×" => "no".into(),
            _ => raw,
        },
        _ => raw,
    }
}

/// The message that names the limit an imported workbook went past, so that the person
/// knows what to change (split the register, shorten a cell, save it again from Excel).
/// Reads an uploaded workbook's first sheet, each limit broken named as a rule.
pub(crate) async fn read_workbook(workbook: Vec<u8>) -> Result<mamori_sheets::ReadTable, AppError> {
    // Parsing an untrusted archive is CPU work: off the async workers.
    tokio::task::spawn_blocking(move || mamori_sheets::read(&workbook, Limits::default()))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| {
            let code = match e {
                SheetError::TooLarge(limit) => import_limit_code(limit),
                SheetError::Empty => "import-empty",
                _ => "import-not-xlsx",
            };
            AppError::Rule { code }
        })
}

fn import_limit_code(limit: Limit) -> &'static str {
    match limit {
        Limit::Rows => "import-too-many-rows",
        Limit::Columns => "import-too-many-columns",
        Limit::Cells => "import-too-many-cells",
        Limit::CellChars | Limit::String => "import-cell-too-long",
        Limit::Text => "import-too-much-text",
        Limit::Strings => "import-too-many-strings",
        Limit::Parts | Limit::Unpacked => "import-archive-too-large",
        Limit::Compression => "import-archive-compression",
    }
}

/// What rows printed together are marked with: the container takes the highest level of
/// each axis among them (seed 004 2(2)⑤(ウ)).
pub(crate) fn rows_mark(lib: &Library, data: &[Data]) -> Option<String> {
    let mut class = mamori_library::class::Class::default();
    for d in data {
        class.join(&lib.class_of(d));
    }
    lib.class_label(&class, "ja")
}

//! Documents printed from a register's rows — a ledger laid out as its paper form (機器等管理簿,
//! 付紙様式第2): the live rows the reader sees, of one organisation or of all, through the
//! library's template. Like a case's documents, each rendering is recorded, since it is how
//! the rows leave mamori.

use mamori_domain::calendar::DateStyle;
use mamori_domain::calendar::era::document_date;
use mamori_domain::policy::{self, OrgFacts, Permission};
use mamori_library::form::{self, Data};
use mamori_library::model::{Document, DocumentFormat, Register};
use mamori_storage::designations;
use mamori_storage::organisations as orgs;
use mamori_storage::registers::RowRecord;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::documents::{download_name, layout_body, pdf_body, text_body, wareki_of, with_mark};
use crate::registers::rows_mark;
use crate::{App, AppError, Caller, RenderedDocument};

impl App {
    /// Renders the register's document `file` (`ledger_pdf.pdf`) over the live rows the
    /// caller reads — only those kept by `organisation` when it is given.
    pub async fn register_document(
        &self,
        caller: &Caller,
        register: &str,
        file: &str,
        organisation: Option<Uuid>,
    ) -> Result<RenderedDocument, AppError> {
        let view = self.register(caller, register, false).await?;
        let def = view.register(register).clone();
        let doc = file
            .rsplit_once('.')
            .and_then(|(name, ext)| {
                def.documents
                    .iter()
                    .find(|d| d.id.value == name && d.format.extension() == ext)
            })
            .ok_or(AppError::NotFound)?
            .clone();
        let mut rows = view.rows;
        let mut holders = Vec::new();
        let organisation_name = match organisation {
            None => String::new(),
            Some(o) => {
                rows.retain(|r| r.organisation_id == o);
                // An organisation the caller does not read is not found, whether it keeps
                // rows or not: its name is not the caller's to print.
                let facts = OrgFacts {
                    ancestors: orgs::ancestors(&self.db, o).await?,
                    related: vec![],
                };
                if facts.ancestors.is_empty()
                    || !policy::allows(&caller.actor, Permission::ViewCases, &facts)
                {
                    return Err(AppError::NotFound);
                }
                holders = self.holders_under(&view.library, o).await?;
                orgs::get(&self.db, o).await?.name
            }
        };
        let data: Vec<Data> = rows
            .iter()
            .map(|r| serde_json::from_str(&r.data).unwrap_or_default())
            .collect();
        // The document carries the highest class among its rows, as the export does.
        let mark = rows_mark(&view.library, &data);
        let mut context =
            self.register_context(&def, &organisation_name, &rows, &data, mark.as_deref());
        context["holders"] = Value::Array(holders);
        let rendered = self
            .render_register_document(&def, &doc, &organisation_name, context, mark)
            .await?;
        let mut tx = self.db.begin().await?;
        self.record_done(
            &mut tx,
            caller,
            "register.document",
            organisation.unwrap_or(caller.actor.organisation),
            ("register", register.to_owned()),
            json!({ "document": doc.id.value, "rows": rows.len() }),
        )
        .await?;
        tx.commit().await?;
        Ok(rendered)
    }

    /// Who holds each of the library's roles today in `organisation` and below it, in the
    /// order the library lists its roles: a contact list kept current by the designations
    /// themselves (緊急連絡網), which a register of telephone numbers completes.
    async fn holders_under(
        &self,
        lib: &mamori_library::Library,
        organisation: Uuid,
    ) -> Result<Vec<Value>, AppError> {
        let roles: Vec<&str> = lib
            .manifest
            .roles
            .iter()
            .map(|r| r.id.value.as_str())
            .collect();
        let mut held =
            designations::holders_under(&self.db, organisation, &roles, self.today()).await?;
        // Stable: within a role, the nearest organisations and the longest held first.
        held.sort_by_key(|h| roles.iter().position(|r| *r == h.role));
        Ok(held
            .into_iter()
            .map(|h| {
                let name = lib
                    .manifest
                    .roles
                    .iter()
                    .find(|r| r.id.value == h.role)
                    .map(|r| r.name.ja.clone())
                    .unwrap_or_default();
                json!({
                    "role": h.role,
                    "role_name": name,
                    "organisation": h.organisation_name,
                    "person": h.person_name,
                    "email": h.email,
                })
            })
            .collect())
    }

    /// What a register document's template sees (see
    /// [`mamori_library::document::sample_register_context`]).
    fn register_context(
        &self,
        def: &Register,
        organisation: &str,
        rows: &[RowRecord],
        data: &[Data],
        mark: Option<&str>,
    ) -> Value {
        let today = self.today().0;
        let rows: Vec<Value> = rows
            .iter()
            .zip(data)
            .map(|(r, d)| {
                let shown: serde_json::Map<String, Value> = def
                    .columns
                    .iter()
                    .map(|c| {
                        let v = d.get(c.id()).map(|v| form::display(c, v, "ja"));
                        (c.id().to_owned(), Value::String(v.unwrap_or_default()))
                    })
                    .collect();
                json!({
                    "organisation": r.organisation_name,
                    "value": shown,
                    "data": d,
                    "wareki": wareki_of(d),
                })
            })
            .collect();
        json!({
            "register": {
                "id": def.id.value,
                "title": def.title.ja,
                "organisation": organisation,
                "today": document_date(today, DateStyle::Seireki),
                "today_wareki": document_date(today, DateStyle::Wareki),
                "mark": mark.unwrap_or_default(),
            },
            "columns": def.columns.iter().map(|c| json!({"id": c.id(), "label": c.label.ja})).collect::<Vec<_>>(),
            "rows": rows,
        })
    }

    async fn render_register_document(
        &self,
        def: &Register,
        doc: &Document,
        organisation: &str,
        context: Value,
        mark: Option<String>,
    ) -> Result<RenderedDocument, AppError> {
        let name = &doc.id.value;
        // The checker wants a template for every document of a register (its plain table
        // is the export).
        let template = doc
            .template
            .as_ref()
            .map(|t| t.value.clone())
            .unwrap_or_default();
        let failed = |e: String| AppError::Internal(format!("document {name}: {e}"));
        let body = match doc.format {
            DocumentFormat::Text => {
                text_body(&template, &context, mark.as_deref()).map_err(failed)?
            }
            DocumentFormat::Xlsx => {
                let meta = with_mark(vec![("register".into(), def.id.value.clone())], mark);
                layout_body(&template, &context, &def.title.ja, &meta, &[]).map_err(failed)?
            }
            DocumentFormat::Pdf => {
                pdf_body(template, &context, mark.map(|_| "register"), self.today().0)
                    .await?
                    .map_err(failed)?
            }
        };
        let extension = doc.format.extension();
        Ok(RenderedDocument {
            file_name: format!("{name}.{extension}"),
            download_name: Some(download_name(
                &doc.title.ja,
                if organisation.is_empty() {
                    &def.title.ja
                } else {
                    organisation
                },
                self.today().0,
                extension,
            )),
            content_type: doc.format.content_type(),
            body,
        })
    }
}

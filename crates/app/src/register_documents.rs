//! Documents printed from a register's rows — a ledger laid out as its paper form (機器等管理簿,
//! 付紙様式第2): the live rows the reader sees, of one organisation or of all, through the
//! library's template. Like a case's documents, each rendering is recorded, since it is how
//! the rows leave mamori.

use mamori_domain::calendar::DateStyle;
use mamori_domain::calendar::era::document_date;
use mamori_domain::policy::{self, OrgFacts, Permission};
use mamori_library::document;
use mamori_library::form::{self, Data};
use mamori_library::model::{Document, DocumentFormat, Register};
use mamori_storage::organisations as orgs;
use mamori_storage::registers::RowRecord;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{App, AppError, Caller, RenderedDocument};

/// The page header of a marked register PDF (the highest class among its rows), as a case's
/// carries its mark.
const PDF_MARK: &str = r#"#set page(header: align(right, text(weight: "bold", size: 11pt, json(bytes(sys.inputs.context)).register.mark)))"#;

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
                orgs::get(&self.db, o).await?.name
            }
        };
        let lib = view.library.clone();
        let data: Vec<Data> = rows
            .iter()
            .map(|r| serde_json::from_str(&r.data).unwrap_or_default())
            .collect();
        // The document is a container: it carries the highest level of each axis among its
        // rows, as the register's export does.
        let mut class = mamori_library::class::Class::default();
        for d in &data {
            class.join(&lib.class_of(d));
        }
        let mark = lib.class_label(&class, "ja");
        let context =
            self.register_context(&def, &organisation_name, &rows, &data, mark.as_deref());
        let rendered = self
            .render_register_document(&def, &doc, context, mark)
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
                let wareki: serde_json::Map<String, Value> = d
                    .iter()
                    .filter_map(|(id, v)| {
                        let day = v.as_str()?.parse::<jiff::civil::Date>().ok()?;
                        Some((
                            id.clone(),
                            Value::String(document_date(day, DateStyle::Wareki)),
                        ))
                    })
                    .collect();
                json!({
                    "organisation": r.organisation_name,
                    "value": shown,
                    "data": d,
                    "wareki": wareki,
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
        context: Value,
        mark: Option<String>,
    ) -> Result<RenderedDocument, AppError> {
        let name = doc.id.value.clone();
        let template = doc
            .template
            .as_ref()
            .map(|t| t.value.clone())
            .unwrap_or_default();
        let failed = |e: String| AppError::Internal(format!("document {name}: {e}"));
        let meta = |mark: Option<String>| -> Vec<(String, String)> {
            std::iter::once(("register".to_owned(), def.id.value.clone()))
                .chain(mark.map(|m| (mamori_sheets::MARK.to_owned(), m)))
                .collect()
        };
        let body = match doc.format {
            DocumentFormat::Text => {
                let text = document::render(&template, &context).map_err(failed)?;
                match &mark {
                    Some(mark) => format!("【{mark}】\n{text}"),
                    None => text,
                }
                .into_bytes()
            }
            // The checker wants a template for a register's workbook: a plain table of the
            // rows is the register's export.
            DocumentFormat::Xlsx => {
                let layout =
                    document::render_escaped(&template, &context, mamori_sheets::escape_cell)
                        .map_err(failed)?;
                mamori_sheets::write_layout(
                    &def.title.ja,
                    &mamori_sheets::Layout::parse(&layout),
                    &meta(mark),
                    &[],
                )
                .map_err(|e| failed(e.to_string()))?
            }
            DocumentFormat::Pdf => {
                let template = match mark {
                    Some(_) => format!("{PDF_MARK}\n{template}"),
                    None => template,
                };
                let today = self.today().0;
                tokio::task::spawn_blocking(move || {
                    mamori_documents::render(&template, &[("context", &context.to_string())], today)
                })
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?
                .map_err(|e| failed(e.to_string()))?
            }
        };
        Ok(RenderedDocument {
            file_name: format!("{name}.{}", doc.format.extension()),
            download_name: Some(format!(
                "{}_{}.{}",
                doc.title.ja.split(['（', '(']).next().unwrap_or("").trim(),
                self.today().0.strftime("%Y%m%d"),
                doc.format.extension()
            )),
            content_type: doc.format.content_type(),
            body,
        })
    }
}

//! Documents of a case, rendered from the templates of its library version.

use mamori_library::document;
use mamori_library::form;
use mamori_library::model::{Document, DocumentFormat};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{App, AppError, Caller, CaseView, history};
use mamori_domain::calendar::DateStyle;
use mamori_domain::calendar::era::{document_date, document_datetime};

/// A rendered document.
#[derive(Debug, Clone)]
pub struct RenderedDocument {
    /// A file name in ASCII: the document's id and the format's extension.
    pub file_name: String,
    /// The name people save it under, where it says more than `file_name`: the document,
    /// the case's organisation and the day (速報_丙電子_20261204.pdf).
    pub download_name: Option<String>,
    /// Its media type.
    pub content_type: &'static str,
    /// Its content.
    pub body: Vec<u8>,
}

impl App {
    /// Renders a document of a case for a reader of the case; every rendering is recorded,
    /// since a document is how a case's content leaves mamori.
    pub async fn document(
        &self,
        caller: &Caller,
        id: Uuid,
        name: &str,
    ) -> Result<RenderedDocument, AppError> {
        let view = self.case(caller, id).await?;
        let Some(doc) = view.procedure().document(name) else {
            return Err(AppError::NotFound);
        };
        let rendered = self.render_document(&view, doc).await?;
        let mut tx = self.db.begin().await?;
        let org = view.row.organisation_id;
        self.record_done(
            &mut tx,
            caller,
            "case.document",
            org,
            ("case", id.to_string()),
            json!({ "document": name }),
        )
        .await?;
        tx.commit().await?;
        Ok(rendered)
    }

    /// Renders one document of a case already read (and authorised) by the caller.
    pub(crate) async fn render_document(
        &self,
        view: &CaseView,
        doc: &Document,
    ) -> Result<RenderedDocument, AppError> {
        let name = doc.id.value.clone();
        let context = self.document_context(view);
        let template = doc
            .template
            .as_ref()
            .map(|t| t.value.clone())
            .unwrap_or_default();
        // A marked case carries its mark on every document, whatever the template says:
        // at the head of a text, at the top right of every PDF page, in the page header
        // and footer of every sheet.
        let mark = view.class_label();
        let failed = |e: String| AppError::Internal(format!("document {name}: {e}"));
        let body = match doc.format {
            DocumentFormat::Text => {
                text_body(&template, &context, mark.as_deref()).map_err(failed)?
            }
            DocumentFormat::Xlsx if doc.template.is_some() => {
                let meta = with_mark(Self::workbook_meta(view), mark);
                layout_body(
                    &template,
                    &context,
                    &doc.title.ja,
                    &meta,
                    &[Self::history_table(&context)],
                )
                .map_err(failed)?
            }
            DocumentFormat::Xlsx => Self::case_workbook(view, &context, mark)?,
            DocumentFormat::Pdf => {
                pdf_body(template, &context, mark.map(|_| "case"), self.today().0)
                    .await?
                    .map_err(failed)?
            }
        };
        Ok(RenderedDocument {
            file_name: format!("{name}.{}", doc.format.extension()),
            download_name: Some(download_name(
                &doc.title.ja,
                &view.row.organisation_name,
                self.today().0,
                doc.format.extension(),
            )),
            content_type: doc.format.content_type(),
            body,
        })
    }

    /// What a workbook of a case is, in its hidden `_meta` sheet.
    fn workbook_meta(v: &CaseView) -> Vec<(String, String)> {
        vec![
            ("case".into(), v.row.id.to_string()),
            (
                "library".into(),
                format!("{} {}", v.row.library_id, v.row.library_version),
            ),
            ("procedure".into(), v.row.procedure_id.clone()),
        ]
    }

    /// The case's history as a table, from the documents' `context`.
    fn history_table(context: &Value) -> mamori_sheets::Table {
        mamori_sheets::Table {
            sheet: "経過".into(),
            meta: vec![],
            columns: vec![
                column("at", "日時", 18.0),
                column("actor", "実施者", 16.0),
                column("action", "内容", 28.0),
                column("comment", "コメント", 48.0),
            ],
            rows: context["history"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|h| {
                    ["at", "actor", "action", "comment"]
                        .map(|k| text(h, k))
                        .to_vec()
                })
                .collect(),
        }
    }

    /// The case as a workbook: a sheet of the form's items as the paper form numbers
    /// them, and a sheet of its history, from the documents' `context`.
    fn case_workbook(
        v: &CaseView,
        context: &Value,
        mark: Option<String>,
    ) -> Result<Vec<u8>, AppError> {
        let items = mamori_sheets::Table {
            sheet: v.library.form_of(v.procedure()).title.ja.clone(),
            meta: with_mark(Self::workbook_meta(v), mark),
            columns: vec![
                column("number", "番号", 6.0),
                column("label", "項目", 36.0),
                column("value", "内容", 60.0),
            ],
            rows: context["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| vec![text(f, "number"), text(f, "label"), text(f, "value")])
                .collect(),
        };
        mamori_sheets::write_book(&[items, Self::history_table(context)])
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// What a template sees (listed in [`mamori_library::document`]).
    fn document_context(&self, v: &CaseView) -> Value {
        let procedure = v.procedure();
        let form_fields = v.fields();
        let all = form_fields
            .iter()
            .chain(procedure.transitions.iter().flat_map(|t| t.fields.iter()));
        let shown = |f: &mamori_library::model::Field| {
            v.data
                .get(f.id())
                .map(|val| form::display(f, val, "ja"))
                .unwrap_or_default()
        };
        // The class (marks included) is printed by mamori on every document (see
        // `render_document`), not as one of the form's items.
        let fields: Vec<Value> = form_fields
            .iter()
            .filter(|f| v.library.axis(f.id()).is_none())
            .map(|f| {
                json!({
                    "id": f.id(),
                    "number": f.number.clone().unwrap_or_default(),
                    "label": f.label.ja,
                    "value": shown(f),
                })
            })
            .collect();
        let values: serde_json::Map<String, Value> = all
            .map(|f| (f.id().to_owned(), Value::String(shown(f))))
            .collect();
        // Every date comes both ways: official notices print 和暦 throughout, other
        // documents 西暦, and a template picks one style for the whole document.
        let local = |ts: mamori_storage::Ts| ts.0.to_zoned(self.settings.zone.clone()).datetime();
        let both = |at: jiff::civil::DateTime| {
            (
                document_datetime(at, DateStyle::Seireki),
                document_datetime(at, DateStyle::Wareki),
            )
        };
        let history: Vec<Value> = v
            .events
            .iter()
            .map(|e| {
                let (at, at_wareki) = both(local(e.occurred_at));
                json!({
                    "at": at,
                    "at_wareki": at_wareki,
                    "actor": e.actor_name.clone().unwrap_or_default(),
                    // Documents are Japanese whatever the reader's language.
                    "action": history::sentence(procedure, e, "ja", DateStyle::Seireki),
                    "action_wareki": history::sentence(procedure, e, "ja", DateStyle::Wareki),
                    "comment": history::comment(e),
                })
            })
            .collect();
        let (opened, opened_wareki) = both(local(v.row.created_at));
        let today = self.today().0;
        json!({
            "case": {
                "id": v.row.id.to_string(),
                "number": v.row.number,
                "title": v.row.title,
                "state": v.row.state,
                "state_name": procedure.state(&v.row.state).map_or(v.row.state.clone(), |s| s.name.ja.clone()),
                "organisation": v.row.organisation_name,
                "applicant": v.row.created_by_name,
                "opened": opened,
                "opened_wareki": opened_wareki,
                "mark": v.class_label().unwrap_or_default(),
                "today": document_date(today, DateStyle::Seireki),
                "today_wareki": document_date(today, DateStyle::Wareki),
            },
            "wareki": wareki_of(&v.data),
            "fields": fields,
            "value": values,
            "data": Value::Object(v.data.clone()),
            "history": history,
        })
    }
}

/// A text document: the template rendered, headed by the mark of what it prints.
pub(crate) fn text_body(
    template: &str,
    context: &Value,
    mark: Option<&str>,
) -> Result<Vec<u8>, String> {
    let text = document::render(template, context)?;
    Ok(match mark {
        Some(mark) => format!("【{mark}】\n{text}"),
        None => text,
    }
    .into_bytes())
}

/// A workbook laid out like its paper form: the template's layout (see
/// [`mamori_sheets::Layout`]), with what people typed escaped into its cells, then `more`.
pub(crate) fn layout_body(
    template: &str,
    context: &Value,
    sheet: &str,
    meta: &[(String, String)],
    more: &[mamori_sheets::Table],
) -> Result<Vec<u8>, String> {
    let layout = document::render_escaped(template, context, mamori_sheets::escape_cell)?;
    mamori_sheets::write_layout(sheet, &mamori_sheets::Layout::parse(&layout), meta, more)
        .map_err(|e| e.to_string())
}

/// A PDF typeset off the async workers (it is CPU work). With `marked_by` (`case`,
/// `register`: where the context holds `mark`), the mark is printed at the top right of
/// every page, read from the context so that it is text, never markup; a template that
/// sets its own page header replaces this one and must print the mark itself.
pub(crate) async fn pdf_body(
    template: String,
    context: &Value,
    marked_by: Option<&str>,
    today: jiff::civil::Date,
) -> Result<Result<Vec<u8>, String>, AppError> {
    let template = match marked_by {
        Some(key) => {
            format!(
                r#"#set page(header: align(right, text(weight: "bold", size: 11pt, json(bytes(sys.inputs.context)).{key}.mark)))"#
            ) + "\n"
                + &template
        }
        None => template,
    };
    let context = context.to_string();
    tokio::task::spawn_blocking(move || {
        mamori_documents::render(&template, &[("context", &context)], today)
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// A workbook's `_meta` pairs with the mark it prints, if it has one.
pub(crate) fn with_mark(
    meta: Vec<(String, String)>,
    mark: Option<String>,
) -> Vec<(String, String)> {
    meta.into_iter()
        .chain(mark.map(|m| (mamori_sheets::MARK.to_owned(), m)))
        .collect()
}

fn column(id: &str, label: &str, width: f64) -> mamori_sheets::Column {
    mamori_sheets::Column {
        id: id.into(),
        label: label.into(),
        width,
    }
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

/// The dates among `data` (values written `2026-02-27`) in 和暦, by id, for notices that
/// print every date that way.
pub(crate) fn wareki_of(data: &serde_json::Map<String, Value>) -> Value {
    data.iter()
        .filter_map(|(id, v)| {
            let text = v.as_str().filter(|t| t.len() == 10)?;
            let day = text.parse::<jiff::civil::Date>().ok()?;
            Some((
                id.clone(),
                Value::String(document_date(day, DateStyle::Wareki)),
            ))
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// A file name for a document: its title without the bracketed note of its format, the
/// organisation and the day, joined by underscores; characters no file system takes are
/// replaced.
pub(crate) fn download_name(
    title: &str,
    organisation: &str,
    day: jiff::civil::Date,
    extension: &str,
) -> String {
    let title = title.split(['（', '(']).next().unwrap_or(title).trim();
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_whitespace() || "/\\:*?\"<>|".contains(c) || c.is_control() {
                    '_'
                } else {
                    c
                }
            })
            .collect()
    };
    format!(
        "{}_{}_{}.{extension}",
        clean(title),
        clean(organisation),
        day.strftime("%Y%m%d")
    )
}

#[cfg(test)]
mod tests {
    use super::{download_name, wareki_of};

    #[test]
    fn dates_of_the_case_are_given_in_wareki_and_nothing_else() {
        let data = serde_json::json!({
            "completed_on": "2027-03-31",
            "detected_at": "2027-03-31T10:00",
            "site": "横浜",
        });
        let w = wareki_of(data.as_object().unwrap());
        assert_eq!(w, serde_json::json!({ "completed_on": "令和9年3月31日" }));
    }

    #[test]
    fn a_download_is_named_after_the_document_the_organisation_and_the_day() {
        let day = jiff::civil::date(2026, 12, 4);
        assert_eq!(
            download_name("速報（様式・PDF）", "丙電子株式会社", day, "pdf"),
            "速報_丙電子株式会社_20261204.pdf"
        );
        assert_eq!(
            download_name("申請書", "甲社 横浜/第二", day, "xlsx"),
            "申請書_甲社_横浜_第二_20261204.xlsx"
        );
    }
}

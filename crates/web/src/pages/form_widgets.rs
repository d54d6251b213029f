//! A library's fields as a form shows them, and a posted form read back: shared by the
//! case pages, the registers and the assessments. A form with mistakes comes back with what
//! was typed and a message under each field.

use mamori_library::form::{self, Data};
use mamori_library::model::{Field, FieldType};
use serde_json::Value;

use super::FormErrors;
use crate::error::Failure;
use crate::i18n::Tr;

/// A field as a form shows it.
pub struct FieldView {
    /// Field id (the input's name).
    pub id: String,
    /// Paper numbering.
    pub number: String,
    pub label: String,
    pub help: String,
    /// `text`, `textarea`, `number`, `date`, `datetime-local`, `select`, `checkboxes`, `yes_no`.
    pub widget: &'static str,
    /// Must be filled.
    pub required: bool,
    /// The value as typed (text widgets) or chosen (selects, yes/no).
    pub value: String,
    /// Chosen options (checkboxes).
    pub chosen: Vec<String>,
    /// Options: (id, label).
    pub options: Vec<(String, String)>,
    /// A contact's parts, or nothing.
    pub parts: Vec<FieldView>,
    /// A group's column labels, and its rows of cells (those filled, then blank ones).
    pub columns: Vec<String>,
    /// The rows.
    pub rows: Vec<Vec<FieldView>>,
    /// What an attachment field says while nothing is attached for it.
    pub empty: String,
    /// Names offered while typing (`suggest`); any other text is accepted too.
    pub suggestions: Vec<String>,
    /// An attachment field of a case form takes a file right there: the file types it
    /// accepts (empty where files are attached elsewhere).
    pub accept: &'static str,
    /// A group of a case form: rows may be added and removed (by the script, or by a
    /// submit that shows the form again).
    pub growable: bool,
    /// When the item is asked only in some cases, the condition as JSON for the page's
    /// script to hide it while the answers say it does not apply (empty: always asked).
    pub asked_when: String,
}

/// Fills in the suggestions of the fields that ask for them (see [`FieldView::suggestions`]),
/// from the library's registers as shipped. The last-resort row of a directory is not a
/// name anyone contracts with, so it is left out.
pub(super) fn suggest(views: &mut [FieldView], fields: &[Field], lib: &mamori_library::Library) {
    for (view, f) in views.iter_mut().zip(fields) {
        if let Some(s) = &f.suggest
            && let Some(register) = lib.registers.get(&s.register.value)
        {
            let mut names: Vec<String> = Vec::new();
            for row in register.rows.iter().map(|r| &r.value) {
                if row.get("fallback") == Some(&Value::Bool(true)) {
                    continue;
                }
                for c in &s.columns {
                    let cell = row.get(&c.value).and_then(Value::as_str).unwrap_or("");
                    for name in cell.split(['\n', '、']).map(str::trim) {
                        if !name.is_empty() && !names.iter().any(|n| n == name) {
                            names.push(name.to_owned());
                        }
                    }
                }
            }
            view.suggestions = names;
        }
        for row in &mut view.rows {
            suggest(row, &f.fields, lib);
        }
    }
}

/// Makes the fields named from the case's files (`from_attachments`) a choice among the
/// files attached, in tables too. A name kept earlier that is no longer among them stays
/// offered, so that opening the box does not silently drop it; sending it is refused.
pub(super) fn choose_attached(views: &mut [FieldView], fields: &[Field], names: &[&str]) {
    for (view, f) in views.iter_mut().zip(fields) {
        if f.from_attachments {
            view.widget = "select";
            let mut options: Vec<(String, String)> = Vec::new();
            for n in names.iter().copied().chain(Some(view.value.as_str())) {
                if !n.is_empty() && !options.iter().any(|(id, _)| id == n) {
                    options.push((n.to_owned(), n.to_owned()));
                }
            }
            view.options = options;
        }
        for row in &mut view.rows {
            choose_attached(row, &f.fields, names);
        }
    }
}

/// Blank rows a group offers below those filled; more come after saving the draft.
pub(super) const BLANK_ROWS: usize = 2;

pub(super) fn widget(kind: FieldType) -> &'static str {
    match kind {
        FieldType::Text | FieldType::Person | FieldType::Organisation => "text",
        FieldType::LongText => "textarea",
        FieldType::Number => "number",
        FieldType::Date => "date",
        FieldType::Datetime => "datetime-local",
        FieldType::Choice => "select",
        FieldType::MultiChoice => "checkboxes",
        FieldType::YesNo => "yes_no",
        FieldType::Contact => "contact",
        FieldType::Group => "group",
        FieldType::Computed => "computed",
        FieldType::Attachment => "attachment",
        // Typed once by whoever hands it over; never shown back from the case.
        FieldType::Secret => "password",
    }
}

/// A field's input as typed, for its widget.
pub(super) fn typed_value(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(true)) => "yes".into(),
        Some(Value::Bool(false)) => "no".into(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

pub(super) fn contact_parts(tr: Tr, f: &Field, v: Option<&Value>) -> Vec<FieldView> {
    mamori_library::model::CONTACT_PARTS
        .iter()
        .map(|(part, ja, en)| FieldView {
            id: format!("{}.{part}", f.id()),
            number: String::new(),
            label: if tr.code() == "en" {
                (*en).to_owned()
            } else {
                (*ja).to_owned()
            },
            help: String::new(),
            widget: match *part {
                "phone" => "tel",
                "email" => "email",
                _ => "text",
            },
            required: false,
            value: typed_value(v.and_then(|v| v.get(part))),
            chosen: vec![],
            options: vec![],
            parts: vec![],
            columns: vec![],
            rows: vec![],
            empty: String::new(),
            suggestions: vec![],
            accept: "",
            growable: false,
            asked_when: String::new(),
        })
        .collect()
}

pub(super) fn group_rows(tr: Tr, f: &Field, v: Option<&Value>) -> Vec<Vec<FieldView>> {
    let filled: Vec<Data> = match v {
        Some(Value::Array(rows)) => rows.iter().filter_map(|r| r.as_object().cloned()).collect(),
        _ => vec![],
    };
    let max = f.max_rows.unwrap_or(50);
    let count = (filled.len() + BLANK_ROWS).min(max.max(filled.len()));
    (0..count)
        .map(|i| group_row(tr, f, i, &filled.get(i).cloned().unwrap_or_default()))
        .collect()
}

/// Row `i` of a group, its inputs named `<group>.<i>.<column>`.
pub(super) fn group_row(tr: Tr, f: &Field, i: usize, row: &Data) -> Vec<FieldView> {
    field_views(tr, &f.fields, row)
        .into_iter()
        .map(|mut cell| {
            cell.id = format!("{}.{i}.{}", f.id(), cell.id);
            cell
        })
        .collect()
}

pub(super) fn field_views(tr: Tr, fields: &[Field], data: &Data) -> Vec<FieldView> {
    fields
        .iter()
        .map(|f| {
            let v = data.get(f.id());
            let value = typed_value(v);
            let chosen = match v {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => vec![],
            };
            FieldView {
                id: f.id().to_owned(),
                number: f.number.clone().unwrap_or_default(),
                label: tr.text(&f.label).to_owned(),
                help: {
                    let own = f.help.as_ref().map(|h| tr.text(h).to_owned());
                    // What to do instead of typing, for what mamori fills in.
                    let how = match f.kind {
                        FieldType::Computed => Some(tr.t("field-computed-help")),
                        FieldType::Attachment => Some(tr.t("field-attachment-help")),
                        _ => None,
                    };
                    [own, how]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ")
                },
                widget: widget(f.kind),
                required: f.required || f.must_confirm,
                value,
                chosen,
                // A yes/no answer is offered in the reader's language only.
                options: if f.kind == FieldType::YesNo {
                    vec![("yes".into(), tr.t("yes")), ("no".into(), tr.t("no"))]
                } else {
                    f.options
                        .iter()
                        .map(|o| (o.id.value.clone(), tr.text(&o.label).to_owned()))
                        .collect()
                },
                parts: if f.kind == FieldType::Contact {
                    contact_parts(tr, f, v)
                } else {
                    vec![]
                },
                columns: f
                    .fields
                    .iter()
                    .map(|c| tr.text(&c.label).to_owned())
                    .collect(),
                rows: if f.kind == FieldType::Group {
                    group_rows(tr, f, v)
                } else {
                    vec![]
                },
                empty: if f.kind == FieldType::Attachment {
                    tr.t("field-attachment-none")
                } else {
                    String::new()
                },
                suggestions: vec![],
                accept: "",
                growable: false,
                asked_when: f
                    .asked_when
                    .as_ref()
                    .and_then(|c| mamori_library::condition::in_browser(&c.value))
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// Reads a posted form: the library fields, the comment and which button was pressed.
#[derive(Debug, Clone, Default)]
pub struct Posted {
    pairs: Vec<(String, String)>,
}

impl Posted {
    /// Wraps posted pairs.
    pub(crate) fn new(pairs: Vec<(String, String)>) -> Self {
        Self { pairs }
    }

    pub(super) fn get(&self, key: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    pub(super) fn data(&self, fields: &[Field]) -> Data {
        form::from_pairs(fields, &self.pairs)
    }

    /// How many rows of group `id` were sent, blank ones included.
    fn rows_sent(&self, id: &str) -> usize {
        let prefix = format!("{id}.");
        self.pairs
            .iter()
            .filter_map(|(k, _)| k.strip_prefix(&prefix)?.split_once('.')?.0.parse().ok())
            .collect::<std::collections::BTreeSet<usize>>()
            .len()
    }
}

/// A row added to a group, or taken from it, by a submit button rather than the script
/// (`_do=add_row:<group>`, `_do=remove_row:<group>:<row>`): the form comes back with what
/// was typed and as many rows as were sent, one more or one fewer. Nothing is saved by it.
pub(super) struct Reshape {
    group: String,
    rows: usize,
}

impl Reshape {
    /// Reads the button pressed; a removed row's inputs are dropped from `posted` at once.
    pub(super) fn take(posted: &mut Posted) -> Option<Self> {
        let pressed = posted.get("_do").to_owned();
        if let Some(id) = pressed.strip_prefix("add_row:") {
            let rows = posted.rows_sent(id) + 1;
            return Some(Reshape {
                group: id.to_owned(),
                rows,
            });
        }
        let (id, row) = pressed.strip_prefix("remove_row:")?.rsplit_once(':')?;
        let prefix = format!("{id}.{}.", row.parse::<usize>().ok()?);
        posted.pairs.retain(|(k, _)| !k.starts_with(&prefix));
        Some(Reshape {
            group: id.to_owned(),
            rows: posted.rows_sent(id).max(1),
        })
    }

    /// Gives the group's view the rows asked for. The rows cut are blank ones: those
    /// filled come first, and there are never more of them than rows sent.
    pub(super) fn fit(
        &self,
        tr: Tr,
        lib: &mamori_library::Library,
        fields: &[Field],
        views: &mut [FieldView],
    ) {
        let Some((f, view)) = fields
            .iter()
            .zip(views.iter_mut())
            .find(|(f, _)| f.id() == self.group && f.kind == FieldType::Group)
        else {
            return;
        };
        let want = self.rows.min(f.max_rows.unwrap_or(50));
        view.rows.truncate(want);
        while view.rows.len() < want {
            let mut row = group_row(tr, f, view.rows.len(), &Data::new());
            suggest(&mut row, &f.fields, lib);
            view.rows.push(row);
        }
    }
}

/// Marks the views of a case's own form: a group's rows may be added and removed, and an
/// attachment field takes its file right there, saying so instead of pointing elsewhere.
pub(super) fn case_form(tr: Tr, fields: &[Field], views: &mut [FieldView]) {
    for (f, view) in fields.iter().zip(views.iter_mut()) {
        match f.kind {
            FieldType::Group => view.growable = true,
            FieldType::Attachment => {
                view.accept = mamori_domain::attachment::ACCEPTED;
                view.help = f
                    .help
                    .as_ref()
                    .map(|h| tr.text(h).to_owned())
                    .into_iter()
                    .chain([tr.t("casepage-attachment-help")])
                    .collect::<Vec<_>>()
                    .join(" ");
            }
            _ => {}
        }
    }
}

pub(super) fn errors_for(tr: Tr, failure: &Failure) -> FormErrors {
    let mut errors = FormErrors::new(tr, &failure.fields());
    errors.extend(
        failure
            .form_fields()
            .iter()
            .map(|p| (p.field.clone(), tr.form_error(p))),
    );
    errors
}

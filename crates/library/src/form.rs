//! Form data: reading it from an HTML form or JSON, and checking it against a form's fields.
//!
//! Data is a JSON object keyed by field id. Text-like fields hold strings (dates as
//! `YYYY-MM-DD`), numbers numbers, `yes_no` booleans and `multi_choice` arrays of option ids.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::condition::{self, Facts, is_empty};
use crate::model::{CONTACT_PARTS, Compute, Field, FieldType};

/// A case's data.
pub type Data = Map<String, Value>;

/// One problem with one field, as a message code that the web layer words in the reader's
/// language (`locales/*/main.ftl`, `field-<code>`), with the field's label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// The field's id.
    pub field: String,
    /// What is wrong: `required`, `too_long`, `not_a_number`, `too_small`, `too_large`,
    /// `invalid_date`, `invalid_datetime`, `unknown_option`, `must_confirm`,
    /// `invalid_value`, `unknown_field`, `invalid_email`, `invalid_phone`,
    /// `contact_incomplete`, `too_many_rows`, `attachment_required`, `not_attached`.
    pub code: &'static str,
    /// The limit a message quotes (length, bound).
    pub limit: Option<String>,
}

/// How complete the data must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completeness {
    /// A draft: what is given must be well formed; nothing is required yet.
    Draft,
    /// Submitted: required fields (and those whose `required_when` holds) must be filled.
    Complete,
}

/// Reads an HTML form's pairs for these fields. Values that do not parse are kept as text,
/// so that validation names them and the page can show what was typed.
pub fn from_pairs(fields: &[Field], pairs: &[(String, String)]) -> Data {
    let mut data = Data::new();
    for field in fields {
        let id = field.id();
        match field.kind {
            FieldType::Contact => {
                let part: Data = CONTACT_PARTS
                    .iter()
                    .filter_map(|(p, _, _)| {
                        let key = format!("{id}.{p}");
                        let v = pairs.iter().find(|(k, _)| *k == key)?.1.trim();
                        (!v.is_empty()).then(|| (p.to_string(), Value::String(v.to_owned())))
                    })
                    .collect();
                if !part.is_empty() {
                    data.insert(id.to_owned(), Value::Object(part));
                }
                continue;
            }
            FieldType::Group => {
                let rows = group_rows(field, pairs);
                if !rows.is_empty() {
                    data.insert(id.to_owned(), Value::Array(rows));
                }
                continue;
            }
            _ => {}
        }
        let mut values = pairs
            .iter()
            .filter(|(k, _)| k == id)
            .map(|(_, v)| v.as_str());
        let value = match field.kind {
            FieldType::MultiChoice => {
                let items: Vec<Value> = values
                    .filter(|v| !v.is_empty())
                    .map(|v| Value::String(v.to_owned()))
                    .collect();
                if items.is_empty() {
                    continue;
                }
                Value::Array(items)
            }
            _ => {
                let Some(raw) = values.next() else { continue };
                if raw.trim().is_empty() {
                    continue;
                }
                match field.kind {
                    FieldType::YesNo => match raw {
                        "yes" | "true" => Value::Bool(true),
                        "no" | "false" => Value::Bool(false),
                        other => Value::String(other.to_owned()),
                    },
                    FieldType::Number => parse_number(raw.trim())
                        .map(Value::Number)
                        .unwrap_or_else(|| Value::String(raw.to_owned())),
                    _ => Value::String(raw.to_owned()),
                }
            }
        };
        data.insert(id.to_owned(), value);
    }
    data
}

/// A group's rows from pairs named `group.<row>.<column>`, in row order; rows left
/// entirely empty are dropped.
fn group_rows(field: &Field, pairs: &[(String, String)]) -> Vec<Value> {
    let prefix = format!("{}.", field.id());
    let mut by_row: BTreeMap<usize, Vec<(String, String)>> = BTreeMap::new();
    for (key, value) in pairs {
        let Some(rest) = key.strip_prefix(&prefix) else {
            continue;
        };
        let Some((row, column)) = rest.split_once('.') else {
            continue;
        };
        if let Ok(row) = row.parse::<usize>() {
            by_row
                .entry(row)
                .or_default()
                .push((column.to_owned(), value.clone()));
        }
    }
    by_row
        .values()
        .map(|cells| from_pairs(&field.fields, cells))
        .filter(|row| !row.is_empty())
        .map(Value::Object)
        .collect()
}

fn parse_number(raw: &str) -> Option<serde_json::Number> {
    // Full-width digits are what a Japanese input method often types.
    let ascii: String = raw
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' => '.',
            '－' | 'ー' => '-',
            _ => c,
        })
        .collect();
    if let Ok(i) = ascii.parse::<i64>() {
        return Some(i.into());
    }
    ascii
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
}

/// Checks `data` against `fields` and returns it normalised (texts trimmed, empty values
/// dropped), or every problem found. Keys that are not fields are refused.
pub fn validate(
    fields: &[Field],
    data: &Data,
    completeness: Completeness,
) -> Result<Data, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let mut clean = Data::new();
    for key in data.keys() {
        if !fields.iter().any(|f| f.id() == key) {
            problems.push(problem(key, "unknown_field", None));
        }
    }
    let none = BTreeMap::new();
    let facts = Facts {
        data,
        done: &[],
        rows: &none,
        today: "",
        now: None,
        organisations: None,
    };
    for field in fields {
        let id = field.id();
        // A field not asked for this case is neither required nor sent on; a draft keeps
        // what was typed in it, in case the answer that hides it changes back.
        let asked = field
            .asked_when
            .as_ref()
            .is_none_or(|c| condition::holds(&c.value, &facts));
        if !asked && completeness == Completeness::Complete {
            continue;
        }
        let value = data.get(id).filter(|v| !is_empty(v));
        let Some(value) = value else {
            let required = field.required
                || field
                    .required_when
                    .as_ref()
                    .is_some_and(|c| condition::holds(&c.value, &facts));
            if completeness == Completeness::Complete && required {
                let code = if field.kind == FieldType::Attachment {
                    "attachment_required"
                } else {
                    "required"
                };
                problems.push(problem(id, code, None));
            } else if completeness == Completeness::Complete && field.must_confirm {
                problems.push(problem(id, "must_confirm", None));
            }
            continue;
        };
        let checked = match field.kind {
            FieldType::Contact => check_contact(field, value, completeness, &mut problems),
            FieldType::Group => check_group(field, value, completeness, &mut problems),
            _ => check_value(field, value, completeness)
                .map_err(|(code, limit)| problems.push(problem(id, code, limit)))
                .ok(),
        };
        if let Some(v) = checked {
            clean.insert(id.to_owned(), v);
        }
    }
    if problems.is_empty() {
        Ok(clean)
    } else {
        Err(problems)
    }
}

/// The names of the files attached to a case, by the field they were attached for.
pub type Attached = BTreeMap<String, Vec<String>>;

/// Puts in what mamori works out rather than what a person types: each computed field's
/// value, and the names of the files attached for each attachment field. Whatever a
/// client sent for them is replaced, so call it before [`validate`].
pub fn derive(fields: &[Field], data: &mut Data, attached: &Attached) {
    for field in fields {
        let value = match field.kind {
            // Nothing to work from yet: the field is emptied, not left stale.
            FieldType::Computed => field
                .compute
                .as_ref()
                .map(|c| compute(&c.value, data))
                .filter(|v| !v.is_null()),
            FieldType::Attachment => attached
                .get(field.id())
                .filter(|names| !names.is_empty())
                .map(|names| names.iter().cloned().map(Value::String).collect()),
            _ => continue,
        };
        match value {
            Some(v) => data.insert(field.id().to_owned(), v),
            None => data.remove(field.id()),
        };
    }
}

/// A computed value. Cells that are not numbers count as nothing in a sum: the form's own
/// validation names them.
pub fn compute(how: &Compute, data: &Data) -> Value {
    match how {
        Compute::Count(of) => {
            Value::from(data.get(of).and_then(Value::as_array).map_or(0, Vec::len))
        }
        Compute::Sum(path) => {
            let (group, column) = path.split_once('.').unwrap_or((path, ""));
            let total: f64 = data
                .get(group)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|row| row.get(column))
                .filter_map(|cell| match cell {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => parse_number(s.trim()).and_then(|n| n.as_f64()),
                    _ => None,
                })
                .sum();
            parse_number(&total.to_string()).map_or(Value::Null, Value::Number)
        }
        // The checker refuses a library that names an unknown derivation.
        Compute::Rule(name) => {
            crate::rules::derivation(name).map_or(Value::Null, |d| (d.derive)(data))
        }
    }
}

/// A contact: each part a line of text, the e-mail and telephone well formed; complete
/// when there is a name and a way to reach them.
fn check_contact(
    field: &Field,
    value: &Value,
    completeness: Completeness,
    problems: &mut Vec<FieldProblem>,
) -> Option<Value> {
    let id = field.id();
    let Value::Object(parts) = value else {
        problems.push(problem(id, "invalid_value", None));
        return None;
    };
    let mut clean = Data::new();
    let before = problems.len();
    for key in parts.keys() {
        if !CONTACT_PARTS.iter().any(|(p, _, _)| p == key) {
            problems.push(problem(&format!("{id}.{key}"), "unknown_field", None));
        }
    }
    for (part, _, _) in CONTACT_PARTS {
        let Some(v) = parts.get(part).filter(|v| !is_empty(v)) else {
            continue;
        };
        let key = format!("{id}.{part}");
        let s = match v.as_str().map(str::trim) {
            Some(s) if s.chars().count() > 100 => {
                problems.push(problem(&key, "too_long", Some("100".into())));
                continue;
            }
            Some(s)
                if !s.contains('\n')
                    && !s.chars().any(|c| {
                        c.is_control() || mamori_domain::validation::is_bidi_control(c)
                    }) =>
            {
                s
            }
            _ => {
                problems.push(problem(&key, "invalid_value", None));
                continue;
            }
        };
        let well_formed = match part {
            "email" => s
                .split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.')),
            "phone" => {
                s.chars().any(|c| c.is_ascii_digit())
                    && s.chars().all(|c| c.is_ascii_digit() || "-+() ".contains(c))
            }
            _ => true,
        };
        if !well_formed {
            problems.push(problem(
                &key,
                if part == "email" {
                    "invalid_email"
                } else {
                    "invalid_phone"
                },
                None,
            ));
            continue;
        }
        clean.insert(part.to_owned(), Value::String(s.to_owned()));
    }
    if completeness == Completeness::Complete
        && problems.len() == before
        && (!clean.contains_key("name")
            || !(clean.contains_key("phone") || clean.contains_key("email")))
    {
        problems.push(problem(id, "contact_incomplete", None));
    }
    (problems.len() == before && !clean.is_empty()).then_some(Value::Object(clean))
}

/// A group: at most `max_rows` rows, each checked against the group's columns; problems
/// are named `group.<row>.<column>` (rows counted from 0).
fn check_group(
    field: &Field,
    value: &Value,
    completeness: Completeness,
    problems: &mut Vec<FieldProblem>,
) -> Option<Value> {
    let id = field.id();
    let Value::Array(rows) = value else {
        problems.push(problem(id, "invalid_value", None));
        return None;
    };
    let max = field.max_rows.unwrap_or(50);
    if rows.len() > max {
        problems.push(problem(id, "too_many_rows", Some(max.to_string())));
        return None;
    }
    let before = problems.len();
    let mut clean = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let Value::Object(row) = row else {
            problems.push(problem(&format!("{id}.{i}"), "invalid_value", None));
            continue;
        };
        if row.values().all(is_empty) {
            continue;
        }
        match validate(&field.fields, row, completeness) {
            Ok(r) => clean.push(Value::Object(r)),
            Err(found) => problems.extend(found.into_iter().map(|p| FieldProblem {
                field: format!("{id}.{i}.{}", p.field),
                ..p
            })),
        }
    }
    (problems.len() == before && !clean.is_empty()).then_some(Value::Array(clean))
}

/// The values of `from_attachments` fields (in `data` or in its tables' rows) that name no
/// file in `names`, the files attached to the case: evidence is a file the reader can
/// open, never a name typed for one that is not there. Problems are named as [`validate`]
/// names them.
pub fn unattached(fields: &[Field], data: &Data, names: &[String]) -> Vec<FieldProblem> {
    let mut found = Vec::new();
    for field in fields {
        let Some(value) = data.get(field.id()) else {
            continue;
        };
        if field.from_attachments
            && let Some(name) = value.as_str()
            && !names.iter().any(|n| n == name)
        {
            found.push(problem(field.id(), "not_attached", None));
        }
        if field.kind == FieldType::Group
            && let Value::Array(rows) = value
        {
            for (i, row) in rows.iter().enumerate() {
                let Value::Object(row) = row else { continue };
                found.extend(unattached(&field.fields, row, names).into_iter().map(|p| {
                    FieldProblem {
                        field: format!("{}.{i}.{}", field.id(), p.field),
                        ..p
                    }
                }));
            }
        }
    }
    found
}

/// The label of a field, or of a part of one (`contact.phone`, `group.2.name`), as the
/// messages name it.
pub fn label_of(fields: &[Field], id: &str) -> Option<crate::Text> {
    if let Some(f) = fields.iter().find(|f| f.id() == id) {
        return Some(f.label.clone());
    }
    let (head, rest) = id.split_once('.')?;
    let f = fields.iter().find(|f| f.id() == head)?;
    match f.kind {
        FieldType::Contact => {
            let (_, ja, en) = CONTACT_PARTS.iter().find(|(p, _, _)| *p == rest)?;
            Some(crate::Text {
                ja: format!("{}（{ja}）", f.label.ja),
                en: Some(format!("{} ({en})", f.label.get("en"))),
            })
        }
        FieldType::Group => {
            let (row, column) = rest.split_once('.')?;
            let n = row.parse::<usize>().ok()? + 1;
            let inner = label_of(&f.fields, column)?;
            Some(crate::Text {
                ja: format!("{} {n}行目の{}", f.label.ja, inner.ja),
                en: Some(format!(
                    "{}, row {n}, {}",
                    f.label.get("en"),
                    inner.get("en")
                )),
            })
        }
        _ => None,
    }
}

fn problem(field: &str, code: &'static str, limit: Option<String>) -> FieldProblem {
    FieldProblem {
        field: field.to_owned(),
        code,
        limit,
    }
}

type Invalid = (&'static str, Option<String>);

fn text(value: &Value, field: &Field, default_max: usize) -> Result<String, Invalid> {
    let Value::String(s) = value else {
        return Err(("invalid_value", None));
    };
    let s = s.trim();
    let max = field.max_length.unwrap_or(default_max);
    if s.chars().count() > max {
        return Err(("too_long", Some(max.to_string())));
    }
    // Direction controls too: invisible, they make a value read as something it is not.
    if s.chars().any(|c| {
        (c.is_control() && c != '\n' && c != '\r' && c != '\t')
            || mamori_domain::validation::is_bidi_control(c)
    }) {
        return Err(("invalid_value", None));
    }
    Ok(s.to_owned())
}

fn check_value(field: &Field, value: &Value, completeness: Completeness) -> Result<Value, Invalid> {
    match field.kind {
        FieldType::Text | FieldType::Person | FieldType::Organisation | FieldType::Secret => {
            let s = text(value, field, 200)?;
            if s.contains('\n') {
                return Err(("invalid_value", None));
            }
            Ok(Value::String(s))
        }
        FieldType::LongText => Ok(Value::String(text(value, field, 4000)?)),
        FieldType::Number => {
            let n = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => parse_number(s.trim()).and_then(|n| n.as_f64()),
                _ => None,
            }
            .ok_or(("not_a_number", None))?;
            if let Some(min) = field.min
                && n < min
            {
                return Err(("too_small", Some(min.to_string())));
            }
            if let Some(max) = field.max
                && n > max
            {
                return Err(("too_large", Some(max.to_string())));
            }
            Ok(parse_number(&n.to_string()).map_or(Value::Null, Value::Number))
        }
        FieldType::Date => {
            let s = text(value, field, 10)?;
            s.parse::<jiff::civil::Date>()
                .map(|d| Value::String(d.to_string()))
                .map_err(|_| ("invalid_date", None))
        }
        FieldType::Datetime => {
            let s = text(value, field, 19)?;
            s.parse::<jiff::civil::DateTime>()
                .map(|d| Value::String(d.strftime("%Y-%m-%dT%H:%M").to_string()))
                .map_err(|_| ("invalid_datetime", None))
        }
        FieldType::Choice => {
            let s = text(value, field, 100)?;
            if field.option_label(&s).is_none() {
                return Err(("unknown_option", None));
            }
            if let Some(c) = &field.ceiling
                && field.options.iter().position(|o| o.id.value == s) > Some(c.rank)
            {
                let top = &field.options[c.rank].label.ja;
                return Err((
                    "above_ceiling",
                    Some(format!("「{top}」（{}）", c.reason.ja)),
                ));
            }
            Ok(Value::String(s))
        }
        FieldType::MultiChoice => {
            let Value::Array(items) = value else {
                return Err(("invalid_value", None));
            };
            let mut out = Vec::new();
            for item in items {
                let s = item.as_str().ok_or(("invalid_value", None))?;
                if field.option_label(s).is_none() {
                    return Err(("unknown_option", None));
                }
                if !out.iter().any(|o: &Value| o == item) {
                    out.push(item.clone());
                }
            }
            Ok(Value::Array(out))
        }
        // Checked part by part (`check_contact`, `check_group`).
        FieldType::Contact | FieldType::Group => Err(("invalid_value", None)),
        // Put in by `derive`, never typed.
        // A count or sum is a number; a rule's derivation may give text.
        FieldType::Computed => match value {
            Value::Number(_) | Value::String(_) => Ok(value.clone()),
            _ => Err(("invalid_value", None)),
        },
        FieldType::Attachment => match value {
            Value::Array(names) if names.iter().all(Value::is_string) => Ok(value.clone()),
            _ => Err(("invalid_value", None)),
        },
        FieldType::YesNo => {
            let b = value.as_bool().ok_or(("invalid_value", None))?;
            if field.must_confirm && !b && completeness == Completeness::Complete {
                return Err(("must_confirm", None));
            }
            Ok(Value::Bool(b))
        }
    }
}

/// A value as a reader sees it: option labels, はい/いいえ, the text itself.
pub fn display(field: &Field, value: &Value, lang: &str) -> String {
    match (field.kind, value) {
        (FieldType::YesNo, Value::Bool(b)) => match (lang, b) {
            ("en", true) => "Yes".into(),
            ("en", false) => "No".into(),
            (_, true) => "はい".into(),
            (_, false) => "いいえ".into(),
        },
        (FieldType::Choice, Value::String(s)) => field
            .option_label(s)
            .map_or_else(|| s.clone(), |l| l.get(lang).to_owned()),
        (FieldType::MultiChoice, Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|s| {
                field
                    .option_label(s)
                    .map_or_else(|| s.to_owned(), |l| l.get(lang).to_owned())
            })
            .collect::<Vec<_>>()
            .join("、"),
        // As people write it: "2026-12-01 22:20", not the ISO "T".
        (FieldType::Datetime, Value::String(s)) => s.replacen('T', " ", 1),
        (FieldType::Attachment, Value::Array(names)) => names
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("、"),
        (FieldType::Contact, Value::Object(parts)) => {
            let part = |p: &str| parts.get(p).and_then(Value::as_str).unwrap_or("");
            let mut out = part("name").to_owned();
            if !part("section").is_empty() {
                out.push_str(&format!("（{}）", part("section")));
            }
            if !part("phone").is_empty() {
                out.push_str(&format!(" TEL {}", part("phone")));
            }
            if !part("email").is_empty() {
                out.push_str(&format!(" {}", part("email")));
            }
            out.trim().to_owned()
        }
        (FieldType::Group, Value::Array(rows)) => rows
            .iter()
            .filter_map(Value::as_object)
            .map(|row| {
                field
                    .fields
                    .iter()
                    .filter_map(|c| {
                        let v = row.get(c.id())?;
                        Some(format!("{}: {}", c.label.get(lang), display(c, v, lang)))
                    })
                    .collect::<Vec<_>>()
                    .join("、")
            })
            .collect::<Vec<_>>()
            .join("\n"),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Null) => String::new(),
        (_, other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use serde_saphyr::Spanned;

    use super::*;
    use crate::Text;

    fn text(ja: &str) -> Text {
        Text {
            ja: ja.into(),
            en: None,
        }
    }

    fn fields() -> Vec<Field> {
        let mut reporter = Field::built_in("reporter", FieldType::Contact, text("報告者"));
        reporter.required = true;
        let mut systems =
            Field::built_in("systems", FieldType::Group, text("影響を受けたシステム"));
        systems.max_rows = Some(3);
        let mut name = Field::built_in("name", FieldType::Text, text("名称"));
        name.required = true;
        systems.fields = vec![
            name,
            Field::built_in("since", FieldType::Date, text("発生日")),
        ];
        vec![reporter, systems]
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn contacts_and_tables_come_from_a_posted_form() {
        let data = from_pairs(
            &fields(),
            &pairs(&[
                ("reporter.name", " 申請 一郎 "),
                ("reporter.phone", "03-1234-5678"),
                ("systems.0.name", "人事システム"),
                ("systems.0.since", "2026-11-20"),
                ("systems.1.name", ""),
                ("systems.1.since", ""),
                ("systems.2.name", "会計システム"),
            ]),
        );
        assert_eq!(
            Value::Object(data.clone()),
            json!({
                "reporter": {"name": "申請 一郎", "phone": "03-1234-5678"},
                "systems": [{"name": "人事システム", "since": "2026-11-20"}, {"name": "会計システム"}],
            })
        );
        let clean = validate(&fields(), &data, Completeness::Complete).unwrap();
        assert_eq!(
            display(&fields()[0], &clean["reporter"], "ja"),
            "申請 一郎 TEL 03-1234-5678"
        );
        assert_eq!(
            display(&fields()[1], &clean["systems"], "ja"),
            "名称: 人事システム、発生日: 2026-11-20\n名称: 会計システム"
        );
    }

    #[test]
    fn each_part_and_each_cell_is_named_in_problems() {
        let data = json!({
            "reporter": {"name": "申請 一郎", "email": "not-an-address", "phone": "０３"},
            "systems": [{"since": "2026-02-30"}],
        });
        let found =
            validate(&fields(), data.as_object().unwrap(), Completeness::Complete).unwrap_err();
        let got: Vec<(&str, &str)> = found.iter().map(|p| (p.field.as_str(), p.code)).collect();
        assert_eq!(
            got,
            [
                ("reporter.phone", "invalid_phone"),
                ("reporter.email", "invalid_email"),
                ("systems.0.name", "required"),
                ("systems.0.since", "invalid_date"),
            ]
        );
        assert_eq!(
            label_of(&fields(), "systems.0.since").unwrap().ja,
            "影響を受けたシステム 1行目の発生日"
        );
        assert_eq!(
            label_of(&fields(), "reporter.email").unwrap().ja,
            "報告者（メールアドレス）"
        );

        // A name without a way to reach them is not a contact; too many rows are refused.
        let data = json!({"reporter": {"name": "申請 一郎"}, "systems": [{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d"}]});
        let found =
            validate(&fields(), data.as_object().unwrap(), Completeness::Complete).unwrap_err();
        let got: Vec<(&str, &str)> = found.iter().map(|p| (p.field.as_str(), p.code)).collect();
        assert_eq!(
            got,
            [
                ("reporter", "contact_incomplete"),
                ("systems", "too_many_rows")
            ]
        );
        // A draft may hold a contact still incomplete.
        let data = json!({"reporter": {"name": "申請 一郎"}});
        assert!(validate(&fields(), data.as_object().unwrap(), Completeness::Draft).is_ok());
    }

    #[test]
    fn computed_and_attachment_fields_are_worked_out_not_typed() {
        let mut terminals = Field::built_in("terminals", FieldType::Group, text("端末"));
        terminals.fields = vec![
            Field::built_in("name", FieldType::Text, text("名称")),
            Field::built_in("users", FieldType::Number, text("利用者数")),
        ];
        let mut count = Field::built_in("count", FieldType::Computed, text("台数"));
        count.compute = Some(Spanned::new(
            Compute::Count("terminals".into()),
            serde_saphyr::Location::UNKNOWN,
            serde_saphyr::Location::UNKNOWN,
        ));
        let mut users = Field::built_in("users", FieldType::Computed, text("利用者数計"));
        users.compute = Some(Spanned::new(
            Compute::Sum("terminals.users".into()),
            serde_saphyr::Location::UNKNOWN,
            serde_saphyr::Location::UNKNOWN,
        ));
        let mut evidence = Field::built_in("evidence", FieldType::Attachment, text("監査結果"));
        evidence.required = true;
        let fields = vec![terminals, count, users, evidence];

        // What a client sends for a derived field is replaced.
        let mut data = json!({
            "terminals": [{"name": "A", "users": 3}, {"name": "B", "users": "２.5"}, {"name": "C"}],
            "count": 99,
            "evidence": ["forged.pdf"],
        })
        .as_object()
        .unwrap()
        .clone();
        derive(&fields, &mut data, &Attached::new());
        assert_eq!(data["count"], json!(3));
        assert_eq!(data["users"], json!(5.5));
        assert!(!data.contains_key("evidence"));
        // A required attachment field wants a file attached for it.
        let found = validate(&fields, &data, Completeness::Complete).unwrap_err();
        assert_eq!(
            found
                .iter()
                .map(|p| (p.field.as_str(), p.code))
                .collect::<Vec<_>>(),
            [("evidence", "attachment_required")]
        );
        let attached = Attached::from([("evidence".to_owned(), vec!["監査結果.pdf".to_owned()])]);
        derive(&fields, &mut data, &attached);
        let clean = validate(&fields, &data, Completeness::Complete).unwrap();
        assert_eq!(
            display(&fields[3], &clean["evidence"], "ja"),
            "監査結果.pdf"
        );
        assert_eq!(display(&fields[1], &clean["count"], "ja"), "3");
        // No rows: nothing counted, nothing summed.
        let mut empty = Data::new();
        derive(&fields, &mut empty, &Attached::new());
        assert_eq!(
            (empty["count"].clone(), empty["users"].clone()),
            (json!(0), json!(0))
        );
    }

    #[test]
    fn evidence_chosen_from_attachments_must_name_an_attached_file() {
        let mut evidence = Field::built_in("evidence", FieldType::Text, text("証跡"));
        evidence.from_attachments = true;
        let mut items = Field::built_in("items", FieldType::Group, text("点検事項"));
        items.fields = vec![
            Field::built_in("item", FieldType::Text, text("点検事項")),
            evidence.clone(),
        ];
        let fields = vec![evidence, items];
        let data = json!({
            "evidence": "鍵管理簿.pdf",
            "items": [{"item": "施錠", "evidence": "鍵管理簿.pdf"}, {"item": "入退室", "evidence": "記録.pdf"}]
        });
        let data = data.as_object().unwrap();
        let names = vec!["鍵管理簿.pdf".to_owned()];
        let found = unattached(&fields, data, &names);
        assert_eq!(
            found
                .iter()
                .map(|p| (p.field.as_str(), p.code))
                .collect::<Vec<_>>(),
            [("items.1.evidence", "not_attached")]
        );
        assert_eq!(unattached(&fields, data, &[]).len(), 3);
    }
}

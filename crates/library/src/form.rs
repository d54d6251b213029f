//! Form data: reading it from an HTML form or JSON, and checking it against a form's fields.
//!
//! Data is a JSON object keyed by field id. Text-like fields hold strings (dates as
//! `YYYY-MM-DD`), numbers numbers, `yes_no` booleans and `multi_choice` arrays of option ids.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::condition::{self, Facts, is_empty};
use crate::model::{Field, FieldType};

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
    /// `invalid_value`, `unknown_field`.
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
    };
    for field in fields {
        let id = field.id();
        let value = data.get(id).filter(|v| !is_empty(v));
        let Some(value) = value else {
            let required = field.required
                || field
                    .required_when
                    .as_ref()
                    .is_some_and(|c| condition::holds(&c.value, &facts));
            if completeness == Completeness::Complete && required {
                problems.push(problem(id, "required", None));
            } else if completeness == Completeness::Complete && field.must_confirm {
                problems.push(problem(id, "must_confirm", None));
            }
            continue;
        };
        match check_value(field, value, completeness) {
            Ok(v) => {
                clean.insert(id.to_owned(), v);
            }
            Err((code, limit)) => problems.push(problem(id, code, limit)),
        }
    }
    if problems.is_empty() {
        Ok(clean)
    } else {
        Err(problems)
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
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(("invalid_value", None));
    }
    Ok(s.to_owned())
}

fn check_value(field: &Field, value: &Value, completeness: Completeness) -> Result<Value, Invalid> {
    match field.kind {
        FieldType::Text | FieldType::Person | FieldType::Organisation => {
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
        (_, Value::String(s)) => s.clone(),
        (_, Value::Null) => String::new(),
        (_, other) => other.to_string(),
    }
}

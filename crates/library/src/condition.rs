//! Deciding conditions against a case: its data, what was done in it, and the register
//! rows it refers to, which the caller fetches first (see [`lookups`]).

use std::collections::BTreeMap;

use mamori_domain::policy::CaseFacts;
use serde_json::Value;

use crate::form::Data;
use crate::model::{Branch, Condition, Procedure, Transition};

/// A register row's key: column → value, in column order.
pub type Key = BTreeMap<String, String>;

/// Everything a condition may look at.
pub struct Facts<'a> {
    /// The case's data (form and transition fields).
    pub data: &'a Data,
    /// Actions already taken in the case.
    pub done: &'a [String],
    /// Register rows found for the lookups, by register and canonical key.
    pub rows: &'a BTreeMap<(String, String), Data>,
    /// Today, `YYYY-MM-DD`, for `$today`.
    pub today: &'a str,
    /// The present moment in the installation's zone, for rules that read the clock; `None`
    /// where there is no case in time (a form checked on its own).
    pub now: Option<&'a jiff::Zoned>,
    /// The organisations around the case, as routed (its contracts, its prime contractors,
    /// those engaged for it), for a rulebook's rules; `None` where there is no case (a form
    /// checked on its own).
    pub organisations: Option<&'a CaseFacts>,
}

/// The value of an expression: `$field`, `$today` or a literal text.
pub fn resolve(expr: &str, data: &Data, today: &str) -> Option<Value> {
    match expr.strip_prefix('$') {
        Some("today") => Some(Value::String(today.to_owned())),
        Some(field) => data.get(field).filter(|v| !is_empty(v)).cloned(),
        None => Some(Value::String(expr.to_owned())),
    }
}

/// A key's values as text; `None` when a key field is empty (no row can match).
pub fn resolve_key(key: &BTreeMap<String, String>, data: &Data, today: &str) -> Option<Key> {
    key.iter()
        .map(|(col, expr)| {
            resolve(expr, data, today).map(|v| {
                let text = match v {
                    Value::String(s) => normalise(&s),
                    other => other.to_string(),
                };
                (col.clone(), text)
            })
        })
        .collect()
}

/// Key values compare without regard to case or runs of spaces: "ChatGPT" and
/// " chatgpt " name one service.
pub fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The canonical text of a key, as stored beside register rows.
pub fn key_text(key: &Key) -> String {
    serde_json::to_string(key).unwrap_or_default()
}

pub(crate) fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// The register rows a condition needs, as (register, key).
pub fn lookups(c: &Condition, data: &Data, today: &str, out: &mut Vec<(String, Key)>) {
    if let Some(register) = &c.register
        && let Some(key) = resolve_key(&c.key, data, today)
    {
        out.push((register.value.clone(), key));
    }
    for inner in c.all.iter().chain(c.any.iter()).flatten() {
        lookups(&inner.value, data, today, out);
    }
    if let Some(inner) = &c.not {
        lookups(&inner.value, data, today, out);
    }
}

/// Every register row that deciding a transition (its condition, targets and
/// requirements) may need.
pub fn transition_lookups(t: &Transition, data: &Data, today: &str) -> Vec<(String, Key)> {
    let mut out = Vec::new();
    for c in t.conditions() {
        lookups(&c.value, data, today, &mut out);
    }
    out
}

/// A condition as a page's script can decide it from the answers on the form, as JSON
/// (`field` with `is`, `in` or `filled`; `all`, `any`, `not`); `None` when it needs what
/// only the server knows (registers, actions done, rules, days compared).
pub fn in_browser(c: &Condition) -> Option<Value> {
    let needs_server = c.register.is_some()
        || c.done.is_some()
        || c.rule.is_some()
        || c.not_before.is_some()
        || c.not_after.is_some();
    if needs_server {
        return None;
    }
    let mut out = serde_json::Map::new();
    if let Some(field) = &c.field {
        out.insert("field".into(), Value::String(field.value.clone()));
        if let Some(filled) = c.filled {
            out.insert("filled".into(), Value::Bool(filled));
        } else if let Some(is) = &c.is {
            out.insert("is".into(), is.clone());
        } else {
            out.insert(
                "in".into(),
                Value::Array(c.one_of.clone().unwrap_or_default()),
            );
        }
    }
    let list = |items: &[serde_saphyr::Spanned<Condition>]| -> Option<Value> {
        items
            .iter()
            .map(|i| in_browser(&i.value))
            .collect::<Option<Vec<_>>>()
            .map(Value::Array)
    };
    if let Some(all) = &c.all {
        out.insert("all".into(), list(all)?);
    }
    if let Some(any) = &c.any {
        out.insert("any".into(), list(any)?);
    }
    if let Some(not) = &c.not {
        out.insert("not".into(), in_browser(&not.value)?);
    }
    Some(Value::Object(out))
}

/// Whether a condition holds.
pub fn holds(c: &Condition, facts: &Facts<'_>) -> bool {
    if let Some(field) = &c.field {
        let value = facts.data.get(&field.value);
        if let Some(filled) = c.filled {
            return value.is_some_and(|v| !is_empty(v)) == filled;
        }
        // ISO days (and day-times) order as text; an empty side is left to `required`.
        let day = |v: Option<Value>| -> Option<String> {
            v.and_then(|v| v.as_str().map(str::to_owned))
                .filter(|s| !s.trim().is_empty())
        };
        let this = day(value.cloned());
        let other = |expr: &str| day(resolve(expr, facts.data, facts.today));
        if let Some(expr) = &c.not_before {
            return match (this, other(expr)) {
                (Some(a), Some(b)) => a >= b,
                _ => true,
            };
        }
        if let Some(expr) = &c.not_after {
            return match (this, other(expr)) {
                (Some(a), Some(b)) => a[..a.len().min(b.len())] <= *b,
                _ => true,
            };
        }
        let matches = |wanted: &Value| match value {
            Some(Value::Array(items)) => items.contains(wanted),
            Some(v) => v == wanted,
            None => false,
        };
        if let Some(is) = &c.is {
            return matches(is);
        }
        return c.one_of.iter().flatten().any(matches);
    }
    if let Some(register) = &c.register {
        let Some(key) = resolve_key(&c.key, facts.data, facts.today) else {
            return false;
        };
        let Some(has) = &c.has else { return false };
        return facts
            .rows
            .get(&(register.value.clone(), key_text(&key)))
            .and_then(|row| row.get(&has.value))
            .is_some_and(|v| !is_empty(v));
    }
    if let Some(done) = &c.done {
        return facts.done.contains(&done.value);
    }
    if let Some(rule) = &c.rule {
        // The checker refuses a library that names an unknown rule.
        return crate::rules::rule(&rule.value).is_some_and(|r| (r.holds)(facts));
    }
    if let Some(all) = &c.all {
        return all.iter().all(|i| holds(&i.value, facts));
    }
    if let Some(any) = &c.any {
        return any.iter().any(|i| holds(&i.value, facts));
    }
    if let Some(inner) = &c.not {
        return !holds(&inner.value, facts);
    }
    false
}

/// Whether a transition is offered in a case's present state (its `when`, and `once`).
pub fn offered(t: &Transition, facts: &Facts<'_>) -> bool {
    if t.once && facts.done.contains(&t.action.value) {
        return false;
    }
    t.when.as_ref().is_none_or(|c| holds(&c.value, facts))
}

/// The messages of the requirements that do not hold yet.
pub fn unmet<'t>(t: &'t Transition, facts: &Facts<'_>) -> Vec<&'t crate::Text> {
    t.requires
        .iter()
        .filter(|r| r.when.as_ref().is_none_or(|w| holds(&w.value, facts)))
        .filter(|r| !holds(&r.check.value, facts))
        .map(|r| &r.message)
        .collect()
}

/// The state a transition leads to: its first branch whose condition holds.
pub fn target<'p>(t: &'p Transition, facts: &Facts<'_>) -> &'p str {
    t.to.iter()
        .find(|b: &&Branch| b.when.as_ref().is_none_or(|c| holds(&c.value, facts)))
        .or(t.to.last())
        .map(|b| b.state.value.as_str())
        .unwrap_or_default()
}

/// Whether a procedure's state ends the case.
pub fn is_terminal(p: &Procedure, state: &str) -> bool {
    p.state(state).is_some_and(|s| s.terminal)
}

#[cfg(test)]
mod tests {
    use super::in_browser;
    use crate::model::Condition;
    use serde_json::json;

    fn parse(yaml: &str) -> Condition {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn answers_on_the_form_are_decided_in_the_browser_and_nothing_else_is() {
        let c = parse("{ all: [{ field: servers, is: true }, { field: events, in: [e1a, e1i] }] }");
        assert_eq!(
            in_browser(&c),
            Some(json!({"all": [
                {"field": "servers", "is": true},
                {"field": "events", "in": ["e1a", "e1i"]}
            ]}))
        );
        let c = parse("{ not: { field: note, filled: true } }");
        assert_eq!(
            in_browser(&c),
            Some(json!({"not": {"field": "note", "filled": true}}))
        );
        // A register row or a compared day is the server's to decide: the item stays shown.
        let c = parse("{ any: [{ field: a, is: true }, { field: d, not_before: $today }] }");
        assert_eq!(in_browser(&c), None);
        let c = parse("{ done: approve }");
        assert_eq!(in_browser(&c), None);
    }
}

//! Conditions (`when`, `requires`, a deadline's `when`): the fields, actions, registers and
//! rules they name, and the values they compare.

use std::collections::{BTreeMap, BTreeSet};

use serde_saphyr::Spanned;

use super::{Checker, has_input};
use crate::model::{Condition, Field, FieldType, Register};

impl Checker<'_> {
    /// Checks a condition; `fields` are the fields it may name.
    pub(super) fn condition(
        &mut self,
        c: &Spanned<Condition>,
        fields: &BTreeMap<&str, &Field>,
        actions: &BTreeSet<&str>,
    ) {
        let v = &c.value;
        let forms = [
            v.field.is_some(),
            v.register.is_some(),
            v.done.is_some(),
            v.rule.is_some(),
            v.all.is_some(),
            v.any.is_some(),
            v.not.is_some(),
            v.class.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if forms != 1 {
            self.at(
                c,
                "条件には field / register / done / rule / class / all / any / not のどれか一つを書いてください (exactly one kind of condition)",
            );
            return;
        }
        if let Some(axis) = &v.class {
            self.class_condition(axis, v.at_least.as_ref());
        } else if let Some(level) = &v.at_least {
            self.at(level, "at_least は class と一緒に書いてください");
        }
        if let Some(name) = &v.field {
            match fields.get(name.value.as_str()) {
                None => self.at(
                    name,
                    format!(
                        "条件の項目「{}」はこの手続の様式にありません (unknown field)",
                        name.value
                    ),
                ),
                Some(field) => {
                    let tests = [
                        v.is.is_some(),
                        v.one_of.is_some(),
                        v.filled.is_some(),
                        v.not_before.is_some(),
                        v.not_after.is_some(),
                    ]
                    .iter()
                    .filter(|x| **x)
                    .count();
                    if tests != 1 {
                        self.at(
                            name,
                            "field の条件には is / in / filled / not_before / not_after のどれか一つを書いてください",
                        );
                    }
                    if let Some(expr) = v.not_before.as_ref().or(v.not_after.as_ref()) {
                        if !matches!(field.kind, FieldType::Date | FieldType::Datetime) {
                            self.at(
                                name,
                                format!(
                                    "not_before / not_after は日付の項目にだけ書けます（「{}」）",
                                    name.value
                                ),
                            );
                        }
                        self.expression(name, expr, fields);
                    }
                    let values = v.is.iter().chain(v.one_of.iter().flatten());
                    for value in values {
                        self.value_fits(name, field, value);
                    }
                }
            }
        }
        if let Some(register) = &v.register {
            match self.register(&register.value) {
                None => self.at(
                    register,
                    format!(
                        "台帳「{}」はこのライブラリにありません (unknown register)",
                        register.value
                    ),
                ),
                Some(r) => {
                    self.key(register, r, &v.key, fields);
                    match &v.has {
                        None => self.at(
                            register,
                            "台帳の条件には has（埋まっているべき列）を書いてください",
                        ),
                        Some(col) if r.column(&col.value).is_none() => self.at(
                            col,
                            format!("台帳「{}」に列「{}」はありません", r.id.value, col.value),
                        ),
                        Some(_) => {}
                    }
                }
            }
        }
        if let Some(done) = &v.done
            && !actions.contains(done.value.as_str())
        {
            self.at(
                done,
                format!(
                    "操作「{}」はこの手続にありません (unknown action)",
                    done.value
                ),
            );
        }
        if let Some(rule) = &v.rule {
            let library = self.parts.manifest.id.value.as_str();
            match crate::rules::rule_for(library, &rule.value) {
                None => self.at(
                    rule,
                    format!(
                        "規則「{}」はこのライブラリでは使えません (unknown rule; known: {})",
                        rule.value,
                        crate::rules::names_for(library).join(", ")
                    ),
                ),
                Some(r) => {
                    for path in r.reads {
                        if !has_input(path, |id| fields.get(id).copied()) {
                            self.at(
                                rule,
                                format!(
                                    "規則「{}」が読む項目「{path}」がこの手続の様式・操作にありません (the rule reads a field the procedure lacks)",
                                    rule.value
                                ),
                            );
                        }
                    }
                    for action in r.done.iter().filter(|a| !actions.contains(*a)) {
                        self.at(
                            rule,
                            format!(
                                "規則「{}」が確かめる操作「{action}」がこの手続にありません (the rule reads an action the procedure lacks)",
                                rule.value
                            ),
                        );
                    }
                }
            }
        }
        for inner in v.all.iter().chain(v.any.iter()).flatten() {
            self.condition(inner, fields, actions);
        }
        if let Some(inner) = &v.not {
            self.condition(inner, fields, actions);
        }
    }

    /// `{ class: axis, at_least: level }`: an axis of the library and one of its levels.
    fn class_condition(&mut self, axis: &Spanned<String>, level: Option<&Spanned<String>>) {
        let m = self.parts.manifest;
        let found = m
            .classification
            .iter()
            .find(|a| a.id.value == axis.value)
            .cloned()
            .or_else(|| {
                (axis.value == crate::model::MARK_AXIS && !m.marks.is_empty())
                    .then(|| crate::model::Axis::of_marks(&m.marks))
            });
        let Some(found) = found else {
            self.at(
                axis,
                format!(
                    "格付の軸「{}」はこのライブラリにありません (unknown axis)",
                    axis.value
                ),
            );
            return;
        };
        match level {
            None => self.at(axis, "class の条件には at_least（区分）を書いてください"),
            Some(l) if found.rank(&l.value).is_none() => self.at(
                l,
                format!(
                    "「{}」は軸「{}」の区分にありません (unknown level)",
                    l.value, axis.value
                ),
            ),
            Some(_) => {}
        }
    }

    pub(super) fn value_fits(
        &mut self,
        at: &Spanned<String>,
        field: &Field,
        value: &serde_json::Value,
    ) {
        let fits = match field.kind {
            FieldType::Choice | FieldType::MultiChoice => value
                .as_str()
                .is_some_and(|s| field.option_label(s).is_some()),
            FieldType::YesNo => value.is_boolean(),
            FieldType::Number => value.is_number(),
            _ => value.is_string(),
        };
        if !fits {
            self.at(
                at,
                format!(
                    "値 {value} は項目「{}」の値になりえません (not a possible value)",
                    field.id.value
                ),
            );
        }
    }

    /// A register key: exactly the register's key columns, each `$field` or a literal.
    pub(super) fn key(
        &mut self,
        at: &Spanned<String>,
        register: &Register,
        key: &BTreeMap<String, String>,
        fields: &BTreeMap<&str, &Field>,
    ) {
        let wanted: BTreeSet<&str> = register.key.iter().map(|k| k.value.as_str()).collect();
        let given: BTreeSet<&str> = key.keys().map(String::as_str).collect();
        if wanted != given {
            self.at(
                at,
                format!(
                    "台帳「{}」の key には {} を書いてください (the register's key columns)",
                    register.id.value,
                    wanted.iter().copied().collect::<Vec<_>>().join(", ")
                ),
            );
        }
        for expr in key.values() {
            self.expression(at, expr, fields);
        }
    }

    pub(super) fn expression(
        &mut self,
        at: &Spanned<String>,
        expr: &str,
        fields: &BTreeMap<&str, &Field>,
    ) {
        if let Some(name) = expr.strip_prefix('$')
            && name != "today"
            && !fields.contains_key(name)
        {
            self.at(
                at,
                format!("「{expr}」の項目はこの手続にありません (unknown field in an expression)"),
            );
        }
    }
}

//! A procedure's schedule: its steps, the actions that finish them, the month's block and
//! the action that moves a step all name what the procedure has, so that renaming an action
//! or a field cannot silently leave a step that never finishes.

use std::collections::BTreeSet;

use super::Checker;
use crate::model::{Field, FieldIs, FieldType, Procedure, Schedule};

impl Checker<'_> {
    pub(super) fn schedule(&mut self, p: &Procedure, s: &Schedule, form_fields: &[Field]) {
        let action = |id: &str| p.transitions.iter().find(|t| t.action.value == id);
        if action(&s.from.value).is_none() {
            self.at(
                &s.from,
                format!(
                    "schedule の from「{}」はこの手続の action にありません",
                    s.from.value
                ),
            );
        }
        if s.steps.is_empty() {
            self.at(&s.from, "schedule に steps がありません");
        }
        self.unique(s.steps.iter().map(|st| &st.id), "工程");
        let form_field = |c: &mut Self, f: &FieldIs| {
            if !form_fields.iter().any(|x| x.id() == f.field.value) {
                c.at(
                    &f.field,
                    format!("項目「{}」は様式にありません", f.field.value),
                );
            }
        };
        for step in &s.steps {
            self.id(&step.id, "工程");
            if step.days.value == 0 {
                self.at(&step.days, "days は 1 以上の営業日数です");
            }
            if let Some(f) = &step.skipped_when {
                form_field(self, f);
            }
            for o in &step.instead {
                form_field(self, &o.when);
            }
            if step.finished_by.is_empty() {
                self.at(
                    &step.id,
                    format!(
                        "工程「{}」に finished_by（終える action）がありません",
                        step.id.value
                    ),
                );
            }
            for f in &step.finished_by {
                match action(&f.action.value) {
                    None => self.at(
                        &f.action,
                        format!(
                            "工程「{}」を終える action「{}」はこの手続にありません",
                            step.id.value, f.action.value
                        ),
                    ),
                    Some(t) => {
                        // The action's own fields and the form's: a finishing condition reads
                        // what the action recorded.
                        for c in f.when.iter().chain(&f.unless) {
                            let known = t
                                .fields
                                .iter()
                                .chain(form_fields)
                                .any(|x| x.id() == c.field.value);
                            if !known {
                                self.at(
                                    &c.field,
                                    format!(
                                        "項目「{}」は action「{}」にも様式にもありません",
                                        c.field.value, f.action.value
                                    ),
                                );
                            }
                        }
                    }
                }
            }
        }
        let ids: Vec<&str> = s.steps.iter().map(|st| st.id.value.as_str()).collect();
        if let Some(m) = &s.same_month {
            let at = |x: &str| ids.iter().position(|i| *i == x);
            match (at(&m.from.value), at(&m.to.value)) {
                (Some(a), Some(b)) if a > b => {
                    self.at(&m.to, "same_month の to は from より後の工程です")
                }
                (Some(_), Some(_)) => {}
                (a, _) => {
                    let bad = if a.is_none() { &m.from } else { &m.to };
                    self.at(bad, format!("工程「{}」は steps にありません", bad.value));
                }
            }
        }
        if let Some(a) = &s.adjust {
            match action(&a.action.value) {
                None => self.at(
                    &a.action,
                    format!(
                        "adjust の action「{}」はこの手続にありません",
                        a.action.value
                    ),
                ),
                Some(t) => {
                    let field = |id: &str| t.fields.iter().find(|f| f.id() == id);
                    match field(&a.step.value) {
                        Some(f) if f.kind == FieldType::Choice => {
                            let known: BTreeSet<&str> = ids.iter().copied().collect();
                            for o in &f.options {
                                if !known.contains(o.id.value.as_str()) {
                                    self.at(
                                        &o.id,
                                        format!("選択肢「{}」は schedule の工程にありません", o.id.value),
                                    );
                                }
                            }
                        }
                        _ => self.at(
                            &a.step,
                            format!(
                                "adjust の step「{}」は action「{}」の選択肢 (type: choice) の項目ではありません",
                                a.step.value, a.action.value
                            ),
                        ),
                    }
                    match field(&a.starts.value) {
                        Some(f) if f.kind == FieldType::Date => {}
                        _ => self.at(
                            &a.starts,
                            format!(
                                "adjust の starts「{}」は action「{}」の日付の項目ではありません",
                                a.starts.value, a.action.value
                            ),
                        ),
                    }
                    if let Some(r) = &a.reason
                        && field(&r.value).is_none()
                    {
                        self.at(
                            r,
                            format!(
                                "adjust の reason「{}」は action「{}」の項目ではありません",
                                r.value, a.action.value
                            ),
                        );
                    }
                }
            }
        }
    }
}

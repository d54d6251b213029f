//! The fields of forms, tables and registers: ids, kinds, options, computed fields and
//! where a secret may be.

use super::{Checker, has_input};
use crate::model::{Compute, Field, FieldType};

impl Checker<'_> {
    /// Computed and attachment fields belong to a case's form: a table cell, a register
    /// column or an action's field has nowhere to attach a file or a rule to work from.
    pub(super) fn only_typed(&mut self, fields: &[Field]) {
        for f in fields.iter().filter(|f| f.is_derived()) {
            self.at(
                &f.id,
                format!(
                    "computed と attachment の項目は様式の項目にだけ書けます（「{}」）",
                    f.id.value
                ),
            );
        }
    }

    /// A secret is handed over by an action, never kept in a form or a register.
    pub(super) fn no_secrets(&mut self, fields: &[Field]) {
        for f in fields.iter().filter(|f| f.kind == FieldType::Secret) {
            self.at(
                &f.id,
                format!(
                    "secret の項目は操作の項目にだけ書けます。様式や台帳には保存しません（「{}」）",
                    f.id.value
                ),
            );
        }
    }

    /// A computed field says how, from fields of its own form, and nobody types it.
    pub(super) fn compute(&mut self, f: &Field, siblings: &[Field]) {
        let Some(how) = &f.compute else {
            return self.at(
                &f.id,
                format!(
                    "計算項目「{}」に compute（count: 表 / sum: 表.列 / rule: 名前）がありません",
                    f.id.value
                ),
            );
        };
        if f.required || f.required_when.is_some() {
            self.at(
                &f.id,
                format!(
                    "計算項目「{}」は入力されないので required は書けません",
                    f.id.value
                ),
            );
        }
        let find = |id: &str| siblings.iter().find(|s| s.id() == id);
        let library = self.parts.manifest.id.value.as_str();
        let problem = match &how.value {
            Compute::Count(of) => match find(of) {
                Some(s) if matches!(s.kind, FieldType::Group | FieldType::MultiChoice) => None,
                Some(_) => Some(format!(
                    "count できるのは表 (group) か複数選択 (multi_choice) の項目です（「{of}」）"
                )),
                None => Some(format!("count の項目「{of}」はこの様式にありません")),
            },
            Compute::Sum(path) => {
                let (group, column) = path.split_once('.').unwrap_or((path, ""));
                match find(group) {
                    Some(g) if g.kind == FieldType::Group => {
                        match g.fields.iter().find(|c| c.id() == column) {
                            Some(c) if c.kind == FieldType::Number => None,
                            Some(_) => Some(format!(
                                "sum できるのは数値 (number) の列です（「{path}」）"
                            )),
                            None => Some(format!(
                                "表「{group}」に列「{column}」がありません（sum: 表.列 と書きます）"
                            )),
                        }
                    }
                    _ => Some(format!(
                        "sum の表「{group}」はこの様式にありません（sum: 表.列 と書きます）"
                    )),
                }
            }
            Compute::Rule(name) => match crate::rules::derivation_for(library, name) {
                None => Some(format!(
                    "計算の規則「{name}」はこのライブラリでは使えません (unknown derivation; known: {})",
                    crate::rules::derivation_names_for(library).join(", ")
                )),
                Some(d) => {
                    let missing: Vec<&str> = d
                        .reads
                        .iter()
                        .copied()
                        .filter(|path| !has_input(path, find))
                        .collect();
                    (!missing.is_empty()).then(|| {
                        format!(
                            "計算の規則「{name}」が読む項目「{}」がこの様式にありません (the derivation reads fields the form lacks)",
                            missing.join("」「")
                        )
                    })
                }
            },
        };
        if let Some(message) = problem {
            self.at(how, message);
        }
    }

    pub(super) fn fields(&mut self, fields: &[Field], what: &str) {
        self.unique(fields.iter().map(|f| &f.id), &format!("{what}の項目"));
        for f in fields {
            self.id(&f.id, "項目");
            let choice = matches!(f.kind, FieldType::Choice | FieldType::MultiChoice);
            if choice && f.options.is_empty() {
                self.at(
                    &f.id,
                    format!(
                        "選択肢の項目「{}」に options がありません (a choice needs options)",
                        f.id.value
                    ),
                );
            }
            if !choice && !f.options.is_empty() {
                self.at(
                    &f.id,
                    format!(
                        "項目「{}」は選択肢ではないので options は書けません",
                        f.id.value
                    ),
                );
            }
            self.unique(f.options.iter().map(|o| &o.id), "選択肢");
            if f.must_confirm && f.kind != FieldType::YesNo {
                self.at(
                    &f.id,
                    format!(
                        "must_confirm は yes_no の項目にだけ書けます（「{}」）",
                        f.id.value
                    ),
                );
            }
            if !f.secret_for.is_empty() && f.kind != FieldType::Secret {
                self.at(
                    &f.id,
                    format!("for は secret の項目にだけ書けます（「{}」）", f.id.value),
                );
            }
            if f.pdf_only && f.kind != FieldType::Attachment {
                self.at(
                    &f.id,
                    format!(
                        "pdf_only は attachment の項目にだけ書けます（「{}」）",
                        f.id.value
                    ),
                );
            }
            if f.from_attachments && f.kind != FieldType::Text {
                self.at(
                    &f.id,
                    format!(
                        "from_attachments は text の項目にだけ書けます（「{}」）",
                        f.id.value
                    ),
                );
            }
            if let Some(how) = &f.compute
                && f.kind != FieldType::Computed
            {
                self.at(
                    how,
                    format!(
                        "compute は computed の項目にだけ書けます（「{}」）",
                        f.id.value
                    ),
                );
            }
            if let (Some(min), Some(max)) = (f.min, f.max)
                && min > max
            {
                self.at(
                    &f.id,
                    format!("項目「{}」の min が max より大きい", f.id.value),
                );
            }
            match f.kind {
                FieldType::Group if f.fields.is_empty() => self.at(
                    &f.id,
                    format!(
                        "表の項目「{}」に列 (fields) がありません (a group needs fields)",
                        f.id.value
                    ),
                ),
                FieldType::Group => {
                    for inner in &f.fields {
                        if matches!(
                            inner.kind,
                            FieldType::Group | FieldType::Contact | FieldType::Secret
                        ) {
                            self.at(
                                &inner.id,
                                format!(
                                    "表「{}」の列に group・contact・secret は使えません（「{}」）",
                                    f.id.value, inner.id.value
                                ),
                            );
                        }
                    }
                    self.only_typed(&f.fields);
                    self.fields(&f.fields, &format!("表「{}」", f.id.value));
                }
                FieldType::Computed => self.compute(f, fields),
                _ if !f.fields.is_empty() || f.max_rows.is_some() => self.at(
                    &f.id,
                    format!(
                        "fields と max_rows は表 (group) の項目にだけ書けます（「{}」）",
                        f.id.value
                    ),
                ),
                _ => {}
            }
        }
    }
}

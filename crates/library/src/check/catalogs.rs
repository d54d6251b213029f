//! Catalogs of requirements: groups, questions, options and the conditions between them.

use super::Checker;
use crate::catalog::{Catalog, Question};
use crate::model::FieldType;

impl Checker<'_> {
    /// A catalog: who answers it, its groups, and requirements with ids unique in it,
    /// options where they choose, and conditions on earlier answers they could have.
    pub(super) fn catalog(&mut self, catalog: &Catalog) {
        self.id(&catalog.id, "点検項目集");
        self.parties(&catalog.by, &format!("点検項目集「{}」", catalog.id.value));
        for p in &catalog.campaign_by {
            self.role(&p.role);
        }
        self.unique(catalog.groups.iter().map(|g| &g.id), "グループ");
        for g in &catalog.groups {
            self.id(&g.id, "グループ");
        }
        if let Some(f) = &catalog.findings {
            match self
                .parts
                .procedures
                .iter()
                .find(|(_, p)| p.id.value == f.procedure.value)
            {
                None => self.at(
                    &f.procedure,
                    format!(
                        "findings の手続「{}」はこのライブラリにありません",
                        f.procedure.value
                    ),
                ),
                Some((_, p)) => {
                    let form = self
                        .parts
                        .forms
                        .iter()
                        .find(|(_, x)| x.id.value == p.form.value);
                    for needed in crate::catalog::FINDING_FIELDS {
                        let ok = form.is_some_and(|(_, x)| {
                            x.fields.iter().any(|f| {
                                f.id.value == needed
                                    && matches!(f.kind, FieldType::Text | FieldType::LongText)
                            })
                        });
                        if !ok {
                            self.at(
                                &f.procedure,
                                format!(
                                    "手続「{}」の様式に、指摘事項を書き込む text か long_text の項目「{needed}」がありません",
                                    f.procedure.value
                                ),
                            );
                        }
                    }
                }
            }
        }
        if let Some(from) = &catalog.from_matrix
            && !self
                .parts
                .matrices
                .iter()
                .any(|(_, m)| m.id.value == from.matrix.value)
        {
            self.at(
                &from.matrix,
                format!(
                    "from_matrix の一覧表「{}」はこのライブラリにありません (unknown matrix)",
                    from.matrix.value
                ),
            );
        }
        if catalog.requirements.is_empty() && catalog.from_matrix.is_none() {
            self.at(
                &catalog.id,
                format!(
                    "点検項目集「{}」に要件がありません: requirements か from_matrix を書いてください",
                    catalog.id.value
                ),
            );
        }
        let lines = catalog.lines();
        self.unique(lines.iter().map(|l| &l.requirement.id), "要件");
        for (i, line) in lines.iter().enumerate() {
            let r = line.requirement;
            if r.id.value.trim().is_empty() {
                self.at(&r.id, "要件の id が空です");
            }
            if let Some(g) = &r.group
                && !catalog.groups.iter().any(|x| x.id.value == g.value)
            {
                self.at(
                    g,
                    format!(
                        "グループ「{}」は groups にありません (unknown group)",
                        g.value
                    ),
                );
            }
            let choice = r.question() == Question::Choice;
            if choice && r.options.is_empty() {
                self.at(
                    &r.id,
                    format!("要件「{}」は choice なので options が必要です", r.id.value),
                );
            }
            if !choice && !r.options.is_empty() {
                self.at(
                    &r.id,
                    format!(
                        "options は question: choice の要件にだけ書けます（「{}」）",
                        r.id.value
                    ),
                );
            }
            self.unique(r.options.iter().map(|o| &o.id), "選択肢");
            if let Some(w) = &r.when {
                let earlier = lines[..i]
                    .iter()
                    .map(|l| l.requirement)
                    .find(|e| e.id.value == w.value.requirement);
                match earlier {
                    None => self.at(
                        w,
                        format!(
                            "when の要件「{}」はこの要件より前にありません (a condition looks at an earlier answer)",
                            w.value.requirement
                        ),
                    ),
                    Some(e) if e.judge(&w.value.is, "理由").is_err() || w.value.is == crate::catalog::NOT_APPLICABLE => self.at(
                        w,
                        format!(
                            "要件「{}」の答えに「{}」はありません",
                            e.id.value, w.value.is
                        ),
                    ),
                    Some(_) => {}
                }
            }
        }
    }
}

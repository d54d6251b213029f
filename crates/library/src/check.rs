//! The checks a library must pass before a server loads it: every reference resolves,
//! every id is unique and well formed, every condition makes sense for what it names.

use std::collections::{BTreeMap, BTreeSet};

use serde_saphyr::Spanned;

use crate::catalog::{Catalog, Question};
use crate::load::Problem;
use mamori_domain::deadline::Due;

use crate::model::{
    Compute, Condition, Deadline, DocumentFormat, Field, FieldType, Form, MARK_FIELD, Manifest,
    Party, Procedure, Register, RegisterWrite, Someone, VOTES, reminder_span,
};

pub(crate) struct Parts<'a> {
    pub manifest: &'a Manifest,
    pub forms: &'a [(&'a str, Form)],
    pub procedures: &'a [(&'a str, Procedure)],
    pub registers: &'a [(&'a str, Register)],
    pub catalogs: &'a [(&'a str, Catalog)],
}

struct Checker<'a> {
    parts: &'a Parts<'a>,
    problems: Vec<Problem>,
    /// Doubts that do not refuse the library.
    warnings: Vec<Problem>,
    file: &'a str,
}

impl<'a> Checker<'a> {
    fn at<T>(&mut self, spanned: &Spanned<T>, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.to_owned(),
            line: spanned.referenced.line(),
            column: spanned.referenced.column(),
            message: message.into(),
        });
    }

    fn warn_at<T>(&mut self, spanned: &Spanned<T>, message: impl Into<String>) {
        self.warnings.push(Problem {
            file: self.file.to_owned(),
            line: spanned.referenced.line(),
            column: spanned.referenced.column(),
            message: message.into(),
        });
    }

    fn whole_file(&mut self, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.to_owned(),
            line: 0,
            column: 0,
            message: message.into(),
        });
    }

    fn id(&mut self, id: &Spanned<String>, what: &str) {
        let ok = !id.value.is_empty()
            && id
                .value
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase())
            && id
                .value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            self.at(
                id,
                format!(
                    "{what}の id「{}」は英小文字で始まり、英小文字・数字・_ だけにしてください (ids are snake_case)",
                    id.value
                ),
            );
        }
    }

    fn unique<'s>(&mut self, ids: impl IntoIterator<Item = &'s Spanned<String>>, what: &str) {
        let mut seen = BTreeSet::new();
        for id in ids {
            if !seen.insert(id.value.as_str()) {
                self.at(
                    id,
                    format!("{what}「{}」が重複しています (duplicate id)", id.value),
                );
            }
        }
    }

    fn register(&self, id: &str) -> Option<&'a Register> {
        self.parts
            .registers
            .iter()
            .map(|(_, r)| r)
            .find(|r| r.id.value == id)
    }

    fn role(&mut self, role: &Spanned<String>) {
        if !self
            .parts
            .manifest
            .roles
            .iter()
            .any(|r| r.id.value == role.value)
        {
            let known: Vec<&str> = self
                .parts
                .manifest
                .roles
                .iter()
                .map(|r| r.id.value.as_str())
                .collect();
            self.at(
                role,
                format!(
                    "役割「{}」は library.yaml の roles にありません (unknown role; declared: {})",
                    role.value,
                    known.join(", ")
                ),
            );
        }
    }

    /// Computed and attachment fields belong to a case's form: a table cell, a register
    /// column or an action's field has nowhere to attach a file or a rule to work from.
    fn only_typed(&mut self, fields: &[Field]) {
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
    fn no_secrets(&mut self, fields: &[Field]) {
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
    fn compute(&mut self, f: &Field, siblings: &[Field]) {
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

    /// A catalog: who answers it, its groups, and requirements with ids unique in it,
    /// options where they choose, and conditions on earlier answers they could have.
    fn catalog(&mut self, catalog: &Catalog) {
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

    fn parties(&mut self, parties: &[Party], what: &str) {
        if parties.is_empty() {
            self.whole_file(format!(
                "{what}: 誰が行えるか (by) を一つ以上書いてください"
            ));
        }
        for p in parties {
            self.role(&p.role);
        }
    }

    fn fields(&mut self, fields: &[Field], what: &str) {
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

    /// Checks a condition; `fields` are the fields it may name.
    fn condition(
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
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if forms != 1 {
            self.at(
                c,
                "条件には field / register / done / rule / all / any / not のどれか一つを書いてください (exactly one kind of condition)",
            );
            return;
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

    fn value_fits(&mut self, at: &Spanned<String>, field: &Field, value: &serde_json::Value) {
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
    fn key(
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

    fn expression(&mut self, at: &Spanned<String>, expr: &str, fields: &BTreeMap<&str, &Field>) {
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

    fn write(&mut self, w: &RegisterWrite, fields: &BTreeMap<&str, &Field>) {
        match self.register(&w.register.value) {
            None => self.at(
                &w.register,
                format!("台帳「{}」はこのライブラリにありません", w.register.value),
            ),
            Some(r) => {
                // A write for each row of a group reads that group's columns too.
                let mut fields = fields.clone();
                if let Some(each) = &w.for_each {
                    match fields.get(each.value.as_str()).copied() {
                        Some(g) if g.kind == FieldType::Group => {
                            for c in &g.fields {
                                fields.entry(c.id()).or_insert(c);
                            }
                        }
                        _ => self.at(
                            each,
                            format!(
                                "for_each には様式か操作の group の項目を書きます（「{}」）",
                                each.value
                            ),
                        ),
                    }
                }
                let fields = &fields;
                self.key(&w.register, r, &w.key, fields);
                for (col, expr) in &w.set {
                    if r.column(col).is_none() {
                        self.at(
                            &w.register,
                            format!("台帳「{}」に列「{col}」はありません", r.id.value),
                        );
                    }
                    self.expression(&w.register, expr, fields);
                }
            }
        }
    }

    /// The directory exists and has the columns routing reads; the organisations are a
    /// text field or a text column of a group of the case's form.
    fn phone_first(&mut self, pf: &crate::model::PhoneFirst, form: &Form) {
        match self.register(&pf.directory.value) {
            None => self.at(
                &pf.directory,
                format!("台帳「{}」はこのライブラリにありません", pf.directory.value),
            ),
            Some(r) => {
                let missing: Vec<&str> = crate::model::DIRECTORY_COLUMNS
                    .into_iter()
                    .filter(|c| r.column(c).is_none())
                    .collect();
                if !missing.is_empty() || r.key.len() != 1 || r.key[0].value != "organisation" {
                    self.at(
                        &pf.directory,
                        format!(
                            "連絡先の台帳には列 {} と key [organisation] が必要です（足りない列: {}）",
                            crate::model::DIRECTORY_COLUMNS.join(", "),
                            missing.join(", ")
                        ),
                    );
                }
            }
        }
        let path = &pf.organisations.value;
        let (first, column) = match path.split_once('.') {
            Some((g, c)) => (g, Some(c)),
            None => (path.as_str(), None),
        };
        let found = form
            .fields
            .iter()
            .find(|f| f.id() == first)
            .and_then(|f| match column {
                Some(c) if f.kind == FieldType::Group => f.fields.iter().find(|x| x.id() == c),
                None => Some(f),
                _ => None,
            });
        if !found.is_some_and(|f| f.kind == FieldType::Text) {
            self.at(
                &pf.organisations,
                format!("organisations「{path}」は様式の文字 (text) の項目か、表の文字の列（表.列）にしてください"),
            );
        }
    }

    /// A prefill names a field of the form of the right kind: text for names, a group
    /// sharing at least one column with the register for rows.
    fn prefill(&mut self, pre: &crate::model::Prefill, form: &Form, p: &Procedure) {
        use crate::model::PrefillSource;
        if pre.is_keyed() {
            return self.keyed_prefill(pre, form, p);
        }
        // A form field, or a table an action asks for (filled from a register only).
        let Some(field) = form
            .fields
            .iter()
            .chain(
                p.transitions
                    .iter()
                    .flat_map(|t| t.fields.iter())
                    .filter(|f| f.kind == FieldType::Group),
            )
            .find(|f| f.id() == pre.field.value)
        else {
            return self.at(
                &pre.field,
                format!("prefill の項目「{}」は様式にありません", pre.field.value),
            );
        };
        if pre.from == PrefillSource::Table {
            let source = pre.table.as_ref().and_then(|t| {
                form.fields
                    .iter()
                    .chain(p.transitions.iter().flat_map(|t| t.fields.iter()))
                    .find(|f| f.id() == t.value && f.kind == FieldType::Group)
            });
            let shared = source.is_some_and(|src| {
                field
                    .fields
                    .iter()
                    .any(|c| src.fields.iter().any(|s| s.id() == c.id()))
            });
            if !shared || form.fields.iter().any(|f| f.id() == field.id()) {
                self.at(
                    &pre.field,
                    format!(
                        "from: table の項目「{}」は操作の表 (group) にし、table: には同じ id の列を持つ表を書いてください",
                        pre.field.value
                    ),
                );
            }
            return;
        }
        if let Some(t) = &pre.table {
            return self.at(t, "table: は from: table のときだけ書けます");
        }
        match (pre.from, &pre.register) {
            (PrefillSource::Register, Some(r)) => match self.register(&r.value) {
                None => self.at(
                    r,
                    format!("台帳「{}」はこのライブラリにありません", r.value),
                ),
                Some(reg) => {
                    let shared = field.fields.iter().any(|c| reg.column(c.id()).is_some());
                    if field.kind != FieldType::Group || !shared {
                        self.at(
                            &pre.field,
                            format!("台帳から埋める項目「{}」は、台帳と同じ id の列を持つ表 (group) にしてください", pre.field.value),
                        );
                    }
                }
            },
            (PrefillSource::Register, None) => {
                self.at(&pre.field, "from: register には register: 台帳 が必要です")
            }
            (_, Some(r)) => self.at(r, "register: は from: register のときだけ書けます"),
            (_, None) if field.kind != FieldType::Text => self.at(
                &pre.field,
                format!(
                    "組織名・氏名で埋める項目「{}」は文字 (text) にしてください",
                    pre.field.value
                ),
            ),
            _ => {}
        }
    }

    /// A prefill of one register row's column (`key`, `column`) fills a plain field of an
    /// action, from a column of the same type: the case's data names the row only once the
    /// form is filled, so a new form cannot start from it.
    fn keyed_prefill(&mut self, pre: &crate::model::Prefill, form: &Form, p: &Procedure) {
        use crate::model::PrefillSource;
        let field = p
            .transitions
            .iter()
            .flat_map(|t| t.fields.iter())
            .find(|f| f.id() == pre.field.value);
        let Some(field) = field.filter(|f| f.kind != FieldType::Group) else {
            return self.at(
                &pre.field,
                format!(
                    "key で台帳の一行から埋める項目「{}」は、操作の（表でない）項目にしてください",
                    pre.field.value
                ),
            );
        };
        let register = match (pre.from, &pre.register) {
            (PrefillSource::Register, Some(r)) => r,
            _ => {
                return self.at(
                    &pre.field,
                    "key と column は from: register と register: 台帳 と一緒に書いてください",
                );
            }
        };
        let Some(reg) = self.register(&register.value) else {
            return self.at(
                register,
                format!("台帳「{}」はこのライブラリにありません", register.value),
            );
        };
        let fields: BTreeMap<&str, &Field> = form
            .fields
            .iter()
            .chain(p.transitions.iter().flat_map(|t| t.fields.iter()))
            .map(|f| (f.id(), f))
            .collect();
        self.key(register, reg, &pre.key, &fields);
        match &pre.column {
            None => self.at(
                register,
                "key で一行を読むときは column（読む列）を書いてください",
            ),
            Some(col) => match reg.column(&col.value) {
                None => self.at(
                    col,
                    format!("台帳「{}」に列「{}」はありません", reg.id.value, col.value),
                ),
                Some(c) if c.kind != field.kind => self.at(
                    col,
                    format!(
                        "列「{}」と項目「{}」の型が違います（{} と {}）",
                        col.value,
                        field.id(),
                        c.kind.as_str(),
                        field.kind.as_str()
                    ),
                ),
                Some(_) => {}
            },
        }
    }

    /// `unique_open` names a field of the case's form holding one plain value, which two
    /// open cases can be compared on.
    fn unique_open(&mut self, unique: &Spanned<String>, form: &Form) {
        match form.fields.iter().find(|f| f.id.value == unique.value) {
            None => self.at(
                unique,
                format!("unique_open の項目「{}」は様式にありません", unique.value),
            ),
            Some(f)
                if !matches!(
                    f.kind,
                    FieldType::Text
                        | FieldType::Number
                        | FieldType::Date
                        | FieldType::Choice
                        | FieldType::Organisation
                        | FieldType::Person
                ) =>
            {
                self.at(
                    unique,
                    format!(
                        "unique_open の項目「{}」は一つの値を持つ項目（文字・数値・日付・選択など）にしてください",
                        unique.value
                    ),
                )
            }
            Some(_) => {}
        }
    }

    /// Suggestions come from text columns of a register of this library.
    fn suggest(&mut self, suggest: &crate::model::Suggest) {
        let Some(register) = self.register(&suggest.register.value) else {
            self.at(
                &suggest.register,
                format!(
                    "候補の台帳「{}」はありません (unknown register)",
                    suggest.register.value
                ),
            );
            return;
        };
        for c in &suggest.columns {
            if register.column(&c.value).is_none() {
                self.at(
                    c,
                    format!(
                        "台帳「{}」に列「{}」はありません",
                        register.id.value, c.value
                    ),
                );
            }
        }
    }

    /// Where a transition routes a case: `pass_on` needs someone acting across
    /// organisations; the last resort needs a directory with one; `relays_to` names an
    /// organisation field of the transition.
    fn routing(&mut self, p: &Procedure, t: &crate::model::Transition) {
        use crate::model::Relation;
        let across = |r: Relation| {
            matches!(
                r,
                Relation::ContractingOrganisation
                    | Relation::PrimeContractor
                    | Relation::ServiceContractor
            )
        };
        if t.pass_on && !t.by.iter().all(|b| across(b.of)) {
            self.at(
                &t.action,
                "pass_on の操作は、他の組織（契約機関等・元請負者・役務の受注者）として行う人だけが行えます",
            );
        }
        let last_resort = p
            .transitions
            .iter()
            .flat_map(|t| &t.by)
            .chain(p.deadlines.iter().flat_map(|d| &d.escalate))
            .chain(&p.start)
            .any(|b| b.of == Relation::LastResort);
        let has_fallback = p.phone_first.as_ref().is_some_and(|pf| {
            self.register(&pf.directory.value).is_some_and(|r| {
                r.rows
                    .iter()
                    .any(|row| row.value.get("fallback") == Some(&serde_json::Value::Bool(true)))
            })
        });
        if (last_resort || t.reach_last_resort) && !has_fallback {
            self.at(
                &t.action,
                "last_resort（最後の連絡先）を使うには、phone_first の窓口一覧に fallback の行が必要です",
            );
        }
        if let Some(field) = &t.relays_to
            && !t
                .fields
                .iter()
                .any(|f| f.id.value == field.value && f.kind == FieldType::Organisation)
        {
            self.at(
                field,
                format!(
                    "relays_to「{}」は、この操作の organisation 型の項目ではありません",
                    field.value
                ),
            );
        }
    }

    fn procedure(&mut self, p: &Procedure) {
        self.id(&p.id, "手続");
        let Some((_, form)) = self
            .parts
            .forms
            .iter()
            .find(|(_, f)| f.id.value == p.form.value)
        else {
            self.at(
                &p.form,
                format!(
                    "様式「{}」は forms/ にありません (unknown form)",
                    p.form.value
                ),
            );
            return;
        };
        self.parties(&p.start, "start");
        if let Some(pf) = &p.phone_first {
            self.phone_first(pf, form);
        }
        for pre in &p.prefill {
            self.prefill(pre, form, p);
        }
        if p.states.is_empty() {
            self.whole_file("状態 (states) が一つもありません");
            return;
        }
        if p.states[0].terminal {
            self.at(
                &p.states[0].id,
                "最初の状態（下書き）は終了状態にできません",
            );
        }
        self.unique(p.states.iter().map(|s| &s.id), "状態");
        self.unique(p.transitions.iter().map(|t| &t.action), "操作");
        let states: BTreeSet<&str> = p.states.iter().map(|s| s.id.value.as_str()).collect();
        let actions: BTreeSet<&str> = p
            .transitions
            .iter()
            .map(|t| t.action.value.as_str())
            .collect();
        // Conditions may name the case form's fields and every transition's fields.
        let mut fields: BTreeMap<&str, &Field> = BTreeMap::new();
        for f in form
            .fields
            .iter()
            .chain(p.transitions.iter().flat_map(|t| t.fields.iter()))
        {
            if fields.insert(f.id.value.as_str(), f).is_some() {
                self.at(
                    &f.id,
                    format!("項目「{}」が様式と操作の間で重複しています", f.id.value),
                );
            }
        }
        for title in &p.title_with {
            if !form.fields.iter().any(|f| f.id.value == title.value) {
                self.at(
                    title,
                    format!("title_with「{}」は様式にありません", title.value),
                );
            }
        }
        if let Some(title) = &p.title_field
            && !form.fields.iter().any(|f| f.id.value == title.value)
        {
            self.at(
                title,
                format!("title_field「{}」は様式にありません", title.value),
            );
        }
        if let Some(unique) = &p.unique_open {
            self.unique_open(unique, form);
        }
        for f in &form.fields {
            for c in f.required_when.iter().chain(&f.asked_when) {
                self.condition(c, &fields, &actions);
            }
            if let Some(suggest) = &f.suggest {
                self.suggest(suggest);
            }
        }
        for t in &p.transitions {
            self.id(&t.action, "操作");
            self.parties(&t.by, &format!("操作「{}」", t.action.value));
            self.routing(p, t);
            self.only_typed(&t.fields);
            self.fields(&t.fields, &format!("操作「{}」", t.action.value));
            if t.from.is_empty() {
                self.at(&t.action, "from（どの状態から行えるか）がありません");
            }
            for s in t.from.iter().chain(t.to.iter().map(|b| &b.state)) {
                if !states.contains(s.value.as_str()) {
                    self.at(
                        s,
                        format!("状態「{}」は states にありません (unknown state)", s.value),
                    );
                }
            }
            // A finished case takes only what records something still owed (a report due
            // whatever the outcome); it is never reopened or moved.
            for s in &t.from {
                if !t.stay && p.state(&s.value).is_some_and(|st| st.terminal) {
                    self.at(
                        s,
                        format!(
                            "終了状態「{}」からは、状態を変えない操作（stay: true）しかできません",
                            s.value
                        ),
                    );
                }
            }
            match t.to.last() {
                None if t.stay || t.resolves.is_some() => {}
                Some(_) if t.resolves.is_some() => {}
                Some(_) if t.stay => self.at(
                    &t.action,
                    "stay: true の操作には to を書けません（今の状態に留まります）",
                ),
                None => self.at(&t.action, "to（行き先の状態）がありません"),
                Some(last) if last.when.is_some() => self.at(
                    &last.state,
                    "to の最後の行き先には when を付けないでください（どの条件にも当たらない場合の行き先）",
                ),
                Some(_) => {}
            }
            for c in t
                .when
                .iter()
                .chain(t.to.iter().filter_map(|b| b.when.as_ref()))
                .chain(
                    t.requires
                        .iter()
                        .flat_map(|r| r.when.iter().chain([&r.check])),
                )
                .chain(t.writes.iter().filter_map(|w| w.when.as_ref()))
            {
                self.condition(c, &fields, &actions);
            }
            for w in &t.writes {
                self.write(w, &fields);
            }
            self.duties(t, &fields, &actions);
            self.appointments(t, &fields);
            self.committee(p, t);
            self.secrets(t, &fields, &actions);
            for p in &t.notify_roles {
                self.role(&p.role);
            }
            for d in &t.sends {
                if p.document(&d.value).is_none() {
                    self.at(
                        d,
                        format!(
                            "送付する文書「{}」はこの手続の documents にありません (unknown document)",
                            d.value
                        ),
                    );
                }
            }
        }
        for d in &p.deadlines {
            self.deadline(p, d, &fields);
        }
        self.unique(p.documents.iter().map(|d| &d.id), "文書");
        let form_fields = &form.fields;
        let action_fields: Vec<&Field> =
            p.transitions.iter().flat_map(|t| t.fields.iter()).collect();
        for d in &p.documents {
            self.id(&d.id, "文書");
            let template = match (d.format, &d.template) {
                (DocumentFormat::Xlsx, None) => continue,
                (DocumentFormat::Xlsx, Some(t)) => {
                    self.at(
                        t,
                        format!(
                            "Excel の文書「{}」にテンプレートは書けません（様式から作ります）",
                            d.id.value
                        ),
                    );
                    continue;
                }
                (_, None) => {
                    self.at(
                        &d.id,
                        format!("文書「{}」に template がありません", d.id.value),
                    );
                    continue;
                }
                (_, Some(t)) => t,
            };
            let checked = match d.format {
                DocumentFormat::Text => crate::document::check(&template.value),
                DocumentFormat::Pdf | DocumentFormat::Xlsx => crate::document::check_pdf(
                    &template.value,
                    &crate::document::sample_context(form_fields, &action_fields),
                ),
            };
            if let Err((line, reason)) = checked {
                self.at(
                    template,
                    format!(
                        "文書「{}」のテンプレートの {line} 行目を読めません: {reason}",
                        d.id.value
                    ),
                );
            }
        }
    }

    /// Separation of duties and actions taken by several people: whom a transition
    /// excludes must be someone a case can know, an exception needs something to except
    /// and someone to oversee it, and a gathering needs more than one person.
    fn duties(
        &mut self,
        t: &crate::model::Transition,
        fields: &BTreeMap<&str, &Field>,
        actions: &BTreeSet<&str>,
    ) {
        for e in &t.excludes {
            self.someone(e, "excludes", fields, actions);
        }
        if t.approves && t.excludes.is_empty() {
            self.warn_at(
                &t.action,
                format!(
                    "承認・許可の操作「{}」は誰も除外していません。申請者が自ら承認できます（兼務の禁止: excludes を書いてください）",
                    t.action.value
                ),
            );
        }
        if let Some(u) = &t.unavoidable {
            if t.excludes.is_empty() {
                self.at(
                    &t.action,
                    "unavoidable（やむを得ない場合）は excludes と一緒に書いてください（例外にするものがありません）",
                );
            }
            if u.overseen_by.is_empty() {
                self.at(
                    &t.action,
                    "unavoidable には overseen_by（例外を確認する役割）を書いてください",
                );
            }
            for p in &u.overseen_by {
                self.role(&p.role);
            }
        }
        if let Some(n) = &t.persons {
            if n.value < 2 {
                self.at(n, "persons は 2 以上にしてください（1人なら書きません）");
            }
            if t.jointly {
                self.at(n, "persons と jointly は一緒に書けません");
            }
        }
        if t.jointly && t.by.len() < 2 {
            self.at(
                &t.action,
                "jointly には by に 2 つ以上の当事者が必要です（それぞれが許可します）",
            );
        }
        if let Some(e) = &t.emergency {
            if t.requires.is_empty() {
                self.at(
                    &t.action,
                    "emergency（緊急時の例外措置）は requires のある操作にだけ書けます（先に行うものがありません）",
                );
            }
            if e.ratified_by.is_empty() {
                self.at(
                    &t.action,
                    "emergency には ratified_by（事後に報告を受ける役割）を書いてください",
                );
            }
            for p in &e.ratified_by {
                self.role(&p.role);
            }
            if let Err(reason) = e.within.value.parse::<Due>() {
                self.at(
                    &e.within,
                    format!(
                        "emergency の within「{}」を読めません: {reason}",
                        e.within.value
                    ),
                );
            }
        }
        if t.gathers() && t.once {
            self.at(
                &t.action,
                "複数の人が行う操作（persons / jointly）に once は書けません",
            );
        }
    }

    /// Someone a case names (whom an action excludes, whom a secret is for): an action or
    /// a person field of the procedure.
    fn someone(
        &mut self,
        e: &Spanned<Someone>,
        what: &str,
        fields: &BTreeMap<&str, &Field>,
        actions: &BTreeSet<&str>,
    ) {
        match &e.value {
            Someone::Named(_) => {}
            Someone::Took { took } if !actions.contains(took.as_str()) => self.at(
                e,
                format!("{what} の操作「{took}」はこの手続にありません (unknown action)"),
            ),
            Someone::Took { .. } => {}
            Someone::Subject { subject } => match fields.get(subject.as_str()) {
                Some(f) if f.kind == FieldType::Person => {}
                Some(_) => self.at(
                    e,
                    format!("{what} の subject「{subject}」は人 (person) の項目にしてください"),
                ),
                None => self.at(
                    e,
                    format!("{what} の subject「{subject}」はこの手続の様式・操作にありません (unknown field)"),
                ),
            },
        }
    }

    /// Designations an action makes or ends: a role of this library, a person or a post,
    /// each named by a field of the right kind.
    fn appointments(&mut self, t: &crate::model::Transition, fields: &BTreeMap<&str, &Field>) {
        let all = t.designates.iter().map(|a| (a, false));
        for (a, release) in all.chain(t.releases.iter().map(|a| (a, true))) {
            let what = if release { "releases" } else { "designates" };
            self.role(&a.role);
            let mut scope = fields.clone();
            if let Some(each) = &a.for_each {
                match fields.get(each.value.as_str()) {
                    Some(g) if g.kind == FieldType::Group => {
                        scope.extend(g.fields.iter().map(|f| (f.id.value.as_str(), f)));
                    }
                    _ => self.at(
                        each,
                        format!(
                            "{what} の for_each「{}」は表 (group) の項目にしてください",
                            each.value
                        ),
                    ),
                }
            }
            if a.person.is_some() == a.post.is_some() {
                self.at(
                    &a.role,
                    format!("{what} には person か post のどちらか一つを書いてください"),
                );
            }
            if release && let Some(from) = &a.from {
                self.at(
                    from,
                    "releases に from は書けません（until の日に解除します）",
                );
            }
            let named = [
                (&a.person, FieldType::Person, "person"),
                (&a.post, FieldType::Text, "post"),
                (&a.within, FieldType::Organisation, "within"),
                (&a.from, FieldType::Date, "from"),
                (&a.until, FieldType::Date, "until"),
            ];
            for (field, kind, key) in named {
                let Some(field) = field else { continue };
                match scope.get(field.value.as_str()) {
                    Some(f) if f.kind == kind => {}
                    Some(_) => self.at(
                        field,
                        format!(
                            "{what} の {key}「{}」は {} の項目にしてください",
                            field.value,
                            kind.as_str()
                        ),
                    ),
                    None => self.at(
                        field,
                        format!(
                            "{what} の {key}「{}」はこの手続の項目にありません (unknown field)",
                            field.value
                        ),
                    ),
                }
            }
        }
    }

    /// A body's vote and its resolution: the ballot asks for a vote and stays; the
    /// resolution counts a ballot of the same procedure and names where each outcome goes.
    fn committee(&mut self, p: &Procedure, t: &crate::model::Transition) {
        if t.ballot {
            let vote = t.fields.iter().find(|f| f.id.value == "vote");
            let fits = vote.is_some_and(|f| {
                f.kind == FieldType::Choice
                    && f.required
                    && f.options
                        .iter()
                        .all(|o| VOTES.contains(&o.id.value.as_str()))
                    && ["for", "against"]
                        .iter()
                        .all(|v| f.options.iter().any(|o| o.id.value == *v))
            });
            if !fits {
                self.at(
                    &t.action,
                    "ballot の操作には、必須の選択肢の項目 vote（for・against と、必要なら abstain）を書いてください",
                );
            }
            if !t.stay {
                self.at(
                    &t.action,
                    "ballot の操作は stay: true にしてください（投票しても状態は変わりません）",
                );
            }
            if t.gathers() || t.once {
                self.at(
                    &t.action,
                    "ballot の操作に persons・jointly・once は書けません（一人一票です）",
                );
            }
        }
        let Some(r) = &t.resolves else { return };
        match p.transition(&r.ballot.value) {
            Some(b) if b.ballot => {
                if !b
                    .from
                    .iter()
                    .all(|f| t.from.iter().any(|g| g.value == f.value))
                {
                    self.at(
                        &r.ballot,
                        "resolves の ballot と同じ状態 (from) で議決してください",
                    );
                }
            }
            _ => self.at(
                &r.ballot,
                format!(
                    "resolves の ballot「{}」は ballot: true の操作にしてください",
                    r.ballot.value
                ),
            ),
        }
        if r.quorum().is_none() {
            self.at(
                &r.quorum,
                "quorum は「1/2」のような分数（委員のうち投票した人の割合）で書いてください",
            );
        }
        for s in [&r.carried, &r.lost] {
            if p.state(&s.value).is_none() {
                self.at(
                    s,
                    format!("状態「{}」は states にありません (unknown state)", s.value),
                );
            }
        }
        if t.stay || !t.to.is_empty() {
            self.at(
                &t.action,
                "resolves の操作には to も stay も書けません（carried と lost が行き先です）",
            );
        }
        if t.emergency.is_some() {
            self.at(
                &t.action,
                "resolves の操作に emergency は書けません（議決は定足数を待ちます）",
            );
        }
    }

    /// A secret is an action's own field, and says whom it is for.
    fn secrets(
        &mut self,
        t: &crate::model::Transition,
        fields: &BTreeMap<&str, &Field>,
        actions: &BTreeSet<&str>,
    ) {
        for f in &t.fields {
            if f.kind == FieldType::Secret && f.secret_for.is_empty() {
                self.at(
                    &f.id,
                    format!(
                        "秘密の項目「{}」には for（誰に渡すか）を書いてください",
                        f.id.value
                    ),
                );
            }
            for e in &f.secret_for {
                self.someone(e, "for", fields, actions);
            }
        }
    }

    fn deadline(&mut self, p: &Procedure, d: &Deadline, fields: &BTreeMap<&str, &Field>) {
        match p.state(&d.state.value) {
            None => self.at(
                &d.state,
                format!(
                    "状態「{}」は states にありません (unknown state)",
                    d.state.value
                ),
            ),
            Some(s) if s.terminal => self.at(
                &d.state,
                format!("終了状態「{}」に期限は付けられません", d.state.value),
            ),
            Some(_) => {}
        }
        if let Err(e) = d.due.value.parse::<Due>() {
            self.at(
                &d.due,
                format!("期限 (due)「{}」を読めません: {e}", d.due.value),
            );
        }
        if let Some(from) = &d.from {
            match fields.get(from.value.as_str()) {
                Some(f) if matches!(f.kind, FieldType::Datetime) => {}
                Some(_) => self.at(
                    from,
                    format!(
                        "from「{}」は日時 (datetime) の項目ではありません",
                        from.value
                    ),
                ),
                None => self.at(
                    from,
                    format!(
                        "項目「{}」はこの手続にありません (unknown field)",
                        from.value
                    ),
                ),
            }
        }
        for r in &d.remind {
            if let Err(e) = reminder_span(&r.value) {
                self.at(r, format!("催促 (remind) を読めません: {e}"));
            }
        }
        for p in &d.escalate {
            self.role(&p.role);
        }
        if let Some(when) = &d.when {
            // Decided of the data alone, when the case enters the state.
            if has_done_or_register(&when.value) {
                self.at(
                    when,
                    "期限の when には項目と規則だけを書けます（done や台帳は使えません）",
                );
            }
            self.condition(when, fields, &BTreeSet::new());
        }
    }
}

/// Whether a condition looks at actions taken or register rows.
/// Whether the field a rule reads is there: `id`, or `group.column` for a table's column.
fn has_input<'f>(path: &str, find: impl Fn(&str) -> Option<&'f Field>) -> bool {
    let (id, column) = match path.split_once('.') {
        Some((id, column)) => (id, Some(column)),
        None => (path, None),
    };
    match (find(id), column) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(f), Some(column)) => {
            f.kind == FieldType::Group && f.fields.iter().any(|c| c.id() == column)
        }
    }
}

fn has_done_or_register(c: &crate::model::Condition) -> bool {
    c.done.is_some()
        || c.register.is_some()
        || c.all
            .iter()
            .chain(c.any.iter())
            .flatten()
            .any(|i| has_done_or_register(&i.value))
        || c.not
            .as_ref()
            .is_some_and(|i| has_done_or_register(&i.value))
}

/// The problems that refuse the library, and the warnings that do not.
pub(crate) fn check(parts: &Parts<'_>) -> (Vec<Problem>, Vec<Problem>) {
    let mut c = Checker {
        parts,
        problems: Vec::new(),
        warnings: Vec::new(),
        file: "library.yaml",
    };
    let m = parts.manifest;
    let id_ok = !m.id.value.is_empty()
        && m.id
            .value
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
    if !id_ok {
        c.at(
            &m.id,
            "ライブラリの id は英小文字・数字・- だけにしてください",
        );
    }
    if m.version.value.trim().is_empty() {
        c.at(&m.version, "version が空です");
    }
    c.unique(m.roles.iter().map(|r| &r.id), "役割");
    for r in &m.roles {
        c.id(&r.id, "役割");
        if let Some(n) = &r.at_most
            && n.value == 0
        {
            c.at(
                n,
                "at_most は 1 以上にしてください（0 では誰も指定できません）",
            );
        }
    }
    c.unique(m.marks.iter().map(|r| &r.id), "取扱区分");
    for mark in &m.marks {
        c.id(&mark.id, "取扱区分");
    }
    for n in &m.notes {
        if let Some(until) = &n.until
            && until.value.parse::<jiff::civil::Date>().is_err()
        {
            c.at(
                until,
                format!("日付「{}」は YYYY-MM-DD で書いてください", until.value),
            );
        }
    }
    for (kind, ids) in [
        (
            "様式",
            parts
                .forms
                .iter()
                .map(|(f, x)| (*f, &x.id))
                .collect::<Vec<_>>(),
        ),
        (
            "手続",
            parts.procedures.iter().map(|(f, x)| (*f, &x.id)).collect(),
        ),
        (
            "台帳",
            parts.registers.iter().map(|(f, x)| (*f, &x.id)).collect(),
        ),
        (
            "点検項目集",
            parts.catalogs.iter().map(|(f, x)| (*f, &x.id)).collect(),
        ),
    ] {
        let mut seen = BTreeSet::new();
        for (file, id) in ids {
            if !seen.insert(id.value.as_str()) {
                c.file = file;
                c.at(id, format!("{kind}「{}」が重複しています", id.value));
            }
        }
    }
    for (file, form) in parts.forms {
        c.file = file;
        c.id(&form.id, "様式");
        if let Some(f) = form.fields.iter().find(|f| f.id.value == MARK_FIELD) {
            c.at(
                &f.id,
                format!("項目 id「{MARK_FIELD}」は取扱区分のために予約されています (reserved)"),
            );
        }
        c.fields(&form.fields, &format!("様式「{}」", form.id.value));
        c.no_secrets(&form.fields);
    }
    for (file, register) in parts.registers {
        c.file = file;
        c.id(&register.id, "台帳");
        if let Some(f) = register.columns.iter().find(|f| f.id.value == MARK_FIELD) {
            c.at(
                &f.id,
                format!("列 id「{MARK_FIELD}」は取扱区分のために予約されています (reserved)"),
            );
        }
        c.only_typed(&register.columns);
        c.fields(&register.columns, &format!("台帳「{}」", register.id.value));
        c.no_secrets(&register.columns);
        for column in &register.columns {
            if matches!(column.kind, FieldType::Group | FieldType::Contact) {
                c.at(
                    &column.id,
                    format!(
                        "台帳の列に group や contact は使えません（「{}」）: 一行に一つの値を持たせてください",
                        column.id.value
                    ),
                );
            }
        }
        if register.key.is_empty() {
            c.at(&register.id, "台帳の key（行を特定する列）がありません");
        }
        for k in &register.key {
            if register.column(&k.value).is_none() {
                c.at(k, format!("key の列「{}」は columns にありません", k.value));
            }
        }
        for e in &register.editors {
            c.role(e);
        }
        // Shipped rows are held to the columns like a row typed on the register's page,
        // and two rows may not share a key.
        let mut keys = BTreeSet::new();
        for row in &register.rows {
            if let Err(found) = crate::form::validate(
                &register.columns,
                &row.value,
                crate::form::Completeness::Complete,
            ) {
                for p in found {
                    c.at(
                        row,
                        format!(
                            "台帳「{}」の行: 列「{}」が正しくありません（{}）",
                            register.id.value, p.field, p.code
                        ),
                    );
                }
            }
            let key: Vec<String> = register
                .key
                .iter()
                .map(|k| {
                    row.value
                        .get(&k.value)
                        .map(|v| v.to_string())
                        .unwrap_or_default()
                })
                .collect();
            if !keys.insert(key) {
                c.at(
                    row,
                    format!(
                        "台帳「{}」の行の key が重複しています (duplicate key)",
                        register.id.value
                    ),
                );
            }
        }
    }
    for (file, procedure) in parts.procedures {
        c.file = file;
        c.procedure(procedure);
    }
    for (file, catalog) in parts.catalogs {
        c.file = file;
        c.catalog(catalog);
    }
    (c.problems, c.warnings)
}

/// Checks the fields an organisation's variant adds to a form (already checked without
/// them), naming the variant's file: each added field gets the checks a shipped one does,
/// and may not take an id the form already uses.
pub(crate) fn check_added(parts: &Parts<'_>, file: &str, form: &Form) -> Vec<Problem> {
    let mut c = Checker {
        parts,
        problems: Vec::new(),
        warnings: Vec::new(),
        file,
    };
    for f in &form.fields {
        if f.id.value == MARK_FIELD && f.id.referenced.line() > 0 {
            c.at(
                &f.id,
                format!("項目 id「{MARK_FIELD}」は取扱区分のために予約されています (reserved)"),
            );
        }
    }
    // The form's own fields passed already; what is found now is about the added ones.
    c.fields(&form.fields, &format!("様式「{}」", form.id.value));
    c.problems
}

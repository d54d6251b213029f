//! Procedures: states, transitions and where they route, register writes, calling first,
//! prefilling, one open case per value, suggestions and deadlines.

use std::collections::{BTreeMap, BTreeSet};

use mamori_domain::deadline::Due;
use serde_saphyr::Spanned;

use super::{Checker, has_done_or_register};
use crate::model::{
    Deadline, DocumentFormat, Field, FieldType, Form, Procedure, RecurTarget, Recurrence,
    RegisterWrite, reminder_span,
};
use mamori_domain::recurrence::Every;

impl Checker<'_> {
    pub(super) fn write(&mut self, w: &RegisterWrite, fields: &BTreeMap<&str, &Field>) {
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
                    // Whoever takes the action is known when a value is set, never in a key.
                    if expr != crate::model::ACTOR {
                        self.expression(&w.register, expr, fields);
                    }
                }
            }
        }
    }

    /// The directory exists and has the columns routing reads; the organisations are a
    /// text field or a text column of a group of the case's form.
    pub(super) fn phone_first(&mut self, pf: &crate::model::PhoneFirst, form: &Form) {
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
    pub(super) fn prefill(&mut self, pre: &crate::model::Prefill, form: &Form, p: &Procedure) {
        use crate::model::PrefillSource;
        if let Some(b) = &pre.beside
            && (pre.from != PrefillSource::Register || pre.is_keyed())
        {
            self.at(
                &b.register,
                "beside: は台帳の行で表を埋める from: register のときだけ書けます",
            );
        }
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
                    if let Some(b) = &pre.beside {
                        self.beside(b, reg, field);
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

    /// `beside`: another register, found by its whole key read from the first register's
    /// columns; what it copies and what an unmatched row takes go to columns of the table.
    fn beside(&mut self, b: &crate::model::Beside, first: &crate::model::Register, table: &Field) {
        let Some(other) = self.register(&b.register.value) else {
            return self.at(
                &b.register,
                format!("台帳「{}」はこのライブラリにありません", b.register.value),
            );
        };
        let keys: Vec<&str> = other.key.iter().map(|k| k.value.as_str()).collect();
        let mut named: Vec<&str> = b.key.keys().map(String::as_str).collect();
        named.sort_unstable();
        let mut wanted = keys.clone();
        wanted.sort_unstable();
        if named != wanted {
            self.at(
                &b.register,
                format!(
                    "beside の key は台帳「{}」のキー列 ({}) をすべて、それだけ書いてください",
                    other.id.value,
                    keys.join(", ")
                ),
            );
        }
        for value in b.key.values() {
            if let Some(col) = value.strip_prefix('$')
                && first.column(col).is_none()
            {
                self.at(
                    &b.register,
                    format!(
                        "beside の key の「${col}」は台帳「{}」の列にありません",
                        first.id.value
                    ),
                );
            }
        }
        for (to, from) in &b.columns {
            if other.column(from).is_none() {
                self.at(
                    &b.register,
                    format!(
                        "beside の列「{from}」は台帳「{}」にありません",
                        other.id.value
                    ),
                );
            }
            if !table.fields.iter().any(|c| c.id() == to) {
                self.at(
                    &b.register,
                    format!(
                        "beside の写し先「{to}」は表「{}」の列にありません",
                        table.id()
                    ),
                );
            }
        }
        for to in b.unmatched.keys() {
            if !table.fields.iter().any(|c| c.id() == to) {
                self.at(
                    &b.register,
                    format!(
                        "unmatched の列「{to}」は表「{}」の列にありません",
                        table.id()
                    ),
                );
            }
        }
    }

    /// A prefill of one register row's column (`key`, `column`) fills a plain field of an
    /// action, from a column of the same type: the case's data names the row only once the
    /// form is filled, so a new form cannot start from it.
    pub(super) fn keyed_prefill(
        &mut self,
        pre: &crate::model::Prefill,
        form: &Form,
        p: &Procedure,
    ) {
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
    pub(super) fn unique_open(&mut self, unique: &Spanned<String>, form: &Form) {
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
    pub(super) fn suggest(&mut self, suggest: &crate::model::Suggest) {
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
    pub(super) fn routing(&mut self, p: &Procedure, t: &crate::model::Transition) {
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

    pub(super) fn procedure(&mut self, p: &Procedure) {
        self.id(&p.id, "手続");
        if let Some(link) = &p.matrix_row {
            self.matrix_row(link);
        }
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
        self.about(p, &fields);
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
                .conditions()
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
        if let Some(r) = &p.recurs {
            self.recurrence(r);
        }
        // Only rounds have something done or not done to report.
        if p.reports_up && p.recurs.is_none() {
            self.at(
                &p.id,
                "reports_up は recurs のある手続にだけ書きます（各回の実施状況を報告します）",
            );
        }
        if let Some(s) = &p.schedule {
            self.schedule(p, s, &form.fields);
        }
        let action_fields: Vec<&Field> =
            p.transitions.iter().flat_map(|t| t.fields.iter()).collect();
        self.documents(
            &p.documents,
            &crate::document::sample_context(&form.fields, &action_fields),
        );
    }

    /// Documents have ids of their own, and a template that reads — a PDF's compiled
    /// against `sample`, a context shaped like the real one; a workbook may go without.
    pub(super) fn documents(
        &mut self,
        documents: &[crate::model::Document],
        sample: &serde_json::Value,
    ) {
        self.unique(documents.iter().map(|d| &d.id), "文書");
        for d in documents {
            self.id(&d.id, "文書");
            let template = match (d.format, &d.template) {
                // Without a template, a workbook of the form's items and the history.
                (DocumentFormat::Xlsx, None) => continue,
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
                DocumentFormat::Text | DocumentFormat::Xlsx => {
                    crate::document::check(&template.value)
                }
                DocumentFormat::Pdf => crate::document::check_pdf(&template.value, sample),
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

    /// A recurrence says how often in one way that reads, and names the role or register its
    /// targets come from.
    fn recurrence(&mut self, r: &Recurrence) {
        match (&r.every, r.on.first()) {
            (Some(every), None) => {
                if let Err(e) = every.value.parse::<Every>() {
                    self.at(every, format!("every「{}」を読めません: {e}", every.value));
                }
            }
            (None, Some(first)) => {
                if let Err(e) = r.every() {
                    self.at(first, format!("on を読めません: {e}"));
                }
            }
            (Some(every), Some(_)) => self.at(
                every,
                "every と on は一つだけ書きます（毎年度・数か月ごと、または始まる日の一覧）",
            ),
            (None, None) => self.at(
                &r.for_each,
                "recurs に every（fiscal year、6 months など）か on（始まる日 MM-DD の一覧）を書きます",
            ),
        }
        // Every round is someone's to do: the holder of `role` in the organisation it is for
        // (for a register row, the organisation keeping it) is the one it is opened for.
        match &r.role {
            Some(role) => self.role(role),
            None => self.at(
                &r.for_each,
                "recurs には role（その役割を持つ人のために各回の案件を開きます）を書きます",
            ),
        }
        match (&r.register, r.for_each.value == RecurTarget::Row) {
            (Some(reg), true) => {
                if self.register(&reg.value).is_none() {
                    self.at(
                        reg,
                        format!("台帳「{}」はこのライブラリにありません", reg.value),
                    );
                }
            }
            (None, true) => self.at(
                &r.for_each,
                "for_each: row には register（その台帳の行ごと）を書きます",
            ),
            (Some(reg), false) => self.at(reg, "register は for_each: row のときだけ書きます"),
            (None, false) => {}
        }
        if let Some(remind) = &r.remind
            && let Err(e) = reminder_span(&remind.value)
        {
            self.at(
                remind,
                format!("remind「{}」を読めません: {e}", remind.value),
            );
        }
    }

    pub(super) fn deadline(
        &mut self,
        p: &Procedure,
        d: &Deadline,
        fields: &BTreeMap<&str, &Field>,
    ) {
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

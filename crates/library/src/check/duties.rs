//! Who may not act and who must act together (separation of duties, several people,
//! emergencies), designations made by steps, committees, and secrets.

use std::collections::{BTreeMap, BTreeSet};

use mamori_domain::deadline::Due;
use serde_saphyr::Spanned;

use super::Checker;
use crate::model::{Field, FieldType, Procedure, Someone, VOTES};

impl Checker<'_> {
    /// Separation of duties and actions taken by several people: whom a transition
    /// excludes must be someone a case can know, an exception needs something to except
    /// and someone to oversee it, and a gathering needs more than one person.
    pub(super) fn duties(
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
    pub(super) fn someone(
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
    pub(super) fn appointments(
        &mut self,
        t: &crate::model::Transition,
        fields: &BTreeMap<&str, &Field>,
    ) {
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
    pub(super) fn committee(&mut self, p: &Procedure, t: &crate::model::Transition) {
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
    pub(super) fn secrets(
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
}

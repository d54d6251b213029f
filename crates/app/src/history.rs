//! A case's history entry as a sentence people read (「…さんが「承認する」を行い、「承認」に
//! なりました。」), for the case page and for documents alike.
//!
//! The words of an action and of a state come from the procedure the case runs under, so
//! the same sentence serves every library; only the events mamori itself writes (opening,
//! saving, attaching, reminders) have words here.

use mamori_domain::calendar::DateStyle;
use mamori_domain::calendar::era::restyle;
use mamori_library::model::Procedure;
use mamori_storage::cases::CaseEventRow;

/// Japanese or English; anything but `en` is Japanese, as documents always are.
fn english(lang: &str) -> bool {
    lang == "en"
}

/// The entry `e` of a case of `procedure` as one sentence in `lang` (`ja` or `en`), with
/// any date it names written in `dates`.
pub fn sentence(procedure: &Procedure, e: &CaseEventRow, lang: &str, dates: DateStyle) -> String {
    let en = english(lang);
    let file = e.comment.as_str();
    match e.action.as_str() {
        "open" if en => "Opened the case.".into(),
        "open" => "案件を作成しました。".into(),
        "save" if en => "Saved the draft.".into(),
        "save" => "下書きを保存しました。".into(),
        "attach" if en => format!("Attached {file}."),
        "attach" => format!("{file} を添付しました。"),
        "attach.withdraw" if en => format!("Withdrew the attachment {file}."),
        "attach.withdraw" => format!("{file} の添付を取り下げました。"),
        "deadline.remind" | "deadline.due" => deadline(procedure, e, lang, dates),
        "emergency.ratify" | "emergency.reject" => ratification(e, lang),
        action => match procedure.transition(action) {
            Some(t) => {
                let mut said = transition(procedure, e, t.name.get(lang), lang);
                said.push_str(&beyond(e, lang));
                said
            }
            // Every action a case records is one of its procedure's; should one be
            // missing, the sentence still says something in the reader's language rather
            // than show an identifier.
            None if en => "Recorded an action.".into(),
            None => "操作を記録しました。".into(),
        },
    }
}

/// The comment to show beside the sentence: for an attachment, the file's name is already
/// in the sentence.
pub fn comment(e: &CaseEventRow) -> &str {
    match e.action.as_str() {
        "attach" | "attach.withdraw" => "",
        _ => &e.comment,
    }
}

fn transition(procedure: &Procedure, e: &CaseEventRow, name: &str, lang: &str) -> String {
    let en = english(lang);
    // A state is named only when the action changed it.
    let state = e
        .to_state
        .as_deref()
        .filter(|to| e.from_state.as_deref() != Some(*to))
        .map(|to| procedure.state(to).map_or(to, |s| s.name.get(lang)));
    match (e.actor_name.as_deref(), state, en) {
        (Some(who), Some(state), false) => {
            format!("{who}さんが「{name}」を行い、「{state}」になりました。")
        }
        (Some(who), None, false) => format!("{who}さんが「{name}」を行いました。"),
        (None, Some(state), false) => format!("「{name}」が行われ、「{state}」になりました。"),
        (None, None, false) => format!("「{name}」が行われました。"),
        (Some(who), Some(state), true) => {
            format!("{who} took “{name}”; the case is now “{state}”.")
        }
        (Some(who), None, true) => format!("{who} took “{name}”."),
        (None, Some(state), true) => format!("“{name}” was taken; the case is now “{state}”."),
        (None, None, true) => format!("“{name}” was taken."),
    }
}

/// A ratification or rejection of an action taken in an emergency, naming who.
fn ratification(e: &CaseEventRow, lang: &str) -> String {
    let detail = crate::plan::Detail::parse(&e.detail);
    let at = detail.ratifies.map(|s| s.to_string()).unwrap_or_default();
    let who = e.actor_name.as_deref().unwrap_or("");
    match (english(lang), detail.rejected) {
        (true, false) => format!("{who} ratified the action taken in an emergency (entry {at})."),
        (true, true) => format!("{who} rejected the action taken in an emergency (entry {at})."),
        (false, false) => format!("{who}さんが、緊急に行われた操作（{at}番）を追認しました。"),
        (false, true) => format!("{who}さんが、緊急に行われた操作（{at}番）を認めませんでした。"),
    }
}

/// What an entry's detail adds: one person's decision that does not count yet, and the
/// reason given for an exception to a separation of duties.
fn beyond(e: &CaseEventRow, lang: &str) -> String {
    let detail = crate::plan::Detail::parse(&e.detail);
    let en = english(lang);
    let mut out = String::new();
    if detail.decided && !detail.completes {
        out.push_str(if en {
            " (one decision of several; it counts once the others have decided)"
        } else {
            "（複数の人が行う操作の一人分です。全員がそろうと成立します）"
        });
    }
    if let Some(reason) = &detail.emergency {
        if en {
            out.push_str(&format!(
                " Taken in an emergency before it was permitted, to be ratified: {reason}"
            ));
        } else {
            out.push_str(&format!(
                "緊急時の例外措置として、許可の前に行いました（事後に報告します）。理由: {reason}"
            ));
        }
    }
    if let Some(from) = &detail.delegated_by {
        out.push_str(&if en {
            format!(" (under delegation from {from})")
        } else {
            format!("（{from}さんからの委任により行いました）")
        });
    }
    if let Some(vote) = &detail.vote {
        let said = match (vote.as_str(), en) {
            ("for", false) => "賛成",
            ("against", false) => "反対",
            (_, false) => "棄権",
            ("for", true) => "for",
            ("against", true) => "against",
            (_, true) => "abstained",
        };
        out.push_str(&if en {
            format!(" Vote: {said}.")
        } else {
            format!("投票: {said}。")
        });
    }
    if let Some(t) = &detail.tally {
        out.push_str(&if en {
            format!(
                " Resolution {}: {} for, {} against, {} abstained, of {} members (quorum {}).",
                if t.carried { "carried" } else { "not carried" },
                t.yes,
                t.against,
                t.abstain,
                t.members,
                t.quorum
            )
        } else {
            format!(
                "議決: {}（賛成 {}・反対 {}・棄権 {}、委員 {} 人・定足数 {} 人）。",
                if t.carried { "可決" } else { "否決" },
                t.yes,
                t.against,
                t.abstain,
                t.members,
                t.quorum
            )
        });
    }
    if !detail.sealed.is_empty() {
        out.push_str(if en {
            " A secret was handed over sealed; it is shown once to whom it is for."
        } else {
            "秘密の項目を封をして渡しました（渡す相手に一度だけ表示されます）。"
        });
    }
    if let Some(reason) = &detail.unavoidable {
        if en {
            out.push_str(&format!(
                " Taken as unavoidable, by someone the action excludes: {reason}"
            ));
        } else {
            out.push_str(&format!(
                "やむを得ない場合として、除外される当事者が行いました。理由: {reason}"
            ));
        }
    }
    out
}

/// A reminder or an overdue notice: what is due (the deadline's name, or the state it runs
/// in) and when, as recorded when it fired.
fn deadline(procedure: &Procedure, e: &CaseEventRow, lang: &str, dates: DateStyle) -> String {
    let data: serde_json::Value = serde_json::from_str(&e.data).unwrap_or_default();
    let what = data["deadline"]
        .as_u64()
        .and_then(|i| procedure.deadlines.get(usize::try_from(i).ok()?))
        .and_then(|d| d.name.as_ref())
        .map(|n| n.get(lang).to_owned())
        .or_else(|| {
            let state = e.from_state.as_deref()?;
            procedure.state(state).map(|s| s.name.get(lang).to_owned())
        });
    let due = restyle(data["due"].as_str().unwrap_or_default(), dates);
    let remind = e.action == "deadline.remind";
    match (english(lang), remind, what) {
        (false, true, Some(what)) => format!("「{what}」の期限（{due}）の催促を送りました。"),
        (false, true, None) => format!("期限（{due}）の催促を送りました。"),
        (false, false, Some(what)) => {
            format!("「{what}」の期限（{due}）を過ぎたことを通知しました。")
        }
        (false, false, None) => format!("期限（{due}）を過ぎたことを通知しました。"),
        (true, true, Some(what)) => format!("Sent a reminder that “{what}” is due ({due})."),
        (true, true, None) => format!("Sent a reminder of the deadline ({due})."),
        (true, false, Some(what)) => format!("Sent notice that “{what}” is overdue (due {due})."),
        (true, false, None) => format!("Sent notice that the deadline ({due}) has passed."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shipped procedure with a named deadline.
    fn procedure() -> Procedure {
        let mut lib = mamori_library::shipped()
            .unwrap()
            .into_iter()
            .find(|l| l.id() == "mod-incident-report")
            .unwrap();
        lib.procedures.remove("report").unwrap()
    }

    fn event(action: &str, from: &str, to: &str, comment: &str, data: &str) -> CaseEventRow {
        CaseEventRow {
            seq: 1,
            occurred_at: mamori_storage::Ts(jiff::Timestamp::UNIX_EPOCH),
            actor_id: None,
            actor_name: Some("丙電子 太郎".into()),
            action: action.into(),
            from_state: Some(from.into()).filter(|s: &String| !s.is_empty()),
            to_state: Some(to.into()).filter(|s: &String| !s.is_empty()),
            comment: comment.into(),
            data: data.into(),
            detail: "{}".into(),
        }
    }

    #[test]
    fn an_action_names_who_took_it_and_the_state_it_led_to() {
        let p = procedure();
        let t = p
            .transitions
            .iter()
            .find(|t| {
                t.to.first()
                    .is_some_and(|b| b.state.value != t.from[0].value)
            })
            .unwrap();
        let from = &t.from[0].value;
        let to = &t.to[0].state.value;
        let e = event(&t.action.value, from, to, "", "{}");
        let to_name = p.state(to).unwrap().name.get("ja");
        assert_eq!(
            sentence(&p, &e, "ja", DateStyle::Seireki),
            format!(
                "丙電子 太郎さんが「{}」を行い、「{to_name}」になりました。",
                t.name.ja
            )
        );
        let en = sentence(&p, &e, "en", DateStyle::Seireki);
        assert!(en.starts_with("丙電子 太郎 took “"), "{en}");
        assert!(en.contains(p.state(to).unwrap().name.get("en")), "{en}");
        // Without a change of state, the sentence says only what was done.
        let same = event(&t.action.value, from, from, "", "{}");
        assert_eq!(
            sentence(&p, &same, "ja", DateStyle::Seireki),
            format!("丙電子 太郎さんが「{}」を行いました。", t.name.ja)
        );
    }

    #[test]
    fn events_of_mamori_read_as_sentences() {
        let p = procedure();
        let ja = |e: &CaseEventRow| sentence(&p, e, "ja", DateStyle::Seireki);
        assert_eq!(
            ja(&event("save", "draft", "draft", "", "{}")),
            "下書きを保存しました。"
        );
        let attach = event("attach", "", "", "nisc.pdf", "{}");
        assert_eq!(ja(&attach), "nisc.pdf を添付しました。");
        assert_eq!(comment(&attach), "");
        assert_eq!(
            sentence(&p, &attach, "en", DateStyle::Seireki),
            "Attached nisc.pdf."
        );
        let unknown = event("no-such-action", "", "", "", "{}");
        assert_eq!(ja(&unknown), "操作を記録しました。");
    }

    #[test]
    fn a_reminder_names_the_deadline_in_the_style_asked() {
        let p = procedure();
        let state = p.deadlines[0].state.value.clone();
        let e = event(
            "deadline.remind",
            &state,
            &state,
            "",
            r#"{"deadline": 0, "due": "2026-12-04 17:00"}"#,
        );
        let what = &p.deadlines[0].name.as_ref().unwrap().ja;
        assert_eq!(
            sentence(&p, &e, "ja", DateStyle::Seireki),
            format!("「{what}」の期限（2026-12-04 17:00）の催促を送りました。")
        );
        assert_eq!(
            sentence(&p, &e, "ja", DateStyle::Wareki),
            format!("「{what}」の期限（令和8年12月4日 17:00）の催促を送りました。")
        );
    }
}

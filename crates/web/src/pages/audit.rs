//! The audit trail page (証跡) and its CSV export: each event told as a sentence with
//! names, the raw record one click away.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use mamori_app::audit_sentences::{self, DescribedEvent, FAMILIES, OPERATIONS, Part, Sentence};
use uuid::Uuid;

use super::{FormErrors, Layout, render_status};
use crate::AppState;
use crate::api::audit::{AuditParams, csv_response};
use crate::error::Failure;
use crate::extract::PageSession;
use crate::i18n::Tr;

/// An event as the page shows it.
struct Line {
    event: DescribedEvent,
    /// The sentence, in the reader's language.
    said: String,
    /// The operation's name.
    operation: String,
}

/// A group of the operation filter.
struct OpGroup {
    label: String,
    /// (value, label).
    options: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    l: Layout,
    p: AuditParams,
    lines: Vec<Line>,
    groups: Vec<OpGroup>,
    /// A filter value typed by hand that no option offers, kept selected.
    other_action: Option<String>,
    /// The actor the page is limited to, by name.
    actor_name: Option<String>,
    /// The filters without the actor (to lift that limit).
    without_actor: String,
    errors: FormErrors,
    next_before: Option<i64>,
    csv_query: String,
    next_query: String,
}

impl AuditPage {
    fn time(&self, line: &Line) -> String {
        self.l.tr.datetime(line.event.row.occurred_at)
    }

    fn chosen(&self, value: &str) -> bool {
        self.p.action.as_deref().map(str::trim) == Some(value)
    }

    /// The two date filters: (field, label, what was asked).
    fn dates(&self) -> [(&'static str, String, String); 2] {
        [
            ("from", self.l.tr.t("audit-from"), opt(&self.p.from)),
            ("until", self.l.tr.t("audit-until"), opt(&self.p.until)),
        ]
    }

    fn hash(&self, line: &Line) -> String {
        mamori_domain::audit::hex(&line.event.row.hash)
    }
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

/// A sentence in the reader's language.
pub(crate) fn say(tr: Tr, s: &Sentence) -> String {
    let args: Vec<(&'static str, String)> = s
        .args
        .iter()
        .map(|(name, part)| (*name, part_words(tr, part)))
        .collect();
    tr.tn(&s.key, &args)
}

fn part_words(tr: Tr, part: &Part) -> String {
    match part {
        Part::Plain(s) => s.clone(),
        Part::Text(t) => tr.text(t).to_owned(),
        Part::Role(r) => tr.role(r),
        Part::Msg(key) => tr.t(key),
        Part::When(raw) => when(tr, raw),
        Part::Reason(code) => {
            let key = format!("audit-reason-{}", code.replace('_', "-"));
            let words = tr.t(&key);
            if words == key { code.clone() } else { words }
        }
        Part::Phrase(s) => say(tr, s),
        Part::Phrases(list) if list.is_empty() => tr.t("audit-c-none"),
        Part::Phrases(list) => list
            .iter()
            .map(|s| say(tr, s))
            .collect::<Vec<_>>()
            .join(&tr.t("audit-sep")),
    }
}

/// A recorded day or instant as the reader writes dates; anything else as recorded.
fn when(tr: Tr, raw: &str) -> String {
    if let Ok(day) = raw.parse::<jiff::civil::Date>() {
        return tr.day(mamori_app::read::Day(day));
    }
    if let Ok(t) = raw.parse::<jiff::Timestamp>() {
        return tr.datetime(mamori_app::read::Ts(t));
    }
    raw.to_owned()
}

/// The operation filter: each family with a choice for all of it, then its operations.
fn op_groups(tr: Tr) -> Vec<OpGroup> {
    let name = |code: &str| tr.t(&audit_sentences::operation_key(code));
    let mut groups: Vec<OpGroup> = FAMILIES
        .iter()
        .map(|family| {
            let label = tr.t(&audit_sentences::family_key(family));
            let mut options = Vec::new();
            // A family that is itself an operation (ログイン) needs no separate "all".
            if !OPERATIONS.contains(family) {
                options.push((
                    (*family).to_owned(),
                    tr.t1("audit-filter-family-all", "family", &label),
                ));
            }
            options.extend(
                OPERATIONS
                    .iter()
                    .filter(|op| op.starts_with(family))
                    .map(|op| ((*op).to_owned(), name(op))),
            );
            OpGroup { label, options }
        })
        .collect();
    groups.push(OpGroup {
        label: tr.t("audit-family-other"),
        options: OPERATIONS
            .iter()
            .filter(|op| !FAMILIES.iter().any(|f| op.starts_with(f)))
            .map(|op| ((*op).to_owned(), name(op)))
            .collect(),
    });
    groups
}

/// The filters as a query string, without `before` (paging) and optionally the actor.
fn filter_pairs(p: &AuditParams, with_actor: bool) -> Vec<(&'static str, String)> {
    let mut pairs: Vec<(&str, String)> = vec![
        ("action", opt(&p.action)),
        ("outcome", opt(&p.outcome)),
        ("from", opt(&p.from)),
        ("until", opt(&p.until)),
    ];
    if let Some(a) = p.actor.filter(|_| with_actor) {
        pairs.push(("actor", a.to_string()));
    }
    if let Some(o) = p.organisation {
        pairs.push(("organisation", o.to_string()));
    }
    pairs.retain(|(_, v)| !v.is_empty());
    pairs
}

/// `GET /audit`.
pub async fn list(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Query(p): Query<AuditParams>,
) -> Result<Response, Failure> {
    let tr = Tr::of(&s);
    let (query, errors) = match p.query() {
        Ok(q) => (Some(q), FormErrors::default()),
        // Bad filters are shown with the form as it was filled in, not as an error page.
        Err(f) if !f.fields().is_empty() => (None, FormErrors::new(tr, &f.fields())),
        Err(f) => return Err(f),
    };
    let mut events = Vec::new();
    if let Some(mut query) = query {
        query.limit = 100;
        let rows = state.app.audit_events(&s.caller, &query).await?;
        events = state.app.describe_audit_events(rows).await?;
    }
    let next_before = (events.len() == 100)
        .then(|| events.last().map(|e| e.row.seq))
        .flatten();
    let actor_name = match p.actor {
        Some(a) => Some(actor_name(&state, &s.caller, tr, a, &events).await?),
        None => None,
    };
    let lines: Vec<Line> = events
        .into_iter()
        .map(|event| Line {
            said: say(tr, &event.sentence),
            operation: operation_name(tr, &event.row.action),
            event,
        })
        .collect();
    let groups = op_groups(tr);
    let wanted = p.action.as_deref().map(str::trim).unwrap_or_default();
    let other_action = (!wanted.is_empty()
        && !groups
            .iter()
            .any(|g| g.options.iter().any(|(v, _)| v == wanted)))
    .then(|| wanted.to_owned());
    let pairs = filter_pairs(&p, true);
    let csv_query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let mut next_pairs = pairs.clone();
    if let Some(b) = next_before {
        next_pairs.push(("before", b.to_string()));
    }
    let status = if errors.any() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(render_status(
        status,
        &AuditPage {
            l: Layout::new(&s, "audit-title", "audit"),
            next_query: serde_urlencoded::to_string(&next_pairs).unwrap_or_default(),
            without_actor: serde_urlencoded::to_string(filter_pairs(&p, false)).unwrap_or_default(),
            p,
            lines,
            groups,
            other_action,
            actor_name,
            errors,
            next_before,
            csv_query,
        },
    ))
}

/// The name of the person the page is limited to: from the events shown, else looked up
/// (through the same trail: an actor with no event in view is named by the id only).
async fn actor_name(
    state: &AppState,
    caller: &mamori_app::Caller,
    tr: Tr,
    actor: Uuid,
    events: &[DescribedEvent],
) -> Result<String, Failure> {
    if let Some(name) = events
        .iter()
        .find(|e| e.row.actor_id == Some(actor))
        .and_then(|e| e.row.actor_name.clone())
    {
        return Ok(name);
    }
    let mut query = AuditParams {
        actor: Some(actor),
        limit: Some(1),
        ..AuditParams::default()
    }
    .query()?;
    query.limit = 1;
    let rows = state.app.audit_events(caller, &query).await?;
    Ok(rows
        .first()
        .and_then(|r| r.actor_name.clone())
        .unwrap_or_else(|| tr.t("audit-unknown-person")))
}

/// An operation's name; a refused case action carries the library's id, named as a case
/// action.
pub(crate) fn operation_name(tr: Tr, code: &str) -> String {
    let key = audit_sentences::operation_key(code);
    let name = tr.t(&key);
    if name != key {
        name
    } else if code.starts_with("case.") {
        tr.t(&audit_sentences::operation_key("case.act"))
    } else {
        code.to_owned()
    }
}

/// `GET /audit.csv`.
pub async fn csv(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Query(p): Query<AuditParams>,
) -> Result<Response, Failure> {
    csv_response(&state, &s.caller, Tr::of(&s), &p).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use mamori_app::audit_sentences::{Names, sentence};
    use mamori_app::read::AuditRow;
    use mamori_domain::person::Locale;

    fn row(action: &str, outcome: &str, actor: bool) -> AuditRow {
        AuditRow {
            seq: 1,
            occurred_at: mamori_app::read::Ts(jiff::Timestamp::UNIX_EPOCH),
            actor_id: actor.then(Uuid::nil),
            actor_name: actor.then(|| "監査 花子".to_owned()),
            organisation_id: Some(Uuid::nil()),
            organisation_name: Some("甲社".into()),
            action: action.into(),
            target_kind: action.split('.').next().unwrap_or_default().into(),
            target_id: Some(Uuid::now_v7().to_string()),
            outcome: outcome.into(),
            detail:
                serde_json::json!({"reason": "locked", "kind": "contracts_with", "locale": "en", "date_style": "wareki"})
                    .to_string(),
            ip: None,
            hash: vec![0; 32],
        }
    }

    #[test]
    fn every_operation_reads_as_a_sentence_in_both_languages() {
        for tr in [Tr::new(Locale::Ja), Tr::new(Locale::En)] {
            for op in OPERATIONS {
                let name = operation_name(tr, op);
                assert_ne!(name, *op, "{op} has no name in {}", tr.code());
                for outcome in ["success", "denied", "failure"] {
                    for actor in [true, false] {
                        let said = say(tr, &sentence(&row(op, outcome, actor), &Names::default()));
                        assert!(
                            !said.contains("audit-")
                                && !said.contains('{')
                                && !said.contains("kind-"),
                            "{op} {outcome} in {}: {said}",
                            tr.code()
                        );
                    }
                }
            }
            for group in op_groups(tr) {
                assert!(!group.label.starts_with("audit-"), "{}", group.label);
                assert!(!group.options.is_empty(), "{}", group.label);
            }
        }
    }

    #[test]
    fn recorded_days_read_as_the_reader_writes_them() {
        assert_eq!(
            when(Tr::new(Locale::Ja), "2026-04-01"),
            "2026年4月1日（令和8年）"
        );
        assert_eq!(when(Tr::new(Locale::En), "2026-04-01"), "2026-04-01");
        assert_eq!(when(Tr::new(Locale::Ja), "来週"), "来週");
    }
}

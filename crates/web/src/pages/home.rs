//! The home page: the inbox (filled by the procedure libraries) and the way in to
//! everything else.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

use super::{Layout, NoticeQuery, render};
use crate::AppState;
use crate::error::Failure;
use crate::extract::PageSession;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Layout,
    organisation_name: String,
    organisation_id: String,
    roles: Vec<(String, String)>,
    inbox: Vec<super::cases::CaseLine>,
    inbox_total: i64,
    registers: Vec<(String, String)>,
    notices: Vec<(Option<uuid::Uuid>, String, String, bool)>,
    quick: Vec<super::quick::QuickStart>,
}

/// `GET /`.
pub async fn home(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, Failure> {
    let me = state.app.person(&s.caller, s.caller.actor.person).await?;
    let l = Layout::new(&s, "home-title", "home").with_notice(q.notice.as_deref());
    let mut roles = Vec::new();
    for g in &s.caller.actor.grants {
        let place = match g.organisation {
            Some(org) => state
                .app
                .organisation(&s.caller, org)
                .await
                .map(|v| v.organisation.name)
                .unwrap_or_default(),
            None => l.tr.t("role-everywhere"),
        };
        roles.push((l.tr.role(&g.role), place));
    }
    let page = state
        .app
        .inbox(
            &s.caller,
            &Default::default(),
            mamori_storage::PageRequest::new(Some(50), None),
        )
        .await?;
    let inbox = super::cases::case_lines(&state, l.tr, page.items);
    let registers = state
        .app
        .libraries()
        .current()
        .flat_map(|lib| {
            lib.registers
                .values()
                .map(|r| (r.id.value.clone(), l.tr.text(&r.title).to_owned()))
                .collect::<Vec<_>>()
        })
        .collect();
    let notices = state
        .app
        .notifications(&s.caller, 10)
        .await?
        .into_iter()
        .map(|n| {
            let subject = if l.tr.code() == "en" {
                n.subject_en
            } else {
                n.subject_ja
            };
            (
                n.case_id,
                subject,
                l.tr.datetime(n.created_at),
                n.read_at.is_none(),
            )
        })
        .collect();
    let quick = super::quick::quick_starts(&state, &s).await?;
    Ok(render(&HomePage {
        quick,
        notices,
        inbox,
        inbox_total: page.total,
        registers,
        l,
        organisation_name: me.organisation_name,
        organisation_id: me.organisation_id.to_string(),
        roles,
    }))
}

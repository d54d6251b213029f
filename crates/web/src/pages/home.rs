//! The home page: the inbox (filled by the procedure libraries) and the way in to
//! everything else; for an administrator, first the setup guide.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use mamori_app::setup_guide::{Finding, Named, SetupGuide};

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
    inbox_exact: bool,
    registers: Vec<(String, String)>,
    notices: Vec<(Option<uuid::Uuid>, String, String, bool)>,
    quick: Vec<super::quick::QuickStart>,
    guide: Option<GuideView>,
}

/// The setup guide as the page shows it.
struct GuideView {
    complete: bool,
    steps: Vec<GuideStep>,
    /// Names of the roles nobody holds yet, as advice.
    roles: Vec<String>,
}

struct GuideStep {
    id: &'static str,
    title: String,
    intro: String,
    done: bool,
    /// The first step not done: where to go next.
    next: bool,
    lines: Vec<GuideLine>,
    /// Findings beyond those shown.
    more: usize,
}

/// One finding: the sentence and the link to the page that fixes it.
struct GuideLine {
    text: String,
    href: String,
    link: String,
}

/// Findings shown per step; a big office's first look would otherwise be a wall of names.
const LINES_PER_STEP: usize = 10;

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
            mamori_app::read::PageRequest::new(Some(50), None),
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
    let guide = state
        .app
        .setup_guide(&s.caller)
        .await?
        .map(|g| guide_view(l.tr, &g));
    Ok(render(&HomePage {
        guide,
        quick,
        notices,
        inbox,
        inbox_total: page.total,
        inbox_exact: page.exact,
        registers,
        l,
        organisation_name: me.organisation_name,
        organisation_id: me.organisation_id.to_string(),
        roles,
    }))
}

fn guide_view(tr: crate::i18n::Tr, g: &SetupGuide) -> GuideView {
    let next = g.next();
    GuideView {
        complete: g.complete(),
        steps: g
            .steps
            .iter()
            .map(|s| GuideStep {
                id: s.step.id(),
                title: tr.t(&format!("guide-step-{}", s.step.id())),
                intro: tr.t(&format!("guide-step-{}-intro", s.step.id())),
                done: s.done,
                next: next == Some(s.step),
                lines: s
                    .findings
                    .iter()
                    .take(LINES_PER_STEP)
                    .map(|f| guide_line(tr, f))
                    .collect(),
                more: s.findings.len().saturating_sub(LINES_PER_STEP),
            })
            .collect(),
        roles: g.unheld_roles.iter().map(|r| tr.role(r)).collect(),
    }
}

fn guide_line(tr: crate::i18n::Tr, f: &Finding) -> GuideLine {
    let line = |key: &str, args: &[(&'static str, String)], href: String| GuideLine {
        text: tr.tn(key, args),
        href,
        link: tr.t(&format!("{key}-link")),
    };
    let org = |o: &Named| [("organisation", o.name.clone())];
    match f {
        Finding::NoOrganisations(parent) => line(
            "guide-no-organisations",
            &[],
            match parent {
                Some(p) => format!("/organisations/new?parent={}", p.id),
                None => "/organisations/new".into(),
            },
        ),
        Finding::NoPeople => line("guide-no-people", &[], "/persons/new".into()),
        Finding::Empty(o) => line(
            "guide-empty",
            &org(o),
            format!("/persons/new?organisation={}", o.id),
        ),
        Finding::NoDesignations => line("guide-no-designations", &[], "/designations/new".into()),
        Finding::NoAdministrator(o) => line(
            "guide-no-administrator",
            &org(o),
            format!("/designations/new?organisation={}", o.id),
        ),
        Finding::NoRelations(at) => line(
            "guide-no-relations",
            &[],
            match at {
                Some(o) => format!("/organisations/{}#relations-h", o.id),
                None => "/organisations".into(),
            },
        ),
        Finding::Waiting {
            kind,
            from,
            to,
            ours,
        } => {
            let relation = tr.tn(
                &format!("guide-rel-{kind}"),
                &[("from", from.name.clone()), ("to", to.name.clone())],
            );
            let args = [("relation", relation), ("to", to.name.clone())];
            // The side that can act: the counterpart accepts, the maker can only wait or
            // withdraw it.
            if *ours {
                line(
                    "guide-waiting-ours",
                    &args,
                    format!("/organisations/{}#relations-h", to.id),
                )
            } else {
                line(
                    "guide-waiting-theirs",
                    &args,
                    format!("/organisations/{}#relations-h", from.id),
                )
            }
        }
        Finding::NoDesk {
            prime,
            subcontractor,
            others,
        } => {
            let mut args = vec![
                ("subcontractor", subcontractor.name.clone()),
                ("prime", prime.name.clone()),
            ];
            let key = if *others == 0 {
                "guide-no-desk"
            } else {
                args.push(("others", others.to_string()));
                "guide-no-desk-more"
            };
            GuideLine {
                link: tr.t("guide-no-desk-link"),
                ..line(key, &args, format!("/organisations/{}#desk", prime.id))
            }
        }
        Finding::Unrelated(o) => line(
            "guide-unrelated",
            &org(o),
            format!("/organisations/{}#relations-h", o.id),
        ),
    }
}

//! Assessment pages: the list with the catalogs one may start, and one assessment answered
//! a page of requirements at a time.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use mamori_app::read::PageRequest;
use mamori_app::{AnswerInput, AssessmentView, SessionInfo, StartAssessment};
use serde::Deserialize;
use uuid::Uuid;

use super::form_widgets::errors_for;
use super::{FormErrors, Layout, done, form_failure, render, render_status};
use crate::AppState;
use crate::error::Failure;
use crate::extract::{CsrfForm, PageSession};
use crate::i18n::Tr;

/// Requirements per page.
const PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "assessments/list.html")]
struct ListPage {
    l: Layout,
    items: Vec<Line>,
    catalogs: Vec<Startable>,
    errors: FormErrors,
    summary: Option<String>,
    /// What was typed into a start form that failed: (catalog key, title).
    typed: (String, String),
}

struct Line {
    id: Uuid,
    title: String,
    organisation: String,
    state: String,
    created: String,
}

struct Startable {
    key: String,
    title: String,
    groups: Vec<(String, String)>,
    organisations: Vec<(Uuid, String)>,
    /// Where the reader may run it as a campaign over the sections below.
    campaign_organisations: Vec<(Uuid, String)>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    notice: Option<String>,
}

async fn list_page(
    state: &AppState,
    s: &SessionInfo,
    notice: Option<&str>,
    errors: FormErrors,
    summary: Option<String>,
    typed: (String, String),
) -> Result<ListPage, Failure> {
    let tr = Tr::of(s);
    let page = state
        .app
        .assessments(&s.caller, PageRequest::new(Some(100), None))
        .await?;
    let catalogs = state
        .app
        .assessable(&s.caller)
        .await?
        .into_iter()
        .map(|a| {
            let c = &a.library.catalogs[&a.catalog];
            Startable {
                key: format!("{}/{}", a.library.id(), a.catalog),
                title: tr.text(&c.title).to_owned(),
                groups: c
                    .groups
                    .iter()
                    .map(|g| (g.id.value.clone(), tr.text(&g.label).to_owned()))
                    .collect(),
                organisations: a.organisations,
                campaign_organisations: a.campaign_organisations,
            }
        })
        .collect();
    Ok(ListPage {
        l: Layout::new(s, "assessments-title", "assessments").with_notice(notice),
        items: page
            .items
            .into_iter()
            .map(|r| Line {
                id: r.id,
                title: r.title,
                organisation: r.organisation_name,
                state: tr.t(&format!("assessment-state-{}", r.state)),
                created: tr.datetime(r.created_at),
            })
            .collect(),
        catalogs,
        errors,
        summary,
        typed,
    })
}

/// `GET /assessments`.
pub async fn list(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Query(q): Query<ListQuery>,
) -> Result<Response, Failure> {
    let page = list_page(
        &state,
        &s,
        q.notice.as_deref(),
        FormErrors::default(),
        None,
        Default::default(),
    )
    .await?;
    Ok(render(&page))
}

/// `POST /assessments`: starts one and opens it.
pub async fn start(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map_or("", |(_, v)| v.as_str())
    };
    let catalog = get("catalog").to_owned();
    let title = get("title").to_owned();
    let organisation: Uuid = get("organisation")
        .parse()
        .map_err(|_| Failure::not_found())?;
    let groups = pairs
        .iter()
        .filter(|(k, _)| k == "groups")
        .map(|(_, v)| v.clone())
        .collect();
    let input = StartAssessment {
        catalog: catalog.clone(),
        organisation,
        title: title.clone(),
        groups,
    };
    let started = if get("campaign") == "yes" {
        state.app.start_campaign(&s.caller, input).await
    } else {
        state.app.start_assessment(&s.caller, input).await
    };
    match started {
        Ok(id) => Ok(done(&format!("/assessments/{id}"), "assessment-started")),
        Err(e) => {
            let tr = Tr::of(&s);
            let failure = Failure::from(e);
            let errors = errors_for(tr, &failure);
            let page = list_page(&state, &s, None, errors, None, (catalog, title)).await?;
            Ok(form_failure(tr, failure, |_, summary| {
                render_status(StatusCode::BAD_REQUEST, &ListPage { summary, ..page })
            }))
        }
    }
}

#[derive(Template)]
#[template(path = "assessments/show.html")]
struct ShowPage {
    l: Layout,
    v: Summary,
    /// A campaign's parts.
    parts: Vec<PartLine>,
    /// The campaign this is part of.
    campaign: Option<Uuid>,
    rows: Vec<Row>,
    /// The organisation's evidence in force today: (id, title and days).
    evidence: Vec<(Uuid, String)>,
    offset: i64,
    previous: Option<i64>,
    next: Option<i64>,
    errors: FormErrors,
    summary: Option<String>,
}

struct PartLine {
    id: Uuid,
    organisation: String,
    state: String,
    answered: i64,
    pass: i64,
    fail: i64,
    not_applicable: i64,
}

struct Summary {
    id: Uuid,
    catalog: String,
    organisation: String,
    state: String,
    asked: usize,
    unanswered: usize,
    pass: i64,
    fail: i64,
    not_applicable: i64,
    score: Option<u32>,
    may_answer: bool,
    total: usize,
}

struct Row {
    id: String,
    depth: usize,
    text: String,
    help: String,
    /// `yes_no`, `choice` or `none`.
    question: &'static str,
    options: Vec<(String, String)>,
    applies: bool,
    /// The answer shown (as stored, or as typed on a failed save).
    answer: String,
    note: String,
    outcome: String,
    /// Evidence linked: (download link, title).
    evidence: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    offset: i64,
    notice: Option<String>,
}

fn show_page(
    s: &SessionInfo,
    v: AssessmentView,
    offset: i64,
    notice: Option<&str>,
    typed: Option<&[(String, String)]>,
    errors: FormErrors,
    summary: Option<String>,
) -> ShowPage {
    let tr = Tr::of(s);
    let total = v.total;
    let catalog = tr.text(&v.catalog().title).to_owned();
    let typed_value = |key: String| {
        typed.map(|pairs| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map_or(String::new(), |(_, v)| v.clone())
        })
    };
    let rows = v
        .page
        .iter()
        .map(|r| Row {
            id: r.id.clone(),
            depth: r.depth,
            text: tr.text(&r.text).to_owned(),
            help: r
                .help
                .as_ref()
                .map(|h| tr.text(h).to_owned())
                .unwrap_or_default(),
            question: r.question.as_str(),
            options: r
                .options
                .iter()
                .map(|(id, label)| (id.clone(), tr.text(label).to_owned()))
                .collect(),
            applies: r.applies,
            answer: typed_value(format!("a:{}", r.id)).unwrap_or_else(|| {
                r.answer
                    .as_ref()
                    .map(|a| a.answer.clone())
                    .unwrap_or_default()
            }),
            note: typed_value(format!("n:{}", r.id)).unwrap_or_else(|| {
                r.answer
                    .as_ref()
                    .map(|a| a.note.clone())
                    .unwrap_or_default()
            }),
            outcome: r
                .answer
                .as_ref()
                .map(|a| a.outcome.clone())
                .unwrap_or_default(),
            evidence: r
                .evidence
                .iter()
                .map(|e| (format!("/api/v1/evidence/{}", e.id), e.title.clone()))
                .collect(),
        })
        .collect();
    let l = Layout::new(s, "assessments-title", "assessments")
        .with_notice(notice)
        .titled(v.row.title.clone());
    ShowPage {
        parts: v
            .parts
            .iter()
            .map(|p| PartLine {
                id: p.row.id,
                organisation: p.row.organisation_name.clone(),
                state: tr.t(&format!("assessment-state-{}", p.row.state)),
                answered: p.answered,
                pass: p.tally.pass,
                fail: p.tally.fail,
                not_applicable: p.tally.not_applicable,
            })
            .collect(),
        campaign: v.row.parent_id,
        evidence: vec![],
        v: Summary {
            id: v.row.id,
            catalog,
            organisation: v.row.organisation_name.clone(),
            state: tr.t(&format!("assessment-state-{}", v.row.state)),
            asked: v.asked,
            unanswered: v.unanswered,
            pass: v.tally.pass,
            fail: v.tally.fail,
            not_applicable: v.tally.not_applicable,
            score: v.score(),
            may_answer: v.may_answer,
            total,
        },
        rows,
        offset,
        previous: (offset > 0).then(|| (offset - PAGE).max(0)),
        next: (usize::try_from(offset + PAGE).unwrap_or(usize::MAX) < total)
            .then_some(offset + PAGE),
        errors,
        summary,
        l,
    }
}

/// `GET /assessments/{id}?offset=`.
pub async fn show(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, Failure> {
    let offset = q.offset.max(0);
    let v = state
        .app
        .assessment(&s.caller, id, PageRequest::new(Some(PAGE), Some(offset)))
        .await?;
    let evidence = in_force(&state, &s, &v).await?;
    Ok(render(&ShowPage {
        evidence,
        ..show_page(
            &s,
            v,
            offset,
            q.notice.as_deref(),
            None,
            FormErrors::default(),
            None,
        )
    }))
}

/// The evidence of the assessed organisation in force today, for whoever answers.
async fn in_force(
    state: &AppState,
    s: &SessionInfo,
    v: &AssessmentView,
) -> Result<Vec<(Uuid, String)>, Failure> {
    if !v.may_answer {
        return Ok(vec![]);
    }
    let today = state.app.today();
    Ok(state
        .app
        .evidence(&s.caller, v.row.organisation_id)
        .await?
        .into_iter()
        .filter(|e| e.in_force(today))
        .map(|e| {
            let until = e.expires_on.map(|d| d.0.to_string()).unwrap_or_default();
            (e.id, format!("{}（{}–{until}）", e.title, e.effective_on.0))
        })
        .collect())
}

/// `POST /assessments/{id}/evidence`: uploads new evidence of the organisation and links
/// it to the chosen requirement.
pub async fn upload_evidence(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    upload: Result<crate::upload::UploadForm, Failure>,
) -> Result<Response, Failure> {
    let result = async {
        let crate::upload::UploadForm(u) = upload?;
        let v = state
            .app
            .assessment(&s.caller, id, PageRequest::new(Some(1), None))
            .await?;
        let requirement = u.field("requirement").to_owned();
        let input = mamori_app::EvidenceInput {
            title: u.field("title").to_owned(),
            effective_on: u.field("effective_on").to_owned(),
            expires_on: u.field("expires_on").to_owned(),
            file: u.file,
        };
        let evidence = state
            .app
            .add_evidence(&s.caller, v.row.organisation_id, input)
            .await?;
        state
            .app
            .link_evidence(&s.caller, id, &requirement, evidence)
            .await?;
        Ok::<_, Failure>(())
    }
    .await;
    evidence_done(&state, &s, id, result).await
}

/// `POST /assessments/{id}/evidence/link`: links evidence the organisation already keeps.
pub async fn link_evidence(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map_or("", |(_, v)| v.as_str())
    };
    let result = match get("evidence").parse::<Uuid>() {
        Ok(evidence) => state
            .app
            .link_evidence(&s.caller, id, get("requirement"), evidence)
            .await
            .map_err(Failure::from),
        Err(_) => Err(Failure::field(mamori_domain::FieldError {
            field: "evidence",
            code: "required",
            limit: None,
        })),
    };
    evidence_done(&state, &s, id, result).await
}

async fn evidence_done(
    state: &AppState,
    s: &SessionInfo,
    id: Uuid,
    result: Result<(), Failure>,
) -> Result<Response, Failure> {
    match result {
        Ok(()) => Ok(done(&format!("/assessments/{id}"), "evidence-linked")),
        Err(failure) => {
            let tr = Tr::of(s);
            let errors = errors_for(tr, &failure);
            let v = state
                .app
                .assessment(&s.caller, id, PageRequest::new(Some(PAGE), Some(0)))
                .await?;
            let evidence = in_force(state, s, &v).await?;
            Ok(form_failure(tr, failure, |_, summary| {
                render_status(
                    StatusCode::BAD_REQUEST,
                    &ShowPage {
                        evidence,
                        ..show_page(s, v, 0, None, None, errors, summary)
                    },
                )
            }))
        }
    }
}

/// `POST /assessments/{id}/answers`: saves the answers of one page; mistakes show the page
/// again as typed, each under its requirement.
pub async fn answer(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let offset: i64 = pairs
        .iter()
        .find(|(k, _)| k == "_offset")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
        .max(0);
    let value = |key: String| {
        pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(String::new(), |(_, v)| v.clone())
    };
    // Requirements left unanswered on the page are sent as "" and change nothing.
    let input: Vec<AnswerInput> = pairs
        .iter()
        .filter(|(k, _)| k == "r")
        .map(|(_, r)| AnswerInput {
            requirement: r.clone(),
            answer: value(format!("a:{r}")),
            note: value(format!("n:{r}")),
        })
        .filter(|a| !a.answer.is_empty() || !a.note.is_empty())
        .collect();
    match state.app.answer_assessment(&s.caller, id, input).await {
        Ok(()) => Ok(done(
            &format!("/assessments/{id}?offset={offset}"),
            "assessment-saved",
        )),
        Err(e) => {
            let tr = Tr::of(&s);
            let failure = Failure::from(e);
            let errors = errors_for(tr, &failure);
            let v = state
                .app
                .assessment(&s.caller, id, PageRequest::new(Some(PAGE), Some(offset)))
                .await?;
            Ok(form_failure(tr, failure, |_, summary| {
                render_status(
                    StatusCode::BAD_REQUEST,
                    &show_page(&s, v, offset, None, Some(&pairs), errors, summary),
                )
            }))
        }
    }
}

/// `POST /assessments/{id}/submit`: what is still unanswered is listed.
pub async fn submit(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    match state.app.submit_assessment(&s.caller, id).await {
        Ok(()) => Ok(done(&format!("/assessments/{id}"), "assessment-submitted")),
        Err(e) => {
            let tr = Tr::of(&s);
            let failure = Failure::from(e);
            let mut missing: Vec<String> = failure
                .form_fields()
                .iter()
                .map(|p| tr.form_error(p))
                .collect();
            let v = state
                .app
                .assessment(&s.caller, id, PageRequest::new(Some(PAGE), Some(0)))
                .await?;
            Ok(form_failure(tr, failure, |_, summary| {
                if let Some(s) = summary {
                    missing.insert(0, s);
                }
                render_status(
                    StatusCode::BAD_REQUEST,
                    &show_page(
                        &s,
                        v,
                        0,
                        None,
                        None,
                        FormErrors::default(),
                        Some(missing.join(" ")),
                    ),
                )
            }))
        }
    }
}

//! An organisation's variant of a library's forms: the text of its `adaptation.yaml`, the
//! forms its new cases use, and the mistakes of a variant shown by line.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use mamori_app::{AdaptationView, SessionInfo};
use uuid::Uuid;

use super::{Layout, NoticeQuery, done, render, render_status};
use crate::AppState;
use crate::error::Failure;
use crate::extract::{CsrfForm, PageSession};
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "organisations/adaptation.html")]
struct AdaptationPage {
    l: Layout,
    organisation: Uuid,
    organisation_name: String,
    library: String,
    library_title: String,
    shipped_version: String,
    version_in_effect: String,
    /// The organisation keeps a variant of its own.
    own: bool,
    may_edit: bool,
    /// What the text area holds: the stored variant, or what was typed.
    spec: String,
    /// Each mistake of a refused variant, with its place.
    problems: Vec<String>,
    forms: Vec<FormLines>,
}

struct FormLines {
    title: String,
    fields: Vec<FieldLine>,
}

struct FieldLine {
    number: String,
    id: String,
    label: String,
    kind: &'static str,
    required: bool,
}

/// A starting point shown while the organisation has no variant.
const EXAMPLE: &str = "# 例: 様式の項目の表示名を変え、任意の項目を隠し、任意の項目を加える
forms:
  - form: application
    reword:
      - field: purpose
        label: { ja: 利用目的（業務名を含めて）, en: Purpose (name the work) }
    hide: []
    add:
      - id: budget
        type: number
        label: { ja: 年間の費用（円）, en: Yearly cost (yen) }
        min: 0
";

async fn page(
    state: &AppState,
    s: &SessionInfo,
    organisation: Uuid,
    v: &AdaptationView,
    typed: Option<(String, Vec<String>)>,
    notice: Option<&str>,
) -> Result<AdaptationPage, Failure> {
    let tr = Tr::of(s);
    let organisation_name = state
        .app
        .organisation(&s.caller, organisation)
        .await?
        .organisation
        .name;
    let library_title = tr.text(&v.library.manifest.title).to_owned();
    let l = Layout::new(s, "adaptation-title", "organisations")
        .with_notice(notice)
        .titled(format!("{}: {library_title}", tr.t("adaptation-title")));
    let (spec, problems) = typed.unwrap_or_else(|| {
        let stored = v.own.as_ref().map(|o| o.spec.clone());
        (stored.unwrap_or_else(|| EXAMPLE.to_owned()), vec![])
    });
    Ok(AdaptationPage {
        organisation,
        organisation_name,
        library: v.library.id().to_owned(),
        library_title,
        shipped_version: v.library.version().to_owned(),
        version_in_effect: v.in_effect.version().to_owned(),
        own: v.own.is_some(),
        may_edit: v.may_edit,
        spec,
        problems,
        forms: v
            .in_effect
            .forms
            .values()
            .map(|f| FormLines {
                title: tr.text(&f.title).to_owned(),
                fields: f
                    .fields
                    .iter()
                    .map(|x| FieldLine {
                        number: x.number.clone().unwrap_or_default(),
                        id: x.id().to_owned(),
                        label: tr.text(&x.label).to_owned(),
                        kind: x.kind.as_str(),
                        required: x.required || x.must_confirm || x.required_when.is_some(),
                    })
                    .collect(),
            })
            .collect(),
        l,
    })
}

/// `GET /organisations/{id}/adaptations/{library}`.
pub async fn show(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((id, library)): Path<(Uuid, String)>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, Failure> {
    let v = state.app.adaptation(&s.caller, id, &library).await?;
    Ok(render(
        &page(&state, &s, id, &v, None, q.notice.as_deref()).await?,
    ))
}

/// `POST /organisations/{id}/adaptations/{library}`: saves the variant; a variant with
/// mistakes is shown again as typed, each mistake with its line.
pub async fn save(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((id, library)): Path<(Uuid, String)>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let spec = pairs
        .iter()
        .find(|(k, _)| k == "spec")
        .map(|(_, v)| v.replace("\r\n", "\n"))
        .unwrap_or_default();
    let to = format!("/organisations/{id}/adaptations/{library}");
    match state.app.adapt(&s.caller, id, &library, &spec).await {
        Ok(_) => Ok(done(&to, "adaptation-saved")),
        Err(e) => {
            let failure = Failure::from(e);
            if failure.file_problems().is_empty() {
                return Err(failure);
            }
            let problems = failure
                .file_problems()
                .iter()
                .map(ToString::to_string)
                .collect();
            let v = state.app.adaptation(&s.caller, id, &library).await?;
            let p = page(&state, &s, id, &v, Some((spec, problems)), None).await?;
            Ok(render_status(StatusCode::BAD_REQUEST, &p))
        }
    }
}

/// `POST /organisations/{id}/adaptations/{library}/remove`.
pub async fn remove(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((id, library)): Path<(Uuid, String)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    state.app.remove_adaptation(&s.caller, id, &library).await?;
    Ok(done(
        &format!("/organisations/{id}/adaptations/{library}"),
        "adaptation-removed",
    ))
}

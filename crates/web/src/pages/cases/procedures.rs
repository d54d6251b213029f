//! What one may start (`/procedures`): each procedure with the organisations one may open it
//! for, the rest folded with the reason.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use mamori_app::Startable;
use uuid::Uuid;

use crate::AppState;
use crate::error::Failure;
use crate::extract::PageSession;
use crate::i18n::Tr;
use crate::pages::{Layout, render};

#[derive(Template)]
#[template(path = "cases/procedures.html")]
struct ProceduresPage {
    l: Layout,
    /// What the reader may start, first.
    items: Vec<ProcedureItem>,
    /// The rest, folded away, each with why the reader cannot start it.
    others: Vec<ProcedureItem>,
    /// Some library carries a matrix: link to them.
    matrices: bool,
}

struct ProcedureItem {
    key: String,
    title: String,
    library: String,
    description: String,
    notes: Vec<(String, String)>,
    organisations: Vec<(Uuid, String)>,
    /// The row of the library's matrix it carries out: link and words.
    matrix: Option<(String, String)>,
    /// Why the reader cannot start it (empty when they can).
    reason: String,
}

fn procedure_item(tr: Tr, s: &Startable, today: &str) -> ProcedureItem {
    let lib = &s.library;
    let p = &lib.procedures[&s.procedure];
    ProcedureItem {
        key: format!("{}/{}", lib.id(), s.procedure),
        title: tr.text(&p.title).to_owned(),
        library: format!(
            "{}（{} {}）",
            tr.text(&lib.manifest.title),
            lib.id(),
            lib.version()
        ),
        description: p
            .description
            .as_ref()
            .or(lib.manifest.description.as_ref())
            .map(|d| tr.text(d).to_owned())
            .unwrap_or_default(),
        notes: lib
            .manifest
            .notes
            .iter()
            .map(|n| {
                let until = n
                    .until
                    .as_ref()
                    .map(|u| u.value.clone())
                    .unwrap_or_default();
                let expired = !until.is_empty() && until.as_str() < today;
                let mark = if expired {
                    tr.t("note-expired")
                } else {
                    String::new()
                };
                (tr.text(&n.text).to_owned(), mark)
            })
            .collect(),
        organisations: s.organisations.clone(),
        matrix: crate::pages::matrices::procedure_link(tr, lib, p, None),
        reason: String::new(),
    }
}

/// Why a procedure the reader may start nowhere is not theirs to start: the roles that
/// start it and where they must be held, and whether the reader holds any of them (a
/// contact whose organisation has no contract yet holds the role but has nobody to start
/// it for).
fn not_startable_reason(tr: Tr, s: &Startable, held: &[&str]) -> String {
    use mamori_library::model::Relation;
    let p = &s.library.procedures[&s.procedure];
    let parties = p
        .start
        .iter()
        .map(|party| {
            let role = s.library.role(&party.role.value).map_or_else(
                || tr.role(&party.role.value),
                |r| tr.text(&r.name).to_owned(),
            );
            let key = match party.of {
                Relation::OwnOrganisation => "procedure-party-own",
                Relation::ParentChain => "procedure-party-parent-chain",
                Relation::ContractingOrganisation => "procedure-party-contracting",
                Relation::PrimeContractor => "procedure-party-prime",
                Relation::ServiceContractor => "procedure-party-service",
                Relation::Children => "procedure-party-children",
                Relation::Descendants => "procedure-party-descendants",
                Relation::Siblings => "procedure-party-siblings",
                Relation::Tree => "procedure-party-tree",
                Relation::CaseRow => "procedure-party-case-row",
                Relation::LastResort | Relation::RelayedTo => "procedure-party-other",
            };
            tr.t1(key, "role", role)
        })
        .collect::<Vec<_>>()
        .join(tr.t("procedure-party-separator").as_str());
    let holds_one = p
        .start
        .iter()
        .any(|party| held.contains(&party.role.value.as_str()));
    tr.t1(
        if holds_one {
            "procedure-held-but-nowhere"
        } else {
            "procedure-not-held"
        },
        "parties",
        parties,
    )
}

/// `GET /procedures`: what the reader may start, and for which organisation, first; the
/// procedures they may not start folded away below, each saying why.
pub async fn procedures(
    State(state): State<AppState>,
    PageSession(s): PageSession,
) -> Result<Response, Failure> {
    let l = Layout::new(&s, "procedures-title", "procedures");
    let today = state.app.today().0.to_string();
    let held: Vec<&str> = s
        .caller
        .actor
        .grants
        .iter()
        .map(|g| g.role.as_str())
        .collect();
    let (mut items, mut others) = (Vec::new(), Vec::new());
    for st in state.app.startable(&s.caller).await? {
        let mut item = procedure_item(l.tr, &st, &today);
        if st.organisations.is_empty() {
            item.reason = not_startable_reason(l.tr, &st, &held);
            others.push(item);
        } else {
            items.push(item);
        }
    }
    let matrices = !state.app.matrices().is_empty();
    Ok(render(&ProceduresPage {
        l,
        items,
        others,
        matrices,
    }))
}

//! Buttons for what is done in a hurry (a procedure's `quick_start`): offered first, on
//! the home page and the report board, to whoever may start it for their own organisation.

use uuid::Uuid;

use crate::AppState;
use crate::error::Failure;
use crate::i18n::Tr;

/// A button: its label and where it leads.
pub(super) struct QuickStart {
    pub label: String,
    pub href: String,
}

/// The quick starts of the caller: one per procedure and organisation the caller holds a
/// role in (a Ministry desk that may enter a company's report by telephone is not offered
/// one for each company: it has the procedures page).
pub(super) async fn quick_starts(
    state: &AppState,
    s: &mamori_app::SessionInfo,
) -> Result<Vec<QuickStart>, Failure> {
    let tr = Tr::of(s);
    let own: Vec<Uuid> = s
        .caller
        .actor
        .grants
        .iter()
        .filter_map(|g| g.organisation)
        .collect();
    let mut out = Vec::new();
    for st in state.app.startable(&s.caller).await? {
        let procedure = &st.library.procedures[&st.procedure];
        let Some(label) = &procedure.quick_start else {
            continue;
        };
        let mine: Vec<&(Uuid, String)> = st
            .organisations
            .iter()
            .filter(|(org, _)| own.contains(org))
            .collect();
        for (org, name) in &mine {
            let label = tr.text(label);
            out.push(QuickStart {
                // With several organisations, each button says which.
                label: if mine.len() > 1 {
                    format!("{label}（{name}）")
                } else {
                    label.to_owned()
                },
                href: format!(
                    "/cases/new?procedure={}/{}&organisation={org}",
                    st.library.id(),
                    st.procedure
                ),
            });
        }
    }
    Ok(out)
}

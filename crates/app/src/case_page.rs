//! A case as its page and the API show it: one use case that reads the case once and works
//! out everything around it from that one reading.

use mamori_library::form::Data;
use uuid::Uuid;

use crate::{App, AppError, CallPlan, Caller, CaseView, Waiting};

/// A case with what is shown around it, each part worked out once.
#[derive(Debug)]
pub struct CasePage {
    /// The case as the reader sees it, with the actions they may take now.
    pub view: CaseView,
    /// What the reader's action boxes start with where the case records nothing yet (a
    /// checklist's items from its register).
    pub prefill: Data,
    /// Whom the case waits on now, by organisation then role.
    pub waiting: Vec<Waiting>,
    /// Whom to telephone first, when the procedure asks for a call and the reader may still
    /// act (see [`App::plan_for`]); asked for by the page only.
    pub calls: Option<CallPlan>,
}

impl App {
    /// Reads case `id` for `caller` with everything shown around it; `with_calls` adds the
    /// call plan, which the page shows and the API serves on its own route.
    pub async fn case_page(
        &self,
        caller: &Caller,
        id: Uuid,
        with_calls: bool,
    ) -> Result<CasePage, AppError> {
        let view = self.case(caller, id).await?;
        let prefill = self.action_prefill(caller, &view).await?;
        let waiting = self.waiting_on(&view).await?;
        let calls = if with_calls && view.row.closed_at.is_none() && !view.actions.is_empty() {
            self.plan_for(caller, &view).await?
        } else {
            None
        };
        Ok(CasePage {
            view,
            prefill,
            waiting,
            calls,
        })
    }
}

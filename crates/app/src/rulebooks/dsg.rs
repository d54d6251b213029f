//! ATLA's overview of every site joining the Defense Security Gateway: the schedules of
//! the open joining cases of the companies that contract with it. The schedule itself is
//! the `schedule` of `mod-dsg`'s `joining` procedure, worked out by [`crate::schedules`].

use uuid::Uuid;

use mamori_storage::PageRequest;
use mamori_storage::case_schedules;
use mamori_storage::cases::{self, CaseFilter};

use crate::schedules::CaseSchedule;
use crate::{App, AppError, Caller};

/// The library and procedure of a site's joining (seed 000).
pub(crate) const JOINING: (&str, &str) = ("mod-dsg", "joining");

/// The most sites one overview lists (a thousand sites is about one megabyte of JSON).
const SITES_MAX: i64 = 10_000;

/// The role of ATLA's information-systems office, which sees every site that joins.
const OFFICE: &str = "dsg_office";

impl App {
    /// Every site in the pipeline the caller may read: for ATLA's office, those of every
    /// company that contracts with it; for a company, its own. Sites that joined or
    /// withdrew are left out.
    pub async fn gateway_overview(&self, caller: &Caller) -> Result<Vec<CaseSchedule>, AppError> {
        let mut organisations = vec![caller.actor.organisation];
        for (office, _) in self.held_in(caller, std::iter::once(OFFICE)).await? {
            for (org, _) in
                mamori_storage::organisations::incoming(&self.db, office, "contracts_with").await?
            {
                if !organisations.contains(&org) {
                    organisations.push(org);
                }
            }
        }
        let filter = CaseFilter {
            procedure: Some((JOINING.0.to_owned(), JOINING.1.to_owned())),
            open: Some(true),
            among: Some(organisations.clone()),
            ..CaseFilter::default()
        };
        let page = PageRequest {
            limit: SITES_MAX,
            offset: 0,
        };
        let rows = cases::matching(&self.db, &filter, page).await?;
        // The facts of each organisation are worked out once, for all of them together.
        let facts = self.case_facts_of(&self.db, &organisations).await?;
        let mut readable = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(facts) = facts.get(&row.organisation_id) else {
                continue;
            };
            let lib = self.definition(&self.db, &row).await?;
            if self.may_read_row(caller, &row, &lib, facts).await? {
                readable.push((row, lib));
            }
        }
        let ids: Vec<Uuid> = readable.iter().map(|(r, _)| r.id).collect();
        let kept = case_schedules::of(&self.db, &ids).await?;
        let mut out = Vec::with_capacity(readable.len());
        let mut unkept = Vec::new();
        for (row, lib) in readable {
            let data = serde_json::from_str(&row.data).unwrap_or_default();
            match kept
                .get(&row.id)
                .and_then(|k| self.kept_progress(&row, &lib, k))
            {
                Some((s, Some(p))) => out.extend(self.schedule_with(&row, &lib, s, data, &p)),
                // Not started yet: not in the pipeline.
                Some((_, None)) => {}
                None => unkept.push((row, lib, data)),
            }
        }
        // Cases last acted on before their progress was kept, or kept with another
        // schedule: planned from their histories.
        let ids: Vec<Uuid> = unkept.iter().map(|(r, _, _)| r.id).collect();
        let mut histories = cases::events_of(&self.db, &ids).await?;
        for (row, lib, data) in unkept {
            let events = histories.remove(&row.id).unwrap_or_default();
            out.extend(self.schedule_from(&row, &lib, data, &events));
        }
        out.sort_by(|a, b| (&a.organisation, &a.title).cmp(&(&b.organisation, &b.title)));
        Ok(out)
    }
}

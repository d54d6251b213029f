//! ATLA's overview of every site joining the Defense Security Gateway: the schedules of
//! the open joining cases of the companies that contract with it. The schedule itself is
//! the `schedule` of `mod-dsg`'s `joining` procedure, worked out by [`crate::schedules`].

use uuid::Uuid;

use mamori_storage::PageRequest;
use mamori_storage::cases::{self, CaseFilter};

use crate::schedules::CaseSchedule;
use crate::{App, AppError, Caller};

/// The library and procedure of a site's joining (seed 000).
pub(crate) const JOINING: (&str, &str) = ("mod-dsg", "joining");

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
        let mut out = Vec::new();
        for org in organisations {
            // Every case here is of one organisation: its facts are worked out once.
            let facts = self.case_facts(&self.db, org).await?;
            let filter = CaseFilter {
                procedure: Some((JOINING.0.to_owned(), JOINING.1.to_owned())),
                open: Some(true),
                organisation: Some(org),
                ..CaseFilter::default()
            };
            let page = PageRequest {
                limit: 500,
                offset: 0,
            };
            let mut readable = Vec::new();
            for row in cases::matching(&self.db, &filter, page).await? {
                let lib = self.definition(&self.db, &row).await?;
                if self.may_read_row(caller, &row, &lib, &facts).await? {
                    readable.push((row, lib));
                }
            }
            let ids: Vec<Uuid> = readable.iter().map(|(r, _)| r.id).collect();
            let mut histories = cases::events_of(&self.db, &ids).await?;
            for (row, lib) in readable {
                let events = histories.remove(&row.id).unwrap_or_default();
                let data = serde_json::from_str(&row.data).unwrap_or_default();
                out.extend(self.schedule_from(&row, &lib, &data, &events));
            }
        }
        out.sort_by(|a, b| (&a.organisation, &a.title).cmp(&(&b.organisation, &b.title)));
        Ok(out)
    }
}

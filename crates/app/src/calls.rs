//! Whom to telephone before a report is sent, for procedures that say a call comes first
//! (`phone_first`): the emergency contacts of the organisations the form names, from the
//! library's directory as shipped or as a contracting organisation corrected it.

use serde_json::Value;
use uuid::Uuid;

use mamori_domain::rulebooks::incident::{self, Call, Contact};
use mamori_library::Library;
use mamori_library::condition::{self, Key, key_text};
use mamori_library::model::{Procedure, Register};

use crate::routing::named_organisations;
use mamori_library::rules::in_office_hours;
use mamori_storage::{organisations as orgs, registers};

use crate::cases::CaseView;
use crate::routing::{Routing, filed_under};
use crate::{App, AppError, Caller};
use mamori_domain::policy::CaseFacts;

/// What the case page shows above the report: whom to call now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallPlan {
    /// The case's organisation is a subcontractor: it calls these prime contractors first,
    /// at the desks they keep, and they call `calls`.
    pub primes: Vec<PrimeDesk>,
    /// The report came from this subcontractor and is held by its prime now: the prime
    /// calls `calls` itself, then forwards it.
    pub forwarded_from: Option<String>,
    /// The Ministry's contacts, with the number to call now.
    pub calls: Vec<Call>,
    /// Government offices are open now (otherwise night numbers are shown).
    pub office_hours: bool,
    /// Organisations the form names that the directory does not list: the last-resort
    /// contact is among `calls` for them.
    pub unmatched: Vec<String>,
    /// Whom to call when a desk cannot be reached (「上記の緊急窓口連絡がつかない場合」), office
    /// hours or not: the directory's last-resort contact, with its day and night numbers.
    pub last_resort: Option<Contact>,
}

/// A prime contractor a subcontractor calls first, with the desk it keeps for urgent
/// calls (`None` when it has recorded none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimeDesk {
    /// The prime contractor.
    pub organisation: String,
    /// Its desk.
    pub desk: Option<Contact>,
    /// The number to call now: the night number outside office hours where it has one.
    pub number: Option<String>,
}

impl App {
    /// Whom to call for a case the caller may read; `None` when its procedure does not ask
    /// for a call first.
    pub async fn call_plan(&self, caller: &Caller, id: Uuid) -> Result<Option<CallPlan>, AppError> {
        let view = self.case(caller, id).await?;
        self.plan_for(caller, &view).await
    }

    /// [`App::call_plan`] for a case already read, as `caller` is to act on it.
    pub async fn plan_for(
        &self,
        caller: &Caller,
        view: &CaseView,
    ) -> Result<Option<CallPlan>, AppError> {
        if view.procedure().phone_first.is_none() {
            return Ok(None);
        }
        // The contracts that count are those of the organisation holding the report now
        // (the prime that forwarded it, for a subcontractor's) …
        let routing = Routing::parse(&view.row.routing);
        let mut holder = routing.holder(view.row.organisation_id);
        let mut facts = self.case_facts(&self.db, holder).await?;
        let mut forwarded_from = None;
        // … and a prime reading the report its subcontractor sent it calls as the one who
        // forwards it next, not as the subcontractor did.
        let at = caller.actor.organisation;
        if at != holder && facts.primes.contains(&at) {
            forwarded_from = Some(orgs::get(&self.db, holder).await?.name);
            holder = at;
            facts = self.case_facts(&self.db, holder).await?;
        }
        let plan = self
            .plan(
                &view.library,
                view.procedure(),
                &facts,
                routing.last_resort,
                &view.data,
            )
            .await?;
        Ok(plan.map(|p| CallPlan {
            forwarded_from,
            ..p
        }))
    }

    /// Whom a new form of `procedure` for `organisation` has the reporter call, from what
    /// it holds before anything is typed (the contracts the organisation keeps): shown
    /// before the first save.
    pub async fn plan_for_form(
        &self,
        lib: &Library,
        procedure: &str,
        organisation: Uuid,
        data: &serde_json::Map<String, Value>,
    ) -> Result<Option<CallPlan>, AppError> {
        let Some(procedure) = lib.procedures.get(procedure) else {
            return Ok(None);
        };
        if procedure.phone_first.is_none() {
            return Ok(None);
        }
        let facts = self.case_facts(&self.db, organisation).await?;
        self.plan(lib, procedure, &facts, false, data).await
    }

    async fn plan(
        &self,
        lib: &Library,
        procedure: &Procedure,
        facts: &CaseFacts,
        last_resort: bool,
        data: &serde_json::Map<String, Value>,
    ) -> Result<Option<CallPlan>, AppError> {
        let Some(pf) = &procedure.phone_first else {
            return Ok(None);
        };
        let Some(directory) = lib.registers.get(&pf.directory.value) else {
            return Ok(None);
        };
        // A contracting organisation keeps its corrections in its own register or one
        // above it: those are the rows that count, never a row any other company keeps.
        let mut keepers = Vec::new();
        for org in &facts.contracting {
            for a in orgs::ancestors(&self.db, *org).await? {
                if !keepers.contains(&a) {
                    keepers.push(a);
                }
            }
        }
        let named = named_organisations(pf, data);
        let mut entries = Vec::new();
        let mut unmatched = Vec::new();
        for name in &named {
            let filed = filed_under(directory, name);
            match self.entry(lib.id(), directory, &keepers, &filed).await? {
                Some(c) => entries.push(c),
                None => unmatched.push(name.clone()),
            }
        }
        let fallback = self.fallback(lib.id(), directory, &keepers).await?;
        let office_hours = in_office_hours(&self.local_now());
        let names: Vec<&str> = entries.iter().map(|c| c.organisation.as_str()).collect();
        let mut with_missing = names.clone();
        if !unmatched.is_empty() || last_resort {
            // Not a directory name: `route` then adds the last-resort contact.
            with_missing.push("");
        }
        let calls = incident::route(&entries, fallback.as_ref(), &with_missing, office_hours);
        let desks = orgs::desks(&self.db, &facts.primes).await?;
        let mut primes = Vec::new();
        for p in &facts.primes {
            let organisation = orgs::get(&self.db, *p).await?.name;
            let desk = desks
                .iter()
                .find(|d| d.organisation_id == *p)
                .map(|d| Contact {
                    organisation: organisation.clone(),
                    desk: d.name.clone(),
                    phone: d.phone.clone(),
                    night_phone: d.night_phone.clone(),
                });
            let number = desk.as_ref().map(|d| match (&d.night_phone, office_hours) {
                (Some(night), false) => night.clone(),
                _ => d.phone.clone(),
            });
            primes.push(PrimeDesk {
                organisation,
                desk,
                number,
            });
        }
        Ok(Some(CallPlan {
            primes,
            forwarded_from: None,
            calls,
            office_hours,
            unmatched,
            last_resort: fallback,
        }))
    }

    /// The directory's entry for an organisation: a contracting organisation's own row,
    /// or the shipped one.
    async fn entry(
        &self,
        library: &str,
        directory: &Register,
        keepers: &[Uuid],
        name: &str,
    ) -> Result<Option<Contact>, AppError> {
        let key: Key = [("organisation".to_owned(), condition::normalise(name))].into();
        if let Some(row) = registers::find(
            &self.db,
            library,
            directory.id.value.as_str(),
            keepers,
            &key_text(&key),
        )
        .await?
        {
            let data: serde_json::Map<String, Value> =
                serde_json::from_str(&row.data).unwrap_or_default();
            return Ok(contact(&data));
        }
        Ok(directory.shipped_row(&key).and_then(contact))
    }

    /// The last-resort contact: the shipped row marked `fallback`, as corrected.
    async fn fallback(
        &self,
        library: &str,
        directory: &Register,
        keepers: &[Uuid],
    ) -> Result<Option<Contact>, AppError> {
        let Some(shipped) = directory
            .rows
            .iter()
            .find(|r| r.value.get("fallback") == Some(&Value::Bool(true)))
        else {
            return Ok(None);
        };
        let name = shipped
            .value
            .get("organisation")
            .and_then(Value::as_str)
            .unwrap_or_default();
        self.entry(library, directory, keepers, name).await
    }
}

fn contact(row: &serde_json::Map<String, Value>) -> Option<Contact> {
    let text = |k: &str| {
        row.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Some(Contact {
        organisation: text("organisation")?,
        desk: text("desk").unwrap_or_default(),
        // A contact without a telephone cannot be called: the directory refuses one, and
        // a row that lost it is treated as missing so that the last resort is shown.
        phone: text("phone")?,
        night_phone: text("night_phone"),
    })
}

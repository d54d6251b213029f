//! The roll-up of the organisations that report to a body (relation `reports_to`, once the
//! body accepted it): a prefecture sees, per municipality, how many of the running round's
//! targets have done each procedure the libraries report up, the fiscal year's score of each
//! catalog they report up, and the open cases reported to it — counts, never the cases,
//! rows or people behind them.

use std::collections::HashMap;

use jiff::Timestamp;
use uuid::Uuid;

use mamori_domain::policy::{self, Permission};
use mamori_domain::recurrence::{Every, Round};
use mamori_library::Text;
use mamori_storage::organisations as orgs;
use mamori_storage::rollup;
use mamori_storage::types::{Day, Ts};

use crate::{App, AppError, Caller};

/// A procedure whose running round is reported up.
#[derive(Debug, Clone)]
pub struct RolledRound {
    pub library: String,
    pub procedure: String,
    pub title: Text,
    /// The round running today.
    pub round: Round,
}

/// A catalog whose scores are reported up.
#[derive(Debug, Clone)]
pub struct RolledCatalog {
    pub library: String,
    pub catalog: String,
    pub title: Text,
}

/// How many of a round's targets have done it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Done {
    pub done: i64,
    pub total: i64,
}

/// The assessments of a catalog submitted in the fiscal year, and their score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Score {
    pub submitted: i64,
    /// The share of the weight scored that passed, in percent; `None` before any is scored.
    pub percent: Option<u32>,
}

/// One reporting organisation.
#[derive(Debug, Clone)]
pub struct RollupLine {
    pub organisation: Uuid,
    pub name: String,
    /// In the order of [`Rollup::rounds`].
    pub rounds: Vec<Done>,
    /// In the order of [`Rollup::catalogs`].
    pub scores: Vec<Score>,
    /// Open cases reported up.
    pub reported_open: i64,
    /// When the earliest of them was reported.
    pub earliest_reported: Option<Timestamp>,
}

/// What a body sees of those reporting to it.
#[derive(Debug, Clone)]
pub struct Rollup {
    pub organisation: Uuid,
    pub name: String,
    /// The fiscal year the scores are of (today's).
    pub fiscal_year: Round,
    pub rounds: Vec<RolledRound>,
    pub catalogs: Vec<RolledCatalog>,
    /// By name.
    pub lines: Vec<RollupLine>,
}

impl App {
    /// The roll-up of the organisations reporting to `organisation`, for a caller who reads
    /// its cases (its members, administrators and auditors).
    pub async fn rollup(&self, caller: &Caller, organisation: Uuid) -> Result<Rollup, AppError> {
        let facts = orgs::ancestry(&self.db, organisation).await?;
        if !policy::allows(&caller.actor, Permission::ViewCases, &facts) {
            return self
                .deny(
                    caller,
                    "rollup.read",
                    Some(organisation),
                    "organisation",
                    Some(organisation.to_string()),
                )
                .await;
        }
        let body = orgs::get(&self.db, organisation).await?;
        let today = self.today().0;
        let fiscal_year = Every::FiscalYear.round_of(today);
        let (rounds, catalogs) = self.reported_up(today);

        let mut lines: Vec<RollupLine> = orgs::incoming(&self.db, organisation, "reports_to")
            .await?
            .into_iter()
            .map(|(id, name)| RollupLine {
                organisation: id,
                name,
                rounds: vec![Done::default(); rounds.len()],
                scores: vec![Score::default(); catalogs.len()],
                reported_open: 0,
                earliest_reported: None,
            })
            .collect();
        let at: HashMap<Uuid, usize> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| (l.organisation, i))
            .collect();

        for (k, r) in rounds.iter().enumerate() {
            let counts = rollup::rounds(
                &self.db,
                organisation,
                &r.library,
                &r.procedure,
                Day(r.round.starts_on),
            )
            .await?;
            for c in counts {
                if let Some(&i) = at.get(&c.organisation_id) {
                    lines[i].rounds[k] = Done {
                        done: c.done,
                        total: c.total,
                    };
                }
            }
        }
        let from = Ts(fiscal_year
            .starts_on
            .to_zoned(self.settings.zone.clone())
            .map_err(|e| AppError::Internal(e.to_string()))?
            .timestamp());
        let until = Ts(fiscal_year.due_at(&self.settings.zone));
        for (k, c) in catalogs.iter().enumerate() {
            let sums =
                rollup::scores(&self.db, organisation, &c.library, &c.catalog, from, until).await?;
            for s in sums {
                if let Some(&i) = at.get(&s.organisation_id) {
                    lines[i].scores[k] = Score {
                        submitted: s.submitted,
                        percent: crate::assessments::score(s.pass_weight, s.scored_weight),
                    };
                }
            }
        }
        for r in rollup::reported(&self.db, organisation).await? {
            if let Some(&i) = at.get(&r.organisation_id) {
                lines[i].reported_open = r.open;
                lines[i].earliest_reported = r.earliest.map(|t| t.0);
            }
        }
        Ok(Rollup {
            organisation,
            name: body.name,
            fiscal_year,
            rounds,
            catalogs,
            lines,
        })
    }

    /// The procedures and catalogs the libraries in use report up, with today's round.
    fn reported_up(&self, today: jiff::civil::Date) -> (Vec<RolledRound>, Vec<RolledCatalog>) {
        let mut rounds = Vec::new();
        let mut catalogs = Vec::new();
        for lib in self.libraries.current() {
            for (pid, p) in &lib.procedures {
                let Some(every) = p.recurs.as_ref().and_then(|r| r.every().ok()) else {
                    continue;
                };
                if p.reports_up {
                    rounds.push(RolledRound {
                        library: lib.id().to_owned(),
                        procedure: pid.clone(),
                        title: p.title.clone(),
                        round: every.round_of(today),
                    });
                }
            }
            for (cid, c) in &lib.catalogs {
                if c.reports_up {
                    catalogs.push(RolledCatalog {
                        library: lib.id().to_owned(),
                        catalog: cid.clone(),
                        title: c.title.clone(),
                    });
                }
            }
        }
        (rounds, catalogs)
    }
}

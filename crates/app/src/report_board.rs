//! The board of open reports (procedures that call first, `phone_first`): by contracting
//! organisation, how long ago each incident was detected and how long the first report
//! took, for the Ministry's contacts and the companies' reporters alike.

use std::collections::BTreeMap;

use jiff::civil::DateTime;
use serde_json::Value;
use uuid::Uuid;

use mamori_domain::policy::{self, Permission};
use mamori_library::model::{Library, Procedure};
use mamori_storage::PageRequest;
use mamori_storage::cases::{self, CaseFilter, CaseRow};

use crate::{App, AppError, Caller};

/// One open report.
#[derive(Debug, Clone)]
pub struct ReportLine {
    /// The case.
    pub id: Uuid,
    /// Its title (the company).
    pub title: String,
    /// The reporting organisation.
    pub organisation: String,
    /// The state's name, in Japanese.
    pub state: String,
    /// When the incident was detected (the deadlines' `from` field), as typed.
    pub detected: Option<DateTime>,
    /// Minutes from detection to the first report (the draft sent on), once sent.
    pub minutes_to_report: Option<i64>,
    /// Minutes since detection, now.
    pub minutes_since: Option<i64>,
    /// Its deadline has passed.
    pub overdue: bool,
}

/// The reports naming one contracting organisation.
#[derive(Debug, Clone)]
pub struct ReportGroup {
    /// The contracting organisation as the form names it; empty when none is named.
    pub organisation: String,
    /// Open reports, the most recently detected first.
    pub lines: Vec<ReportLine>,
    /// Of them, how many were sent on.
    pub reported: usize,
    /// The median minutes from detection to the first report, over those sent on.
    pub median_minutes_to_report: Option<i64>,
}

impl App {
    /// Open reports the caller may read, grouped by the contracting organisations they
    /// name: those of organisations the caller reads by office, and those the caller acted
    /// in or is waited on for (a Ministry contact, a prime's desk).
    pub async fn report_board(&self, caller: &Caller) -> Result<Vec<ReportGroup>, AppError> {
        let now = self.local_now();
        let mut groups: BTreeMap<String, Vec<ReportLine>> = BTreeMap::new();
        for lib in self.libraries.current() {
            for (pid, procedure) in &lib.procedures {
                let Some(pf) = &procedure.phone_first else {
                    continue;
                };
                let rows = self.open_cases_of(caller, lib, pid).await?;
                let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
                let sent: BTreeMap<Uuid, jiff::Timestamp> =
                    cases::first_left(&self.db, &ids, &procedure.initial_state().id.value)
                        .await?
                        .into_iter()
                        .map(|(id, ts)| (id, ts.0))
                        .collect();
                for row in rows {
                    let data: serde_json::Map<String, Value> =
                        serde_json::from_str(&row.data).unwrap_or_default();
                    let detected = detection(procedure, &data);
                    let minutes = |later: DateTime| {
                        detected.and_then(|d| {
                            (later - d)
                                .total(jiff::Unit::Minute)
                                .ok()
                                .map(|m| m.floor() as i64)
                        })
                    };
                    let line = ReportLine {
                        id: row.id,
                        title: row.title.clone(),
                        organisation: row.organisation_name.clone(),
                        state: procedure
                            .state(&row.state)
                            .map_or(row.state.clone(), |s| s.name.ja.clone()),
                        detected,
                        minutes_to_report: sent.get(&row.id).and_then(|ts| {
                            minutes(ts.to_zoned(now.time_zone().clone()).datetime())
                        }),
                        minutes_since: minutes(now.datetime()),
                        overdue: row.due_at.is_some_and(|d| d.0 <= now.timestamp()),
                    };
                    let mut named = crate::routing::named_organisations(pf, &data);
                    if named.is_empty() {
                        named.push(String::new());
                    }
                    for org in named {
                        groups.entry(org).or_default().push(line.clone());
                    }
                }
            }
        }
        Ok(groups
            .into_iter()
            .map(|(organisation, mut lines)| {
                lines.sort_by_key(|l| std::cmp::Reverse(l.detected));
                let mut taken: Vec<i64> =
                    lines.iter().filter_map(|l| l.minutes_to_report).collect();
                taken.sort_unstable();
                ReportGroup {
                    organisation,
                    reported: taken.len(),
                    median_minutes_to_report: median(&taken),
                    lines,
                }
            })
            .collect())
    }

    /// The open cases of a procedure the caller reads by office or takes part in.
    async fn open_cases_of(
        &self,
        caller: &Caller,
        lib: &Library,
        procedure: &str,
    ) -> Result<Vec<CaseRow>, AppError> {
        let filter = CaseFilter {
            procedure: Some((lib.id().to_owned(), procedure.to_owned())),
            open: Some(true),
            reader: Some((caller.actor.person, self.today())),
            ..CaseFilter::default()
        };
        let page = PageRequest {
            limit: 500,
            offset: 0,
        };
        let scope = policy::scope(&caller.actor, Permission::ViewCases, &[]);
        let mut rows = cases::list(&self.db, &scope, &filter, page).await?.items;
        for row in
            cases::involving(&self.db, caller.actor.person, self.today(), &filter, page).await?
        {
            if !rows.iter().any(|r| r.id == row.id) {
                rows.push(row);
            }
        }
        Ok(rows)
    }
}

/// The date-time the procedure's deadlines count from, as the case holds it.
fn detection(procedure: &Procedure, data: &serde_json::Map<String, Value>) -> Option<DateTime> {
    data.get(procedure.clock_field()?)?.as_str()?.parse().ok()
}

/// The median of sorted values (the lower middle of an even count).
fn median(sorted: &[i64]) -> Option<i64> {
    (!sorted.is_empty()).then(|| sorted[(sorted.len() - 1) / 2])
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn the_median_is_the_middle_value() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[7]), Some(7));
        assert_eq!(median(&[3, 9, 40]), Some(9));
        assert_eq!(median(&[3, 9, 12, 40]), Some(9));
    }
}

//! Recurring procedures (`recurs`): the scheduler opens the case of each target of the
//! round that is running (an organisation, a holder of a role, a register row), reminds
//! before the round ends and says when it is overdue; the compliance board shows who has
//! done it.
//!
//! Every step is claimed in the transaction that does it (the round's key when its case is
//! inserted, the notice's column when it is sent), so several servers may tick at once and
//! each case is opened, and each notice sent, once.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use jiff::civil::Date;
use mamori_domain::deadline::remind_at;
use mamori_domain::policy::{self, Permission};
use mamori_domain::recurrence::Round;
use mamori_library::Library;
use mamori_library::form::Data;
use mamori_library::model::{PrefillSource, Procedure, RecurTarget, Recurrence, reminder_span};
use mamori_storage::cases::{self, NewCaseEvent};
use mamori_storage::rounds::{self, BoardRow, DueRound, NewRound, Notice, RoundOf};
use mamori_storage::types::Day;
use mamori_storage::{Ts, designations, organisations, persons, registers, row_designations};
use uuid::Uuid;

use crate::cases::Opener;
use crate::{App, AppError, Caller, Event};

/// How many notices of each kind one tick sends at most; the rest wait for the next tick.
const BATCH: i64 = 200;

/// Whom one case of a round is for.
#[derive(Debug, Clone)]
struct Target {
    /// The round's key for it: the organisation's id, `person@organisation`, or the row's id.
    key: String,
    organisation: Uuid,
    /// The holder the case is opened for.
    person: Uuid,
    row: Option<(Uuid, String)>,
    /// What the case starts with: a row's class, which a case about it inherits.
    starting: Data,
}

/// A round's case starts as its holder would have started it: the fields the procedure fills
/// from the person or the organisation opening it take the holder's name and the name of
/// the organisation it is for (a yearly training record names whose it is).
async fn prefill_as_holder(
    tx: &mut mamori_storage::Tx,
    procedure: &Procedure,
    target: &Target,
    starting: &mut Data,
) -> Result<(), AppError> {
    for pre in &procedure.prefill {
        let name = match pre.from {
            PrefillSource::Person => persons::get(&mut *tx, target.person).await?.name,
            PrefillSource::Organisation => {
                organisations::get(&mut *tx, target.organisation)
                    .await?
                    .name
            }
            PrefillSource::Register | PrefillSource::Table => continue,
        };
        starting
            .entry(pre.field.value.clone())
            .or_insert(serde_json::Value::String(name));
    }
    Ok(())
}

/// What a case opened for a register row starts with: the row's class, which a case about
/// it inherits, and — when the procedure is `about` rows of that register — the fields its
/// key reads, so that the case finds its row (and whoever holds a role for it).
fn starting_for_row(lib: &Library, procedure: &Procedure, register: &str, row: &str) -> Data {
    let data: Data = serde_json::from_str(row).unwrap_or_default();
    let mut starting = Data::new();
    lib.put_class(&lib.class_of(&data), &mut starting);
    if let Some(about) = procedure
        .about
        .as_ref()
        .filter(|a| a.register.value == register)
    {
        for (column, expr) in &about.key {
            if let (Some(field), Some(value)) = (expr.strip_prefix('$'), data.get(column)) {
                starting.insert(field.to_owned(), value.clone());
            }
        }
    }
    starting
}

/// Where a target stands in a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    /// The round ended and the case is still open.
    Overdue,
    /// The case is open and the round is running.
    Open,
    /// The case reached its end.
    Done,
}

impl std::str::FromStr for Standing {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "overdue" => Ok(Standing::Overdue),
            "open" => Ok(Standing::Open),
            "done" => Ok(Standing::Done),
            _ => Err(()),
        }
    }
}

impl Standing {
    /// Its name in the API: `overdue`, `open`, `done`.
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Overdue => "overdue",
            Standing::Open => "open",
            Standing::Done => "done",
        }
    }

    /// Its name on the board.
    pub fn label(self, lang: &str) -> &'static str {
        match (self, lang) {
            (Standing::Overdue, "en") => "Overdue",
            (Standing::Open, "en") => "Not done yet",
            (Standing::Done, "en") => "Done",
            (Standing::Overdue, _) => "期限超過",
            (Standing::Open, _) => "未実施",
            (Standing::Done, _) => "実施済み",
        }
    }
}

/// How many targets stand where.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub done: usize,
    pub open: usize,
    pub overdue: usize,
}

impl Tally {
    fn add(&mut self, s: Standing) {
        match s {
            Standing::Done => self.done += 1,
            Standing::Open => self.open += 1,
            Standing::Overdue => self.overdue += 1,
        }
    }

    /// Targets in all.
    pub fn total(&self) -> usize {
        self.done + self.open + self.overdue
    }
}

/// A recurring procedure the caller may see the board of.
#[derive(Debug, Clone)]
pub struct Obligation {
    pub library: String,
    pub procedure: String,
    pub title: mamori_library::Text,
    /// How often, as the library says it (`fiscal year`, `6 months`).
    pub every: String,
    /// Whom each round is for.
    pub for_each: RecurTarget,
    /// The round running today.
    pub round: Round,
    /// Where the targets of that round stand, in the caller's organisations.
    pub tally: Tally,
}

/// One target of a round on the board.
#[derive(Debug, Clone)]
pub struct BoardLine {
    pub organisation_id: Uuid,
    pub organisation: String,
    /// The holder it was opened for.
    pub person: String,
    /// The register row's key, for a round per row.
    pub row: Option<String>,
    pub case_id: Uuid,
    pub case_number: String,
    /// The case's state, named in Japanese and English.
    pub state: mamori_library::Text,
    pub standing: Standing,
    /// The day its case reached its end, in the installation's zone.
    pub done_on: Option<Date>,
}

/// Which round of a board, and which of its lines.
#[derive(Debug, Clone, Copy, Default)]
pub struct BoardQuery {
    /// A day in the round; today when not given.
    pub on: Option<Date>,
    /// Only this organisation and those below it.
    pub within: Option<Uuid>,
    /// Only the lines standing so (the tally still counts them all).
    pub standing: Option<Standing>,
}

/// The compliance board of one round of one recurring procedure.
#[derive(Debug, Clone)]
pub struct Board {
    pub obligation: Obligation,
    /// The round shown.
    pub round: Round,
    /// The rounds that have cases, latest first (to choose another).
    pub rounds: Vec<Round>,
    /// Its targets in the caller's organisations (below `within`), overdue first.
    pub lines: Vec<BoardLine>,
    pub tally: Tally,
}

/// How often, as the library writes it (`fiscal year`, `6 months`, or the days it starts on).
fn every_text(recurs: &Recurrence, every: &mamori_domain::recurrence::Every) -> String {
    recurs
        .every
        .as_ref()
        .map_or_else(|| every.to_string(), |e| e.value.clone())
}

/// A register row as people name it: its key columns' values as typed.
pub(crate) fn row_name(data: &str, key_columns: &[&str]) -> String {
    let data: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(data).unwrap_or_default();
    key_columns
        .iter()
        .filter_map(|k| match data.get(*k)? {
            serde_json::Value::String(s) => Some(s.trim().to_owned()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        })
        .collect::<Vec<_>>()
        .join(" ／ ")
}

impl App {
    /// Opens the cases of the rounds running today that are not open yet, for every
    /// recurring procedure of the libraries in use; returns how many it opened. A target
    /// that appears during a round (a role designated in June) gets its case at the next
    /// tick, for the round already running.
    pub async fn open_rounds(&self) -> Result<usize, AppError> {
        let today = self.today();
        let mut opened = 0;
        let libraries: Vec<Arc<Library>> = self.libraries.current().cloned().collect();
        for lib in &libraries {
            for (pid, procedure) in &lib.procedures {
                let Some(recurs) = &procedure.recurs else {
                    continue;
                };
                let Ok(every) = recurs.every() else {
                    continue;
                };
                let round = every.round_of(today.0);
                let of = RoundOf {
                    library: lib.id(),
                    procedure: pid,
                    starts_on: Day(round.starts_on),
                };
                let open: HashSet<String> =
                    rounds::targets(&self.db, of).await?.into_iter().collect();
                for target in self.targets(lib, procedure, recurs, today).await? {
                    if open.contains(&target.key) {
                        continue;
                    }
                    if self.open_round(lib, pid, recurs, &round, &target).await? {
                        opened += 1;
                    }
                }
            }
        }
        Ok(opened)
    }

    /// Whom a round is for today.
    async fn targets(
        &self,
        lib: &Library,
        procedure: &Procedure,
        recurs: &Recurrence,
        today: Day,
    ) -> Result<Vec<Target>, AppError> {
        let Some(role) = &recurs.role else {
            return Ok(vec![]);
        };
        let holders = designations::holders_everywhere(&self.db, &role.value, today).await?;
        // The longest-held holder of each organisation comes first.
        let mut first: BTreeMap<Uuid, Uuid> = BTreeMap::new();
        for (org, person) in &holders {
            first.entry(*org).or_insert(*person);
        }
        Ok(match recurs.for_each.value {
            RecurTarget::Organisation => first
                .into_iter()
                .map(|(organisation, person)| Target {
                    key: organisation.to_string(),
                    organisation,
                    person,
                    row: None,
                    starting: Data::new(),
                })
                .collect(),
            RecurTarget::Holder => {
                let mut seen = HashSet::new();
                holders
                    .into_iter()
                    .filter(|h| seen.insert(*h))
                    .map(|(organisation, person)| Target {
                        key: format!("{person}@{organisation}"),
                        organisation,
                        person,
                        row: None,
                        starting: Data::new(),
                    })
                    .collect()
            }
            RecurTarget::Row => {
                let Some(register) = &recurs.register else {
                    return Ok(vec![]);
                };
                let key_columns: Vec<&str> = lib
                    .registers
                    .get(&register.value)
                    .map(|r| r.key.iter().map(|k| k.value.as_str()).collect())
                    .unwrap_or_default();
                // A role held for each row (the system's manager) is that row's holder's;
                // otherwise the keeping organisation's holder's. A row with nobody to open
                // it for waits until someone is designated.
                let held_for_rows = lib
                    .registers
                    .get(&register.value)
                    .is_some_and(|r| r.roles.iter().any(|x| x.value == role.value));
                let mut row_holder: BTreeMap<Uuid, Uuid> = BTreeMap::new();
                if held_for_rows {
                    for (row, person) in row_designations::holders_of_rows(
                        &self.db,
                        lib.id(),
                        &register.value,
                        &role.value,
                        today,
                    )
                    .await?
                    {
                        row_holder.entry(row).or_insert(person);
                    }
                }
                registers::live(&self.db, lib.id(), &register.value)
                    .await?
                    .into_iter()
                    .filter_map(|row| {
                        let person = if held_for_rows {
                            *row_holder.get(&row.id)?
                        } else {
                            *first.get(&row.organisation_id)?
                        };
                        Some(Target {
                            key: row.id.to_string(),
                            organisation: row.organisation_id,
                            person,
                            row: Some((row.id, row_name(&row.data, &key_columns))),
                            starting: starting_for_row(lib, procedure, &register.value, &row.data),
                        })
                    })
                    .collect()
            }
        })
    }

    /// Opens one target's case of a round and tells its holder; false when another server
    /// opened it first.
    async fn open_round(
        &self,
        shipped: &Arc<Library>,
        procedure_id: &str,
        recurs: &Recurrence,
        round: &Round,
        target: &Target,
    ) -> Result<bool, AppError> {
        let mut tx = self.db.begin().await?;
        let mut facts = self.case_facts(&mut tx, target.organisation).await?;
        let lib = self.library_for(&mut tx, shipped, &facts.ancestors).await?;
        let procedure = &lib.procedures[procedure_id];
        self.about_row(&mut tx, &lib, procedure, &target.starting, &mut facts)
            .await?;
        let mut label = round.label();
        if let Some((_, key)) = &target.row {
            label = format!("{label} ／ {key}");
        }
        let mut starting = target.starting.clone();
        prefill_as_holder(&mut tx, procedure, target, &mut starting).await?;
        let case = self
            .insert_case(
                &mut tx,
                Opener::Round {
                    holder: target.person,
                    round: label.clone(),
                },
                &lib,
                procedure,
                target.organisation,
                starting,
                &facts,
            )
            .await?;
        let zone = &self.settings.zone;
        let due_at = round.due_at(zone);
        let remind = recurs
            .remind
            .as_ref()
            .and_then(|r| reminder_span(&r.value).ok())
            .map(|span| Ts(remind_at(due_at, span, zone)));
        let claimed = rounds::claim(
            &mut tx,
            &NewRound {
                of: RoundOf {
                    library: lib.id(),
                    procedure: procedure_id,
                    starts_on: Day(round.starts_on),
                },
                target: &target.key,
                ends_on: Day(round.ends_on),
                organisation: target.organisation,
                person: target.person,
                row: target.row.as_ref().map(|(id, _)| *id),
                case,
                now: self.now(),
                remind_at: remind,
                due_at: Ts(due_at),
            },
        )
        .await?;
        if !claimed {
            // Another server opened this round's case meanwhile: ours is never stored.
            drop(tx);
            return Ok(false);
        }
        // A procedure with deadlines of its own shows those; otherwise the round's end is
        // the case's deadline in the inbox.
        if procedure.deadlines.is_empty() {
            cases::set_due(&mut tx, case, Some(Ts(due_at))).await?;
        }
        let title = procedure.title.clone();
        let when = self.due_label(due_at);
        self.tell(
            &mut tx,
            vec![target.person],
            Some(case),
            &format!("{}（{label}）を始めてください（{when}まで）", title.ja),
            &format!(
                "{} ({label}) is now open for you (due {when})",
                title.get("en")
            ),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Sends the reminders and overdue notices of rounds whose time has come and whose
    /// case is still open; returns how many it sent.
    pub async fn send_round_notices(&self) -> Result<usize, AppError> {
        let mut sent = 0;
        for notice in [Notice::Remind, Notice::Overdue] {
            for round in rounds::due(&self.db, notice, self.now(), BATCH).await? {
                if self.send_round_notice(&round, notice).await? {
                    sent += 1;
                }
            }
        }
        Ok(sent)
    }

    async fn send_round_notice(&self, round: &DueRound, notice: Notice) -> Result<bool, AppError> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !rounds::claim_notice(&mut tx, round, notice, now).await? {
            return Ok(false);
        }
        let row = cases::get(&mut tx, round.case_id).await?;
        if row.closed_at.is_some() {
            // Done since it was listed: the claim settles the notice, nobody is told.
            tx.commit().await?;
            return Ok(false);
        }
        let mut people = cases::waiting_people(&mut tx, row.id, self.today()).await?;
        people.push(round.person_id);
        let when = self.due_label(
            Round {
                starts_on: round.starts_on.0,
                ends_on: round.ends_on.0,
            }
            .due_at(&self.settings.zone),
        );
        let (ja, en, action) = match notice {
            Notice::Remind => (
                format!("{}: 期限（{when}）が近づいています", row.title),
                format!("{}: due soon (by {when})", row.title),
                "round.remind",
            ),
            Notice::Overdue => (
                format!("{}: 期限（{when}）を過ぎました", row.title),
                format!("{}: overdue (was due {when})", row.title),
                "round.overdue",
            ),
        };
        self.tell(&mut tx, people, Some(row.id), &ja, &en, now)
            .await?;
        cases::append_event(
            &mut tx,
            row.id,
            &NewCaseEvent {
                actor: None,
                action,
                from_state: Some(&row.state),
                to_state: Some(&row.state),
                comment: "",
                data: &serde_json::json!({ "due": when }).to_string(),
                detail: "{}",
                now,
            },
        )
        .await?;
        self.record(
            &mut tx,
            None,
            None,
            Event {
                action,
                organisation: Some(row.organisation_id),
                target_kind: "case",
                target_id: Some(row.id.to_string()),
                outcome: mamori_domain::audit::Outcome::Success,
                detail: serde_json::json!({ "round": round.starts_on.0.to_string(), "due": when }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The recurring procedures of the libraries in use, with where the targets of today's
    /// round stand in the organisations the caller reads cases of.
    pub async fn obligations(&self, caller: &Caller) -> Result<Vec<Obligation>, AppError> {
        let scope = policy::scope(&caller.actor, Permission::ViewCases, &[]);
        let today = self.today().0;
        let mut out = Vec::new();
        for lib in self.libraries.current() {
            for (pid, procedure) in &lib.procedures {
                let Some(recurs) = &procedure.recurs else {
                    continue;
                };
                let Ok(every) = recurs.every() else {
                    continue;
                };
                let round = every.round_of(today);
                // Counted in the database: the list does not read every line of every board.
                let of = RoundOf {
                    library: lib.id(),
                    procedure: pid,
                    starts_on: Day(round.starts_on),
                };
                let (done, open, overdue) = rounds::tally(&self.db, of, &scope, self.now()).await?;
                let count = |n: i64| usize::try_from(n).unwrap_or(0);
                out.push(Obligation {
                    library: lib.id().to_owned(),
                    procedure: pid.to_owned(),
                    title: procedure.title.clone(),
                    every: every_text(recurs, &every),
                    for_each: recurs.for_each.value,
                    round,
                    tally: Tally {
                        done: count(done),
                        open: count(open),
                        overdue: count(overdue),
                    },
                });
            }
        }
        Ok(out)
    }

    /// The compliance board of one recurring procedure: the round running on `on` (today
    /// when not given), in the caller's organisations below `within` when given.
    pub async fn compliance_board(
        &self,
        caller: &Caller,
        procedure: &str,
        query: BoardQuery,
    ) -> Result<Board, AppError> {
        let (lib, pid) = self
            .libraries
            .procedure(procedure)
            .ok_or(AppError::NotFound)?;
        let p = &lib.procedures[&pid];
        let on = (query.on.unwrap_or(self.today().0), query.within);
        let Some((mut obligation, mut lines)) =
            self.obligation(caller, &lib, &pid, p, Some(on)).await?
        else {
            return Err(AppError::NotFound);
        };
        let every = p
            .recurs
            .as_ref()
            .and_then(|r| r.every().ok())
            .ok_or(AppError::NotFound)?;
        let mut tally = Tally::default();
        for l in &lines {
            tally.add(l.standing);
        }
        obligation.tally = tally;
        if let Some(standing) = query.standing {
            lines.retain(|l| l.standing == standing);
        }
        let rounds = rounds::rounds_of(&self.db, lib.id(), &pid)
            .await?
            .into_iter()
            .map(|(s, _)| every.round_of(s.0))
            .collect();
        Ok(Board {
            round: obligation.round,
            obligation,
            rounds,
            lines,
            tally,
        })
    }

    /// One recurring procedure's round and its lines in the caller's organisations.
    async fn obligation(
        &self,
        caller: &Caller,
        lib: &Library,
        pid: &str,
        procedure: &Procedure,
        on: Option<(Date, Option<Uuid>)>,
    ) -> Result<Option<(Obligation, Vec<BoardLine>)>, AppError> {
        let Some(recurs) = &procedure.recurs else {
            return Ok(None);
        };
        let Ok(every) = recurs.every() else {
            return Ok(None);
        };
        let (day, within) = on.unwrap_or((self.today().0, None));
        let round = every.round_of(day);
        let scope = policy::scope(&caller.actor, Permission::ViewCases, &[]);
        let of = RoundOf {
            library: lib.id(),
            procedure: pid,
            starts_on: Day(round.starts_on),
        };
        let rows = rounds::board(&self.db, of, &scope, within).await?;
        let now = self.now();
        let key_columns: Vec<&str> = recurs
            .register
            .as_ref()
            .and_then(|r| lib.registers.get(&r.value))
            .map(|r| r.key.iter().map(|k| k.value.as_str()).collect())
            .unwrap_or_default();
        let mut lines: Vec<BoardLine> = rows
            .into_iter()
            .map(|r| self.line(procedure, &key_columns, r, now))
            .collect();
        lines.sort_by(|a, b| {
            a.standing
                .cmp(&b.standing)
                .then_with(|| a.organisation.cmp(&b.organisation))
        });
        let mut tally = Tally::default();
        for l in &lines {
            tally.add(l.standing);
        }
        Ok(Some((
            Obligation {
                library: lib.id().to_owned(),
                procedure: pid.to_owned(),
                title: procedure.title.clone(),
                every: every_text(recurs, &every),
                for_each: recurs.for_each.value,
                round,
                tally,
            },
            lines,
        )))
    }

    fn line(&self, procedure: &Procedure, key_columns: &[&str], r: BoardRow, now: Ts) -> BoardLine {
        let standing = if r.closed_at.is_some() {
            Standing::Done
        } else if r.due_at <= now {
            Standing::Overdue
        } else {
            Standing::Open
        };
        BoardLine {
            organisation_id: r.organisation_id,
            organisation: r.organisation_name,
            person: r.person_name,
            row: r.row_data.map(|d| row_name(&d, key_columns)),
            case_id: r.case_id,
            case_number: r.case_number.unwrap_or_default(),
            state: procedure.state(&r.state).map_or_else(
                || mamori_library::Text {
                    ja: r.state.clone(),
                    en: None,
                },
                |s| s.name.clone(),
            ),
            standing,
            done_on: r
                .closed_at
                .map(|t| t.0.to_zoned(self.settings.zone.clone()).date()),
        }
    }
}

impl App {
    /// The board as an Excel workbook (実施状況一覧), one row per target; recorded in the
    /// audit trail like every export.
    pub async fn export_compliance_board(
        &self,
        caller: &Caller,
        procedure: &str,
        query: BoardQuery,
    ) -> Result<crate::RenderedDocument, AppError> {
        use mamori_sheets::{Column, Table};
        let board = self.compliance_board(caller, procedure, query).await?;
        let column = |id: &str, label: &str, width: f64| Column {
            id: id.into(),
            label: label.into(),
            width,
        };
        let ob = &board.obligation;
        let table = Table {
            sheet: "実施状況".into(),
            meta: vec![
                ("library".into(), ob.library.clone()),
                ("procedure".into(), ob.procedure.clone()),
                ("round".into(), board.round.label()),
                ("starts_on".into(), board.round.starts_on.to_string()),
                ("ends_on".into(), board.round.ends_on.to_string()),
            ],
            columns: vec![
                column("organisation", "組織", 30.0),
                column("person", "担当者", 18.0),
                column("row", "対象", 24.0),
                column("standing", "実施状況", 10.0),
                column("state", "状態", 16.0),
                column("done_on", "実施日", 12.0),
                column("case", "案件番号", 12.0),
            ],
            rows: board
                .lines
                .iter()
                .map(|l| {
                    vec![
                        l.organisation.clone(),
                        l.person.clone(),
                        l.row.clone().unwrap_or_default(),
                        l.standing.label("ja").to_owned(),
                        l.state.ja.clone(),
                        l.done_on.map(|d| d.to_string()).unwrap_or_default(),
                        l.case_number.clone(),
                    ]
                })
                .collect(),
        };
        let body =
            mamori_sheets::write_book(&[table]).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut tx = self.db.begin().await?;
        self.record_done(
            &mut tx,
            caller,
            "rounds.export",
            caller.actor.organisation,
            ("procedure", format!("{}/{}", ob.library, ob.procedure)),
            serde_json::json!({ "round": board.round.starts_on.to_string(), "rows": board.lines.len(), "within": query.within, "standing": query.standing.map(Standing::as_str) }),
        )
        .await?;
        tx.commit().await?;
        Ok(crate::RenderedDocument {
            file_name: format!("{}-{}.xlsx", ob.procedure, board.round.starts_on),
            download_name: Some(format!(
                "実施状況_{}_{}.xlsx",
                ob.title.ja,
                board.round.label()
            )),
            content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            body,
        })
    }
}

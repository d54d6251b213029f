//! A site joining the Defense Security Gateway (seed 000): who may apply ([`Eligibility`]),
//! the seven steps planned on the days government offices are open from the day the
//! application is submitted ([`plan`]), and the schedule of a site as its case records it
//! ([`schedule`]). Where a software request goes is data: the branches of `mod-dsg`'s
//! `software` procedure.
//!
//! The notice gives two constraints and no durations: the whole takes about five months,
//! and the steps from the line works (④) to the final verification (⑦) are planned inside
//! one calendar month. The durations are therefore mamori's own figures, chosen to fit
//! those two ([`Durations::default`]); [`plan`] places the steps one after another and
//! moves the month's block to the first business day of the next month when it would not
//! fit in the rest of the current one. A mobile router needs no survey (③) and no line works (④).

use jiff::civil::Date;

use crate::calendar::{add_business_days, is_business_day};

/// The seven steps, numbered as in the notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// ① The application (加入申請), reviewed by ATLA.
    Application,
    /// ② The self-inspection (自己点検) and ATLA's result notice.
    SelfInspection,
    /// ③ The site survey for the line (現場調査).
    Survey,
    /// ④ The line works (回線敷設工事).
    LineWorks,
    /// ⑤ The router's installation (通信ルータ設置).
    Router,
    /// ⑥ Terminal setup, vein-authentication registration and the connection test.
    Setup,
    /// ⑦ The final on-site verification (最終現地確認).
    FinalVerification,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 7] = [
        Step::Application,
        Step::SelfInspection,
        Step::Survey,
        Step::LineWorks,
        Step::Router,
        Step::Setup,
        Step::FinalVerification,
    ];

    /// The circled number of the notice.
    pub fn number(self) -> &'static str {
        ["①", "②", "③", "④", "⑤", "⑥", "⑦"][self as usize]
    }
}

/// How the site connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Router {
    /// A wired router installed by the works contractor after the survey and line works.
    Wired,
    /// A mobile router the company sets up itself: no survey, no line works.
    Mobile,
}

/// Business days each step takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Durations(pub [u32; 7]);

impl Durations {
    /// Business days of a step (at least one).
    pub fn of(&self, step: Step) -> u32 {
        self.0[step as usize].max(1)
    }
}

impl Default for Durations {
    /// About five months for a wired site: ten days of review, three months of
    /// self-inspection with its notice, two weeks of survey, and a month's block of works,
    /// setup and verification.
    fn default() -> Self {
        Durations([10, 60, 10, 5, 3, 5, 3])
    }
}

/// A step placed in time: its first and last business day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    /// The step.
    pub step: Step,
    /// Its first day.
    pub starts: Date,
    /// Its last day.
    pub ends: Date,
}

/// The steps a site goes through.
pub fn steps(router: Router) -> Vec<Step> {
    Step::ALL
        .into_iter()
        .filter(|s| router == Router::Wired || !matches!(s, Step::Survey | Step::LineWorks))
        .collect()
}

/// Plans every step from the day the application is submitted (its first business day on
/// or after `submitted`).
pub fn plan(submitted: Date, router: Router, d: &Durations) -> Vec<Planned> {
    replan(&[], first_business_day(submitted), router, d)
}

/// Plans again once steps are done: `done` keeps the steps already finished as they were
/// (with their actual days); the rest are placed from the business day after the last of
/// them, or from `from` when none is done.
pub fn replan(done: &[Planned], from: Date, router: Router, d: &Durations) -> Vec<Planned> {
    place(done, from, router, d, &[])
}

/// [`replan`], with the start days ATLA set for some steps: an adjusted step starts on its
/// day (the next business day if offices are closed), wherever the month's block would
/// have put it, and the steps after it follow from there.
fn place(
    done: &[Planned],
    from: Date,
    router: Router,
    d: &Durations,
    adjusted: &[(Step, Date)],
) -> Vec<Planned> {
    let mut out: Vec<Planned> = done.to_vec();
    let mut next = match done.last() {
        Some(last) => add_business_days(last.ends, 1),
        None => from,
    };
    let block_start = if router == Router::Wired {
        Step::LineWorks
    } else {
        Step::Router
    };
    for step in steps(router) {
        if done.iter().any(|p| p.step == step) {
            continue;
        }
        let set = adjusted
            .iter()
            .rev()
            .find(|(s, _)| *s == step)
            .map(|(_, d)| *d);
        if let Some(day) = set {
            next = first_business_day(day);
        } else if step == block_start {
            // The month's block starts where it can end within the same month.
            let block: u32 = steps(router)
                .into_iter()
                .filter(|s| *s >= block_start)
                .map(|s| d.of(s))
                .sum();
            let block_ends = add_business_days(next, block - 1);
            if (block_ends.year(), block_ends.month()) != (next.year(), next.month()) {
                next = first_business_day(first_of_next_month(next));
            }
        }
        let ends = add_business_days(next, d.of(step) - 1);
        out.push(Planned {
            step,
            starts: next,
            ends,
        });
        next = add_business_days(ends, 1);
    }
    out
}

/// `day` if offices are open then, else the next day they are.
fn first_business_day(day: Date) -> Date {
    if is_business_day(day) {
        day
    } else {
        add_business_days(day, 1)
    }
}

fn first_of_next_month(day: Date) -> Date {
    day.first_of_month()
        .checked_add(jiff::Span::new().months(1))
        .unwrap_or(day)
}

impl Step {
    /// Its number and name, as a schedule lists it: 「③ 現場調査」.
    pub fn title(self) -> String {
        format!("{} {}", self.number(), self.name())
    }

    /// Who carries the step out, and whether the company must attend (● in the notice).
    pub fn actor(self, router: Router) -> (&'static str, bool) {
        match (self, router) {
            (Step::Application | Step::SelfInspection, _) => ("加入希望企業", false),
            (Step::Survey | Step::LineWorks, _) => ("工事業者", true),
            (Step::Router, Router::Wired) => ("工事業者", true),
            (Step::Router, Router::Mobile) => ("加入希望企業", false),
            (Step::Setup, _) => ("加入希望企業・サービス提供事業者", true),
            (Step::FinalVerification, _) => ("防衛装備庁", true),
        }
    }
}

/// What has happened to a site so far, as its case records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The day the application was submitted (the schedule counts from it).
    pub submitted: Date,
    /// How the site connects.
    pub router: Router,
    /// Steps finished, in order, with the day each finished.
    pub done: Vec<(Step, Date)>,
    /// ATLA's adjustments, oldest first: the step, its new first day and why.
    pub adjustments: Vec<(Step, Date, String)>,
}

/// One line of a site's schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The step.
    pub step: Step,
    /// As first planned when the application was submitted.
    pub baseline: Planned,
    /// As planned now: the actual days of a finished step, the adjusted or pushed days of
    /// the rest.
    pub current: Planned,
    /// The day it finished.
    pub done_on: Option<Date>,
    /// Why ATLA moved it, when it did (the latest reason).
    pub reason: Option<String>,
    /// Behind: finished after its first plan, or not finished by the last day planned now.
    pub late: bool,
}

/// The schedule of a site on `today`: every step with its first plan, its plan now and
/// what was done.
pub fn schedule(p: &Progress, today: Date, d: &Durations) -> Vec<Line> {
    let baseline = plan(p.submitted, p.router, d);
    let mut done = Vec::new();
    let mut next = first_business_day(p.submitted);
    for (step, on) in &p.done {
        let starts = next.min(*on);
        done.push(Planned {
            step: *step,
            starts,
            ends: *on,
        });
        next = add_business_days(*on, 1);
    }
    let adjusted: Vec<(Step, Date)> = p.adjustments.iter().map(|(s, d, _)| (*s, *d)).collect();
    let current = place(
        &done,
        first_business_day(p.submitted),
        p.router,
        d,
        &adjusted,
    );
    baseline
        .iter()
        .filter_map(|b| {
            let now = current.iter().find(|c| c.step == b.step)?;
            let done_on = p.done.iter().find(|(s, _)| *s == b.step).map(|(_, d)| *d);
            let late = match done_on {
                Some(on) => on > b.ends,
                None => now.ends < today,
            };
            Some(Line {
                step: b.step,
                baseline: *b,
                current: *now,
                done_on,
                reason: p
                    .adjustments
                    .iter()
                    .rev()
                    .find(|(s, _, _)| *s == b.step)
                    .map(|(_, _, why)| why.clone()),
                late,
            })
        })
        .collect()
}

/// The four requirements a site must meet to apply (加入要件), as the applicant answers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Eligibility {
    /// A contract that may use the gateway is performed or in prospect (実績等), with
    /// evidence attached.
    pub contract: bool,
    /// A handling facility built to the standard's §8, or a deferral granted (設備).
    pub facility: bool,
    /// Equipment meeting the published specification can be installed (機器).
    pub equipment: bool,
    /// The site is in Japan (拠点地域).
    pub in_japan: bool,
}

/// A requirement a site does not meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmet {
    /// No contract performed or in prospect.
    Contract,
    /// No facility to the standard and no deferral.
    Facility,
    /// No equipment to the specification.
    Equipment,
    /// The site is outside Japan: the gateway cannot serve it, whatever else holds.
    OutsideJapan,
}

impl Unmet {
    /// Why, as the applicant is told.
    pub fn reason(self) -> &'static str {
        match self {
            Unmet::Contract => {
                "防衛セキュリティゲートウェイを利用し得る契約の実績又は見込みが必要です"
            }
            Unmet::Facility => {
                "情報セキュリティ基準第8項に基づく取扱施設等の整備（又は猶予の承認）が必要です"
            }
            Unmet::Equipment => "公表された仕様を満たす機器を拠点に設置できることが必要です",
            Unmet::OutsideJapan => "日本国外の拠点は加入できません",
        }
    }
}

impl Eligibility {
    /// The requirements not met, in the notice's order; empty when the site may apply.
    pub fn unmet(&self) -> Vec<Unmet> {
        [
            (self.contract, Unmet::Contract),
            (self.facility, Unmet::Facility),
            (self.equipment, Unmet::Equipment),
            (self.in_japan, Unmet::OutsideJapan),
        ]
        .into_iter()
        .filter_map(|(met, u)| (!met).then_some(u))
        .collect()
    }
}

impl Step {
    /// The step's name as the notice writes it.
    pub fn name(self) -> &'static str {
        [
            "加入申請",
            "利用端末設置場所の現地確認（自己点検）",
            "現場調査",
            "回線敷設工事",
            "通信ルータ設置",
            "利用端末セットアップ・静脈認証登録・接続確認",
            "最終現地確認",
        ][self as usize]
    }
}

/// The plan as an iCalendar file (RFC 5545): one all-day event per step, to load into the
/// calendars of those who must attend. `uid` makes the events' ids stable across exports
/// (the site's id), so a calendar updates them rather than adding copies; `stamp` is when
/// the file is made.
pub fn to_ical(site: &str, uid: &str, plan: &[Planned], stamp: jiff::Timestamp) -> String {
    let mut out = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//mamori//dsg//JA\r\nCALSCALE:GREGORIAN\r\n",
    );
    for p in plan {
        // An all-day event ends the day after its last day (DTEND is exclusive).
        let end = p.ends.tomorrow().unwrap_or(p.ends);
        out.push_str("BEGIN:VEVENT\r\n");
        out.push_str(&format!("UID:{uid}-{}@mamori\r\n", p.step as usize + 1));
        out.push_str(&format!("DTSTAMP:{}\r\n", stamp.strftime("%Y%m%dT%H%M%SZ")));
        out.push_str(&format!(
            "DTSTART;VALUE=DATE:{}\r\n",
            p.starts.strftime("%Y%m%d")
        ));
        out.push_str(&format!("DTEND;VALUE=DATE:{}\r\n", end.strftime("%Y%m%d")));
        out.push_str(&fold(&format!(
            "SUMMARY:{} {} — {}",
            p.step.number(),
            p.step.name(),
            escape(site)
        )));
        out.push_str("END:VEVENT\r\n");
    }
    out.push_str("END:VCALENDAR\r\n");
    out
}

/// Text as iCalendar escapes it.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// A content line folded at 75 octets, never inside a character.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn days(p: &[Planned]) -> Vec<(Step, String, String)> {
        p.iter()
            .map(|x| (x.step, x.starts.to_string(), x.ends.to_string()))
            .collect()
    }

    #[test]
    fn a_wired_site_takes_about_five_months_with_the_works_inside_one_month() {
        // Submitted Monday 1 June 2026.
        let p = plan(date(2026, 6, 1), Router::Wired, &Durations::default());
        assert_eq!(p.len(), 7);
        assert_eq!(p[0].starts, date(2026, 6, 1));
        // Steps follow one another on business days; only the month's block may wait for
        // the first business day of the next month.
        for w in p.windows(2) {
            let next = add_business_days(w[0].ends, 1);
            assert!(
                w[1].starts == next
                    || (w[1].step == Step::LineWorks
                        && w[1].starts == first_business_day(first_of_next_month(w[0].ends))),
                "{:?}",
                days(&p)
            );
        }
        for x in &p {
            assert!(
                is_business_day(x.starts) && is_business_day(x.ends),
                "{x:?}"
            );
        }
        // ④ to ⑦ share one calendar month, which starts on its first business day when the
        // survey ends too late in the month before.
        let (line, last) = (p[3], p[6]);
        assert_eq!(line.step, Step::LineWorks);
        assert_eq!(
            (line.starts.year(), line.starts.month()),
            (last.ends.year(), last.ends.month())
        );
        let months = (last.ends.year() as i32 - 2026) * 12 + last.ends.month() as i32 - 6;
        assert!(
            (4..=6).contains(&months),
            "about five months: {:?}",
            days(&p)
        );
    }

    #[test]
    fn a_mobile_router_skips_the_survey_and_the_line_works() {
        let p = plan(date(2026, 6, 1), Router::Mobile, &Durations::default());
        let steps: Vec<Step> = p.iter().map(|x| x.step).collect();
        assert_eq!(
            steps,
            [
                Step::Application,
                Step::SelfInspection,
                Step::Router,
                Step::Setup,
                Step::FinalVerification
            ]
        );
        let (router, last) = (p[2], p[4]);
        assert_eq!(router.starts.month(), last.ends.month());
    }

    #[test]
    fn an_adjusted_step_moves_the_rest_and_keeps_the_reason() {
        let submitted = date(2027, 1, 12);
        let d = Durations::default();
        let first = plan(submitted, Router::Mobile, &d);
        let router = first.iter().find(|p| p.step == Step::Router).unwrap();
        let moved = date(2027, 8, 2);
        assert!(moved > router.starts);
        let p = Progress {
            submitted,
            router: Router::Mobile,
            done: vec![(Step::Application, date(2027, 1, 20))],
            adjustments: vec![(Step::Router, moved, "拠点の改装工事のため".into())],
        };
        let lines = schedule(&p, date(2027, 1, 21), &d);
        assert_eq!(
            lines.iter().map(|l| l.step).collect::<Vec<_>>(),
            steps(Router::Mobile)
        );
        let application = &lines[0];
        assert_eq!(application.done_on, Some(date(2027, 1, 20)));
        assert_eq!(application.current.ends, date(2027, 1, 20));
        assert!(!application.late, "finished before its planned end");
        let r = lines.iter().find(|l| l.step == Step::Router).unwrap();
        assert_eq!(r.current.starts, moved);
        assert_eq!(r.reason.as_deref(), Some("拠点の改装工事のため"));
        let setup = lines.iter().find(|l| l.step == Step::Setup).unwrap();
        assert!(setup.current.starts > r.current.ends);
        assert_eq!(
            r.baseline, *router,
            "the first plan is kept beside the new one"
        );
    }

    #[test]
    fn a_step_not_finished_by_its_planned_end_is_late() {
        let submitted = date(2027, 1, 12);
        let d = Durations::default();
        let p = Progress {
            submitted,
            router: Router::Wired,
            done: vec![],
            adjustments: vec![],
        };
        let lines = schedule(&p, date(2027, 1, 26), &d);
        assert!(
            lines[0].late,
            "ten business days from 12 January end on the 25th"
        );
        assert!(!lines[1].late);
        assert_eq!(Step::Router.actor(Router::Wired), ("工事業者", true));
        assert_eq!(Step::Router.actor(Router::Mobile), ("加入希望企業", false));
    }

    #[test]
    fn the_block_moves_to_the_next_month_when_it_cannot_end_in_this_one() {
        // Durations that end the survey on Thursday 17 December 2026: ④–⑦ (16 days) cannot
        // end before the year-end closure, so they start on the first business day of
        // January, Monday 4 January 2027.
        let d = Durations([1, 1, 1, 5, 3, 5, 3]);
        let p = plan(date(2026, 12, 15), Router::Wired, &d);
        assert_eq!(p[2].ends, date(2026, 12, 17));
        assert_eq!(p[3].starts, date(2027, 1, 4));
        // January 2027 has Coming-of-Age Day (Monday 11 January) inside the block: the
        // block still ends in January, a day later than without the holiday.
        assert_eq!(p[6].ends, date(2027, 1, 26));
        assert_eq!(p[6].ends.month(), 1);
    }

    #[test]
    fn a_submission_on_a_holiday_starts_on_the_next_business_day() {
        // Monday 23 November 2026 is Labour Thanksgiving Day.
        let p = plan(date(2026, 11, 23), Router::Mobile, &Durations::default());
        assert_eq!(p[0].starts, date(2026, 11, 24));
    }

    #[test]
    fn a_late_step_pushes_the_rest() {
        let d = Durations::default();
        let first = plan(date(2026, 6, 1), Router::Wired, &d);
        // The self-inspection took three weeks longer than planned.
        let late = Planned {
            ends: add_business_days(first[1].ends, 15),
            ..first[1]
        };
        let again = replan(&[first[0], late], date(2026, 6, 1), Router::Wired, &d);
        assert_eq!(again[0], first[0]);
        assert_eq!(again[1], late);
        assert_eq!(again[2].starts, add_business_days(late.ends, 1));
        assert!(again[6].ends > first[6].ends);
        assert_eq!(again[3].starts.month(), again[6].ends.month());
    }

    #[test]
    fn a_site_outside_japan_is_refused_with_its_reason() {
        let all = Eligibility {
            contract: true,
            facility: true,
            equipment: true,
            in_japan: true,
        };
        assert!(all.unmet().is_empty());
        let abroad = Eligibility {
            in_japan: false,
            ..all
        };
        assert_eq!(abroad.unmet(), [Unmet::OutsideJapan]);
        assert!(Unmet::OutsideJapan.reason().contains("日本国外"));
        assert_eq!(
            Eligibility::default().unmet(),
            [
                Unmet::Contract,
                Unmet::Facility,
                Unmet::Equipment,
                Unmet::OutsideJapan
            ]
        );
    }

    #[test]
    fn each_of_the_four_requirements_alone_keeps_a_site_out() {
        // 「次の4つの要件を全て満たす必要があります」: a site meeting three of them is still
        // refused, and told which one it misses.
        let all = Eligibility {
            contract: true,
            facility: true,
            equipment: true,
            in_japan: true,
        };
        let cases = [
            (
                Eligibility {
                    contract: false,
                    ..all
                },
                Unmet::Contract,
                "契約の実績又は見込み",
            ),
            (
                Eligibility {
                    facility: false,
                    ..all
                },
                Unmet::Facility,
                "取扱施設等",
            ),
            (
                Eligibility {
                    equipment: false,
                    ..all
                },
                Unmet::Equipment,
                "機器",
            ),
            (
                Eligibility {
                    in_japan: false,
                    ..all
                },
                Unmet::OutsideJapan,
                "日本国外",
            ),
        ];
        for (site, gate, reason) in cases {
            assert_eq!(site.unmet(), [gate], "{site:?}");
            assert!(gate.reason().contains(reason), "{gate:?}");
        }
    }

    #[test]
    fn the_plan_exports_as_all_day_events_with_folded_lines() {
        let p = plan(date(2026, 6, 1), Router::Mobile, &Durations::default());
        let stamp: jiff::Timestamp = "2026-05-29T01:02:03Z".parse().unwrap();
        let ical = to_ical("丙社 横浜事業所; 第2棟", "site-1", &p, stamp);
        assert!(ical.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ical.ends_with("END:VCALENDAR\r\n"));
        assert_eq!(ical.matches("BEGIN:VEVENT").count(), 5);
        // ① from 1 June, ten business days: 1–12 June, DTEND the day after.
        assert!(ical.contains(
            "UID:site-1-1@mamori\r\nDTSTAMP:20260529T010203Z\r\nDTSTART;VALUE=DATE:20260601\r\nDTEND;VALUE=DATE:20260613\r\n"
        ));
        assert!(ical.contains("UID:site-1-5@mamori"), "⑤ keeps its number");
        assert!(ical.contains("丙社 横浜事業所\\; 第2棟"));
        for line in ical.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        // Unfolded, the summary reads whole.
        let unfolded = ical.replace("\r\n ", "");
        assert!(unfolded.contains("SUMMARY:② 利用端末設置場所の現地確認（自己点検） — 丙社"));
    }
}

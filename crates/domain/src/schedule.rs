//! A procedure's schedule (`schedule` in a library): its steps planned one after another on
//! the days government offices are open, from the day the case's schedule starts; steps a
//! block of which must fit in one calendar month; the plan again once steps are finished or
//! moved; and the plan as an iCalendar file.
//!
//! Steps are known here by their position in the library's list (`step`), which stays the
//! same whichever steps a case skips, so that an exported calendar keeps its events' ids.

use jiff::civil::Date;

use crate::calendar::{add_business_days, is_business_day};

/// The steps a case goes through, as planning needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Steps {
    /// Each step the case goes through, in order: its position in the library's list and
    /// the business days it takes (at least one counts).
    pub steps: Vec<(usize, u32)>,
    /// The first and last of `steps` (positions in it) planned inside one calendar month.
    pub same_month: Option<(usize, usize)>,
}

impl Steps {
    fn days(&self, i: usize) -> u32 {
        self.steps[i].1.max(1)
    }
}

/// A step placed in time: its first and last business day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    /// The step's position in the library's list.
    pub step: usize,
    /// Its first day.
    pub starts: Date,
    /// Its last day.
    pub ends: Date,
}

/// Plans every step from the day the schedule starts (its first business day on or after
/// `from`).
pub fn plan(from: Date, s: &Steps) -> Vec<Planned> {
    replan(&[], first_business_day(from), s)
}

/// Plans again once steps are done: `done` keeps the steps already finished as they were
/// (with their actual days); the rest are placed from the business day after the last of
/// them, or from `from` when none is done.
pub fn replan(done: &[Planned], from: Date, s: &Steps) -> Vec<Planned> {
    place(done, from, s, &[])
}

/// [`replan`], with the start days set for some steps: an adjusted step starts on its day
/// (the next business day if offices are closed), wherever the month's block would have put
/// it, and the steps after it follow from there.
fn place(done: &[Planned], from: Date, s: &Steps, adjusted: &[(usize, Date)]) -> Vec<Planned> {
    let mut out: Vec<Planned> = done.to_vec();
    let mut next = match done.last() {
        Some(last) => add_business_days(last.ends, 1),
        None => from,
    };
    for (i, &(step, _)) in s.steps.iter().enumerate() {
        if done.iter().any(|p| p.step == step) {
            continue;
        }
        let set = adjusted
            .iter()
            .rev()
            .find(|(st, _)| *st == step)
            .map(|(_, d)| *d);
        if let Some(day) = set {
            next = first_business_day(day);
        } else if let Some((a, b)) = s.same_month
            && i == a
        {
            // The month's block starts where it can end within the same month.
            let block: u32 = (a..=b).map(|j| s.days(j)).sum();
            let block_ends = add_business_days(next, block - 1);
            if (block_ends.year(), block_ends.month()) != (next.year(), next.month()) {
                next = first_business_day(first_of_next_month(next));
            }
        }
        let ends = add_business_days(next, s.days(i) - 1);
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

/// What has happened to a case so far, as its history records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The day the schedule starts (the application submitted).
    pub from: Date,
    /// Steps finished, in order, with the day each finished.
    pub done: Vec<(usize, Date)>,
    /// Adjustments, oldest first: the step, its new first day and why.
    pub adjustments: Vec<(usize, Date, String)>,
}

/// One line of a case's schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The step's position in the library's list.
    pub step: usize,
    /// As first planned when the schedule started.
    pub baseline: Planned,
    /// As planned now: the actual days of a finished step, the adjusted or pushed days of
    /// the rest.
    pub current: Planned,
    /// The day it finished.
    pub done_on: Option<Date>,
    /// Why it was moved, when it was (the latest reason).
    pub reason: Option<String>,
    /// Behind: finished after its first plan, or not finished by the last day planned now.
    pub late: bool,
}

/// The schedule on `today`: every step with its first plan, its plan now and what was done.
pub fn schedule(p: &Progress, today: Date, s: &Steps) -> Vec<Line> {
    let baseline = plan(p.from, s);
    let mut done = Vec::new();
    let mut next = first_business_day(p.from);
    for (step, on) in &p.done {
        let starts = next.min(*on);
        done.push(Planned {
            step: *step,
            starts,
            ends: *on,
        });
        next = add_business_days(*on, 1);
    }
    let adjusted: Vec<(usize, Date)> = p.adjustments.iter().map(|(st, d, _)| (*st, *d)).collect();
    let current = place(&done, first_business_day(p.from), s, &adjusted);
    baseline
        .iter()
        .filter_map(|b| {
            let now = current.iter().find(|c| c.step == b.step)?;
            let done_on = p.done.iter().find(|(st, _)| *st == b.step).map(|(_, d)| *d);
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
                    .find(|(st, _, _)| *st == b.step)
                    .map(|(_, _, why)| why.clone()),
                late,
            })
        })
        .collect()
}

/// The plan as an iCalendar file (RFC 5545): one all-day event per step, titled as given
/// (「③ 現場調査」), to load into the calendars of those who must attend. `uid` makes the
/// events' ids stable across exports (the case's id), so a calendar updates them rather than
/// adding copies; `stamp` is when the file is made.
pub fn to_ical(
    subject: &str,
    uid: &str,
    plan: &[(String, Planned)],
    stamp: jiff::Timestamp,
) -> String {
    let mut out = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//mamori//dsg//JA\r\nCALSCALE:GREGORIAN\r\n",
    );
    for (title, p) in plan {
        // An all-day event ends the day after its last day (DTEND is exclusive).
        let end = p.ends.tomorrow().unwrap_or(p.ends);
        out.push_str("BEGIN:VEVENT\r\n");
        out.push_str(&format!("UID:{uid}-{}@mamori\r\n", p.step + 1));
        out.push_str(&format!("DTSTAMP:{}\r\n", stamp.strftime("%Y%m%dT%H%M%SZ")));
        out.push_str(&format!(
            "DTSTART;VALUE=DATE:{}\r\n",
            p.starts.strftime("%Y%m%d")
        ));
        out.push_str(&format!("DTEND;VALUE=DATE:{}\r\n", end.strftime("%Y%m%d")));
        out.push_str(&fold(&format!(
            "SUMMARY:{} — {}",
            escape(title),
            escape(subject)
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

    /// The gateway's seven steps with mamori's figures; a mobile router skips ③ and ④; ④
    /// to ⑦ (⑤ to ⑦ without ④) share one month.
    fn gateway(mobile: bool, days: [u32; 7]) -> Steps {
        let steps: Vec<(usize, u32)> = (0..7)
            .filter(|i| !mobile || !matches!(i, 2 | 3))
            .map(|i| (i, days[i]))
            .collect();
        let n = steps.len();
        Steps {
            same_month: Some((if mobile { 2 } else { 3 }, n - 1)),
            steps,
        }
    }

    const DAYS: [u32; 7] = [10, 60, 10, 5, 3, 5, 3];

    fn days(p: &[Planned]) -> Vec<(usize, String, String)> {
        p.iter()
            .map(|x| (x.step, x.starts.to_string(), x.ends.to_string()))
            .collect()
    }

    #[test]
    fn a_wired_site_takes_about_five_months_with_the_works_inside_one_month() {
        // Submitted Monday 1 June 2026.
        let p = plan(date(2026, 6, 1), &gateway(false, DAYS));
        assert_eq!(p.len(), 7);
        assert_eq!(p[0].starts, date(2026, 6, 1));
        // Steps follow one another on business days; only the month's block may wait for
        // the first business day of the next month.
        for w in p.windows(2) {
            let next = add_business_days(w[0].ends, 1);
            assert!(
                w[1].starts == next
                    || (w[1].step == 3
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
        // ④ to ⑦ share one calendar month.
        let (line, last) = (p[3], p[6]);
        assert_eq!(line.step, 3);
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
    fn skipped_steps_keep_the_others_positions() {
        let p = plan(date(2026, 6, 1), &gateway(true, DAYS));
        let steps: Vec<usize> = p.iter().map(|x| x.step).collect();
        assert_eq!(steps, [0, 1, 4, 5, 6]);
        let (router, last) = (p[2], p[4]);
        assert_eq!(router.starts.month(), last.ends.month());
    }

    #[test]
    fn an_adjusted_step_moves_the_rest_and_keeps_the_reason() {
        let from = date(2027, 1, 12);
        let s = gateway(true, DAYS);
        let first = plan(from, &s);
        let router = first.iter().find(|p| p.step == 4).unwrap();
        let moved = date(2027, 8, 2);
        assert!(moved > router.starts);
        let p = Progress {
            from,
            done: vec![(0, date(2027, 1, 20))],
            adjustments: vec![(4, moved, "拠点の改装工事のため".into())],
        };
        let lines = schedule(&p, date(2027, 1, 21), &s);
        assert_eq!(
            lines.iter().map(|l| l.step).collect::<Vec<_>>(),
            [0, 1, 4, 5, 6]
        );
        let application = &lines[0];
        assert_eq!(application.done_on, Some(date(2027, 1, 20)));
        assert_eq!(application.current.ends, date(2027, 1, 20));
        assert!(!application.late, "finished before its planned end");
        let r = lines.iter().find(|l| l.step == 4).unwrap();
        assert_eq!(r.current.starts, moved);
        assert_eq!(r.reason.as_deref(), Some("拠点の改装工事のため"));
        let setup = lines.iter().find(|l| l.step == 5).unwrap();
        assert!(setup.current.starts > r.current.ends);
        assert_eq!(
            r.baseline, *router,
            "the first plan is kept beside the new one"
        );
    }

    #[test]
    fn a_step_not_finished_by_its_planned_end_is_late() {
        let p = Progress {
            from: date(2027, 1, 12),
            done: vec![],
            adjustments: vec![],
        };
        let lines = schedule(&p, date(2027, 1, 26), &gateway(false, DAYS));
        assert!(
            lines[0].late,
            "ten business days from 12 January end on the 25th"
        );
        assert!(!lines[1].late);
    }

    #[test]
    fn the_block_moves_to_the_next_month_when_it_cannot_end_in_this_one() {
        // Durations that end the survey on Thursday 17 December 2026: ④–⑦ (16 days) cannot
        // end before the year-end closure, so they start on the first business day of
        // January, Monday 4 January 2027.
        let p = plan(date(2026, 12, 15), &gateway(false, [1, 1, 1, 5, 3, 5, 3]));
        assert_eq!(p[2].ends, date(2026, 12, 17));
        assert_eq!(p[3].starts, date(2027, 1, 4));
        // January 2027 has Coming-of-Age Day (Monday 11 January) inside the block: the
        // block still ends in January, a day later than without the holiday.
        assert_eq!(p[6].ends, date(2027, 1, 26));
        assert_eq!(p[6].ends.month(), 1);
    }

    #[test]
    fn a_start_on_a_holiday_starts_on_the_next_business_day() {
        // Monday 23 November 2026 is Labour Thanksgiving Day.
        let p = plan(date(2026, 11, 23), &gateway(true, DAYS));
        assert_eq!(p[0].starts, date(2026, 11, 24));
    }

    #[test]
    fn a_late_step_pushes_the_rest() {
        let s = gateway(false, DAYS);
        let first = plan(date(2026, 6, 1), &s);
        // The second step took three weeks longer than planned.
        let late = Planned {
            ends: add_business_days(first[1].ends, 15),
            ..first[1]
        };
        let again = replan(&[first[0], late], date(2026, 6, 1), &s);
        assert_eq!(again[0], first[0]);
        assert_eq!(again[1], late);
        assert_eq!(again[2].starts, add_business_days(late.ends, 1));
        assert!(again[6].ends > first[6].ends);
        assert_eq!(again[3].starts.month(), again[6].ends.month());
    }

    #[test]
    fn a_schedule_without_a_block_just_follows_on() {
        let s = Steps {
            steps: vec![(0, 2), (1, 0)],
            same_month: None,
        };
        let p = plan(date(2026, 6, 1), &s);
        assert_eq!(p[0].ends, date(2026, 6, 2));
        assert_eq!(
            (p[1].starts, p[1].ends),
            (date(2026, 6, 3), date(2026, 6, 3)),
            "a step takes a day at least"
        );
    }

    #[test]
    fn the_plan_exports_as_all_day_events_with_folded_lines() {
        let p = plan(date(2026, 6, 1), &gateway(true, DAYS));
        let titled: Vec<(String, Planned)> = p
            .iter()
            .map(|x| {
                (
                    format!("{} 工程", ["①", "②", "③", "④", "⑤", "⑥", "⑦"][x.step]),
                    *x,
                )
            })
            .collect();
        let stamp: jiff::Timestamp = "2026-05-29T01:02:03Z".parse().unwrap();
        let ical = to_ical(
            "丙社 横浜事業所; 第2棟 利用端末設置場所の現地確認",
            "site-1",
            &titled,
            stamp,
        );
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
        let unfolded = ical.replace("\r\n ", "");
        assert!(
            unfolded
                .contains("SUMMARY:② 工程 — 丙社 横浜事業所\\; 第2棟 利用端末設置場所の現地確認")
        );
    }
}

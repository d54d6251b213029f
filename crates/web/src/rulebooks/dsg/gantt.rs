//! A site's joining schedule drawn as a Gantt chart: plain SVG with its colours inline, so
//! that it prints and opens on its own as well as inside the case page.

use std::fmt::Write;

use jiff::civil::Date;
use mamori_app::CaseSchedule;

const LABEL: f64 = 330.0;
const CHART: f64 = 620.0;
const ROW: f64 = 30.0;
const HEAD: f64 = 34.0;

/// Text as SVG (XML) escapes it.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart: one row per step with its actor and ● where the company attends; the first
/// plan as a thin grey bar, the plan now as a thick bar (green once done, red when behind),
/// month lines and today's line.
pub fn svg(s: &CaseSchedule) -> String {
    let first = s
        .lines
        .iter()
        .flat_map(|l| [l.baseline.starts, l.current.starts])
        .min()
        .unwrap_or(s.today);
    let last = s
        .lines
        .iter()
        .flat_map(|l| [l.baseline.ends, l.current.ends])
        .max()
        .unwrap_or(s.today);
    let span = (last - first).get_days().max(1) as f64 + 1.0;
    let x = |d: Date| LABEL + ((d - first).get_days() as f64) / span * CHART;
    let width = LABEL + CHART + 10.0;
    let height = HEAD + ROW * s.lines.len() as f64 + 10.0;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12" role="img" aria-labelledby="gantt-title" data-test="gantt">"#
    );
    let _ = write!(
        out,
        r#"<title id="gantt-title">{} — スケジュール表</title>"#,
        esc(&s.title)
    );
    // Month lines, labelled at the top.
    let mut month = first.first_of_month();
    while month <= last {
        if month >= first {
            let mx = x(month);
            let _ = write!(
                out,
                r##"<line x1="{mx:.1}" y1="{}" x2="{mx:.1}" y2="{height}" stroke="#ccc"/>"##,
                HEAD - 14.0
            );
        }
        let lx = x(month.max(first)) + 3.0;
        let _ = write!(
            out,
            r#"<text x="{lx:.1}" y="{}">{}年{}月</text>"#,
            HEAD - 18.0,
            month.year(),
            month.month()
        );
        month = month
            .checked_add(jiff::Span::new().months(1))
            .unwrap_or(last.tomorrow().unwrap_or(last));
    }
    for (i, l) in s.lines.iter().enumerate() {
        let y = HEAD + ROW * i as f64;
        let step = s.step(l);
        let (actor, attend) = (&step.actor, step.attend);
        let _ = write!(
            out,
            r#"<g data-test="gantt-step" data-step="{}" data-late="{}" data-done="{}">"#,
            step.number,
            l.late,
            l.done_on.is_some()
        );
        let _ = write!(
            out,
            r##"<text x="4" y="{:.1}">{} {}</text><text x="4" y="{:.1}" font-size="10" fill="#555">{}{}</text>"##,
            y + 12.0,
            step.number,
            esc(&step.name),
            y + 25.0,
            esc(actor),
            if attend { "　● 立会い" } else { "" }
        );
        let (bx, bw) = (
            x(l.baseline.starts),
            x(l.baseline.ends) - x(l.baseline.starts) + CHART / span,
        );
        let _ = write!(
            out,
            r##"<rect x="{bx:.1}" y="{:.1}" width="{bw:.1}" height="4" fill="#bbb"/>"##,
            y + 21.0
        );
        let colour = if l.late {
            "#c62828"
        } else if l.done_on.is_some() {
            "#2e7d32"
        } else {
            "#1565c0"
        };
        let (cx, cw) = (
            x(l.current.starts),
            x(l.current.ends) - x(l.current.starts) + CHART / span,
        );
        let _ = write!(
            out,
            r#"<rect x="{cx:.1}" y="{:.1}" width="{cw:.1}" height="12" rx="2" fill="{colour}"><title>{} {} 〜 {}{}</title></rect></g>"#,
            y + 6.0,
            step.number,
            l.current.starts,
            l.current.ends,
            l.reason
                .as_deref()
                .map(|r| format!("（調整: {}）", esc(r)))
                .unwrap_or_default()
        );
    }
    if s.today >= first && s.today <= last {
        let tx = x(s.today);
        let _ = write!(
            out,
            r##"<line x1="{tx:.1}" y1="{}" x2="{tx:.1}" y2="{height}" stroke="#c62828" stroke-dasharray="3 2"/>"##,
            HEAD - 12.0
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use mamori_app::StepView;
    use mamori_domain::schedule::{self, Progress, Steps};
    use uuid::Uuid;

    /// A site with a mobile router submitted on 12 January 2027, planned with the shipped
    /// joining schedule's steps and days (③ and ④ skipped).
    fn site(today: Date) -> CaseSchedule {
        let libs = mamori_library::shipped().unwrap();
        let dsg = libs.iter().find(|l| l.id() == "mod-dsg").unwrap();
        let sched = dsg.procedures["joining"].schedule.as_ref().unwrap();
        let present: Vec<(usize, u32)> = [0, 1, 4, 5, 6]
            .into_iter()
            .map(|i| (i, sched.steps[i].days.value))
            .collect();
        let steps = Steps {
            steps: present,
            same_month: Some((2, 4)),
        };
        let p = Progress {
            from: date(2027, 1, 12),
            done: vec![],
            adjustments: vec![],
        };
        CaseSchedule {
            case: Uuid::nil(),
            title: "本社 <3F>".into(),
            organisation: "A社".into(),
            state: String::new(),
            data: serde_json::Map::new(),
            steps: sched
                .steps
                .iter()
                .map(|st| StepView {
                    id: st.id.value.clone(),
                    number: st.number.clone(),
                    title: st.title("ja"),
                    name: st.name.ja.clone(),
                    actor: st.actor.ja.clone(),
                    attend: st.attend,
                })
                .collect(),
            lines: schedule::schedule(&p, today, &steps),
            note: None,
            today,
        }
    }

    #[test]
    fn one_row_per_step_with_the_late_ones_marked_and_text_escaped() {
        let out = svg(&site(date(2027, 1, 26)));
        assert_eq!(
            out.matches(r#"data-test="gantt-step""#).count(),
            5,
            "③ and ④ dropped"
        );
        assert!(out.contains(r#"data-step="①" data-late="true""#));
        assert!(out.contains(r#"data-step="②" data-late="false""#));
        assert!(out.contains("本社 &lt;3F&gt;"));
        assert!(out.contains("2027年1月"));
        assert!(!out.contains("NaN"));
    }
}

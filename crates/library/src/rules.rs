//! Rules written in Rust, for what a condition in YAML cannot say.
//!
//! A library names a rule in a condition (`when: { rule: office_hours }`); the checker
//! refuses a name that is not here, so a typo is caught before a case ever meets it. Rules
//! are pure: they see the same [`Facts`] as every other condition, including the present
//! time in the installation's zone.

use jiff::civil::{DateTime, Time, time};
use serde_json::Value;

use crate::condition::Facts;
use crate::form::Data;
use mamori_domain::calendar::is_business_day;
use mamori_domain::dsg;
use mamori_domain::incident::{self, Occurrence, Servers, Situation};

/// A named rule.
pub struct Rule {
    /// The name a library writes.
    pub name: &'static str,
    /// What it decides, for `mamori library check` and the library's readers.
    pub about: &'static str,
    /// The fields it reads (`group.column` for a table's column): a procedure naming the
    /// rule must have them, or the rule would decide on nothing.
    pub reads: &'static [&'static str],
    /// The actions it asks whether were taken: the procedure must have them.
    pub done: &'static [&'static str],
    /// Whether it holds.
    pub holds: fn(&Facts<'_>) -> bool,
}

/// Every rule a library may name.
pub const RULES: &[Rule] = &[
    Rule {
        name: "office_hours",
        about: "官公庁の勤務時間内（営業日の 8:30〜17:15）である",
        reads: &[],
        done: &[],
        holds: office_hours,
    },
    Rule {
        name: "subcontractor",
        about: "案件の組織が下請負者である（元請負者との関係が登録されている）",
        reads: &[],
        done: &[],
        holds: subcontractor,
    },
    Rule {
        name: "all_terminals_passed",
        about: "DSG: 申請した利用端末（terminals の terminal_id）がすべて接続確認（connection_tests の result）に合格している",
        reads: &[
            "terminals.terminal_id",
            "connection_tests.terminal_id",
            "connection_tests.result",
        ],
        done: &[],
        holds: all_terminals_passed,
    },
    Rule {
        name: "detailed_report_owed",
        about: "事故等の報告: 別表の「速やかに」欄に記載のある区分（ガイドライン第9(1)ア、情報セキュリティ基準第12(1)ア・ウ）に当たり、詳細の報告が求められる",
        reads: SITUATION,
        done: &[],
        holds: detailed_report_owed,
    },
    Rule {
        name: "detected_in_the_past",
        about: "検知日時（detected_at）が現在より後ではない",
        reads: &["detected_at"],
        done: &[],
        holds: detected_in_the_past,
    },
];

/// The incident wizard's answers [`situation_of`] reads.
const SITUATION: &[&str] = &[
    "events",
    "occurrence",
    "handles_secrets",
    "handles_protected",
    "servers_affected",
    "report_items",
    "defence_systems_untouched",
];

/// The answers [`dsg_eligibility`] reads.
const ELIGIBILITY: &[&str] = &[
    "req_contract",
    "req_facility",
    "req_equipment",
    "site_country",
];

/// A value worked out in Rust from a form's data, for `compute: { rule: name }`.
pub struct Derivation {
    /// The name a library writes.
    pub name: &'static str,
    /// What it works out.
    pub about: &'static str,
    /// The fields of its form it reads (see [`Rule::reads`]).
    pub reads: &'static [&'static str],
    /// How; `Null` when there is nothing to show yet.
    pub derive: fn(&Data) -> Value,
}

/// Every derivation a computed field may name.
pub const DERIVATIONS: &[Derivation] = &[
    Derivation {
        name: "incident_obligations",
        about: "防衛関連企業の事故等の報告: 根拠条文、区分、「直ちに」「速やかに」報告する内容（events, occurrence, handles_secrets, handles_protected, report_items から）",
        reads: SITUATION,
        derive: incident_obligations,
    },
    Derivation {
        name: "incident_report_title",
        about: "防衛関連企業の事故等の報告: 速報の表題（12(1)イの速報か、どの条文に基づく速報か）",
        reads: SITUATION,
        derive: incident_report_title,
    },
    Derivation {
        name: "dsg_eligibility",
        about: "DSG の加入要件: 満たしていない要件とその理由（req_contract, req_facility, req_equipment, site_country から）",
        reads: ELIGIBILITY,
        derive: dsg_eligibility,
    },
];

/// The derivation called `name`.
pub fn derivation(name: &str) -> Option<&'static Derivation> {
    DERIVATIONS.iter().find(|d| d.name == name)
}

/// The names of every derivation, for messages.
pub fn derivation_names() -> Vec<&'static str> {
    DERIVATIONS.iter().map(|d| d.name).collect()
}

/// The rule called `name`.
pub fn rule(name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.name == name)
}

/// The names of every rule, for messages.
pub fn names() -> Vec<&'static str> {
    RULES.iter().map(|r| r.name).collect()
}

/// The regular working hours of national government offices (8:30 to 17:15 on a day the
/// offices are open): outside them, a contact is reached through its night and holiday
/// number instead of its desk.
pub const OFFICE_OPENS: Time = time(8, 30, 0, 0);
/// See [`OFFICE_OPENS`].
pub const OFFICE_CLOSES: Time = time(17, 15, 0, 0);

fn office_hours(facts: &Facts<'_>) -> bool {
    // Without a clock (checking a form on its own) the rule cannot know; it does not hold.
    facts.now.is_some_and(in_office_hours)
}

/// Whether government offices are open at `now` (see [`OFFICE_OPENS`]).
pub fn in_office_hours(now: &jiff::Zoned) -> bool {
    let t = now.time();
    is_business_day(now.date()) && t >= OFFICE_OPENS && t < OFFICE_CLOSES
}

fn subcontractor(facts: &Facts<'_>) -> bool {
    facts.subcontractor
}

/// A detection time later than now is a typing mistake (a wrong day or AM/PM): the clock of
/// the report would start in the future. Empty is left to `required`.
fn detected_in_the_past(facts: &Facts<'_>) -> bool {
    let Some(now) = facts.now else { return true };
    let Some(text) = facts.data.get("detected_at").and_then(Value::as_str) else {
        return true;
    };
    match text.parse::<DateTime>() {
        Ok(at) => at <= now.datetime(),
        Err(_) => true,
    }
}

/// The final verification is requested only once every terminal of the application has
/// passed its connection test: a terminal without a passing row, or no terminal at all,
/// keeps it from holding.
fn all_terminals_passed(facts: &Facts<'_>) -> bool {
    let rows = |id: &str| -> Vec<&serde_json::Map<String, Value>> {
        facts
            .data
            .get(id)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_object).collect())
            .unwrap_or_default()
    };
    let terminal = |row: &serde_json::Map<String, Value>| {
        row.get("terminal_id")
            .and_then(Value::as_str)
            .map(crate::condition::normalise)
    };
    let terminals = rows("terminals");
    let passed: Vec<String> = rows("connection_tests")
        .into_iter()
        .filter(|r| r.get("result").and_then(Value::as_str) == Some("pass"))
        .filter_map(terminal)
        .collect();
    !terminals.is_empty()
        && terminals
            .into_iter()
            .all(|t| terminal(t).is_some_and(|id| passed.contains(&id)))
}

/// Which of the four requirements to join the gateway the answers leave unmet, each with
/// its reason; nothing until one is answered.
fn dsg_eligibility(data: &Data) -> Value {
    let answer = |id: &str| data.get(id).filter(|v| !crate::condition::is_empty(v));
    if ELIGIBILITY.iter().all(|id| answer(id).is_none()) {
        return Value::Null;
    }
    let yes = |id: &str| answer(id).and_then(Value::as_bool).unwrap_or(false);
    let choice = |id: &str| answer(id).and_then(Value::as_str).unwrap_or("");
    let eligibility = dsg::Eligibility {
        contract: yes("req_contract"),
        facility: matches!(choice("req_facility"), "built" | "deferral"),
        equipment: yes("req_equipment"),
        in_japan: choice("site_country") == "japan",
    };
    let unmet = eligibility.unmet();
    Value::String(if unmet.is_empty() {
        "加入要件（実績等・設備・機器・拠点地域）をすべて満たしています。".into()
    } else {
        unmet
            .iter()
            .map(|u| format!("満たしていない要件: {}。", u.reason()))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// What the incident-report wizard's answers oblige the company to report, one obligation
/// per paragraph, as the annex tables of seed 001 word them.
fn incident_obligations(data: &Data) -> Value {
    let situation = situation_of(data);
    let mut paragraphs: Vec<String> = incident::classify(&situation)
        .iter()
        .map(|o| {
            let mut p = format!("{}（{}）\n直ちに: {}", o.basis, o.category, o.immediately);
            if let Some(later) = o.promptly {
                p.push_str(&format!("\n速やかに: {later}"));
            }
            p
        })
        .collect();
    // Say why an event chosen does not count, rather than leave the reporter guessing.
    if situation.defence_systems_untouched
        && situation
            .events
            .iter()
            .any(|e| incident::WITH_PROVISO.contains(e))
    {
        paragraphs.push(
            "(1)ア〜ウは、防衛部門システムに全く影響が発生していないため、この通知の例には当たりません（記3(1)ただし書）。"
                .to_owned(),
        );
    }
    if paragraphs.is_empty() {
        Value::Null
    } else {
        Value::String(paragraphs.join("\n\n"))
    }
}

/// The detailed report 「速やかに」 is owed only for the categories whose column of the
/// notice's tables has an entry (「詳細」); 「-」 or a blank owes none.
fn detailed_report_owed(facts: &Facts<'_>) -> bool {
    incident::classify(&situation_of(facts.data))
        .iter()
        .any(|o| o.promptly.is_some())
}

/// The report's title: the form's own for a report of 12(1)イ, else its clauses.
fn incident_report_title(data: &Data) -> Value {
    Value::String(incident::title(&incident::classify(&situation_of(data))))
}

/// The wizard's answers as the notice's situation.
fn situation_of(data: &Data) -> Situation {
    let strings = |id: &str| -> Vec<&str> {
        data.get(id)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    };
    let yes = |id: &str| data.get(id).and_then(Value::as_bool).unwrap_or(false);
    // ④ describes only servers or PCs with malicious code or unauthorised access: its boxes
    // count once the reporter said such a server or PC is affected.
    let items = if yes("servers_affected") {
        strings("report_items")
    } else {
        Vec::new()
    };
    Situation {
        events: strings("events")
            .into_iter()
            .filter_map(incident::event_by_code)
            .map(|e| e.id)
            .collect(),
        occurrence: match data.get("occurrence").and_then(Value::as_str) {
            Some("occurred") => Some(Occurrence::Occurred),
            Some("suspected") => Some(Occurrence::Suspected),
            Some("indication") => Some(Occurrence::Indication),
            _ => None,
        },
        secrets: yes("handles_secrets"),
        protected: yes("handles_protected"),
        servers: Servers {
            malware_on_storing: items.contains(&"a"),
            access_to_storing: items.contains(&"i"),
            malware_on_same_intranet: items.contains(&"u"),
        },
        defence_systems_untouched: yes("defence_systems_untouched"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::Data;
    use std::collections::BTreeMap;

    /// Whether `rule` holds for `data` at `now` (none: no clock).
    fn holds(rule_name: &str, data: serde_json::Value, now: Option<&str>) -> bool {
        let data = data.as_object().cloned().unwrap_or_default();
        let now: Option<jiff::Zoned> = now.map(|t| format!("{t}[Asia/Tokyo]").parse().unwrap());
        let rows = BTreeMap::new();
        let facts = Facts {
            data: &data,
            done: &[],
            rows: &rows,
            today: "",
            now: now.as_ref(),
            subcontractor: false,
        };
        (rule(rule_name).unwrap().holds)(&facts)
    }

    fn at(text: &str) -> bool {
        holds("office_hours", serde_json::json!({}), Some(text))
    }

    #[test]
    fn office_hours_are_working_days_from_half_past_eight_to_a_quarter_past_five() {
        // Tuesday 24 November 2026, the day after Labour Thanksgiving Day: a working day.
        assert!(at("2026-11-24T08:30:00+09:00"));
        assert!(at("2026-11-24T17:14:59+09:00"));
        assert!(!at("2026-11-24T08:29:59+09:00"));
        assert!(!at("2026-11-24T17:15:00+09:00"));
        assert!(!at("2026-11-24T23:00:00+09:00"));
    }

    #[test]
    fn weekends_holidays_and_the_year_end_are_outside_office_hours() {
        assert!(!at("2026-11-22T10:00:00+09:00"), "Sunday");
        assert!(!at("2026-11-23T10:00:00+09:00"), "勤労感謝の日");
        assert!(
            !at("2026-12-29T10:00:00+09:00"),
            "year-end closure on a Tuesday"
        );
        assert!(
            !at("2027-01-04T08:00:00+09:00"),
            "first working day, before opening"
        );
        assert!(at("2027-01-04T09:00:00+09:00"));
    }

    fn passes(data: serde_json::Value) -> bool {
        holds("all_terminals_passed", data, None)
    }

    #[test]
    fn the_final_verification_waits_for_every_terminal_to_pass() {
        let terminals = serde_json::json!([{ "terminal_id": "PC-01" }, { "terminal_id": "PC-02" }]);
        assert!(!passes(serde_json::json!({ "terminals": terminals })));
        assert!(!passes(serde_json::json!({
            "terminals": terminals,
            "connection_tests": [
                { "terminal_id": "PC-01", "result": "pass" },
                { "terminal_id": "PC-02", "result": "fail" },
            ],
        })));
        assert!(passes(serde_json::json!({
            "terminals": terminals,
            "connection_tests": [
                { "terminal_id": "pc-01 ", "result": "pass" },
                { "terminal_id": "PC-02", "result": "pass" },
            ],
        })));
        assert!(
            !passes(serde_json::json!({ "connection_tests": [] })),
            "no terminal"
        );
    }

    #[test]
    fn the_eligibility_names_each_unmet_requirement() {
        let derive = derivation("dsg_eligibility").unwrap().derive;
        let data = |v: serde_json::Value| v.as_object().unwrap().clone();
        assert_eq!(derive(&Data::new()), Value::Null);
        let abroad = derive(&data(serde_json::json!({
            "req_contract": true, "req_facility": "built", "req_equipment": true,
            "site_country": "abroad",
        })));
        assert_eq!(
            abroad.as_str().unwrap(),
            "満たしていない要件: 日本国外の拠点は加入できません。"
        );
        let ok = derive(&data(serde_json::json!({
            "req_contract": true, "req_facility": "deferral", "req_equipment": true,
            "site_country": "japan",
        })));
        assert!(ok.as_str().unwrap().contains("すべて満たしています"));
    }

    #[test]
    fn without_a_clock_the_rule_does_not_hold() {
        assert!(!holds("office_hours", serde_json::json!({}), None));
    }
}

//! The incident report's rules (seed 001, `mod-incident-report`): what the reporter's
//! answers oblige, the report's title, and a detection time that cannot be in the future.
//! The notice's taxonomy and tables themselves are `mamori_domain::rulebooks::incident`.

use jiff::civil::DateTime;
use mamori_domain::rulebooks::incident::{self, Occurrence, Servers, Situation};
use serde_json::Value;

use super::Rulebook;
use crate::condition::Facts;
use crate::form::Data;
use crate::rules::{Derivation, Rule};

/// What `mod-incident-report` adds to the engine.
pub const RULEBOOK: Rulebook = Rulebook {
    library: "mod-incident-report",
    rules: RULES,
    derivations: DERIVATIONS,
};

const RULES: &[Rule] = &[
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
    // 「下請負者からの報告については、防衛省と直接契約を締結している防衛関連企業を通じて
    // 契約担当官等に報告する」(seed 001, 2): a subcontractor's report goes through its prime.
    Rule {
        name: "subcontractor",
        about: "案件の組織が下請負者である（元請負者との関係が登録されている）",
        reads: &[],
        done: &[],
        holds: subcontractor,
    },
];

const DERIVATIONS: &[Derivation] = &[
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

/// The case's organisation (as routed) has a prime contractor: it is a subcontractor.
fn subcontractor(facts: &Facts<'_>) -> bool {
    facts.organisations.is_some_and(|o| !o.primes.is_empty())
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

//! The gateway's rules (seed 000, `mod-dsg`): whether every terminal passed its connection
//! test, and which requirements to join the answers leave unmet. The steps and their plan
//! themselves are `mamori_domain::rulebooks::dsg`.

use mamori_domain::rulebooks::dsg;
use serde_json::Value;

use super::Rulebook;
use crate::condition::Facts;
use crate::form::Data;
use crate::rules::{Derivation, Rule};

/// What `mod-dsg` adds to the engine.
pub const RULEBOOK: Rulebook = Rulebook {
    library: "mod-dsg",
    rules: RULES,
    derivations: DERIVATIONS,
};

const RULES: &[Rule] = &[Rule {
    name: "all_terminals_passed",
    about: "DSG: 申請した利用端末（terminals の terminal_id）がすべて接続確認（connection_tests の result）に合格している",
    reads: &[
        "terminals.terminal_id",
        "connection_tests.terminal_id",
        "connection_tests.result",
    ],
    done: &[],
    holds: all_terminals_passed,
}];

const DERIVATIONS: &[Derivation] = &[Derivation {
    name: "dsg_eligibility",
    about: "DSG の加入要件: 満たしていない要件とその理由（req_contract, req_facility, req_equipment, site_country から）",
    reads: ELIGIBILITY,
    derive: dsg_eligibility,
}];

/// The answers [`dsg_eligibility`] reads.
const ELIGIBILITY: &[&str] = &[
    "req_contract",
    "req_facility",
    "req_equipment",
    "site_country",
];

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

#[cfg(test)]
mod tests {
    use super::*;

    fn passes(data: serde_json::Value) -> bool {
        let data = data.as_object().cloned().unwrap_or_default();
        let rows = std::collections::BTreeMap::new();
        let facts = Facts {
            data: &data,
            done: &[],
            rows: &rows,
            today: "",
            now: None,
            organisations: None,
        };
        all_terminals_passed(&facts)
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
        let derive = dsg_eligibility;
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
}

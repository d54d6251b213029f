//! Form validation and workflow conditions of the external-service library.

use std::collections::BTreeMap;
use std::path::Path;

use mamori_library::condition::{self, Facts, key_text};
use mamori_library::form::{self, Completeness, Data};
use mamori_library::{Library, load_dir};
use serde_json::json;

fn library() -> Library {
    // Read when the test runs: a shared target folder may hold a binary built elsewhere.
    load_dir(
        &Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap())
            .join("../../libraries/mod-external-service"),
    )
    .unwrap()
}

fn data(v: serde_json::Value) -> Data {
    v.as_object().unwrap().clone()
}

fn complete() -> Data {
    data(json!({
        "service_name": "ChatGPT",
        "provider": "OpenAI",
        "service_kind": "generative_ai",
        "purpose": "公開情報の要約",
        "users": "広報室 3名",
        "app_install": false,
        "no_business_data": true
    }))
}

#[test]
fn a_complete_application_is_valid_and_a_draft_may_be_partial() {
    let lib = library();
    let fields = &lib.forms["application"].fields;
    assert!(form::validate(fields, &complete(), Completeness::Complete).is_ok());
    let partial = data(json!({ "service_name": "  ChatGPT  " }));
    let clean = form::validate(fields, &partial, Completeness::Draft).unwrap();
    assert_eq!(clean["service_name"], "ChatGPT");
    let problems = form::validate(fields, &partial, Completeness::Complete).unwrap_err();
    let missing: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        missing,
        [
            "provider",
            "service_kind",
            "purpose",
            "users",
            "app_install",
            "no_business_data"
        ]
    );
}

#[test]
fn every_bad_value_is_named() {
    let lib = library();
    let fields = &lib.forms["application"].fields;
    let mut d = complete();
    d.insert("service_kind".into(), json!("chatbot"));
    d.insert("provider".into(), json!("x".repeat(201)));
    d.insert("no_business_data".into(), json!(false));
    d.insert("colour".into(), json!("red"));
    let problems = form::validate(fields, &d, Completeness::Complete).unwrap_err();
    let got: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| (p.field.as_str(), p.code))
        .collect();
    assert_eq!(
        got,
        [
            ("colour", "unknown_field"),
            ("provider", "too_long"),
            ("service_kind", "unknown_option"),
            ("no_business_data", "must_confirm")
        ]
    );
    // "Other" asks for the other kind.
    let mut d = complete();
    d.insert("service_kind".into(), json!("other"));
    let problems = form::validate(fields, &d, Completeness::Complete).unwrap_err();
    assert_eq!(problems[0].field, "service_kind_other");
    assert_eq!(problems[0].code, "required");
}

#[test]
fn html_pairs_become_typed_values_and_bad_ones_stay_as_typed() {
    let lib = library();
    let fields = &lib.forms["application"].fields;
    let pairs: Vec<(String, String)> = [
        ("service_name", "DeepL"),
        ("app_install", "yes"),
        ("no_business_data", "maybe"),
        ("purpose", ""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let d = form::from_pairs(fields, &pairs);
    assert_eq!(d["app_install"], json!(true));
    assert_eq!(d["no_business_data"], json!("maybe"));
    assert!(!d.contains_key("purpose"));
    let problems = form::validate(fields, &d, Completeness::Draft).unwrap_err();
    assert_eq!(problems[0].field, "no_business_data");
    assert_eq!(problems[0].code, "invalid_value");
}

#[test]
fn submit_skips_nisc_when_the_registry_holds_its_advice() {
    let lib = library();
    let approval = &lib.procedures["approval"];
    let submit = approval.transition("submit").unwrap();
    let d = complete();
    let lookups = condition::transition_lookups(submit, &d, "2026-11-22");
    assert_eq!(lookups.len(), 1);
    let (register, key) = &lookups[0];
    assert_eq!(register, "external_services");
    assert_eq!(key["service_name"], "chatgpt");

    let mut rows = BTreeMap::new();
    let facts = Facts {
        data: &d,
        done: &[],
        rows: &rows,
        today: "2026-11-22",
        now: None,
        subcontractor: false,
    };
    assert_eq!(condition::target(submit, &facts), "nisc_advice");

    rows.insert(
        (register.clone(), key_text(key)),
        data(json!({ "service_name": "ChatGPT", "nisc_advice_on": "2026-10-01" })),
    );
    let facts = Facts {
        data: &d,
        done: &[],
        rows: &rows,
        today: "2026-11-22",
        now: None,
        subcontractor: false,
    };
    assert_eq!(condition::target(submit, &facts), "review");
}

#[test]
fn generative_ai_needs_the_ai_team_report_before_approval() {
    let lib = library();
    let approval = &lib.procedures["approval"];
    let approve = approval.transition("approve").unwrap();
    let report = approval.transition("report_to_ai_team").unwrap();
    let rows = BTreeMap::new();
    let d = complete();
    let facts = Facts {
        data: &d,
        done: &[],
        rows: &rows,
        today: "2026-11-22",
        now: None,
        subcontractor: false,
    };
    assert!(condition::offered(report, &facts));
    assert_eq!(condition::unmet(approve, &facts).len(), 1);

    let done = vec!["report_to_ai_team".to_owned()];
    let facts = Facts {
        data: &d,
        done: &done,
        rows: &rows,
        today: "2026-11-22",
        now: None,
        subcontractor: false,
    };
    assert!(
        !condition::offered(report, &facts),
        "reported once is enough"
    );
    assert!(condition::unmet(approve, &facts).is_empty());

    let mut d = complete();
    d.insert("service_kind".into(), json!("web_meeting"));
    let facts = Facts {
        data: &d,
        done: &[],
        rows: &rows,
        today: "2026-11-22",
        now: None,
        subcontractor: false,
    };
    assert!(!condition::offered(report, &facts));
    assert!(condition::unmet(approve, &facts).is_empty());
}

fn incident_library() -> Library {
    load_dir(
        &Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap())
            .join("../../libraries/mod-incident-report"),
    )
    .unwrap()
}

#[test]
fn the_incident_wizard_derives_the_clauses_on_every_save() {
    let lib = incident_library();
    let fields = &lib.forms["report"].fields;
    let mut d = data(json!({
        "events": ["e2u"],
        "handles_secrets": true,
        "handles_protected": true,
        "report_items": ["u"],
        "obligations": "typed by hand"
    }));
    form::derive(fields, &mut d, &form::Attached::new());
    let text = d["obligations"].as_str().unwrap();
    // A mis-sent mail is at least a suspicion: the guideline's 9(1)ア and the standard's
    // 12(1)ウ, with the rapid report of 12(1)イ(イ) for the server on the same intranet.
    assert!(
        text.starts_with(
            "ガイドライン第9(1)ア（事故の発生）\n直ちに: 把握し得る限りの全ての内容\n速やかに: 詳細"
        ),
        "{text}"
    );
    assert!(text.contains("情報セキュリティ基準第12(1)ウ"), "{text}");
    assert!(text.contains("情報セキュリティ基準第12(1)イ(イ)"), "{text}");
    assert!(!text.contains("typed by hand"));
    // Nothing answered yet: nothing derived, and the field is empty rather than stale.
    let mut empty = data(json!({ "obligations": "stale" }));
    form::derive(fields, &mut empty, &form::Attached::new());
    assert!(!empty.contains_key("obligations"));
}

#[test]
fn a_detection_time_in_the_future_and_a_subcontractor_are_rules() {
    let lib = incident_library();
    let submit = lib.procedures["report"].transition("submit").unwrap();
    let now: jiff::Zoned = "2026-12-01T22:30:00+09:00[Asia/Tokyo]".parse().unwrap();
    let rows = BTreeMap::new();
    let unmet = |detected: &str, done: &[String]| {
        let d = data(json!({ "detected_at": detected }));
        let facts = Facts {
            data: &d,
            done,
            rows: &rows,
            today: "2026-12-01",
            now: Some(&now),
            subcontractor: false,
        };
        condition::unmet(submit, &facts)
            .into_iter()
            .map(|t| t.ja.clone())
            .collect::<Vec<_>>()
    };
    let called = ["record_call".to_owned()];
    assert!(unmet("2026-12-01T22:10", &called).is_empty());
    assert!(
        unmet("2026-12-01T22:30", &called).is_empty(),
        "now is not the future"
    );
    let future = unmet("2026-12-01T22:31", &called);
    assert_eq!(future.len(), 1);
    assert!(future[0].contains("検知した日時"), "{future:?}");
    let not_called = unmet("2026-12-01T22:10", &[]);
    assert!(not_called[0].contains("電話"), "{not_called:?}");

    // Where the report goes first: the prime for a subcontractor, the Ministry otherwise.
    let d = data(json!({}));
    for (subcontractor, state) in [(true, "with_prime"), (false, "reported")] {
        let facts = Facts {
            data: &d,
            done: &called,
            rows: &rows,
            today: "2026-12-01",
            now: Some(&now),
            subcontractor,
        };
        assert_eq!(condition::target(submit, &facts), state);
    }
}

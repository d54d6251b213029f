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
        "includes_generative_ai": true,
        "purpose": "公開情報の要約",
        "users": "広報室 3名",
        "app_install": false,
        "information": "no_business_data",
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
            "includes_generative_ai",
            "purpose",
            "users",
            "app_install",
            "information",
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

/// The facts of the external-service case `d`, with `done` taken and `rows` found.
fn facts<'a>(
    d: &'a Data,
    done: &'a [String],
    rows: &'a BTreeMap<(String, String), Data>,
) -> Facts<'a> {
    Facts {
        data: d,
        done,
        rows,
        today: "2026-11-22",
        now: None,
        organisations: None,
    }
}

#[test]
fn submission_goes_to_the_chief_who_may_skip_nisc_only_on_advice_the_registry_holds() {
    let lib = library();
    let approval = &lib.procedures["approval"];
    let submit = approval.transition("submit").unwrap();
    let skip = approval.transition("skip_nisc").unwrap();
    let d = complete();
    let lookups = condition::transition_lookups(skip, &d, "2026-11-22");
    assert_eq!(lookups.len(), 1);
    let (register, key) = &lookups[0];
    assert_eq!(register, "external_services");
    assert_eq!(key["service_name"], "chatgpt");

    let mut rows = BTreeMap::new();
    assert_eq!(
        condition::target(submit, &facts(&d, &[], &rows)),
        "received"
    );
    let unmet = condition::unmet(skip, &facts(&d, &[], &rows));
    assert_eq!(unmet.len(), 1);
    assert!(unmet[0].ja.contains("NISCの助言が記録されていない"));

    // With the advice in the registry, submission still waits on the chief; skipping is
    // now possible.
    rows.insert(
        (register.clone(), key_text(key)),
        data(json!({ "service_name": "ChatGPT", "nisc_advice_on": "2026-10-01" })),
    );
    assert_eq!(
        condition::target(submit, &facts(&d, &[], &rows)),
        "received"
    );
    assert!(condition::unmet(skip, &facts(&d, &[], &rows)).is_empty());
    assert_eq!(condition::target(skip, &facts(&d, &[], &rows)), "review");
}

#[test]
fn generative_ai_owes_the_ai_team_report_from_submission_whatever_the_outcome() {
    let lib = library();
    let approval = &lib.procedures["approval"];
    let submit = approval.transition("submit").unwrap();
    let approve = approval.transition("approve").unwrap();
    let report = approval.transition("report_to_ai_team").unwrap();
    let rows = BTreeMap::new();
    let d = complete();
    // Nothing is owed before the application is made.
    assert!(!condition::offered(report, &facts(&d, &[], &rows)));
    let submitted = vec!["submit".to_owned()];
    assert!(condition::offered(report, &facts(&d, &submitted, &rows)));
    assert_eq!(
        condition::unmet(approve, &facts(&d, &submitted, &rows)).len(),
        1
    );
    // Owed in every state after submission, the finished ones included, without moving
    // the case.
    assert!(report.stay);
    for state in ["received", "review", "approved", "refused", "withdrawn"] {
        assert!(
            report.from.iter().any(|s| s.value == state),
            "{state} in {:?}",
            report.from
        );
    }

    let reported = vec!["submit".to_owned(), "report_to_ai_team".to_owned()];
    assert!(
        !condition::offered(report, &facts(&d, &reported, &rows)),
        "reported once is enough"
    );
    assert!(condition::unmet(approve, &facts(&d, &reported, &rows)).is_empty());

    // A service without generative AI owes nothing.
    let mut d = complete();
    d.insert("service_kind".into(), json!("web_meeting"));
    d.insert("includes_generative_ai".into(), json!(false));
    assert!(!condition::offered(report, &facts(&d, &submitted, &rows)));
    assert!(condition::unmet(approve, &facts(&d, &submitted, &rows)).is_empty());
    assert!(condition::unmet(submit, &facts(&d, &[], &rows)).is_empty());
    // A translation service with generative AI built in owes the report.
    d.insert("includes_generative_ai".into(), json!(true));
    assert!(condition::offered(report, &facts(&d, &submitted, &rows)));
    // A generative-AI service cannot say it includes none.
    let mut d = complete();
    d.insert("includes_generative_ai".into(), json!(false));
    assert_eq!(condition::unmet(submit, &facts(&d, &[], &rows)).len(), 1);
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
        "obligations": "typed by hand"
    }));
    form::derive(fields, &mut d, &form::Attached::new());
    let text = d["obligations"].as_str().unwrap();
    // A mis-sent mail is at least a suspicion: the guideline's 9(1)ア and the standard's
    // 12(1)ウ.
    assert!(
        text.starts_with(
            "ガイドライン第9(1)ア（事故の発生）\n直ちに: 把握し得る限りの全ての内容\n速やかに: 詳細"
        ),
        "{text}"
    );
    assert!(text.contains("情報セキュリティ基準第12(1)ウ"), "{text}");
    assert!(!text.contains("typed by hand"));
    // Nothing answered yet: nothing derived, and the field is empty rather than stale.
    let mut empty = data(json!({ "obligations": "stale" }));
    form::derive(fields, &mut empty, &form::Attached::new());
    assert!(!empty.contains_key("obligations"));
}

/// 「情報セキュリティ基準第12(1)イの速報（サーバ又はパソコンの悪意のあるコードへの感染又は
/// 不正アクセスに係るもの）」: ④ belongs to reports about such servers and PCs only.
#[test]
fn item_four_is_asked_and_counted_only_for_a_report_of_12_1_i() {
    let lib = incident_library();
    let fields = &lib.forms["report"].fields;
    // A mis-sent mail with ④ ticked by mistake: ④ is not asked, adds no clause of 12(1)イ,
    // and the title says what the report is.
    let mut mail = data(json!({
        "events": ["e2u"],
        "handles_secrets": true,
        "handles_protected": true,
        "servers_affected": false,
        "report_items": ["u"]
    }));
    form::derive(fields, &mut mail, &form::Attached::new());
    assert!(!mail["obligations"].as_str().unwrap().contains("12(1)イ"));
    assert_eq!(
        mail["report_title"],
        "ガイドライン第9(1)ア・情報セキュリティ基準第12(1)ウに基づく事故等の速報"
    );
    let complete = form::validate(fields, &mail, form::Completeness::Complete);
    let asked = |r: &Result<Data, Vec<form::FieldProblem>>| match r {
        Ok(clean) => clean.contains_key("report_items"),
        Err(p) => p.iter().any(|p| p.field == "report_items"),
    };
    assert!(
        !asked(&complete),
        "④ is neither kept nor required: {complete:?}"
    );
    // An infected PC storing protected information: ④ is required, and counts.
    let mut server = data(json!({
        "events": ["e1ke"],
        "handles_secrets": false,
        "handles_protected": true,
        "servers_affected": true
    }));
    let missing = form::validate(fields, &server, form::Completeness::Complete).unwrap_err();
    assert!(
        missing
            .iter()
            .any(|p| p.field == "report_items" && p.code == "required"),
        "{missing:?}"
    );
    server.insert("report_items".into(), json!(["a"]));
    form::derive(fields, &mut server, &form::Attached::new());
    assert!(
        server["obligations"]
            .as_str()
            .unwrap()
            .contains("情報セキュリティ基準第12(1)イ(ア)")
    );
    assert_eq!(
        server["report_title"],
        "情報セキュリティ基準第12(1)イの速報"
    );
}

/// 「（ただし、防衛部門システムに全く影響が発生していない場合は、この限りではない。）」
#[test]
fn the_wizard_asks_the_proviso_of_infections_through_mail_and_websites() {
    let lib = incident_library();
    let fields = &lib.forms["report"].fields;
    let mut untouched = data(json!({
        "events": ["e1a"],
        "handles_secrets": true,
        "handles_protected": true,
        "defence_staff": true,
        "defence_systems_untouched": true
    }));
    form::derive(fields, &mut untouched, &form::Attached::new());
    let said = untouched["obligations"].as_str().unwrap();
    assert!(
        !said.contains("第9(1)ア") && said.contains("ただし書"),
        "{said}"
    );
    assert_eq!(untouched["report_title"], "事故等の速報");
    let mut touched = untouched.clone();
    touched.insert("defence_systems_untouched".into(), json!(false));
    form::derive(fields, &mut touched, &form::Attached::new());
    assert!(
        touched["obligations"]
            .as_str()
            .unwrap()
            .contains("第9(1)ア")
    );
    // The question must be answered for (1)ア–ウ, and is not asked for other events.
    let mut unanswered = untouched.clone();
    unanswered.remove("defence_systems_untouched");
    let problems = form::validate(fields, &unanswered, form::Completeness::Complete).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.field == "defence_systems_untouched" && p.code == "required")
    );
    let mut overload = unanswered.clone();
    overload.insert("events".into(), json!(["e1o"]));
    overload.insert("defence_systems_untouched".into(), json!(true));
    let kept = form::validate(fields, &overload, form::Completeness::Complete);
    assert!(
        !matches!(&kept, Ok(clean) if clean.contains_key("defence_systems_untouched")),
        "not asked for (1)オ: {kept:?}"
    );
}

/// The detailed report 「速やかに」 is owed only where the tables' column has an entry.
#[test]
fn a_detailed_report_is_owed_only_where_the_tables_set_one() {
    let owed = |v: serde_json::Value| {
        let d = data(v);
        let rows = BTreeMap::new();
        let facts = Facts {
            data: &d,
            done: &[],
            rows: &rows,
            today: "",
            now: None,
            organisations: None,
        };
        (mamori_library::rules::rule("detailed_report_owed")
            .unwrap()
            .holds)(&facts)
    };
    // ガイドライン第9(1)イ 「-」 and 情報セキュリティ基準第12(1)エ blank: an indication.
    assert!(!owed(json!({
        "occurrence": "indication", "handles_secrets": true, "handles_protected": true
    })));
    // 12(1)イ alone (a server storing protected information, no leak known) is blank too.
    assert!(!owed(json!({
        "handles_protected": true, "servers_affected": true, "report_items": ["a"]
    })));
    // 9(1)ア and 12(1)ア・ウ: 「詳細」.
    assert!(owed(
        json!({ "occurrence": "occurred", "handles_protected": true })
    ));
    assert!(owed(json!({ "events": ["e1ke"], "handles_secrets": true })));
    // The library's deadline asks the rule.
    let lib = incident_library();
    let detailed = lib.procedures["report"]
        .deadlines
        .iter()
        .find(|d| d.state.value == "acknowledged")
        .unwrap();
    assert!(detailed.when.is_some() && detailed.note.is_some());
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
            organisations: None,
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
        let around = mamori_domain::policy::CaseFacts {
            primes: if subcontractor {
                vec![uuid::Uuid::from_u128(7)]
            } else {
                vec![]
            },
            ..Default::default()
        };
        let facts = Facts {
            data: &d,
            done: &called,
            rows: &rows,
            today: "2026-12-01",
            now: Some(&now),
            organisations: Some(&around),
        };
        assert_eq!(condition::target(submit, &facts), state);
    }
}

/// The notice's abbreviated example keeps the numbering of the repealed special clauses
/// (「情報セキュリティ特約条項第6条第2項の速報」「④ 6-2-1 ア」); the library keeps the form's
/// and says why where readers see it.
#[test]
fn the_notes_explain_the_numbering_of_the_abbreviated_example() {
    let lib = incident_library();
    let notes: Vec<&str> = lib
        .manifest
        .notes
        .iter()
        .map(|n| n.text.ja.as_str())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("6-2-1") && n.contains("情報セキュリティ基準第12(1)イの速報")),
        "{notes:?}"
    );
    let text = &lib.procedures["report"].documents[0];
    let template = &text.template.as_ref().unwrap().value;
    assert!(template.contains("12(1)イ(ア) ア"), "{template}");
    assert!(!template.contains("6-2-1"), "{template}");
}

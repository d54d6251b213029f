//! The shipped libraries load; a library with mistakes is refused with every mistake's
//! file and line.

use std::path::Path;

use mamori_library::{Problem, Source, load_dir, load_sources};

fn shipped(id: &str) -> std::path::PathBuf {
    // Read when the test runs: a shared target folder may hold a binary built elsewhere.
    Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap())
        .join("../../libraries")
        .join(id)
}

fn sources(id: &str) -> Vec<Source> {
    sources_in(&shipped(id))
}

/// A test library of `fixtures/libraries`.
fn fixture(id: &str) -> Vec<Source> {
    sources_in(
        &Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap())
            .join("../../fixtures/libraries")
            .join(id),
    )
}

fn sources_in(dir: &Path) -> Vec<Source> {
    let mut out = Vec::new();
    for sub in [
        "",
        "forms",
        "procedures",
        "registers",
        "catalogs",
        "matrices",
    ] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.extension().is_some_and(|x| x == "yaml") {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push(Source {
                    path: rel,
                    content: std::fs::read_to_string(&path).unwrap(),
                });
            }
        }
    }
    out
}

/// Replaces `from` by `to` in one file of the library, which must contain it.
fn edit(sources: &mut [Source], file: &str, from: &str, to: &str) {
    let s = sources.iter_mut().find(|s| s.path == file).unwrap();
    assert!(s.content.contains(from), "{file} has no {from:?}");
    s.content = s.content.replacen(from, to, 1);
}

fn line_of(sources: &[Source], file: &str, needle: &str) -> u64 {
    let s = sources.iter().find(|s| s.path == file).unwrap();
    s.content
        .lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u64 + 1)
        .unwrap()
}

/// Asserts that a problem containing `fragment` is reported on the line of `needle`.
fn reported(problems: &[Problem], sources: &[Source], file: &str, needle: &str, fragment: &str) {
    let line = line_of(sources, file, needle);
    assert!(
        problems
            .iter()
            .any(|p| p.file == file && p.line == line && p.message.contains(fragment)),
        "expected {fragment:?} at {file}:{line}, got:\n{}",
        problems
            .iter()
            .map(Problem::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_external_service_library_loads() {
    let lib = load_dir(&shipped("mod-external-service")).unwrap_or_else(|problems| {
        panic!(
            "{}",
            problems
                .iter()
                .map(Problem::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    assert_eq!(lib.id(), "mod-external-service");
    let approval = &lib.procedures["approval"];
    assert_eq!(approval.initial_state().id.value, "draft");
    // The paper form's items after the handling mark the library adds (the other kind,
    // whether the service includes generative AI and what information it would handle,
    // among them), then the optional copy of the terms of use.
    let fields = &lib.form_of(approval).fields;
    assert_eq!(fields.len(), 12);
    assert_eq!(fields[5].id(), "includes_generative_ai");
    assert_eq!(fields[9].id(), "information");
    assert_eq!(
        fields[11].kind,
        mamori_library::model::FieldType::Attachment
    );
    assert_eq!(fields[0].id(), "handling_mark");
    assert_eq!(fields[0].options.len(), 2);
    assert_eq!(lib.digest.len(), 64);
}

#[test]
fn wrong_references_are_reported_with_file_and_line() {
    let mut s = sources("mod-external-service");
    let file = "procedures/approval.yaml";
    edit(
        &mut s,
        file,
        "  - state: nisc_advice\n",
        "  - state: nisc_advise\n",
    );
    edit(
        &mut s,
        file,
        "{ role: chief_ia_officer, of: parent_chain }",
        "{ role: chief_officer, of: parent_chain }",
    );
    edit(
        &mut s,
        file,
        "check: { done: report_to_ai_team }",
        "check: { done: report_ai }",
    );
    edit(
        &mut s,
        file,
        "when: { field: service_kind, is: generative_ai }",
        "when: { field: service_kind, is: chatbot }",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    let expect = |needle: &str, fragment: &str| reported(&problems, &s, file, needle, fragment);
    expect("state: nisc_advise", "nisc_advise");
    expect("role: chief_officer", "chief_officer");
    expect("done: report_ai", "report_ai");
    expect("is: chatbot", "chatbot");
    assert_eq!(problems.len(), 4, "{problems:?}");
}

#[test]
fn a_finished_case_takes_only_actions_that_keep_its_state() {
    // The shipped report to the AI strategy team is owed after the end and stays.
    let mut s = sources("mod-external-service");
    let file = "procedures/approval.yaml";
    load_sources(s.clone()).unwrap_or_else(|p| panic!("{p:?}"));
    // Made to move the case, it may no longer be taken from the terminal states.
    edit(
        &mut s,
        file,
        "    once: true\n    stay: true\n",
        "    once: true\n    to:\n      - state: review\n",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    let from = "from: [draft, received, nisc_advice, review, approved, managers_designated, refused, withdrawn]";
    for state in ["managers_designated", "refused", "withdrawn"] {
        reported(
            &problems,
            &s,
            file,
            from,
            &format!("終了状態「{state}」からは、状態を変えない操作（stay: true）しかできません"),
        );
    }
    assert_eq!(problems.len(), 3, "{problems:?}");
}

#[test]
fn a_field_read_from_one_register_row_is_checked() {
    let file = "procedures/approval.yaml";
    // A column of another type than the field.
    let mut s = sources("mod-external-service");
    edit(
        &mut s,
        file,
        "    column: nisc_advice_on\n",
        "    column: nisc_advice\n",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    reported(&problems, &s, file, "column: nisc_advice", "型が違います");
    assert_eq!(problems.len(), 1, "{problems:?}");

    // A column the register lacks, a key that is not the register's, a form field (a new
    // form names no row yet), and a key without `from: register`.
    let mut s = sources("mod-external-service");
    edit(
        &mut s,
        file,
        "    column: nisc_advice\n",
        "    column: advice\n",
    );
    edit(
        &mut s,
        file,
        "  - field: cited_nisc_advice_on\n",
        "  - field: provider\n",
    );
    edit(
        &mut s,
        file,
        "    key: { service_name: $service_name }\n    column: advice",
        "    key: { provider: $provider }\n    column: advice",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    reported(
        &problems,
        &s,
        file,
        "column: advice",
        "列「advice」はありません",
    );
    reported(
        &problems,
        &s,
        file,
        "field: provider",
        "操作の（表でない）項目",
    );
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("key には service_name")),
        "{problems:?}"
    );
    assert_eq!(problems.len(), 3, "{problems:?}");

    let mut s = sources("mod-external-service");
    edit(
        &mut s,
        file,
        "  - field: cited_nisc_advice\n    from: register\n    register: external_services\n",
        "  - field: cited_nisc_advice\n    from: person\n",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    let text = &s.iter().find(|x| x.path == file).unwrap().content;
    let line = text
        .lines()
        .position(|l| l == "  - field: cited_nisc_advice")
        .unwrap() as u64
        + 1;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, line);
    assert!(
        problems[0]
            .message
            .contains("from: register と register: 台帳"),
        "{problems:?}"
    );
}

#[test]
fn a_rule_must_be_one_mamori_knows() {
    let mut s = sources("mod-external-service");
    let file = "procedures/approval.yaml";
    edit(
        &mut s,
        file,
        "check: { done: report_to_ai_team }",
        "check: { rule: office_hours }",
    );
    load_sources(s.clone()).unwrap_or_else(|p| panic!("a known rule: {p:?}"));
    edit(
        &mut s,
        file,
        "check: { rule: office_hours }",
        "check: { rule: office_hour }",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    reported(
        &problems,
        &s,
        file,
        "rule: office_hour",
        "known: office_hours",
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
}

#[test]
fn deadlines_are_checked_for_state_duration_start_and_reminders() {
    let mut s = sources("mod-external-service");
    let file = "procedures/approval.yaml";
    let good = "deadlines:\n  - in: review\n    due: 10営業日\n    remind: [ 3 business days before, 1日前 ]\n";
    let f = s.iter_mut().find(|x| x.path == file).unwrap();
    f.content.push_str(good);
    let lib = load_sources(s.clone()).unwrap_or_else(|p| panic!("{p:?}"));
    let d = &lib.procedures["approval"].deadlines[0];
    assert_eq!(d.due().unwrap().to_string(), "10 business days");
    assert_eq!(d.reminders().count(), 2);

    let f = s.iter_mut().find(|x| x.path == file).unwrap();
    f.content = f.content.replace("due: 10営業日", "due: 翌月末");
    let lib = load_sources(s.clone()).unwrap_or_else(|p| panic!("{p:?}"));
    let d = &lib.procedures["approval"].deadlines[0];
    assert_eq!(d.due().unwrap().to_string(), "end of next month");
    let f = s.iter_mut().find(|x| x.path == file).unwrap();
    f.content = f.content.replace("due: 翌月末", "due: 10営業日");

    let f = s.iter_mut().find(|x| x.path == file).unwrap();
    f.content = f.content.replace(good, "");
    f.content.push_str(
        "deadlines:
  - in: reveiw
    due: 10 weeks
  - in: refused
    due: 1 hour
  - in: review
    due: 2 days
    from: purpose
    remind: [ 3 business days ]
",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    let expect = |needle: &str, fragment: &str| reported(&problems, &s, file, needle, fragment);
    expect("in: reveiw", "reveiw");
    expect("due: 10 weeks", "10 weeks");
    expect("in: refused", "終了状態");
    expect("from: purpose", "datetime");
    expect("remind: [ 3 business days ]", "before");
    assert_eq!(problems.len(), 5, "{problems:?}");
}

#[test]
fn a_yaml_mistake_names_the_line_and_the_field() {
    let mut s = sources("mod-external-service");
    edit(
        &mut s,
        "forms/application.yaml",
        "    type: long_text\n    label: { ja: 利用目的",
        "    type: paragraph\n    label: { ja: 利用目的",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    let p = &problems[0];
    assert_eq!(p.file, "forms/application.yaml");
    assert_eq!(
        p.line,
        line_of(&s, "forms/application.yaml", "type: paragraph")
    );
    assert!(p.message.contains("paragraph"), "{p}");
}

#[test]
fn duplicates_missing_files_and_misplaced_files_are_refused() {
    let mut s = sources("mod-external-service");
    edit(
        &mut s,
        "forms/application.yaml",
        "  - id: provider\n",
        "  - id: service_name\n",
    );
    s.push(Source {
        path: "notes/readme.yaml".into(),
        content: "x: 1\n".into(),
    });
    let problems = load_sources(s).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.file == "forms/application.yaml" && p.message.contains("重複")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.file == "notes/readme.yaml"),
        "{problems:?}"
    );

    let s: Vec<Source> = sources("mod-external-service")
        .into_iter()
        .filter(|s| s.path != "library.yaml")
        .collect();
    let problems = load_sources(s).unwrap_err();
    assert_eq!(problems[0].file, "library.yaml");
}

#[test]
fn the_binary_carries_the_shipped_libraries() {
    let libs = mamori_library::shipped().unwrap();
    assert!(libs.iter().any(|l| l.id() == "mod-external-service"));
}

#[test]
fn tables_need_columns_of_plain_values_and_registers_take_no_tables() {
    let mut s = sources("mod-external-service");
    let form = "forms/application.yaml";
    let mut f = s.iter().find(|x| x.path == form).unwrap().content.clone();
    f.push_str(
        "  - id: units
    type: group
    label: { ja: 利用する部署 }
  - id: offices
    type: group
    label: { ja: 拠点 }
    fields:
      - { id: who, type: contact, label: { ja: 担当 } }
  - id: note
    type: text
    label: { ja: 備考 }
    max_rows: 3
",
    );
    s.iter_mut().find(|x| x.path == form).unwrap().content = f;
    edit(
        &mut s,
        "registers/external_services.yaml",
        "  - id: refused_on\n    type: date",
        "  - id: refused_on\n    type: contact",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    reported(&problems, &s, form, "id: units", "列 (fields) がありません");
    reported(
        &problems,
        &s,
        form,
        "id: who",
        "group・contact・secret は使えません",
    );
    reported(
        &problems,
        &s,
        form,
        "id: note",
        "fields と max_rows は表 (group)",
    );
    reported(
        &problems,
        &s,
        "registers/external_services.yaml",
        "id: refused_on",
        "台帳の列に group や contact は使えません",
    );
}

#[test]
fn an_excel_layout_is_checked_like_a_text_template() {
    let mut s = sources("mod-external-service");
    let file = "procedures/approval.yaml";
    let good = s.clone();
    edit(
        &mut s,
        file,
        "    format: xlsx\n",
        "    format: xlsx\n    template: \"# {{ case.title }\"\n",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    reported(
        &problems,
        &s,
        file,
        "# {{ case.title }",
        "文書「application_xlsx」のテンプレートの 1 行目を読めません",
    );
    // A layout that reads is accepted.
    let mut s = good;
    edit(
        &mut s,
        file,
        "    format: xlsx\n",
        "    format: xlsx\n    template: \"# {{ case.title }}\"\n",
    );
    load_sources(s).unwrap();
}

#[test]
fn computed_fields_say_how_and_files_belong_to_the_form() {
    let mut s = sources("mod-external-service");
    let form = "forms/application.yaml";
    let mut f = s.iter().find(|x| x.path == form).unwrap().content.clone();
    f.push_str(
        "  - id: units
    type: group
    label: { ja: 利用する部署 }
    fields:
      - { id: unit, type: text, label: { ja: 部署 } }
      - { id: people, type: number, label: { ja: 人数 } }
      - { id: manual, type: attachment, label: { ja: 手順書 } }
  - id: people_total
    type: computed
    label: { ja: 人数の計 }
    compute: { sum: units.unit }
  - id: unit_count
    type: computed
    label: { ja: 部署数 }
    required: true
    compute: { count: unitz }
  - id: nothing_said
    type: computed
    label: { ja: 何か }
  - id: typed_total
    type: number
    label: { ja: 入力した計 }
    compute: { count: units }
",
    );
    s.iter_mut().find(|x| x.path == form).unwrap().content = f;
    let problems = load_sources(s.clone()).unwrap_err();
    reported(
        &problems,
        &s,
        form,
        "id: manual",
        "様式の項目にだけ書けます",
    );
    reported(&problems, &s, form, "sum: units.unit", "数値 (number) の列");
    reported(
        &problems,
        &s,
        form,
        "id: unit_count",
        "required は書けません",
    );
    reported(&problems, &s, form, "count: unitz", "この様式にありません");
    reported(&problems, &s, form, "id: nothing_said", "compute");
    reported(
        &problems,
        &s,
        form,
        "count: units }",
        "computed の項目にだけ",
    );
}

#[test]
fn a_catalog_is_checked_for_ids_groups_options_and_conditions() {
    let mut s = sources("mod-external-service");
    let file = "catalogs/self_check.yaml";
    s.push(Source {
        path: file.into(),
        content: r#"id: self_check
title: { ja: 自己点検票 }
by: [{ role: chief_ia_officerz, of: own_organisation }]
groups:
  - { id: staff, label: { ja: 職員 } }
requirements:
  - id: "5.3"
    text: { ja: パスワード }
    requirements:
      - { id: "5.3(1)", text: { ja: 秘密にしている }, group: staf }
      - { id: "5.3(1)", text: { ja: 重複 } }
      - id: "5.3(2)"
        text: { ja: 変更している }
        when: { requirement: "5.3(9)", is: "yes" }
      - id: "5.3(3)"
        text: { ja: 頻度 }
        question: choice
      - id: "5.3(4)"
        text: { ja: 記録 }
        when: { requirement: "5.3(1)", is: "often" }
findings: { procedure: approval }
"#
        .into(),
    });
    let problems = load_sources(s.clone()).unwrap_err();
    reported(
        &problems,
        &s,
        file,
        "chief_ia_officerz",
        "役割「chief_ia_officerz」",
    );
    reported(
        &problems,
        &s,
        file,
        "group: staf",
        "グループ「staf」は groups にありません",
    );
    reported(
        &problems,
        &s,
        file,
        "{ ja: 重複 }",
        "要件「5.3(1)」が重複しています",
    );
    reported(&problems, &s, file, "5.3(9)", "この要件より前にありません");
    reported(&problems, &s, file, "id: \"5.3(3)\"", "options が必要です");
    reported(&problems, &s, file, "often", "答えに「often」はありません");
    reported(
        &problems,
        &s,
        file,
        "findings:",
        "text か long_text の項目「requirement」がありません",
    );
}

#[test]
fn the_incident_library_loads_with_its_directory() {
    let lib = load_dir(&shipped("mod-incident-report")).unwrap_or_else(|p| panic!("{p:?}"));
    let directory = &lib.registers["emergency_contacts"];
    // The seed's table: ATLA, the other contracting organisations, and the last resort.
    assert_eq!(directory.rows.len(), 20);
    let fallback: Vec<_> = directory
        .rows
        .iter()
        .filter(|r| r.value.get("fallback") == Some(&serde_json::Value::Bool(true)))
        .collect();
    assert_eq!(fallback.len(), 1);
    assert_eq!(
        fallback[0].value["phone"],
        "03-3268-3111 (内線35258、35242)"
    );
    let key = [("organisation".to_owned(), "防衛装備庁".to_owned())].into();
    assert_eq!(
        directory.shipped_row(&key).unwrap()["night_phone"],
        "080-8420-0628"
    );
}

#[test]
fn phone_first_prefill_shipped_rows_and_derivations_are_checked() {
    let mut s = sources("mod-incident-report");
    let (p, r, f) = (
        "procedures/report.yaml",
        "registers/emergency_contacts.yaml",
        "forms/report.yaml",
    );
    edit(
        &mut s,
        p,
        "  directory: emergency_contacts",
        "  directory: defence_contracts",
    );
    edit(
        &mut s,
        p,
        "  organisations: contracts.contracting_organisation",
        "  organisations: contracts.nowhere",
    );
    edit(
        &mut s,
        p,
        "{ field: department_person, from: person }",
        "{ field: report_items, from: person }",
    );
    edit(
        &mut s,
        p,
        "{ field: contracts, from: register, register: defence_contracts }",
        "{ field: contracts, from: register }",
    );
    edit(&mut s, r, "phone: \"011-272-7560 (直通)\"", "phone: \"\"");
    edit(
        &mut s,
        r,
        "organisation: \"東北防衛局\"",
        "organisation: \"北海道防衛局\"",
    );
    edit(
        &mut s,
        f,
        "compute: { rule: incident_obligations }",
        "compute: { rule: incident_obligation }",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    reported(
        &problems,
        &s,
        p,
        "  directory: defence_contracts",
        "key [organisation]",
    );
    reported(
        &problems,
        &s,
        p,
        "  organisations: contracts.nowhere",
        "表の文字の列",
    );
    reported(
        &problems,
        &s,
        p,
        "{ field: report_items, from: person }",
        "文字 (text)",
    );
    reported(
        &problems,
        &s,
        p,
        "{ field: contracts, from: register }",
        "register: 台帳",
    );
    reported(
        &problems,
        &s,
        r,
        "\"北海道防衛局\", desk: \"総務部会計課総務係\"",
        "列「phone」",
    );
    reported(
        &problems,
        &s,
        r,
        "\"北海道防衛局\", desk: \"総務部会計課会計係\"",
        "key が重複",
    );
    reported(
        &problems,
        &s,
        f,
        "compute: { rule: incident_obligation }",
        "incident_obligations",
    );
}

#[test]
fn the_gateway_library_loads_with_one_open_application_per_site_and_the_provider_s_whitelist() {
    let lib = load_dir(&shipped("mod-dsg")).unwrap_or_else(|p| panic!("{p:?}"));
    let joining = &lib.procedures["joining"];
    assert_eq!(
        joining.unique_open.as_ref().map(|f| f.value.as_str()),
        Some("site_name")
    );
    let schedule = joining.transition("schedule_verification").unwrap();
    assert_eq!(schedule.sends[0].value, "visit_checklist");
    use mamori_library::model::Relation;
    assert_eq!(
        lib.registers["whitelist"].read_from,
        [
            Relation::ServiceContractor,
            Relation::ContractingOrganisation
        ]
    );

    // `unique_open` names one plain field of the form; `sends` a document of the procedure.
    let mut s = sources("mod-dsg");
    let file = "procedures/joining.yaml";
    edit(
        &mut s,
        file,
        "unique_open: site_name",
        "unique_open: terminals",
    );
    edit(
        &mut s,
        file,
        "sends: [visit_checklist]",
        "sends: [visit_list]",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    reported(&problems, &s, file, "unique_open: terminals", "一つの値");
    reported(&problems, &s, file, "sends: [visit_list]", "visit_list");
    assert_eq!(problems.len(), 2, "{problems:?}");

    let mut s = sources("mod-dsg");
    edit(&mut s, file, "unique_open: site_name", "unique_open: site");
    let problems = load_sources(s.clone()).unwrap_err();
    reported(&problems, &s, file, "unique_open: site", "様式にありません");

    // Where a register is read from is one of the relations a procedure's parties name.
    let mut s = sources("mod-dsg");
    let file = "registers/whitelist.yaml";
    edit(
        &mut s,
        file,
        "read_from: [service_contractor, contracting_organisation]",
        "read_from: [provider]",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    reported(&problems, &s, file, "read_from: [provider]", "provider");

    // ATLA's checklist is read from ATLA; its evidence is chosen among the case's files,
    // which only a text column can be.
    assert_eq!(
        lib.registers["inspection_checklist"].read_from,
        [Relation::ContractingOrganisation]
    );
    let mut s = sources("mod-dsg");
    let file = "procedures/joining.yaml";
    edit(
        &mut s,
        file,
        "            type: long_text\n            label: { ja: 確認した内容, en: What was checked }",
        "            type: long_text\n            from_attachments: true\n            label: { ja: 確認した内容, en: What was checked }",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    reported(&problems, &s, file, "id: detail", "from_attachments");
    assert_eq!(problems.len(), 1, "{problems:?}");
}

#[test]
fn a_rule_or_derivation_must_find_the_fields_it_reads() {
    // A form without the detection time: the rule comparing it with now would always pass.
    let mut s = sources("mod-incident-report");
    let form = s
        .iter()
        .find(|x| x.path.starts_with("forms/") && x.content.contains("- id: detected_at"))
        .map(|x| x.path.clone())
        .unwrap();
    edit(&mut s, &form, "- id: detected_at", "- id: detected_when");
    let problems = load_sources(s.clone()).unwrap_err();
    let file = "procedures/report.yaml";
    reported(
        &problems,
        &s,
        file,
        "check: { rule: detected_in_the_past }",
        "規則「detected_in_the_past」が読む項目「detected_at」",
    );

    // A derivation whose answers are missing from the form is reported where it is named.
    let mut s = sources("mod-dsg");
    let form = s
        .iter()
        .find(|x| x.path.starts_with("forms/") && x.content.contains("- id: site_country"))
        .map(|x| x.path.clone())
        .unwrap();
    edit(&mut s, &form, "- id: site_country", "- id: site_region");
    let problems = load_sources(s.clone()).unwrap_err();
    reported(
        &problems,
        &s,
        &form,
        "rule: dsg_eligibility",
        "「site_country」がこの様式にありません",
    );
}

/// The test library of seed 004's world (separation of duties, joint permissions).
fn duties_sources() -> Vec<Source> {
    fixture_sources("mod-duties")
}

/// The files of a test library under `fixtures/libraries`.
fn fixture_sources(id: &str) -> Vec<Source> {
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap())
        .join("../../fixtures/libraries")
        .join(id);
    let mut out = Vec::new();
    for sub in ["", "forms", "procedures"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap().flatten() {
            let path = e.path();
            if path.extension().is_some_and(|x| x == "yaml") {
                out.push(Source {
                    path: path
                        .strip_prefix(&dir)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                    content: std::fs::read_to_string(&path).unwrap(),
                });
            }
        }
    }
    out
}

#[test]
fn separation_of_duties_and_gatherings_are_checked() {
    let s = duties_sources();
    let lib = load_sources(s.clone()).unwrap_or_else(|p| panic!("{p:?}"));
    assert!(lib.warnings.is_empty(), "{:?}", lib.warnings);
    let file = "procedures/software.yaml";

    // An approval that excludes nobody loads, with a warning at its line.
    let mut w = s.clone();
    edit(
        &mut w,
        file,
        "    excludes: [applicant]\n    comment: required",
        "    comment: required",
    );
    let lib = load_sources(w.clone()).unwrap_or_else(|p| panic!("{p:?}"));
    reported(
        &lib.warnings,
        &w,
        file,
        "action: refuse",
        "誰も除外していません",
    );

    // Mistakes are refused, each at its line.
    let mut bad = s.clone();
    edit(
        &mut bad,
        file,
        "excludes: [applicant]\n    unavoidable:",
        "excludes: [{ took: submitt }, { subject: purpose }]\n    unavoidable:",
    );
    edit(
        &mut bad,
        file,
        "excludes: [applicant]\n    comment: required",
        "unavoidable:\n      overseen_by: []\n    comment: required",
    );
    edit(
        &mut bad,
        "procedures/change.yaml",
        "persons: 2",
        "persons: 1",
    );
    edit(
        &mut bad,
        file,
        "    jointly: true\n",
        "    jointly: true\n    once: true\n",
    );
    let problems = load_sources(bad.clone()).unwrap_err();
    reported(
        &problems,
        &bad,
        file,
        "took: submitt",
        "操作「submitt」はこの手続にありません",
    );
    reported(
        &problems,
        &bad,
        file,
        "took: submitt",
        "人 (person) の項目にしてください",
    );
    reported(
        &problems,
        &bad,
        file,
        "action: refuse",
        "excludes と一緒に書いてください",
    );
    reported(
        &problems,
        &bad,
        file,
        "action: refuse",
        "overseen_by（例外を確認する役割）を書いてください",
    );
    reported(
        &problems,
        &bad,
        "procedures/change.yaml",
        "persons: 1",
        "2 以上にしてください",
    );
    reported(&problems, &bad, file, "action: permit", "once は書けません");
    assert_eq!(problems.len(), 6, "{problems:#?}");

    // A joint action needs two parties.
    let mut one = s.clone();
    edit(
        &mut one,
        file,
        "      - { role: security_lead, of: parent_chain }\n      - { role: system_manager, of: parent_chain }\n    approves: true\n    jointly: true",
        "      - { role: security_lead, of: parent_chain }\n    approves: true\n    jointly: true",
    );
    let problems = load_sources(one.clone()).unwrap_err();
    reported(&problems, &one, file, "action: permit", "2 つ以上の当事者");
}

#[test]
fn an_emergency_path_needs_something_to_wait_for_someone_to_report_to_and_a_figure() {
    let s = duties_sources();
    let file = "procedures/exception.yaml";
    let mut bad = s.clone();
    edit(&mut bad, file, "within: 1 business day", "within: すぐ");
    edit(
        &mut bad,
        file,
        "      ratified_by:\n        - { role: ciso, of: parent_chain }\n",
        "      ratified_by: []\n",
    );
    let problems = load_sources(bad.clone()).unwrap_err();
    reported(
        &problems,
        &bad,
        file,
        "within: すぐ",
        "within「すぐ」を読めません",
    );
    reported(
        &problems,
        &bad,
        file,
        "action: take_measure",
        "ratified_by（事後に報告を受ける役割）",
    );
    let mut bad = s.clone();
    edit(
        &mut bad,
        file,
        "    requires:\n      - check: { done: permit }\n        message:\n          ja: CISO の許可を得てから講じてください（緊急の場合を除く）。\n          en: Take it once the CISO has permitted it (except in an emergency).\n",
        "",
    );
    let problems = load_sources(bad.clone()).unwrap_err();
    reported(
        &problems,
        &bad,
        file,
        "action: take_measure",
        "requires のある操作にだけ",
    );
}

#[test]
fn steps_that_designate_are_checked_for_their_role_and_the_fields_they_read() {
    let s = duties_sources();
    let file = "procedures/deputy.yaml";
    let mut bad = s.clone();
    edit(
        &mut bad,
        file,
        "      - role: deputy_ciso\n        person: deputy\n        from:",
        "      - role: deputy_cis\n        person: starts_on\n        post: deputy\n        from:",
    );
    edit(
        &mut bad,
        file,
        "      - role: deputy_ciso\n        person: deputy\n    to:",
        "      - role: deputy_ciso\n        person: deputy\n        from: starts_on\n    to:",
    );
    let problems = load_sources(bad.clone()).unwrap_err();
    reported(
        &problems,
        &bad,
        file,
        "role: deputy_cis",
        "役割「deputy_cis」は library.yaml の roles にありません",
    );
    reported(
        &problems,
        &bad,
        file,
        "role: deputy_cis",
        "person か post のどちらか一つ",
    );
    reported(
        &problems,
        &bad,
        file,
        "person: starts_on",
        "person「starts_on」は person の項目にしてください",
    );
    reported(
        &problems,
        &bad,
        file,
        "post: deputy",
        "post「deputy」は text の項目にしてください",
    );
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("releases に from は書けません")),
        "{problems:#?}"
    );
}

#[test]
fn a_committee_s_ballot_and_resolution_are_checked() {
    let s = duties_sources();
    let file = "procedures/training_plan.yaml";
    let mut bad = s.clone();
    edit(&mut bad, file, "ballot: vote", "ballot: submit");
    edit(&mut bad, file, "quorum: \"1/2\"", "quorum: half");
    edit(&mut bad, file, "carried: approved", "carried: approve");
    edit(&mut bad, file, "{ id: against,", "{ id: no,");
    let problems = load_sources(bad.clone()).unwrap_err();
    reported(
        &problems,
        &bad,
        file,
        "ballot: submit",
        "ballot: true の操作にしてください",
    );
    reported(&problems, &bad, file, "quorum: half", "分数");
    reported(
        &problems,
        &bad,
        file,
        "carried: approve",
        "状態「approve」は states にありません",
    );
    reported(
        &problems,
        &bad,
        file,
        "action: vote",
        "必須の選択肢の項目 vote",
    );
}

#[test]
fn a_secret_is_an_action_s_field_and_says_whom_it_is_for() {
    let s = fixture_sources("mod-operations");
    load_sources(s.clone()).unwrap_or_else(|p| panic!("{p:?}"));
    let mut bad = s.clone();
    edit(
        &mut bad,
        "procedures/registration.yaml",
        "        for: [applicant]\n",
        "",
    );
    edit(
        &mut bad,
        "forms/registration.yaml",
        "    type: text",
        "    type: secret",
    );
    let problems = load_sources(bad.clone()).unwrap_err();
    reported(
        &problems,
        &bad,
        "procedures/registration.yaml",
        "id: initial_password",
        "for（誰に渡すか）",
    );
    reported(
        &problems,
        &bad,
        "forms/registration.yaml",
        "id: user_name",
        "操作の項目にだけ",
    );
    let mut bad = s.clone();
    edit(
        &mut bad,
        "procedures/registration.yaml",
        "for: [applicant]",
        "for: [{ subject: login_id }]",
    );
    let problems = load_sources(bad.clone()).unwrap_err();
    reported(
        &problems,
        &bad,
        "procedures/registration.yaml",
        "subject: login_id",
        "人 (person) の項目にしてください",
    );
}

#[test]
fn the_incident_events_the_rules_know_are_exactly_the_form_s_options() {
    // The rules know each event's clause and group by its code; the form words it. One
    // list each way, joined by the code: neither may gain an event the other lacks.
    let lib = load_dir(&shipped("mod-incident-report")).unwrap_or_else(|p| panic!("{p:?}"));
    let form = lib.forms.values().next().unwrap();
    let events = form.fields.iter().find(|f| f.id() == "events").unwrap();
    let mut options: Vec<&str> = events.options.iter().map(|o| o.id.value.as_str()).collect();
    let mut known: Vec<&str> = mamori_domain::rulebooks::incident::EVENTS
        .iter()
        .map(|e| e.code)
        .collect();
    options.sort_unstable();
    known.sort_unstable();
    assert_eq!(options, known);
}

#[test]
fn a_rulebook_s_rules_belong_to_its_library_alone() {
    // The gateway's library may not lean on the incident report's rule: each rulebook's
    // Rust is registered for its own library.
    let mut s = sources("mod-dsg");
    let (file, line) = s
        .iter()
        .find_map(|x| {
            x.content
                .lines()
                .find(|l| l.contains("rule: all_terminals_passed"))
                .map(|l| (x.path.clone(), l.to_owned()))
        })
        .unwrap();
    edit(
        &mut s,
        &file,
        "rule: all_terminals_passed",
        "rule: detected_in_the_past",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    let needle = line.replace("all_terminals_passed", "detected_in_the_past");
    reported(
        &problems,
        &s,
        &file,
        needle.trim(),
        "このライブラリでは使えません",
    );
}

#[test]
fn a_recurrence_says_how_often_and_for_whom_in_one_way_that_reads() {
    let mut s = sources("mod-external-service");
    let file = "procedures/approval.yaml";
    let good = "recurs:\n  every: 毎年度\n  for_each: organisation\n  role: ia_officer\n  remind: 30 days before\n";
    let f = s.iter_mut().find(|x| x.path == file).unwrap();
    f.content.push_str(good);
    let lib = load_sources(s.clone()).unwrap_or_else(|p| panic!("{p:?}"));
    let r = lib.procedures["approval"].recurs.as_ref().unwrap();
    assert_eq!(r.every().unwrap().to_string(), "fiscal year");
    // A recurring procedure may report its rounds up.
    let mut up = s.clone();
    up.iter_mut()
        .find(|x| x.path == file)
        .unwrap()
        .content
        .push_str("reports_up: true\n");
    let lib = load_sources(up).unwrap_or_else(|p| panic!("{p:?}"));
    assert!(lib.procedures["approval"].reports_up);

    let f = s.iter_mut().find(|x| x.path == file).unwrap();
    f.content = f.content.replace(
        good,
        "recurs:\n  on: [ \"10-01\", \"04-01\" ]\n  for_each: row\n  role: external_service_manager\n  register: external_services\n",
    );
    let lib = load_sources(s.clone()).unwrap_or_else(|p| panic!("{p:?}"));
    let r = lib.procedures["approval"].recurs.as_ref().unwrap();
    assert_eq!(r.every().unwrap().to_string(), "on 04-01, 10-01");

    for (bad, needle, fragment) in [
        (
            "recurs:\n  every: 5 months\n  for_each: organisation\n  role: ia_officer\n",
            "every: 5 months",
            "5 months",
        ),
        (
            "recurs:\n  on: [ \"02-29\" ]\n  for_each: organisation\n  role: ia_officer\n",
            "on: [ \"02-29\" ]",
            "02-29",
        ),
        (
            "recurs:\n  every: fiscal year\n  on: [ \"04-01\" ]\n  for_each: holder\n  role: ia_officer\n",
            "every: fiscal year",
            "一つだけ",
        ),
        (
            "recurs:\n  every: fiscal year\n  for_each: holder\n",
            "for_each: holder",
            "role",
        ),
        (
            "recurs:\n  every: fiscal year\n  for_each: organisation\n  role: ia_oficer\n",
            "role: ia_oficer",
            "ia_oficer",
        ),
        (
            "recurs:\n  every: fiscal year\n  for_each: row\n  role: ia_officer\n  register: services\n",
            "register: services",
            "services",
        ),
        (
            "recurs:\n  every: fiscal year\n  for_each: row\n  register: external_services\n",
            "for_each: row",
            "role",
        ),
        (
            "recurs:\n  every: fiscal year\n  for_each: organisation\n  role: ia_officer\n  remind: 30 days\n",
            "remind: 30 days",
            "before",
        ),
        // Only rounds have something done to report up.
        ("reports_up: true\n", "id: approval", "reports_up"),
    ] {
        let mut s = sources("mod-external-service");
        let f = s.iter_mut().find(|x| x.path == file).unwrap();
        f.content.push_str(bad);
        let problems = load_sources(s.clone()).unwrap_err();
        reported(&problems, &s, file, needle, fragment);
        assert_eq!(problems.len(), 1, "{bad}: {problems:?}");
    }
}

#[test]
fn a_register_says_which_of_its_date_columns_are_due_or_lapse_and_what_it_is_kept_from() {
    let file = "registers/external_services.yaml";
    let good = "retention_from: approved_on\ndates:\n  - column: approved_on\n    means: expires\n    remind: 30 days before\n    settled_by: refused_on\n";
    let mut s = sources("mod-external-service");
    s.iter_mut()
        .find(|x| x.path == file)
        .unwrap()
        .content
        .push_str(good);
    let lib = load_sources(s).unwrap_or_else(|p| panic!("{p:?}"));
    let register = &lib.registers["external_services"];
    assert_eq!(register.dates.len(), 1);
    assert_eq!(
        register.retention_from.as_ref().unwrap().value,
        "approved_on"
    );

    for (bad, needle, fragment) in [
        (
            "dates:\n  - column: approved_at\n    means: due\n",
            "column: approved_at",
            "approved_at",
        ),
        (
            "dates:\n  - column: nisc_advice\n    means: due\n",
            "column: nisc_advice",
            "type: date",
        ),
        (
            "dates:\n  - column: approved_on\n    means: due\n    remind: 30 days\n",
            "remind: 30 days",
            "before",
        ),
        (
            "dates:\n  - column: approved_on\n    means: due\n    settled_by: returned\n",
            "settled_by: returned",
            "returned",
        ),
        (
            "retention_from: service_name\n",
            "retention_from: service_name",
            "type: date",
        ),
    ] {
        let mut s = sources("mod-external-service");
        s.iter_mut()
            .find(|x| x.path == file)
            .unwrap()
            .content
            .push_str(bad);
        let problems = load_sources(s.clone()).unwrap_err();
        reported(&problems, &s, file, needle, fragment);
        assert_eq!(problems.len(), 1, "{bad}: {problems:?}");
    }
    // `means` is one of two words.
    let mut s = sources("mod-external-service");
    s.iter_mut()
        .find(|x| x.path == file)
        .unwrap()
        .content
        .push_str("dates:\n  - column: approved_on\n    means: overdue\n");
    assert!(load_sources(s).is_err());
}

#[test]
fn a_schedule_names_the_actions_that_finish_its_steps_so_a_rename_cannot_freeze_it() {
    let file = "procedures/joining.yaml";
    let lib = load_sources(sources("mod-dsg")).unwrap_or_else(|p| panic!("{p:?}"));
    let s = lib.procedures["joining"].schedule.as_ref().unwrap();
    assert_eq!(s.steps.len(), 7);
    assert_eq!(s.steps[3].title("ja"), "④ 回線敷設工事");

    for (from, to, needle, fragment) in [
        // Renaming an action the schedule names is caught at the schedule.
        (
            "        - action: record_survey\n",
            "        - action: record_site_survey\n",
            "action: record_site_survey",
            "record_site_survey",
        ),
        ("  from: submit\n", "  from: send\n", "from: send", "send"),
        (
            "  same_month: { from: s4, to: s7 }\n",
            "  same_month: { from: s4, to: s9 }\n",
            "to: s9",
            "s9",
        ),
        (
            "      skipped_when: { field: router, is: mobile }\n      finished_by:\n        - action: record_survey\n",
            "      skipped_when: { field: routers, is: mobile }\n      finished_by:\n        - action: record_survey\n",
            "field: routers",
            "routers",
        ),
        (
            "          when: { field: verification_outcome, is: passed }\n",
            "          when: { field: verification_result, is: passed }\n",
            "field: verification_result",
            "verification_result",
        ),
        (
            "    starts: adjust_starts\n",
            "    starts: adjust_reason\n",
            "starts: adjust_reason",
            "日付",
        ),
        ("      days: 60\n", "      days: 0\n", "days: 0", "1 以上"),
    ] {
        let mut s = sources("mod-dsg");
        let f = s.iter_mut().find(|x| x.path == file).unwrap();
        assert!(f.content.contains(from), "{from}");
        f.content = f.content.replacen(from, to, 1);
        let problems = load_sources(s.clone()).unwrap_err();
        reported(&problems, &s, file, needle, fragment);
        assert_eq!(problems.len(), 1, "{to}: {problems:?}");
    }
    // An option of the adjustment's step field that is no step.
    let mut s = sources("mod-dsg");
    let f = s.iter_mut().find(|x| x.path == file).unwrap();
    f.content = f.content.replacen(
        "          - { id: s7, label:",
        "          - { id: s8, label:",
        1,
    );
    let problems = load_sources(s.clone()).unwrap_err();
    reported(&problems, &s, file, "id: s8", "s8");
}

#[test]
fn the_installation_sets_its_own_days_for_a_schedule_and_an_organisation_builds_on_them() {
    let with = |extra: &[(&str, &str)]| {
        let mut s = sources("mod-dsg");
        for (path, content) in extra {
            s.push(Source {
                path: (*path).into(),
                content: (*content).into(),
            });
        }
        s
    };
    let days = |lib: &mamori_library::Library| -> Vec<u32> {
        lib.procedures["joining"]
            .schedule
            .as_ref()
            .unwrap()
            .steps
            .iter()
            .map(|s| s.days.value)
            .collect()
    };
    let installation = "schedules:\n  - { procedure: joining, step: s2, days: 40 }\n";
    let lib = load_sources(with(&[("installation.yaml", installation)])).unwrap();
    assert_eq!(days(&lib), [10, 40, 10, 5, 3, 5, 3]);
    // An organisation's variant applies after the installation's, keeping what it does not change.
    let lib = load_sources(with(&[
        ("installation.yaml", installation),
        (
            "adaptation.yaml",
            "schedules:\n  - { procedure: joining, step: s7, days: 2 }\n",
        ),
    ]))
    .unwrap();
    assert_eq!(days(&lib), [10, 40, 10, 5, 3, 5, 2]);

    for (spec, needle, fragment) in [
        (
            "schedules:\n  - { procedure: joining, step: s9, days: 4 }\n",
            "step: s9",
            "s9",
        ),
        (
            "schedules:\n  - { procedure: software, step: s2, days: 4 }\n",
            "procedure: software",
            "schedule",
        ),
        (
            "schedules:\n  - { procedure: joining, step: s2, days: 0 }\n",
            "days: 0",
            "1 以上",
        ),
    ] {
        let s = with(&[("installation.yaml", spec)]);
        let problems = load_sources(s.clone()).unwrap_err();
        reported(&problems, &s, "installation.yaml", needle, fragment);
    }
    // The installation sets figures, not forms: those are each organisation's.
    let problems = load_sources(with(&[(
        "installation.yaml",
        "forms:\n  - form: application\n    reword: []\n",
    )]))
    .unwrap_err();
    assert!(
        problems.iter().any(|p| p.file == "installation.yaml"
            && p.message.contains("deadlines、schedules と ceilings")),
        "{problems:?}"
    );
}

#[test]
fn classification_axes_their_conditions_and_ceilings_are_checked() {
    let good = fixture("mod-classes");
    let lib = load_sources(good.clone()).expect("the fixture loads");
    let form = &lib.forms["transport"];
    let heads: Vec<&str> = form.fields.iter().take(3).map(|f| f.id()).collect();
    assert_eq!(heads, ["confidentiality", "integrity", "availability"]);
    assert!(form.fields[0].required, "the axis says required");
    let columns: Vec<&str> = lib.registers["assets"]
        .columns
        .iter()
        .map(|f| f.id())
        .collect();
    assert_eq!(
        columns.last(),
        Some(&"availability"),
        "rows are classified last"
    );

    let mut s = good.clone();
    edit(
        &mut s,
        "procedures/transport.yaml",
        "check: { not: { class: confidentiality, at_least: c2 } }",
        "check: { not: { class: secrecy, at_least: c2 } }",
    );
    edit(
        &mut s,
        "procedures/transport.yaml",
        "when: { class: confidentiality, at_least: c2 }",
        "when: { class: confidentiality, at_least: c9 }",
    );
    edit(
        &mut s,
        "library.yaml",
        "      - { id: i2, label: { ja: 完全性2, en: I2 } }",
        "      - { id: i1, label: { ja: 完全性2, en: I2 } }\n    ceiling: { level: i3, reason: { ja: 例 } }",
    );
    edit(
        &mut s,
        "forms/transport.yaml",
        "  - id: destination",
        "  - id: integrity",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    reported(
        &problems,
        &s,
        "procedures/transport.yaml",
        "class: secrecy",
        "格付の軸「secrecy」",
    );
    reported(
        &problems,
        &s,
        "procedures/transport.yaml",
        "at_least: c9",
        "「c9」は軸「confidentiality」の区分にありません",
    );
    reported(
        &problems,
        &s,
        "library.yaml",
        "id: i1, label: { ja: 完全性2",
        "区分「i1」が重複",
    );
    reported(&problems, &s, "library.yaml", "level: i3", "上限「i3」");
    reported(
        &problems,
        &s,
        "forms/transport.yaml",
        "id: integrity",
        "予約されています",
    );

    // An installation may lower a ceiling, never raise it above the library's.
    let mut s = good.clone();
    s.push(Source {
        path: "installation.yaml".into(),
        content:
            "ceilings:\n  - { axis: confidentiality, level: c2, reason: { ja: 当庁の規程 } }\n"
                .into(),
    });
    let lib = load_sources(s.clone()).expect("a lowered ceiling loads");
    assert_eq!(lib.axis("confidentiality").unwrap().ceiling_rank(), Some(1));
    let ceiling = lib.forms["transport"].fields[0]
        .ceiling
        .as_ref()
        .expect("the field knows it");
    assert_eq!(ceiling.rank, 1);
    edit(
        &mut s,
        "library.yaml",
        "    required: true\n",
        "    required: true\n    ceiling: { level: c1, reason: { ja: 例 } }\n",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    reported(
        &problems,
        &s,
        "installation.yaml",
        "level: c2",
        "上限は下げることだけができます",
    );
}

#[test]
fn roles_held_for_a_row_and_the_row_a_case_is_about_are_checked() {
    let good = fixture("mod-yearly");
    let lib = load_sources(good.clone()).expect("the fixture loads");
    let about = lib.procedures["system_check"].about.as_ref().unwrap();
    assert_eq!(about.register.value, "systems");
    assert!(about.ceiling);

    // A party for the case's row needs the procedure to be about a row…
    let mut s = good.clone();
    edit(
        &mut s,
        "procedures/system_check.yaml",
        "about: { register: systems, key: { system_name: $system_name }, ceiling: true }\n",
        "",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    reported(
        &problems,
        &s,
        "procedures/system_check.yaml",
        "of: case_row",
        "about",
    );

    // …of a register holding that role for its rows, with a key of its columns.
    let mut s = good.clone();
    edit(
        &mut s,
        "registers/systems.yaml",
        "roles: [system_manager]",
        "roles: [staff, auditor_x]",
    );
    edit(
        &mut s,
        "procedures/system_check.yaml",
        "key: { system_name: $system_name }",
        "key: { system: $system_name }",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    reported(
        &problems,
        &s,
        "registers/systems.yaml",
        "roles: [staff",
        "auditor_x",
    );
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("roles にありません")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.message.contains("system")),
        "the key's column is checked: {problems:?}"
    );
}

#[test]
fn who_decided_is_written_by_name_and_never_keys_a_row() {
    let mut s = sources("mod-system-ops");
    let file = "procedures/password_reset.yaml";
    load_sources(s.clone()).expect("`$actor` in a value is accepted");
    edit(
        &mut s,
        file,
        "key: { system_name: $system_name, login_id: $login_id }\n        set: { password_reset_on: $today, reset_by: $actor }",
        "key: { system_name: $system_name, login_id: $actor }\n        set: { password_reset_on: $today, reset_by: $actor }",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    reported(
        &problems,
        &s,
        file,
        "- register: system_users",
        "「$actor」の項目はこの手続にありません",
    );
}

#[test]
fn a_register_s_workbook_is_laid_out_by_its_template() {
    let mut s = sources("mod-system-ops");
    let file = "registers/mobile_terminals.yaml";
    // The workbook's layout is the file's last block: drop it.
    let content = s.iter().find(|x| x.path == file).unwrap().content.clone();
    let start = content.find("    template: |\n      columns: 16").unwrap();
    edit(&mut s, file, &content[start..], "");
    let problems = load_sources(s.clone()).unwrap_err();
    reported(
        &problems,
        &s,
        file,
        "- id: ledger_xlsx",
        "台帳の文書「ledger_xlsx」には template が要ります",
    );
}

#[test]
fn a_matrix_reading_may_place_the_marks_but_never_change_them() {
    let mut s = sources("mic-lg-security");
    let file = "matrices/responsibilities.yaml";
    // 6.1(17)②: 統括 and the system manager permit, staff obtain it. Swapping the reading
    // of the last two gives the marks back in another order.
    edit(
        &mut s,
        file,
        "cells: { chief: \"許\", system_manager: \"許\", staff: \"○\" }",
        "cells: { chief: \"許\", system_manager: \"○\", staff: \"許\" }",
    );
    // A mark the legend lacks, and a column the table lacks.
    edit(
        &mut s,
        file,
        "cells: { ciso: \"承\", chief: \"○\", system_manager: \"○\" }",
        "cells: { ciso: \"承\", chief: \"○\", mayor: \"○\" }",
    );
    let gate = "procedures/take_out.yaml";
    edit(
        &mut s,
        gate,
        "row: \"5.1(1)③(イ)\"",
        "row: \"5.1(1)③(ア)(イ)\"",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    reported(
        &problems,
        &s,
        file,
        "id: \"6.1(17)②\"",
        "「許 ○ 許」で、marks「許 許 ○」と合いません",
    );
    reported(
        &problems,
        &s,
        file,
        "id: \"4.1(6)\"",
        "列「mayor」はこの一覧表にありません",
    );
    reported(
        &problems,
        &s,
        gate,
        "row: \"5.1(1)③(ア)(イ)\"",
        "一覧表「responsibilities」に行「5.1(1)③(ア)(イ)」がありません",
    );
}

#[test]
fn a_table_set_beside_another_register_names_its_whole_key_and_columns_both_have() {
    let mut s = sources("mic-lg-security");
    let p = "procedures/id_review.yaml";
    edit(
        &mut s,
        p,
        "      key: { staff_number: $staff_number }",
        "      key: { staff_name: $staff_numbr }",
    );
    edit(
        &mut s,
        p,
        "      columns: { hr_status: status, hr_section: section }",
        "      columns: { hr_status: state, hr_office: section }",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
    for wanted in [
        "キー列 (staff_number)",
        "「$staff_numbr」は台帳「user_ids」の列にありません",
        "beside の列「state」は台帳「personnel_roster」にありません",
        "beside の写し先「hr_office」は表「ids」の列にありません",
    ] {
        assert!(
            messages.iter().any(|m| m.contains(wanted)),
            "{wanted} in {messages:?}"
        );
    }
    assert!(problems.iter().all(|x| x.file.ends_with(p)), "{problems:?}");
}

#[test]
fn a_questionnaire_read_from_the_matrix_asks_each_role_the_rows_it_holds() {
    let mut s = sources("mic-lg-security");
    let file = "catalogs/role_check.yaml";
    s.push(Source {
        path: file.into(),
        content: r#"id: role_check
title: { ja: 役割ごとの点検 }
by: [{ role: lg_manager, of: own_organisation }]
from_matrix: { matrix: responsibilities, marks: ["許"] }
"#
        .into(),
    });
    let lib = load_sources(s.clone()).unwrap();
    let catalog = &lib.catalogs["role_check"];
    let matrix = &lib.matrices["responsibilities"];
    // One requirement per cell of a role's column holding 許, in the matrix's order.
    let expected: Vec<String> = matrix
        .rows
        .iter()
        .flat_map(|r| {
            matrix
                .columns
                .iter()
                .filter(|c| c.role.is_some() && r.cells.get(&c.id.value).is_some_and(|m| m == "許"))
                .map(move |c| format!("{}:{}", r.id.value, c.id.value))
        })
        .collect();
    let ids: Vec<&str> = catalog
        .requirements
        .iter()
        .map(|r| r.id.value.as_str())
        .collect();
    assert_eq!(ids, expected);
    assert_eq!(ids.len(), 22, "the 22 許 of the guideline's table");
    // Taking out a device is the 管理者's to permit (5.1(1)③(イ)), in their group.
    let take_out = catalog
        .requirements
        .iter()
        .find(|r| r.id.value == "5.1(1)③(イ):manager")
        .unwrap();
    assert_eq!(take_out.group.as_ref().unwrap().value, "manager");
    assert_eq!(
        take_out.text.ja,
        matrix.row("5.1(1)③(イ)").unwrap().title.ja
    );
    assert!(catalog.groups.iter().any(|g| g.id.value == "manager"));

    // A matrix the library lacks, or neither requirements nor a matrix, is refused.
    edit(
        &mut s,
        file,
        "matrix: responsibilities",
        "matrix: responsibilitiez",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    reported(
        &problems,
        &s,
        file,
        "responsibilitiez",
        "一覧表「responsibilitiez」",
    );
    edit(
        &mut s,
        file,
        "from_matrix: { matrix: responsibilitiez, marks: [\"許\"] }\n",
        "",
    );
    let problems = load_sources(s.clone()).unwrap_err();
    reported(&problems, &s, file, "id: role_check", "要件がありません");
}

//! Every route, as every role: a person of company 乙 never reads or changes anything of
//! company 甲, and within 甲 each role gets exactly what the policy grants.

use std::collections::BTreeSet;

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

/// The people and organisations of the walk.
struct World {
    sys: Client,
    mod_: String,
    a: String,
    /// 丙, a third company whose administrator states relations towards 甲 (outside the walk,
    /// so that what 丙 itself records of them stays out of the roles' answers).
    c: String,
    admin_c: Client,
    site_a: String,
    member_a_id: String,
    post_a: String,
    designation_a: String,
    case_a: String,
    incident_a: String,
    /// 甲's site joining the gateway, submitted.
    joining_a: String,
    /// A file attached to `case_a`.
    attachment_a: String,
    /// 甲's registry row, written by `case_a`.
    row_a: String,
    /// 甲's system in the systems register, whose manager is designated on its row.
    system_a: String,
    roles: Vec<(&'static str, Option<Client>)>,
}

async fn world(t: &TestApp) -> World {
    let sys = t.admin().await;
    let mod_ = t.org(&sys, "防衛省", "ministry", None).await;
    let atla = t.org(&sys, "防衛装備庁", "agency", Some(&mod_)).await;
    let a = t.org(&sys, "甲社", "company", None).await;
    let site_a = t.org(&sys, "甲社 本社拠点", "site", Some(&a)).await;
    let b = t.org(&sys, "乙社", "company", None).await;
    t.create(
        &sys,
        &format!("/api/v1/organisations/{a}/relations"),
        json!({"kind": "contracts_with", "other": atla}),
    )
    .await;
    let admin_a = t.person(&sys, "甲 管理", "admin@ko.example.jp", &a).await;
    let auditor_a = t.person(&sys, "甲 監査", "auditor@ko.example.jp", &a).await;
    let member_a_id = t.person(&sys, "甲 職員", "member@ko.example.jp", &a).await;
    let admin_b = t.person(&sys, "乙 管理", "admin@otsu.example.jp", &b).await;
    let c = t.org(&sys, "丙社", "company", None).await;
    let admin_c = t.person(&sys, "丙 管理", "admin@hei.example.jp", &c).await;
    t.designate(&sys, "administrator", &c, &admin_c).await;
    let admin_c = t
        .first_login("admin@hei.example.jp", "initial-pass-1")
        .await;
    t.person(&sys, "乙 職員", "member@otsu.example.jp", &b)
        .await;
    t.designate(&sys, "administrator", &a, &admin_a).await;
    let designation_a = t.designate(&sys, "auditor", &a, &auditor_a).await;
    t.designate(&sys, "administrator", &b, &admin_b).await;
    // 甲 runs the external-service approval: its member applies, its administrator decides.
    t.designate(&sys, "ia_officer", &a, &member_a_id).await;
    t.designate(&sys, "chief_ia_officer", &a, &admin_a).await;
    // …and reports incidents.
    t.designate(&sys, "incident_reporter", &a, &member_a_id)
        .await;
    // …and applies for a site to join the gateway.
    t.designate(&sys, "dsg_administrator", &a, &member_a_id)
        .await;
    let post_a = t
        .create(
            &sys,
            "/api/v1/posts",
            json!({"organisation": a, "name": "甲社 情報保証責任者"}),
        )
        .await;
    let mut roles: Vec<(&'static str, Option<Client>)> =
        vec![("system_admin", Some(t.admin().await))];
    for (role, email) in [
        ("admin_a", "admin@ko.example.jp"),
        ("auditor_a", "auditor@ko.example.jp"),
        ("member_a", "member@ko.example.jp"),
        ("admin_b", "admin@otsu.example.jp"),
        ("member_b", "member@otsu.example.jp"),
    ] {
        roles.push((role, Some(t.first_login(email, "initial-pass-1").await)));
    }
    roles.push(("anonymous", None));
    let member_a = roles[3].1.as_ref().unwrap();
    let case_a = new_case(t, member_a, &a, "甲社 オンライン会議").await;
    let incident_a = t
        .create(
            member_a,
            "/api/v1/cases",
            json!({"procedure": "report", "organisation": a, "data": {"company": "甲社 本社"}}),
        )
        .await;
    let (status, body) = send(
        member_a,
        Method::POST,
        &t.url(&format!("/api/v1/cases/{case_a}/actions/submit")),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let joining_a = t
        .create(
            member_a,
            "/api/v1/cases",
            json!({"procedure": "joining", "organisation": a, "data": {
                "company": "甲社", "site_name": "甲社 本社拠点", "site_address": "東京都",
                "administrator": {"name": "甲 職員", "phone": "03-0000-0000"}, "req_contract": true, "req_facility": "built",
                "audit_evidence": "none", "req_equipment": true, "site_country": "japan",
                "router": "mobile", "terminals": [{"terminal_id": "PC-01"}],
                "vein_people": [{"name": "甲 職員", "method": "remote"}], "consent_schedule": true,
                "consent_month": true, "consent_incidental_works": true, "data_moved": true,
                "consent_software": true}}),
        )
        .await;
    let (status, body) = t
        .attach_for(
            member_a,
            &joining_a,
            "evidence_contract",
            "実績.pdf",
            b"%PDF-1.7 ko",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = send(
        member_a,
        Method::POST,
        &t.url(&format!("/api/v1/cases/{joining_a}/actions/submit")),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A registry row kept by 甲, once NISC is asked.
    let admin_a_client = roles[1].1.as_ref().unwrap();
    let (status, body) = send(
        admin_a_client,
        Method::POST,
        &t.url(&format!("/api/v1/cases/{case_a}/actions/ask_nisc")),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = send(
        admin_a_client,
        Method::POST,
        &t.url(&format!(
            "/api/v1/cases/{case_a}/actions/record_nisc_advice"
        )),
        Some(json!({"fields": {"nisc_advice_on": "2026-11-01", "nisc_advice": "甲社への助言"}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = upload(
        admin_a_client,
        &t.url(&format!("/api/v1/cases/{case_a}/attachments")),
        "甲社 資料.pdf",
        b"%PDF-1.7 ko",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let attachment_a = body["id"].as_str().unwrap().to_owned();
    let (_, rows) = send(
        admin_a_client,
        Method::GET,
        &t.url("/api/v1/registers/external_services/rows"),
        None,
    )
    .await;
    assert_eq!(
        rows["rows"][0]["data"]["service_name"], "甲社 オンライン会議",
        "the row the walk's filtered listing finds: {rows}"
    );
    // 甲's own system, kept in the systems register by 甲's department-wide system manager,
    // who takes no part in the walk (where the yearly library is loaded).
    let mut system_a = String::new();
    if t.app.libraries().latest("mod-yearly").is_some() {
        let keeper = t.person(&sys, "甲 基盤", "keeper@ko.example.jp", &a).await;
        t.designate(&sys, "system_manager", &a, &keeper).await;
        let keeper = t
            .first_login("keeper@ko.example.jp", "initial-pass-1")
            .await;
        system_a = t
            .create(
                &keeper,
                "/api/v1/registers/systems/rows",
                json!({"organisation": a, "data": {"system_name": "甲社 基幹システム"}}),
            )
            .await;
    }
    // 甲's mobile terminal in its equipment ledger (付紙様式第2), kept by 甲's system staff,
    // who take no part in the walk: its printed ledger is 甲's alone.
    let terminal_keeper = t
        .person(&sys, "甲 端末担当", "terminals@ko.example.jp", &a)
        .await;
    t.designate(&sys, "ops_system_staff", &a, &terminal_keeper)
        .await;
    let terminal_keeper = t
        .first_login("terminals@ko.example.jp", "initial-pass-1")
        .await;
    t.create(
        &terminal_keeper,
        "/api/v1/registers/mobile_terminals/rows",
        json!({"organisation": a, "data": {"system_name": "甲社 現場システム", "control_number": "KO-T-1",
               "model": "甲 TB", "use_from": "2026-04-01", "use_until": "2026-04-30",
               "user_name": "甲 利用者", "purpose": "甲社の点検"}}),
    )
    .await;
    World {
        system_a,
        row_a: rows["rows"][0]["id"].as_str().unwrap().to_owned(),
        attachment_a,
        case_a,
        incident_a,
        joining_a,
        sys,
        mod_,
        a,
        c,
        admin_c,
        site_a,
        member_a_id,
        post_a,
        designation_a,
        roles,
    }
}

/// What a role may get from a route aimed at 甲's data.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// 2xx.
    Allowed,
    /// 403 or 404, with nothing of 甲 in the answer.
    Denied,
    /// 200, but only with what the role may see: nothing of 甲 for 乙's roles.
    Listed,
    /// 401.
    Unauthenticated,
}

const A_ADMINS: &[&str] = &["system_admin", "admin_a"];
/// The only holder of 甲's information-assurance officer role.
const A_OFFICER: &[&str] = &["member_a"];

/// Opens a complete draft of the external-service application for `org`.
async fn new_case(t: &TestApp, c: &Client, org: &str, service: &str) -> String {
    t.create(
        c,
        "/api/v1/cases",
        json!({"procedure": "approval", "organisation": org, "data": {
            "service_name": service, "provider": "甲社 取引先", "service_kind": "web_meeting",
            "includes_generative_ai": false,
            "purpose": "会議", "users": "甲社 全員", "app_install": false, "no_business_data": true, "information": "no_business_data"}}),
    )
    .await
}
const A_READERS: &[&str] = &["system_admin", "admin_a", "auditor_a", "member_a"];

/// 甲's service in its registry, as a query string writes it (甲社 オンライン会議).
const A_SERVICE: &str =
    "%E7%94%B2%E7%A4%BE%20%E3%82%AA%E3%83%B3%E3%83%A9%E3%82%A4%E3%83%B3%E4%BC%9A%E8%AD%B0";
const AUDIT_READERS: &[&str] = &["system_admin", "admin_a", "auditor_a", "admin_b"];

/// Every API route and who may use it on 甲's data.
const ROUTES: &[(&str, &str, &[&str])] = &[
    ("GET", "/api/v1/organisations", &[]),
    ("POST", "/api/v1/organisations", A_ADMINS),
    ("GET", "/api/v1/organisations/{id}", A_READERS),
    ("PATCH", "/api/v1/organisations/{id}", A_ADMINS),
    ("DELETE", "/api/v1/organisations/{id}", A_ADMINS),
    ("GET", "/api/v1/organisations/{id}/relations", A_READERS),
    // What reports to 甲 is read by those who read 甲's cases.
    ("GET", "/api/v1/organisations/{id}/rollup", A_READERS),
    ("POST", "/api/v1/organisations/{id}/relations", A_ADMINS),
    ("DELETE", "/api/v1/relations/{id}", A_ADMINS),
    ("POST", "/api/v1/relations/{id}/accept", A_ADMINS),
    (
        "GET",
        "/api/v1/organisations/{id}/adaptations/{library}",
        A_READERS,
    ),
    (
        "PUT",
        "/api/v1/organisations/{id}/adaptations/{library}",
        A_ADMINS,
    ),
    (
        "DELETE",
        "/api/v1/organisations/{id}/adaptations/{library}",
        A_ADMINS,
    ),
    ("GET", "/api/v1/persons", &[]),
    ("POST", "/api/v1/persons", A_ADMINS),
    ("POST", "/api/v1/persons/import", A_ADMINS),
    ("GET", "/api/v1/persons/{id}", A_READERS),
    ("PATCH", "/api/v1/persons/{id}", A_ADMINS),
    ("POST", "/api/v1/persons/{id}/password-reset", A_ADMINS),
    ("POST", "/api/v1/persons/{id}/totp-reset", A_ADMINS),
    ("GET", "/api/v1/persons/{id}/tokens", TOKEN_MANAGERS),
    (
        "DELETE",
        "/api/v1/persons/{id}/tokens/{token}",
        TOKEN_MANAGERS,
    ),
    ("GET", "/api/v1/persons/{id}/passkeys", TOKEN_MANAGERS),
    (
        "DELETE",
        "/api/v1/persons/{id}/passkeys/{passkey}",
        TOKEN_MANAGERS,
    ),
    ("GET", "/api/v1/posts", &[]),
    ("POST", "/api/v1/posts", A_ADMINS),
    ("GET", "/api/v1/posts/{id}", A_READERS),
    ("PATCH", "/api/v1/posts/{id}", A_ADMINS),
    ("POST", "/api/v1/posts/{id}/holders", A_ADMINS),
    ("GET", "/api/v1/designations", &[]),
    ("POST", "/api/v1/designations", A_ADMINS),
    ("GET", "/api/v1/designations/{id}", A_READERS),
    ("POST", "/api/v1/designations/{id}/end", A_ADMINS),
    // Only a holder delegates, and only a role its library lets be delegated: 甲's
    // auditor role is no one's to delegate.
    ("POST", "/api/v1/designations/{id}/delegations", &[]),
    ("GET", "/api/v1/audit", AUDIT_READERS),
    ("GET", "/api/v1/audit.csv", AUDIT_READERS),
    ("GET", "/api/v1/libraries", &[]),
    ("GET", "/api/v1/assessments", &[]),
    ("POST", "/api/v1/assessments", A_OFFICER),
    ("GET", "/api/v1/assessments/{id}", A_READERS),
    ("PUT", "/api/v1/assessments/{id}/answers", A_OFFICER),
    ("POST", "/api/v1/assessments/{id}/submit", A_OFFICER),
    ("GET", "/api/v1/assessments/{id}/findings", A_READERS),
    ("POST", "/api/v1/assessments/{id}/evidence", A_OFFICER),
    ("POST", "/api/v1/organisations/{id}/evidence", A_OFFICER),
    ("GET", "/api/v1/organisations/{id}/evidence", A_READERS),
    ("GET", "/api/v1/evidence/{id}", A_READERS),
    ("GET", "/api/v1/cases", &[]),
    ("POST", "/api/v1/cases", A_OFFICER),
    ("GET", "/api/v1/cases/{id}", A_READERS),
    ("PATCH", "/api/v1/cases/{id}", A_OFFICER),
    ("POST", "/api/v1/cases/{id}/actions/{action}", A_OFFICER),
    ("GET", "/api/v1/cases/{id}/hold", A_READERS),
    // A legal hold is an administrator's or an auditor's over 甲.
    ("POST", "/api/v1/cases/{id}/hold", A_HOLDERS),
    ("DELETE", "/api/v1/cases/{id}/hold", A_HOLDERS),
    ("GET", "/api/v1/cases/{id}/documents/{name}", A_READERS),
    ("GET", "/api/v1/cases/{id}/calls", A_READERS),
    ("GET", "/api/v1/cases/{id}/schedule", A_READERS),
    ("GET", "/api/v1/cases/{id}/schedule/{file}", A_READERS),
    ("GET", "/api/v1/dsg/sites", &[]),
    ("POST", "/api/v1/cases/{id}/attachments", A_OFFICER),
    ("POST", "/api/v1/cases/{id}/bundle", A_READERS),
    (
        "GET",
        "/api/v1/cases/{id}/attachments/{attachment}",
        A_READERS,
    ),
    (
        "DELETE",
        "/api/v1/cases/{id}/attachments/{attachment}",
        A_OFFICER,
    ),
    ("GET", "/api/v1/inbox", &[]),
    ("GET", "/api/v1/obligations", &[]),
    ("GET", "/api/v1/obligations/{library}/{procedure}", &[]),
    (
        "GET",
        "/api/v1/obligations/{library}/{procedure}/board.xlsx",
        &[],
    ),
    ("GET", "/api/v1/overrides", &[]),
    ("GET", "/api/v1/emergencies", &[]),
    ("POST", "/api/v1/cases/{id}/emergencies/{seq}", &[]),
    // 甲's case hands over no secret: there is none to show or confirm, for anyone.
    (
        "POST",
        "/api/v1/cases/{id}/secrets/{seq}/{field}/reveal",
        &[],
    ),
    (
        "POST",
        "/api/v1/cases/{id}/secrets/{seq}/{field}/receipt",
        &[],
    ),
    ("GET", "/api/v1/registers/{id}/rows", &[]),
    ("POST", "/api/v1/registers/{id}/rows", A_CHIEF),
    ("GET", "/api/v1/registers/{id}/rows/{row}", A_READERS),
    ("PATCH", "/api/v1/registers/{id}/rows/{row}", A_CHIEF),
    ("POST", "/api/v1/registers/{id}/rows/{row}/retire", A_CHIEF),
    // A legal hold is an administrator's or an auditor's over 甲.
    ("POST", "/api/v1/registers/{id}/rows/{row}/hold", A_HOLDERS),
    (
        "DELETE",
        "/api/v1/registers/{id}/rows/{row}/hold",
        A_HOLDERS,
    ),
    // Roles held for a row: read by its readers, given and ended by administrators over 甲.
    ("GET", "/api/v1/registers/{id}/rows/{row}/roles", A_READERS),
    ("POST", "/api/v1/registers/{id}/rows/{row}/roles", A_ADMINS),
    (
        "DELETE",
        "/api/v1/registers/{id}/rows/{row}/roles/{designation}",
        A_ADMINS,
    ),
    ("GET", "/api/v1/registers/{id}/export.xlsx", &[]),
    ("GET", "/api/v1/registers/{id}/documents/{file}", &[]),
    ("POST", "/api/v1/registers/{id}/export.zip", &[]),
    ("POST", "/api/v1/registers/{id}/import", A_CHIEF),
    // The guideline's matrix is everyone's; 甲's reading of it is read where 甲 is, and
    // corrected only by a local government's CISO or 統括, which 甲 (a company) has none of.
    ("GET", "/api/v1/matrices", &[]),
    ("GET", "/api/v1/matrices/{library}/{matrix}", A_READERS),
    (
        "GET",
        "/api/v1/matrices/{library}/{matrix}/rows/{row}",
        A_READERS,
    ),
    (
        "POST",
        "/api/v1/matrices/{library}/{matrix}/rows/{row}/corrections",
        &[],
    ),
];

/// Who may place and release a legal hold on 甲's rows: administrators and auditors over 甲.
const A_HOLDERS: &[&str] = &["system_admin", "admin_a", "auditor_a"];

/// The editor of 甲's external-service registry (its chief information-assurance officer).
const A_CHIEF: &[&str] = &["admin_a"];

/// Who may list and revoke member_a's API tokens: 甲's administrators, and member_a.
const TOKEN_MANAGERS: &[&str] = &["system_admin", "admin_a", "member_a"];

/// Routes about the caller themselves, tested elsewhere; here only their coverage counts.
const SELF_ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/v1/session"),
    ("DELETE", "/api/v1/session"),
    ("GET", "/api/v1/me"),
    ("POST", "/api/v1/me/password"),
    ("GET", "/api/v1/notifications"),
    ("GET", "/api/v1/me/tokens"),
    ("POST", "/api/v1/me/tokens"),
    ("DELETE", "/api/v1/me/tokens/{id}"),
    ("GET", "/api/v1/me/passkeys"),
    ("POST", "/api/v1/me/passkeys/registration"),
    ("POST", "/api/v1/me/passkeys/registration/finish"),
    ("DELETE", "/api/v1/me/passkeys/{id}"),
    ("POST", "/api/v1/session/passkey"),
    ("POST", "/api/v1/session/passkey/finish"),
];

fn expect(method: &str, path: &str, allowed: &[&str], role: &str) -> Expect {
    let is_list = (method == "GET"
        && !path.starts_with("/api/v1/matrices/")
        && (!path.contains("{id}")
            || (path.starts_with("/api/v1/registers/") && !path.contains("{row}"))))
        || path.ends_with("/export.zip");
    match role {
        "anonymous" => Expect::Unauthenticated,
        _ if is_list && path.starts_with("/api/v1/audit") => {
            if allowed.contains(&role) {
                Expect::Listed
            } else {
                Expect::Denied
            }
        }
        _ if is_list => Expect::Listed,
        _ if allowed.contains(&role) => Expect::Allowed,
        _ => Expect::Denied,
    }
}

/// Builds the request for one attempt, creating fresh targets for routes that consume them.
async fn request(
    t: &TestApp,
    w: &World,
    method: &str,
    path: &str,
    n: usize,
) -> (String, Option<Value>) {
    let sys = &w.sys;
    let fresh_org = || async {
        t.org(sys, &format!("甲社 臨時{n}"), "unit", Some(&w.site_a))
            .await
    };
    let fresh_person = || async {
        t.person(
            sys,
            &format!("甲 対象{n}"),
            &format!("target{n}@ko.example.jp"),
            &w.a,
        )
        .await
    };
    match (method, path) {
        ("POST", "/api/v1/organisations") => (
            path.into(),
            Some(json!({"name": format!("甲社 新部署{n}"), "kind": "unit", "parent": w.a})),
        ),
        ("DELETE", "/api/v1/organisations/{id}") => {
            (format!("/api/v1/organisations/{}", fresh_org().await), None)
        }
        ("PATCH", "/api/v1/organisations/{id}") => (
            format!("/api/v1/organisations/{}", w.a),
            Some(json!({"require_totp": false})),
        ),
        ("POST", "/api/v1/organisations/{id}/relations") => {
            let other = t
                .org(sys, &format!("契約相手{n}"), "unit", Some(&w.mod_))
                .await;
            (
                format!("/api/v1/organisations/{}/relations", w.a),
                Some(json!({"kind": "contracts_with", "other": other})),
            )
        }
        // 丙 states a relation towards 甲: only 甲's side may accept it.
        ("POST", "/api/v1/relations/{id}/accept") => {
            let from = t
                .org(sys, &format!("丙社 拠点{n}"), "site", Some(&w.c))
                .await;
            let id = t
                .create(
                    &w.admin_c,
                    &format!("/api/v1/organisations/{from}/relations"),
                    json!({"kind": "contracts_with", "other": w.a}),
                )
                .await;
            (format!("/api/v1/relations/{id}/accept"), None)
        }
        ("POST", "/api/v1/assessments") => (
            path.into(),
            Some(
                json!({"catalog": "self_check", "organisation": w.a, "title": format!("甲社 点検{n}")}),
            ),
        ),
        // Evidence is sent as a form by the walk.
        ("POST", "/api/v1/organisations/{id}/evidence") => (path.replace("{id}", &w.a), None),
        ("GET", "/api/v1/organisations/{id}/evidence") => (path.replace("{id}", &w.a), None),
        ("GET", "/api/v1/evidence/{id}") => {
            let member_a = w.roles[3].1.as_ref().unwrap();
            let (status, body) =
                crate::assessments::add_evidence(t, member_a, &w.a, "甲社 証跡", "2020-04-01", "")
                    .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            (path.replace("{id}", body["id"].as_str().unwrap()), None)
        }
        ("POST", "/api/v1/assessments/{id}/evidence") => {
            let member_a = w.roles[3].1.as_ref().unwrap();
            let id = t
                .create(
                    member_a,
                    "/api/v1/assessments",
                    json!({"catalog": "self_check", "organisation": w.a, "title": format!("甲社 点検{n}")}),
                )
                .await;
            let (status, body) =
                crate::assessments::add_evidence(t, member_a, &w.a, "甲社 証跡", "2020-04-01", "")
                    .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            (
                path.replace("{id}", &id),
                Some(json!({"requirement": "5.3(1)", "evidence": body["id"]})),
            )
        }
        // Each attempt gets a fresh assessment of 甲's, answered as far as the route needs.
        (_, p) if p.starts_with("/api/v1/assessments/{id}") => {
            let member_a = w.roles[3].1.as_ref().unwrap();
            let id = t
                .create(
                    member_a,
                    "/api/v1/assessments",
                    json!({"catalog": "self_check", "organisation": w.a, "title": format!("甲社 点検{n}")}),
                )
                .await;
            let all = json!({"answers": [
                {"requirement": "5.3(1)", "answer": "yes"}, {"requirement": "5.3(2)", "answer": "no"},
                {"requirement": "6.1", "answer": "all"}, {"requirement": "7.1", "answer": "yes"}]});
            if method != "PUT" {
                let url = t.url(&format!("/api/v1/assessments/{id}/answers"));
                let (status, body) = send(member_a, Method::PUT, &url, Some(all.clone())).await;
                assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
            }
            (path.replace("{id}", &id), (method == "PUT").then_some(all))
        }
        ("GET", "/api/v1/organisations/{id}/adaptations/{library}") => (
            path.replace("{id}", &w.a)
                .replace("{library}", "mod-external-service"),
            None,
        ),
        ("PUT", "/api/v1/organisations/{id}/adaptations/{library}") => (
            path.replace("{id}", &w.a)
                .replace("{library}", "mod-external-service"),
            Some(json!({ "spec": ADAPTATION })),
        ),
        // Each removal needs a variant to remove: a fresh organisation's.
        ("DELETE", "/api/v1/organisations/{id}/adaptations/{library}") => {
            let org = fresh_org().await;
            let url = format!("/api/v1/organisations/{org}/adaptations/mod-external-service");
            let (status, body) = send(
                sys,
                Method::PUT,
                &t.url(&url),
                Some(json!({ "spec": ADAPTATION })),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            (url, None)
        }
        (_, "/api/v1/organisations/{id}")
        | (_, "/api/v1/organisations/{id}/relations")
        | ("GET", "/api/v1/organisations/{id}/rollup") => (path.replace("{id}", &w.a), None),
        ("DELETE", "/api/v1/relations/{id}") => {
            let other = t
                .org(sys, &format!("契約相手{n}"), "unit", Some(&w.mod_))
                .await;
            let rel = t
                .create(
                    sys,
                    &format!("/api/v1/organisations/{}/relations", w.a),
                    json!({"kind": "contracts_with", "other": other}),
                )
                .await;
            (format!("/api/v1/relations/{rel}"), None)
        }
        ("POST", "/api/v1/persons") => (
            path.into(),
            Some(
                json!({"name": format!("甲 新人{n}"), "email": format!("new{n}@ko.example.jp"), "organisation": w.a, "initial_password": "initial-pass-1"}),
            ),
        ),
        ("GET", "/api/v1/persons/{id}") => (path.replace("{id}", &w.member_a_id), None),
        ("PATCH", "/api/v1/persons/{id}") => (
            path.replace("{id}", &fresh_person().await),
            Some(json!({"name": "甲 改名"})),
        ),
        ("POST", "/api/v1/persons/{id}/password-reset") => (
            path.replace("{id}", &fresh_person().await),
            Some(json!({"password": "temporary-pass-9"})),
        ),
        ("GET", "/api/v1/persons/{id}/tokens") => (path.replace("{id}", &w.member_a_id), None),
        // Each revocation needs a token of member_a's still in force: a fresh one.
        ("DELETE", "/api/v1/persons/{id}/tokens/{token}") => {
            let member_a = w.roles[3].1.as_ref().unwrap();
            let token = t
                .create(
                    member_a,
                    "/api/v1/me/tokens",
                    json!({"name": format!("集計{n}"), "scopes": ["read"]}),
                )
                .await;
            (
                path.replace("{id}", &w.member_a_id)
                    .replace("{token}", &token),
                None,
            )
        }
        ("GET", "/api/v1/persons/{id}/passkeys") => (path.replace("{id}", &w.member_a_id), None),
        // Each removal needs a passkey of member_a's: a fresh one, from a fresh authenticator.
        ("DELETE", "/api/v1/persons/{id}/passkeys/{passkey}") => {
            let member_a = w.roles[3].1.as_ref().unwrap();
            let mut key = crate::passkeys::Authenticator::new(t, n as u32);
            let passkey = crate::passkeys::register(t, member_a, &mut key, &format!("鍵{n}")).await;
            (
                path.replace("{id}", &w.member_a_id)
                    .replace("{passkey}", &passkey),
                None,
            )
        }
        ("POST", "/api/v1/persons/{id}/totp-reset") => {
            (path.replace("{id}", &fresh_person().await), None)
        }
        ("POST", "/api/v1/posts") => (
            path.into(),
            Some(json!({"organisation": w.a, "name": format!("甲社 役職{n}")})),
        ),
        ("GET", "/api/v1/posts/{id}") => (path.replace("{id}", &w.post_a), None),
        ("PATCH", "/api/v1/posts/{id}") => (
            path.replace("{id}", &w.post_a),
            Some(json!({"name": "甲社 情報保証責任者"})),
        ),
        ("POST", "/api/v1/posts/{id}/holders") => (
            path.replace("{id}", &w.post_a),
            Some(json!({"person": w.member_a_id, "starts_on": "2026-04-01"})),
        ),
        // A fresh person: designating member_a would change what member_a may do later on.
        ("POST", "/api/v1/designations") => (
            path.into(),
            Some(
                json!({"role": "auditor", "organisation": w.a, "person": fresh_person().await, "starts_on": "2026-04-01"}),
            ),
        ),
        ("GET", "/api/v1/designations/{id}") => (path.replace("{id}", &w.designation_a), None),
        ("POST", "/api/v1/designations/{id}/end") => {
            let d = t
                .designate(sys, "auditor", &w.a, &fresh_person().await)
                .await;
            (path.replace("{id}", &d), Some(json!({})))
        }
        ("POST", "/api/v1/cases") => (
            path.into(),
            Some(
                json!({"procedure": "approval", "organisation": w.a, "data": {"service_name": format!("甲社 サービス{n}")}}),
            ),
        ),
        ("GET", "/api/v1/cases/{id}") => (path.replace("{id}", &w.case_a), None),
        // Drafts to change belong to the officer: opened as them, fresh each time.
        ("PATCH", "/api/v1/cases/{id}") => {
            let officer = w.roles[3].1.as_ref().unwrap();
            let id = new_case(t, officer, &w.a, &format!("甲社 下書き{n}")).await;
            (
                path.replace("{id}", &id),
                Some(json!({"data": {"service_name": "甲社 改題"}})),
            )
        }
        ("POST", "/api/v1/cases/{id}/actions/{action}") => {
            let officer = w.roles[3].1.as_ref().unwrap();
            let id = new_case(t, officer, &w.a, &format!("甲社 取下げ{n}")).await;
            (
                path.replace("{id}", &id).replace("{action}", "withdraw"),
                Some(json!({})),
            )
        }
        ("GET", "/api/v1/cases/{id}/hold") => (path.replace("{id}", &w.case_a), None),
        ("POST", "/api/v1/cases/{id}/hold") => (
            path.replace("{id}", &w.case_a),
            Some(json!({"reason": format!("保全{n}")})),
        ),
        // Each attempt finds the case held: the system administrator holds it first.
        ("DELETE", "/api/v1/cases/{id}/hold") => {
            let path = path.replace("{id}", &w.case_a);
            let (status, body) = t.post(sys, &path, json!({"reason": "保全"})).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            (path, None)
        }
        ("GET", "/api/v1/cases/{id}/calls") => (path.replace("{id}", &w.incident_a), None),
        ("GET", "/api/v1/cases/{id}/schedule") => (path.replace("{id}", &w.joining_a), None),
        ("GET", "/api/v1/cases/{id}/schedule/{file}") => (
            path.replace("{id}", &w.joining_a)
                .replace("{file}", "gantt.svg"),
            None,
        ),
        ("GET", "/api/v1/cases/{id}/documents/{name}") => (
            path.replace("{id}", &w.case_a)
                .replace("{name}", "application.txt"),
            None,
        ),
        // Files go to a fresh draft of the officer's; the body is sent as a form by the walk.
        ("POST", "/api/v1/cases/{id}/attachments") => {
            let officer = w.roles[3].1.as_ref().unwrap();
            let id = new_case(t, officer, &w.a, &format!("甲社 添付{n}")).await;
            (path.replace("{id}", &id), None)
        }
        // 甲's case has no emergency: the second entry of its history is none, for anyone.
        ("POST", "/api/v1/cases/{id}/emergencies/{seq}") => (
            path.replace("{id}", &w.case_a).replace("{seq}", "2"),
            Some(json!({"accept": true})),
        ),
        ("POST", "/api/v1/designations/{id}/delegations") => (
            path.replace("{id}", &w.designation_a),
            Some(
                json!({"person": w.member_a_id, "starts_on": "2030-01-01", "ends_on": "2030-01-31"}),
            ),
        ),
        ("POST", "/api/v1/cases/{id}/secrets/{seq}/{field}/reveal")
        | ("POST", "/api/v1/cases/{id}/secrets/{seq}/{field}/receipt") => (
            path.replace("{id}", &w.case_a)
                .replace("{seq}", "2")
                .replace("{field}", "initial_password"),
            Some(json!({})),
        ),
        ("POST", "/api/v1/cases/{id}/bundle") => (
            path.replace("{id}", &w.case_a),
            Some(json!({"password": "甲社 送付用のパスワード 2026"})),
        ),
        ("GET", "/api/v1/cases/{id}/attachments/{attachment}") => (
            path.replace("{id}", &w.case_a)
                .replace("{attachment}", &w.attachment_a),
            None,
        ),
        ("DELETE", "/api/v1/cases/{id}/attachments/{attachment}") => {
            let officer = w.roles[3].1.as_ref().unwrap();
            let id = new_case(t, officer, &w.a, &format!("甲社 添付取下げ{n}")).await;
            let (status, body) = upload(
                officer,
                &t.url(&format!("/api/v1/cases/{id}/attachments")),
                "甲社 誤送付.pdf",
                b"%PDF-1.7 ko",
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            let attachment = body["id"].as_str().unwrap();
            (
                path.replace("{id}", &id)
                    .replace("{attachment}", attachment),
                None,
            )
        }
        // Filtered to 甲's own row and paged: another company's people find nothing.
        ("GET", "/api/v1/registers/{id}/rows") => (
            format!(
                "{}?filter%5Bservice_name%5D={A_SERVICE}&limit=5&offset=0",
                path.replace("{id}", "external_services")
            ),
            None,
        ),
        ("GET", "/api/v1/registers/{id}/export.xlsx") => {
            (path.replace("{id}", "external_services"), None)
        }
        ("GET", "/api/v1/registers/{id}/documents/{file}") => (
            path.replace("{id}", "mobile_terminals")
                .replace("{file}", "ledger_xlsx.xlsx"),
            None,
        ),
        // Encrypted: the walk opens it (`opened`) to look for what must not be there.
        ("POST", "/api/v1/registers/{id}/export.zip") => (
            path.replace("{id}", "external_services"),
            Some(json!({"password": ZIP_PASSWORD})),
        ),
        ("POST", "/api/v1/registers/{id}/rows") => (
            path.replace("{id}", "external_services"),
            Some(json!({"organisation": w.a, "data": {"service_name": format!("甲社 台帳{n}")}})),
        ),
        ("POST", "/api/v1/registers/{id}/rows/{row}/hold") => (
            path.replace("{id}", "external_services")
                .replace("{row}", &w.row_a),
            Some(json!({"reason": format!("保全{n}")})),
        ),
        // Each attempt finds the row held: the system administrator holds it first.
        ("DELETE", "/api/v1/registers/{id}/rows/{row}/hold") => {
            let path = path
                .replace("{id}", "external_services")
                .replace("{row}", &w.row_a);
            let (status, body) = t.post(sys, &path, json!({"reason": "保全"})).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            (path, None)
        }
        (_, "/api/v1/registers/{id}/rows/{row}") => (
            path.replace("{id}", "external_services")
                .replace("{row}", &w.row_a),
            (method == "PATCH").then(|| json!({"data": {"nisc_advice": format!("甲社 訂正{n}")}})),
        ),
        ("POST", "/api/v1/registers/{id}/rows/{row}/retire") => {
            let chief = w.roles[1].1.as_ref().unwrap();
            let row = t
                .create(
                    chief,
                    "/api/v1/registers/external_services/rows",
                    json!({"organisation": w.a, "data": {"service_name": format!("甲社 廃止{n}")}}),
                )
                .await;
            (
                path.replace("{id}", "external_services")
                    .replace("{row}", &row),
                Some(json!({"comment": "利用終了"})),
            )
        }
        (_, "/api/v1/registers/{id}/rows/{row}/roles") => {
            let path = path
                .replace("{id}", "systems")
                .replace("{row}", &w.system_a);
            let body = (method == "POST").then(|| {
                json!({"role": "system_manager", "person": w.member_a_id,
                       "starts_on": t.app.today().0.to_string()})
            });
            (path, body)
        }
        // Each attempt ends a designation the system administrator has just made.
        ("DELETE", "/api/v1/registers/{id}/rows/{row}/roles/{designation}") => {
            let roles = format!("/api/v1/registers/systems/rows/{}/roles", w.system_a);
            let (status, body) = t
                .post(
                    sys,
                    &roles,
                    json!({"role": "system_manager", "person": w.member_a_id,
                           "starts_on": t.app.today().0.to_string()}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            (format!("{roles}/{}", body["id"].as_str().unwrap()), None)
        }
        // The workbooks are sent as forms by the walk.
        ("POST", "/api/v1/persons/import") => (path.into(), None),
        ("POST", "/api/v1/registers/{id}/import") => {
            (path.replace("{id}", "external_services"), None)
        }
        // 甲's own reading of the guideline's matrix, and a correction of it.
        ("GET", "/api/v1/matrices/{library}/{matrix}") => (
            format!(
                "/api/v1/matrices/mic-lg-security/responsibilities?organisation={}",
                w.a
            ),
            None,
        ),
        ("GET", "/api/v1/matrices/{library}/{matrix}/rows/{row}") => (
            format!(
                "/api/v1/matrices/mic-lg-security/responsibilities/rows/4.1(6)?organisation={}",
                w.a
            ),
            None,
        ),
        ("POST", "/api/v1/matrices/{library}/{matrix}/rows/{row}/corrections") => (
            "/api/v1/matrices/mic-lg-security/responsibilities/rows/4.1(6)/corrections".into(),
            Some(
                json!({"organisation": w.a, "cells": {"ciso": "承"}, "reason": format!("甲社 修正{n}")}),
            ),
        ),
        ("GET", p) if p.starts_with("/api/v1/obligations/") => (
            path.replace("{library}", "mod-yearly")
                .replace("{procedure}", "training"),
            None,
        ),
        ("GET", _) => (path.into(), None),
        _ => panic!("no request for {method} {path}"),
    }
}

/// A form variant 甲 may keep.
const ADAPTATION: &str = "forms:
  - form: application
    reword:
      - field: purpose
        label: { ja: 利用目的（業務名を含めて） }
";

const ZIP_PASSWORD: &str = "甲社 送付用のパスワード 2026";

/// What an encrypted register export holds, as text: the workbook's cells.
async fn opened(c: &Client, url: &str) -> (StatusCode, Value) {
    use std::io::Read;
    let res = c
        .post(url)
        .json(&json!({ "password": ZIP_PASSWORD }))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.bytes().await.unwrap().to_vec();
    if !status.is_success() {
        return (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        );
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut workbook = Vec::new();
    zip.by_name_decrypt("external_services.xlsx", ZIP_PASSWORD.as_bytes())
        .unwrap()
        .read_to_end(&mut workbook)
        .unwrap();
    let table = mamori_sheets::read(&workbook, mamori_sheets::Limits::default()).unwrap();
    (
        status,
        json!(table.rows.into_iter().map(|(_, r)| r).collect::<Vec<_>>()),
    )
}

/// Adds one person to `org` from a staff workbook.
async fn import_staff(c: &Client, url: &str, org: &str, n: usize) -> (StatusCode, Value) {
    let column = |label: &str| mamori_sheets::Column {
        id: label.into(),
        label: label.into(),
        width: 20.0,
    };
    let table = mamori_sheets::Table {
        sheet: "職員一覧".into(),
        meta: vec![],
        columns: vec![column("氏名"), column("メールアドレス")],
        rows: vec![vec![
            format!("甲 取込職員{n}"),
            format!("imported{n}@ko.example.jp"),
        ]],
    };
    let file = reqwest::multipart::Part::bytes(mamori_sheets::write(&table).unwrap())
        .file_name("職員一覧.xlsx");
    let form = reqwest::multipart::Form::new()
        .text("organisation", org.to_owned())
        .part("file", file);
    let res = c.post(url).multipart(form).send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Imports a one-row workbook into the rows kept by `org`.
async fn import(c: &Client, url: &str, org: &str, service: &str) -> (StatusCode, Value) {
    let table = mamori_sheets::Table {
        sheet: "台帳".into(),
        meta: vec![],
        columns: vec![mamori_sheets::Column {
            id: "service_name".into(),
            label: "外部サービスの名称".into(),
            width: 20.0,
        }],
        rows: vec![vec![service.to_owned()]],
    };
    let file = reqwest::multipart::Part::bytes(mamori_sheets::write(&table).unwrap())
        .file_name("台帳.xlsx");
    let form = reqwest::multipart::Form::new()
        .text("organisation", org.to_owned())
        .part("file", file);
    let res = c.post(url).multipart(form).send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn every_api_route_as_every_role() {
    // The shipped libraries with a catalog, so that assessments have something to answer.
    let mut libraries = crate::assessments::libraries_with_catalogs(0);
    libraries.push(yearly());
    let t = TestApp::build(mamori_app::system_clock(), libraries, |_| {})
        .await
        .add_admin()
        .await;
    let w = world(&t).await;
    trains_every_year(&t, &w).await;

    // The table covers the whole API: a new route without a row fails here.
    let (_, doc) = t.get(&t.client(), "/api/v1/openapi.json").await;
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let tabled: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .chain(
            SELF_ROUTES
                .iter()
                .map(|(m, p)| (m.to_string(), p.to_string())),
        )
        .collect();
    assert_eq!(
        documented, tabled,
        "every documented route has a row, and no row is stale"
    );

    let mut n = 0;
    let mut failures = Vec::new();
    for (method, path, allowed) in ROUTES {
        for (role, client) in &w.roles {
            n += 1;
            let (url, body) = request(&t, &w, method, path, n).await;
            let anonymous = t.client();
            let c = client.as_ref().unwrap_or(&anonymous);
            let (status, answer) = if *method == "POST" && path.ends_with("/attachments") {
                upload(c, &t.url(&url), "甲社 添付.pdf", b"%PDF-1.7 ko").await
            } else if *method == "POST" && *path == "/api/v1/organisations/{id}/evidence" {
                crate::assessments::add_evidence(
                    &t,
                    c,
                    &w.a,
                    &format!("甲社 証跡{n}"),
                    "2020-04-01",
                    "",
                )
                .await
            } else if path.ends_with("/board.xlsx") || path.ends_with("/documents/{file}") {
                workbook_text(c, &t.url(&url)).await
            } else if path.ends_with("/export.zip") {
                opened(c, &t.url(&url)).await
            } else if *path == "/api/v1/persons/import" {
                import_staff(c, &t.url(&url), &w.a, n).await
            } else if *method == "POST" && path.ends_with("/import") {
                import(c, &t.url(&url), &w.a, &format!("甲社 取込{n}")).await
            } else {
                send(
                    c,
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    &t.url(&url),
                    body,
                )
                .await
            };
            let text = answer.to_string();
            let leaks = text.contains("甲") || text.contains(&w.a) || text.contains(&w.member_a_id);
            let ok = match expect(method, path, allowed, role) {
                Expect::Allowed => status.is_success(),
                Expect::Denied => {
                    (status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND) && !leaks
                }
                Expect::Unauthenticated => status == StatusCode::UNAUTHORIZED && !leaks,
                Expect::Listed => {
                    status == StatusCode::OK
                        && (role.ends_with("_a") || role == &"system_admin" || !leaks)
                }
            };
            if !ok {
                failures.push(format!(
                    "{role:>12} {method:6} {url}: {status} {}",
                    text.chars().take(160).collect::<String>()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} attempts wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    t.verify_chain().await;
}

/// The test library of yearly obligations (`fixtures/libraries/mod-yearly`).
fn yearly() -> mamori_library::Library {
    with_fixtures(&["mod-yearly"]).pop().unwrap()
}

/// 甲's member of staff is trained every fiscal year (a recurring procedure of the test
/// library): mamori opens 甲's round, which only 甲's readers may see on the board.
async fn trains_every_year(t: &TestApp, w: &World) {
    t.designate(&w.sys, "staff", &w.a, &w.member_a_id).await;
    assert_eq!(t.app.open_rounds().await.unwrap(), 1);
}

/// A compliance board's workbook as text (its cells), to look for what must not be there.
async fn workbook_text(c: &Client, url: &str) -> (StatusCode, Value) {
    let res = c.get(url).send().await.unwrap();
    let status = res.status();
    let bytes = res.bytes().await.unwrap();
    match mamori_sheets::read(&bytes, mamori_sheets::Limits::default()) {
        Ok(table) => {
            let cells: Vec<String> = table.rows.into_iter().flat_map(|(_, r)| r).collect();
            (status, Value::String(cells.join(" ")))
        }
        Err(_) => (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ),
    }
}

#[tokio::test]
async fn every_page_as_every_role() {
    let t = TestApp::build(
        mamori_app::system_clock(),
        with_fixtures(&["mod-yearly"]),
        |_| {},
    )
    .await
    .add_admin()
    .await;
    let w = world(&t).await;
    trains_every_year(&t, &w).await;
    let pages: Vec<(String, &[&str])> = vec![
        (format!("/organisations/{}", w.a), A_READERS),
        (format!("/organisations/{}/edit", w.a), A_ADMINS),
        (format!("/organisations/{}/rollup", w.a), A_READERS),
        (
            format!("/organisations/{}/adaptations/mod-external-service", w.a),
            A_READERS,
        ),
        (format!("/persons/{}", w.member_a_id), A_READERS),
        (format!("/posts/{}", w.post_a), A_READERS),
        ("/organisations".into(), &[]),
        ("/persons".into(), &[]),
        ("/persons/import".into(), &[]),
        ("/designations/new".into(), &[]),
        (format!("/cases/{}", w.case_a), A_READERS),
        (format!("/cases/{}", w.joining_a), A_READERS),
        ("/dsg".into(), &[]),
        ("/reports".into(), &[]),
        ("/obligations".into(), &[]),
        ("/obligations/mod-yearly/training".into(), &[]),
        (
            format!("/cases/new?procedure=approval&organisation={}", w.a),
            A_READERS,
        ),
        ("/cases".into(), &[]),
        ("/procedures".into(), &[]),
        ("/assessments".into(), &[]),
        ("/registers/external_services".into(), &[]),
        ("/matrices".into(), &[]),
        (
            format!(
                "/matrices/mic-lg-security/responsibilities?organisation={}",
                w.a
            ),
            A_READERS,
        ),
        (
            format!(
                "/matrices/mic-lg-security/responsibilities/rows/4.1(6)?organisation={}",
                w.a
            ),
            A_READERS,
        ),
        ("/audit".into(), AUDIT_READERS),
        (format!("/audit.csv?organisation={}", w.a), AUDIT_READERS),
    ];
    let mut failures = Vec::new();
    for (path, allowed) in &pages {
        for (role, client) in &w.roles {
            let anonymous = t.client();
            let c = client.as_ref().unwrap_or(&anonymous);
            let res = c.get(t.url(path)).send().await.unwrap();
            let status = res.status();
            let text = res.text().await.unwrap();
            let leaks = text.contains("甲") || text.contains(&w.a);
            let is_list = !path.contains(&w.a)
                && !path.contains(&w.member_a_id)
                && !path.contains(&w.post_a)
                && !path.contains(&w.case_a)
                && !path.contains(&w.joining_a);
            let ok = match *role {
                "anonymous" => status == StatusCode::SEE_OTHER,
                r if path.starts_with("/audit") => {
                    if allowed.contains(&r) {
                        status == StatusCode::OK
                            && (r.ends_with("_a") || r == "system_admin" || !leaks)
                    } else {
                        status == StatusCode::FORBIDDEN
                    }
                }
                r if is_list => {
                    status == StatusCode::OK && (r.ends_with("_a") || r == "system_admin" || !leaks)
                }
                r if allowed.contains(&r) => status == StatusCode::OK,
                _ => status == StatusCode::FORBIDDEN && !leaks,
            };
            if !ok {
                failures.push(format!("{role:>12} GET {path}: {status}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A person with `role` in `org`, signed in: (their id, their client).
async fn holder(t: &TestApp, sys: &Client, role: &str, org: &str, email: &str) -> (String, Client) {
    let id = t.person(sys, &format!("{role} {email}"), email, org).await;
    if role == "system_admin" {
        let (status, body) = t
            .post(
                sys,
                "/api/v1/designations",
                json!({"role": role, "person": id, "starts_on": "2020-01-01"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    } else {
        t.designate(sys, role, org, &id).await;
    }
    (id, t.first_login(email, "initial-pass-1").await)
}

#[tokio::test]
async fn nobody_manages_a_person_holding_more_power() {
    let t = TestApp::with_admin().await;
    let sys = t.admin().await;
    let company = t.org(&sys, "甲社", "company", None).await;
    let unit = t.org(&sys, "甲社 情報部", "unit", Some(&company)).await;
    let (_, unit_admin) =
        holder(&t, &sys, "administrator", &unit, "unit-admin@ko.example.jp").await;
    // People who sit in the unit but hold more than its administrator does.
    let (root, _) = holder(&t, &sys, "system_admin", &unit, "root@ko.example.jp").await;
    let (boss, _) = holder(&t, &sys, "administrator", &company, "boss@ko.example.jp").await;
    t.patch(
        &sys,
        &format!("/api/v1/persons/{boss}"),
        json!({"organisation": unit}),
    )
    .await;
    let (auditor, _) = holder(&t, &sys, "auditor", &company, "audit@ko.example.jp").await;
    t.patch(
        &sys,
        &format!("/api/v1/persons/{auditor}"),
        json!({"organisation": unit}),
    )
    .await;
    let plain = t
        .person(&sys, "甲 職員", "staff@ko.example.jp", &unit)
        .await;

    for target in [&root, &boss, &auditor] {
        for (method, path, body) in [
            (
                "POST",
                format!("/api/v1/persons/{target}/password-reset"),
                json!({"password": "一時的なながいパスワード"}),
            ),
            (
                "POST",
                format!("/api/v1/persons/{target}/totp-reset"),
                json!({}),
            ),
            (
                "PATCH",
                format!("/api/v1/persons/{target}"),
                json!({"active": false}),
            ),
            (
                "PATCH",
                format!("/api/v1/persons/{target}"),
                json!({"name": "乗っ取り"}),
            ),
        ] {
            let (status, answer) = send(
                &unit_admin,
                Method::from_bytes(method.as_bytes()).unwrap(),
                &t.url(&path),
                Some(body),
            )
            .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {answer}");
        }
    }
    let (status, body) = t
        .post(
            &unit_admin,
            &format!("/api/v1/persons/{plain}/password-reset"),
            json!({"password": "一時的なながいパスワード"}),
        )
        .await;
    assert!(
        status.is_success(),
        "the unit's plain staff stay manageable: {body}"
    );

    // A post that carries the company's administration cannot be handed out by the unit.
    let post = t
        .create(
            &sys,
            "/api/v1/posts",
            json!({"organisation": unit, "name": "情報部長"}),
        )
        .await;
    let (status, body) = t
        .post(&sys, "/api/v1/designations", json!({"role": "administrator", "organisation": company, "post": post, "starts_on": "2020-01-01"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, me) = t.get(&unit_admin, "/api/v1/me").await;
    let me_id = me["id"].as_str().unwrap().to_owned();
    let (status, body) = t
        .post(
            &unit_admin,
            &format!("/api/v1/posts/{post}/holders"),
            json!({"person": me_id, "starts_on": "2020-01-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // A system administrator may.
    let (status, body) = t
        .post(
            &sys,
            &format!("/api/v1/posts/{post}/holders"),
            json!({"person": plain, "starts_on": "2020-01-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // …and the holder of that post now outranks the unit's administrator too.
    let (status, _) = t
        .post(
            &unit_admin,
            &format!("/api/v1/persons/{plain}/totp-reset"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    t.verify_chain().await;
}

#[tokio::test]
async fn an_ended_designation_stops_at_once() {
    let t = TestApp::with_admin().await;
    let sys = t.admin().await;
    let company = t.org(&sys, "甲社", "company", None).await;
    let id = t
        .person(&sys, "甲 管理", "admin@ko.example.jp", &company)
        .await;
    let designation = t.designate(&sys, "administrator", &company, &id).await;
    let admin = t.first_login("admin@ko.example.jp", "initial-pass-1").await;
    let (status, _) = t
        .patch(
            &admin,
            &format!("/api/v1/organisations/{company}"),
            json!({"require_totp": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Ended with no day: not at midnight, now.
    let (status, body) = t
        .post(
            &sys,
            &format!("/api/v1/designations/{designation}/end"),
            json!({}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let (status, _) = t
        .patch(
            &admin,
            &format!("/api/v1/organisations/{company}"),
            json!({"require_totp": true}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, d) = t
        .get(&sys, &format!("/api/v1/designations/{designation}"))
        .await;
    assert_eq!(
        d["ends_on"].as_str(),
        Some(t.app.today().0.to_string().as_str())
    );
    // Ended on a later day: in force until then.
    let later = t.designate(&sys, "administrator", &company, &id).await;
    let (status, body) = t
        .post(
            &sys,
            &format!("/api/v1/designations/{later}/end"),
            json!({"ends_on": "2099-12-31"}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let (status, _) = t
        .patch(
            &admin,
            &format!("/api/v1/organisations/{company}"),
            json!({"require_totp": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_relation_gives_nothing_until_the_other_side_accepts() {
    let t = TestApp::with_admin().await;
    let sys = t.admin().await;
    let ministry = t.org(&sys, "防衛省", "ministry", None).await;
    let a = t.org(&sys, "甲社", "company", None).await;
    let b = t.org(&sys, "乙社", "company", None).await;
    t.create(
        &sys,
        &format!("/api/v1/organisations/{a}/relations"),
        json!({"kind": "contracts_with", "other": ministry}),
    )
    .await;
    let (_, admin_a) = holder(&t, &sys, "administrator", &a, "admin@ko.example.jp").await;
    let (_, admin_b) = holder(&t, &sys, "administrator", &b, "admin@otsu.example.jp").await;
    let staff_b_id = t.person(&sys, "乙 職員", "staff@otsu.example.jp", &b).await;
    let staff_b = t
        .first_login("staff@otsu.example.jp", "initial-pass-1")
        .await;

    // 乙 declares, knowing 甲's id: that gives 乙's people nothing yet.
    let rel = t
        .create(
            &admin_b,
            &format!("/api/v1/organisations/{b}/relations"),
            json!({"kind": "contracts_with", "other": a}),
        )
        .await;
    let (status, _) = t.get(&staff_b, &format!("/api/v1/organisations/{a}")).await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status}"
    );
    let (_, list) = t.get(&staff_b, "/api/v1/organisations").await;
    assert!(!list.to_string().contains("甲社"), "{list}");
    // Both sides see it waiting.
    for (c, org) in [(&admin_b, &b), (&admin_a, &a)] {
        let (status, rels) = t
            .get(c, &format!("/api/v1/organisations/{org}/relations"))
            .await;
        assert_eq!(status, StatusCode::OK, "{rels}");
        let r = rels
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == rel.as_str())
            .unwrap();
        assert_eq!(r["accepted"], false);
    }
    // 乙 cannot accept its own declaration; 甲 can.
    let (status, _) = t
        .post(
            &admin_b,
            &format!("/api/v1/relations/{rel}/accept"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // On the pages: 乙 sees it waiting for the other side, 甲 sees it waiting with a button.
    let page_b = t.html(&admin_b, &format!("/organisations/{b}")).await;
    assert!(page_b.contains("相手方の承認待ち"), "{page_b}");
    assert!(!page_b.contains(&format!("/relations/{rel}/accept")));
    let page_a = t.html(&admin_a, &format!("/organisations/{a}")).await;
    assert!(
        page_a.contains("承認待ち（この組織が承認するまで"),
        "{page_a}"
    );
    let csrf = crate::auth::hidden(&page_a, "_csrf");
    let res = admin_a
        .post(t.url(&format!("/relations/{rel}/accept")))
        .form(&[("_csrf", csrf.as_str()), ("back", a.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, _) = t
        .post(
            &admin_a,
            &format!("/api/v1/relations/{rel}/accept"),
            json!({}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "accepted once only"
    );
    let page_a = t.html(&admin_a, &format!("/organisations/{a}")).await;
    assert!(!page_a.contains("承認待ち"), "{page_a}");
    // Accepted: 乙 sees 甲's record, not its people, nor 甲's other partners.
    let (status, _) = t.get(&staff_b, &format!("/api/v1/organisations/{a}")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, rels) = t
        .get(&staff_b, &format!("/api/v1/organisations/{a}/relations"))
        .await;
    assert!(!rels.to_string().contains("防衛省"), "{rels}");
    assert_eq!(rels.as_array().unwrap().len(), 1, "{rels}");
    let (_, people) = t
        .get(&staff_b, &format!("/api/v1/persons?organisation={a}"))
        .await;
    assert!(!people.to_string().contains("admin@ko"), "{people}");
    // Either side ends it, and it gives nothing again.
    let res = send(
        &admin_a,
        Method::DELETE,
        &t.url(&format!("/api/v1/relations/{rel}")),
        None,
    )
    .await;
    assert_eq!(res.0, StatusCode::NO_CONTENT, "{}", res.1);
    let (status, _) = t.get(&staff_b, &format!("/api/v1/organisations/{a}")).await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status}"
    );
    let _ = staff_b_id;
    t.verify_chain().await;
}

/// The page form that keeps an organisation's emergency desk, as every role: only 甲's
/// administrators (and the system's) keep 甲's desk, and a refused attempt changes nothing.
#[tokio::test]
async fn the_desk_form_as_every_role() {
    let t = TestApp::with_admin().await;
    let w = world(&t).await;
    let mut failures = Vec::new();
    for (role, client) in &w.roles {
        let Some(c) = client else { continue };
        let account = t.html(c, "/account").await;
        let csrf = crate::auth::hidden(&account, "_csrf");
        let phone = format!("03-0000-{:04}", failures.len() + role.len());
        let res = c
            .post(t.url(&format!("/organisations/{}/desk", w.a)))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("desk_name", role),
                ("desk_phone", phone.as_str()),
                ("desk_night_phone", ""),
            ])
            .send()
            .await
            .unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        let page = t.html(&w.sys, &format!("/organisations/{}", w.a)).await;
        let kept = page.contains(&format!("<dd>{role}</dd>"));
        let ok = if A_ADMINS.contains(role) {
            status == StatusCode::SEE_OTHER && kept
        } else {
            matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
                && !kept
                && !text.contains(&w.a)
        };
        if !ok {
            failures.push(format!("{role:>12} POST desk: {status} kept={kept}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The date style is the caller's own: every role may set it, for themselves alone, and
/// nobody changes another person's by it.
#[tokio::test]
async fn the_date_style_as_every_role() {
    let t = TestApp::with_admin().await;
    let w = world(&t).await;
    let chosen = |page: &str| page.contains(r#"<option value="wareki" selected>"#);
    let mut failures = Vec::new();
    for (role, client) in &w.roles {
        let Some(c) = client else {
            let res = t
                .client()
                .post(t.url("/account/dates"))
                .form(&[("_csrf", ""), ("date_style", "wareki")])
                .send()
                .await
                .unwrap();
            if res.status().is_success() {
                failures.push(format!("{role:>12} POST /account/dates: {}", res.status()));
            }
            continue;
        };
        if *role == "system_admin" {
            continue;
        }
        let account = t.html(c, "/account").await;
        let csrf = crate::auth::hidden(&account, "_csrf");
        let res = c
            .post(t.url("/account/dates"))
            .form(&[("_csrf", csrf.as_str()), ("date_style", "wareki")])
            .send()
            .await
            .unwrap();
        let status = res.status();
        let mine = chosen(&t.html(c, "/account").await);
        let admins = chosen(&t.html(&w.sys, "/account").await);
        if status != StatusCode::SEE_OTHER || !mine || admins {
            failures.push(format!(
                "{role:>12} POST /account/dates: {status} mine={mine} admin's={admins}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Pages open without a session, outside the walk above because they show nothing of any
/// organisation to anyone: the sign-in with the directory (`/login/oidc` sends the browser
/// to the directory; `/login/oidc/callback` signs in or shows the login page with the
/// reason). Without a directory configured they do not exist; with one they are tested
/// against a real provider in `oidc.rs`.
const PUBLIC_PAGES: &[&str] = &["/login/oidc", "/login/oidc/callback?code=x&state=y"];

#[tokio::test]
async fn the_public_sign_in_pages_are_absent_without_a_directory() {
    let t = TestApp::with_admin().await;
    let w = world(&t).await;
    for path in PUBLIC_PAGES {
        for (role, client) in &w.roles {
            let anonymous = t.client();
            let c = client.as_ref().unwrap_or(&anonymous);
            let res = c.get(t.url(path)).send().await.unwrap();
            let status = res.status();
            let text = res.text().await.unwrap();
            assert_eq!(status, StatusCode::NOT_FOUND, "{role} GET {path}");
            assert!(
                !text.contains("甲") && !text.contains(&w.a),
                "{role} GET {path}"
            );
        }
    }
    // And the login page offers no directory.
    let login = t.html(&t.client(), "/login").await;
    assert!(!login.contains("/login/oidc"), "{login}");
}

//! Item 1 and 2: systems registered with their ceiling, and the notices of 付紙様式第1 that
//! make the body's posts real designations once the general manager accepts them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{CALS, squeezed, world};
use crate::support::pdf_text;

#[tokio::test]
async fn a_system_above_caution_is_refused_with_the_rule_and_its_cases_keep_under_its_class() {
    let w = world().await;
    // 第6 2 / 6(1): nothing above 注意 may be registered, whatever the system.
    for level in ["secret", "specified_secret", "special_defense_secret"] {
        let (status, body) = w
            .t
            .post(
                &w.gm,
                "/api/v1/registers/managed_systems/rows",
                json!({"organisation": w.ministry, "data": {"system_name": "秘匿システム", "information": level}}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let message = body["error"]["fields"]["information"].as_str().unwrap();
        assert!(message.contains("注意電子計算機情報以下"), "{message}");
    }
    let names: Vec<Value> =
        w.t.register_data(&w.gm, "managed_systems")
            .await
            .iter()
            .map(|r| r["system_name"].clone())
            .collect();
    assert_eq!(names, [json!(CALS)], "nothing half-written");

    // A system registered as 一般 keeps its cases at 一般: a change request about it
    // marked 注意 is refused on the field, naming the system's level.
    let (status, body) = w
        .t
        .post(
            &w.gm,
            "/api/v1/registers/managed_systems/rows",
            json!({"organisation": w.ministry, "data": {"system_name": "施設案内システム", "information": "general"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) =
        w.t.post(
            &w.staff,
            "/api/v1/cases",
            json!({"procedure": "mod-system-ops/change_request", "organisation": w.section,
                   "data": {"system_name": "施設案内システム", "information": "caution"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["information"]
            .as_str()
            .unwrap()
            .contains("一般"),
        "{body}"
    );
    // Nobody but the general manager keeps the register: not a body's administrator.
    let (status, body) =
        w.t.post(
            &w.nda_admin,
            "/api/v1/registers/managed_systems/rows",
            json!({"organisation": w.nda, "data": {"system_name": "独自システム"}}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Another tree reads none of it.
    let (status, body) =
        w.t.get(
            &w.ko_admin,
            &format!("/api/v1/registers/managed_systems/rows/{}", w.cals),
        )
        .await;
    assert!(
        matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{body}"
    );
}

/// Creates a post in `org` held by a new person of it, who signs in.
async fn post_held(
    w: &super::World,
    org: &str,
    post: &str,
    name: &str,
    email: &str,
) -> (String, reqwest::Client) {
    let person = w.t.person(&w.sys, name, email, org).await;
    let post_id =
        w.t.create(
            &w.sys,
            "/api/v1/posts",
            json!({"organisation": org, "name": post}),
        )
        .await;
    w.t.create(
        &w.sys,
        &format!("/api/v1/posts/{post_id}/holders"),
        json!({"person": person, "starts_on": "2026-04-01"}),
    )
    .await;
    (person, w.t.first_login(email, "initial-pass-1").await)
}

async fn roles_of(w: &super::World, c: &reqwest::Client) -> Vec<String> {
    let (_, me) = w.t.get(c, "/api/v1/me").await;
    me["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["role"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_designation_notice_goes_up_through_the_central_administrator_and_designates_by_post() {
    let w = world().await;
    let (_, chief) = post_held(
        &w,
        &w.section,
        "管理施設課長",
        "課長 一郎",
        "chief@nda.example.jp",
    )
    .await;
    let (_, clerk) = post_held(
        &w,
        &w.section,
        "管理施設係長",
        "係長 二郎",
        "clerk@nda.example.jp",
    )
    .await;
    let (_, senior) = post_held(
        &w,
        &w.section,
        "管理施設主任",
        "主任 三郎",
        "senior@nda.example.jp",
    )
    .await;

    let notice = w
        .open(
            &w.nda_admin,
            "designation",
            &w.nda,
            json!({"system_name": CALS,
                   "operation_managers": [{"department": "管理施設課", "post": "管理施設課長"}],
                   "staff": [{"department": "管理施設課", "post": "管理施設係長", "remarks": "移動端末を含む"}]}),
        )
        .await;
    // A body's user, the general manager before the central administrator passes it,
    // and 甲社 cannot move it.
    let (status, _) = w.t.act(&w.user, &notice, "notify", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let case = w.t.act_ok(&w.nda_admin, &notice, "notify", json!({})).await;
    assert_eq!(case["state"], "at_central");
    assert!(w.inbox(&w.central).await.contains(&notice));
    let (status, _) = w.t.act(&w.gm, &notice, "accept", json!({})).await;
    assert_ne!(
        status,
        StatusCode::OK,
        "not before the central administrator"
    );
    let (status, _) = w.t.act(&w.ko_admin, &notice, "pass_up", json!({})).await;
    assert!(matches!(
        status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    w.t.act_ok(&w.central, &notice, "pass_up", json!({})).await;
    assert!(w.inbox(&w.gm).await.contains(&notice));
    assert!(
        !roles_of(&w, &chief)
            .await
            .contains(&"ops_operation_manager".into())
    );
    let case = w.t.act_ok(&w.gm, &notice, "accept", json!({})).await;
    assert_eq!(case["state"], "accepted");
    // Whoever fills the post now holds the role; the post of the other line, its own.
    assert!(
        roles_of(&w, &chief)
            .await
            .contains(&"ops_operation_manager".into())
    );
    assert!(
        roles_of(&w, &clerk)
            .await
            .contains(&"ops_system_staff".into())
    );

    // Printed as 付紙様式第1, with each line's role, department and post.
    let (status, pdf) = w.document(&w.gm, &notice, "notice_pdf.pdf").await;
    assert_eq!(status, StatusCode::OK);
    let text = squeezed(&pdf_text(&pdf));
    for words in [
        "付紙様式第1",
        "システム統括責任者 殿",
        "建設CALSシステム管理者補助者等の指定について（通知）",
        "建設CALSシステム運用管理者",
        "管理施設課長",
        "管理施設係長",
        "移動端末を含む",
    ] {
        assert!(text.contains(&squeezed(words)), "{words} in {text}");
    }

    let (status, xlsx) = w.document(&w.gm, &notice, "notice_xlsx.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let sheet = mamori_sheets::read(&xlsx, mamori_sheets::Limits::default()).unwrap();
    let lines: Vec<String> = sheet.rows.iter().map(|(_, r)| r.join("|")).collect();
    assert!(
        lines.contains(&"運用管理者等|部署名|役職名|備考".to_owned()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"システム担当者|管理施設課|管理施設係長|移動端末を含む".to_owned()),
        "{lines:?}"
    );

    // The change: 係長 → 主任 for the staff; accepting it moves the role.
    let change = w
        .open(
            &w.nda_admin,
            "designation_change",
            &w.nda,
            json!({"system_name": CALS,
                   "staff": [{"department": "管理施設課", "post_before": "管理施設係長", "post_after": "管理施設主任"}]}),
        )
        .await;
    w.t.act_ok(&w.nda_admin, &change, "notify", json!({})).await;
    w.t.act_ok(&w.central, &change, "pass_up", json!({})).await;
    w.t.act_ok(&w.gm, &change, "accept", json!({})).await;
    assert!(
        !roles_of(&w, &clerk)
            .await
            .contains(&"ops_system_staff".into())
    );
    assert!(
        roles_of(&w, &senior)
            .await
            .contains(&"ops_system_staff".into())
    );
    let (status, pdf) = w.document(&w.gm, &change, "notice_pdf.pdf").await;
    assert_eq!(status, StatusCode::OK);
    let text = squeezed(&pdf_text(&pdf));
    for words in [
        "変更について（通知）",
        "変更前",
        "管理施設係長",
        "管理施設主任",
    ] {
        assert!(text.contains(&squeezed(words)), "{words} in {text}");
    }
}

#[tokio::test]
async fn a_notice_naming_nothing_or_a_post_the_department_lacks_is_refused_and_kept() {
    let w = world().await;
    let empty = w
        .open(
            &w.nda_admin,
            "designation",
            &w.nda,
            json!({"system_name": CALS}),
        )
        .await;
    let (status, body) = w.t.act(&w.nda_admin, &empty, "notify", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1行以上"),
        "{body}"
    );

    let wrong = w
        .open(
            &w.nda_admin,
            "designation",
            &w.nda,
            json!({"system_name": CALS,
                   "staff": [{"department": "管理施設課", "post": "存在しない係長"}]}),
        )
        .await;
    w.t.act_ok(&w.nda_admin, &wrong, "notify", json!({})).await;
    w.t.act_ok(&w.central, &wrong, "pass_up", json!({})).await;
    let (status, body) = w.t.act(&w.gm, &wrong, "accept", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.to_string().contains("役職"), "{body}");
    let case = w.case(&w.gm, &wrong).await;
    assert_eq!(case["state"], "at_general_manager", "nothing half-written");
    assert_eq!(case["data"]["staff"][0]["post"], "存在しない係長");
    // Sent back with the reason, the administrator corrects it.
    let (status, body) = w.t.act(&w.gm, &wrong, "send_back", json!({})).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a reason is required: {body}"
    );
    let (status, body) =
        w.t.post(
            &w.gm,
            &format!("/api/v1/cases/{wrong}/actions/send_back"),
            json!({"fields": {}, "comment": "役職名を確認してください"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "draft");
}

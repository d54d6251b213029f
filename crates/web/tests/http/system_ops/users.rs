//! Item 3: a user registered down the chain, with the initial password sealed and shown
//! once; the user ledger; a password reset through the chain.

use reqwest::StatusCode;
use serde_json::json;

use super::{CALS, World, world};

const INITIAL: &str = "Cals-Shoki-42x";
const RESET: &str = "Cals-Shin-77q";

/// Takes a registration through the chain to the ledger: the case id.
async fn registered(w: &World) -> String {
    let id = w
        .open(
            &w.staff,
            "user_registration",
            &w.section,
            json!({"system_name": CALS, "user_name": "防大 利用", "user_unit": "防衛大学校管理施設課",
                   "reason": "施設の維持管理データの入力"}),
        )
        .await;
    w.t.act_ok(&w.staff, &id, "request", json!({})).await;
    assert!(w.inbox(&w.ops).await.contains(&id));
    w.t.act_ok(&w.ops, &id, "pass_to_administrator", json!({}))
        .await;
    w.t.act_ok(&w.nda_admin, &id, "pass_to_general_manager", json!({}))
        .await;
    let case =
        w.t.act_ok(
            &w.gm,
            &id,
            "decide",
            json!({"login_id": "nda-riyo01", "initial_password": INITIAL}),
        )
        .await;
    assert!(!case.to_string().contains(INITIAL));
    assert_eq!(case["state"], "at_central");
    w.t.act_ok(
        &w.central,
        &id,
        "register",
        json!({"registered_on": "2026-06-01"}),
    )
    .await;
    id
}

#[tokio::test]
async fn a_user_is_registered_down_the_chain_and_the_initial_password_is_shown_once() {
    let w = world().await;
    let id = registered(&w).await;
    // The ledger (管理台帳) holds the user and never the password.
    let rows = w.t.register_data(&w.central, "system_users").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["login_id"], "nda-riyo01");
    assert_eq!(rows[0]["registered_on"], "2026-06-01");
    assert_eq!(rows[0]["registered_by"], "契約 室長", "who registered");
    assert!(!serde_json::to_string(&rows).unwrap().contains(INITIAL));

    // Neither the general manager who typed it nor the central administrator is shown it;
    // the staff who asked are, once.
    let case = w.case(&w.staff, &id).await;
    let seq = case["secrets"][0]["seq"].as_i64().unwrap();
    let reveal = format!("/api/v1/cases/{id}/secrets/{seq}/initial_password/reveal");
    for c in [&w.gm, &w.central] {
        let (status, _) = w.t.post(c, &reveal, json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, shown) = w.t.post(&w.staff, &reveal, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["value"], INITIAL);
    let (status, _) = w.t.post(&w.staff, &reveal, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "once only");

    // Passing it on needs the user to have changed it: unconfirmed, refused on the field.
    let (status, body) =
        w.t.act(
            &w.staff,
            &id,
            "hand_over",
            json!({"password_changed": false}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["password_changed"].is_string(),
        "{body}"
    );
    let case =
        w.t.act_ok(
            &w.staff,
            &id,
            "hand_over",
            json!({"password_changed": true}),
        )
        .await;
    assert_eq!(case["state"], "done");

    // Written out, the ledger leaves encrypted (第6 4): a short password is refused, and the
    // archive holds nothing in the clear.
    let url = w.t.url("/api/v1/registers/system_users/export.zip");
    let res = w
        .central
        .post(&url)
        .json(&json!({"password": "short"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = w
        .central
        .post(&url)
        .json(&json!({"password": "利用者台帳の送付用 2026"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap().to_vec();
    assert!(
        !bytes.windows(10).any(|x| x == b"nda-riyo01"),
        "nothing in the clear"
    );
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    assert!(
        zip.by_name_decrypt("system_users.xlsx", b"wrong password 1234")
            .is_err()
    );
}

#[tokio::test]
async fn a_password_is_reset_only_for_an_id_in_the_ledger_and_handed_down_sealed() {
    let w = world().await;
    registered(&w).await;
    let reset = |login: &'static str| json!({"system_name": CALS, "login_id": login, "user_name": "防大 利用", "cause": "forgotten"});
    // A reason is required when the password leaked.
    let leaked = w
        .open(
            &w.staff,
            "password_reset",
            &w.section,
            json!({"system_name": CALS, "login_id": "nda-riyo01", "user_name": "防大 利用", "cause": "leaked"}),
        )
        .await;
    let (status, body) = w.t.act(&w.staff, &leaked, "request", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["cause_details"].is_string(),
        "{body}"
    );

    // An ID the ledger does not hold reaches the central administrator, who cannot reset it.
    let unknown = w
        .open(&w.staff, "password_reset", &w.section, reset("nda-nobody"))
        .await;
    w.t.act_ok(&w.staff, &unknown, "request", json!({})).await;
    w.t.act_ok(&w.ops, &unknown, "pass_to_administrator", json!({}))
        .await;
    w.t.act_ok(&w.nda_admin, &unknown, "pass_to_central", json!({}))
        .await;
    let (status, body) =
        w.t.act(
            &w.central,
            &unknown,
            "reset",
            json!({"new_password": RESET}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("管理台帳"),
        "{body}"
    );

    let id = w
        .open(&w.staff, "password_reset", &w.section, reset("nda-riyo01"))
        .await;
    w.t.act_ok(&w.staff, &id, "request", json!({})).await;
    // The system administrator cannot skip the operation manager.
    let (status, _) =
        w.t.act(&w.nda_admin, &id, "pass_to_central", json!({}))
            .await;
    assert_ne!(status, StatusCode::OK);
    w.t.act_ok(&w.ops, &id, "pass_to_administrator", json!({}))
        .await;
    w.t.act_ok(&w.nda_admin, &id, "pass_to_central", json!({}))
        .await;
    w.t.act_ok(&w.central, &id, "reset", json!({"new_password": RESET}))
        .await;
    let rows = w.t.register_data(&w.central, "system_users").await;
    assert_eq!(rows[0]["password_reset_on"], "2026-06-01");
    assert_eq!(rows[0]["reset_by"], "契約 室長", "who reset it");
    let case = w.case(&w.staff, &id).await;
    let seq = case["secrets"][0]["seq"].as_i64().unwrap();
    let (status, shown) =
        w.t.post(
            &w.staff,
            &format!("/api/v1/cases/{id}/secrets/{seq}/new_password/reveal"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["value"], RESET);
    let case =
        w.t.act_ok(
            &w.staff,
            &id,
            "hand_over",
            json!({"password_changed": true}),
        )
        .await;
    assert_eq!(case["state"], "done");
}

//! Item 10: releasing the automatic encryption follows one of annex 3's three flows,
//! chosen by what the data holds, each with its approvers; the applicant approves nothing.

use reqwest::{Client, StatusCode};
use serde_json::json;

use super::{CALS, World, world};

async fn requested(w: &World, contents: &str) -> String {
    let id = w
        .open(
            &w.staff,
            "encryption_release",
            &w.section,
            json!({"system_name": CALS, "contents": contents, "data_description": "施設台帳の抜粋",
                   "purpose": "監査への提出", "recipient": "会計検査院", "media_number": "USB-007"}),
        )
        .await;
    w.t.act_ok(&w.staff, &id, "request", json!({})).await;
    id
}

#[tokio::test]
async fn each_flow_has_its_approvers_and_the_operator_releases() {
    let w = world().await;
    w.t.create(
        &w.nda_admin,
        "/api/v1/registers/stored_media/rows",
        json!({"organisation": w.nda, "data": {"media_number": "USB-007", "kind": "usb",
               "stored_by": "防衛大学校 部隊等情報保証責任者"}}),
    )
    .await;
    // The staff member who applied cannot approve it, whatever else they hold.
    let neither = requested(&w, "neither").await;
    let (status, _) =
        w.t.act(&w.staff, &neither, "approve_as_administrator", json!({}))
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let flows: [(&str, Option<(&Client, &str)>); 3] = [
        ("neither", None),
        ("caution", Some((&w.gm, "approve_caution"))),
        ("personal", Some((&w.privacy, "approve_personal"))),
    ];
    for (contents, second) in flows {
        let id = requested(&w, contents).await;
        let case =
            w.t.act_ok(&w.nda_admin, &id, "approve_as_administrator", json!({}))
                .await;
        match second {
            None => assert_eq!(case["state"], "approved", "① needs one approval"),
            Some((approver, action)) => {
                assert_ne!(case["state"], "approved", "{contents}");
                // The operator cannot release before the second approval.
                let (status, _) =
                    w.t.act(
                        &w.central,
                        &id,
                        "release",
                        json!({"released_on": "2026-06-01"}),
                    )
                    .await;
                assert_ne!(status, StatusCode::OK);
                let case = w.t.act_ok(approver, &id, action, json!({})).await;
                assert_eq!(case["state"], "approved", "{contents}");
            }
        }
        let case =
            w.t.act_ok(
                &w.central,
                &id,
                "release",
                json!({"released_on": "2026-06-01"}),
            )
            .await;
        assert_eq!(case["state"], "released", "{contents}");
    }
}

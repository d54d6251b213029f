//! An organisation's own variant of a form: refused with each mistake's line, used by the
//! organisation and those below it for new cases, never changing a case already opened,
//! and dropped again without touching the cases that ran under it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::auth::hidden;
use crate::cases::{application, world};
use crate::support::{PASSWORD, send};

const VARIANT: &str = "forms:
  - form: application
    reword:
      - field: purpose
        label: { ja: 利用目的（業務名を含めて）, en: Purpose (name the work) }
    hide: [terms]
    add:
      - id: budget
        type: number
        label: { ja: 年間の費用（円）, en: Yearly cost (yen) }
        min: 0
";

fn field_ids(form: &Value) -> Vec<String> {
    form["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_variant_shapes_new_cases_below_it_and_leaves_old_ones_alone() {
    let w = world().await;
    let admin = w.t.admin().await;
    let (_, unit) =
        w.t.get(&admin, &format!("/api/v1/organisations/{}", w.unit))
            .await;
    let bureau = unit["parent"].as_str().unwrap().to_owned();
    let url = |org: &str| {
        w.t.url(&format!(
            "/api/v1/organisations/{org}/adaptations/mod-external-service"
        ))
    };
    let open = |data: Value| {
        w.t.create(
            &w.officer,
            "/api/v1/cases",
            json!({"procedure": "approval", "organisation": w.unit, "data": data}),
        )
    };
    let before = open(application("Zoom", "web_meeting")).await;
    let (second, _stop) = w.t.second_instance().await;

    // Mistakes are refused with their lines, and nothing changes.
    let wrong = "forms:\n  - form: application\n    hide: [service_name, nothing]\n";
    let (status, body) = send(
        &admin,
        Method::PUT,
        &url(&bureau),
        Some(json!({"spec": wrong})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "library_invalid");
    let problems: Vec<(u64, String)> = body["error"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["line"].as_u64().unwrap(),
                p["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems.iter().all(|(line, _)| *line == 3));
    assert!(problems[0].1.contains("入力が必要な項目なので隠せません"));
    assert!(
        problems[1]
            .1
            .contains("項目「nothing」は様式「application」にありません")
    );

    // Only an administrator of the organisation may set one.
    let (status, _) = send(
        &w.officer,
        Method::PUT,
        &url(&bureau),
        Some(json!({"spec": VARIANT})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let audit = w.t.audit_count().await;
    let (status, set) = send(
        &admin,
        Method::PUT,
        &url(&bureau),
        Some(json!({"spec": VARIANT})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(
        w.t.audit_count().await,
        audit + 1,
        "the change is on record"
    );
    let version = set["version_in_effect"].as_str().unwrap().to_owned();
    assert!(version.starts_with(&format!("{}+", set["shipped_version"].as_str().unwrap())));
    // The unit below the bureau uses it; the ministry above does not.
    let (_, below) =
        w.t.get(
            &w.officer,
            &format!(
                "/api/v1/organisations/{}/adaptations/mod-external-service",
                w.unit
            ),
        )
        .await;
    assert_eq!(below["version_in_effect"], version.as_str());
    assert!(
        below["spec"].is_null(),
        "the unit keeps no variant of its own"
    );
    let ids = field_ids(&below["forms"][0]);
    assert!(ids.contains(&"budget".to_owned()) && !ids.contains(&"terms".to_owned()));
    let (_, chief_org) =
        w.t.get(&admin, &format!("/api/v1/organisations/{bureau}"))
            .await;
    let ministry = chief_org["parent"].as_str().unwrap();
    let (_, above) =
        w.t.get(
            &admin,
            &format!("/api/v1/organisations/{ministry}/adaptations/mod-external-service"),
        )
        .await;
    assert_eq!(above["version_in_effect"], above["shipped_version"]);

    // A new case takes the variant's field and checks it like any other.
    let mut data = application("Teams", "web_meeting");
    data["budget"] = json!(-5);
    let (status, body) =
        w.t.post(
            &w.officer,
            "/api/v1/cases",
            json!({"procedure": "approval", "organisation": w.unit, "data": data.clone()}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["error"]["fields"]["budget"],
        "「年間の費用（円）」は0以上にしてください。"
    );
    data["budget"] = json!(120000);
    let adapted = open(data).await;
    let (_, case) =
        w.t.get(&w.officer, &format!("/api/v1/cases/{adapted}"))
            .await;
    assert_eq!(case["library_version"], version.as_str());
    assert_eq!(case["data"]["budget"], 120000);
    let purpose = case["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "purpose")
        .unwrap();
    assert_eq!(purpose["label"]["ja"], "利用目的（業務名を含めて）");
    let (status, body) = w.act(&w.officer, &adapted, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let text =
        w.t.html(
            &w.officer,
            &format!("/api/v1/cases/{adapted}/documents/application.txt"),
        )
        .await;
    assert!(text.contains("年間の費用（円）: 120000"), "{text}");

    // A second server started before the variant reads the case under it all the same.
    let res = w
        .officer
        .get(format!("{second}/api/v1/cases/{adapted}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let there: Value = res.json().await.unwrap();
    assert_eq!(there["library_version"], version.as_str());
    assert!(field_ids(&there).contains(&"budget".to_owned()));

    // The case opened before keeps the shipped form.
    let (_, old) =
        w.t.get(&w.officer, &format!("/api/v1/cases/{before}"))
            .await;
    assert!(field_ids(&old).contains(&"terms".to_owned()));
    assert!(!field_ids(&old).contains(&"budget".to_owned()));

    // Dropped: new cases use the shipped form; the adapted case keeps its own.
    let (status, _) = send(&admin, Method::DELETE, &url(&bureau), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let after = open(application("Webex", "web_meeting")).await;
    let (_, case) = w.t.get(&w.officer, &format!("/api/v1/cases/{after}")).await;
    assert!(!field_ids(&case).contains(&"budget".to_owned()));
    let (_, case) =
        w.t.get(&w.officer, &format!("/api/v1/cases/{adapted}"))
            .await;
    assert_eq!(case["data"]["budget"], 120000);
    assert!(field_ids(&case).contains(&"budget".to_owned()));
    let (status, _) = send(&admin, Method::DELETE, &url(&bureau), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing left to drop");
}

#[tokio::test]
async fn the_variant_page_shows_each_mistake_and_keeps_what_was_typed() {
    let w = world().await;
    let browser =
        w.t.browser(crate::support::ADMIN_EMAIL, crate::support::ADMIN_PASSWORD)
            .await;
    let path = format!("/organisations/{}/adaptations/mod-external-service", w.unit);
    let page = w.t.html(&browser, &path).await;
    assert!(page.contains("name=\"spec\""), "{page}");
    let csrf = hidden(&page, "_csrf");
    let typed = "forms:\n  - form: application\n    add:\n      - { id: budget, type: choice, label: { ja: 費用区分 } }\n";
    let res = browser
        .post(w.t.url(&path))
        .form(&[("_csrf", csrf.as_str()), ("spec", typed)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(page.contains("adaptation.yaml:4:"), "{page}");
    assert!(page.contains("options がありません"), "{page}");
    assert!(
        page.contains("{ id: budget, type: choice, label: { ja: 費用区分 } }"),
        "typed text kept"
    );

    let res = browser
        .post(w.t.url(&path))
        .form(&[("_csrf", csrf.as_str()), ("spec", VARIANT)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    let page = w.t.html(&browser, &to).await;
    assert!(page.contains("様式の変更を保存しました"), "{page}");
    assert!(page.contains("年間の費用（円）"));
    // The new-case form of the unit shows the variant.
    let officer = w.t.browser("officer@mod.example.jp", PASSWORD).await;
    let page =
        w.t.html(
            &officer,
            &format!("/cases/new?procedure=approval&organisation={}", w.unit),
        )
        .await;
    assert!(page.contains("name=\"budget\""), "{page}");
    assert!(page.contains("利用目的（業務名を含めて）"));
    assert!(!page.contains("利用規約等の写し"));
}

//! A committee that decides as a body, through the API, in the world of seed 004: the CISO
//! puts the training plan to the information security committee (5.2(2)①); each member
//! votes once a round, the chair records the resolution with the minutes attached once
//! the quorum is reached, and the votes decide where the case goes. The library is a test
//! fixture (`fixtures/libraries/mod-duties`) whose quorum (half the members) and majority
//! (more than half of the votes cast) are its own figures.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::TestApp;

fn libraries() -> Vec<mamori_library::Library> {
    crate::support::with_fixtures(&["mod-duties"])
}

struct Committee {
    t: TestApp,
    ciso: Client,
    chair: Client,
    members: Vec<Client>,
    staff: Client,
    city: String,
}

/// 青葉市: the CISO, a chair, three members (one of them the chair's deputy) and a member
/// of staff who sits on no committee.
async fn committee() -> Committee {
    let t = TestApp::build(mamori_app::system_clock(), libraries(), |_| {})
        .await
        .add_admin()
        .await;
    let admin = t.admin().await;
    let city = t.org(&admin, "青葉市", "local_government", None).await;
    let mut clients = t
        .people(
            &admin,
            &[
                ("最高 五郎", "ciso@city.example.jp", &city, "ciso"),
                (
                    "委員長 一子",
                    "chair@city.example.jp",
                    &city,
                    "committee_chair",
                ),
                ("委員 二子", "m1@city.example.jp", &city, "committee_member"),
                ("委員 三子", "m2@city.example.jp", &city, "committee_member"),
                ("委員 四子", "m3@city.example.jp", &city, "committee_member"),
                ("職員 一郎", "staff@city.example.jp", &city, "staff"),
            ],
        )
        .await
        .into_iter();
    let mut next = || clients.next().unwrap();
    Committee {
        ciso: next(),
        chair: next(),
        members: vec![next(), next(), next()],
        staff: next(),
        city,
        t,
    }
}

fn resolve(case: &Value) -> &Value {
    case["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "resolve")
        .expect("the chair is offered the resolution")
}

async fn vote(w: &Committee, c: &Client, id: &str, vote: &str) -> (StatusCode, Value) {
    w.t.act(c, id, "vote", json!({"vote": vote})).await
}

#[tokio::test]
async fn members_vote_once_the_chair_resolves_with_the_minutes_at_quorum_and_the_votes_decide() {
    let w = committee().await;
    let id =
        w.t.create(
            &w.ciso,
            "/api/v1/cases",
            json!({"procedure": "mod-duties/training_plan", "organisation": w.city,
                   "data": {"fiscal_year": "令和9年度", "plan": "全職員に年1回の研修"}}),
        )
        .await;
    let (status, case) = w.t.act(&w.ciso, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{case}");

    // Someone who sits on no committee has no vote.
    let (status, _) = vote(&w, &w.staff, &id, "for").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A vote must be one of the ballot's.
    let (status, body) = vote(&w, &w.members[0], &id, "maybe").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let (status, case) = vote(&w, &w.members[0], &id, "for").await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(
        case["state"], "deliberating",
        "a vote does not move the case"
    );
    // One vote a round.
    let (status, _) = vote(&w, &w.members[0], &id, "against").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // One of three members voted; half of three rounds up to two: no quorum yet.
    let (_, page) = w.t.get(&w.chair, &format!("/api/v1/cases/{id}")).await;
    let votes = &resolve(&page)["votes"];
    assert_eq!(
        votes,
        &json!({"for": 1, "against": 0, "abstain": 0, "members": 3, "quorum": 2, "carried": false})
    );
    let (status, body) = w.t.act(&w.chair, &id, "resolve", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.to_string().contains("定足数に達していません"),
        "{body}"
    );
    assert!(
        resolve(&page)["unmet"].to_string().contains("定足数"),
        "the page says so before anyone tries: {page}"
    );

    let (status, _) = vote(&w, &w.members[1], &id, "against").await;
    assert_eq!(status, StatusCode::OK);
    // Quorate, but the minutes are not attached yet.
    let (status, body) = w.t.act(&w.chair, &id, "resolve", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("議事録"), "{body}");
    let (status, _) =
        w.t.attach_for(&w.chair, &id, "minutes", "議事録.pdf", b"%PDF-1.4 minutes")
            .await;
    assert_eq!(status, StatusCode::CREATED);
    // One for, one against: not more than half. The plan goes back to the CISO.
    let (status, case) = w.t.act(&w.chair, &id, "resolve", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "returned");
    let last = case["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["detail"]["tally"]["carried"], false, "{last}");
    assert!(
        last["sentence"]["ja"].as_str().unwrap().contains("否決"),
        "{last}"
    );

    // A new round: the votes of the last one count no more.
    let (status, _) = w.t.act(&w.ciso, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, page) = w.t.get(&w.chair, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(resolve(&page)["votes"]["for"], 0);
    for m in &w.members[..2] {
        let (status, body) = vote(&w, m, &id, "for").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, _) = vote(&w, &w.members[2], &id, "abstain").await;
    assert_eq!(status, StatusCode::OK);
    let (status, case) = w.t.act(&w.chair, &id, "resolve", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "approved");
    let last = case["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["detail"]["tally"],
        json!({"for": 2, "against": 0, "abstain": 1, "members": 3, "quorum": 2, "carried": true})
    );
    // Each member's vote is kept with who cast it.
    let votes: Vec<(String, String)> = case["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["action"] == "vote")
        .map(|h| {
            (
                h["actor"].as_str().unwrap().to_owned(),
                h["detail"]["vote"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(votes.len(), 5, "{votes:?}");
    assert_eq!(votes[4], ("委員 四子".to_owned(), "abstain".to_owned()));
}

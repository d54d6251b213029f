//! The emergency contact network (7.3(2)①, 1(2)⑦, digest L23): printed for the city, it lists
//! who holds each role there and below it on the day it is printed — the designations, not a
//! list typed once and left to age — with the numbers the 統括 keeps for each person, then the
//! contacts outside (the prefecture, the police). 緑町 cannot print the city's.

use reqwest::{Client, StatusCode};
use serde_json::json;

use super::{City, city};
use crate::support::pdf_text;

/// The city's network as `c` prints it: the status and the PDF's text without spaces.
async fn network(w: &City, c: &Client) -> (StatusCode, String) {
    let res = c
        .get(w.t.url(&format!(
            "/api/v1/registers/lg_contacts/documents/network_pdf.pdf?organisation={}",
            w.city
        )))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.bytes().await.unwrap();
    if status != StatusCode::OK {
        return (status, String::new());
    }
    (status, pdf_text(&bytes).replace([' ', '\n'], ""))
}

#[tokio::test]
async fn the_network_prints_todays_holders_with_their_numbers_then_the_contacts_outside() {
    let w = city().await;
    for data in [
        json!({"contact": "副市長 一郎", "kind": "staff", "phone": "022-111-0001",
               "night_phone": "090-1111-0001"}),
        json!({"contact": "宮城県 デジタル推進課", "kind": "prefecture", "section": "情報セキュリティ班",
               "phone": "022-211-0000"}),
        json!({"contact": "県警察本部 サイバー犯罪対策課", "kind": "police", "phone": "022-221-7171"}),
    ] {
        w.t.create(
            &w.chief,
            "/api/v1/registers/lg_contacts/rows",
            json!({"organisation": w.city, "data": data}),
        )
        .await;
    }
    let (status, text) = network(&w, &w.chief).await;
    assert_eq!(status, StatusCode::OK);
    // Every role held in the city and below it, the CISO first and the staff last, with the
    // numbers kept for the person.
    for expected in [
        "緊急連絡網",
        "副市長一郎",
        "022-111-0001",
        "090-1111-0001",
        "情報二郎",
        "総務三郎",
        "基盤六郎",
        "職員五子",
        "宮城県デジタル推進課",
        "022-211-0000",
        "県警察本部サイバー犯罪対策課",
    ] {
        assert!(text.contains(expected), "{expected} not in {text}");
    }
    let at = |s: &str| text.find(s).unwrap();
    assert!(at("最高情報セキュリティ責") < at("職員五子"), "{text}");
    assert!(at("職員五子") < at("宮城県デジタル推進課"), "{text}");
    assert!(!text.contains("緑管理"), "{text}");

    // Kept current: a system manager designated today is on the next print.
    let new =
        w.t.person(&w.sys, "基盤 八郎", "hachiro.it@aoba.example.jp", &w.it)
            .await;
    w.t.designate(&w.sys, "lg_system_manager", &w.it, &new)
        .await;
    assert!(network(&w, &w.chief).await.1.contains("基盤八郎"));

    // Another body's administrator does not print the city's.
    let (status, _) = network(&w, &w.town_admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

//! Files attached to cases: who may attach, download and withdraw them, what is refused
//! and why, and that the content rests encrypted, once per content, with every download
//! on record.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::auth::hidden;
use crate::cases::{World, application, world, world_on};
use crate::support::{PASSWORD, TestApp, upload};

const PDF: &[u8] = b"%PDF-1.7\n% \xe6\xa9\x9f\xe5\xaf\x86 SECRET-PLAN-4711\n%%EOF\n";

impl World {
    async fn draft(&self, service: &str) -> String {
        self.t
            .create(
                &self.officer,
                "/api/v1/cases",
                json!({"procedure": "approval", "organisation": self.unit, "data": application(service, "web_meeting")}),
            )
            .await
    }

    async fn attach(
        &self,
        c: &Client,
        case: &str,
        name: &str,
        content: &[u8],
    ) -> (StatusCode, Value) {
        upload(
            c,
            &self.t.url(&format!("/api/v1/cases/{case}/attachments")),
            name,
            content,
        )
        .await
    }

    async fn case(&self, c: &Client, id: &str) -> Value {
        let (status, case) = self.t.get(c, &format!("/api/v1/cases/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{case}");
        case
    }
}

fn message(body: &Value) -> String {
    body["error"]["fields"]["file"]
        .as_str()
        .unwrap_or_else(|| panic!("no field message in {body}"))
        .to_owned()
}

/// (sealed content, count of files, count of attachments), read straight from the database.
async fn stored(t: &TestApp) -> (Vec<Vec<u8>>, i64, i64) {
    let sealed: Vec<(Vec<u8>,)> = mamori_storage::on_db!(&t.db, p =>
        sqlx::query_as("SELECT sealed FROM files").fetch_all(p).await)
    .unwrap();
    let (attachments,): (i64,) = mamori_storage::on_db!(&t.db, p =>
        sqlx::query_as("SELECT COUNT(*) FROM case_attachments").fetch_one(p).await)
    .unwrap();
    let files = i64::try_from(sealed.len()).unwrap();
    (
        sealed.into_iter().map(|(s,)| s).collect(),
        files,
        attachments,
    )
}

#[tokio::test]
async fn a_file_rests_sealed_once_and_every_download_is_on_record() {
    let w = world().await;
    let id = w.draft("Zoom").await;
    let (status, added) = w.attach(&w.officer, &id, "利用規約 v2.pdf", PDF).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["file_name"], "利用規約 v2.pdf");
    assert_eq!(added["media_type"], "application/pdf");
    assert_eq!(added["size"], PDF.len());
    assert_eq!(added["added_by"], "申請 一郎");

    // The same content on a second case is stored once, and nowhere in the clear.
    let other = w.draft("Teams").await;
    let (status, _) = w.attach(&w.officer, &other, "copy.pdf", PDF).await;
    assert_eq!(status, StatusCode::CREATED);
    let (sealed, files, attachments) = stored(&w.t).await;
    assert_eq!((files, attachments), (1, 2));
    assert!(!sealed[0].windows(11).any(|x| x == b"SECRET-PLAN"));
    assert!(!sealed[0].starts_with(b"%PDF"));

    let case = w.case(&w.officer, &id).await;
    assert_eq!(case["may_attach"], true);
    assert_eq!(case["attachments"][0]["id"], added["id"]);
    let history: Vec<(&str, &str)> = case["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["comment"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(history, [("open", ""), ("attach", "利用規約 v2.pdf")]);

    let before = w.t.audit_count().await;
    let res = w
        .officer
        .get(w.t.url(added["href"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"____ v2.pdf\"; filename*=UTF-8''%E5%88%A9%E7%94%A8%E8%A6%8F%E7%B4%84%20v2.pdf"
    );
    assert_eq!(&res.bytes().await.unwrap()[..], PDF);
    assert_eq!(
        w.t.audit_count().await,
        before + 1,
        "the download is recorded"
    );
    let (_, audit) =
        w.t.get(
            &w.t.admin().await,
            "/api/v1/audit?action=case.attachment.download",
        )
        .await;
    assert_eq!(audit["items"][0]["detail"]["file_name"], "利用規約 v2.pdf");
    w.t.verify_chain().await;
}

#[tokio::test]
async fn whoever_holds_the_case_may_attach_and_others_may_not() {
    let w = world().await;
    let id = w.apply(&w.officer, &w.unit, "Slack", "sns").await;

    // Submitted, the case waits on the chief: they may attach, the applicant no longer.
    assert_eq!(w.case(&w.officer, &id).await["may_attach"], false);
    let (status, _) = w.attach(&w.officer, &id, "追加資料.pdf", PDF).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = w.attach(&w.chief, &id, "NISC助言.pdf", PDF).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let href = body["href"].as_str().unwrap().to_owned();

    // Readers download, colleagues of the unit included; another unit's officer does not.
    for (c, may_read) in [
        (&w.officer, true),
        (&w.chief, true),
        (&w.bystander, true),
        (&w.other_officer, false),
    ] {
        let status = c.get(w.t.url(&href)).send().await.unwrap().status();
        assert_eq!(status.is_success(), may_read, "{status}");
    }
    // Neither they nor a colleague without a part in the procedure may attach.
    for c in [&w.other_officer, &w.bystander] {
        let (status, body) = w.attach(c, &id, "x.pdf", PDF).await;
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{status}"
        );
        assert!(!body.to_string().contains("Slack"));
    }

    // Only the uploader withdraws, and the withdrawn file is gone for everyone.
    let attachment = href.rsplit('/').next().unwrap();
    let del = |c: &Client| {
        c.delete(w.t.url(&format!("/api/v1/cases/{id}/attachments/{attachment}")))
            .send()
    };
    assert_eq!(
        del(&w.officer).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        del(&w.chief).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(del(&w.chief).await.unwrap().status(), StatusCode::NOT_FOUND);
    let case = w.case(&w.chief, &id).await;
    assert_eq!(case["attachments"], json!([]));
    let actions: Vec<&str> = case["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["open", "submit", "attach", "attach.withdraw"]);
    let status = w.chief.get(w.t.url(&href)).send().await.unwrap().status();
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A closed case takes nothing more.
    let (status, body) = w
        .act(&w.chief, &id, "refuse", json!({"comment": "不要"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = w.attach(&w.chief, &id, "後から.pdf", PDF).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn refused_files_say_why_and_nothing_is_stored() {
    let t = TestApp::with(|s| s.attachment_max_bytes = 1024 * 1024)
        .await
        .add_admin()
        .await;
    let w = world_on(t).await;
    let id = w.draft("Box").await;
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "tool.exe",
            b"MZ\x90\x00".to_vec(),
            "この形式のファイルは添付できません。",
        ),
        (
            "report.pdf",
            b"MZ\x90\x00".to_vec(),
            "ファイルの中身が拡張子と一致しません。",
        ),
        ("empty.pdf", vec![], "ファイルが空です。"),
        (
            "big.txt",
            vec![b'a'; 1024 * 1024 + 1],
            "1 MB 以下のファイルを選んでください。",
        ),
        ("..", b"%PDF-".to_vec(), "ファイル名を読み取れません。"),
    ];
    for (name, content, expected) in cases {
        let (status, body) = w.attach(&w.officer, &id, name, &content).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}: {body}");
        assert!(message(&body).contains(expected), "{name}: {body}");
    }
    // Exactly at the limit is accepted.
    let (status, body) = w
        .attach(&w.officer, &id, "ok.txt", &vec![b'a'; 1024 * 1024])
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // A form without a file part.
    let res = w
        .officer
        .post(w.t.url(&format!("/api/v1/cases/{id}/attachments")))
        .multipart(reqwest::multipart::Form::new().text("note", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(message(&res.json().await.unwrap()), "入力してください。");
    let (_, files, attachments) = stored(&w.t).await;
    assert_eq!((files, attachments), (1, 1));
}

#[tokio::test]
async fn the_case_page_uploads_and_shows_a_refusal_under_the_file_input() {
    let w = world().await;
    let id = w.draft("Webex").await;
    let browser = w.t.browser("officer@mod.example.jp", PASSWORD).await;
    let page = w.t.html(&browser, &format!("/cases/{id}")).await;
    assert!(page.contains("添付ファイルはありません。"));
    let csrf = hidden(&page, "_csrf");
    let post = |name: &str, content: &[u8], csrf: &str| {
        let form = reqwest::multipart::Form::new()
            .text("_csrf", csrf.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::bytes(content.to_vec()).file_name(name.to_owned()),
            );
        browser
            .post(w.t.url(&format!("/cases/{id}/attachments")))
            .multipart(form)
            .send()
    };

    let res = post("規約.pdf", PDF, &csrf).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(to, format!("/cases/{id}?notice=attachment-added"));
    let page = w.t.html(&browser, &to).await;
    assert!(page.contains("ファイルを添付しました。"));
    assert!(page.contains(">規約.pdf</a>"));

    let res = post("virus.pdf", b"MZ", &csrf).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(page.contains("ファイルの中身が拡張子と一致しません。"));
    assert!(page.contains(">規約.pdf</a>"), "the case is shown again");

    let res = post("規約.pdf", PDF, "forged").await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // The page exports the case as an encrypted ZIP; a mistyped confirmation is caught.
    let bundle = |confirm: &str| {
        browser
            .post(w.t.url(&format!("/cases/{id}/bundle")))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("password", "電話で伝える合言葉 2026"),
                ("password_confirm", confirm),
            ])
            .send()
    };
    let res = bundle("電話で伝える合言葉").await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("確認用のパスワードが一致しません。")
    );
    let res = bundle("電話で伝える合言葉 2026").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let (_, _, attachments) = stored(&w.t).await;
    assert_eq!(attachments, 1);
}

#[tokio::test]
async fn a_case_leaves_as_an_aes_zip_that_opens_with_its_password_only() {
    use std::io::Read;

    let w = world().await;
    let id = w
        .apply(&w.officer, &w.unit, "Notion", "online_storage")
        .await;
    let (status, _) = w.attach(&w.chief, &id, "NISC助言.pdf", PDF).await;
    assert_eq!(status, StatusCode::CREATED);
    let url = w.t.url(&format!("/api/v1/cases/{id}/bundle"));

    let res = w
        .chief
        .post(&url)
        .json(&json!({"password": "short"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["error"]["fields"]["password"],
        "12文字以上で入力してください。"
    );

    let before = w.t.audit_count().await;
    let password = "電話で伝える合言葉 2026";
    let res = w
        .chief
        .post(&url)
        .json(&json!({"password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let bytes = res.bytes().await.unwrap();
    assert!(
        !bytes.windows(11).any(|x| x == b"SECRET-PLAN"),
        "nothing in the clear"
    );
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    names.sort();
    assert_eq!(names.len(), 5, "{names:?}");
    assert_eq!(
        names[..4],
        [
            "application.txt",
            "application_pdf.pdf",
            "application_xlsx.xlsx",
            "case.json"
        ]
    );
    assert_eq!(names[4], "添付/NISC助言.pdf");
    let read = |zip: &mut zip::ZipArchive<_>, name: &str| {
        let mut out = Vec::new();
        zip.by_name_decrypt(name, password.as_bytes())
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        out
    };
    assert_eq!(read(&mut zip, &names[4]), PDF);
    assert!(read(&mut zip, "application_pdf.pdf").starts_with(b"%PDF-"));
    let record: Value = serde_json::from_slice(&read(&mut zip, "case.json")).unwrap();
    assert_eq!(record["data"]["service_name"], "Notion");
    assert!(
        zip.by_name_decrypt("case.json", b"a wrong password")
            .is_err()
    );
    assert_eq!(
        w.t.audit_count().await,
        before + 1,
        "one event for the export"
    );

    // Another unit's officer gets nothing.
    let res = w
        .other_officer
        .post(&url)
        .json(&json!({"password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn attachments_of_one_name_both_leave_in_the_bundle() {
    use std::io::Read;

    // Attached within the same minute, the two used to get the same entry name, and the
    // export failed with "Duplicate filename".
    let w = world().await;
    let id = w.draft("Zoom").await;
    let second: &[u8] = b"%PDF-1.7\n% second report\n%%EOF\n";
    for content in [PDF, second] {
        let (status, body) = w.attach(&w.officer, &id, "報告書.pdf", content).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let password = "電話で伝える合言葉 2026";
    let res = w
        .officer
        .post(w.t.url(&format!("/api/v1/cases/{id}/bundle")))
        .json(&json!({"password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut attached: Vec<String> = zip
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .filter(|n| n.starts_with("添付/"))
        .collect();
    attached.sort();
    assert_eq!(attached, ["添付/報告書 (2).pdf", "添付/報告書.pdf"]);
    let mut contents = Vec::new();
    for name in &attached {
        let mut out = Vec::new();
        zip.by_name_decrypt(name, password.as_bytes())
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        contents.push(out);
    }
    contents.sort();
    let mut expected = vec![PDF.to_vec(), second.to_vec()];
    expected.sort();
    assert_eq!(contents, expected);
}

#[tokio::test]
async fn uploads_beyond_the_few_at_once_are_told_to_come_back() {
    let t = TestApp::with(|s| {
        s.uploads_at_once = 1;
        s.upload_wait = std::time::Duration::from_millis(200);
    })
    .await
    .add_admin()
    .await;
    let w = crate::cases::world_on(t).await;
    let id = w.draft("Zoom").await;
    // Another upload holds the only turn.
    let turn = w.t.app.upload_turn().await.expect("a free turn");
    let res = w
        .officer
        .post(w.t.url(&format!("/api/v1/cases/{id}/attachments")))
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("規約.pdf"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "5");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "busy");
    assert_eq!(
        body["error"]["message"],
        "ただいまファイルの受け付けが混み合っています。しばらくしてからもう一度お試しください。"
    );
    let (_, _, attachments) = stored(&w.t).await;
    assert_eq!(attachments, 0);

    // Once it is done, the next upload goes through, and gives its turn back.
    drop(turn);
    for name in ["規約.pdf", "規約 v2.pdf"] {
        let (status, body) = w.attach(&w.officer, &id, name, PDF).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
}

//! Registers kept by hand and through Excel: the editors add, correct and retire rows,
//! each change in the row's history; an import stores every row or none and names each
//! wrong cell; what a row says steers the procedures that read it.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::auth::hidden;
use crate::cases::{World, world};
use crate::support::PASSWORD;

const ROWS: &str = "/api/v1/registers/external_services/rows";

impl World {
    /// The organisation where the chief keeps registry rows.
    async fn kept_by(&self) -> String {
        let (_, list) = self.t.get(&self.chief, ROWS).await;
        list["may_add_in"][0].as_str().unwrap().to_owned()
    }

    async fn rows(&self, c: &Client, retired: bool) -> Vec<Value> {
        let (status, list) = self.t.get(c, &format!("{ROWS}?retired={retired}")).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        list["rows"].as_array().unwrap().clone()
    }

    async fn import(&self, c: &Client, org: &str, workbook: Vec<u8>) -> (StatusCode, Value) {
        self.t
            .import_rows(c, "external_services", org, workbook)
            .await
    }

    async fn export(&self, c: &Client) -> mamori_sheets::ReadTable {
        let res = c
            .get(
                self.t
                    .url("/api/v1/registers/external_services/export.xlsx"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let bytes = res.bytes().await.unwrap();
        mamori_sheets::read(&bytes, mamori_sheets::Limits::default()).unwrap()
    }
}

fn messages(body: &Value) -> Vec<String> {
    body["error"]["fields"]
        .as_object()
        .unwrap_or_else(|| panic!("no field messages in {body}"))
        .values()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// The chief's skip of the NISC step on a case, as the case shows it.
fn skip_nisc(case: &Value) -> &Value {
    case["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "skip_nisc")
        .unwrap_or_else(|| panic!("{case}"))
}

#[tokio::test]
async fn editors_add_correct_and_retire_rows_and_the_procedure_follows() {
    let w = world().await;
    let org = w.kept_by().await;

    let add = json!({"organisation": org, "data": {"service_name": "Slack", "nisc_advice_on": "2026-10-01", "nisc_advice": "利用可"}});
    let (status, _) = w.t.post(&w.officer, ROWS, add.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an officer is not an editor");
    let row = w.t.create(&w.chief, ROWS, add).await;

    // The same key, however it is typed, is one row; a bad date is named.
    let (status, body) =
        w.t.post(
            &w.chief,
            ROWS,
            json!({"organisation": org, "data": {"service_name": " slack "}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        messages(&body),
        ["同じ「外部サービスの名称」の行がすでにあります。"]
    );
    let (status, body) = w
        .t
        .post(&w.chief, ROWS, json!({"organisation": org, "data": {"service_name": "Box", "nisc_advice_on": "2026-02-30"}}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        messages(&body),
        ["「NISC助言日」は日付（例: 2026-11-22）で入力してください。"]
    );

    // The hand-kept advice is what the chief may cite to skip the NISC step.
    let id = w.apply(&w.officer, &w.unit, "SLACK", "sns").await;
    let (_, case) = w.t.get(&w.chief, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["state"], "received", "{case}");
    let skip = skip_nisc(&case);
    assert_eq!(skip["unmet"], json!([]), "{case}");
    assert_eq!(skip["prefill"]["cited_nisc_advice"], "利用可");

    // A correction is kept with its reason; the key cannot change.
    let path = format!("{ROWS}/{row}");
    let (status, detail) =
        w.t.patch(
            &w.chief,
            &path,
            json!({"data": {"nisc_advice": "利用可（条件付き）"}, "comment": "助言文書の再確認"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["data"]["nisc_advice"], "利用可（条件付き）");
    let (status, body) =
        w.t.patch(&w.chief, &path, json!({"data": {"service_name": "Teams"}}))
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("訂正できません")
    );
    let (status, _) =
        w.t.patch(&w.officer, &path, json!({"data": {"nisc_advice": "x"}}))
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Retired, it leaves the live register, keeps its history, and no longer counts.
    let (status, detail) =
        w.t.post(
            &w.chief,
            &format!("{path}/retire"),
            json!({"comment": "サービス終了"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let history: Vec<(&str, &str)> = detail["history"]
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
    assert_eq!(
        history,
        [
            ("add", ""),
            ("edit", "助言文書の再確認"),
            ("retire", "サービス終了")
        ]
    );
    assert_eq!(detail["may_edit"], false);
    assert!(
        w.rows(&w.chief, false)
            .await
            .iter()
            .all(|r| r["id"] != row.as_str())
    );
    assert_eq!(w.rows(&w.chief, true).await[0]["id"], row.as_str());
    let (status, _) =
        w.t.patch(&w.chief, &path, json!({"data": {"nisc_advice": "x"}}))
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let id = w.apply(&w.officer, &w.unit, "Slack", "sns").await;
    let (_, case) = w.t.get(&w.chief, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(skip_nisc(&case)["unmet"].as_array().unwrap().len(), 1);
    assert_eq!(skip_nisc(&case)["prefill"], json!({}));

    // Another unit's officer reads none of it.
    assert!(w.rows(&w.other_officer, true).await.is_empty());
    let (status, _) = w.t.get(&w.other_officer, &path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    w.t.verify_chain().await;
}

#[tokio::test]
async fn an_import_stores_every_row_or_none_and_names_each_wrong_cell() {
    let w = world().await;
    let org = w.kept_by().await;
    for (service, advice) in [("Zoom", "2026-09-01"), ("Webex", "2026-09-02")] {
        w.t.create(&w.chief, ROWS, json!({"organisation": org, "data": {"service_name": service, "nisc_advice_on": advice}}))
            .await;
    }
    let exported = w.export(&w.chief).await;
    assert_eq!(exported.meta("register"), Some("external_services"));
    assert_eq!(
        exported.header[..3],
        ["組織", "外部サービスの名称", "NISC助言日"]
    );
    let services: Vec<&str> = exported.rows.iter().map(|(_, r)| r[1].as_str()).collect();
    assert_eq!(services, ["Webex", "Zoom"]);
    assert!(
        w.export(&w.other_officer).await.rows.is_empty(),
        "another unit exports nothing"
    );

    // Edited in Excel: Zoom corrected, Webex as it was, two new rows of which one has a
    // bad date and one repeats Zoom. Nothing is stored, and each problem is named.
    let columns: Vec<String> = exported
        .meta("columns")
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    let mut rows: Vec<Vec<String>> = exported.rows.iter().map(|(_, r)| r.clone()).collect();
    rows[1][3] = "会議に限り利用可".into();
    let mut new_row = |service: &str, date: &str| {
        let mut r = vec![String::new(); columns.len()];
        r[1] = service.into();
        r[2] = date.into();
        rows.push(r);
    };
    new_row("DeepL", "2026-13-01");
    new_row(" zoom", "");
    new_row("Box", "2026-10-10");
    let workbook = |rows: &[Vec<String>]| {
        mamori_sheets::write(&mamori_sheets::Table {
            sheet: "外部サービス台帳".into(),
            meta: exported
                .meta
                .iter()
                .filter(|(k, _)| k != "columns")
                .cloned()
                .collect(),
            columns: columns
                .iter()
                .zip(&exported.header)
                .map(|(id, label)| mamori_sheets::Column {
                    id: id.clone(),
                    label: label.clone(),
                    width: 20.0,
                })
                .collect(),
            rows: rows.to_vec(),
        })
        .unwrap()
    };
    let (status, body) = w.import(&w.chief, &org, workbook(&rows)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let mut found = messages(&body);
    found.sort();
    assert_eq!(
        found,
        [
            "「4行目 NISC助言日」は日付（例: 2026-11-22）で入力してください。",
            "「5行目 外部サービスの名称」が 3 行目と同じです（同じ行を二度書いています）。",
        ]
    );
    assert_eq!(w.rows(&w.chief, false).await.len(), 2, "nothing was stored");

    rows.remove(3);
    rows[2][2] = "2026-11-01".into();
    let (status, body) = w.import(&w.chief, &org, workbook(&rows)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"added": 2, "updated": 1, "unchanged": 1}));
    let live = w.rows(&w.chief, false).await;
    assert_eq!(live.len(), 4);
    let zoom = live
        .iter()
        .find(|r| r["data"]["service_name"] == "Zoom")
        .unwrap();
    assert_eq!(zoom["data"]["nisc_advice"], "会議に限り利用可");
    let (_, detail) =
        w.t.get(
            &w.chief,
            &format!("{ROWS}/{}", zoom["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(detail["history"][1]["action"], "import");
    assert_eq!(
        detail["history"][1]["change"],
        json!({"nisc_advice": "会議に限り利用可"})
    );

    // Not a workbook, or another register's, or an officer's: refused.
    let (status, body) = w
        .import(&w.chief, &org, b"service,date\nZoom,2026-01-01\n".to_vec())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["message"].as_str().unwrap().contains(".xlsx"));
    let other = mamori_sheets::write(&mamori_sheets::Table {
        sheet: "x".into(),
        meta: vec![("register".into(), "system_accounts".into())],
        columns: vec![mamori_sheets::Column {
            id: "service_name".into(),
            label: "外部サービスの名称".into(),
            width: 10.0,
        }],
        rows: vec![vec!["Zoom".into()]],
    })
    .unwrap();
    let (status, body) = w.import(&w.chief, &org, other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("別の台帳")
    );
    let (status, _) = w.import(&w.officer, &org, workbook(&rows)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_register_page_adds_a_row_and_keeps_what_was_typed_on_a_mistake() {
    let w = world().await;
    let org = w.kept_by().await;
    let browser = w.t.browser("chief@mod.example.jp", PASSWORD).await;
    let page = w.t.html(&browser, "/registers/external_services").await;
    assert!(page.contains("data-test=\"add-row\""));
    let csrf = hidden(&page, "_csrf");
    let post = |pairs: Vec<(&str, &str)>| {
        browser
            .post(w.t.url("/registers/external_services/rows"))
            .form(&pairs)
            .send()
    };
    let res = post(vec![
        ("_csrf", &csrf),
        ("_organisation", &org),
        ("nisc_advice", "助言の写し"),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(page.contains("「外部サービスの名称」を入力してください。"));
    assert!(page.contains("助言の写し"), "what was typed is kept");

    let res = post(vec![
        ("_csrf", &csrf),
        ("_organisation", &org),
        ("service_name", "Miro"),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    let page = w.t.html(&browser, &to).await;
    assert!(page.contains("行を追加しました。"));
    assert!(page.contains("data-test=\"edit-row\""));

    // The officer reads the register but has no forms.
    let officer = w.t.browser("officer@mod.example.jp", PASSWORD).await;
    let page = w.t.html(&officer, "/registers/external_services").await;
    assert!(!page.contains("data-test=\"add-row\"") && !page.contains("data-test=\"import\""));
}

#[tokio::test]
async fn a_register_leaves_encrypted_with_only_its_readers_rows() {
    use std::io::Read;

    let w = world().await;
    let org = w.kept_by().await;
    w.t.create(&w.chief, ROWS, json!({"organisation": org, "data": {"service_name": "Zoom", "nisc_advice_on": "2026-09-01"}}))
        .await;
    let url = w.t.url("/api/v1/registers/external_services/export.zip");
    let export =
        |c: &Client, password: &str| c.post(&url).json(&json!({ "password": password })).send();

    let before = w.t.audit_count().await;
    let res = export(&w.chief, "short").await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["error"]["fields"]["password"],
        "12文字以上で入力してください。"
    );
    assert_eq!(
        w.t.audit_count().await,
        before,
        "nothing left, nothing recorded"
    );

    let password = "台帳送付用の合言葉 2026";
    let open = |bytes: Vec<u8>| {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        assert!(
            zip.by_name_decrypt("external_services.xlsx", b"wrong password 1234")
                .is_err()
        );
        let mut workbook = Vec::new();
        zip.by_name_decrypt("external_services.xlsx", password.as_bytes())
            .unwrap()
            .read_to_end(&mut workbook)
            .unwrap();
        mamori_sheets::read(&workbook, mamori_sheets::Limits::default()).unwrap()
    };
    let res = export(&w.chief, password).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let bytes = res.bytes().await.unwrap().to_vec();
    assert!(
        !bytes.windows(4).any(|x| x == b"Zoom"),
        "nothing in the clear"
    );
    let table = open(bytes);
    assert_eq!(table.meta("register"), Some("external_services"));
    assert_eq!(table.rows.len(), 1);
    assert_eq!(table.rows[0].1[1], "Zoom");
    assert_eq!(
        w.t.audit_count().await,
        before + 1,
        "one event for the export"
    );
    // Another unit's officer gets a workbook, but none of the rows it may not read.
    let res = export(&w.other_officer, password).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(open(res.bytes().await.unwrap().to_vec()).rows.is_empty());

    // The page: a mistyped confirmation is named and nothing is downloaded.
    let browser = w.t.browser("chief@mod.example.jp", PASSWORD).await;
    let page = w.t.html(&browser, "/registers/external_services").await;
    let csrf = hidden(&page, "_csrf");
    let post = |confirm: &str| {
        browser
            .post(w.t.url("/registers/external_services/export"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("password", password),
                ("password_confirm", confirm),
            ])
            .send()
    };
    let res = post("台帳送付用の合言葉").await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("確認用のパスワードが一致しません。")
    );
    let res = post(password).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(open(res.bytes().await.unwrap().to_vec()).rows.len(), 1);
}

/// A 1.5 kB workbook with cells `A1` and `XFD1048576` only; see the sheets crate's tests.
const FAR_CORNER: &[u8] = include_bytes!("../../../sheets/tests/data/far-corner.xlsx");

#[tokio::test]
async fn a_workbook_made_to_exhaust_memory_is_refused_and_the_server_stays_up() {
    let w = world().await;
    let org = w.kept_by().await;
    // Laid out as a grid, these two cells took 549 GB, and the failed allocation ended the
    // whole server.
    let (status, body) = w.import(&w.chief, &org, FAR_CORNER.to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "rule_violated");
    assert_eq!(
        body["error"]["message"],
        "Excel の行が多すぎます（見出しの下に 5,000 行まで。離れたセルに値があると、その間の行も数えます）。分けて取り込むか、不要なセルを消してください。"
    );
    let (status, body) = w.t.get(&w.t.client(), "/healthz").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // One row and a column as wide as Excel goes: the columns' limit, by name.
    let wide = far_corner_variant("XFD1");
    let (status, body) = w.import(&w.chief, &org, wide).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("100 列まで"),
        "{body}"
    );
    assert!(w.rows(&w.chief, false).await.is_empty(), "nothing stored");

    // An honest workbook still imports on the same server.
    let honest = mamori_sheets::write(&mamori_sheets::Table {
        sheet: "外部サービス台帳".into(),
        meta: vec![],
        columns: ["外部サービスの名称", "NISC助言日"]
            .into_iter()
            .map(|label| mamori_sheets::Column {
                id: String::new(),
                label: label.into(),
                width: 20.0,
            })
            .collect(),
        rows: vec![vec!["Zoom".into(), "2026-09-01".into()]],
    })
    .unwrap();
    let (status, body) = w.import(&w.chief, &org, honest).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["added"], 1);

    // In English when asked.
    let res = w
        .chief
        .get(w.t.url("/language?set=en"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection() || res.status().is_success());
    let (status, body) = w.import(&w.chief, &org, FAR_CORNER.to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("The workbook has too many rows (at most 5,000"),
        "{body}"
    );
}

/// The far-corner workbook with its second cell moved to `cell`.
fn far_corner_variant(cell: &str) -> Vec<u8> {
    use std::io::{Read, Write};

    let mut from = zip::ZipArchive::new(std::io::Cursor::new(FAR_CORNER)).unwrap();
    let mut to = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..from.len() {
        let mut part = from.by_index(i).unwrap();
        let name = part.name().unwrap().into_owned();
        let mut content = String::new();
        part.read_to_string(&mut content).unwrap();
        let content = content
            .replace("A1:XFD1048576", &format!("A1:{cell}"))
            .replace(
                r#"<row r="1048576"><c r="XFD1048576">"#,
                &format!(r#"<row r="1"><c r="{cell}">"#),
            );
        to.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        to.write_all(content.as_bytes()).unwrap();
    }
    to.finish().unwrap().into_inner()
}

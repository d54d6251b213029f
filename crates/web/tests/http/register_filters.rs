//! Finding rows in a register by what they say: `filter[column]=value` on the rows' API
//! and the register's page, by a choice (by its id or its label), a class axis, a text, a
//! date, a number, yes/no and an option of a multiple choice; a page at a time with the
//! number that match. The values filtered on follow every write of a row — added by hand
//! or imported, corrected, retired — and a filter never reaches a row its reader may not
//! read: another organisation's, or one whose class is read only by those who need to know.
//! The library is a test fixture (`fixtures/libraries/mod-filtered-ledger`).

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, with_fixtures};

const ROWS: &str = "/api/v1/registers/assets/rows";

/// 青葉市's 総務部 keeps its asset ledger; 乙市 keeps its own.
struct Ledger {
    t: TestApp,
    general: String,
    /// 総務部's asset keeper (the ledger's editor there).
    keeper: Client,
    /// A member of 総務部's staff, who reads the ledger by office.
    member: Client,
    other_city: String,
    /// 乙市's asset keeper.
    other_keeper: Client,
}

async fn ledger() -> Ledger {
    let t = TestApp::build(
        mamori_app::system_clock(),
        with_fixtures(&["mod-filtered-ledger"]),
        |_| {},
    )
    .await
    .add_admin()
    .await;
    let admin = t.admin().await;
    let city = t.org(&admin, "青葉市", "local_government", None).await;
    let general = t.org(&admin, "総務部", "department", Some(&city)).await;
    let other_city = t.org(&admin, "乙市", "local_government", None).await;
    let mut keepers = t
        .people(
            &admin,
            &[
                (
                    "総務 管理者",
                    "keeper@aoba.example.jp",
                    &general,
                    "asset_keeper",
                ),
                (
                    "乙 管理者",
                    "keeper@otsu.example.jp",
                    &other_city,
                    "asset_keeper",
                ),
            ],
        )
        .await
        .into_iter();
    t.person(&admin, "総務 職員", "staff@aoba.example.jp", &general)
        .await;
    let member = t
        .first_login("staff@aoba.example.jp", "initial-pass-1")
        .await;
    Ledger {
        keeper: keepers.next().unwrap(),
        other_keeper: keepers.next().unwrap(),
        member,
        t,
        general,
        other_city,
    }
}

/// One asset of the generated ledger, as imported.
struct Asset {
    name: String,
    kind: &'static str,
    owner: &'static str,
    confidentiality: &'static str,
    integrity: &'static str,
    acquired_on: String,
    copies: u32,
    backed_up: bool,
}

/// Twelve assets whose columns vary independently enough to tell the filters apart.
fn assets() -> Vec<Asset> {
    (1..=12)
        .map(|i| Asset {
            name: format!("資産{i:02}"),
            kind: ["paper", "electronic", "system"][i % 3],
            owner: if i % 2 == 0 { "総務課" } else { "人事課" },
            confidentiality: ["c3", "c1", "c2", "c2"][i % 4],
            integrity: if i % 5 == 0 { "i2" } else { "i1" },
            acquired_on: format!("2026-04-{:02}", i % 3 + 1),
            copies: u32::try_from(i % 4).unwrap(),
            backed_up: i % 2 == 1,
        })
        .collect()
}

/// The assets as a workbook, read by its header's column ids; kinds written as their
/// Japanese labels and yes/no as はい/いいえ, as people fill one in.
fn workbook(assets: &[Asset]) -> Vec<u8> {
    let ids = [
        "asset",
        "kind",
        "owner",
        "confidentiality",
        "integrity",
        "acquired_on",
        "copies",
        "backed_up",
    ];
    let label = |kind: &str| match kind {
        "paper" => "紙",
        "electronic" => "電磁的記録",
        _ => "情報システム",
    };
    mamori_sheets::write(&mamori_sheets::Table {
        sheet: "情報資産台帳".into(),
        meta: vec![],
        columns: ids
            .iter()
            .map(|id| mamori_sheets::Column {
                id: (*id).into(),
                label: (*id).into(),
                width: 12.0,
            })
            .collect(),
        rows: assets
            .iter()
            .map(|a| {
                vec![
                    a.name.clone(),
                    label(a.kind).into(),
                    a.owner.into(),
                    a.confidentiality.into(),
                    a.integrity.into(),
                    a.acquired_on.clone(),
                    a.copies.to_string(),
                    if a.backed_up { "はい" } else { "いいえ" }.into(),
                ]
            })
            .collect(),
    })
    .unwrap()
}

impl Ledger {
    async fn import(&self, c: &Client, org: &str, workbook: Vec<u8>) -> Value {
        let (status, body) = self.t.import_rows(c, "assets", org, workbook).await;
        assert!(status.is_success(), "{status} {body}");
        body
    }

    /// The rows' listing with this query: (total, the assets of the page in order).
    async fn find(&self, c: &Client, query: &str) -> (i64, Vec<String>) {
        let (status, body) = self.t.get(c, &format!("{ROWS}?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        assert_eq!(body["total_exact"], true, "{body}");
        let names = body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["data"]["asset"].as_str().unwrap().to_owned())
            .collect();
        (body["total"].as_i64().unwrap(), names)
    }

    /// Every row a query finds, when they fit on a page.
    async fn names(&self, c: &Client, query: &str) -> Vec<String> {
        let (total, names) = self.find(c, query).await;
        assert_eq!(total, i64::try_from(names.len()).unwrap(), "{query}");
        names
    }

    /// The id of the live row of this asset the keeper reads.
    async fn row_id(&self, asset: &str) -> String {
        let (_, body) = self
            .t
            .get(
                &self.keeper,
                &format!("{ROWS}?filter[asset]={}", urlencode(asset)),
            )
            .await;
        body["rows"][0]["id"].as_str().unwrap().to_owned()
    }
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)]).unwrap()[2..].to_owned()
}

/// The names of the assets that `keep` selects, in key order.
fn expected(assets: &[Asset], keep: impl Fn(&Asset) -> bool) -> Vec<String> {
    let mut names: Vec<String> = assets
        .iter()
        .filter(|a| keep(a))
        .map(|a| a.name.clone())
        .collect();
    names.sort();
    names
}

/// The address of the pager's link `rel` (`next`, `prev`), as a browser follows it.
fn link(page: &str, rel: &str) -> String {
    let end = page
        .find(&format!("\" rel=\"{rel}\""))
        .unwrap_or_else(|| panic!("no {rel} link in {page}"));
    let start = page[..end].rfind("href=\"").unwrap() + "href=\"".len();
    page[start..end].replace("&#38;", "&").replace("&amp;", "&")
}

fn field_messages(body: &Value) -> Vec<(String, String)> {
    body["error"]["fields"]
        .as_object()
        .unwrap_or_else(|| panic!("no field messages in {body}"))
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn rows_are_found_by_a_choice_a_class_a_text_and_more_a_page_at_a_time() {
    let l = ledger().await;
    let assets = assets();
    let report = l.import(&l.keeper, &l.general, workbook(&assets)).await;
    assert_eq!(report["added"], 12, "{report}");
    // One row typed by hand, with a multiple choice and a long note.
    l.t.create(
        &l.keeper,
        ROWS,
        json!({"organisation": l.general, "data": {"asset": "資産13", "kind": "electronic",
            "owner": "情報政策課", "confidentiality": "c2", "media": ["usb", "dvd"],
            "notes": "外部記録媒体の保管庫に施錠して保管する。"}}),
    )
    .await;

    // What the member reads: all but C3, which only the keepers read.
    let seen =
        |keep: &dyn Fn(&Asset) -> bool| expected(&assets, |a| a.confidentiality != "c3" && keep(a));
    // A choice, by its id or by its label.
    let paper = seen(&|a| a.kind == "paper");
    assert_eq!(l.names(&l.member, "filter[kind]=paper").await, paper);
    assert_eq!(
        l.names(&l.member, &format!("filter[kind]={}", urlencode("紙")))
            .await,
        paper
    );
    // A class axis; a text; both together; a date; a number; yes/no.
    let mut c2 = seen(&|a| a.confidentiality == "c2");
    c2.push("資産13".into());
    assert_eq!(l.names(&l.member, "filter[confidentiality]=c2").await, c2);
    let general = seen(&|a| a.owner == "総務課");
    let query = format!("filter[owner]={}", urlencode("総務課"));
    assert_eq!(l.names(&l.member, &query).await, general);
    assert_eq!(
        l.names(&l.member, &format!("{query}&filter[confidentiality]=c2"))
            .await,
        seen(&|a| a.owner == "総務課" && a.confidentiality == "c2")
    );
    assert_eq!(
        l.names(&l.member, "filter[acquired_on]=2026-04-02").await,
        seen(&|a| a.acquired_on == "2026-04-02")
    );
    assert_eq!(
        l.names(&l.member, "filter[copies]=2").await,
        seen(&|a| a.copies == 2)
    );
    assert_eq!(
        l.names(&l.member, "filter[backed_up]=yes&filter[integrity]=i2")
            .await,
        seen(&|a| a.backed_up && a.integrity == "i2")
    );
    // An option of a multiple choice finds the rows that chose it among others.
    assert_eq!(l.names(&l.member, "filter[media]=dvd").await, ["資産13"]);
    // An empty value filters nothing.
    assert_eq!(l.find(&l.member, "filter[owner]=").await.0, 13 - 3);

    // C3 is read only by the ledger's keepers: a filter for it finds nothing for the
    // member, and the keeper's rows.
    let c3 = expected(&assets, |a| a.confidentiality == "c3");
    assert_eq!(c3.len(), 3);
    assert_eq!(
        l.find(&l.member, "filter[confidentiality]=c3").await,
        (0, vec![])
    );
    assert_eq!(l.names(&l.keeper, "filter[confidentiality]=c3").await, c3);

    // Paged (as the keeper, who reads every row): each page in key order, the total of
    // all, the pages adding up to the whole.
    let all_general = expected(&assets, |a| a.owner == "総務課");
    let mut paged = Vec::new();
    for offset in [0, 2, 4] {
        let (total, names) = l
            .find(&l.keeper, &format!("{query}&limit=2&offset={offset}"))
            .await;
        assert_eq!(total, 6);
        assert_eq!(names.len(), 2);
        paged.extend(names);
    }
    assert_eq!(paged, all_general);
    assert_eq!(
        l.find(&l.keeper, &format!("{query}&limit=2&offset=6"))
            .await,
        (6, vec![])
    );
    let (status, body) = l.t.get(&l.keeper, &format!("{ROWS}?limit=5")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (body["total"].as_i64(), body["limit"].as_i64()),
        (Some(13), Some(5))
    );
    assert_eq!(body["rows"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn an_unknown_column_or_one_that_cannot_be_matched_is_refused_and_named() {
    let l = ledger().await;
    let refused = |query: &'static str| {
        let l = &l;
        async move {
            let (status, body) = l.t.get(&l.member, &format!("{ROWS}?{query}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
            body
        }
    };
    let body = refused("filter[shelf]=A").await;
    assert_eq!(
        field_messages(&body),
        [(
            "filter[shelf]".to_owned(),
            "「shelf」という列はこの台帳にありません。".to_owned()
        )]
    );
    let body = refused("filter[notes]=x&filter[kind]=wood&filter[acquired_on]=2026-13-01").await;
    assert_eq!(
        field_messages(&body),
        [
            (
                "filter[acquired_on]".to_owned(),
                "「取得日」は日付（例: 2026-11-22）で入力してください。".to_owned()
            ),
            (
                "filter[kind]".to_owned(),
                "「種類」は選択肢から選んでください。".to_owned()
            ),
            (
                "filter[notes]".to_owned(),
                "「備考」の列では絞り込めません（長い文章・表・ファイルの列は対象外です）。"
                    .to_owned()
            ),
        ]
    );
    // Any other parameter is refused as every query of the API refuses it.
    let body = refused("owner=総務課").await;
    assert_eq!(body["error"]["code"], "invalid_query", "{body}");
}

#[tokio::test]
async fn the_values_filtered_on_follow_corrections_retirement_and_imports() {
    let l = ledger().await;
    let all = assets();
    l.import(&l.keeper, &l.general, workbook(&all)).await;
    let general = format!("filter[owner]={}", urlencode("総務課"));
    let policy = format!("filter[owner]={}", urlencode("情報政策課"));
    let before = l.names(&l.member, &general).await;
    assert!(before.contains(&"資産02".to_owned()));

    // A correction: the old owner no longer finds the row, the new one does.
    let row = l.row_id("資産02").await;
    let (status, body) =
        l.t.patch(
            &l.keeper,
            &format!("{ROWS}/{row}"),
            json!({"data": {"owner": "情報政策課"}, "comment": "所管替え"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after = l.names(&l.member, &general).await;
    assert!(!after.contains(&"資産02".to_owned()), "{after:?}");
    assert_eq!(after.len(), before.len() - 1);
    assert_eq!(l.names(&l.member, &policy).await, ["資産02"]);

    // Retired: gone from the live rows, found among the retired ones.
    let (status, body) =
        l.t.post(
            &l.keeper,
            &format!("{ROWS}/{row}/retire"),
            json!({"comment": "廃棄"}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    assert_eq!(l.find(&l.member, &policy).await, (0, vec![]));
    assert_eq!(
        l.names(&l.member, &format!("retired=true&{policy}")).await,
        ["資産02"]
    );

    // Imported again with one copy count changed: the filter follows the import.
    let mut changed = assets();
    changed.retain(|a| a.name == "資産01");
    changed[0].copies = 7;
    let report = l.import(&l.keeper, &l.general, workbook(&changed)).await;
    assert_eq!(report["updated"], 1, "{report}");
    assert_eq!(l.names(&l.member, "filter[copies]=7").await, ["資産01"]);
    assert!(
        !l.names(&l.member, "filter[copies]=1")
            .await
            .contains(&"資産01".to_owned())
    );
}

#[tokio::test]
async fn a_filter_never_reaches_another_organisations_rows() {
    let l = ledger().await;
    l.import(&l.keeper, &l.general, workbook(&assets())).await;
    // 乙市 keeps assets with the same owners and classes, under its own names.
    let mut theirs = assets();
    for a in &mut theirs {
        a.name = format!("乙{}", a.name);
    }
    l.import(&l.other_keeper, &l.other_city, workbook(&theirs))
        .await;
    let query = format!(
        "filter[owner]={}&filter[confidentiality]=c2",
        urlencode("総務課")
    );
    let mine = l.names(&l.member, &query).await;
    let others = l.names(&l.other_keeper, &query).await;
    assert!(!mine.is_empty() && mine.len() == others.len());
    assert!(mine.iter().all(|n| n.starts_with("資産")), "{mine:?}");
    assert!(others.iter().all(|n| n.starts_with("乙")), "{others:?}");
    // Named by its key, another organisation's row is not found either.
    assert_eq!(
        l.find(
            &l.member,
            &format!("filter[asset]={}", urlencode("乙資産02"))
        )
        .await,
        (0, vec![])
    );
}

#[tokio::test]
async fn the_register_page_filters_pages_and_keeps_what_was_typed() {
    let l = ledger().await;
    l.import(&l.keeper, &l.general, workbook(&assets())).await;
    let browser =
        l.t.browser("staff@aoba.example.jp", crate::support::PASSWORD)
            .await;

    let page =
        l.t.html(
            &browser,
            &format!(
                "/registers/assets?filter%5Bconfidentiality%5D=c2&column=owner&value={}",
                urlencode("総務課")
            ),
        )
        .await;
    assert!(page.contains("data-test=\"register-filter\""), "{page}");
    // What was asked for is shown as chosen and typed, with the number found.
    assert!(page.contains("<option value=\"c2\" selected>"), "{page}");
    assert!(page.contains("<option value=\"owner\" selected>"), "{page}");
    assert!(page.contains("value=\"総務課\""), "{page}");
    let found = expected(&assets(), |a| {
        a.owner == "総務課" && a.confidentiality == "c2"
    });
    assert!(page.contains(&format!("全 {} 件", found.len())), "{page}");
    for a in assets() {
        assert_eq!(
            page.contains(&a.name),
            found.contains(&a.name),
            "{}",
            a.name
        );
    }

    // A value its column cannot hold: the form again, with what was typed and why.
    let res = browser
        .get(l.t.url("/registers/assets?column=acquired_on&value=2026-99-99"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("「取得日」は日付（例: 2026-11-22）で入力してください。"),
        "{page}"
    );
    assert!(page.contains("value=\"2026-99-99\""), "{page}");
}

#[tokio::test]
async fn the_register_page_links_to_the_next_page_of_a_filter() {
    let l = ledger().await;
    let many: Vec<Asset> = (1..=130)
        .map(|i| Asset {
            name: format!("資産{i:03}"),
            kind: "paper",
            owner: if i % 2 == 0 { "総務課" } else { "人事課" },
            confidentiality: "c1",
            integrity: "i1",
            acquired_on: "2026-04-01".into(),
            copies: 1,
            backed_up: true,
        })
        .collect();
    l.import(&l.keeper, &l.general, workbook(&many)).await;
    let browser =
        l.t.browser("staff@aoba.example.jp", crate::support::PASSWORD)
            .await;
    let page =
        l.t.html(&browser, "/registers/assets?filter%5Bkind%5D=paper")
            .await;
    assert!(page.contains("全 130 件"), "{page}");
    assert!(
        page.contains("資産100") && !page.contains("資産101"),
        "a page of 100"
    );
    let next = link(&page, "next");
    assert_eq!(next, "/registers/assets?filter%5Bkind%5D=paper&offset=100");
    let page = l.t.html(&browser, &next).await;
    assert!(page.contains("資産101") && page.contains("資産130") && !page.contains("資産100<"));
    assert!(page.contains("rel=\"prev\""), "{page}");
}

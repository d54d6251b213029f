//! Operating a managed system (seed 003, `libraries/mod-system-ops`) through the API, in
//! the world the notice describes: the Ministry of Defense's internal bureaus (内部部局, the
//! ministry's own organisation here) run Construction CALS — 施設計画課長 is its general
//! manager and information-assurance officer, 契約制度企画室長 its central administrator
//! and system operator — and two bodies use it — 防衛大学校, whose 管理施設課 has an
//! operation manager, system staff and a user, and 北関東防衛局. 甲社 is a company of another
//! tree that must see none of it.

mod announcements;
mod changes;
mod hierarchy;
mod incidents;
mod ledgers;
mod records;
mod releases;
mod users;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::{Hands, TestApp};

/// Monday 1 June 2026, 10:00 in Tokyo.
pub const START: &str = "2026-06-01T01:00:00Z";
pub const CALS: &str = "建設CALS";

pub struct World {
    pub t: TestApp,
    pub hands: Hands,
    pub sys: Client,
    pub ministry: String,
    pub nda: String,
    pub section: String,
    pub ko: String,
    /// The CALS row of the register of managed systems, kept by the ministry.
    pub cals: String,
    /// 施設計画課長: general manager and information-assurance officer of CALS.
    pub gm: Client,
    /// 契約制度企画室長: central administrator and system operator of CALS.
    pub central: Client,
    /// 防衛大学校's system administrator, its protection manager, and 管理施設課's operation
    /// manager, system staff and user.
    pub nda_admin: Client,
    pub privacy: Client,
    pub ops: Client,
    pub staff: Client,
    pub user: Client,
    /// 北関東防衛局's system administrator.
    pub kanto_admin: Client,
    /// 甲社's administrator.
    pub ko_admin: Client,
}

pub async fn world() -> World {
    let hands = Hands::at(START);
    let t = TestApp::shipped(&hands).await;
    let sys = t.admin().await;
    let ministry = t.org(&sys, "防衛省", "ministry", None).await;
    let nda = t.org(&sys, "防衛大学校", "agency", Some(&ministry)).await;
    let section = t.org(&sys, "管理施設課", "department", Some(&nda)).await;
    let kanto = t.org(&sys, "北関東防衛局", "bureau", Some(&ministry)).await;
    let ko = t.org(&sys, "甲社", "company", None).await;
    let mut people = t
        .people(
            &sys,
            &[
                // Held in the ministry so that they keep its registers by hand as well.
                (
                    "施設 課長",
                    "gm@mod.example.jp",
                    &ministry,
                    "ops_general_manager",
                ),
                (
                    "契約 室長",
                    "central@mod.example.jp",
                    &ministry,
                    "ops_central_administrator",
                ),
                (
                    "防大 管理者",
                    "admin@nda.example.jp",
                    &nda,
                    "ops_system_administrator",
                ),
                (
                    "防大 保護",
                    "privacy@nda.example.jp",
                    &nda,
                    "ops_privacy_manager",
                ),
                (
                    "防大 運用",
                    "ops@nda.example.jp",
                    &section,
                    "ops_operation_manager",
                ),
                (
                    "防大 担当",
                    "staff@nda.example.jp",
                    &section,
                    "ops_system_staff",
                ),
                ("防大 利用", "user@nda.example.jp", &section, "ops_user"),
                (
                    "北関東 管理者",
                    "admin@nkt.example.jp",
                    &kanto,
                    "ops_system_administrator",
                ),
                ("甲 管理者", "admin@ko.example.jp", &ko, "administrator"),
            ],
        )
        .await
        .into_iter();
    let mut next = || people.next().unwrap();
    let (gm, central, nda_admin, privacy, ops, staff, user, kanto_admin, ko_admin) = (
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
    );
    let (status, row) = t
        .post(
            &gm,
            "/api/v1/registers/managed_systems/rows",
            json!({"organisation": ministry, "data": {
                "system_name": CALS, "owner": "整備計画局施設計画課",
                "operating_hours": "24時間", "information": "caution"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{row}");
    let cals = row["id"].as_str().unwrap().to_owned();
    let w = World {
        t,
        hands,
        sys,
        ministry,
        nda,
        section,
        ko,
        cals,
        gm,
        central,
        nda_admin,
        privacy,
        ops,
        staff,
        user,
        kanto_admin,
        ko_admin,
    };
    // 第3(1) and (6): the general manager is also the information-assurance officer, the
    // central administrator also the system operator.
    let gm_id = w.t.id_of(&w.gm).await;
    let central_id = w.t.id_of(&w.central).await;
    for (role, person) in [
        ("ops_general_manager", &gm_id),
        ("ops_ia_officer", &gm_id),
        ("ops_central_administrator", &central_id),
        ("ops_ia_operator", &central_id),
    ] {
        let (status, body) =
            w.t.post(
                &w.sys,
                &format!("/api/v1/registers/managed_systems/rows/{}/roles", w.cals),
                json!({"role": role, "person": person, "starts_on": "2026-04-01"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    w
}

impl World {
    /// Opens a case of `procedure` for `organisation` with `data`.
    pub async fn open(
        &self,
        c: &Client,
        procedure: &str,
        organisation: &str,
        data: Value,
    ) -> String {
        self.t
            .create(
                c,
                "/api/v1/cases",
                json!({"procedure": format!("mod-system-ops/{procedure}"),
                       "organisation": organisation, "data": data}),
            )
            .await
    }

    pub async fn case(&self, c: &Client, case: &str) -> Value {
        let (status, body) = self.t.get(c, &format!("/api/v1/cases/{case}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// The ids of the cases in `c`'s inbox.
    pub async fn inbox(&self, c: &Client) -> Vec<String> {
        self.t.inbox_ids(c).await
    }

    /// The subjects of `c`'s notifications.
    pub async fn notices(&self, c: &Client) -> Vec<String> {
        let (status, body) = self.t.get(c, "/api/v1/notifications").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body.as_array()
            .unwrap()
            .iter()
            .map(|n| n["subject"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// A file the API sends (a document): its status and bytes.
    pub async fn file(&self, c: &Client, path: &str) -> (StatusCode, Vec<u8>) {
        let res = c.get(self.t.url(path)).send().await.unwrap();
        (res.status(), res.bytes().await.unwrap().to_vec())
    }

    /// A document of a case: its status and bytes.
    pub async fn document(&self, c: &Client, case: &str, file: &str) -> (StatusCode, Vec<u8>) {
        let res = c
            .get(
                self.t
                    .url(&format!("/api/v1/cases/{case}/documents/{file}")),
            )
            .send()
            .await
            .unwrap();
        (res.status(), res.bytes().await.unwrap().to_vec())
    }
}

/// Who was told of a case, and whether they have opened it since.
pub fn told(case: &Value) -> Vec<(String, bool)> {
    case["told"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["read"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// A PDF's text without its spaces: typst spaces out characters as it justifies, so the
/// words are compared as written.
pub fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

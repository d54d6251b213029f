//! A city's information security policy (seed 004, `libraries/mic-lg-security`) through the
//! API: 青葉市 with its CISO (副市長) and 統括 (情報政策担当部長) at the city, 総務部 with its
//! 責任者, and 総務課 with its 管理者 and staff; the system manager sits in 情報政策課. 緑町 is
//! another body that must see none of it.

mod assets;
mod audits;
mod contacts;
mod contractors;
mod exceptions;
mod gates;
mod id_review;
mod incidents;
mod ledger_procedures;
mod ledgers;
mod matrix;
mod mynumber;
mod outsourcing;
mod plans;
mod policy;
mod prefecture;
mod self_check;
mod training;
mod violations;

use reqwest::Client;
use serde_json::{Value, json};

use crate::support::{Hands, TestApp};

/// Monday 1 June 2026, 10:00 in Tokyo.
pub const START: &str = "2026-06-01T01:00:00Z";

pub struct City {
    pub t: TestApp,
    pub hands: Hands,
    pub sys: Client,
    pub city: String,
    pub section: String,
    pub it: String,
    pub ciso: Client,
    pub chief: Client,
    pub officer: Client,
    /// 総務課長: the section's 管理者, also a member of its staff.
    pub manager: Client,
    pub staff: Client,
    pub sysman: Client,
    pub town_admin: Client,
}

pub async fn city() -> City {
    let hands = Hands::at(START);
    let t = TestApp::shipped(&hands).await;
    let sys = t.admin().await;
    let city = t.org(&sys, "青葉市", "local_government", None).await;
    let general = t.org(&sys, "総務部", "department", Some(&city)).await;
    let section = t.org(&sys, "総務課", "department", Some(&general)).await;
    let it = t
        .org(&sys, "情報政策課", "department", Some(&general))
        .await;
    let town = t.org(&sys, "緑町", "local_government", None).await;
    let mut people = t
        .people(
            &sys,
            &[
                ("副市長 一郎", "ciso@aoba.example.jp", &city, "lg_ciso"),
                ("情報 二郎", "chief@aoba.example.jp", &city, "lg_chief"),
                (
                    "総務 三郎",
                    "officer@aoba.example.jp",
                    &general,
                    "lg_officer",
                ),
                (
                    "総務課長 四郎",
                    "manager@aoba.example.jp",
                    &section,
                    "lg_manager",
                ),
                ("職員 五子", "staff@aoba.example.jp", &section, "lg_staff"),
                (
                    "基盤 六郎",
                    "sysman@aoba.example.jp",
                    &it,
                    "lg_system_manager",
                ),
                ("緑 管理", "admin@midori.example.jp", &town, "administrator"),
            ],
        )
        .await
        .into_iter();
    let mut next = || people.next().unwrap();
    let (ciso, chief, officer, manager, staff, sysman, town_admin) =
        (next(), next(), next(), next(), next(), next(), next());
    let w = City {
        t,
        hands,
        sys,
        city,
        section,
        it,
        ciso,
        chief,
        officer,
        manager,
        staff,
        sysman,
        town_admin,
    };
    // Every member of staff is 職員等, the section's manager included.
    let manager_id = w.t.id_of(&w.manager).await;
    w.t.designate(&w.sys, "lg_staff", &w.section, &manager_id)
        .await;
    w
}

impl City {
    /// The CISO decides that devices the office did not issue may be used at all
    /// (5.1(1)④(ア)), so that the 管理者 may permit each.
    pub async fn allow_byod(&self) {
        self.t
            .create(
                &self.ciso,
                "/api/v1/registers/byod_decisions/rows",
                json!({"organisation": self.city, "data": {"decision": "支給以外の端末の業務利用",
                       "allowed_on": "2026-06-01", "procedure": "支給以外の端末の業務利用に係る実施手順"}}),
            )
            .await;
    }

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
                json!({"procedure": format!("mic-lg-security/{procedure}"),
                       "organisation": organisation, "data": data}),
            )
            .await
    }
}

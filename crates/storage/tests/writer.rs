//! Write transactions running together: each commits or rolls back on its own, even when
//! SQLite's writer shares one commit among them, and the audit chain stays whole.

use std::collections::BTreeSet;

use mamori_storage::audit::{self, NewEvent};
use mamori_storage::organisations::{self, NewOrganisation};
use mamori_storage::{Db, DbConfig, PoolSize, Ts};
use mamori_test_support::TestDb;
use uuid::Uuid;

async fn open() -> (TestDb, Db) {
    let t = TestDb::new().await;
    let config = DbConfig::from_options(t.database_url.as_deref(), &t.data_dir).unwrap();
    let db = Db::open(&config, PoolSize { connections: 4 })
        .await
        .unwrap();
    (t, db)
}

fn event(name: &str) -> NewEvent {
    NewEvent {
        occurred_at: Ts(jiff::Timestamp::now()),
        actor: None,
        organisation: None,
        action: "organisation.create".into(),
        target_kind: "organisation".into(),
        target_id: Some(name.into()),
        outcome: "success",
        detail: "{}".into(),
        ip: None,
    }
}

/// A new root unit of that name.
fn unit(name: &str) -> NewOrganisation<'_> {
    NewOrganisation {
        id: Uuid::now_v7(),
        name,
        kind: "unit",
        parent: None,
        now: Ts(jiff::Timestamp::now()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_transactions_commit_or_roll_back_each_on_its_own() {
    let (_t, db) = open().await;
    let mut tasks = Vec::new();
    for i in 0..60 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("組織{i}");
            let mut tx = db.begin().await.unwrap();
            organisations::insert(&mut tx, &unit(&name)).await.unwrap();
            audit::append(&mut tx, event(&name)).await.unwrap();
            if i % 3 == 0 {
                // Abandoned half-way (an error in the use case): nothing of it may remain.
                drop(tx);
                None
            } else {
                tx.commit().await.unwrap();
                Some(name)
            }
        }));
    }
    let mut committed = BTreeSet::new();
    for t in tasks {
        if let Some(name) = t.await.unwrap() {
            committed.insert(name);
        }
    }
    let scope = everything();
    let page = organisations::list(
        &db,
        &scope,
        &Default::default(),
        mamori_storage::PageRequest::new(Some(200), None),
    )
    .await
    .unwrap();
    let found: BTreeSet<String> = page.items.into_iter().map(|o| o.name).collect();
    assert_eq!(
        found, committed,
        "exactly the committed organisations exist"
    );
    let verified = audit::verify(&db).await.unwrap().unwrap();
    assert_eq!(
        verified,
        committed.len() as i64,
        "one event per committed transaction, chain intact"
    );
}

#[tokio::test]
async fn a_transaction_sees_its_own_writes_and_a_later_one_sees_the_commit() {
    let (_t, db) = open().await;
    let new = unit("本部");
    let id = new.id;
    let mut tx = db.begin().await.unwrap();
    organisations::insert(&mut tx, &new).await.unwrap();
    assert_eq!(
        organisations::ancestors(&mut tx, id).await.unwrap(),
        vec![id],
        "the trigger wrote the path"
    );
    tx.commit().await.unwrap();
    assert_eq!(organisations::get(&db, id).await.unwrap().name, "本部");
}

/// A client that hangs up drops its request's future wherever it is: waiting for the
/// writer, between the statements that open a savepoint, in the middle of its own writes or
/// waiting for the commit. None of that may break the batch of anyone else.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn callers_that_go_away_at_any_moment_break_nobody_elses_commit() {
    let (_t, db) = open().await;
    let write = |db: Db, name: String| async move {
        let mut tx = db.begin().await?;
        organisations::insert(&mut tx, &unit(&name)).await?;
        audit::append(&mut tx, event(&name)).await?;
        tx.commit().await
    };
    let mut tasks = Vec::new();
    for i in 0..400_u64 {
        let db = db.clone();
        // Half hang up within a few milliseconds (while waiting for the writer or opening
        // their savepoint), most of the rest later (in their writes or waiting for the
        // commit). Every eighth waits for its answer, however slow the machine, so that
        // some writes always finish beside those cut off.
        let spread = if i % 2 == 0 { 3_000 } else { 200_000 };
        let patience = if i % 8 == 7 {
            std::time::Duration::from_secs(60)
        } else {
            std::time::Duration::from_micros((i * 7919) % spread)
        };
        tasks.push(tokio::spawn(tokio::time::timeout(
            patience,
            write(db, format!("去る{i}")),
        )));
    }
    let (mut finished, mut cut) = (0, 0);
    for t in tasks {
        // Cut off or not, a call that finished must have succeeded.
        match t.await.unwrap() {
            Ok(done) => {
                done.unwrap();
                finished += 1;
            }
            Err(_) => cut += 1,
        }
    }
    assert!(
        finished > 0 && cut > 0,
        "{finished} finished, {cut} cut off"
    );
    for i in 0..20 {
        write(db.clone(), format!("残る{i}")).await.unwrap();
    }
    let count = |q: &str| {
        let db = db.clone();
        let filter = organisations::OrganisationFilter {
            q: Some(q.to_owned()),
            ..Default::default()
        };
        async move {
            organisations::list(
                &db,
                &everything(),
                &filter,
                mamori_storage::PageRequest::new(Some(1), None),
            )
            .await
            .unwrap()
            .total
        }
    };
    assert_eq!(count("残る").await, 20);
    let verified = audit::verify(&db).await.unwrap().unwrap();
    assert_eq!(
        verified,
        count("去る").await + 20,
        "one event per organisation that exists, chain intact"
    );
}

fn everything() -> mamori_domain::policy::Scope {
    let root = mamori_domain::policy::Actor {
        person: Uuid::nil(),
        organisation: Uuid::nil(),
        grants: vec![mamori_domain::policy::Grant {
            role: "system_admin".into(),
            organisation: None,
        }],
    };
    mamori_domain::policy::scope(
        &root,
        mamori_domain::policy::Permission::ViewOrganisation,
        &[],
    )
}

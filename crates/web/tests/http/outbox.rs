//! The e-mail outbox with two servers on one database and a slow mail server: a batch that
//! takes longer to send than its lease must not be sent a second time by the server that
//! takes the lease over.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::SignedDuration;
use mamori_app::{App, Mailer, Settings, system_clock};
use mamori_auth::password::Cost;
use mamori_storage::notifications::{self, Channel, NewNotification};
use mamori_test_support::smtp::SmtpSink;

use crate::support::{ADMIN_EMAIL, TestApp};

#[tokio::test]
async fn a_batch_that_outlasts_its_lease_sends_each_mail_once() {
    let t = TestApp::with_admin().await;
    let admin = mamori_storage::persons::credentials_by_email(&t.db, ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap()
        .id;
    const MAILS: usize = 8;
    let now = t.app.now();
    let mut tx = t.db.begin().await.unwrap();
    for i in 0..MAILS {
        let subject = format!("通知 {i}");
        notifications::insert(
            &mut tx,
            &NewNotification {
                channel: Channel::Email,
                person: admin,
                case: None,
                subject_ja: &subject,
                subject_en: &subject,
                now,
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    // Each message takes half a second to be accepted and a lease lasts two: the first
    // server's batch of eight outlasts its lease halfway through.
    let sink = SmtpSink::start().await;
    sink.slow(Duration::from_millis(500));
    let mailer = Mailer::new(&sink.url, "mamori <mamori@example.jp>", &t.base)
        .unwrap()
        .with_lease(SignedDuration::from_secs(2));
    let other = App::new(
        t.db.clone(),
        system_clock(),
        Settings {
            password_cost: Cost::TESTING,
            ..Settings::default()
        },
    )
    .unwrap();

    let first = t.app.deliver_mail(&mailer);
    let second = async {
        // The other server ticks often, taking over every lease that has run out.
        let mut sent = 0;
        let give_up = tokio::time::Instant::now() + Duration::from_secs(60);
        while other.mail_pending().await.unwrap() > 0 && tokio::time::Instant::now() < give_up {
            tokio::time::sleep(Duration::from_millis(100)).await;
            sent += other.deliver_mail(&mailer).await.unwrap().sent;
        }
        sent
    };
    let (first, second) = tokio::join!(first, second);
    let first = first.unwrap();

    let mut copies: BTreeMap<String, usize> = BTreeMap::new();
    for mail in sink.received() {
        *copies
            .entry(mail.header("Message-ID").unwrap())
            .or_default() += 1;
    }
    let twice: Vec<&String> = copies
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| id)
        .collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    assert_eq!(copies.len(), MAILS, "{copies:?}");
    assert!(
        second > 0,
        "the other server took over the messages whose lease ran out"
    );
    assert_eq!(first.sent + second, MAILS);
    assert_eq!(t.app.mail_pending().await.unwrap(), 0);
}

//! The `pubdata` binary itself: calendar and audit verification.

use std::process::Command;

use sqlx::Connection;

use crate::common::*;

fn pubdata(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pubdata"))
        .args(args)
        .output()
        .expect("runs")
}

#[test]
fn calendar_add_prints_the_date_and_refuses_unknown_years() {
    let out = pubdata(&["calendar", "add", "2026-02-13", "1"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2026-02-14");
    let out = pubdata(&["calendar", "add", "2026-12-28", "5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("calendar_unknown_year"));
}

async fn tamper(db_url: &str, sql: &str) {
    let mut c = sqlx::SqliteConnection::connect(db_url).await.unwrap();
    sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    c.close().await.unwrap();
}

async fn verify(t: &TestApp) -> (bool, String) {
    let out = pubdata(&["audit", "verify", "--database", &t.db_url]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn audit_verify_passes_an_intact_chain_and_names_an_altered_record() {
    let mut t = TestApp::demo().await;
    t.login("qy-gaj").await;
    t.stop().await;
    let (ok, text) = verify(&t).await;
    assert!(ok, "{text}");
    assert!(text.contains("intact"));

    // The log refuses updates through SQL; an attacker with the file drops the guard first.
    let mut c = sqlx::SqliteConnection::connect(&t.db_url).await.unwrap();
    let refused = sqlx::query("UPDATE audit_log SET actor = 'x' WHERE id = 3")
        .execute(&mut c)
        .await;
    assert!(refused.is_err(), "audit_log is append-only");
    c.close().await.unwrap();
    tamper(
        &t.db_url,
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET outcome = 'failure' WHERE id = 7;",
    )
    .await;
    let (ok, text) = verify(&t).await;
    assert!(!ok);
    assert!(
        text.contains("record 7") && text.contains("altered"),
        "{text}"
    );
}

#[tokio::test]
async fn audit_verify_catches_deleted_records_in_the_middle_and_at_the_end() {
    let mut t = TestApp::demo().await;
    t.stop().await;
    tamper(
        &t.db_url,
        "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = 5;",
    )
    .await;
    let (ok, text) = verify(&t).await;
    assert!(!ok);
    assert!(text.contains("record 6"), "{text}");

    let mut t = TestApp::demo().await;
    t.stop().await;
    tamper(&t.db_url, "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log);").await;
    let (ok, text) = verify(&t).await;
    assert!(!ok);
    assert!(text.contains("deleted"), "{text}");
}

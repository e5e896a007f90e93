//! Audit checkpoints (审计检查点, SEC-3): the chain head signed with a key
//! held outside the database. An attacker with database access who deletes
//! the last records and rewrites the head leaves a chain that verifies on
//! its own; `audit verify --checkpoints` still catches it, naming the
//! checkpoint. Backups and the leased job sign checkpoints into the backup
//! directories and record each run for the authority.

use std::path::{Path, PathBuf};

use pubdata_service::checkpoint::{self, CheckpointError, CheckpointKey};

use crate::cli::pubdata;
use crate::common::*;

/// The SQL an attacker with database access runs: lift the append-only
/// guard, delete every record from `from` on, and rewrite the chain head so
/// that the shortened chain verifies on its own.
fn cut_tail(t: &TestApp, from: i64) -> String {
    let guard = if t.on_postgres() {
        "ALTER TABLE audit_log DISABLE TRIGGER USER;"
    } else {
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
    };
    format!(
        "{guard} DELETE FROM audit_log WHERE id >= {from};
         UPDATE audit_head SET last_id = {last},
             last_hash = (SELECT hash FROM audit_log WHERE id = {last}) WHERE one = 1;",
        last = from - 1
    )
}

fn run(args: &[&str]) -> (bool, String) {
    let out = pubdata(args);
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn checkpoint_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(checkpoint::FILE_PREFIX) && n.ends_with(".json"))
        })
        .collect();
    v.sort();
    v
}

/// keygen → checkpoint → verify passes; a deleted tail with a rewritten
/// head passes the chain alone but fails against the checkpoint; so does a
/// tail replaced by new records; a forged file or another key is refused.
#[tokio::test]
async fn a_rewritten_tail_and_head_is_caught_by_the_signed_checkpoint() {
    let mut t = TestApp::demo().await;
    t.login("qy-gaj").await;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("checkpoint.key");
    let cps = dir.path().join("backups");
    let (ok, text) = run(&["checkpoint-keygen", "--key-out", key.to_str().unwrap()]);
    assert!(ok, "{text}");
    let public = text.lines().next().unwrap().trim().to_string();
    assert_eq!(public.len(), 64, "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the key file is private");
    }
    let (ok, _) = run(&["checkpoint-keygen", "--key-out", key.to_str().unwrap()]);
    assert!(!ok, "a key file is never overwritten");

    // Sign the head, then let the chain grow past it.
    let (records, _) = t.store.audit_head().await.unwrap();
    let (ok, text) = run(&[
        "audit",
        "checkpoint",
        "--database",
        &t.db_url,
        "--key",
        key.to_str().unwrap(),
        "--to",
        cps.to_str().unwrap(),
    ]);
    assert!(ok, "{text}");
    assert!(text.contains(&format!("record {records}")), "{text}");
    t.login("qy-scjgj").await;
    t.login("auditor").await;
    t.stop().await;
    let files = checkpoint_files(&cps);
    assert_eq!(files.len(), 1);
    let name = files[0].file_name().unwrap().to_str().unwrap().to_string();

    let verify = |pinned: Option<&str>| {
        let mut args = vec![
            "audit",
            "verify",
            "--database",
            &t.db_url,
            "--checkpoints",
            cps.to_str().unwrap(),
        ];
        if let Some(k) = pinned {
            args.extend(["--checkpoint-public-key", k]);
        }
        run(&args)
    };
    let (ok, text) = verify(Some(&public));
    assert!(ok, "an intact chain passes: {text}");
    assert!(text.contains("checkpoints hold: 1 signed heads"), "{text}");
    let other = CheckpointKey::generate().public_hex();
    let (ok, text) = verify(Some(&other));
    assert!(!ok, "{text}");
    assert!(
        text.contains(&name) && text.contains("not by the expected checkpoint key"),
        "{text}"
    );

    // The attack: the last records — the signed head among them — deleted,
    // the head rewritten. The chain alone still verifies…
    t.sql(&cut_tail(&t, records - 1)).await;
    let (ok, text) = run(&["audit", "verify", "--database", &t.db_url]);
    assert!(ok, "the chain alone is fooled: {text}");
    assert!(
        text.contains(&format!("{} records verified", records - 2)),
        "{text}"
    );
    // …the checkpoint is not.
    let (ok, text) = verify(Some(&public));
    assert!(!ok, "{text}");
    assert!(
        text.contains("audit checkpoint FAILED")
            && text.contains(&name)
            && text.contains(&format!("signed head record {records}"))
            && text.contains("missing"),
        "{text}"
    );

    // Refilled with new records up to and past the signed number: the chain
    // verifies again, but record `records` is not the signed one.
    let store = pubdata_store::open(&t.db_url).await.unwrap();
    for i in 0..4 {
        store
            .append_audit(pubdata_service::Principal::system().event(
                "system.note",
                format!("note:{i}"),
                pubdata_domain::audit::Outcome::Success,
                serde_json::json!({}),
            ))
            .await
            .unwrap();
    }
    assert!(
        pubdata_service::audit::verify_chain(store.as_ref())
            .await
            .is_ok()
    );
    let err = checkpoint::verify_checkpoints(store.as_ref(), &cps, Some(&public))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CheckpointError::Rewritten { file, records: r, .. } if *file == name && *r == records),
        "{err}"
    );
    let (ok, text) = verify(None);
    assert!(
        !ok && text.contains("no longer has the signed hash"),
        "{text}"
    );

    // A forged checkpoint (its number changed) fails its signature.
    let body = std::fs::read_to_string(&files[0]).unwrap();
    let forged = body.replace(
        &format!("\"records\": {records}"),
        &format!("\"records\": {}", records - 3),
    );
    assert_ne!(body, forged);
    std::fs::write(&files[0], forged).unwrap();
    let (ok, text) = verify(None);
    assert!(
        !ok && text.contains(&name) && text.contains("signature does not verify"),
        "{text}"
    );
    // An empty directory is no proof at all.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (ok, text) = run(&[
        "audit",
        "verify",
        "--database",
        &t.db_url,
        "--checkpoints",
        empty.to_str().unwrap(),
    ]);
    assert!(!ok && text.contains("no checkpoint files"), "{text}");
}

/// `pubdata backup --checkpoint-key` signs the head into every backup
/// directory; the leased job does too; the runs are listed by
/// `GET /api/v1/audit/checkpoints` and on the system page for auditors and
/// administrators, refused to others.
#[tokio::test]
async fn backups_and_the_job_sign_checkpoints_and_the_authority_sees_them() {
    use pubdata_service::backup;
    use pubdata_service::jobs::Job;
    let t = TestApp::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let (local, offsite) = (dir.path().join("local"), dir.path().join("offsite"));
    let keys = backup::generate_keys();
    let key = CheckpointKey::generate();
    let public = key.public_hex();
    let key_file = dir.path().join("checkpoint.key");
    std::fs::write(&key_file, key.to_file_text()).unwrap();

    // The command: backup, then checkpoint beside it.
    let (ok, text) = run(&[
        "backup",
        "--database",
        &t.db_url,
        "--to",
        local.to_str().unwrap(),
        "--offsite",
        offsite.to_str().unwrap(),
        "--recipient",
        &keys.recipient,
        "--checkpoint-key",
        key_file.to_str().unwrap(),
    ]);
    assert!(ok, "{text}");
    assert!(
        text.contains("audit checkpoint signed") && text.contains("(2 copies)"),
        "{text}"
    );
    assert_eq!(checkpoint_files(&local).len(), 1);
    assert_eq!(checkpoint_files(&offsite).len(), 1);

    // The job: without a key it does not run; with one it signs.
    t.app.set_backup_dir(Some(local.clone()));
    t.app
        .set_backup_target(backup::Target {
            recipient: Some(keys.recipient.clone()),
            offsite: vec![offsite.clone()],
            s3: None,
        })
        .unwrap();
    assert!(!t.app.run_job(Job::AuditCheckpoint).await.unwrap());
    t.app
        .set_checkpoint_key(Some(CheckpointKey::parse(&key.to_file_text()).unwrap()));
    assert!(t.app.run_job(Job::AuditCheckpoint).await.unwrap());
    // The daily backup job signs one after its backup.
    assert!(t.app.run_job(Job::Backup).await.unwrap());
    assert_eq!(checkpoint_files(&local).len(), 3);
    assert_eq!(checkpoint_files(&offsite).len(), 3);
    let held = checkpoint::verify_checkpoints(t.store.as_ref(), &offsite, Some(&public))
        .await
        .unwrap();
    assert_eq!(held.files, 3);

    let (head, _) = t.store.audit_head().await.unwrap();
    let admin = t.login("admin").await;
    let (status, body) = t.get("/api/v1/audit/checkpoints", &admin).await;
    assert_eq!(status, 200, "{body}");
    let runs = body.as_array().unwrap();
    assert_eq!(runs.len(), 3, "{body}");
    assert_eq!(runs[0]["ok"], true);
    assert_eq!(runs[0]["algorithm"], "ed25519");
    assert_eq!(runs[0]["public_key"], public.as_str());
    assert_eq!(runs[0]["copies"], 2);
    // Each run is itself audited after it signed: the newest signed head is
    // one short of the head after its own record.
    assert!(runs[0]["records"].as_i64().unwrap() < head);
    assert_eq!(
        runs[0]["file"],
        checkpoint_files(&local)[2]
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
    );
    let (status, _) = t
        .get("/api/v1/audit/checkpoints", &t.login("ent-demo").await)
        .await;
    assert_eq!(status, 403);

    let c = crate::pages::sign_in(&t, "auditor").await;
    let page = c
        .get(t.url("/system"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("id=\"system-checkpoint\"")
            && page.contains("最近审计检查点")
            && page.contains(&public)
            && page.contains("国际算法（SHA-256、Ed25519、X25519）"),
        "{page}"
    );
    // The run's audit record.
    let audit = t
        .store
        .audit_batch(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.event.action == "system.audit_checkpoint")
        .count();
    assert_eq!(audit, 3);
}

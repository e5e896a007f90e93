//! The 国密 (guomi) crypto profile: chosen at setup and stored, so it
//! cannot silently change; SM3 chain hashes, SM2-signed checkpoints, SM4-GCM
//! backups whose key is wrapped with SM2 to the recipient — verified,
//! tamper-detected, and round-tripped through backup and restore.

use std::path::PathBuf;

use pubdata_domain::audit::{CryptoProfile, GENESIS_HASH, record_hash, record_hash_in};
use pubdata_service::backup::{self, BackupError};
use pubdata_service::checkpoint::{self, CheckpointError, CheckpointKey};

use crate::cli::pubdata;
use crate::common::*;

/// A platform set up under `guomi` with the demo organisations and accounts.
pub(crate) async fn guomi_platform() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = test_database_url(&dir).await;
    let store = pubdata_store::open(&url).await.unwrap();
    store
        .set_crypto_profile(CryptoProfile::Guomi)
        .await
        .unwrap();
    drop(store);
    let t = TestApp::on(url, dir).await;
    t.app.seed_demo_world().await.expect("demo seeds");
    t
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

/// The chain is hashed with SM3, verifies, catches an altered record, and
/// the profile cannot be switched once the chain holds records.
#[tokio::test]
async fn the_guomi_chain_is_sm3_verifies_and_catches_tampering() {
    let mut t = guomi_platform().await;
    t.login("qy-gaj").await;
    assert_eq!(
        t.store.crypto_profile().await.unwrap(),
        CryptoProfile::Guomi
    );
    let first = t.store.audit_batch(0, 1).await.unwrap().remove(0);
    assert_eq!(first.prev_hash, GENESIS_HASH);
    assert_eq!(
        first.hash,
        record_hash_in(
            CryptoProfile::Guomi,
            GENESIS_HASH,
            1,
            &first.at,
            &first.event
        )
    );
    assert_ne!(
        first.hash,
        record_hash(GENESIS_HASH, 1, &first.at, &first.event),
        "not SHA-256"
    );
    assert!(
        pubdata_service::audit::verify_chain(t.store.as_ref())
            .await
            .is_ok()
    );
    // Fixed at setup: switching is refused, repeating is fine.
    let err = t
        .store
        .set_crypto_profile(CryptoProfile::International)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("runs under `guomi`"), "{err}");
    t.store
        .set_crypto_profile(CryptoProfile::Guomi)
        .await
        .unwrap();
    let (ok, text) = run(&[
        "audit",
        "verify",
        "--database",
        &t.db_url,
        "--crypto-profile",
        "international",
    ]);
    assert!(
        !ok && text.contains("cannot change to `international`"),
        "{text}"
    );
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
        page.contains("国密算法（SM3、SM2、SM4）") && page.contains("<code>guomi</code>"),
        "{page}"
    );
    t.stop().await;
    let (ok, text) = run(&["audit", "verify", "--database", &t.db_url]);
    assert!(ok && text.contains("intact"), "{text}");

    let guard = if t.on_postgres() {
        "ALTER TABLE audit_log DISABLE TRIGGER USER;"
    } else {
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
    };
    t.sql(&format!(
        "{guard} UPDATE audit_log SET target = 'user:999' WHERE id = 4;"
    ))
    .await;
    let (ok, text) = run(&["audit", "verify", "--database", &t.db_url]);
    assert!(
        !ok && text.contains("record 4") && text.contains("altered"),
        "{text}"
    );
}

/// SM2 checkpoints: signed and verified; an Ed25519 key is refused under
/// guomi; a deleted tail with a rewritten head is caught.
#[tokio::test]
async fn guomi_checkpoints_are_sm2_signed_and_catch_a_rewritten_tail() {
    let mut t = guomi_platform().await;
    let dir = tempfile::tempdir().unwrap();
    let cps = dir.path().join("cps");
    let ed = CheckpointKey::generate();
    let err = checkpoint::checkpoint_and_record(
        t.store.as_ref(),
        &ed,
        std::slice::from_ref(&cps),
        "test",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, CheckpointError::WrongProfile { key: "ed25519", .. }),
        "{err}"
    );
    // The key from the command, as an operator makes it.
    let key_file = dir.path().join("sm2.key");
    let (ok, text) = run(&[
        "checkpoint-keygen",
        "--profile",
        "guomi",
        "--key-out",
        key_file.to_str().unwrap(),
    ]);
    assert!(ok, "{text}");
    let key = CheckpointKey::read(&key_file).unwrap();
    assert_eq!(key.algorithm(), "sm2");
    let public = key.public_hex();
    assert_eq!(text.lines().next().unwrap().trim(), public);
    let w = checkpoint::checkpoint_and_record(
        t.store.as_ref(),
        &key,
        std::slice::from_ref(&cps),
        "test",
    )
    .await
    .unwrap();
    assert_eq!(w.checkpoint.algorithm, "sm2");
    w.checkpoint.verify_signature("cp").unwrap();
    let mut forged = w.checkpoint.clone();
    forged.records -= 1;
    assert!(matches!(
        forged.verify_signature("cp"),
        Err(CheckpointError::BadSignature { .. })
    ));
    t.login("qy-mzj").await;
    t.stop().await;
    let verify = || {
        run(&[
            "audit",
            "verify",
            "--database",
            &t.db_url,
            "--checkpoints",
            cps.to_str().unwrap(),
            "--checkpoint-public-key",
            &public,
        ])
    };
    let (ok, text) = verify();
    assert!(ok && text.contains("checkpoints hold"), "{text}");

    let signed = w.checkpoint.records;
    let guard = if t.on_postgres() {
        "ALTER TABLE audit_log DISABLE TRIGGER USER;"
    } else {
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
    };
    t.sql(&format!(
        "{guard} DELETE FROM audit_log WHERE id >= {signed};
         UPDATE audit_head SET last_id = {last},
             last_hash = (SELECT hash FROM audit_log WHERE id = {last}) WHERE one = 1;",
        last = signed - 1
    ))
    .await;
    let (ok, text) = run(&["audit", "verify", "--database", &t.db_url]);
    assert!(ok, "the SM3 chain alone is fooled: {text}");
    let (ok, text) = verify();
    assert!(
        !ok && text.contains(&w.checkpoint.file_name()) && text.contains("missing"),
        "{text}"
    );
}

fn only(dir: &std::path::Path, suffix: &str) -> PathBuf {
    let v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(v.len(), 1, "{v:?}");
    v[0].clone()
}

/// SM2/SM4 backups: an age key is refused under guomi; the backup is an
/// SM4-GCM file whose key only the SM2 secret unwraps; it restores into a
/// fresh platform, which takes the guomi profile and verifies its SM3
/// chain; a wrong key and a changed byte are refused.
#[tokio::test]
async fn a_guomi_backup_is_sm4_wrapped_with_sm2_and_restores() {
    let mut t = guomi_platform().await;
    t.login("qy-gaj").await;
    t.stop().await;
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("backups");
    let age_keys = backup::generate_keys();
    let err = backup::write_backup(
        t.store.as_ref(),
        &age_keys.recipient,
        std::slice::from_ref(&out_dir),
        3,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, BackupError::Profile { .. }), "{err}");

    let secret = dir.path().join("sm2-secret.txt");
    let (ok, text) = run(&[
        "backup-keygen",
        "--profile",
        "guomi",
        "--secret-out",
        secret.to_str().unwrap(),
    ]);
    assert!(ok, "{text}");
    let recipient = text.lines().next().unwrap().trim().to_string();
    assert!(recipient.starts_with("sm2pub1"), "{recipient}");
    let (ok, text) = run(&[
        "backup",
        "--database",
        &t.db_url,
        "--to",
        out_dir.to_str().unwrap(),
        "--recipient",
        &recipient,
    ]);
    assert!(ok, "{text}");
    let file = only(&out_dir, ".backup.sm4");
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(b"PUBDATA-GUOMI-BACKUP 1\n"));
    assert!(
        !bytes.windows(7).any(|w| w == b"qy-gaj\""),
        "the contents are encrypted"
    );
    let identity = std::fs::read_to_string(&secret).unwrap();
    let (manifest, snap) = backup::read_backup(&file, &identity).unwrap();
    assert_eq!(manifest.crypto_profile, CryptoProfile::Guomi);

    // Another SM2 key cannot unwrap it.
    let other = backup::generate_keys_for(CryptoProfile::Guomi);
    let err = backup::read_backup(&file, &other.identity).unwrap_err();
    assert!(matches!(err, BackupError::Decrypt(_)), "{err}");

    // Restore with the command into a fresh platform.
    let dir2 = tempfile::tempdir().unwrap();
    let dst_url = test_database_url(&dir2).await;
    let (ok, text) = run(&[
        "restore",
        "--identity",
        secret.to_str().unwrap(),
        file.to_str().unwrap(),
        "--database",
        &dst_url,
    ]);
    assert!(ok, "{text}");
    assert!(text.contains("audit chain intact"), "{text}");
    let dst = pubdata_store::open(&dst_url).await.unwrap();
    assert_eq!(dst.crypto_profile().await.unwrap(), CryptoProfile::Guomi);
    assert_eq!(
        dst.audit_head().await.unwrap(),
        (manifest.audit_records, manifest.audit_head.clone())
    );
    assert_eq!(dst.snapshot().await.unwrap().tables, snap.tables);

    // A changed byte inside (checksum rewritten to match) fails SM4-GCM.
    let mut changed = bytes.clone();
    let n = changed.len() - 40;
    changed[n] ^= 1;
    std::fs::write(&file, &changed).unwrap();
    let out = std::process::Command::new("sha256sum")
        .arg(&file)
        .output()
        .expect("sha256sum runs");
    let sum = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let name = file.file_name().unwrap().to_str().unwrap().to_string();
    std::fs::write(
        out_dir.join(format!("{name}.sha256")),
        format!("{sum}  {name}\n"),
    )
    .unwrap();
    let err = backup::read_backup(&file, &identity).unwrap_err();
    assert!(
        err.to_string().contains("SM4-GCM authentication failed"),
        "{err}"
    );
}

/// `migrate-store` carries the profile: a guomi SQLite platform arrives on
/// PostgreSQL as guomi, its SM3 chain verifying there.
#[tokio::test]
async fn migrate_store_keeps_the_guomi_profile() {
    let Ok(server) = std::env::var("PUBDATA_TEST_POSTGRES") else {
        eprintln!("PUBDATA_TEST_POSTGRES not set: runs in the PostgreSQL pass");
        return;
    };
    if server.is_empty() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let from = format!("sqlite://{}", dir.path().join("src.db").display());
    {
        let store = pubdata_store::open(&from).await.unwrap();
        store
            .set_crypto_profile(CryptoProfile::Guomi)
            .await
            .unwrap();
        let app = pubdata_service::App::new(store).await.unwrap();
        app.seed_demo_world().await.unwrap();
    }
    let to = test_database_url(&dir).await;
    let (ok, text) = run(&["migrate-store", "--from", &from, "--to", &to]);
    assert!(
        ok && text.contains("audit chain intact on the target"),
        "{text}"
    );
    let dst = pubdata_store::open(&to).await.unwrap();
    assert_eq!(dst.crypto_profile().await.unwrap(), CryptoProfile::Guomi);
    let (ok, text) = run(&["audit", "verify", "--database", &to]);
    assert!(ok, "{text}");
}

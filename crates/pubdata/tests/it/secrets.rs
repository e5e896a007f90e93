//! Secrets sealed at rest (密钥加密存储, SEC-1): pull-source and push-target
//! passwords, pseudonym and webhook keys are stored sealed with the key
//! file — AES-256-GCM, or SM4-GCM under the guomi profile (国密).

use pubdata_service::secrets::{self, SecretColumn, SecretKey};
use reqwest::StatusCode;
use serde_json::json;

use crate::cli::pubdata;
use crate::common::*;

async fn put_webhook(t: &TestApp, token: &str, org: i64, secret: &str) {
    let r = t
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/{org}/webhook"),
            Some(token),
            Some(json!({"url": "http://127.0.0.1:9/hook", "secret": secret})),
        )
        .await;
    let (status, hook) = json_of(r).await;
    assert_eq!(status, StatusCode::OK, "{hook}");
}

async fn stored(t: &TestApp, column: &str, key: i64) -> String {
    t.store
        .stored_secrets(column)
        .await
        .unwrap()
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {column} for {key}"))
}

fn key_of(t: &TestApp) -> SecretKey {
    SecretKey::read(&t.dir().join("pubdata-secret.key")).unwrap()
}

#[tokio::test]
async fn secrets_are_sealed_at_rest_under_the_profiles_cipher() {
    for (t, cipher) in [
        (TestApp::full_demo().await, "aes256gcm"),
        (crate::guomi::guomi_platform().await, "sm4gcm"),
    ] {
        let gaj = t.login("qy-gaj").await;
        let org = t.org_id("qy-gaj").await;
        let secret = "webhook-secret-of-qy-gaj";
        put_webhook(&t, &gaj, org, secret).await;
        let v = stored(&t, "webhooks.secret", org).await;
        assert!(
            v.starts_with(&format!("sealed:v1:{cipher}:")) && !v.contains(secret),
            "{v}"
        );
        // It opens with the platform's key file, to what was set, and with
        // nothing else.
        assert_eq!(
            secrets::open(Some(&key_of(&t)), SecretColumn::WebhookSecret, &v).unwrap(),
            secret
        );
        assert!(
            secrets::open(
                Some(&SecretKey::generate()),
                SecretColumn::WebhookSecret,
                &v
            )
            .is_err()
        );
        // Every stored secret of every column is sealed.
        for (column, _) in pubdata_store::SECRET_COLUMNS {
            for (k, v) in t.store.stored_secrets(column).await.unwrap() {
                assert!(secrets::is_sealed(&v), "{column} {k}: {v}");
            }
        }
    }
    // The full demo's derivations hold sealed pseudonym keys, and a
    // refresh still pseudonymises with them (the derive tests check values).
    let t = TestApp::full_demo().await;
    let derived = t.store.stored_secrets("derivations.secret").await.unwrap();
    assert!(!derived.is_empty());
    for (_, v) in &derived {
        let opened = secrets::open(Some(&key_of(&t)), SecretColumn::DerivationSecret, v).unwrap();
        assert!(
            opened.len() == 64 && opened.chars().all(|c| c.is_ascii_hexdigit()),
            "a 32-byte key in hex"
        );
    }
}

#[tokio::test]
async fn values_stored_before_sealing_are_sealed_at_start_and_another_key_is_refused() {
    let t = TestApp::demo().await;
    let gaj = t.login("qy-gaj").await;
    let org = t.org_id("qy-gaj").await;
    put_webhook(&t, &gaj, org, "webhook-secret-of-qy-gaj").await;
    assert_eq!(t.app.seal_stored_secrets().await.unwrap(), 0);
    // A value written before sealing existed (an upgraded platform).
    t.sql(&format!(
        "UPDATE webhooks SET secret = 'plain-secret-0123456789' WHERE org_id = {org}"
    ))
    .await;
    assert_eq!(t.app.seal_stored_secrets().await.unwrap(), 1);
    let v = stored(&t, "webhooks.secret", org).await;
    assert!(secrets::is_sealed(&v) && !v.contains("plain-secret"), "{v}");
    assert_eq!(
        secrets::open(Some(&key_of(&t)), SecretColumn::WebhookSecret, &v).unwrap(),
        "plain-secret-0123456789"
    );
    assert_eq!(t.app.seal_stored_secrets().await.unwrap(), 0, "once");
    let chain = t.store.audit_batch(0, 100_000).await.unwrap();
    assert!(
        chain
            .iter()
            .any(|r| r.event.action == "system.secrets_sealed" && r.event.detail["sealed"] == 1)
    );
    // Keeping the secret (none given) keeps the sealed value.
    let r = t
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/{org}/webhook"),
            Some(&gaj),
            Some(json!({"url": "http://127.0.0.1:9/other"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(stored(&t, "webhooks.secret", org).await, v);

    // Another key file than the one the secrets were sealed with: the start
    // check refuses, naming the mismatch.
    t.app.set_secret_key(Some(SecretKey::generate()));
    let e = t.app.seal_stored_secrets().await.unwrap_err();
    let cause = std::error::Error::source(&e).map(|c| c.to_string());
    assert!(
        cause
            .as_deref()
            .is_some_and(|c| c.starts_with("secret_key_mismatch: webhooks.secret")),
        "{e:?}"
    );
}

#[test]
fn secret_keygen_writes_a_private_key_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret.key");
    let p = path.to_str().unwrap();
    let out = pubdata(&["secret-keygen", "--key-out", p]);
    assert!(out.status.success(), "{out:?}");
    let key = SecretKey::read(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Never overwritten: the secrets sealed with it would be lost.
    let out = pubdata(&["secret-keygen", "--key-out", p]);
    assert!(!out.status.success());
    assert_eq!(
        SecretKey::read(&path).unwrap().to_file_text(),
        key.to_file_text()
    );
}

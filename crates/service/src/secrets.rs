//! Secrets sealed at rest (密钥加密存储, SEC-1, GB/T 39786 密评).
//!
//! Four values the platform must be able to use again are secrets: the
//! password in a pull source's URL (`pull_sources.url`), in a table-push
//! target's URL (`push_targets.url`), a derivation's pseudonym HMAC key
//! (`derivations.secret`) and an organisation's webhook HMAC key
//! (`webhooks.secret`). The database holds each of them sealed with a key
//! held outside it — a 32-byte key file (`pubdata secret-keygen`, `serve
//! --secret-key`) — so that a copy of the database (a stolen disk, a
//! backup, `migrate-store`) does not hand them over.
//!
//! The cipher follows the crypto profile chosen at setup: AES-256-GCM
//! (`international`) or SM4-GCM (`guomi`, GB/T 32907, its 128-bit key the
//! first half of SM3(key file ‖ "pubdata secrets sm4")). A sealed value is
//! text, self-describing: `sealed:v1:<aes256gcm|sm4gcm>:<base64 of nonce ‖
//! ciphertext ‖ tag>`, with the column's name (`pull_sources.url`) as
//! associated data, so a sealed value moved to another column fails to open.
//! A value without the prefix is an unsealed one written before sealing
//! existed; the server seals those at start ([`App::seal_stored_secrets`]).

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use base64::Engine;
use pubdata_domain::audit::CryptoProfile;
use sm3::Digest;

use crate::App;
use crate::error::{Result, ServiceError};

const PREFIX: &str = "sealed:v1:";
const AES: &str = "aes256gcm";
const SM4: &str = "sm4gcm";

type Sm4Gcm = aes_gcm::AesGcm<sm4::Sm4, aes_gcm::aead::consts::U12>;

/// The columns that hold secrets, by their associated-data name.
pub const SEALED_COLUMNS: [SecretColumn; 4] = [
    SecretColumn::PullSourceUrl,
    SecretColumn::PushTargetUrl,
    SecretColumn::DerivationSecret,
    SecretColumn::WebhookSecret,
];

/// A column that holds a secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretColumn {
    PullSourceUrl,
    PushTargetUrl,
    DerivationSecret,
    WebhookSecret,
}

impl SecretColumn {
    /// `table.column`, also the associated data of its sealed values.
    pub fn name(self) -> &'static str {
        match self {
            SecretColumn::PullSourceUrl => "pull_sources.url",
            SecretColumn::PushTargetUrl => "push_targets.url",
            SecretColumn::DerivationSecret => "derivations.secret",
            SecretColumn::WebhookSecret => "webhooks.secret",
        }
    }
}

/// The 32-byte key secrets are sealed with, read from its file.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl SecretKey {
    /// A fresh random key.
    pub fn generate() -> SecretKey {
        SecretKey(rand::random())
    }

    /// The key file's text: one line of 64 hex digits.
    pub fn to_file_text(&self) -> String {
        format!("{}\n", hex::encode(self.0))
    }

    /// Parses a key file's text.
    pub fn parse(text: &str) -> std::result::Result<SecretKey, String> {
        let bytes = hex::decode(text.trim())
            .map_err(|_| "a secret key file holds 64 hex digits".to_string())?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "a secret key file holds 64 hex digits (32 bytes)".to_string())?;
        Ok(SecretKey(key))
    }

    /// Reads the key at `path`.
    pub fn read(path: &Path) -> std::result::Result<SecretKey, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the secret key {}: {e}", path.display()))?;
        SecretKey::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Writes a fresh key to `path`, readable by its owner only; refuses to
    /// overwrite an existing file (the secrets sealed with it would be lost).
    pub fn create(path: &Path) -> std::result::Result<SecretKey, String> {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let key = SecretKey::generate();
        let mut f = opts
            .open(path)
            .map_err(|e| format!("cannot create the secret key {}: {e}", path.display()))?;
        f.write_all(key.to_file_text().as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(|e| format!("cannot write the secret key {}: {e}", path.display()))?;
        Ok(key)
    }

    /// The key at `path`, created there first when no file exists.
    pub fn read_or_create(path: &Path) -> std::result::Result<(SecretKey, bool), String> {
        if path.exists() {
            SecretKey::read(path).map(|k| (k, false))
        } else {
            SecretKey::create(path).map(|k| (k, true))
        }
    }

    fn sm4_key(&self) -> [u8; 16] {
        let mut h = sm3::Sm3::new();
        h.update(self.0);
        h.update(b"pubdata secrets sm4");
        let d = h.finalize();
        let mut k = [0u8; 16];
        k.copy_from_slice(&d[..16]);
        k
    }
}

/// Whether `stored` is a sealed value (rather than one written before).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

/// Seals `plain` for `column` under the profile's cipher.
pub fn seal(profile: CryptoProfile, key: &SecretKey, column: SecretColumn, plain: &str) -> String {
    let nonce: [u8; 12] = rand::random();
    let payload = Payload {
        msg: plain.as_bytes(),
        aad: column.name().as_bytes(),
    };
    let (name, sealed) = match profile {
        CryptoProfile::International => (
            AES,
            aes_gcm::Aes256Gcm::new((&key.0).into()).encrypt((&nonce).into(), payload),
        ),
        CryptoProfile::Guomi => (
            SM4,
            Sm4Gcm::new((&key.sm4_key()).into()).encrypt((&nonce).into(), payload),
        ),
    };
    // Encryption with a valid key and nonce cannot fail (only a message
    // beyond the cipher's limit, 64 GiB, could).
    let sealed = sealed.expect("AEAD encryption of a short secret");
    let mut raw = Vec::with_capacity(12 + sealed.len());
    raw.extend_from_slice(&nonce);
    raw.extend_from_slice(&sealed);
    format!(
        "{PREFIX}{name}:{}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// Why a stored secret cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The value is sealed but this server has no key (`--secret-key`).
    #[error(
        "secret_key_missing: {0} is sealed and this server has no secret key (start it with --secret-key)"
    )]
    NoKey(&'static str),
    /// The key is not the one the value was sealed with, or the value was
    /// changed or moved from another column.
    #[error(
        "secret_key_mismatch: {0} does not open with this server's secret key (another key file, or the value was altered)"
    )]
    Mismatch(&'static str),
}

/// The secret in `stored`: opened when sealed, as is when written before
/// sealing existed.
pub fn open(
    key: Option<&SecretKey>,
    column: SecretColumn,
    stored: &str,
) -> std::result::Result<String, OpenError> {
    let Some(rest) = stored.strip_prefix(PREFIX) else {
        return Ok(stored.to_string());
    };
    let key = key.ok_or(OpenError::NoKey(column.name()))?;
    let bad = || OpenError::Mismatch(column.name());
    let (name, b64) = rest.split_once(':').ok_or_else(bad)?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| bad())?;
    if raw.len() < 12 + 16 {
        return Err(bad());
    }
    let (nonce, sealed) = raw.split_at(12);
    let nonce: &[u8; 12] = nonce.try_into().map_err(|_| bad())?;
    let payload = Payload {
        msg: sealed,
        aad: column.name().as_bytes(),
    };
    let plain = match name {
        AES => aes_gcm::Aes256Gcm::new((&key.0).into()).decrypt(nonce.into(), payload),
        SM4 => Sm4Gcm::new((&key.sm4_key()).into()).decrypt(nonce.into(), payload),
        _ => return Err(bad()),
    }
    .map_err(|_| bad())?;
    String::from_utf8(plain).map_err(|_| bad())
}

impl App {
    /// The key stored secrets are sealed with (`serve --secret-key`).
    pub fn set_secret_key(&self, key: Option<SecretKey>) {
        *self.secret_key.write().expect("secret key lock") = key.map(std::sync::Arc::new);
    }

    fn secret_key(&self) -> Option<std::sync::Arc<SecretKey>> {
        self.secret_key.read().expect("secret key lock").clone()
    }

    /// `plain` sealed for `column` under the platform's profile; refused
    /// without a key (a secret is never stored unsealed).
    pub(crate) async fn seal_secret(&self, column: SecretColumn, plain: &str) -> Result<String> {
        let key = self
            .secret_key()
            .ok_or_else(|| ServiceError::Internal(Box::new(OpenError::NoKey(column.name()))))?;
        let profile = self.store.crypto_profile().await?;
        Ok(seal(profile, &key, column, plain))
    }

    /// The secret in a stored value of `column`.
    pub(crate) fn open_secret(&self, column: SecretColumn, stored: &str) -> Result<String> {
        open(self.secret_key().as_deref(), column, stored)
            .map_err(|e| ServiceError::Internal(Box::new(e)))
    }

    /// Seals every stored secret still unsealed (written before sealing
    /// existed), in one transaction with an audit record; the number sealed.
    /// Run by the server at start, after its key is set: a sealed value that
    /// does not open with the key (another key file) fails it, naming
    /// `secret_key_mismatch`.
    pub async fn seal_stored_secrets(&self) -> Result<usize> {
        let Some(key) = self.secret_key() else {
            return Ok(0);
        };
        let profile = self.store.crypto_profile().await?;
        let mut sealed = Vec::new();
        for column in SEALED_COLUMNS {
            for (id, value) in self.store.stored_secrets(column.name()).await? {
                if !is_sealed(&value) {
                    sealed.push((column.name(), id, seal(profile, &key, column, &value)));
                } else if let Err(e) = open(Some(&key), column, &value) {
                    // Another key file than the one the platform sealed
                    // with: refuse to run on with secrets it cannot use.
                    return Err(ServiceError::Internal(Box::new(e)));
                }
            }
        }
        if sealed.is_empty() {
            return Ok(0);
        }
        let n = sealed.len();
        let event = crate::principal::Principal::system().event(
            "system.secrets_sealed",
            "secrets",
            pubdata_domain::audit::Outcome::Success,
            serde_json::json!({ "sealed": n, "profile": profile.as_str() }),
        );
        self.store.reseal_secrets(&sealed, &event).await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_with_its_key_and_column_only() {
        let key = SecretKey::generate();
        for (profile, name) in [
            (CryptoProfile::International, AES),
            (CryptoProfile::Guomi, SM4),
        ] {
            let s = seal(
                profile,
                &key,
                SecretColumn::PullSourceUrl,
                "postgres://u:pw@h/db",
            );
            assert!(s.starts_with(&format!("sealed:v1:{name}:")), "{s}");
            assert!(!s.contains("pw@"));
            assert_eq!(
                open(Some(&key), SecretColumn::PullSourceUrl, &s).unwrap(),
                "postgres://u:pw@h/db"
            );
            // Another key, another column, no key, an altered value: refused.
            let other = SecretKey::generate();
            assert!(matches!(
                open(Some(&other), SecretColumn::PullSourceUrl, &s),
                Err(OpenError::Mismatch(_))
            ));
            assert!(matches!(
                open(Some(&key), SecretColumn::PushTargetUrl, &s),
                Err(OpenError::Mismatch(_))
            ));
            assert!(matches!(
                open(None, SecretColumn::PullSourceUrl, &s),
                Err(OpenError::NoKey(_))
            ));
            let mut altered = s.clone();
            altered.pop();
            altered.push(if s.ends_with('A') { 'B' } else { 'A' });
            assert!(open(Some(&key), SecretColumn::PullSourceUrl, &altered).is_err());
        }
        // Two seals of one value differ (random nonce).
        let a = seal(
            CryptoProfile::International,
            &key,
            SecretColumn::WebhookSecret,
            "k",
        );
        let b = seal(
            CryptoProfile::International,
            &key,
            SecretColumn::WebhookSecret,
            "k",
        );
        assert_ne!(a, b);
        // A value written before sealing existed is read as is.
        assert_eq!(
            open(None, SecretColumn::WebhookSecret, "plain").unwrap(),
            "plain"
        );
    }

    #[test]
    fn a_key_file_round_trips_and_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let (k, created) = SecretKey::read_or_create(&path).unwrap();
        assert!(created);
        let (again, created) = SecretKey::read_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(k.0, again.0);
        assert!(SecretKey::create(&path).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(SecretKey::parse("zz").is_err());
    }
}

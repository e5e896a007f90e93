//! The audit chain (审计日志, SEC-3).
//!
//! Each record carries the hash of the record before it, so altering or
//! deleting any record breaks every hash after it. The hash covers every
//! field in a canonical JSON array, which leaves no ambiguity about where one
//! field ends and the next begins.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sm3::Digest as _;

/// The platform's crypto profile, chosen at setup and stored in the
/// database (`audit_head.crypto_profile`) so it cannot silently change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CryptoProfile {
    /// SHA-256 chain hashes, Ed25519 checkpoint signatures, X25519/age
    /// backup encryption.
    #[default]
    International,
    /// 国密: SM3 chain hashes, SM2 checkpoint signatures, SM4-GCM backup
    /// encryption with the key wrapped by SM2 encryption.
    Guomi,
}

impl CryptoProfile {
    pub fn as_str(self) -> &'static str {
        match self {
            CryptoProfile::International => "international",
            CryptoProfile::Guomi => "guomi",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "international" => Some(CryptoProfile::International),
            "guomi" => Some(CryptoProfile::Guomi),
            _ => None,
        }
    }
    /// The chain hash's name.
    pub fn hash_name(self) -> &'static str {
        match self {
            CryptoProfile::International => "SHA-256",
            CryptoProfile::Guomi => "SM3",
        }
    }
}

impl std::fmt::Display for CryptoProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for CryptoProfile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        CryptoProfile::parse(s)
            .ok_or_else(|| format!("unknown crypto profile `{s}`: use international or guomi"))
    }
}

/// The `prev_hash` of the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "success" => Some(Outcome::Success),
            "failure" => Some(Outcome::Failure),
            "denied" => Some(Outcome::Denied),
            _ => None,
        }
    }
}

/// A record about to be appended: everything but its place in the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEvent {
    /// Username of the actor, or `anonymous` / `system`.
    pub actor: String,
    pub actor_user_id: Option<i64>,
    /// The organisation on whose behalf the actor acted.
    pub org_id: Option<i64>,
    /// Dotted action name, e.g. `auth.login`, `user.create`.
    pub action: String,
    /// What was acted upon, e.g. `user:12`, `calendar:2027`.
    pub target: String,
    pub outcome: Outcome,
    /// Free-form structured detail (JSON object).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub client_ip: Option<String>,
}

/// A record as stored, with its place in the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditRecord {
    pub id: i64,
    /// RFC 3339 UTC time with microseconds, as stored.
    pub at: String,
    #[serde(flatten)]
    pub event: AuditEvent,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of a record given its predecessor's hash (SHA-256, the
/// `international` profile).
pub fn record_hash(prev_hash: &str, id: i64, at: &str, e: &AuditEvent) -> String {
    record_hash_in(CryptoProfile::International, prev_hash, id, at, e)
}

/// The hash of a record in `profile`: SHA-256 or SM3 over the same
/// canonical text.
pub fn record_hash_in(
    profile: CryptoProfile,
    prev_hash: &str,
    id: i64,
    at: &str,
    e: &AuditEvent,
) -> String {
    record_hash_of(profile, prev_hash, id, at, e, &e.detail.to_string())
}

/// [`record_hash_in`] with the event's detail already serialized (`detail`
/// is `e.detail.to_string()`, which the writer stores too).
pub fn record_hash_of(
    profile: CryptoProfile,
    prev_hash: &str,
    id: i64,
    at: &str,
    e: &AuditEvent,
    detail: &str,
) -> String {
    // The same text as `json!([...]).to_string()` (chains already stored
    // still verify; a test checks it), without copying every field into a
    // `Value` first.
    let text = serde_json::to_string(&(
        prev_hash,
        id,
        at,
        &e.actor,
        e.actor_user_id,
        e.org_id,
        &e.action,
        &e.target,
        e.outcome.as_str(),
        detail,
        &e.client_ip,
    ))
    .expect("strings and numbers serialize");
    match profile {
        CryptoProfile::International => hex::encode(Sha256::digest(text.as_bytes())),
        CryptoProfile::Guomi => hex::encode(sm3::Sm3::digest(text.as_bytes())),
    }
}

/// Why a chain does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("record {id}: expected id {expected} (a record before it was deleted)")]
    Gap { id: i64, expected: i64 },
    #[error("record {id}: prev_hash does not match the previous record's hash")]
    Link { id: i64 },
    #[error("record {id}: hash does not match its contents (the record was altered)")]
    Content { id: i64 },
    #[error(
        "the chain ends at record {last} but {expected} records were written (records at the end were deleted)"
    )]
    Truncated { last: i64, expected: i64 },
}

/// Verifies records streamed in id order; call [`ChainVerifier::finish`] at the end.
#[derive(Debug)]
pub struct ChainVerifier {
    profile: CryptoProfile,
    prev_hash: String,
    next_id: Option<i64>,
    pub checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            profile: CryptoProfile::International,
            prev_hash: GENESIS_HASH.to_string(),
            next_id: None,
            checked: 0,
        }
    }
}

impl ChainVerifier {
    /// A verifier hashing as `profile` does.
    pub fn for_profile(profile: CryptoProfile) -> Self {
        ChainVerifier {
            profile,
            ..Default::default()
        }
    }

    pub fn check(&mut self, r: &AuditRecord) -> Result<(), ChainError> {
        let expected = self.next_id.unwrap_or(1);
        if r.id != expected {
            return Err(ChainError::Gap { id: r.id, expected });
        }
        if r.prev_hash != self.prev_hash {
            return Err(ChainError::Link { id: r.id });
        }
        if record_hash_in(self.profile, &r.prev_hash, r.id, &r.at, &r.event) != r.hash {
            return Err(ChainError::Content { id: r.id });
        }
        self.prev_hash = r.hash.clone();
        self.next_id = Some(r.id + 1);
        self.checked += 1;
        Ok(())
    }

    /// `written` is the number of records the store says it has appended
    /// (kept apart from the log, so a deleted tail is caught too).
    pub fn finish(self, written: i64) -> Result<u64, ChainError> {
        let last = self.next_id.map(|n| n - 1).unwrap_or(0);
        if last != written {
            return Err(ChainError::Truncated {
                last,
                expected: written,
            });
        }
        Ok(self.checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash is that of the `json!` array it was first written with, in
    /// both profiles: chains already stored still verify.
    #[test]
    fn record_hash_text_is_the_json_array() {
        let e = AuditEvent {
            actor: "app:\"x\" 民政".into(),
            actor_user_id: None,
            org_id: Some(7),
            action: "dataset.read".into(),
            target: "dataset:1".into(),
            outcome: Outcome::Failure,
            detail: serde_json::json!({"b": [1, null], "a": "é\n"}),
            client_ip: Some("127.0.0.1".into()),
        };
        let text = serde_json::json!([
            "prev",
            3,
            "at",
            e.actor,
            e.actor_user_id,
            e.org_id,
            e.action,
            e.target,
            e.outcome.as_str(),
            e.detail.to_string(),
            e.client_ip,
        ])
        .to_string();
        assert_eq!(
            record_hash_in(CryptoProfile::International, "prev", 3, "at", &e),
            hex::encode(Sha256::digest(text.as_bytes()))
        );
        assert_eq!(
            record_hash_in(CryptoProfile::Guomi, "prev", 3, "at", &e),
            hex::encode(sm3::Sm3::digest(text.as_bytes()))
        );
    }

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|id| {
                let event = AuditEvent {
                    actor: "admin".into(),
                    actor_user_id: Some(1),
                    org_id: None,
                    action: "user.create".into(),
                    target: format!("user:{id}"),
                    outcome: Outcome::Success,
                    detail: serde_json::json!({"n": id}),
                    client_ip: None,
                };
                let at = format!("2026-11-28T00:00:{id:02}.000000Z");
                let hash = record_hash(&prev, id, &at, &event);
                let r = AuditRecord {
                    id,
                    at,
                    event,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                r
            })
            .collect()
    }

    fn verify(records: &[AuditRecord], written: i64) -> Result<u64, ChainError> {
        let mut v = ChainVerifier::default();
        for r in records {
            v.check(r)?;
        }
        v.finish(written)
    }

    #[test]
    fn the_guomi_profile_hashes_with_sm3_and_catches_tampering() {
        let mut c = chain(3);
        let mut prev = GENESIS_HASH.to_string();
        for r in c.iter_mut() {
            r.prev_hash = prev.clone();
            r.hash = record_hash_in(CryptoProfile::Guomi, &prev, r.id, &r.at, &r.event);
            prev = r.hash.clone();
        }
        assert_ne!(c[0].hash, chain(1)[0].hash, "SM3 is not SHA-256");
        let verify_in = |p: CryptoProfile, rs: &[AuditRecord]| {
            let mut v = ChainVerifier::for_profile(p);
            for r in rs {
                v.check(r)?;
            }
            v.finish(rs.len() as i64)
        };
        assert_eq!(verify_in(CryptoProfile::Guomi, &c), Ok(3));
        assert_eq!(
            verify_in(CryptoProfile::International, &c),
            Err(ChainError::Content { id: 1 })
        );
        c[1].event.target = "user:99".into();
        assert_eq!(
            verify_in(CryptoProfile::Guomi, &c),
            Err(ChainError::Content { id: 2 })
        );
        // SM3 of "abc" (GB/T 32905 test vector).
        assert_eq!(
            hex::encode(sm3::Sm3::digest(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(&chain(5), 5), Ok(5));
    }

    #[test]
    fn altering_a_field_is_caught_at_that_record() {
        let mut c = chain(5);
        c[2].event.target = "user:99".into();
        assert_eq!(verify(&c, 5), Err(ChainError::Content { id: 3 }));
    }

    #[test]
    fn deleting_a_record_is_caught() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(verify(&c, 5), Err(ChainError::Gap { id: 3, expected: 2 }));
        let c = chain(5);
        assert_eq!(
            verify(&c[..4], 5),
            Err(ChainError::Truncated {
                last: 4,
                expected: 5
            })
        );
    }

    #[test]
    fn rehashing_one_record_still_breaks_the_next_link() {
        let mut c = chain(5);
        c[1].event.outcome = Outcome::Failure;
        c[1].hash = record_hash(&c[1].prev_hash, 2, &c[1].at, &c[1].event);
        assert_eq!(verify(&c, 5), Err(ChainError::Link { id: 3 }));
    }
}

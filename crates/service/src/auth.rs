//! Authentication: passwords, sessions, bearer tokens, application tokens.
//!
//! Tokens are 32 random bytes; only their SHA-256 is stored (a token has far
//! more entropy than a password, so a fast hash is enough). Passwords are
//! hashed with argon2id. Resolved principals are cached for
//! [`PRINCIPAL_TTL`] so the hot path does not hit the database on every
//! request; any change to users, roles, sessions or tokens clears the cache,
//! and the TTL bounds how long another server may serve a revoked token.

use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use pubdata_domain::audit::{AuditEvent, Outcome};
use pubdata_store::{ApiToken, NewApiToken, SessionKind};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::App;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::{Principal, Via};

pub use crate::principal::PRINCIPAL_TTL;
/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;
/// Failed logins from one client within [`THROTTLE_WINDOW`] before it is refused.
pub const THROTTLE_FAILURES: usize = 5;
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// A freshly issued secret, shown once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    pub token: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiToken {
    /// What the token is for, e.g. "人口库推送".
    pub name: String,
}

/// An application token as created: the secret is in `token`, shown this once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedApiToken {
    #[serde(flatten)]
    pub info: ApiToken,
    pub token: String,
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

impl App {
    pub async fn hash_password(&self, password: &str) -> Result<String> {
        let password = password.to_string();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
        })
        .await
        .map_err(|e| ServiceError::Internal(Box::new(e)))?
        .map_err(|e| ServiceError::Internal(e.to_string().into()))
    }

    async fn verify_password(&self, password: &str, hash: Option<String>) -> bool {
        // Unknown users are checked against a fixed hash, so the answer takes
        // as long whether or not the user exists.
        let hash = hash.unwrap_or_else(|| self.dummy_hash.clone());
        let password = password.to_string();
        tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|h| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &h)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false)
    }

    /// Checks a username and password and opens a session. Returns the
    /// session token and its CSRF token.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        kind: SessionKind,
        client_ip: Option<String>,
    ) -> Result<(String, String)> {
        let client = client_ip.clone().unwrap_or_else(|| "unknown".into());
        let shown_name: String = username.chars().take(64).collect();
        let failed = |reason: &str| AuditEvent {
            actor: shown_name.clone(),
            actor_user_id: None,
            org_id: None,
            action: "auth.login".into(),
            target: format!("username:{shown_name}"),
            outcome: Outcome::Failure,
            detail: json!({"reason": reason}),
            client_ip: client_ip.clone(),
        };
        // Failures are counted in the database: every server of the platform
        // sees the same count.
        let window = chrono::Duration::from_std(THROTTLE_WINDOW).expect("window fits");
        let now = Utc::now();
        let (recent, first) = self.store.login_failures(&client, now - window).await?;
        if recent >= THROTTLE_FAILURES as i64 {
            let retry_after_secs = first
                .map(|f| (f + window - now).num_seconds().max(1) as u64)
                .unwrap_or(1);
            self.store.append_audit(failed("throttled")).await?;
            return Err(ServiceError::TooManyAttempts { retry_after_secs });
        }
        let found = self
            .store
            .get_user_by_username(&username.to_ascii_lowercase())
            .await?;
        let (user, hash) = match found {
            Some((u, h)) => (Some(u), Some(h)),
            None => (None, None),
        };
        let ok = self.verify_password(password, hash).await;
        let user = match user {
            Some(u) if ok && !u.disabled => u,
            other => {
                self.store
                    .record_login_failure(&client, now - window)
                    .await?;
                let reason = match other {
                    None => "unknown_user",
                    Some(u) if u.disabled && ok => "disabled",
                    Some(_) => "wrong_password",
                };
                self.store.append_audit(failed(reason)).await?;
                return Err(ServiceError::BadCredentials);
            }
        };
        if recent > 0 {
            self.store.clear_login_failures(&client).await?;
        }
        let token = new_secret(match kind {
            SessionKind::Cookie => "pds_",
            SessionKind::Bearer => "pdb_",
        });
        let csrf = new_secret("");
        let expires = Utc::now() + chrono::Duration::hours(SESSION_HOURS);
        let audit = AuditEvent {
            actor: user.username.clone(),
            actor_user_id: Some(user.id),
            org_id: user.org_id,
            action: "auth.login".into(),
            target: format!("user:{}", user.id),
            outcome: Outcome::Success,
            detail: json!({"via": match kind { SessionKind::Cookie => "page", SessionKind::Bearer => "api" }}),
            client_ip,
        };
        self.store
            .create_session(&hash_token(&token), user.id, kind, &csrf, expires, audit)
            .await?;
        Ok((token, csrf))
    }

    pub async fn logout(&self, p: &Principal, token: &str) -> Result<()> {
        let audit = p.event(
            "auth.logout",
            format!("user:{}", p.user_id.unwrap_or(0)),
            Outcome::Success,
            json!({}),
        );
        self.store.delete_session(&hash_token(token), audit).await?;
        self.forget_principals();
        Ok(())
    }

    /// Resolves a session or bearer token (from login) or an application token.
    pub async fn authenticate(&self, token: &str, client_ip: Option<String>) -> Result<Principal> {
        let key = hash_token(token);
        let cached = {
            let cache = self.principals.lock().expect("principal cache lock");
            cache
                .get(&key)
                .filter(|(_, at)| at.elapsed() < PRINCIPAL_TTL)
                .map(|(p, _)| p.clone())
        };
        let mut p = match cached {
            Some(p) => p,
            None => {
                let p = self.resolve(&key, token).await?;
                let mut cache = self.principals.lock().expect("principal cache lock");
                if cache.len() > 50_000 {
                    cache.retain(|_, (_, at)| at.elapsed() < PRINCIPAL_TTL);
                }
                cache.insert(key, (p.clone(), Instant::now()));
                p
            }
        };
        if let Via::ApiToken { token_id } = p.via {
            self.token_uses
                .lock()
                .expect("token use lock")
                .insert(token_id, Utc::now());
        }
        p.client_ip = client_ip;
        Ok(p)
    }

    async fn resolve(&self, key: &str, token: &str) -> Result<Principal> {
        if token.starts_with("pat_") {
            let t = self
                .store
                .find_api_token(key)
                .await?
                .filter(|t| t.revoked_at.is_none())
                .ok_or(ServiceError::Unauthenticated)?;
            let org = self.store.get_org(t.org_id).await?;
            return Ok(Principal {
                user_id: None,
                name: format!("app:{}", t.name),
                display_name: t.name.clone(),
                kind: "application",
                org: Some(org),
                roles: vec![],
                via: Via::ApiToken { token_id: t.id },
                client_ip: None,
            });
        }
        let session = self
            .store
            .find_session(key)
            .await?
            .filter(|s| s.expires_at > Utc::now())
            .ok_or(ServiceError::Unauthenticated)?;
        let user = self.store.get_user(session.user_id).await?;
        if user.disabled {
            return Err(ServiceError::Unauthenticated);
        }
        let org = match user.org_id {
            Some(id) => Some(self.store.get_org(id).await?),
            None => None,
        };
        let roles = self.store.roles_of(user.id).await?;
        let via = if token.starts_with("pds_") {
            Via::Cookie {
                csrf_token: session.csrf_token,
            }
        } else {
            Via::Bearer
        };
        Ok(Principal {
            user_id: Some(user.id),
            name: user.username,
            display_name: user.display_name,
            kind: user.kind.as_str(),
            org,
            roles,
            via,
            client_ip: None,
        })
    }

    pub(crate) fn forget_principals(&self) {
        self.principals
            .lock()
            .expect("principal cache lock")
            .clear();
    }

    /// Writes buffered last-use times of application tokens (called periodically).
    pub async fn flush_token_uses(&self) -> Result<()> {
        let uses: Vec<_> = std::mem::take(&mut *self.token_uses.lock().expect("token use lock"))
            .into_iter()
            .collect();
        self.store.touch_api_tokens(&uses).await?;
        Ok(())
    }

    pub async fn create_api_token(
        &self,
        p: &Principal,
        req: CreateApiToken,
    ) -> Result<CreatedApiToken> {
        let org = p
            .org_id()
            .ok_or_else(|| ServiceError::Forbidden("you act for no organisation".into()))?;
        self.authorize(p, Action::ManageTokens(org)).await?;
        let name = req.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ServiceError::invalid("name", "1 to 100 characters"));
        }
        let secret = new_secret("pat_");
        let new = NewApiToken {
            token_hash: hash_token(&secret),
            prefix: secret.chars().take(10).collect(),
            name: name.to_string(),
            org_id: org,
            created_by: p.user_id.expect("only people manage tokens"),
        };
        let audit = p.event(
            "api_token.create",
            "",
            Outcome::Success,
            json!({"name": name}),
        );
        let info = self.store.create_api_token(new, audit).await?;
        Ok(CreatedApiToken {
            info,
            token: secret,
        })
    }

    pub async fn list_api_tokens(&self, p: &Principal) -> Result<Vec<ApiToken>> {
        let org = p
            .org_id()
            .ok_or_else(|| ServiceError::Forbidden("you act for no organisation".into()))?;
        self.authorize(p, Action::ManageTokens(org)).await?;
        // Show last uses not yet flushed.
        self.flush_token_uses().await?;
        Ok(self.store.list_api_tokens(org).await?)
    }

    pub async fn revoke_api_token(&self, p: &Principal, id: i64) -> Result<ApiToken> {
        let t = self
            .store
            .get_api_token(id)
            .await
            .map_err(ServiceError::not_found("token"))?;
        self.authorize(p, Action::ManageTokens(t.org_id)).await?;
        let audit = p.event(
            "api_token.revoke",
            format!("api_token:{id}"),
            Outcome::Success,
            json!({"name": t.name}),
        );
        let t = self.store.revoke_api_token(id, audit).await?;
        self.forget_principals();
        Ok(t)
    }
}

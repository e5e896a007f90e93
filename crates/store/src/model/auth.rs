//! Users, role grants, sessions and application tokens.

use chrono::{DateTime, Utc};
use pubdata_domain::org::{Role, UserKind};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub kind: UserKind,
    pub org_id: Option<i64>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub kind: UserKind,
    pub org_id: Option<i64>,
    pub password_hash: String,
}

#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub disabled: Option<bool>,
    pub password_hash: Option<String>,
    pub org_id: Option<Option<i64>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RoleGrant {
    pub id: i64,
    pub user_id: i64,
    pub role: Role,
    pub org_id: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// A browser session (cookie).
    Cookie,
    /// A bearer token from `POST /api/v1/auth/login`.
    Bearer,
}

impl SessionKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SessionKind::Cookie => "cookie",
            SessionKind::Bearer => "bearer",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: i64,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: i64,
    /// The first characters of the token, to recognise it in lists.
    pub prefix: String,
    pub name: String,
    pub org_id: i64,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub token_hash: String,
    pub prefix: String,
    pub name: String,
    pub org_id: i64,
    pub created_by: i64,
}

//! Who is calling: a signed-in person or an application token.

use pubdata_domain::audit::{AuditEvent, Outcome};
use pubdata_store::{Org, RoleGrant};
use serde::Serialize;

/// How long a resolved principal (and the organisation tree) is cached: a
/// revoked token or role may still work for this long on another server.
pub const PRINCIPAL_TTL: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Via {
    /// A browser session; forms must carry its CSRF token.
    Cookie { csrf_token: String },
    /// A bearer token from `POST /api/v1/auth/login`.
    Bearer,
    /// An application API token of an organisation.
    ApiToken { token_id: i64 },
    /// An operator at the server's console (`pubdata import`), acting for
    /// an organisation with the database file in hand.
    CommandLine,
}

#[derive(Debug, Clone, Serialize)]
pub struct Principal {
    /// The user, absent for application tokens.
    pub user_id: Option<i64>,
    /// Username, or `app:<token name>` for application tokens.
    pub name: String,
    pub display_name: String,
    pub kind: &'static str,
    /// The organisation on whose behalf the caller acts.
    pub org: Option<Org>,
    pub roles: Vec<RoleGrant>,
    pub via: Via,
    /// The client's address, set per request; recorded in audit records.
    #[serde(skip)]
    pub client_ip: Option<String>,
}

impl Principal {
    pub fn is_person(&self) -> bool {
        self.user_id.is_some()
    }

    pub fn org_id(&self) -> Option<i64> {
        self.org.as_ref().map(|o| o.id)
    }

    /// An audit event for an action this caller takes.
    pub fn event(
        &self,
        action: &str,
        target: impl Into<String>,
        outcome: Outcome,
        detail: serde_json::Value,
    ) -> AuditEvent {
        AuditEvent {
            actor: self.name.clone(),
            actor_user_id: self.user_id,
            org_id: self.org_id(),
            action: action.to_string(),
            target: target.into(),
            outcome,
            detail,
            client_ip: self.client_ip.clone(),
        }
    }

    pub fn csrf_token(&self) -> Option<&str> {
        match &self.via {
            Via::Cookie { csrf_token } => Some(csrf_token),
            _ => None,
        }
    }
}

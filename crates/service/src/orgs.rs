//! Organisations, users and roles (ORG-1, ORG-2).

use std::sync::Arc;

use pubdata_domain::audit::Outcome;
use pubdata_domain::org::{Level, OrgKind, Role, UserKind, Username};
use pubdata_store::{NewOrg, NewUser, Org, OrgPatch, RoleGrant, User, UserPatch};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::policy::{Action, authorize};
use crate::principal::Principal;

pub use crate::org_tree::OrgTree;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrg {
    /// Short unique code, e.g. `qy-gaj`.
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    /// `region`, `authority`, `agency`, `enterprise` or `institution`.
    pub kind: String,
    /// `city` or `county`; taken from the parent when absent.
    pub level: Option<String>,
    pub parent_id: Option<i64>,
    pub division_code: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrg {
    pub name: Option<String>,
    pub name_en: Option<String>,
    pub parent_id: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    /// `staff` (default), `enterprise` or `person`.
    pub kind: Option<String>,
    pub org_id: Option<i64>,
    /// Roles to grant within `org_id`.
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub display_name: Option<String>,
    pub disabled: Option<bool>,
    pub password: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantRole {
    pub role: String,
    pub org_id: i64,
}

/// A user with their role grants, as the API shows them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    #[serde(flatten)]
    pub user: User,
    pub roles: Vec<RoleGrant>,
}

fn non_empty(field: &str, v: &str, max: usize) -> Result<String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(ServiceError::invalid(field, "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(ServiceError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    Ok(v.to_string())
}

fn parse_field<T: std::str::FromStr>(field: &str, v: &str) -> Result<T> {
    v.parse()
        .map_err(|_| ServiceError::invalid(field, format!("`{v}` is not an allowed value")))
}

pub(crate) fn check_password(pw: &str) -> Result<()> {
    if pw.chars().count() < pubdata_domain::org::MIN_PASSWORD_LEN || pw.len() > 256 {
        return Err(ServiceError::invalid(
            "password",
            format!(
                "a password has {} to 256 characters",
                pubdata_domain::org::MIN_PASSWORD_LEN
            ),
        ));
    }
    Ok(())
}

/// This server's copy of the organisation tree, and how many changes it
/// has seen (a tree read before a change is not cached after it).
#[derive(Default)]
pub(crate) struct TreeCache {
    cached: Option<(Arc<OrgTree>, std::time::Instant)>,
    generation: u64,
}

impl App {
    /// The cached organisation tree.
    pub async fn org_tree(&self) -> Result<Arc<OrgTree>> {
        // Kept for as long as a principal: another server's change shows here
        // within that time; this server's own changes show at once.
        let generation = {
            let c = self.tree.read().expect("tree lock");
            if let Some((t, at)) = &c.cached
                && at.elapsed() < crate::principal::PRINCIPAL_TTL
            {
                return Ok(t.clone());
            }
            c.generation
        };
        let tree = Arc::new(OrgTree::new(self.store.list_orgs().await?));
        let mut c = self.tree.write().expect("tree lock");
        // A change made while this read ran (a background job reading the
        // tree while an organisation is created) must not be hidden by
        // caching the older tree: keep it only if nothing changed meanwhile.
        if c.generation == generation {
            c.cached = Some((tree.clone(), std::time::Instant::now()));
        }
        Ok(tree)
    }

    fn org_changed(&self) {
        {
            let mut c = self.tree.write().expect("tree lock");
            c.cached = None;
            c.generation += 1;
        }
        self.forget_principals();
    }

    pub async fn authorize(&self, p: &Principal, action: Action) -> Result<()> {
        let tree = self.org_tree().await?;
        let r = authorize(p, action, &tree);
        if r.is_err() {
            // Refusals are audited too: they are how probing shows up.
            self.store
                .append_audit(p.event(
                    "authz.denied",
                    format!("{action:?}"),
                    Outcome::Denied,
                    json!({}),
                ))
                .await?;
        }
        r
    }

    pub async fn list_orgs(&self, p: &Principal) -> Result<Arc<OrgTree>> {
        self.authorize(p, Action::ViewOrgs).await?;
        self.org_tree().await
    }

    pub async fn get_org(&self, p: &Principal, id: i64) -> Result<Org> {
        self.authorize(p, Action::ViewOrgs).await?;
        self.org_tree()
            .await?
            .get(id)
            .cloned()
            .ok_or(ServiceError::NotFound {
                what: "organisation",
            })
    }

    pub async fn create_org(&self, p: &Principal, req: CreateOrg) -> Result<Org> {
        self.authorize(p, Action::ManageOrgs).await?;
        let code = non_empty("code", &req.code, 64)?;
        if !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ServiceError::invalid(
                "code",
                "ASCII letters, digits, '-' or '_'",
            ));
        }
        let kind: OrgKind = parse_field("kind", &req.kind)?;
        let tree = self.org_tree().await?;
        let parent = match req.parent_id {
            Some(id) => Some(
                tree.get(id)
                    .ok_or_else(|| ServiceError::invalid("parent_id", "no such organisation"))?
                    .clone(),
            ),
            None => None,
        };
        let level = match &req.level {
            Some(l) => Some(parse_field::<Level>("level", l)?),
            None => parent.as_ref().and_then(|p| p.level),
        };
        if matches!(kind, OrgKind::Region | OrgKind::Authority | OrgKind::Agency) && level.is_none()
        {
            return Err(ServiceError::invalid(
                "level",
                "a public body needs a level (city or county)",
            ));
        }
        if kind == OrgKind::Authority && parent.as_ref().map(|p| p.kind) != Some(OrgKind::Region) {
            return Err(ServiceError::invalid(
                "parent_id",
                "a data authority sits directly under its region",
            ));
        }
        let new = NewOrg {
            code: code.clone(),
            name: non_empty("name", &req.name, 200)?,
            name_en: req.name_en.filter(|s| !s.trim().is_empty()),
            kind,
            level,
            parent_id: req.parent_id,
            division_code: req.division_code.filter(|s| !s.trim().is_empty()),
        };
        let audit = p.event(
            "org.create",
            "",
            Outcome::Success,
            json!({"code": code, "name": new.name}),
        );
        let org = self.store.create_org(new, audit).await?;
        self.org_changed();
        Ok(org)
    }

    pub async fn update_org(&self, p: &Principal, id: i64, req: UpdateOrg) -> Result<Org> {
        self.authorize(p, Action::ManageOrgs).await?;
        let tree = self.org_tree().await?;
        if tree.get(id).is_none() {
            return Err(ServiceError::NotFound {
                what: "organisation",
            });
        }
        if let Some(parent) = req.parent_id {
            if tree.get(parent).is_none() {
                return Err(ServiceError::invalid("parent_id", "no such organisation"));
            }
            if tree.is_within(parent, id) {
                return Err(ServiceError::invalid(
                    "parent_id",
                    "an organisation cannot sit below itself",
                ));
            }
        }
        let patch = OrgPatch {
            name: req
                .name
                .as_deref()
                .map(|n| non_empty("name", n, 200))
                .transpose()?,
            name_en: req
                .name_en
                .map(|s| Some(s).filter(|s| !s.trim().is_empty())),
            parent_id: req.parent_id.map(Some),
        };
        let audit = p.event(
            "org.update",
            format!("org:{id}"),
            Outcome::Success,
            json!({"name": patch.name, "parent_id": req.parent_id}),
        );
        let org = self.store.update_org(id, patch, audit).await?;
        self.org_changed();
        Ok(org)
    }

    pub async fn list_users(&self, p: &Principal, org: Option<i64>) -> Result<Vec<UserView>> {
        self.authorize(p, Action::ViewUsers(org)).await?;
        let users = self.store.list_users(org).await?;
        let mut out = Vec::with_capacity(users.len());
        for user in users {
            let roles = self.store.roles_of(user.id).await?;
            out.push(UserView { user, roles });
        }
        Ok(out)
    }

    pub async fn get_user(&self, p: &Principal, id: i64) -> Result<UserView> {
        let user = self
            .store
            .get_user(id)
            .await
            .map_err(ServiceError::not_found("user"))?;
        if p.user_id != Some(id) {
            self.authorize(p, Action::ViewUsers(user.org_id)).await?;
        }
        let roles = self.store.roles_of(id).await?;
        Ok(UserView { user, roles })
    }

    /// Creates a user (platform admins; also used by seeding with a system principal).
    pub async fn create_user(&self, p: &Principal, req: CreateUser) -> Result<UserView> {
        self.authorize(p, Action::ManageUsers).await?;
        let username =
            Username::parse(&req.username).map_err(|m| ServiceError::invalid("username", m))?;
        check_password(&req.password)?;
        let kind: UserKind = match &req.kind {
            Some(k) => parse_field("kind", k)?,
            None => UserKind::Staff,
        };
        let tree = self.org_tree().await?;
        if let Some(org) = req.org_id
            && tree.get(org).is_none()
        {
            return Err(ServiceError::invalid("org_id", "no such organisation"));
        }
        let roles = req
            .roles
            .iter()
            .map(|r| parse_field::<Role>("roles", r))
            .collect::<Result<Vec<_>>>()?;
        if !roles.is_empty() && req.org_id.is_none() {
            return Err(ServiceError::invalid(
                "org_id",
                "roles are held within an organisation",
            ));
        }
        let hash = self.hash_password(&req.password).await?;
        let new = NewUser {
            username: username.as_str().to_string(),
            display_name: non_empty("display_name", &req.display_name, 100)?,
            kind,
            org_id: req.org_id,
            password_hash: hash,
        };
        let audit = p.event(
            "user.create",
            "",
            Outcome::Success,
            json!({"username": new.username, "org_id": new.org_id}),
        );
        let user = self
            .store
            .create_user(new, audit)
            .await
            .map_err(|e| match e {
                pubdata_store::StoreError::Conflict { .. } => ServiceError::Conflict {
                    code: "username_taken",
                    detail: format!("the username `{}` is taken", username.as_str()),
                },
                other => other.into(),
            })?;
        for role in roles {
            let org = req.org_id.expect("checked above");
            self.grant(p, user.id, role, org).await?;
        }
        let roles = self.store.roles_of(user.id).await?;
        Ok(UserView { user, roles })
    }

    pub async fn update_user(&self, p: &Principal, id: i64, req: UpdateUser) -> Result<UserView> {
        self.authorize(p, Action::ManageUsers).await?;
        if let Some(pw) = &req.password {
            check_password(pw)?;
        }
        if p.user_id == Some(id) && req.disabled == Some(true) {
            return Err(ServiceError::invalid(
                "disabled",
                "you cannot disable yourself",
            ));
        }
        let password_hash = match &req.password {
            Some(pw) => Some(self.hash_password(pw).await?),
            None => None,
        };
        let patch = UserPatch {
            display_name: req
                .display_name
                .as_deref()
                .map(|n| non_empty("display_name", n, 100))
                .transpose()?,
            disabled: req.disabled,
            password_hash,
            org_id: None,
        };
        let audit = p.event(
            "user.update",
            format!("user:{id}"),
            Outcome::Success,
            json!({"display_name": patch.display_name, "disabled": patch.disabled,
                   "password_changed": req.password.is_some()}),
        );
        let user = self
            .store
            .update_user(id, patch, audit)
            .await
            .map_err(ServiceError::not_found("user"))?;
        self.forget_principals();
        let roles = self.store.roles_of(id).await?;
        Ok(UserView { user, roles })
    }

    async fn grant(&self, p: &Principal, user: i64, role: Role, org: i64) -> Result<RoleGrant> {
        let tree = self.org_tree().await?;
        let org_kind = tree
            .kind(org)
            .ok_or_else(|| ServiceError::invalid("org_id", "no such organisation"))?;
        if role == Role::AuthorityReviewer && org_kind != OrgKind::Authority {
            return Err(ServiceError::invalid(
                "role",
                "the authority reviewer role is held at a data authority",
            ));
        }
        let audit = p.event(
            "role.grant",
            format!("user:{user}"),
            Outcome::Success,
            json!({"role": role.as_str(), "org_id": org}),
        );
        let g = self
            .store
            .grant_role(user, role, org, audit)
            .await
            .map_err(|e| match e {
                pubdata_store::StoreError::Conflict { .. } => ServiceError::Conflict {
                    code: "role_already_granted",
                    detail: "the user already holds this role in this organisation".into(),
                },
                pubdata_store::StoreError::InvalidReference => {
                    ServiceError::NotFound { what: "user" }
                }
                other => other.into(),
            })?;
        self.forget_principals();
        Ok(g)
    }

    pub async fn grant_role(&self, p: &Principal, user: i64, req: GrantRole) -> Result<RoleGrant> {
        self.authorize(p, Action::ManageUsers).await?;
        let role: Role = parse_field("role", &req.role)?;
        self.store
            .get_user(user)
            .await
            .map_err(ServiceError::not_found("user"))?;
        self.grant(p, user, role, req.org_id).await
    }

    pub async fn revoke_role(&self, p: &Principal, user: i64, grant: i64) -> Result<RoleGrant> {
        self.authorize(p, Action::ManageUsers).await?;
        let owned = self
            .store
            .roles_of(user)
            .await?
            .into_iter()
            .find(|g| g.id == grant);
        let g = owned.ok_or(ServiceError::NotFound { what: "role grant" })?;
        if p.user_id == Some(user) && g.role == Role::PlatformAdmin {
            return Err(ServiceError::invalid(
                "role",
                "you cannot remove your own platform administrator role",
            ));
        }
        let audit = p.event(
            "role.revoke",
            format!("user:{user}"),
            Outcome::Success,
            json!({"role": g.role.as_str(), "org_id": g.org_id}),
        );
        let g = self.store.revoke_role(grant, audit).await?;
        self.forget_principals();
        Ok(g)
    }
}

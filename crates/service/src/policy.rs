//! The one authorisation policy (ORG-2). Every use case asks [`authorize`]
//! before it acts; no handler or query decides access on its own.
//!
//! Roles are held within one organisation. A role held at a data authority
//! (政务服务和数据管理局) covers its whole level: the authority's region and
//! every organisation below it. A role held at an agency covers that agency.

use pubdata_domain::org::{OrgKind, Role};

use crate::error::{Result, ServiceError};
use crate::org_tree::OrgTree;
use crate::principal::Principal;

/// Everything a caller may ask to do. Later areas add their actions here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See the organisation tree (any signed-in user).
    ViewOrgs,
    ManageOrgs,
    /// List users; `Some(org)` restricts to one organisation.
    ViewUsers(Option<i64>),
    ManageUsers,
    /// Create, list and revoke the application tokens of an organisation.
    ManageTokens(i64),
    ManageCalendar,
    ReadAudit,
    /// Browse published catalogue entries (any signed-in user).
    ViewCatalog,
    /// See an organisation's unpublished entries.
    ViewUnpublishedCatalog(i64),
    /// Edit the classification tree and grading scheme (city authority).
    ManageCatalogScheme,
    /// Draft, edit and submit the entries of an agency.
    EditCatalog(i64),
    /// Review (approve / return) for this data authority, or open update obligations.
    ReviewCatalog(i64),
    /// Delist a published entry of an organisation.
    DelistCatalog(i64),
    /// Keep the collection list (采集清单) of an agency.
    ManageCollection(i64),
    /// Define and load the datasets of a source department (its data admin,
    /// or its systems with an application token).
    WriteDataset(i64),
    /// See a source department's datasets, versions and quality.
    ViewDataset(i64),
    /// See supervision figures (staleness …) across organisations.
    Supervise,
    /// See the platform's servers and background jobs (系统状态).
    ViewSystem,
    /// Ask for shared data on behalf of an organisation (its data
    /// administrator; an enterprise's or institute's applicant).
    RequestShare(i64),
    /// Answer the share requests made of a source department, and implement,
    /// suspend or revoke its grants.
    DecideShare(i64),
    /// See a share request or grant between a requester and a source.
    ViewShare {
        requester: i64,
        source: i64,
    },
    /// Grant a source department's data straight to another body without a
    /// request: backflow (回流) by the data authority over the source.
    GrantBackflow(i64),
    /// Record, file and terminate the operation agreements (授权运营协议)
    /// and earlier arrangements of an agency (its data administrator or
    /// chief data officer) or, for county operations, of a county
    /// government's data authority.
    ManageOperation(i64),
    /// Accept or return filed operation agreements and decide earlier
    /// arrangements (the city data authority, Art. 40).
    ReviewOperation,
    /// Register the government IT projects (政务信息化项目, Art. 47) and file
    /// the social data procurement demands (社会数据采购需求, Art. 17) of an
    /// agency: its data administrator or chief data officer.
    ManageDigitalProjects(i64),
    /// Accept an agency's IT projects and evaluate its procurement demands
    /// and record the unified procurement: the data authority of the
    /// agency's level (a reviewer holding the role over it).
    ReviewDigitalProjects(i64),
    /// Keep an agency's security management (安全管理, SEC-2, SEC-4): its
    /// officer, grade protection settings, checks, assessments, drills and
    /// confidentiality reviews (its data administrator, chief data officer
    /// or security officer).
    ManageSecurity(i64),
    /// Read an agency's security management: the agency, and the data
    /// authority supervising it (and admins, auditors).
    ViewSecurity(i64),
    /// Acknowledge an unusual-access alert on a grant from this source
    /// department (the supervising data authority, admins).
    SuperviseSecurity(i64),
}

/// Whether `p` holds `role` over organisation `org` (directly, or through an
/// authority whose level contains `org`).
pub fn holds(p: &Principal, role: Role, org: i64, tree: &OrgTree) -> bool {
    p.roles.iter().any(|g| {
        g.role == role
            && (g.org_id == org
                || (tree.kind(g.org_id) == Some(OrgKind::Authority)
                    && tree
                        .parent(g.org_id)
                        .is_some_and(|region| tree.is_within(org, region))))
    })
}

fn has_role(p: &Principal, role: Role) -> bool {
    p.roles.iter().any(|g| g.role == role)
}

/// Decides whether `p` may take `action`; `Err(Forbidden)` says why not.
pub fn authorize(p: &Principal, action: Action, tree: &OrgTree) -> Result<()> {
    let admin = has_role(p, Role::PlatformAdmin);
    let allowed = match action {
        Action::ViewOrgs => true,
        Action::ManageOrgs | Action::ManageUsers | Action::ManageCalendar => admin,
        Action::ViewUsers(None) => admin,
        Action::ViewUsers(Some(org)) => {
            admin
                || holds(p, Role::AgencyDataAdmin, org, tree)
                || holds(p, Role::ChiefDataOfficer, org, tree)
        }
        Action::ManageTokens(org) => {
            p.is_person()
                && p.roles
                    .iter()
                    .any(|g| g.role == Role::AgencyDataAdmin && g.org_id == org)
        }
        Action::ReadAudit | Action::ViewSystem => admin || has_role(p, Role::Auditor),
        Action::ViewCatalog => true,
        Action::ViewUnpublishedCatalog(org) => {
            admin
                || has_role(p, Role::Auditor)
                || p.roles.iter().any(|g| g.org_id == org)
                || holds(p, Role::AuthorityReviewer, org, tree)
        }
        Action::ManageCatalogScheme => {
            admin
                || p.roles.iter().any(|g| {
                    g.role == Role::AuthorityReviewer
                        && tree.get(g.org_id).and_then(|o| o.level)
                            == Some(pubdata_domain::org::Level::City)
                })
        }
        Action::EditCatalog(org) | Action::ManageCollection(org) => {
            p.is_person() && holds(p, Role::AgencyDataAdmin, org, tree)
        }
        Action::ReviewCatalog(authority) => p
            .roles
            .iter()
            .any(|g| g.role == Role::AuthorityReviewer && g.org_id == authority),
        Action::WriteDataset(org) => {
            ((p.is_person() || p.via == crate::principal::Via::CommandLine)
                && holds(p, Role::AgencyDataAdmin, org, tree))
                || (matches!(p.via, crate::principal::Via::ApiToken { .. })
                    && p.org_id() == Some(org))
        }
        Action::ViewDataset(org) => {
            admin
                || has_role(p, Role::Auditor)
                || p.roles.iter().any(|g| g.org_id == org)
                || p.org_id() == Some(org)
                || holds(p, Role::AuthorityReviewer, org, tree)
        }
        Action::Supervise => {
            admin || has_role(p, Role::Auditor) || has_role(p, Role::AuthorityReviewer)
        }
        Action::RequestShare(org) => {
            p.is_person()
                && (holds(p, Role::AgencyDataAdmin, org, tree)
                    || p.roles
                        .iter()
                        .any(|g| g.role == Role::ExternalApplicant && g.org_id == org))
        }
        Action::DecideShare(org) => {
            p.is_person()
                && (holds(p, Role::AgencyDataAdmin, org, tree)
                    || holds(p, Role::AgencyReviewer, org, tree)
                    || holds(p, Role::ChiefDataOfficer, org, tree))
        }
        Action::ViewShare { requester, source } => {
            admin
                || has_role(p, Role::Auditor)
                || p.roles
                    .iter()
                    .any(|g| g.org_id == requester || g.org_id == source)
                || p.org_id() == Some(requester)
                || holds(p, Role::AuthorityReviewer, requester, tree)
                || holds(p, Role::AuthorityReviewer, source, tree)
        }
        Action::GrantBackflow(org) => p.is_person() && holds(p, Role::AuthorityReviewer, org, tree),
        Action::ManageOperation(org) => {
            p.is_person()
                && (holds(p, Role::AgencyDataAdmin, org, tree)
                    || holds(p, Role::ChiefDataOfficer, org, tree)
                    || holds(p, Role::AuthorityReviewer, org, tree))
        }
        Action::ReviewOperation => {
            p.is_person()
                && p.roles.iter().any(|g| {
                    g.role == Role::AuthorityReviewer
                        && tree.get(g.org_id).and_then(|o| o.level)
                            == Some(pubdata_domain::org::Level::City)
                })
        }
        Action::ManageDigitalProjects(org) => {
            p.is_person()
                && (holds(p, Role::AgencyDataAdmin, org, tree)
                    || holds(p, Role::ChiefDataOfficer, org, tree))
        }
        Action::ReviewDigitalProjects(org) => {
            p.is_person() && holds(p, Role::AuthorityReviewer, org, tree)
        }
        Action::ManageSecurity(org) => {
            p.is_person()
                && (holds(p, Role::AgencyDataAdmin, org, tree)
                    || holds(p, Role::ChiefDataOfficer, org, tree)
                    || holds(p, Role::SecurityOfficer, org, tree))
        }
        Action::ViewSecurity(org) => {
            admin
                || has_role(p, Role::Auditor)
                || holds(p, Role::AgencyDataAdmin, org, tree)
                || holds(p, Role::ChiefDataOfficer, org, tree)
                || holds(p, Role::SecurityOfficer, org, tree)
                || holds(p, Role::AgencyReviewer, org, tree)
                || holds(p, Role::AuthorityReviewer, org, tree)
        }
        Action::SuperviseSecurity(org) => {
            admin || (p.is_person() && holds(p, Role::AuthorityReviewer, org, tree))
        }
        Action::DelistCatalog(org) => {
            holds(p, Role::AgencyDataAdmin, org, tree)
                || holds(p, Role::AuthorityReviewer, org, tree)
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!(
            "your roles do not allow this action ({action:?})"
        )))
    }
}

impl crate::App {
    /// Whether `p` may take any of these actions (audits a refusal of the first).
    pub async fn authorize_any(&self, p: &Principal, actions: &[Action]) -> crate::Result<()> {
        let tree = self.org_tree().await?;
        if actions.iter().any(|a| authorize(p, *a, &tree).is_ok()) {
            return Ok(());
        }
        self.authorize(p, actions[0]).await
    }

    /// Whether `p` may take `action`, without auditing a refusal: for
    /// deciding what a page offers, never for deciding an action.
    pub async fn can(&self, p: &Principal, action: Action) -> bool {
        match self.org_tree().await {
            Ok(tree) => authorize(p, action, &tree).is_ok(),
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use pubdata_domain::org::{Level, OrgKind, Role};
    use pubdata_store::{Org, RoleGrant};

    use super::*;
    use crate::principal::Via;

    // 清远市 (1) with its authority (2) and an agency (3); 英德市 (4) below it
    // with its authority (5) and an agency (6); an enterprise (7).
    fn tree() -> OrgTree {
        let org = |id, kind, level, parent| Org {
            id,
            code: format!("o{id}"),
            name: format!("org {id}"),
            name_en: None,
            kind,
            level,
            parent_id: parent,
            division_code: None,
            created_at: chrono::Utc::now(),
        };
        OrgTree::new(vec![
            org(1, OrgKind::Region, Some(Level::City), None),
            org(2, OrgKind::Authority, Some(Level::City), Some(1)),
            org(3, OrgKind::Agency, Some(Level::City), Some(1)),
            org(4, OrgKind::Region, Some(Level::County), Some(1)),
            org(5, OrgKind::Authority, Some(Level::County), Some(4)),
            org(6, OrgKind::Agency, Some(Level::County), Some(4)),
            org(7, OrgKind::Enterprise, None, Some(1)),
        ])
    }

    fn person(roles: &[(Role, i64)]) -> Principal {
        Principal {
            user_id: Some(1),
            name: "someone".into(),
            display_name: "someone".into(),
            kind: "staff",
            org: None,
            roles: roles
                .iter()
                .map(|(role, org_id)| RoleGrant {
                    id: 0,
                    user_id: 1,
                    role: *role,
                    org_id: *org_id,
                })
                .collect(),
            via: Via::Bearer,
            client_ip: None,
        }
    }

    fn app_token(org: i64) -> Principal {
        let mut p = person(&[]);
        p.user_id = None;
        p.via = Via::ApiToken { token_id: 9 };
        p.org = tree().get(org).cloned();
        p
    }

    fn allowed(p: &Principal, a: Action) -> bool {
        authorize(p, a, &tree()).is_ok()
    }

    #[test]
    fn an_authority_role_covers_its_whole_level_and_no_other() {
        let city = person(&[(Role::AuthorityReviewer, 2)]);
        let county = person(&[(Role::AuthorityReviewer, 5)]);
        assert!(holds(&city, Role::AuthorityReviewer, 3, &tree()));
        assert!(holds(&city, Role::AuthorityReviewer, 6, &tree()));
        assert!(holds(&county, Role::AuthorityReviewer, 6, &tree()));
        assert!(!holds(&county, Role::AuthorityReviewer, 3, &tree()));
        // An agency role covers the agency only.
        let agency = person(&[(Role::AgencyDataAdmin, 3)]);
        assert!(holds(&agency, Role::AgencyDataAdmin, 3, &tree()));
        assert!(!holds(&agency, Role::AgencyDataAdmin, 6, &tree()));
    }

    #[test]
    fn only_an_agencys_data_admin_or_its_own_systems_write_its_datasets() {
        assert!(allowed(
            &person(&[(Role::AgencyDataAdmin, 3)]),
            Action::WriteDataset(3)
        ));
        assert!(!allowed(
            &person(&[(Role::AgencyDataAdmin, 3)]),
            Action::WriteDataset(6)
        ));
        assert!(!allowed(
            &person(&[(Role::PlatformAdmin, 2)]),
            Action::WriteDataset(3)
        ));
        assert!(!allowed(
            &person(&[(Role::Auditor, 2)]),
            Action::WriteDataset(3)
        ));
        assert!(allowed(&app_token(3), Action::WriteDataset(3)));
        assert!(!allowed(&app_token(3), Action::WriteDataset(6)));
        // A token never manages tokens, even its own organisation's.
        assert!(!allowed(&app_token(3), Action::ManageTokens(3)));
    }

    #[test]
    fn reviewing_is_for_the_named_authority_only() {
        let city = person(&[(Role::AuthorityReviewer, 2)]);
        assert!(allowed(&city, Action::ReviewCatalog(2)));
        assert!(!allowed(&city, Action::ReviewCatalog(5)));
        assert!(allowed(&city, Action::ManageCatalogScheme));
        let county = person(&[(Role::AuthorityReviewer, 5)]);
        assert!(!allowed(&county, Action::ManageCatalogScheme));
        assert!(allowed(&county, Action::DelistCatalog(6)));
        assert!(!allowed(&county, Action::DelistCatalog(3)));
        // Operation agreements are filed with the city authority only; a
        // county authority manages its county's operations (Art. 40).
        assert!(allowed(&city, Action::ReviewOperation));
        assert!(!allowed(&county, Action::ReviewOperation));
        assert!(allowed(&county, Action::ManageOperation(6)));
        assert!(!allowed(&county, Action::ManageOperation(3)));
        // IT projects and procurement demands: the authority of the
        // agency's level (the city's covers the counties below it).
        assert!(allowed(&city, Action::ReviewDigitalProjects(3)));
        assert!(allowed(&county, Action::ReviewDigitalProjects(6)));
        assert!(!allowed(&county, Action::ReviewDigitalProjects(3)));
        let agency = person(&[(Role::AgencyDataAdmin, 3)]);
        assert!(allowed(&agency, Action::ManageDigitalProjects(3)));
        assert!(!allowed(&agency, Action::ManageDigitalProjects(6)));
        assert!(!allowed(&agency, Action::ReviewDigitalProjects(3)));
    }

    #[test]
    fn auditors_read_and_supervise_but_change_nothing() {
        let auditor = person(&[(Role::Auditor, 2)]);
        for a in [
            Action::ReadAudit,
            Action::ViewSystem,
            Action::Supervise,
            Action::ViewDataset(3),
            Action::ViewUnpublishedCatalog(6),
        ] {
            assert!(allowed(&auditor, a), "{a:?}");
        }
        for a in [
            Action::ManageOrgs,
            Action::ManageUsers,
            Action::ManageCalendar,
            Action::EditCatalog(3),
            Action::ReviewCatalog(2),
            Action::WriteDataset(3),
            Action::ManageCollection(3),
            Action::ManageOperation(3),
            Action::ReviewOperation,
        ] {
            assert!(!allowed(&auditor, a), "{a:?}");
        }
    }

    #[test]
    fn someone_without_roles_may_only_browse() {
        let nobody = person(&[]);
        assert!(allowed(&nobody, Action::ViewOrgs));
        assert!(allowed(&nobody, Action::ViewCatalog));
        for a in [
            Action::ViewUsers(None),
            Action::ViewUnpublishedCatalog(3),
            Action::ViewDataset(3),
            Action::Supervise,
            Action::ReadAudit,
            Action::EditCatalog(3),
        ] {
            assert!(!allowed(&nobody, a), "{a:?}");
        }
        let refused = authorize(&nobody, Action::ManageOrgs, &tree()).unwrap_err();
        assert!(matches!(refused, ServiceError::Forbidden(_)));
    }
}

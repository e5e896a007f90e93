//! The organisation tree in memory (机构树), the data the one policy reads.

use std::collections::HashMap;

use pubdata_domain::org::OrgKind;
use pubdata_store::Org;

/// The organisation tree in memory: small (hundreds of nodes) and read on
/// every authorisation, so it is cached and rebuilt after each change.
#[derive(Debug, Default)]
pub struct OrgTree {
    orgs: HashMap<i64, Org>,
}

impl OrgTree {
    pub fn new(orgs: Vec<Org>) -> Self {
        OrgTree {
            orgs: orgs.into_iter().map(|o| (o.id, o)).collect(),
        }
    }
    pub fn get(&self, id: i64) -> Option<&Org> {
        self.orgs.get(&id)
    }
    pub fn kind(&self, id: i64) -> Option<OrgKind> {
        self.orgs.get(&id).map(|o| o.kind)
    }
    pub fn parent(&self, id: i64) -> Option<i64> {
        self.orgs.get(&id).and_then(|o| o.parent_id)
    }
    /// Whether `org` is `ancestor` or lies below it.
    pub fn is_within(&self, org: i64, ancestor: i64) -> bool {
        let mut cur = Some(org);
        let mut steps = 0;
        while let Some(id) = cur {
            if id == ancestor {
                return true;
            }
            steps += 1;
            if steps > 64 {
                return false;
            }
            cur = self.parent(id);
        }
        false
    }
    /// The region (行政区划) an organisation belongs to: itself when it is
    /// one, else its nearest region above.
    pub fn region_of(&self, org: i64) -> Option<i64> {
        let mut cur = Some(org);
        for _ in 0..64 {
            let id = cur?;
            if self.kind(id) == Some(OrgKind::Region) {
                return Some(id);
            }
            cur = self.parent(id);
        }
        None
    }

    /// The data authority (公共数据主管部门) of a region.
    pub fn authority_of(&self, region: i64) -> Option<i64> {
        self.orgs
            .values()
            .filter(|o| o.kind == OrgKind::Authority && o.parent_id == Some(region))
            .map(|o| o.id)
            .min()
    }

    /// All organisations, parents before children, each with its depth.
    pub fn walk(&self) -> Vec<(usize, &Org)> {
        let mut children: HashMap<Option<i64>, Vec<&Org>> = HashMap::new();
        for o in self.orgs.values() {
            let parent = o.parent_id.filter(|p| self.orgs.contains_key(p));
            children.entry(parent).or_default().push(o);
        }
        for v in children.values_mut() {
            // Regions and authorities first, then agencies, each by code.
            v.sort_by_key(|o| (kind_rank(o.kind), o.code.clone()));
        }
        let mut out = Vec::new();
        let mut stack: Vec<(usize, &Org)> = children
            .get(&None)
            .map(|v| v.iter().rev().map(|o| (0, *o)).collect())
            .unwrap_or_default();
        while let Some((depth, o)) = stack.pop() {
            out.push((depth, o));
            if let Some(kids) = children.get(&Some(o.id)) {
                stack.extend(kids.iter().rev().map(|k| (depth + 1, *k)));
            }
        }
        out
    }
}

/// Order of siblings in the tree: the authority first, then agencies, regions …
fn kind_rank(k: OrgKind) -> u8 {
    match k {
        OrgKind::Authority => 0,
        OrgKind::Agency => 1,
        OrgKind::Region => 2,
        OrgKind::Institution => 3,
        OrgKind::Enterprise => 4,
    }
}

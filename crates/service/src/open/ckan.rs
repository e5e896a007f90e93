//! The CKAN-compatible read API of the open data (CKAN 兼容接口, OPN-3):
//! CKAN 2.10's Action API read subset, so that existing open-data tools and
//! harvesters (`ckanapi`, ckanext-harvest, ckanext-dcat …) work unchanged.
//!
//! The mapping:
//!
//! - a CKAN *package* is an open dataset (the same set the portal lists:
//!   `App::public_may_read`), its *organization* the providing agency, its *tags*
//!   the entry's keywords, its *resources* the three downloads (CSV, JSON,
//!   XLSX); the CSV resource is `datastore_active`, and `datastore_search`
//!   on it reads the rows through the one door
//!   (`access::open_public_read`: non-personal columns only, the access
//!   record written first, the client anonymised);
//! - names are valid CKAN names (`[a-z0-9_-]`, 2–100 characters) and stable:
//!   a package is `<entry code>-d<dataset id>` (`207-000001-d6`), an
//!   organization its agency code (`qy-gaj`); ids are UUID-shaped and
//!   derived from the row ids (a package `706b6700-0000-4000-8000-<id hex>`);
//! - parameters come as CKAN sends them (GET query strings or a JSON body);
//!   unknown parameters and bad values are CKAN's `Validation Error` (409;
//!   `package_search`: `Search Query Error`, 400, as CKAN's Solr search
//!   answers), unknown or non-open ids `Not Found Error` (404) — a refused
//!   look-up of a dataset that exists but is not open is recorded like the
//!   door's refusals.
//!
//! Every call is rate-limited like the portal (`App::take_open_rate`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pubdata_domain::audit::Outcome;
use pubdata_domain::catalog::DataType;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::open_view_of;
use crate::App;
use crate::access::NamedSearch;
use crate::error::ServiceError;
use crate::org_tree::OrgTree;
use crate::principal::Principal;

/// The actions served, each with its help text (`help_show`).
pub const ACTIONS: &[(&str, &str)] = &[
    (
        "package_list",
        "Return a list of the names of the site's open datasets (packages). \
         Parameters: limit (int), offset (int).",
    ),
    (
        "package_search",
        "Search open datasets. Parameters: q (words; abbreviations such as 社保 are understood), \
         fq (organization:<name>, owner_org:<id>, tags:<tag>, res_format:<format>, name:<name>, \
         id:<id>, license_id:<id>, metadata_modified:[<from> TO <to>]), rows (int, default 10, \
         at most 1000), start (int), sort (metadata_modified, metadata_created, title_string, \
         name, num_resources; asc or desc).",
    ),
    (
        "package_show",
        "Return the metadata of an open dataset. Parameters: id (the package's id or name).",
    ),
    (
        "organization_list",
        "Return the organizations that publish open data. Parameters: all_fields (bool), \
         sort (name, title or package_count; asc or desc), limit (int), offset (int), \
         organizations (list of names), q (words).",
    ),
    (
        "organization_show",
        "Return an organization. Parameters: id (id or name), include_datasets (bool).",
    ),
    (
        "resource_show",
        "Return a resource (a download of an open dataset). Parameters: id.",
    ),
    (
        "datastore_search",
        "Search the rows of a datastore resource. Parameters: resource_id, filters \
         (object: field → value or list of values), q (words, or object: field → words), \
         plain, language, limit (int, default 100, at most 1000), offset (int), fields \
         (list or comma-separated), sort (\"field [asc|desc], …\"), include_total (bool), \
         records_format (objects).",
    ),
    (
        "help_show",
        "Return the help text of an action. Parameters: name.",
    ),
];

/// At most this many packages in one `package_search` page (CKAN's
/// `ckan.search.rows_max`).
pub const ROWS_MAX: i64 = 1000;
/// At most this many rows in one `datastore_search` answer.
pub const DATASTORE_MAX: i64 = 1000;

/// A CKAN error: its `__type`, HTTP status and body.
#[derive(Debug)]
pub enum CkanError {
    /// 404 `Not Found Error`.
    NotFound(String),
    /// 409 `Validation Error`: field → messages.
    Validation(BTreeMap<String, Vec<String>>),
    /// 400 `Search Query Error`.
    SearchQuery(String),
    /// 400: not an action, or not a request CKAN understands.
    BadRequest(String),
    /// 403 `Authorization Error` (an invalid API token).
    Authorization(String),
    /// 429: the client's rate limit is reached.
    RateLimited(u64),
    /// 503: the database is unavailable.
    Unavailable,
    /// 500: logged, never detailed to the client.
    Internal(ServiceError),
}

impl CkanError {
    fn invalid(field: &str, message: impl Into<String>) -> CkanError {
        CkanError::Validation(BTreeMap::from([(field.to_string(), vec![message.into()])]))
    }

    /// The HTTP status CKAN answers with.
    pub fn status(&self) -> u16 {
        match self {
            CkanError::NotFound(_) => 404,
            CkanError::Validation(_) => 409,
            CkanError::SearchQuery(_) | CkanError::BadRequest(_) => 400,
            CkanError::Authorization(_) => 403,
            CkanError::RateLimited(_) => 429,
            CkanError::Unavailable => 503,
            CkanError::Internal(_) => 500,
        }
    }

    /// The `error` object of CKAN's envelope.
    pub fn body(&self) -> Value {
        match self {
            CkanError::NotFound(m) => json!({"__type": "Not Found Error", "message": m}),
            CkanError::Validation(fields) => {
                let mut o: Map<String, Value> =
                    fields.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                o.insert("__type".into(), json!("Validation Error"));
                Value::Object(o)
            }
            CkanError::SearchQuery(m) => json!({"__type": "Search Query Error",
                "message": format!("Search Query is invalid: {m}")}),
            CkanError::BadRequest(m) => {
                json!({"__type": "Bad Request", "message": format!("Bad request - {m}")})
            }
            CkanError::Authorization(m) => json!({"__type": "Authorization Error", "message": m}),
            CkanError::RateLimited(secs) => json!({"__type": "Rate Limit Error",
                "message": format!("too many requests; try again in {secs} seconds")}),
            CkanError::Unavailable => json!({"__type": "Service Unavailable",
                "message": "the database is unavailable; try again shortly"}),
            CkanError::Internal(_) => {
                json!({"__type": "Internal Error", "message": "internal error"})
            }
        }
    }
}

impl From<ServiceError> for CkanError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound { .. } => CkanError::NotFound("Not found".into()),
            ServiceError::Invalid { errors, detail, .. } => {
                let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for f in errors {
                    m.entry(f.field).or_default().push(f.message);
                }
                if m.is_empty() {
                    m.insert("__before".into(), vec![detail]);
                }
                CkanError::Validation(m)
            }
            ServiceError::RateLimited { retry_after_secs } => {
                CkanError::RateLimited(retry_after_secs)
            }
            ServiceError::Unauthenticated | ServiceError::Forbidden(_) => {
                CkanError::Authorization(e.to_string())
            }
            ServiceError::Unavailable => CkanError::Unavailable,
            other => CkanError::Internal(other),
        }
    }
}

type Ckan<T> = std::result::Result<T, CkanError>;

// ---- names and ids --------------------------------------------------------

/// A valid CKAN name from `s`: lowercase, other characters as `-`.
fn ckan_slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            c
        } else {
            '-'
        };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out.trim_matches('-').to_string()
}

/// A package's CKAN name: its entry code and dataset id (`207-000001-d6`).
pub fn package_name(entry_code: &str, dataset_id: i64) -> String {
    let code = ckan_slug(entry_code);
    if code.is_empty() {
        format!("dataset-d{dataset_id}")
    } else {
        format!("{code}-d{dataset_id}")
    }
}

fn uuid(kind: u32, sub: u16, id: i64) -> String {
    format!("{kind:08x}-0000-4000-{:04x}-{id:012x}", 0x8000 | sub)
}

/// `pkg`, `res`, `org` in ASCII.
const PKG: u32 = 0x706b_6700;
const RES: u32 = 0x7265_7300;
const ORG: u32 = 0x6f72_6700;

fn parse_uuid(kind: u32, s: &str) -> Option<(u16, i64)> {
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() != 5
        || parts[0] != format!("{kind:08x}")
        || parts[1] != "0000"
        || parts[2] != "4000"
        || parts[3].len() != 4
        || parts[4].len() != 12
    {
        return None;
    }
    let sub = u16::from_str_radix(parts[3], 16)
        .ok()?
        .checked_sub(0x8000)?;
    let id = i64::from_str_radix(parts[4], 16).ok()?;
    (id > 0 && s == uuid(kind, sub, id)).then_some((sub, id))
}

/// A package's id.
pub fn package_id(dataset_id: i64) -> String {
    uuid(PKG, 0, dataset_id)
}

/// An organization's id.
pub fn organization_id(org_id: i64) -> String {
    uuid(ORG, 0, org_id)
}

/// The downloads of an open dataset, as its resources: (format, media
/// type, `format=` value).
const FORMATS: [(&str, &str, &str); 3] = [
    ("CSV", "text/csv", "csv"),
    ("JSON", "application/json", "json"),
    (
        "XLSX",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
];

/// A resource's id: the dataset and its download (1 CSV, 2 JSON, 3 XLSX).
pub fn resource_id(dataset_id: i64, format: usize) -> String {
    uuid(RES, format as u16 + 1, dataset_id)
}

/// The dataset id a package id or name names, if it could name one.
fn package_ref(s: &str) -> Option<i64> {
    if let Some((0, id)) = parse_uuid(PKG, s) {
        return Some(id);
    }
    let (_, digits) = s.rsplit_once("-d")?;
    let id: i64 = digits.parse().ok()?;
    (id > 0 && id.to_string() == digits).then_some(id)
}

/// A CKAN organization's name: the agency's code as a CKAN name.
fn organization_name(org: &pubdata_store::Org) -> String {
    let slug = ckan_slug(&org.code);
    if slug.len() >= 2 {
        slug
    } else {
        format!("org-{}", org.id)
    }
}

/// CKAN's timestamps: UTC, without a zone, to the microsecond.
fn ckan_time(t: DateTime<Utc>) -> String {
    t.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// Percent-encodes a query-string value.
fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---- the documents ---------------------------------------------------------

/// A CKAN organization.
#[derive(Debug, Clone, Serialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub title: String,
    pub display_name: String,
    pub description: String,
    pub image_url: String,
    pub image_display_url: String,
    pub created: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub is_organization: bool,
    pub approval_status: &'static str,
    pub state: &'static str,
    /// Open datasets it publishes (`organization_list` with `all_fields`,
    /// `organization_show`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_count: Option<usize>,
    /// `organization_show` with `include_datasets`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packages: Option<Vec<Package>>,
}

/// A CKAN tag (a keyword of the entry).
#[derive(Debug, Clone, Serialize)]
pub struct Tag {
    pub name: String,
    pub display_name: String,
    pub state: &'static str,
    pub vocabulary_id: Option<String>,
}

/// A CKAN resource: one download of an open dataset.
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    pub id: String,
    pub package_id: String,
    pub name: String,
    pub description: String,
    pub format: &'static str,
    pub mimetype: &'static str,
    pub url: String,
    pub url_type: Option<String>,
    pub datastore_active: bool,
    pub created: String,
    pub last_modified: Option<String>,
    pub metadata_modified: String,
    pub position: usize,
    pub state: &'static str,
    pub size: Option<i64>,
    pub hash: String,
    pub cache_url: Option<String>,
    pub resource_type: Option<String>,
}

/// A CKAN extra (`{key, value}`).
#[derive(Debug, Clone, Serialize)]
pub struct Extra {
    pub key: &'static str,
    pub value: String,
}

/// A CKAN package: one open dataset.
#[derive(Debug, Clone, Serialize)]
pub struct Package {
    pub id: String,
    pub name: String,
    pub title: String,
    pub notes: String,
    pub url: String,
    pub version: String,
    pub author: String,
    pub author_email: Option<String>,
    pub maintainer: String,
    pub maintainer_email: Option<String>,
    pub license_id: &'static str,
    pub license_title: &'static str,
    pub license_url: Option<String>,
    pub isopen: bool,
    pub private: bool,
    pub state: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub metadata_created: String,
    pub metadata_modified: String,
    pub creator_user_id: Option<String>,
    pub owner_org: String,
    pub organization: Organization,
    pub tags: Vec<Tag>,
    pub num_tags: usize,
    pub groups: Vec<Value>,
    pub extras: Vec<Extra>,
    pub resources: Vec<Resource>,
    pub num_resources: usize,
    pub relationships_as_object: Vec<Value>,
    pub relationships_as_subject: Vec<Value>,
}

/// CKAN's type of a datastore field.
fn field_type(t: DataType) -> &'static str {
    match t {
        DataType::String => "text",
        DataType::Integer => "int",
        DataType::Decimal => "numeric",
        DataType::Date => "date",
        DataType::Datetime => "timestamp",
        DataType::Boolean => "bool",
    }
}

/// A stored value as CKAN's datastore answers it: numbers and booleans
/// typed when they read as such, text otherwise.
fn typed(t: DataType, v: Option<String>) -> Value {
    let Some(v) = v else { return Value::Null };
    match t {
        DataType::Integer => v
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or(Value::String(v)),
        DataType::Decimal => v
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::String(v)),
        DataType::Boolean => match v.as_str() {
            "true" | "1" | "是" => Value::Bool(true),
            "false" | "0" | "否" => Value::Bool(false),
            _ => Value::String(v),
        },
        _ => Value::String(v),
    }
}

/// What a package is made of.
type Open = super::Loaded;

fn organization(org: &pubdata_store::Org) -> Organization {
    Organization {
        id: organization_id(org.id),
        name: organization_name(org),
        title: org.name.clone(),
        display_name: org.name.clone(),
        description: org.name_en.clone().unwrap_or_default(),
        image_url: String::new(),
        image_display_url: String::new(),
        created: ckan_time(org.created_at),
        kind: "organization",
        is_organization: true,
        approval_status: "approved",
        state: "active",
        package_count: None,
        packages: None,
    }
}

impl Open {
    fn modified(&self) -> DateTime<Utc> {
        self.dataset
            .last_load_at
            .map_or(self.entry.updated_at, |l| l.max(self.entry.updated_at))
    }

    fn package(&self, tree: &OrgTree, site: &str) -> Package {
        let v = &self.view;
        let id = package_id(v.id);
        let created = ckan_time(self.dataset.created_at);
        let modified = ckan_time(self.modified());
        let org = tree
            .get(v.org_id)
            .map(organization)
            .unwrap_or_else(|| Organization {
                id: organization_id(v.org_id),
                name: format!("org-{}", v.org_id),
                title: v.org_name.clone(),
                display_name: v.org_name.clone(),
                description: String::new(),
                image_url: String::new(),
                image_display_url: String::new(),
                created: created.clone(),
                kind: "organization",
                is_organization: true,
                approval_status: "approved",
                state: "active",
                package_count: None,
                packages: None,
            });
        let resources: Vec<Resource> = FORMATS
            .iter()
            .enumerate()
            .map(|(i, (format, mime, param))| Resource {
                id: resource_id(v.id, i),
                package_id: id.clone(),
                name: format!("{} ({format})", v.title),
                description: format!("{}（{format}），共 {} 行", v.title, v.row_count),
                format,
                mimetype: mime,
                url: format!(
                    "{site}/api/v1/open/datasets/{}/download?format={param}",
                    v.id
                ),
                url_type: None,
                datastore_active: i == 0,
                created: created.clone(),
                last_modified: v.updated_at.map(ckan_time),
                metadata_modified: modified.clone(),
                position: i,
                state: "active",
                size: None,
                hash: String::new(),
                cache_url: None,
                resource_type: None,
            })
            .collect();
        let tags: Vec<Tag> = v
            .keywords
            .iter()
            .map(|k| Tag {
                name: k.clone(),
                display_name: k.clone(),
                state: "active",
                vocabulary_id: None,
            })
            .collect();
        let frequency = self.entry.content.update_frequency;
        Package {
            id,
            name: package_name(&v.entry_code, v.id),
            title: v.title.clone(),
            notes: v.summary.clone(),
            url: format!("{site}/open/datasets/{}", v.id),
            version: v.version.to_string(),
            author: v.org_name.clone(),
            author_email: None,
            maintainer: v.org_name.clone(),
            maintainer_email: None,
            license_id: "other-open",
            license_title: "Other (Open)",
            license_url: None,
            isopen: true,
            private: false,
            state: "active",
            kind: "dataset",
            metadata_created: created,
            metadata_modified: modified,
            creator_user_id: None,
            owner_org: org.id.clone(),
            organization: org,
            num_tags: tags.len(),
            tags,
            groups: vec![],
            extras: vec![
                Extra {
                    key: "identifier",
                    value: v.entry_code.clone(),
                },
                Extra {
                    key: "theme",
                    value: v.classification.clone(),
                },
                Extra {
                    key: "frequency",
                    value: crate::catalog_export::frequency_uri(frequency).to_string(),
                },
                Extra {
                    key: "update_frequency",
                    value: v.update_frequency.clone(),
                },
                Extra {
                    key: "row_count",
                    value: v.row_count.to_string(),
                },
            ],
            num_resources: resources.len(),
            resources,
            relationships_as_object: vec![],
            relationships_as_subject: vec![],
        }
    }
}

// ---- parameters --------------------------------------------------------------

/// An action's parameters, as sent (query string values are strings, a
/// JSON body's keep their types). Each parameter read is taken; what is
/// left is unknown.
struct Params(Map<String, Value>);

impl Params {
    fn take(&mut self, k: &str) -> Option<Value> {
        self.0.remove(k).filter(|v| !v.is_null())
    }

    fn string(&mut self, k: &str) -> Ckan<Option<String>> {
        match self.take(k) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(CkanError::invalid(k, "Must be a string")),
        }
    }

    fn required(&mut self, k: &str) -> Ckan<String> {
        self.string(k)?
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| CkanError::invalid(k, "Missing value"))
    }

    /// A natural number up to `max` (CKAN clamps larger values to its
    /// configured maximum).
    fn natural(&mut self, k: &str, max: i64) -> Ckan<Option<i64>> {
        let n = match self.take(k) {
            None => return Ok(None),
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
            Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
            Some(_) => None,
        };
        let n = n.ok_or_else(|| CkanError::invalid(k, "Invalid integer"))?;
        if n < 0 {
            return Err(CkanError::invalid(k, "Must be a natural number"));
        }
        Ok(Some(n.min(max)))
    }

    fn boolean(&mut self, k: &str) -> Ckan<Option<bool>> {
        match self.take(k) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(Some(true)),
                "false" | "0" | "no" | "off" | "" => Ok(Some(false)),
                _ => Err(CkanError::invalid(k, "Value must be one of: true; false")),
            },
            Some(Value::Number(n)) => Ok(Some(n.as_i64() != Some(0))),
            Some(_) => Err(CkanError::invalid(k, "Value must be one of: true; false")),
        }
    }

    /// A JSON value sent as JSON or as a string holding JSON (GET).
    fn json(&mut self, k: &str) -> Ckan<Option<Value>> {
        match self.take(k) {
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) if s.trim_start().starts_with(['{', '[']) => {
                serde_json::from_str(&s).map(Some).map_err(|e| {
                    CkanError::invalid(k, format!("Could not parse as valid JSON: {e}"))
                })
            }
            other => Ok(other),
        }
    }

    /// A list sent as a JSON list or a comma-separated string.
    fn list(&mut self, k: &str) -> Ckan<Option<Vec<String>>> {
        match self.json(k)? {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(
                s.split(',')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect(),
            )),
            Some(Value::Array(a)) => a
                .into_iter()
                .map(|x| match x {
                    Value::String(s) => Ok(s.trim().to_string()),
                    _ => Err(CkanError::invalid(k, "Must be a list of strings")),
                })
                .collect::<Ckan<Vec<_>>>()
                .map(Some),
            Some(_) => Err(CkanError::invalid(k, "Must be a list of strings")),
        }
    }

    /// Parameters CKAN accepts and this subset ignores.
    fn ignore(&mut self, keys: &[&str]) {
        for k in keys {
            self.0.remove(*k);
        }
    }

    /// CKAN's answer to parameters it does not expect.
    fn done(self) -> Ckan<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = self.0.keys().map(|k| format!("'{k}'")).collect();
        Err(CkanError::invalid(
            "__junk",
            format!("The input field [{}] was not expected.", names.join(", ")),
        ))
    }
}

/// A `sort` of `field [asc|desc], …`.
fn sort_clauses(s: &str) -> Vec<(String, bool)> {
    s.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            let mut words = c.split_whitespace();
            let field = words
                .next()
                .unwrap_or_default()
                .trim_matches('"')
                .to_string();
            let desc = words.next().is_some_and(|d| d.eq_ignore_ascii_case("desc"));
            (field, desc)
        })
        .collect()
}

/// One clause of a `package_search` `fq`.
#[derive(Debug, Clone, PartialEq)]
enum Fq {
    Organization(String),
    OwnerOrg(String),
    Tag(String),
    Format(String),
    Name(String),
    Id(String),
    License(String),
    /// metadata_modified within [from, to] (`*`: open).
    Modified(Option<String>, Option<String>),
    /// `dataset_type:dataset`, `state:active` …: every open dataset.
    Any,
}

/// Splits an `fq` into `field:value` clauses (values quoted or in
/// brackets may hold spaces).
fn parse_fq(fq: &str) -> Ckan<Vec<Fq>> {
    let mut tokens = vec![];
    let mut cur = String::new();
    let (mut quoted, mut depth) = (false, 0);
    for c in fq.chars() {
        match c {
            '"' => quoted = !quoted,
            '[' | '{' if !quoted => depth += 1,
            ']' | '}' if !quoted => depth -= 1,
            _ => {}
        }
        if c.is_whitespace() && !quoted && depth == 0 {
            if !cur.is_empty() {
                tokens.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    let mut out = vec![];
    for t in tokens {
        if t == "AND" || t == "&&" {
            continue;
        }
        let t = t.strip_prefix('+').unwrap_or(&t);
        let Some((field, value)) = t.split_once(':') else {
            return Err(CkanError::SearchQuery(format!(
                "\"fq: {t}: expected field:value\""
            )));
        };
        let value = value.trim_matches('"').to_string();
        out.push(match field {
            "organization" => Fq::Organization(value),
            "owner_org" => Fq::OwnerOrg(value),
            "tags" => Fq::Tag(value),
            "res_format" => Fq::Format(value),
            "name" => Fq::Name(value),
            "id" => Fq::Id(value),
            "license_id" => Fq::License(value),
            "dataset_type" | "type" if value == "dataset" => Fq::Any,
            "state" if value == "active" => Fq::Any,
            "capacity" if value == "public" => Fq::Any,
            "metadata_modified" => {
                let inner = value
                    .strip_prefix(['[', '{'])
                    .and_then(|v| v.strip_suffix([']', '}']))
                    .ok_or_else(|| {
                        CkanError::SearchQuery(format!("\"fq: {t}: expected [from TO to]\""))
                    })?;
                let (from, to) = inner.split_once(" TO ").ok_or_else(|| {
                    CkanError::SearchQuery(format!("\"fq: {t}: expected [from TO to]\""))
                })?;
                let bound = |b: &str| {
                    let b = b.trim();
                    (b != "*").then(|| b.trim_end_matches('Z').to_string())
                };
                Fq::Modified(bound(from), bound(to))
            }
            _ => {
                return Err(CkanError::SearchQuery(format!(
                    "\"fq: field {field} cannot be searched\""
                )));
            }
        });
    }
    Ok(out)
}

// ---- the actions ------------------------------------------------------------------

impl App {
    /// Answers one CKAN action: its `result`, or CKAN's error. `site` is
    /// the address the caller reached (links are absolute, as CKAN's).
    pub async fn ckan_action(
        &self,
        p: &Principal,
        action: &str,
        params: Map<String, Value>,
        site: &str,
    ) -> Ckan<Value> {
        if !ACTIONS.iter().any(|(a, _)| *a == action) {
            return Err(CkanError::BadRequest(format!(
                "Action name not known: {action}"
            )));
        }
        self.take_open_rate(p, 1.0)?;
        let mut params = Params(params);
        let value = match action {
            "package_list" => json!(self.ckan_package_list(&mut params).await?),
            "package_search" => self.ckan_package_search(&mut params, site).await?,
            "package_show" => {
                let id = params.required("id")?;
                params.ignore(&[
                    "use_default_schema",
                    "include_tracking",
                    "include_plugin_data",
                ]);
                params.done()?;
                json!(self.ckan_package(p, &id, "package_show", site).await?)
            }
            "organization_list" => self.ckan_organization_list(&mut params).await?,
            "organization_show" => self.ckan_organization_show(&mut params, site).await?,
            "resource_show" => {
                let id = params.required("id")?;
                params.ignore(&["include_tracking"]);
                params.done()?;
                json!(self.ckan_resource(p, &id, site).await?.0)
            }
            "datastore_search" => self.ckan_datastore_search(p, &mut params).await?,
            "help_show" => {
                let name = params.required("name")?;
                params.done()?;
                let help = ACTIONS.iter().find(|(a, _)| *a == name).ok_or_else(|| {
                    CkanError::NotFound(format!("Action function not found: {name}"))
                })?;
                json!(help.1)
            }
            _ => unreachable!("listed in ACTIONS"),
        };
        Ok(value)
    }

    /// Every open dataset matching `q` (of `org`), loaded.
    async fn ckan_open(&self, q: Option<&str>, org: Option<i64>) -> Ckan<Vec<Open>> {
        Ok(self.open_loaded(q, org).await?)
    }

    /// The open dataset `id` (a package's id or name) names: 404 for
    /// anything else; a look-up of a dataset that is not open is recorded.
    async fn ckan_lookup(&self, p: &Principal, id: &str, action: &str) -> Ckan<Open> {
        let not_found = || CkanError::NotFound("Not found".into());
        let dataset_id = package_ref(id).ok_or_else(not_found)?;
        let list = self.open_list().await?;
        let Some(open) = list.public(dataset_id) else {
            self.store
                .append_audit(p.event(
                    "dataset.read",
                    format!("dataset:{dataset_id}"),
                    Outcome::Denied,
                    json!({"basis": "open", "asked": {"ckan": action, "id": id}}),
                ))
                .await
                .map_err(ServiceError::from)?;
            return Err(not_found());
        };
        let tree = self.org_tree().await?;
        let open = Open {
            view: open_view_of(&open.dataset, &open.entry, &tree),
            entry: open.entry.clone(),
            dataset: open.dataset.clone(),
        };
        // A name must be the package's own (a stale or invented one is not).
        if id != package_id(dataset_id) && id != package_name(&open.view.entry_code, dataset_id) {
            return Err(not_found());
        }
        Ok(open)
    }

    async fn ckan_package(
        &self,
        p: &Principal,
        id: &str,
        action: &str,
        site: &str,
    ) -> Ckan<Package> {
        let open = self.ckan_lookup(p, id, action).await?;
        let tree = self.org_tree().await?;
        Ok(open.package(&tree, site))
    }

    /// A resource and its position among its package's downloads.
    async fn ckan_resource(&self, p: &Principal, id: &str, site: &str) -> Ckan<(Resource, Open)> {
        let not_found = || CkanError::NotFound("Resource was not found.".into());
        let (sub, dataset_id) = parse_uuid(RES, id).ok_or_else(not_found)?;
        if !(1..=FORMATS.len() as u16).contains(&sub) {
            return Err(not_found());
        }
        let open = self
            .ckan_lookup(p, &package_id(dataset_id), "resource_show")
            .await
            .map_err(|e| match e {
                CkanError::NotFound(_) => not_found(),
                e => e,
            })?;
        let tree = self.org_tree().await?;
        let mut package = open.package(&tree, site);
        let resource = package.resources.swap_remove(sub as usize - 1);
        Ok((resource, open))
    }

    async fn ckan_package_list(&self, params: &mut Params) -> Ckan<Vec<String>> {
        let limit = params.natural("limit", i64::MAX)?;
        let offset = params.natural("offset", i64::MAX)?.unwrap_or(0);
        std::mem::take(params).done()?;
        let mut names: Vec<String> = self
            .ckan_open(None, None)
            .await?
            .iter()
            .map(|o| package_name(&o.view.entry_code, o.view.id))
            .collect();
        names.sort();
        Ok(names
            .into_iter()
            .skip(offset as usize)
            .take(limit.map_or(usize::MAX, |l| l as usize))
            .collect())
    }

    async fn ckan_package_search(&self, params: &mut Params, site: &str) -> Ckan<Value> {
        let q = params.string("q")?;
        let fq = params.string("fq")?;
        let mut fq_list = params.list("fq_list")?.unwrap_or_default();
        let rows = params.natural("rows", ROWS_MAX)?.unwrap_or(10);
        let start = params.natural("start", i64::MAX)?.unwrap_or(0);
        let sort = params
            .string("sort")?
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| "score desc, metadata_modified desc".into());
        params.ignore(&[
            "facet",
            "facet.field",
            "facet.limit",
            "facet.mincount",
            "include_private",
            "include_drafts",
            "include_deleted",
            "use_default_schema",
            "defType",
            "qf",
        ]);
        // CKAN passes what is left to Solr, which refuses it.
        if !params.0.is_empty() {
            let names: Vec<String> = params.0.keys().map(|k| format!("'{k}'")).collect();
            return Err(CkanError::SearchQuery(format!(
                "\"Invalid search parameters: [{}]\"",
                names.join(", ")
            )));
        }
        let q = q
            .map(|q| q.trim().to_string())
            .filter(|q| !q.is_empty() && q != "*:*" && q != "*");
        if q.as_deref().is_some_and(|q| q.chars().count() > 100) {
            return Err(CkanError::invalid("q", "at most 100 characters"));
        }
        fq_list.extend(fq);
        let mut clauses = vec![];
        for f in &fq_list {
            clauses.extend(parse_fq(f)?);
        }
        let order: Vec<(String, bool)> = sort_clauses(&sort);
        for (field, _) in &order {
            if ![
                "score",
                "metadata_modified",
                "metadata_created",
                "title_string",
                "title",
                "name",
                "num_resources",
                "num_tags",
                "views_recent",
            ]
            .contains(&field.as_str())
            {
                return Err(CkanError::SearchQuery(format!(
                    "\"sort: can not sort on field {field}\""
                )));
            }
        }
        let tree = self.org_tree().await?;
        // An organization named in `fq` narrows the store's search.
        let mut org = None;
        for c in &clauses {
            let named = match c {
                Fq::Organization(n) => Some(self.ckan_find_org(&tree, n)),
                Fq::OwnerOrg(id) => Some(parse_uuid(ORG, id).map(|(_, id)| id)),
                _ => None,
            };
            match (named, org) {
                (None, _) => {}
                (Some(Some(id)), None) => org = Some(id),
                (Some(Some(id)), Some(o)) if id == o => {}
                // An unknown organization, or two: nothing matches.
                (Some(_), _) => return Ok(search_result(vec![], 0, &sort)),
            }
        }
        let mut found: Vec<Open> = self.ckan_open(q.as_deref(), org).await?;
        found.retain(|o| {
            clauses.iter().all(|c| match c {
                Fq::Tag(t) => o.view.keywords.iter().any(|k| k == t),
                Fq::Format(f) => FORMATS.iter().any(|(x, _, _)| x.eq_ignore_ascii_case(f)),
                Fq::Name(n) => package_name(&o.view.entry_code, o.view.id) == *n,
                Fq::Id(id) => package_id(o.view.id) == *id,
                Fq::License(l) => l == "other-open",
                Fq::Modified(from, to) => {
                    let m = ckan_time(o.modified());
                    from.as_ref().is_none_or(|f| m.as_str() >= f.as_str())
                        && to.as_ref().is_none_or(|t| m.as_str() <= t.as_str())
                }
                Fq::Organization(_) | Fq::OwnerOrg(_) | Fq::Any => true,
            })
        });
        // Stable: ties keep the id order; `score` (no ranking) keeps it too.
        for (field, desc) in order.iter().rev() {
            let key = |o: &Open| -> String {
                match field.as_str() {
                    "metadata_modified" => ckan_time(o.modified()),
                    "metadata_created" => ckan_time(o.dataset.created_at),
                    "title_string" | "title" => o.view.title.clone(),
                    "name" => package_name(&o.view.entry_code, o.view.id),
                    "num_tags" => format!("{:010}", o.view.keywords.len()),
                    _ => String::new(),
                }
            };
            found.sort_by(|a, b| {
                let ord = key(a).cmp(&key(b));
                if *desc { ord.reverse() } else { ord }
            });
        }
        let count = found.len();
        let results: Vec<Package> = found
            .iter()
            .skip(start as usize)
            .take(rows as usize)
            .map(|o| o.package(&tree, site))
            .collect();
        Ok(search_result(results, count, &sort))
    }

    /// The organization a CKAN name or id names, if it publishes open data.
    fn ckan_find_org(&self, tree: &OrgTree, name: &str) -> Option<i64> {
        if let Some((0, id)) = parse_uuid(ORG, name) {
            return tree.get(id).map(|o| o.id);
        }
        tree.walk()
            .into_iter()
            .map(|(_, o)| o)
            .find(|o| organization_name(o) == name)
            .map(|o| o.id)
    }

    /// The publishing organizations (with at least one open dataset) and
    /// their open datasets.
    async fn ckan_publishers(&self) -> Ckan<Vec<(pubdata_store::Org, Vec<Open>)>> {
        let tree = self.org_tree().await?;
        let mut by_org: BTreeMap<i64, Vec<Open>> = BTreeMap::new();
        for o in self.ckan_open(None, None).await? {
            by_org.entry(o.view.org_id).or_default().push(o);
        }
        Ok(by_org
            .into_iter()
            .filter_map(|(id, opens)| tree.get(id).map(|o| (o.clone(), opens)))
            .collect())
    }

    async fn ckan_organization_list(&self, params: &mut Params) -> Ckan<Value> {
        let all_fields = params.boolean("all_fields")?.unwrap_or(false);
        let sort = params.string("sort")?.unwrap_or_else(|| "name asc".into());
        let limit = params.natural("limit", 1000)?;
        let offset = params.natural("offset", i64::MAX)?.unwrap_or(0);
        let only = params.list("organizations")?;
        let q = params.string("q")?.map(|q| q.trim().to_lowercase());
        params.ignore(&[
            "include_dataset_count",
            "include_extras",
            "include_tags",
            "include_groups",
            "include_users",
            "include_member_count",
            "type",
        ]);
        std::mem::take(params).done()?;
        let order = sort_clauses(&sort);
        for (f, _) in &order {
            if !["name", "title", "package_count"].contains(&f.as_str()) {
                return Err(CkanError::invalid(
                    "sort",
                    format!("cannot sort by field `{f}`"),
                ));
            }
        }
        let mut orgs: Vec<Organization> = self
            .ckan_publishers()
            .await?
            .into_iter()
            .map(|(org, opens)| Organization {
                package_count: Some(opens.len()),
                ..organization(&org)
            })
            .filter(|o| only.as_ref().is_none_or(|n| n.contains(&o.name)))
            .filter(|o| {
                q.as_ref().is_none_or(|q| {
                    o.name.contains(q.as_str()) || o.title.to_lowercase().contains(q.as_str())
                })
            })
            .collect();
        orgs.sort_by(|a, b| a.name.cmp(&b.name));
        for (field, desc) in order.iter().rev() {
            orgs.sort_by(|a, b| {
                let ord = match field.as_str() {
                    "title" => a.title.cmp(&b.title),
                    "package_count" => a.package_count.cmp(&b.package_count),
                    _ => a.name.cmp(&b.name),
                };
                if *desc { ord.reverse() } else { ord }
            });
        }
        let page = orgs
            .into_iter()
            .skip(offset as usize)
            .take(limit.map_or(usize::MAX, |l| l as usize));
        Ok(if all_fields {
            json!(page.collect::<Vec<_>>())
        } else {
            json!(page.map(|o| o.name).collect::<Vec<_>>())
        })
    }

    async fn ckan_organization_show(&self, params: &mut Params, site: &str) -> Ckan<Value> {
        let id = params.required("id")?;
        let include = params.boolean("include_datasets")?.unwrap_or(false);
        params.ignore(&[
            "include_dataset_count",
            "include_extras",
            "include_users",
            "include_groups",
            "include_tags",
            "include_followers",
        ]);
        std::mem::take(params).done()?;
        let tree = self.org_tree().await?;
        let wanted = self.ckan_find_org(&tree, &id);
        let (org, opens) = self
            .ckan_publishers()
            .await?
            .into_iter()
            .find(|(o, _)| Some(o.id) == wanted)
            .ok_or_else(|| CkanError::NotFound("Group not found".into()))?;
        Ok(json!(Organization {
            package_count: Some(opens.len()),
            packages: include.then(|| opens.iter().map(|o| o.package(&tree, site)).collect()),
            ..organization(&org)
        }))
    }

    async fn ckan_datastore_search(&self, p: &Principal, params: &mut Params) -> Ckan<Value> {
        let id = match params.string("resource_id")? {
            Some(id) => Some(id),
            None => params.string("id")?,
        }
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| CkanError::invalid("resource_id", "Missing value"))?;
        let filters = params.json("filters")?;
        let q = params.json("q")?;
        let plain = params.boolean("plain")?.unwrap_or(true);
        let _language = params.string("language")?;
        let limit = params.natural("limit", DATASTORE_MAX)?.unwrap_or(100);
        let offset = params.natural("offset", i64::MAX)?.unwrap_or(0);
        let fields = params.list("fields")?;
        let sort = match params.json("sort")? {
            None => vec![],
            Some(Value::String(s)) => sort_clauses(&s),
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| x.as_str().map(sort_clauses))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| CkanError::invalid("sort", "Must be a string or list of strings"))?
                .into_iter()
                .flatten()
                .collect(),
            Some(_) => {
                return Err(CkanError::invalid(
                    "sort",
                    "Must be a string or list of strings",
                ));
            }
        };
        let include_total = params.boolean("include_total")?.unwrap_or(true);
        let distinct = params.boolean("distinct")?.unwrap_or(false);
        let format = params
            .string("records_format")?
            .unwrap_or_else(|| "objects".into());
        params.ignore(&["total_estimation_threshold", "full_text"]);
        std::mem::take(params).done()?;
        if distinct {
            return Err(CkanError::invalid(
                "distinct",
                "not supported: rows are distinct by key",
            ));
        }
        if format != "objects" {
            return Err(CkanError::invalid(
                "records_format",
                "Value must be one of: objects",
            ));
        }
        let mut search = NamedSearch {
            limit: limit as u32,
            offset,
            sort,
            fields,
            ..Default::default()
        };
        let value_text = |field: &str, v: &Value| -> Ckan<String> {
            match v {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                Value::Bool(b) => Ok(b.to_string()),
                _ => Err(CkanError::invalid(
                    "filters",
                    format!("field \"{field}\": a value or a list of values"),
                )),
            }
        };
        match filters {
            None => {}
            Some(Value::Object(m)) => {
                for (field, v) in m {
                    let values = match &v {
                        Value::Array(a) => a
                            .iter()
                            .map(|x| value_text(&field, x))
                            .collect::<Ckan<Vec<_>>>()?,
                        v => vec![value_text(&field, v)?],
                    };
                    search.equal.push((field, values));
                }
            }
            Some(_) => return Err(CkanError::invalid("filters", "Not a JSON object")),
        }
        // Words are searched as typed and, spelled out, as the portal does.
        let synonyms = self.search_synonyms().await?;
        let words = |s: &str| -> Vec<String> {
            if plain {
                pubdata_domain::catalog::term_variants_with(s, &synonyms)
            } else {
                vec![s.trim().to_string()]
            }
        };
        match q {
            None => {}
            Some(Value::String(s)) if s.trim().is_empty() => {}
            Some(Value::String(s)) => search.contains.push((None, words(&s))),
            Some(Value::Object(m)) => {
                for (field, v) in m {
                    let s = value_text(&field, &v).map_err(|_| {
                        CkanError::invalid("q", "Must be a string or an object of strings")
                    })?;
                    search.contains.push((Some(field), words(&s)));
                }
            }
            Some(_) => {
                return Err(CkanError::invalid(
                    "q",
                    "Must be a string or an object of strings",
                ));
            }
        }
        // The resource: the CSV download of an open dataset.
        let not_found = || CkanError::NotFound(format!("Resource \"{id}\" was not found."));
        let dataset_id = match parse_uuid(RES, &id) {
            Some((1, dataset_id)) => dataset_id,
            _ => return Err(not_found()),
        };
        let dataset = self
            .open_candidate(dataset_id)
            .await
            .map_err(|_| not_found())?;
        let asked = json!({"ckan": "datastore_search", "resource_id": id,
            "filters": search.equal, "q": search.contains, "sort": search.sort,
            "fields": search.fields, "limit": limit, "offset": offset});
        let read = self
            .open_public_read(p, &dataset, asked)
            .await
            .map_err(|e| match e {
                ServiceError::NotFound { .. } => not_found(),
                e => e.into(),
            })?;
        let (columns, rows, total) = read.search(&search).await?;
        let types: Vec<DataType> = columns
            .iter()
            .map(|c| {
                dataset
                    .columns
                    .iter()
                    .find(|x| &x.name == c)
                    .map_or(DataType::String, |x| x.data_type)
            })
            .collect();
        let records: Vec<Value> = rows
            .into_iter()
            .map(|(_, values)| {
                Value::Object(
                    columns
                        .iter()
                        .cloned()
                        .zip(types.iter().zip(values).map(|(t, v)| typed(*t, v)))
                        .collect(),
                )
            })
            .collect();
        let fields: Vec<Value> = columns
            .iter()
            .zip(&types)
            .map(|(c, t)| json!({"id": c, "type": field_type(*t)}))
            .collect();
        let base = format!(
            "/api/3/action/datastore_search?resource_id={}",
            url_encode(&id)
        );
        let mut links = json!({"start": base});
        if (offset + limit) < total {
            links["next"] = json!(format!("{base}&limit={limit}&offset={}", offset + limit));
        }
        let mut result = json!({
            "resource_id": id,
            "fields": fields,
            "records": records,
            "records_format": "objects",
            "limit": limit,
            "offset": offset,
            "include_total": include_total,
            "_links": links,
        });
        if include_total {
            result["total"] = json!(total);
            result["total_was_estimated"] = json!(false);
        }
        Ok(result)
    }
}

impl Default for Params {
    fn default() -> Self {
        Params(Map::new())
    }
}

fn search_result(results: Vec<Package>, count: usize, sort: &str) -> Value {
    json!({
        "count": count,
        "results": results,
        "sort": sort,
        "facets": {},
        "search_facets": {},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_ckan_names_and_name_their_dataset() {
        let name = package_name("207/000001", 6);
        assert_eq!(name, "207-000001-d6");
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        );
        assert_eq!(package_ref(&name), Some(6));
        assert_eq!(package_ref(&package_id(6)), Some(6));
        assert_eq!(package_id(6), "706b6700-0000-4000-8000-000000000006");
        assert_eq!(package_ref("207-000001-d06"), None);
        assert_eq!(package_ref("nothing"), None);
        assert_eq!(package_name("公交 / 线路", 3), "dataset-d3");
        assert_eq!(ckan_slug("QY-GAJ"), "qy-gaj");
        let r = resource_id(28, 0);
        assert_eq!(r, "72657300-0000-4000-8001-00000000001c");
        assert_eq!(parse_uuid(RES, &r), Some((1, 28)));
        assert_eq!(parse_uuid(PKG, &r), None);
        assert_eq!(parse_uuid(RES, &r.to_uppercase()), None);
    }

    #[test]
    fn fq_clauses_parse_as_ckan_sends_them() {
        assert_eq!(
            parse_fq("organization:qy-gaj +tags:\"公交 线路\"").unwrap(),
            [
                Fq::Organization("qy-gaj".into()),
                Fq::Tag("公交 线路".into())
            ]
        );
        assert_eq!(
            parse_fq("metadata_modified:[2026-01-01T00:00:00Z TO *] AND dataset_type:dataset")
                .unwrap(),
            [
                Fq::Modified(Some("2026-01-01T00:00:00".into()), None),
                Fq::Any
            ]
        );
        assert!(matches!(
            parse_fq("secret:1"),
            Err(CkanError::SearchQuery(_))
        ));
        assert!(matches!(
            parse_fq("nonsense"),
            Err(CkanError::SearchQuery(_))
        ));
    }

    #[test]
    fn sorts_and_values_read_as_ckan_writes_them() {
        assert_eq!(
            sort_clauses("metadata_modified desc, title asc"),
            [
                ("metadata_modified".to_string(), true),
                ("title".to_string(), false)
            ]
        );
        assert_eq!(typed(DataType::Integer, Some("42".into())), json!(42));
        assert_eq!(typed(DataType::Decimal, Some("1.5".into())), json!(1.5));
        assert_eq!(typed(DataType::Integer, Some("n/a".into())), json!("n/a"));
        assert_eq!(typed(DataType::String, None), Value::Null);
        assert_eq!(url_encode("a b/东"), "a%20b%2F%E4%B8%9C");
    }
}

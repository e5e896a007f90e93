//! Catalogue pages: browse and search (`browse`), an entry with its
//! versions, diff and lifecycle steps (`entry`), the entry editor
//! (`editor`), the authority's review queue and decision (`review`), the
//! classification tree and grading scheme (`scheme`). The collection list
//! is `pages::collection`, case lists `pages::cases`.
use pubdata_service::policy::Action;
use pubdata_service::{Principal, ServiceError};

use crate::AppState;

/// Options of an enumeration for a `<select>`, named in the page's language.
macro_rules! opts {
    ($lang:expr, $t:ty) => {
        <$t>::ALL
            .iter()
            .map(|v| context! { value => v.as_str(), name => $lang.pick(v.zh(), v.en()) })
            .collect::<Vec<_>>()
    };
}

mod browse;
mod editor;
mod entry;
mod review;
mod scheme;

// The handlers under the names the route list uses.
pub use super::collection::{collection_page, declare};
pub use browse::browse;
pub use editor::{create, edit, edit_page, new_page};
pub use entry::{consent, delist, entry_page, obligation, submit};
pub use review::{review, review_page};
pub use scheme::{put_class, put_grade, put_synonyms, scheme_page};

pub(crate) fn parse_opt<T: std::str::FromStr>(
    field: &str,
    v: &Option<String>,
) -> Result<Option<T>, ServiceError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| ServiceError::invalid(field, format!("`{s}` is not an allowed value"))),
    }
}

pub(crate) fn parse_field<T: std::str::FromStr>(field: &str, v: &str) -> Result<T, ServiceError> {
    v.trim()
        .parse()
        .map_err(|_| ServiceError::invalid(field, format!("`{v}` is not an allowed value")))
}

/// Whether the caller reviews for any authority (for the navigation).
pub async fn reviews_anything(s: &AppState, p: &Principal) -> bool {
    for g in &p.roles {
        if s.app.can(p, Action::ReviewCatalog(g.org_id)).await {
            return true;
        }
    }
    false
}

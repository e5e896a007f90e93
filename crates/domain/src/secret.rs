//! Connection URLs that carry a password (an agency's database for table
//! pulls, the platform's own PostgreSQL).
//!
//! A [`SecretUrl`] shows itself only with the password replaced by `***`:
//! in `Debug`, `Display`, JSON and therefore logs, audit records, API
//! answers and pages. The one way to the real URL is [`SecretUrl::expose`],
//! called where a connection is opened.

use serde::{Deserialize, Serialize};

#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SecretUrl(String);

impl SecretUrl {
    pub fn new(url: impl Into<String>) -> SecretUrl {
        SecretUrl(url.into())
    }

    /// The URL with its password, for opening a connection and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with any password replaced by `***`.
    pub fn redacted(&self) -> String {
        redact(&self.0)
    }
}

/// `url` with any password replaced by `***`.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl std::fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretUrl({:?})", self.redacted())
    }
}

impl Serialize for SecretUrl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows_but_the_connection_gets_it() {
        let u = SecretUrl::new("postgres://reader:s3cret@db.gaj:5432/hukou");
        let shown = "postgres://reader:***@db.gaj:5432/hukou";
        assert_eq!(u.to_string(), shown);
        assert_eq!(format!("{u:?}"), format!("SecretUrl({shown:?})"));
        assert_eq!(serde_json::to_value(&u).unwrap(), shown);
        assert_eq!(u.expose(), "postgres://reader:s3cret@db.gaj:5432/hukou");
        // Nothing to hide: shown as it is.
        for plain in ["sqlite:///data/a.db", "postgres://reader@db/x", "no url"] {
            assert_eq!(SecretUrl::new(plain).to_string(), plain);
        }
    }
}

//! An S3-compatible bucket as an off-site backup target (对象存储异地备份,
//! SEC-1): encrypted backups, their checksums and signed audit checkpoints
//! are copied there besides the local and off-site directories, and
//! `pubdata restore` reads a backup back from it.
//!
//! The target is a URL: `s3://BUCKET/PREFIX?endpoint=http://HOST:PORT&region=R`
//! (MinIO, Ceph RGW, a cloud's object storage; `endpoint` defaults to AWS's
//! regional endpoint, `region` to `us-east-1`). Credentials come from the
//! standard `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` variables, or from
//! the URL's user part (`s3://KEY:SECRET@BUCKET/…`, shown redacted). Requests
//! are signed with AWS Signature V4 by `rusty-s3` (sans-IO) and sent with the
//! platform's HTTP client; an object is written with one `PUT` (S3's limit is
//! 5 GiB an object: a province's physical backups go elsewhere, see
//! docs/SCALING.md).

use std::time::Duration;

use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

/// How long a signed request stays valid.
const SIGNED_FOR: Duration = Duration::from_secs(600);

/// An S3-compatible bucket and the prefix objects go under.
#[derive(Clone)]
pub struct S3Target {
    bucket: Bucket,
    credentials: Credentials,
    prefix: String,
    shown: String,
}

impl std::fmt::Debug for S3Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "S3Target({})", self.shown)
    }
}

impl std::fmt::Display for S3Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

/// Why an object could not be written or read.
#[derive(Debug, thiserror::Error)]
#[error("S3 {what} {key}: {detail}")]
pub struct S3Error {
    what: &'static str,
    key: String,
    detail: String,
}

impl S3Target {
    /// Parses `s3://[KEY:SECRET@]BUCKET[/PREFIX][?endpoint=URL&region=R]`.
    pub fn parse(text: &str) -> Result<S3Target, String> {
        let url =
            reqwest::Url::parse(text.trim()).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
        if url.scheme() != "s3" {
            return Err("an S3 target is s3://BUCKET/PREFIX?endpoint=…&region=…".into());
        }
        let name = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("the URL names no bucket (s3://BUCKET/…)")?
            .to_string();
        let mut endpoint = None;
        let mut region = "us-east-1".to_string();
        for (k, v) in url.query_pairs() {
            match &*k {
                "endpoint" => endpoint = Some(v.into_owned()),
                "region" => region = v.into_owned(),
                other => return Err(format!("unknown S3 URL parameter `{other}`")),
            }
        }
        let endpoint = endpoint.unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
        let endpoint_url = endpoint
            .parse()
            .map_err(|e| format!("endpoint `{endpoint}`: {e}"))?;
        let bucket = Bucket::new(endpoint_url, UrlStyle::Path, name.clone(), region.clone())
            .map_err(|e| format!("endpoint `{endpoint}`: {e}"))?;
        let credentials = if url.username().is_empty() {
            Credentials::from_env().ok_or(
                "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or s3://KEY:SECRET@BUCKET/…)",
            )?
        } else {
            let decode = |s: &str| {
                percent_decode(s).ok_or_else(|| "credentials in the URL are not UTF-8".to_string())
            };
            Credentials::new(
                decode(url.username())?,
                decode(url.password().unwrap_or_default())?,
            )
        };
        let prefix = url.path().trim_matches('/').to_string();
        let shown = format!(
            "s3://{name}/{prefix} ({endpoint}, {region})",
            prefix = prefix
        );
        Ok(S3Target {
            bucket,
            credentials,
            prefix,
            shown,
        })
    }

    /// The object key of `name` under the prefix.
    pub fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", self.prefix)
        }
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(300))
            .build()
            .expect("HTTP client")
    }

    /// Writes `bytes` as object `name` (under the prefix).
    pub async fn put(&self, name: &str, bytes: Vec<u8>) -> Result<String, S3Error> {
        let key = self.key(name);
        let fail = |detail: String| S3Error {
            what: "cannot write",
            key: key.clone(),
            detail,
        };
        let url = self
            .bucket
            .put_object(Some(&self.credentials), &key)
            .sign(SIGNED_FOR);
        send(Self::client().put(url.as_str()).body(bytes))
            .await
            .map_err(fail)?;
        Ok(key)
    }

    /// Copies the file at `path` to an object of the same name.
    pub async fn put_file(&self, path: &std::path::Path) -> Result<String, S3Error> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = tokio::fs::read(path).await.map_err(|e| S3Error {
            what: "cannot read",
            key: path.display().to_string(),
            detail: e.to_string(),
        })?;
        self.put(&name, bytes).await
    }

    /// Reads object `key` (a full key, prefix included).
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, S3Error> {
        let fail = |detail: String| S3Error {
            what: "cannot read",
            key: key.to_string(),
            detail,
        };
        let url = self
            .bucket
            .get_object(Some(&self.credentials), key)
            .sign(SIGNED_FOR);
        let r = send(Self::client().get(url.as_str())).await.map_err(fail)?;
        Ok(r.bytes().await.map_err(|e| fail(e.to_string()))?.to_vec())
    }

    /// The keys of every object under the prefix, sorted.
    pub async fn list(&self) -> Result<Vec<String>, S3Error> {
        let fail = |detail: String| S3Error {
            what: "cannot list",
            key: self.prefix.clone(),
            detail,
        };
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut action = self.bucket.list_objects_v2(Some(&self.credentials));
            if !self.prefix.is_empty() {
                action.with_prefix(format!("{}/", self.prefix));
            }
            if let Some(t) = &token {
                action.with_continuation_token(t.clone());
            }
            let url = action.sign(SIGNED_FOR);
            let r = send(Self::client().get(url.as_str())).await.map_err(fail)?;
            let text = r.text().await.map_err(|e| fail(e.to_string()))?;
            let page = rusty_s3::actions::ListObjectsV2::parse_response(&text)
                .map_err(|e| fail(e.to_string()))?;
            keys.extend(page.contents.into_iter().map(|c| c.key));
            match page.next_continuation_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        keys.sort();
        Ok(keys)
    }

    /// Creates the bucket (setting up a target; an existing bucket of the
    /// same owner is fine).
    pub async fn create_bucket(&self) -> Result<(), S3Error> {
        let fail = |detail: String| S3Error {
            what: "cannot create bucket",
            key: self.bucket.name().to_string(),
            detail,
        };
        let url = self
            .bucket
            .create_bucket(&self.credentials)
            .sign(SIGNED_FOR);
        let put = Self::client()
            .put(url.as_str())
            .header(reqwest::header::CONTENT_LENGTH, "0");
        match send(put).await {
            Ok(_) => Ok(()),
            Err(e) if e.contains("BucketAlreadyOwnedByYou") => Ok(()),
            Err(e) => Err(fail(e)),
        }
    }
}

/// Sends a signed request; a non-2xx answer is an error naming its status
/// and S3's error document (the first lines of it).
async fn send(req: reqwest::RequestBuilder) -> Result<reqwest::Response, String> {
    let r = req.send().await.map_err(|e| e.to_string())?;
    if r.status().is_success() {
        return Ok(r);
    }
    let status = r.status();
    let body = r.text().await.unwrap_or_default();
    let shown: String = body.chars().take(300).collect();
    Err(format!("{status}: {}", shown.replace('\n', " ")))
}

/// `%XX`-decoding of a URL's user part.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_url_names_bucket_prefix_endpoint_and_region() {
        let t = S3Target::parse(
            "s3://AK:S%2Fk@backups/city/qy?endpoint=http://127.0.0.1:9000&region=cn-south-1",
        )
        .unwrap();
        assert_eq!(t.bucket.name(), "backups");
        assert_eq!(t.bucket.region(), "cn-south-1");
        assert_eq!(t.key("a.age"), "city/qy/a.age");
        assert_eq!(t.credentials.secret(), "S/k");
        assert!(!format!("{t} {t:?}").contains("S/k"));
        assert!(S3Target::parse("http://x/y").is_err());
        assert!(S3Target::parse("s3://b/p?bogus=1").is_err());
    }
}

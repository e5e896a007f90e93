//! Extractors: JSON bodies and queries whose rejections are problem+json,
//! the calling principal, the client address and the page language.

use std::net::SocketAddr;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum_extra::extract::CookieJar;
use pubdata_service::Principal;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "pubdata_session";
pub const LANG_COOKIE: &str = "pubdata_lang";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A JSON body; malformed JSON, wrong types, unknown fields and oversized
/// bodies answer problem+json naming the problem. A number with a zero
/// fraction (`3.0`) is the integer it equals, as in JSON Schema.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(json_rejection(JsonRejection::MissingJsonContentType(
                Default::default(),
            )));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| json_rejection(JsonRejection::BytesRejection(e)))?;
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => {
                // Only on a type error: retry with integral floats as integers.
                let retried = serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|mut v| integral_floats_to_integers(&mut v).then_some(v))
                    .and_then(|v| serde_json::to_vec(&v).ok())
                    .and_then(|b| axum::Json::<T>::from_bytes(&b).ok());
                match retried {
                    Some(axum::Json(v)) => Ok(ApiJson(v)),
                    None => Err(json_rejection(JsonRejection::JsonDataError(e))),
                }
            }
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

/// `Content-Type: application/json` or `application/<something>+json`.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Rewrites every number with a zero fraction that fits an i64 (or u64) as
/// that integer; says whether it changed anything.
fn integral_floats_to_integers(v: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    // 2^63 and 2^64 are exactly representable; below them the casts are exact.
    const I64_END: f64 = 9_223_372_036_854_775_808.0;
    const U64_END: f64 = 18_446_744_073_709_551_616.0;
    let mut changed = false;
    match v {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() == 0.0 && (-I64_END..I64_END).contains(&f) {
                *v = Value::from(f as i64);
                changed = true;
            } else if f.fract() == 0.0 && (0.0..U64_END).contains(&f) {
                *v = Value::from(f as u64);
                changed = true;
            }
        }
        Value::Array(items) => {
            for x in items {
                changed |= integral_floats_to_integers(x);
            }
        }
        Value::Object(map) => {
            for x in map.values_mut() {
                changed |= integral_floats_to_integers(x);
            }
        }
        _ => {}
    }
    changed
}

/// Path parameters; one that does not parse (`/orgs/abc`) answers 400
/// `invalid_path` as problem+json.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(p) => Ok(ApiPath(p.0)),
            Err(rej) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_path",
                rej.body_text(),
            )),
        }
    }
}

fn json_rejection(rej: JsonRejection) -> ApiError {
    match rej {
        JsonRejection::JsonDataError(e) => {
            // serde_path_to_error names the field: "field: message".
            let text = std::error::Error::source(&e)
                .map(|s| s.to_string())
                .unwrap_or_else(|| e.body_text());
            let (field, message) = match text.split_once(": ") {
                Some((f, m)) if !f.contains(' ') => (f.to_string(), m.to_string()),
                _ => ("body".to_string(), text.clone()),
            };
            ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                &field,
                message,
            )
        }
        JsonRejection::JsonSyntaxError(e) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!(
                "the body is not valid JSON: {}",
                std::error::Error::source(&e)
                    .map(|s| s.to_string())
                    .unwrap_or_default()
            ),
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as Content-Type: application/json",
        ),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the request body is larger than this endpoint accepts",
            )
        }
        other => ApiError::new(other.status(), "bad_request", other.body_text()),
    }
}

/// Query parameters, with problem+json rejections naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(q) => Ok(ApiQuery(q.0)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                std::error::Error::source(&e)
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| e.body_text()),
            )),
            Err(other) => Err(ApiError::new(
                other.status(),
                "invalid_query",
                other.body_text(),
            )),
        }
    }
}

/// The client's address, as recorded in audit records.
pub fn client_ip(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// The token a request carries: `Authorization: Bearer …` or the session cookie.
/// The second value says whether it came from the cookie.
pub fn request_token(headers: &HeaderMap) -> Option<(String, bool)> {
    if let Some(v) = headers.get(header::AUTHORIZATION) {
        let v = v.to_str().ok()?;
        let t = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))?;
        return Some((t.trim().to_string(), false));
    }
    let jar = CookieJar::from_headers(headers);
    jar.get(SESSION_COOKIE)
        .map(|c| (c.value().to_string(), true))
}

/// The authenticated caller of an API route. Without a valid token or
/// session: 401. Cookie-authenticated requests that change state must send
/// the session's CSRF token in `X-CSRF-Token`.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (token, cookie) = request_token(&parts.headers).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "sign in or send Authorization: Bearer <token>",
            )
        })?;
        let p = state.app.authenticate(&token, client_ip(parts)).await?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if cookie && !safe {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if sent.is_none() || sent != p.csrf_token() {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "csrf_failed",
                    "a cookie-authenticated request that changes state must send X-CSRF-Token",
                ));
            }
        }
        Ok(Caller(p))
    }
}

/// A form posted from a page of a cookie session. Before the handler runs,
/// the form's `csrf` field must be the session's CSRF token — a missing or
/// wrong token answers 403 (`pages::csrf_refused`) and the form is not
/// read further; only then is the form deserialised (repeated keys become
/// lists; a malformed form answers 422). Someone
/// not signed in is sent to the login page, as by `pages::PageCaller`.
/// The handler's form type need not (and should not) hold the token.
pub struct CsrfForm<T>(pub T);

/// A form with nothing but its CSRF token (a button's post).
#[derive(serde::Deserialize)]
pub struct NoFields {}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = axum::response::Response;
    async fn from_request(req: Request, s: &AppState) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;

        use crate::pages::{PageCaller, SignedIn, csrf_ok, csrf_refused};

        #[derive(serde::Deserialize)]
        struct Token {
            #[serde(default)]
            csrf: String,
        }
        let (mut parts, body) = req.into_parts();
        let p = match parts.extensions.get::<SignedIn>() {
            Some(SignedIn(p)) => p.clone(),
            None => PageCaller::from_request_parts(&mut parts, s).await?.0,
        };
        let bytes = axum::body::Bytes::from_request(Request::from_parts(parts, body), s)
            .await
            .map_err(IntoResponse::into_response)?;
        // An unreadable form carries no token.
        let token = serde_html_form::from_bytes::<Token>(&bytes)
            .map(|t| t.csrf)
            .unwrap_or_default();
        if !csrf_ok(&p, &token) {
            return Err(csrf_refused());
        }
        serde_html_form::from_bytes(&bytes)
            .map(CsrfForm)
            .map_err(|e| {
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("invalid form: {e}"),
                )
                    .into_response()
            })
    }
}

/// Page language: `zh` (default) or `en`, from the language cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// The text in this language out of a Chinese and an English one.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        Ok(match jar.get(LANG_COOKIE).map(|c| c.value()) {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        })
    }
}

/// An opaque keyset cursor: the last id seen, tagged with what it pages.
/// A cursor after a row key (rows in key order).
pub fn encode_key_cursor(key: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

/// The row key a [`encode_key_cursor`] cursor holds.
pub fn decode_key_cursor(c: &str) -> Result<String, ApiError> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_cursor",
                "cursor",
                "not a cursor this endpoint issued",
            )
        })
}

pub fn encode_cursor(kind: &str, id: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
}

/// One page out of `limit + 1` fetched items (newest first): the first
/// `limit`, and the cursor after the last of them when more exist.
pub fn keyset_page<T>(
    mut items: Vec<T>,
    limit: usize,
    kind: &str,
    id: impl Fn(&T) -> i64,
) -> (Vec<T>, Option<String>) {
    let more = items.len() > limit;
    items.truncate(limit);
    let next = items
        .last()
        .filter(|_| more)
        .map(|last| encode_cursor(kind, id(last)));
    (items, next)
}

pub fn decode_cursor(kind: &str, c: &str) -> Result<i64, ApiError> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.strip_prefix(&format!("{kind}:"))
                .and_then(|n| n.parse().ok())
        })
        .filter(|n: &i64| *n > 0)
        .ok_or_else(|| {
            // Well-formed (a string) but not one this endpoint issued.
            ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_cursor",
                "cursor",
                "not a cursor this endpoint issued",
            )
        })
}

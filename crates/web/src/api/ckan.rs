//! The CKAN-compatible read API (CKAN 兼容接口) under `/api/3/action/` and
//! `/api/action/` (the address `ckanapi` uses): CKAN 2.10's Action API read
//! subset over the open data, for open-data tools and harvesters. Not in
//! the OpenAPI document: it follows CKAN's documentation — parameters as a
//! query string (GET) or a JSON or form body (POST), and CKAN's envelope
//! `{"help", "success", "result" | "error"}` for answers and errors alike.
//! The mapping is `pubdata_service::open::ckan`.

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pubdata_service::Principal;
use pubdata_service::open::ckan::CkanError;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::extract::{client_ip, request_token};

/// The address the caller reached (`http://host:port`), for absolute
/// links; a host header that is not a plain host name is not echoed.
pub(crate) fn site(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// The caller of a CKAN action: signed in (a valid bearer token or
/// session), else an anonymised client; an invalid token is CKAN's
/// `Authorization Error`.
pub struct CkanCaller(Result<Principal, CkanError>);

impl FromRequestParts<AppState> for CkanCaller {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        s: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        let ip = client_ip(parts);
        let signed_in = match request_token(&parts.headers) {
            Some((token, _)) => match s.app.authenticate(&token, ip.clone()).await {
                Ok(p) => Some(p),
                Err(e) => {
                    return Ok(CkanCaller(Err(CkanError::Authorization(e.to_string()))));
                }
            },
            None => None,
        };
        Ok(CkanCaller(Ok(s
            .app
            .public_principal(signed_in, ip.as_deref()))))
    }
}

/// Adds `key = value` to the parameters; a repeated key becomes a list.
fn add(params: &mut Map<String, Value>, key: String, value: String) {
    match params.get_mut(&key) {
        Some(Value::Array(a)) => a.push(Value::String(value)),
        Some(v) => {
            let first = v.take();
            *v = json!([first, value]);
        }
        None => {
            params.insert(key, Value::String(value));
        }
    }
}

fn form_pairs(s: &str) -> Result<Vec<(String, String)>, CkanError> {
    serde_html_form::from_str::<Vec<(String, String)>>(s)
        .map_err(|e| CkanError::BadRequest(format!("Unable to read the parameters: {e}")))
}

/// The action's parameters: the query string, then the body (a JSON
/// object, or a form), the body's values winning.
fn parameters(
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Map<String, Value>, CkanError> {
    let mut params = Map::new();
    for (k, v) in form_pairs(query.unwrap_or(""))? {
        add(&mut params, k, v);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(params);
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if form {
        let text = std::str::from_utf8(body)
            .map_err(|_| CkanError::BadRequest("the form is not UTF-8".into()))?;
        for (k, v) in form_pairs(text)? {
            params.remove(&k);
            add(&mut params, k, v);
        }
        return Ok(params);
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => {
            params.extend(m);
            Ok(params)
        }
        Ok(_) => Err(CkanError::BadRequest(
            "JSON Error: Request data JSON decoded to a non-dictionary".into(),
        )),
        Err(e) => Err(CkanError::BadRequest(format!(
            "JSON Error: Error decoding JSON data. Error: {e}"
        ))),
    }
}

/// One CKAN action (GET or POST): CKAN's envelope around the result or
/// the error, with CKAN's status codes.
pub async fn action(
    State(s): State<AppState>,
    CkanCaller(caller): CkanCaller,
    Path(action): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let site = site(&headers);
    let help = format!("{site}/api/3/action/help_show?name={action}");
    let answer = match (caller, parameters(query.as_deref(), &headers, &body)) {
        (Ok(p), Ok(params)) => s.app.ckan_action(&p, &action, params, &site).await,
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let retry = match &answer {
        Err(CkanError::RateLimited(secs)) => Some(*secs),
        Err(CkanError::Unavailable) => Some(5),
        _ => None,
    };
    let (status, body) = match answer {
        Ok(result) => (
            StatusCode::OK,
            json!({"help": help, "success": true, "result": result}),
        ),
        Err(e) => {
            if let CkanError::Internal(inner) = &e {
                tracing::error!(action = %action, error = %inner, "CKAN action failed");
            }
            (
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                json!({"help": help, "success": false, "error": e.body()}),
            )
        }
    };
    let mut r = (status, axum::Json(body)).into_response();
    if let Some(secs) = retry {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    r
}

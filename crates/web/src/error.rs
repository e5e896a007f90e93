//! Errors as RFC 9457 `application/problem+json`.
//!
//! Policy: every failure a client can cause answers 4xx with a stable `code`
//! (the same codes as `ServiceError::code`, plus the request-shape codes
//! below) and, for field problems, `errors: [{field, message}]`. Anything
//! else answers an opaque 500 `internal` and logs the whole error chain.
//! Handlers return `Result<_, ApiError>` and use `?`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pubdata_service::{FieldError, ServiceError};
use serde::Serialize;

/// The problem document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `/problems/<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Problem-specific members, e.g. `source_org` of `data_item_has_source`.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u64>,
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_string(),
            detail: detail.into(),
            errors: vec![],
            retry_after: None,
            extra: Default::default(),
        }
    }

    pub fn field(status: StatusCode, code: &str, field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError {
            status,
            code: code.to_string(),
            detail: format!("{field}: {message}"),
            errors: vec![FieldError {
                field: field.to_string(),
                message,
            }],
            retry_after: None,
            extra: Default::default(),
        }
    }

    pub fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }
}

/// The status a service error answers with — for the API and the pages
/// alike (one policy).
pub fn status_of(e: &ServiceError) -> StatusCode {
    match e {
        ServiceError::Unauthenticated | ServiceError::BadCredentials => StatusCode::UNAUTHORIZED,
        ServiceError::TooManyAttempts { .. } | ServiceError::RateLimited { .. } => {
            StatusCode::TOO_MANY_REQUESTS
        }
        ServiceError::Forbidden(_) | ServiceError::Refused { .. } => StatusCode::FORBIDDEN,
        ServiceError::NotFound { .. } => StatusCode::NOT_FOUND,
        ServiceError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        ServiceError::UnsupportedMedia { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ServiceError::Conflict { .. } | ServiceError::DataItemHasSource { .. } => {
            StatusCode::CONFLICT
        }
        ServiceError::Invalid { .. } | ServiceError::CalendarUnknownYear(_) => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        ServiceError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Seconds a client should wait before retrying, when the error says.
pub fn retry_after_of(e: &ServiceError) -> Option<u64> {
    match e {
        ServiceError::TooManyAttempts { retry_after_secs }
        | ServiceError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
        ServiceError::Unavailable => Some(5),
        _ => None,
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        if let ServiceError::Internal(inner) = &e {
            tracing::error!(error = %inner, source = ?std::error::Error::source(&**inner), "internal error");
        }
        let status = status_of(&e);
        let retry_after = retry_after_of(&e);
        let errors = match &e {
            ServiceError::Invalid { errors, .. } => errors.clone(),
            _ => vec![],
        };
        let mut extra = serde_json::Map::new();
        if let ServiceError::DataItemHasSource {
            source_org,
            source_org_name,
            item,
        } = &e
        {
            extra.insert("data_item".into(), item.clone().into());
            extra.insert("source_org".into(), (*source_org).into());
            extra.insert("source_org_name".into(), source_org_name.clone().into());
        }
        ApiError {
            status,
            code: e.code().to_string(),
            detail: e.to_string(),
            errors,
            retry_after,
            extra,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let title = self
            .status
            .canonical_reason()
            .unwrap_or("Error")
            .to_string();
        let body = Problem {
            kind: format!("/problems/{}", self.code),
            title,
            status: self.status.as_u16(),
            detail: self.detail,
            code: self.code,
            errors: self.errors,
            extra: self.extra,
        };
        let mut res = (self.status, axum::Json(body)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

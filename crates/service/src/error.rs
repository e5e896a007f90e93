//! Errors of the use cases, each with a stable machine-readable `code`.
//!
//! Policy: a variant says *what* went wrong in the caller's terms; the web
//! layer maps it to an HTTP status and an `application/problem+json` body.
//! Store failures that are not the caller's fault become [`ServiceError::Internal`],
//! whose detail is logged and never sent to the client.

use pubdata_domain::calendar::CalendarError;
use pubdata_store::StoreError;

/// One field-level problem in a request.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("authentication required")]
    Unauthenticated,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("too many failed attempts; try again in {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("{0}")]
    Forbidden(String),
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("{detail}")]
    Invalid {
        code: &'static str,
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error(
        "no official working-day schedule is known for {0}; a platform administrator must add it"
    )]
    CalendarUnknownYear(i32),
    #[error("「{item}」already has a source department: {source_org_name}")]
    DataItemHasSource {
        item: String,
        source_org: i64,
        source_org_name: String,
    },
    /// A read refused by its grant (`grant_required`, `field_not_granted`,
    /// `grant_expired`, `grant_revoked`): 403.
    #[error("{detail}")]
    Refused { code: &'static str, detail: String },
    /// An upload over its size limit: 413.
    #[error("{detail}")]
    TooLarge { code: &'static str, detail: String },
    /// An upload of a type not accepted (recognised by content): 415.
    #[error("{detail}")]
    UnsupportedMedia { code: &'static str, detail: String },
    /// A grant's rate limit was reached.
    #[error("the grant's rate limit is reached; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    /// The database is unreachable for now; nothing of the request was kept.
    #[error("the database is unavailable; nothing was changed, try again shortly")]
    Unavailable,
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<pubdata_domain::share::Refusal> for ServiceError {
    /// A grant's refusal: 403 with the refusal's stable code.
    fn from(r: pubdata_domain::share::Refusal) -> Self {
        ServiceError::Refused {
            code: r.code(),
            detail: r.to_string(),
        }
    }
}

impl ServiceError {
    /// The stable code clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::Unauthenticated => "unauthenticated",
            ServiceError::BadCredentials => "bad_credentials",
            ServiceError::TooManyAttempts { .. } => "too_many_attempts",
            ServiceError::Forbidden(_) => "forbidden",
            ServiceError::NotFound { .. } => "not_found",
            ServiceError::Conflict { code, .. } => code,
            ServiceError::Invalid { code, .. } => code,
            ServiceError::CalendarUnknownYear(_) => "calendar_unknown_year",
            ServiceError::DataItemHasSource { .. } => "data_item_has_source",
            ServiceError::Refused { code, .. } => code,
            ServiceError::TooLarge { code, .. } => code,
            ServiceError::UnsupportedMedia { code, .. } => code,
            ServiceError::RateLimited { .. } => "rate_limited",
            ServiceError::Unavailable => "database_unavailable",
            ServiceError::Internal(_) => "internal",
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ServiceError::Invalid {
            code: "invalid_field",
            detail: format!("{field}: {message}"),
            errors: vec![FieldError {
                field: field.to_string(),
                message,
            }],
        }
    }

    pub fn not_found(what: &'static str) -> impl FnOnce(StoreError) -> ServiceError {
        move |e| match e {
            StoreError::NotFound => ServiceError::NotFound { what },
            other => other.into(),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound { what: "record" },
            StoreError::Conflict { what } => ServiceError::Conflict {
                code: "already_exists",
                detail: format!("a record with this {what} already exists"),
            },
            StoreError::InvalidReference => ServiceError::Invalid {
                code: "invalid_reference",
                detail: "a referenced record does not exist".into(),
                errors: vec![],
            },
            other if other.is_unavailable() => {
                tracing::warn!(error = %other, "database unavailable");
                ServiceError::Unavailable
            }
            other => ServiceError::Internal(Box::new(other)),
        }
    }
}

impl From<CalendarError> for ServiceError {
    fn from(e: CalendarError) -> Self {
        match e {
            CalendarError::UnknownYear(y) => ServiceError::CalendarUnknownYear(y),
            CalendarError::DaysOutOfRange => ServiceError::invalid("days", e.to_string()),
            CalendarError::InvalidSchedule { .. } => ServiceError::Invalid {
                code: "invalid_schedule",
                detail: e.to_string(),
                errors: vec![],
            },
        }
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

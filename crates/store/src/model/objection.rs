//! Objections and corrections (异议与更正, OBJ-1, Art. 28).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use pubdata_domain::objection::{ObjectionChannel, ObjectionState};
use serde::Serialize;

use super::NewCase;

/// An objection to one record of a dataset (异议).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Objection {
    pub id: i64,
    pub dataset_id: i64,
    /// The source department (数源部门) that answers.
    pub source_org: i64,
    /// The record's key as given: {key column: value}.
    pub key: BTreeMap<String, String>,
    /// The field said to be wrong, if one is named.
    pub field: Option<String>,
    /// What the objector says the value should be.
    pub claimed_value: Option<String>,
    pub description: String,
    pub channel: ObjectionChannel,
    /// The objector's username (the counter clerk's for a counter objection).
    pub objector_name: String,
    #[serde(skip)]
    pub objector_user_id: Option<i64>,
    /// The data user's organisation, or the counter's.
    pub objector_org: Option<i64>,
    /// The data subject's identity number (身份证号), for a subject's objection.
    pub subject_id_card_no: Option<String>,
    /// The grant under which the data user saw the record.
    pub grant_id: Option<i64>,
    /// The fields the objector may see.
    pub visible_fields: Vec<String>,
    /// The dataset version the objection is about.
    pub about_version: i64,
    pub state: ObjectionState,
    pub case_id: Option<i64>,
    /// Handled or answered by this day (5 working days, Art. 28).
    pub due_on: NaiveDate,
    /// The source department's answer.
    pub reply: Option<String>,
    /// The corrected values, by field.
    pub corrections: Option<BTreeMap<String, String>>,
    /// The dataset version that holds the correction.
    pub correction_version: Option<i64>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub record_key: String,
}

#[derive(Debug, Clone)]
pub struct NewObjection {
    pub dataset_id: i64,
    pub source_org: i64,
    pub record_key: String,
    pub key: BTreeMap<String, String>,
    pub field: Option<String>,
    pub claimed_value: Option<String>,
    pub description: String,
    pub channel: ObjectionChannel,
    pub objector_user_id: Option<i64>,
    pub objector_name: String,
    pub objector_org: Option<i64>,
    pub subject_id_card_no: Option<String>,
    pub grant_id: Option<i64>,
    pub visible_fields: Vec<String>,
    pub about_version: i64,
    pub case: NewCase,
}

/// The source department's resolution.
#[derive(Debug, Clone)]
pub struct ObjectionResolution {
    pub id: i64,
    pub state: ObjectionState,
    pub reply: String,
    pub corrections: Option<BTreeMap<String, String>>,
    pub correction_version: Option<i64>,
    pub actor: String,
}

#[derive(Debug, Clone, Default)]
pub struct ObjectionFilter {
    /// Objections the user filed.
    pub objector_user_id: Option<i64>,
    /// Objections of these source departments or filed by these organisations.
    pub orgs: Option<Vec<i64>>,
    pub state: Option<ObjectionState>,
    pub limit: u32,
}

/// A proof document (证明材料) attached to an objection.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ObjectionProof {
    pub id: i64,
    pub objection_id: i64,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewProof {
    pub objection_id: i64,
    pub file_name: String,
    pub media_type: String,
    pub sha256: String,
    pub content: Vec<u8>,
    pub uploaded_by: String,
}

//! Procurement of social data (社会数据统一采购, COL-3, Art. 17) as data:
//! an agency's demand for data it cannot get through the platform (视频,
//! 物联感知, 地图, 低空遥感影像 …), the data authority's evaluation (a case
//! with a working-day limit) and the unified procurement record, whose data
//! is catalogued and shared like any other.

string_enum! {
    /// The kinds of social data Art. 17 names (and others).
    PurchaseKind {
        Video = "video" / "视频" / "Video",
        Iot = "iot" / "物联感知" / "IoT sensing",
        Map = "map" / "地图" / "Maps",
        LowAltitude = "low_altitude" / "低空遥感影像" / "Low-altitude remote-sensing imagery",
        Other = "other" / "其他" / "Other",
    }
}

string_enum! {
    /// Where a procurement demand stands.
    ProcurementState {
        Evaluating = "evaluating" / "评估中" / "Under evaluation",
        Approved = "approved" / "评估通过待采购" / "Approved, to be procured",
        Refused = "refused" / "不予采购" / "Refused",
        Procured = "procured" / "已统一采购" / "Procured",
    }
}

string_enum! {
    /// The authority's evaluation of a demand.
    EvaluationDecision {
        Approve = "approve" / "同意采购" / "Approve",
        Refuse = "refuse" / "不予采购" / "Refuse",
    }
}

/// The authority evaluates a demand within this many working days: Art. 17
/// sets no limit, so this is a platform default (平台默认时限).
pub const EVALUATION_DAYS: u32 = 15;

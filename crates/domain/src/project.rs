//! Government IT projects (政务信息化项目, SUP-2, Art. 47) as data: a
//! project lists the public data it involves (公共数据清单) at approval
//! (立项); before acceptance (竣工验收) that data must be catalogued
//! (编目), aggregated (汇聚) and shared (共享) — the compliance check
//! (符合性审查) the platform reports.

string_enum! {
    /// Where a project stands.
    ProjectState {
        Approved = "approved" / "已立项" / "Approved",
        Accepted = "accepted" / "已验收" / "Accepted",
    }
}

string_enum! {
    /// How a project involves a catalogue entry.
    DataUse {
        Produce = "produce" / "产生" / "Produces",
        Use = "use" / "使用" / "Uses",
    }
}

string_enum! {
    /// The three checks of Art. 47 for one listed entry.
    ComplianceCheck {
        Catalogued = "catalogued" / "已编目" / "Catalogued",
        Aggregated = "aggregated" / "已汇聚" / "Aggregated",
        Shared = "shared" / "已共享" / "Shared",
    }
}

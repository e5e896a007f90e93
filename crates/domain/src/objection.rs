//! Objections and corrections (异议与更正, OBJ-1, Art. 28) as data: who
//! objects, where an objection stands, and which proof documents (证明材料)
//! are accepted — recognised by their content, never by their name.

string_enum! {
    /// How an objection arrived.
    ObjectionChannel {
        DataUser = "data_user" / "数据使用机构反馈" / "Data user's report",
        SubjectOnline = "subject_online" / "数据主体网上异议" / "Data subject, online",
        SubjectCounter = "subject_counter" / "数据主体窗口异议" / "Data subject, at a counter",
    }
}

string_enum! {
    /// Where an objection stands.
    ObjectionState {
        Open = "open" / "核实中" / "Being verified",
        Corrected = "corrected" / "已更正" / "Corrected",
        Confirmed = "confirmed" / "已确认（数据无误）" / "Confirmed as recorded",
    }
}

string_enum! {
    /// How the source department resolves an objection.
    ObjectionOutcome {
        Corrected = "corrected" / "更正" / "Correct the record",
        Confirmed = "confirmed" / "确认" / "Confirm the record",
    }
}

/// Proof documents are at most this large (5 MiB).
pub const MAX_PROOF_BYTES: usize = 5 * 1024 * 1024;

/// The media type of a proof document, recognised by its first bytes
/// (PDF, PNG or JPEG); `None` for anything else.
pub fn proof_media_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a]) {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proofs_are_recognised_by_content_not_name() {
        assert_eq!(proof_media_type(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(
            proof_media_type(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0]),
            Some("image/png")
        );
        assert_eq!(
            proof_media_type(&[0xff, 0xd8, 0xff, 0xe0]),
            Some("image/jpeg")
        );
        assert_eq!(proof_media_type(b"MZ\x90\x00"), None);
        assert_eq!(proof_media_type(b"<html>%PDF-"), None);
        assert_eq!(proof_media_type(b""), None);
    }
}

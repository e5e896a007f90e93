//! Identifier check digits (exact, DOMAIN.md).
//!
//! - 居民身份证号 (GB 11643-1999): ISO 7064 MOD 11-2.
//! - 统一社会信用代码 (GB 32100-2015): weighted MOD 31 over its alphabet.

use chrono::NaiveDate;

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Why a 身份证号 is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdCardError {
    #[error("a 身份证号 has 18 characters")]
    Length,
    #[error("the first 17 characters must be digits and the last a digit or X")]
    Characters,
    #[error("the birth date is not a real date")]
    BirthDate,
    #[error("the check digit does not match (GB 11643)")]
    CheckDigit,
}

/// The check character for the first 17 digits of a 身份证号.
pub fn id_card_check(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(d, w)| (d - b'0') as u32 * w)
        .sum();
    ID_CHECK[(sum % 11) as usize]
}

/// Validates a 18-character 居民身份证号 (lower-case x accepted).
pub fn validate_id_card(s: &str) -> Result<(), IdCardError> {
    let b = s.as_bytes();
    if b.len() != 18 {
        return Err(IdCardError::Length);
    }
    if !b[..17].iter().all(u8::is_ascii_digit)
        || !(b[17].is_ascii_digit() || b[17] == b'X' || b[17] == b'x')
    {
        return Err(IdCardError::Characters);
    }
    let birth = std::str::from_utf8(&b[6..14]).expect("ascii digits");
    if NaiveDate::parse_from_str(birth, "%Y%m%d").is_err() {
        return Err(IdCardError::BirthDate);
    }
    if id_card_check(&b[..17]) != (b[17] as char).to_ascii_uppercase() {
        return Err(IdCardError::CheckDigit);
    }
    Ok(())
}

const CREDIT_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Why a 统一社会信用代码 is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("a 统一社会信用代码 has 18 characters")]
    Length,
    #[error("a character is outside 0-9 and A-Y without I, O, S, V, Z")]
    Characters,
    #[error("the check character does not match (GB 32100)")]
    CheckDigit,
}

fn credit_value(c: u8) -> Option<u32> {
    CREDIT_ALPHABET
        .bytes()
        .position(|a| a == c)
        .map(|p| p as u32)
}

/// The check character for the first 17 characters of a credit code.
pub fn credit_code_check(first17: &[u8]) -> Option<char> {
    let mut sum = 0;
    for (c, w) in first17.iter().zip(CREDIT_WEIGHTS) {
        sum += credit_value(*c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    CREDIT_ALPHABET.chars().nth(check as usize)
}

/// Validates an 18-character 统一社会信用代码.
pub fn validate_credit_code(s: &str) -> Result<(), CreditCodeError> {
    let b = s.as_bytes();
    if b.len() != 18 {
        return Err(CreditCodeError::Length);
    }
    if !b.iter().all(|c| credit_value(*c).is_some()) {
        return Err(CreditCodeError::Characters);
    }
    if credit_code_check(&b[..17]) != Some(b[17] as char) {
        return Err(CreditCodeError::CheckDigit);
    }
    Ok(())
}

/// A valid 居民身份证号, parsed once at the edge: 18 characters, a real
/// birth date, the GB 11643 check digit; stored upper-case (`x` → `X`).
/// Masking and de-identification read its parts from here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdCardNo(String);

impl IdCardNo {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The 行政区划代码 of the place of registration (first six digits).
    pub fn region_code(&self) -> &str {
        &self.0[..6]
    }
    /// The birth date (digits 7–14).
    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").expect("checked when parsed")
    }
    /// Whether the holder is female (the 17th digit is even).
    pub fn is_female(&self) -> bool {
        (self.0.as_bytes()[16] - b'0').is_multiple_of(2)
    }
}

impl std::str::FromStr for IdCardNo {
    type Err = IdCardError;
    fn from_str(s: &str) -> Result<Self, IdCardError> {
        validate_id_card(s)?;
        Ok(IdCardNo(s.to_ascii_uppercase()))
    }
}

/// A valid 统一社会信用代码, parsed once at the edge (GB 32100 check character).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode(String);

impl CreditCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The registering authority's code (登记管理部门码, first character).
    pub fn registering_authority(&self) -> char {
        self.0.as_bytes()[0] as char
    }
    /// The 行政区划代码 of the registering authority (characters 3–8).
    pub fn region_code(&self) -> &str {
        &self.0[2..8]
    }
}

impl std::str::FromStr for CreditCode {
    type Err = CreditCodeError;
    fn from_str(s: &str) -> Result<Self, CreditCodeError> {
        validate_credit_code(s)?;
        Ok(CreditCode(s.to_string()))
    }
}

macro_rules! text_newtype_serde {
    ($($t:ident),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}
text_newtype_serde!(IdCardNo, CreditCode);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_published_examples_are_valid() {
        assert_eq!(validate_id_card("11010519491231002X"), Ok(()));
        assert_eq!(validate_id_card("440524188001010014"), Ok(()));
        assert_eq!(validate_id_card("11010519491231002x"), Ok(()));
        assert_eq!(validate_credit_code("91350100M000100Y43"), Ok(()));
        assert_eq!(validate_credit_code("91110000802100433B"), Ok(()));
    }

    #[test]
    fn broken_identifiers_say_why() {
        assert_eq!(
            validate_id_card("110105194912310021"),
            Err(IdCardError::CheckDigit)
        );
        assert_eq!(
            validate_id_card("11010519491331002X"),
            Err(IdCardError::BirthDate)
        );
        assert_eq!(
            validate_id_card("1101051949123100"),
            Err(IdCardError::Length)
        );
        assert_eq!(
            validate_id_card("1101051949123100AX"),
            Err(IdCardError::Characters)
        );
        assert_eq!(
            validate_credit_code("91350100M000100Y44"),
            Err(CreditCodeError::CheckDigit)
        );
        assert_eq!(
            validate_credit_code("91350100M000100YI3"),
            Err(CreditCodeError::Characters)
        );
    }

    proptest! {
        #[test]
        fn a_computed_id_check_digit_validates_and_any_other_does_not(
            region in 110000u32..660000, days in 0i64..40000, seq in 0u32..1000, other in 0usize..11,
        ) {
            let birth = NaiveDate::from_ymd_opt(1920, 1, 1).unwrap() + chrono::Duration::days(days);
            let first17 = format!("{region:06}{}{seq:03}", birth.format("%Y%m%d"));
            let check = id_card_check(first17.as_bytes());
            prop_assert_eq!(validate_id_card(&format!("{first17}{check}")), Ok(()));
            let wrong = ID_CHECK[other];
            if wrong != check {
                prop_assert_eq!(validate_id_card(&format!("{first17}{wrong}")), Err(IdCardError::CheckDigit));
            }
        }

        #[test]
        fn a_computed_credit_check_validates_and_a_changed_character_does_not(
            body in proptest::collection::vec(0usize..31, 17), pos in 0usize..17, delta in 1usize..31,
        ) {
            let alphabet: Vec<u8> = CREDIT_ALPHABET.bytes().collect();
            let first17: Vec<u8> = body.iter().map(|i| alphabet[*i]).collect();
            let check = credit_code_check(&first17).unwrap();
            let code = format!("{}{check}", String::from_utf8(first17.clone()).unwrap());
            prop_assert_eq!(validate_credit_code(&code), Ok(()));
            // Changing one character always breaks the check (weights are coprime to 31).
            let mut changed = first17.clone();
            changed[pos] = alphabet[(body[pos] + delta) % 31];
            let code = format!("{}{check}", String::from_utf8(changed).unwrap());
            prop_assert_eq!(validate_credit_code(&code), Err(CreditCodeError::CheckDigit));
        }
    }

    #[test]
    fn the_newtypes_parse_once_and_expose_their_parts() {
        let id: IdCardNo = "11010519491231002x".parse().unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.region_code(), "110105");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert!(id.is_female());
        assert_eq!(
            "110105194912310021".parse::<IdCardNo>(),
            Err(IdCardError::CheckDigit)
        );
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"11010519491231002X\"");
        assert!(serde_json::from_str::<IdCardNo>("\"110105194912310021\"").is_err());
        let cc: CreditCode = "91350100M000100Y43".parse().unwrap();
        assert_eq!(cc.registering_authority(), '9');
        assert_eq!(cc.region_code(), "350100");
        assert_eq!(
            "91350100M000100Y44".parse::<CreditCode>(),
            Err(CreditCodeError::CheckDigit)
        );
    }
}

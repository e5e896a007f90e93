//! Request bodies: an optional field sent as JSON `null` means the same as
//! the field left out (the field's default), as clients generated from the
//! OpenAPI document often send it.

use serde::{Deserialize, Deserializer};

/// `null` → the type's default.
pub fn or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `null` → `true` (for flags that default to true).
pub fn or_true<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(true))
}

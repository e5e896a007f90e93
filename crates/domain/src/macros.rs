//! `string_enum!`: an enumeration that travels as a stable snake_case code
//! and is shown in Chinese (and English) on pages.

#[macro_export]
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal / $zh:literal / $en:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $s),+ } }
            /// The Chinese term shown on pages.
            pub fn zh(self) -> &'static str { match self { $($name::$variant => $zh),+ } }
            pub fn en(self) -> &'static str { match self { $($name::$variant => $en),+ } }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::UnknownValue;
            fn from_str(s: &str) -> Result<Self, $crate::UnknownValue> {
                match s { $($s => Ok($name::$variant),)+ _ => Err($crate::UnknownValue { kind: stringify!($name), value: s.to_string() }) }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

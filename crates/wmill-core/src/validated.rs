//! What the validated input types share: `__parse_impls!` (`FromStr` and `TryFrom` through the
//! type's `parse`) and `string_newtype!` (a validated string type, declared with its derives and
//! conversions).

/// Implements `FromStr`, `TryFrom<&str>` and `TryFrom<String>` of `$ty` through its `parse`
/// (taking a `&str` or an `impl AsRef<str>`, returning [`Result<Self>`](crate::Result)), with
/// [`Error`](crate::Error) as their error. For the validated types of this crate and of the
/// other wmill crates (`wmill_s3::S3Object`).
///
/// ```ignore
/// wmill_core::__parse_impls!(S3Object);
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! __parse_impls {
    ($ty:ty) => {
        impl ::core::str::FromStr for $ty {
            type Err = $crate::Error;
            fn from_str(s: &str) -> $crate::Result<Self> {
                Self::parse(s)
            }
        }

        impl ::core::convert::TryFrom<&str> for $ty {
            type Error = $crate::Error;
            fn try_from(s: &str) -> $crate::Result<Self> {
                Self::parse(s)
            }
        }

        impl ::core::convert::TryFrom<::std::string::String> for $ty {
            type Error = $crate::Error;
            fn try_from(s: ::std::string::String) -> $crate::Result<Self> {
                Self::parse(&s)
            }
        }
    };
}

/// Declares a validated string, kept in a private `raw: String` field and built only by the
/// type's `parse` (written next to it): ordered and hashed as its string, serialized as the
/// string and deserialized through `parse`. With the conversions of `__parse_impls!`,
/// `From<$ty> for String`, `AsRef<str>`, `Display` (the string) and `Debug`: `Type("raw")`, or
/// the format given after the declaration (`debug: "{}({})"`, whose arguments are the type's
/// name and the string).
macro_rules! string_newtype {
    ($(#[$attr:meta])* pub struct $ty:ident;) => {
        $crate::validated::string_newtype!($(#[$attr])* pub struct $ty; debug: "{}({:?})");
    };
    ($(#[$attr:meta])* pub struct $ty:ident; debug: $format:literal) => {
        $(#[$attr])*
        #[derive(
            Clone, PartialEq, Eq, PartialOrd, Ord, Hash, ::serde::Serialize, ::serde::Deserialize,
        )]
        #[serde(try_from = "String", into = "String")]
        pub struct $ty {
            raw: String,
        }

        $crate::__parse_impls!($ty);

        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.raw
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.raw
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.raw)
            }
        }

        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, $format, stringify!($ty), self.raw)
            }
        }
    };
}

pub(crate) use string_newtype;

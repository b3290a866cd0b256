//! [`ScriptHash`]: the hash of a script version, checked when parsed.

use crate::{Error, Result};

crate::validated::string_newtype! {
    /// The hash of a script version, as Windmill shows it: exactly 16 hexadecimal digits (a
    /// 64-bit value; the spec's "16-char hex string"), upper or lower case.
    ///
    /// ```
    /// use wmill_core::ScriptHash;
    ///
    /// let hash: ScriptHash = "4f2a9c01d3e5b7a8".parse()?;
    /// assert_eq!(hash.as_str(), "4f2a9c01d3e5b7a8");
    /// assert!("xyz".parse::<ScriptHash>().is_err());
    /// assert!("4f2a9c".parse::<ScriptHash>().is_err()); // too short
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub struct ScriptHash; debug: "{}({})"
}

impl ScriptHash {
    /// Parses and validates a script hash.
    pub fn parse(hash: impl AsRef<str>) -> Result<Self> {
        let raw = hash.as_ref();
        let bad = |reason: String| Err(Error::invalid("script hash", reason));
        if raw.is_empty() {
            return bad("the hash is empty".into());
        }
        if !raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            return bad(format!("{raw:?} is not hexadecimal"));
        }
        // The server writes hashes as 16 hex digits (a 64-bit value) and refuses shorter ones.
        if raw.len() != 16 {
            return bad(format!(
                "{raw:?} has {} hex digits; a script hash has exactly 16",
                raw.len()
            ));
        }
        Ok(ScriptHash {
            raw: raw.to_ascii_lowercase(),
        })
    }

    /// The hash as a lower-case hex string.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

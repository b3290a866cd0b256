//! Optional SHA-256 checksums: computed on writes, stored as the object's user metadata, and
//! verified on reads of whole objects that carry one.

use std::fmt;

use object_store::{Attribute, Attributes};
use sha2::{Digest, Sha256};
use wmill_core::{Error, Result};

use crate::S3Object;
use crate::error::location;

/// The user-metadata key that holds an object's SHA-256 (hex), written by
/// [`WriteOptions::checksum`](crate::WriteOptions::checksum). On S3 it is the header
/// `x-amz-meta-wmill-sha256`.
pub const CHECKSUM_METADATA: &str = "wmill-sha256";

/// The bytes read or written are not the bytes whose checksum the object carries: the source
/// of the [`Error::Storage`](wmill_core::Error::Storage) of such a transfer.
///
/// ```
/// # fn f(err: wmill_core::Error) {
/// use std::error::Error as _;
/// if let Some(bad) = err.source().and_then(|s| s.downcast_ref::<wmill_s3::ChecksumMismatch>()) {
///     eprintln!("corrupted: {} (expected {}, got {})", bad.object, bad.expected, bad.actual);
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChecksumMismatch {
    /// The object, as `s3://<storage>/<key>`.
    pub object: String,
    /// The SHA-256 the object carries (hex).
    pub expected: String,
    /// The SHA-256 of the bytes that moved (hex).
    pub actual: String,
}

impl fmt::Display for ChecksumMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SHA-256 mismatch on {}: stored {}, transferred {}",
            self.object, self.expected, self.actual
        )
    }
}

impl std::error::Error for ChecksumMismatch {}

/// A running SHA-256.
#[derive(Clone, Default)]
pub(crate) struct Hasher(Sha256);

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hasher")
    }
}

impl Hasher {
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The hex digest of what was hashed so far.
    pub(crate) fn hex(&self) -> String {
        hex(&self.0.clone().finalize())
    }
}

/// The hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

/// The checksum an object carries, if any (a well-formed hex SHA-256).
pub(crate) fn stored(attributes: &Attributes) -> Option<String> {
    let value = attributes.get(&Attribute::Metadata(CHECKSUM_METADATA.into()))?;
    let value = value.as_ref().trim().to_ascii_lowercase();
    (value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())).then_some(value)
}

/// `attributes` with the checksum added.
pub(crate) fn with_checksum(mut attributes: Attributes, hex: &str) -> Attributes {
    attributes.insert(
        Attribute::Metadata(CHECKSUM_METADATA.into()),
        hex.to_owned().into(),
    );
    attributes
}

/// The checksum side of one write.
#[derive(Debug, Default)]
pub(crate) struct WriteChecksum {
    /// Hashes the body as it goes out.
    pub(crate) hasher: Hasher,
    /// The digest known before the upload (the body is a buffer): it can go with a multipart
    /// upload's creation.
    pub(crate) precomputed: Option<String>,
    /// Whether the store kept the checksum with the object.
    pub(crate) stored: bool,
}

/// [`Error::Storage`] with a [`ChecksumMismatch`](crate::ChecksumMismatch) unless the digests agree.
pub(crate) fn check_digest(obj: &S3Object, expected: String, actual: String) -> Result<()> {
    if expected == actual {
        return Ok(());
    }
    let object = location(obj.storage(), obj.key());
    Err(Error::Storage {
        operation: format!("verify the SHA-256 of {object}"),
        source: Box::new(ChecksumMismatch {
            object,
            expected,
            actual,
        }),
    })
}

#[cfg(test)]
mod tests;

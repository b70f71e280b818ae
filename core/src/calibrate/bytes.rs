//! A small, exact byte form for the mergeable E-step statistics, so they can travel
//! between processes (Dask workers): a 4-byte tag, a version byte, then little-endian
//! `u64` sizes and `f64` values. Reading checks every length and never panics.

use crate::error::{Error, Result};

/// The byte-form version written and read.
const VERSION: u8 = 1;

/// Appends tagged, little-endian fields.
pub(crate) struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    pub(crate) fn new(tag: &[u8; 4], capacity: usize) -> Self {
        let mut bytes = Vec::with_capacity(5 + capacity);
        bytes.extend_from_slice(tag);
        bytes.push(VERSION);
        Writer { bytes }
    }

    pub(crate) fn size(&mut self, value: usize) {
        self.bytes.extend_from_slice(&(value as u64).to_le_bytes());
    }

    pub(crate) fn value(&mut self, value: f64) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    pub(crate) fn values(&mut self, values: &[f64]) {
        for &v in values {
            self.value(v);
        }
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

/// Reads what a [`Writer`] wrote; every failure is an [`Error::InvalidSetting`] naming
/// `what`.
pub(crate) struct Reader<'a> {
    what: &'static str,
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(what: &'static str, tag: &[u8; 4], bytes: &'a [u8]) -> Result<Self> {
        let reader = Reader { what, rest: bytes };
        if bytes.len() < 5 || &bytes[..4] != tag {
            return Err(reader.error("not this kind of statistic (wrong tag)"));
        }
        if bytes[4] != VERSION {
            return Err(reader.error(format!(
                "byte-form version {} is not supported (this build reads {VERSION})",
                bytes[4]
            )));
        }
        Ok(Reader {
            what,
            rest: &bytes[5..],
        })
    }

    pub(crate) fn error(&self, reason: impl Into<String>) -> Error {
        Error::setting(self.what, reason)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.rest.len() < n {
            return Err(self.error("truncated bytes"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// A size, at most `limit`.
    pub(crate) fn size(&mut self, limit: usize) -> Result<usize> {
        let raw = u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes"));
        usize::try_from(raw)
            .ok()
            .filter(|&v| v <= limit)
            .ok_or_else(|| self.error(format!("size {raw} is out of range (at most {limit})")))
    }

    pub(crate) fn value(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }

    /// `n` values; fails before allocating when fewer bytes remain.
    pub(crate) fn values(&mut self, n: usize) -> Result<Vec<f64>> {
        let bytes = n
            .checked_mul(8)
            .filter(|&b| b <= self.rest.len())
            .ok_or_else(|| self.error("truncated bytes"))?;
        let chunk = self.take(bytes)?;
        Ok(chunk
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect())
    }

    /// Ends reading; trailing bytes are an error.
    pub(crate) fn finish(self) -> Result<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(self.error(format!("{} unexpected trailing bytes", self.rest.len())))
        }
    }
}

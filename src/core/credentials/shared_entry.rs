//! The entry the roots share and its encoding: the one place the secret is
//! not held in a redacting type. One field a line (secrets, tokens, key ids
//! and fingerprints never hold a line break), written and read by hand: no
//! serializer is linked into the module for it, and anything that is not
//! exactly this shape reads as no entry.

use crate::core::secret::Credentials;
use crate::core::time::unix_millis;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The first line: what the entry is, and its format's version.
const MAGIC: &str = "aws-lambda credentials 1";
/// An entry larger than this is not read (credentials take a few KB).
const MAX_ENTRY: usize = 16 * 1024;

/// The entry as stored. No `Debug`: it holds the secret.
pub(super) struct Entry {
    pub(super) fp: String,
    pub(super) lease: Option<Lease>,
    pub(super) creds: Option<Wire>,
}

#[derive(Clone, Copy)]
pub(super) struct Lease {
    pub(super) owner: u64,
    pub(super) until_ms: u64,
}

/// Credentials as stored: times in milliseconds since the UNIX epoch.
pub(super) struct Wire {
    id: String,
    secret: String,
    token: Option<String>,
    pub(super) expires_ms: Option<u64>,
    refresh_ms: Option<u64>,
}

/// None for a time past what `SystemTime` holds (a corrupt entry).
pub(super) fn from_ms(ms: u64) -> Option<SystemTime> {
    UNIX_EPOCH.checked_add(Duration::from_millis(ms))
}

impl Wire {
    pub(super) fn of(c: &Credentials, refresh_at: Option<SystemTime>) -> Self {
        Wire {
            id: c.access_key_id.clone(),
            secret: c.secret_access_key.expose().to_string(),
            token: c.session_token.as_ref().map(|t| t.expose().to_string()),
            expires_ms: c.expiration.map(unix_millis),
            refresh_ms: refresh_at.map(unix_millis),
        }
    }

    /// The credentials and their refresh time; None if a field cannot be right.
    pub(super) fn read(&self) -> Option<(Credentials, Option<SystemTime>)> {
        if self.id.is_empty() || self.secret.is_empty() {
            return None;
        }
        // An unset time stays unset; one past what `SystemTime` holds spoils the entry.
        let at = |ms: Option<u64>| ms.map_or(Some(None), |ms| from_ms(ms).map(Some));
        let mut c = Credentials::new(self.id.as_str(), self.secret.as_str(), self.token.clone());
        c.expiration = at(self.expires_ms)?;
        let refresh = at(self.refresh_ms)?;
        // What this filter publishes has a refresh time exactly when it expires, and the
        // refresh comes first: anything else would be held, never refreshed, until it expired.
        match (c.expiration, refresh) {
            (None, None) => {}
            (Some(expires), Some(refresh)) if refresh <= expires => {}
            _ => return None,
        }
        Some((c, refresh))
    }
}

/// An optional number as a line ("" for none).
fn number(n: Option<u64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

/// A line as an optional number; Err when it is neither empty nor a number.
fn parse_number(line: &str) -> Result<Option<u64>, ()> {
    match line {
        "" => Ok(None),
        n => n.parse().map(Some).map_err(|_| ()),
    }
}

impl Entry {
    /// The lines of the entry; None if a field holds a line break.
    pub(super) fn encode(&self) -> Option<Vec<u8>> {
        let (owner, until) = match self.lease {
            Some(l) => (l.owner.to_string(), l.until_ms.to_string()),
            None => (String::new(), String::new()),
        };
        let c = self.creds.as_ref();
        let text = |f: fn(&Wire) -> &str| c.map(f).unwrap_or_default();
        let lines = [
            MAGIC,
            &self.fp,
            &owner,
            &until,
            text(|w| &w.id),
            text(|w| &w.secret),
            text(|w| w.token.as_deref().unwrap_or_default()),
            &number(c.and_then(|w| w.expires_ms)),
            &number(c.and_then(|w| w.refresh_ms)),
        ];
        if lines.iter().any(|l| l.contains('\n')) {
            return None;
        }
        Some(lines.join("\n").into_bytes())
    }

    /// The entry these bytes hold; None if they are not one.
    pub(super) fn decode(bytes: &[u8]) -> Option<Entry> {
        if bytes.len() > MAX_ENTRY {
            return None;
        }
        let text = std::str::from_utf8(bytes).ok()?;
        let lines: Vec<&str> = text.split('\n').collect();
        let [magic, fp, owner, until, id, secret, token, expires, refresh] = lines[..] else {
            return None;
        };
        if magic != MAGIC {
            return None;
        }
        let lease = match (parse_number(owner).ok()?, parse_number(until).ok()?) {
            (Some(owner), Some(until_ms)) => Some(Lease { owner, until_ms }),
            (None, None) => None,
            _ => return None,
        };
        let (expires_ms, refresh_ms) = (parse_number(expires).ok()?, parse_number(refresh).ok()?);
        let creds = (!id.is_empty()).then(|| Wire {
            id: id.to_string(),
            secret: secret.to_string(),
            token: (!token.is_empty()).then(|| token.to_string()),
            expires_ms,
            refresh_ms,
        });
        Some(Entry {
            fp: fp.to_string(),
            lease,
            creds,
        })
    }
}

#[cfg(test)]
#[path = "shared_entry_tests.rs"]
mod tests;

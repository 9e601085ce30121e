//! The one home of the signing caches. SigV4 is deterministic, so what one
//! request of a second computed serves every later request of that second:
//!
//! * the signing key (four HMACs) of a (date, region, service, secret), and
//!   the string-to-sign head keyed with it, stamped once a second;
//! * per prepared signer, the canonical request of the second (and session
//!   token) up to the payload hash: a request then hashes only its body;
//! * per fixed payload (a configuration without `{#…}` blocks), the signed
//!   headers of the second and credentials: a request then signs nothing.
//!
//! One cache per VM (a VM is one thread), outside the configuration, so the
//! signer and the `Config` streams share hold no interior mutability.

use super::signing_key::{signing_mac, stamp};
use super::sigv4::Prepared;
use crate::core::secret::{Credentials, Secret};
use crate::core::time::amz_date;
use hmac::Hmac;
use sha2::Sha256;
use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Entries kept per kind: one per configuration of the VM (usually one).
const SLOTS: usize = 8;

/// The signing key of one (date, region, service, secret) and its stamp of one second.
struct KeyEntry {
    date: String,
    region: String,
    service: String,
    secret: Secret,
    mac: Hmac<Sha256>,
    second: u64,
    date_time: String,
    stamped: Hmac<Sha256>,
}

/// A prepared signer's canonical request of one second and session token, up to the payload hash.
struct HeadEntry {
    signer: u64,
    second: u64,
    token: Option<Secret>,
    state: Sha256,
}

/// A fixed payload's signed headers of one second and credentials.
struct HeadersEntry {
    payload: u64,
    second: u64,
    access_key_id: String,
    secret: Secret,
    token: Option<Secret>,
    headers: Vec<(String, String)>,
}

#[derive(Default)]
struct Caches {
    key: Option<KeyEntry>,
    heads: Vec<HeadEntry>,
    headers: Vec<HeadersEntry>,
}

thread_local! {
    static CACHES: RefCell<Caches> = RefCell::new(Caches::default());
}

pub(super) fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Replaces the entry `same` picks, else adds one (the oldest goes when full).
fn put<T>(entries: &mut Vec<T>, same: impl Fn(&T) -> bool, entry: T) {
    if let Some(i) = entries.iter().position(same) {
        entries[i] = entry;
        return;
    }
    if entries.len() >= SLOTS {
        entries.remove(0);
    }
    entries.push(entry);
}

impl Caches {
    /// `x-amz-date` of `secs` and the keyed HMAC that absorbed the string-to-sign head.
    fn stamped_mac(
        &mut self,
        secret: &Secret,
        secs: u64,
        region: &str,
        service: &str,
    ) -> Option<(String, Hmac<Sha256>)> {
        let same_key =
            |c: &KeyEntry| c.region == region && c.service == service && c.secret == *secret;
        if let Some(c) = self
            .key
            .as_ref()
            .filter(|c| c.second == secs && same_key(c))
        {
            return Some((c.date_time.clone(), c.stamped.clone()));
        }
        let date_time = amz_date(UNIX_EPOCH + Duration::from_secs(secs));
        let date = &date_time[..8];
        let mac = match self.key.as_ref().filter(|c| c.date == date && same_key(c)) {
            Some(c) => c.mac.clone(),
            None => signing_mac(secret, date, region, service)?,
        };
        let stamped = stamp(&mac, &date_time, region, service);
        self.key = Some(KeyEntry {
            date: date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
            secret: secret.clone(),
            mac,
            second: secs,
            date_time: date_time.clone(),
            stamped: stamped.clone(),
        });
        Some((date_time, stamped))
    }

    fn canonical_head(
        &mut self,
        signer: &Prepared,
        secs: u64,
        date_time: &str,
        token: Option<&Secret>,
    ) -> Sha256 {
        let id = signer.id();
        if let Some(h) = self
            .heads
            .iter()
            .find(|h| h.signer == id && h.second == secs && h.token.as_ref() == token)
        {
            return h.state.clone();
        }
        let state = signer.canonical_head(date_time, token);
        let entry = HeadEntry {
            signer: id,
            second: secs,
            token: token.cloned(),
            state: state.clone(),
        };
        put(&mut self.heads, |h| h.signer == id, entry);
        state
    }

    fn sign(
        &mut self,
        signer: &Prepared,
        body: &[u8],
        creds: &Credentials,
        secs: u64,
    ) -> Result<Vec<(String, String)>, String> {
        let (date_time, mac) = self
            .stamped_mac(
                &creds.secret_access_key,
                secs,
                signer.region(),
                signer.service(),
            )
            .ok_or("cannot key HMAC-SHA256")?;
        let head = self.canonical_head(signer, secs, &date_time, creds.session_token.as_ref());
        Ok(signer.finish(head, mac, date_time, body, creds))
    }
}

/// [`Prepared::sign`], from the caches of the current second.
pub(super) fn sign(
    signer: &Prepared,
    body: &[u8],
    creds: &Credentials,
    time: SystemTime,
) -> Result<Vec<(String, String)>, String> {
    CACHES.with(|c| c.borrow_mut().sign(signer, body, creds, unix_seconds(time)))
}

/// The signed headers of the fixed payload `payload` (its identity) with `body`.
pub(super) fn sign_fixed(
    payload: u64,
    signer: &Prepared,
    body: &[u8],
    creds: &Credentials,
    time: SystemTime,
) -> Result<Vec<(String, String)>, String> {
    let second = unix_seconds(time);
    CACHES.with(|c| {
        let mut caches = c.borrow_mut();
        let hit = caches.headers.iter().find(|s| {
            s.payload == payload
                && s.second == second
                && s.access_key_id == creds.access_key_id
                && s.secret == creds.secret_access_key
                && s.token == creds.session_token
        });
        if let Some(s) = hit {
            return Ok(s.headers.clone());
        }
        let headers = caches.sign(signer, body, creds, second)?;
        let entry = HeadersEntry {
            payload,
            second,
            access_key_id: creds.access_key_id.clone(),
            secret: creds.secret_access_key.clone(),
            token: creds.session_token.clone(),
            headers: headers.clone(),
        };
        put(&mut caches.headers, |s| s.payload == payload, entry);
        Ok(headers)
    })
}

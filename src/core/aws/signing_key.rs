//! The SigV4 signing key of one (date, region, service, secret), derived with
//! four HMACs, and the keyed HMAC that has absorbed the head of the string to
//! sign of one second. Pure: `signing_cache.rs` keeps them.

use super::sigv4_text::{push_scope, ALGORITHM};
use crate::core::secret::Secret;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        mac.update(data);
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

/// HMAC-SHA256 keyed with the signing key of `date` (`YYYYMMDD`): cloning it
/// skips the four derivation HMACs and the two key-pad compressions.
pub(super) fn signing_mac(
    secret: &Secret,
    date: &str,
    region: &str,
    service: &str,
) -> Option<Hmac<Sha256>> {
    let k_date = hmac(
        format!("AWS4{}", secret.expose()).as_bytes(),
        date.as_bytes(),
    );
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    let key = hmac(&k_service, b"aws4_request");
    <Hmac<Sha256> as KeyInit>::new_from_slice(&key).ok()
}

/// `mac` after it absorbed `AWS4-HMAC-SHA256\n{date_time}\n{scope}\n`, the
/// head of the string to sign (the same for every request of that second).
pub(super) fn stamp(
    mac: &Hmac<Sha256>,
    date_time: &str,
    region: &str,
    service: &str,
) -> Hmac<Sha256> {
    let mut head = String::with_capacity(96);
    head.push_str(ALGORITHM);
    head.push('\n');
    head.push_str(date_time);
    head.push('\n');
    push_scope(&mut head, &date_time[..8], region, service);
    head.push('\n');
    let mut stamped = mac.clone();
    stamped.update(head.as_bytes());
    stamped
}

//! The SigV4 signing key of one (date, region, service, secret), derived
//! (four HMACs) once a day, and the keyed HMAC that has absorbed the head of
//! the string to sign, stamped once a second. One cache per VM.

use super::sigv4_text::{push_scope, ALGORITHM};
use crate::core::secret::Secret;
use crate::core::time::amz_date;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::cell::RefCell;
use std::time::UNIX_EPOCH;

/// The derived key of one (date, region, service, secret), and the
/// string-to-sign head of the current second.
struct CachedKey {
    date: String,
    region: String,
    service: String,
    secret: Secret,
    /// HMAC-SHA256 already keyed with the signing key: cloning it skips the
    /// two key-pad compressions of every request.
    mac: Hmac<Sha256>,
    /// The UNIX second of `date_time`, and `mac` after it absorbed
    /// `AWS4-HMAC-SHA256\n{date_time}\n{scope}\n` (the same for every
    /// request of that second).
    second: u64,
    date_time: String,
    stamped: Hmac<Sha256>,
}

thread_local! {
    // One VM is one thread: the cache is shared by every stream of the VM.
    static KEY: RefCell<Option<CachedKey>> = const { RefCell::new(None) };
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        mac.update(data);
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

/// `x-amz-date` for `secs` and the keyed HMAC that has absorbed the head of
/// the string to sign; derived (four HMACs) once per day, region, service
/// and secret, stamped once per second.
pub(super) fn stamped_mac(
    secret: &Secret,
    secs: u64,
    region: &str,
    service: &str,
) -> Option<(String, Hmac<Sha256>)> {
    KEY.with(|cell| {
        let mut cache = cell.borrow_mut();
        let same_key =
            |c: &CachedKey| c.region == region && c.service == service && c.secret == *secret;
        if let Some(c) = cache.as_ref().filter(|c| c.second == secs && same_key(c)) {
            return Some((c.date_time.clone(), c.stamped.clone()));
        }
        let date_time = amz_date(UNIX_EPOCH + std::time::Duration::from_secs(secs));
        let date = &date_time[..8];
        let mac = match cache.as_ref().filter(|c| c.date == date && same_key(c)) {
            Some(c) => c.mac.clone(),
            None => {
                let k_date = hmac(
                    format!("AWS4{}", secret.expose()).as_bytes(),
                    date.as_bytes(),
                );
                let k_region = hmac(&k_date, region.as_bytes());
                let k_service = hmac(&k_region, service.as_bytes());
                let key = hmac(&k_service, b"aws4_request");
                <Hmac<Sha256> as KeyInit>::new_from_slice(&key).ok()?
            }
        };
        let mut head = String::with_capacity(96);
        head.push_str(ALGORITHM);
        head.push('\n');
        head.push_str(&date_time);
        head.push('\n');
        push_scope(&mut head, date, region, service);
        head.push('\n');
        let mut stamped = mac.clone();
        stamped.update(head.as_bytes());
        *cache = Some(CachedKey {
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
    })
}

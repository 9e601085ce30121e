//! SigV4 for the requests this filter sends (Lambda Invoke, STS AssumeRole).
//!
//! A specialised signer: the per-request work is one SHA-256 of the body,
//! one of the canonical request and one HMAC, because the signing key
//! (four HMACs) is derived once per day, region, service and secret and then
//! cached. `sigv4_tests.rs` proves it against AWS's published examples and,
//! differentially, against `aws-sigv4` on thousands of random requests; the
//! end-to-end suite has moto (botocore's verifier) accept its signatures.

use crate::core::credentials::Credentials;
use crate::core::secret::Secret;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

/// What is signed: everything the callout will carry that SigV4 covers.
pub struct Signable<'a> {
    pub method: &'a str,
    /// `host[:port]`, sent as `:authority`.
    pub authority: &'a str,
    /// Path and query exactly as they go on the wire (already percent-encoded once).
    pub path_and_query: &'a str,
    /// Headers to sign besides `host` (lowercase names).
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
    pub service: &'a str,
    pub region: &'a str,
    pub time: SystemTime,
}

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The derived key of one (date, region, service, secret).
struct CachedKey {
    date: String,
    region: String,
    service: String,
    secret: Secret,
    /// HMAC-SHA256 already keyed with the signing key: cloning it skips the
    /// two key-pad compressions of every request.
    mac: Hmac<Sha256>,
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

fn signing_mac(secret: &Secret, date: &str, region: &str, service: &str) -> Option<Hmac<Sha256>> {
    KEY.with(|cell| {
        let mut cache = cell.borrow_mut();
        if let Some(c) = cache.as_ref() {
            if c.date == date && c.region == region && c.service == service && c.secret == *secret {
                return Some(c.mac.clone());
            }
        }
        let k_date = hmac(
            format!("AWS4{}", secret.expose()).as_bytes(),
            date.as_bytes(),
        );
        let k_region = hmac(&k_date, region.as_bytes());
        let k_service = hmac(&k_region, service.as_bytes());
        let key = hmac(&k_service, b"aws4_request");
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).ok()?;
        *cache = Some(CachedKey {
            date: date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
            secret: secret.clone(),
            mac: mac.clone(),
        });
        Some(mac)
    })
}

/// Lowercase hex, without the formatting machinery (three digests a request).
fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// URI-encodes every byte but the unreserved ones (and `/` when `keep_slash`).
fn push_encoded(out: &mut String, s: &[u8], keep_slash: bool) {
    for &b in s {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(s).collect()
}

/// `YYYYMMDDTHHMMSSZ` from a UNIX time (UTC), without a date crate.
pub fn amz_date(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Header values are trimmed and inner runs of spaces collapsed.
fn push_header_value(out: &mut String, v: &str) {
    let mut space = false;
    for c in v.trim().chars() {
        if c == ' ' {
            space = true;
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
}

/// Signs and returns the headers to add to the request: `x-amz-date`,
/// `authorization` and, for temporary credentials, `x-amz-security-token`.
pub fn sign_headers(
    req: &Signable<'_>,
    creds: &Credentials,
) -> Result<Vec<(String, String)>, String> {
    let date_time = amz_date(req.time);
    let date = &date_time[..8];
    let (path, query) = req
        .path_and_query
        .split_once('?')
        .unwrap_or((req.path_and_query, ""));
    if !path.starts_with('/') {
        return Err(format!("request path {path:?} must start with '/'"));
    }

    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(req.headers.len() + 3);
    headers.push(("host", req.authority));
    headers.push(("x-amz-date", &date_time));
    if let Some(token) = &creds.session_token {
        headers.push(("x-amz-security-token", token.expose()));
    }
    headers.extend(req.headers.iter().copied());
    headers.sort_by(|a, b| a.0.cmp(b.0));

    let mut canonical = String::with_capacity(256 + req.path_and_query.len());
    canonical.push_str(req.method);
    canonical.push('\n');
    // Services other than S3 encode the (already encoded) path once more.
    push_encoded(&mut canonical, path.as_bytes(), true);
    canonical.push('\n');
    let mut params: Vec<(Vec<u8>, Vec<u8>)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    params.sort();
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            canonical.push('&');
        }
        push_encoded(&mut canonical, k, false);
        canonical.push('=');
        push_encoded(&mut canonical, v, false);
    }
    canonical.push('\n');
    let mut signed_names = String::with_capacity(96);
    for (i, (name, value)) in headers.iter().enumerate() {
        canonical.push_str(name);
        canonical.push(':');
        push_header_value(&mut canonical, value);
        canonical.push('\n');
        if i > 0 {
            signed_names.push(';');
        }
        signed_names.push_str(name);
    }
    canonical.push('\n');
    canonical.push_str(&signed_names);
    canonical.push('\n');
    push_hex(&mut canonical, &Sha256::digest(req.body));

    let scope = format!("{date}/{}/{}/aws4_request", req.region, req.service);
    let mut to_sign = String::with_capacity(160);
    to_sign.push_str(ALGORITHM);
    to_sign.push('\n');
    to_sign.push_str(&date_time);
    to_sign.push('\n');
    to_sign.push_str(&scope);
    to_sign.push('\n');
    push_hex(&mut to_sign, &Sha256::digest(canonical.as_bytes()));

    let mut mac = signing_mac(&creds.secret_access_key, date, req.region, req.service)
        .ok_or("cannot key HMAC-SHA256")?;
    mac.update(to_sign.as_bytes());
    let mut authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_names}, Signature=",
        creds.access_key_id
    );
    push_hex(&mut authorization, &mac.finalize().into_bytes());

    let mut out = Vec::with_capacity(3);
    out.push(("x-amz-date".to_string(), date_time.clone()));
    out.push(("authorization".to_string(), authorization));
    if let Some(token) = &creds.session_token {
        out.push((
            "x-amz-security-token".to_string(),
            token.expose().to_string(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
#[path = "sigv4_tests.rs"]
mod tests;

//! SigV4 for the requests this filter sends (Lambda Invoke, STS AssumeRole).
//!
//! A specialised signer, pure: [`Prepared`] holds what does not depend on the
//! request, [`Prepared::sign`] computes a signature from scratch. Served
//! through `signing_cache.rs`, the per-request work is one SHA-256 of the body,
//! one HMAC and a little hashing, because the signing key is derived once per
//! day, region, service and secret. `sigv4_tests.rs` proves it against AWS's published examples and,
//! differentially, against `aws-sigv4` on thousands of random requests; the
//! end-to-end suite has moto (botocore's verifier) accept its signatures.

use super::signing_key::{signing_mac, stamp};
use super::sigv4_text::{
    hex_into, push_canonical_uri_and_query, push_header_value, push_hex, push_scope, ALGORITHM,
};
use crate::core::secret::{Credentials, Secret};
use crate::core::time::amz_date;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::fmt;
use std::time::SystemTime;

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

/// Signs and returns the headers to add to the request: `x-amz-date`,
/// `authorization` and, for temporary credentials, `x-amz-security-token`.
pub fn sign_headers(
    req: &Signable<'_>,
    creds: &Credentials,
) -> Result<Vec<(String, String)>, String> {
    let prepared = Prepared::new(
        req.method,
        req.authority,
        req.path_and_query,
        req.headers,
        req.service,
        req.region,
    )?;
    prepared.sign(req.body, creds, req.time)
}

/// Everything of a signature that does not depend on the request, computed
/// once (the Invoke target keeps one for the life of the configuration):
/// the SHA-256 state of the canonical request up to `x-amz-date`, the
/// constant headers after it and the signed-headers lists.
#[derive(Clone)]
pub struct Prepared {
    region: String,
    service: String,
    /// Has absorbed `METHOD\npath\nquery\n` and the headers sorted before `x-amz-date` (`host`…).
    head: Sha256,
    /// `name:value\n` lines of the headers sorted after `x-amz-date`, with their names.
    tail: Vec<(String, String)>,
    /// `SignedHeaders` without and with `x-amz-security-token`.
    signed: String,
    signed_with_token: String,
    /// Its key in the signing cache (a clone is the same signer).
    id: u64,
}

thread_local! {
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
}

/// A fresh identity for a prepared signer or a fixed payload: their key in
/// the signing cache.
pub(super) fn new_id() -> u64 {
    NEXT_ID.with(|n| {
        let id = n.get().wrapping_add(1);
        n.set(id);
        id
    })
}

const DATE: &str = "x-amz-date";
const TOKEN: &str = "x-amz-security-token";

impl Prepared {
    /// `headers`: the constant headers to sign besides `host` (lowercase names).
    pub fn new(
        method: &str,
        authority: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        service: &str,
        region: &str,
    ) -> Result<Prepared, String> {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        if !path.starts_with('/') {
            return Err(format!("request path {path:?} must start with '/'"));
        }
        let mut canonical = String::with_capacity(128 + path_and_query.len());
        canonical.push_str(method);
        canonical.push('\n');
        push_canonical_uri_and_query(&mut canonical, path, query);

        // Sorted by name (equal names in their order) as they are inserted: a handful of
        // headers, once per target, without a sort routine compiled for them.
        let mut constant: Vec<(&str, &str)> = Vec::with_capacity(headers.len() + 1);
        for h in std::iter::once(("host", authority)).chain(headers.iter().copied()) {
            let at = constant.partition_point(|c| c.0 <= h.0);
            constant.insert(at, h);
        }
        let line = |name: &str, value: &str| {
            let mut l = format!("{name}:");
            push_header_value(&mut l, value);
            l.push('\n');
            l
        };
        let mut tail = Vec::new();
        let (mut signed, mut signed_with_token) = (Vec::new(), Vec::new());
        for (name, value) in &constant {
            if *name < DATE {
                canonical.push_str(&line(name, value));
                signed.push(*name);
            } else {
                tail.push((name.to_string(), line(name, value)));
            }
        }
        signed.push(DATE);
        signed_with_token.clone_from(&signed);
        let mut token_placed = false;
        for (name, _) in &tail {
            if !token_placed && TOKEN < name.as_str() {
                signed_with_token.push(TOKEN);
                token_placed = true;
            }
            signed.push(name);
            signed_with_token.push(name);
        }
        if !token_placed {
            signed_with_token.push(TOKEN);
        }
        let mut head = Sha256::new();
        head.update(canonical.as_bytes());
        Ok(Prepared {
            region: region.to_string(),
            service: service.to_string(),
            head,
            signed: signed.join(";"),
            signed_with_token: signed_with_token.join(";"),
            tail,
            id: new_id(),
        })
    }

    /// `SignedHeaders`, with `x-amz-security-token` for temporary credentials.
    fn signed_headers(&self, with_token: bool) -> &str {
        if with_token {
            &self.signed_with_token
        } else {
            &self.signed
        }
    }

    pub(super) fn id(&self) -> u64 {
        self.id
    }

    pub(super) fn region(&self) -> &str {
        &self.region
    }

    pub(super) fn service(&self) -> &str {
        &self.service
    }

    /// The SHA-256 state of the canonical request up to the payload hash, for
    /// `date_time` (`x-amz-date`) and the session token: all of it but the
    /// body's hash is the same for every request of that second.
    pub(super) fn canonical_head(&self, date_time: &str, token: Option<&Secret>) -> Sha256 {
        let token_line = token.map(|t| {
            let mut l = format!("{TOKEN}:");
            push_header_value(&mut l, t.expose());
            l.push('\n');
            l
        });
        let mut canonical = self.head.clone();
        canonical.update(DATE.as_bytes());
        canonical.update(b":");
        canonical.update(date_time.as_bytes());
        canonical.update(b"\n");
        let mut pending = token_line.as_deref();
        for (name, line) in &self.tail {
            if let Some(t) = pending.filter(|_| TOKEN < name.as_str()) {
                canonical.update(t.as_bytes());
                pending = None;
            }
            canonical.update(line.as_bytes());
        }
        if let Some(t) = pending {
            canonical.update(t.as_bytes());
        }
        canonical.update(b"\n");
        canonical.update(self.signed_headers(token.is_some()).as_bytes());
        canonical.update(b"\n");
        canonical
    }

    /// The headers that sign one request with `body`: `canonical` is
    /// [`Self::canonical_head`] and `mac` the keyed, stamped HMAC of `date_time`.
    pub(super) fn finish(
        &self,
        mut canonical: Sha256,
        mut mac: Hmac<Sha256>,
        date_time: String,
        body: &[u8],
        creds: &Credentials,
    ) -> Vec<(String, String)> {
        let signed = self.signed_headers(creds.session_token.is_some());
        let mut hex = [0u8; 64];
        canonical.update(hex_into(&mut hex, &Sha256::digest(body)));
        mac.update(hex_into(&mut hex, &canonical.finalize()));

        let mut authorization = String::with_capacity(200);
        authorization.push_str(ALGORITHM);
        authorization.push_str(" Credential=");
        authorization.push_str(&creds.access_key_id);
        authorization.push('/');
        push_scope(
            &mut authorization,
            &date_time[..8],
            &self.region,
            &self.service,
        );
        authorization.push_str(", SignedHeaders=");
        authorization.push_str(signed);
        authorization.push_str(", Signature=");
        push_hex(&mut authorization, &mac.finalize().into_bytes());

        let mut out = Vec::with_capacity(3);
        out.push((DATE.to_string(), date_time));
        out.push(("authorization".to_string(), authorization));
        if let Some(token) = &creds.session_token {
            out.push((TOKEN.to_string(), token.expose().to_string()));
        }
        out
    }

    /// The headers that sign one request with `body` at `time`, computed from
    /// scratch (the Invoke target signs through the cache instead).
    pub fn sign(
        &self,
        body: &[u8],
        creds: &Credentials,
        time: SystemTime,
    ) -> Result<Vec<(String, String)>, String> {
        let date_time = amz_date(time);
        let mac = signing_mac(
            &creds.secret_access_key,
            &date_time[..8],
            &self.region,
            &self.service,
        )
        .ok_or("cannot key HMAC-SHA256")?;
        let mac = stamp(&mac, &date_time, &self.region, &self.service);
        let head = self.canonical_head(&date_time, creds.session_token.as_ref());
        Ok(self.finish(head, mac, date_time, body, creds))
    }
}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prepared")
            .field("region", &self.region)
            .field("service", &self.service)
            .field("signed", &self.signed)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[path = "sigv4_tests.rs"]
mod tests;

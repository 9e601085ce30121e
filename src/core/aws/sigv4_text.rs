//! The text of a SigV4 signature: lowercase hex, URI encoding, the canonical
//! URI and query, header values, `x-amz-date` and the credential scope, without the formatting
//! machinery (this is on every request's path).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

pub(super) const ALGORITHM: &str = "AWS4-HMAC-SHA256";

const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of a 32-byte digest, without the formatting machinery.
pub(crate) fn push_hex(out: &mut String, digest: &[u8]) {
    let mut buf = [0u8; 64];
    // Only ASCII hex digits were written: the conversion cannot fail.
    out.push_str(std::str::from_utf8(hex_into(&mut buf, digest)).unwrap_or_default());
}

/// A 32-byte digest as lowercase hex in `buf` (hashed again, never stored).
pub(super) fn hex_into<'b>(buf: &'b mut [u8; 64], digest: &[u8]) -> &'b [u8] {
    for (i, &b) in digest.iter().take(32).enumerate() {
        buf[2 * i] = HEX_LOWER[usize::from(b >> 4)];
        buf[2 * i + 1] = HEX_LOWER[usize::from(b & 15)];
    }
    &buf[..]
}

/// RFC 3986 unreserved characters (letters, digits, `-_.~`): what URI
/// encoding leaves as it is, in SigV4, the Invoke path, STS forms and IMDS paths.
pub(crate) const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

const UNRESERVED_AND_SLASH: &AsciiSet = &UNRESERVED.remove(b'/');

/// URI-encodes every byte but the unreserved ones (and `/` when `keep_slash`).
fn push_encoded(out: &mut String, s: &[u8], keep_slash: bool) {
    let set = if keep_slash {
        UNRESERVED_AND_SLASH
    } else {
        UNRESERVED
    };
    out.extend(percent_encoding::percent_encode(s, set));
}

/// The canonical URI and the canonical query string, each on its line:
/// the path encoded once more (as for every service but S3), the query's
/// parameters decoded, sorted and encoded again.
pub(super) fn push_canonical_uri_and_query(canonical: &mut String, path: &str, query: &str) {
    push_encoded(canonical, path.as_bytes(), true);
    canonical.push('\n');
    // Sorted as they are inserted: a handful of parameters, without a sort routine for them.
    let mut params: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for p in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        let param = (percent_decode(k), percent_decode(v));
        let at = params.partition_point(|q| *q <= param);
        params.insert(at, param);
    }
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            canonical.push('&');
        }
        push_encoded(canonical, k, false);
        canonical.push('=');
        push_encoded(canonical, v, false);
    }
    canonical.push('\n');
}

fn percent_decode(s: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(s).collect()
}

/// Header values are trimmed and inner runs of spaces collapsed.
pub(super) fn push_header_value(out: &mut String, v: &str) {
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

pub(super) fn push_scope(out: &mut String, date: &str, region: &str, service: &str) {
    out.push_str(date);
    out.push('/');
    out.push_str(region);
    out.push('/');
    out.push_str(service);
    out.push_str("/aws4_request");
}

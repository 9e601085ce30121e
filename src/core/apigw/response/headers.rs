//! The headers a function may set: lower-cased, valid tokens, no CR/LF/NUL; pseudo-headers,
//! hop-by-hop headers and `content-length` (recomputed by the proxy) dropped; one
//! `content-type` (the last).

use super::fields::shown;

/// Connection-specific headers (RFC 9110 7.6.1) and what the proxy recomputes.
pub const DROPPED: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "te",
    "trailer",
    "content-length",
];

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Checks and normalises the function's headers in order.
pub(super) fn clean(raw: Vec<(String, String)>) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(raw.len());
    for (name, value) in raw {
        if name.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(format!("header name {} has CR, LF or NUL", shown(&name)));
        }
        if name.starts_with(':') {
            continue; // the function cannot set pseudo-headers
        }
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err(format!("header name {} is not a valid token", shown(&name)));
        }
        if value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(format!(
                "header {} has CR, LF or NUL in its value",
                shown(&name)
            ));
        }
        let name = name.to_ascii_lowercase();
        if DROPPED.contains(&name.as_str()) {
            continue;
        }
        let value = value.trim_matches([' ', '\t']).to_string();
        if name == "content-type" {
            out.retain(|(k, _)| k != "content-type");
        }
        out.push((name, value));
    }
    Ok(out)
}

/// Adds `content-type` when the function set none.
pub(super) fn default_content_type(headers: &mut Vec<(String, String)>, value: &str) {
    if !headers.iter().any(|(k, _)| k == "content-type") {
        headers.push(("content-type".to_string(), value.to_string()));
    }
}

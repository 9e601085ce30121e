//! What every event format reads from the request: the pseudo-headers, the regular
//! headers, the query, the body as text or base64, the time in API Gateway's format.

use super::HttpRequest;
use crate::core::apigw::api_gateway::ApiGateway;
use crate::core::time::Civil;
use base64::Engine;
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

/// The request split once for the builders.
pub(crate) struct Parts<'a> {
    pub method: &'a str,
    /// `:path` as sent, query included.
    pub full_path: &'a str,
    /// `:path` without the query.
    pub path: &'a str,
    /// After the first `?` (`None` when there is no `?`).
    pub query: Option<&'a str>,
    pub authority: &'a str,
    /// Regular headers only, in arrival order.
    pub headers: Vec<(&'a str, &'a str)>,
}

impl<'a> Parts<'a> {
    pub fn of(req: &HttpRequest<'a>) -> Result<Parts<'a>, String> {
        let pseudo = |name: &str| {
            req.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let method = pseudo(":method").ok_or("the request has no :method")?;
        let full_path = pseudo(":path").ok_or("the request has no :path")?;
        let headers: Vec<(&str, &str)> = req
            .headers
            .iter()
            .filter(|(k, _)| !k.starts_with(':'))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let authority = pseudo(":authority")
            .or_else(|| headers.iter().find(|(k, _)| *k == "host").map(|(_, v)| *v))
            .unwrap_or("");
        // A fragment never reaches a proxy; drop one if a client sent it anyway.
        let no_fragment = full_path.split('#').next().unwrap_or(full_path);
        let (path, query) = match no_fragment.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (no_fragment, None),
        };
        Ok(Parts {
            method,
            full_path,
            path,
            query,
            authority,
            headers,
        })
    }

    pub fn first(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
    }
}

/// The path as API Gateway's default endpoint shows it: behind `/{stage}` unless the stage
/// is `$default` (v2's `rawPath`, v1's `requestContext.path`). Frameworks strip it again.
pub(crate) fn staged(stage: &str, path: &str) -> String {
    if stage == "$default" {
        path.to_string()
    } else {
        format!("/{stage}{path}")
    }
}

/// A JSON object that keeps its keys in the given order.
pub(crate) struct Obj<K, V>(pub Vec<(K, V)>);

/// `stageVariables`, absent when the API sets none (v1 and v2 alike).
pub(crate) fn stage_variables(api: &ApiGateway) -> Option<Obj<&str, &str>> {
    Obj(api
        .stage_variables
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect())
    .non_empty()
}

impl<K: Serialize, V: Serialize> Serialize for Obj<K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<K, V> Obj<K, V> {
    /// `None` (JSON `null`, or the field left out) when empty.
    pub fn non_empty(self) -> Option<Self> {
        (!self.0.is_empty()).then_some(self)
    }
}

/// Values grouped by key, keys in order of first appearance.
pub(crate) fn grouped<K: Eq + Hash + Clone, V>(
    pairs: impl IntoIterator<Item = (K, V)>,
) -> Vec<(K, Vec<V>)> {
    let mut out: Vec<(K, Vec<V>)> = Vec::new();
    let mut index: HashMap<K, usize> = HashMap::new();
    for (k, v) in pairs {
        match index.get(&k) {
            Some(&i) => {
                if let Some(slot) = out.get_mut(i) {
                    slot.1.push(v);
                }
            }
            None => {
                index.insert(k.clone(), out.len());
                out.push((k, vec![v]));
            }
        }
    }
    out
}

/// The values of each name joined with `,`, names in order of first appearance.
pub(crate) fn joined<K: Eq + Hash + Clone, V: Borrow<str>>(
    pairs: impl IntoIterator<Item = (K, V)>,
) -> Vec<(K, String)> {
    grouped(pairs)
        .into_iter()
        .map(|(k, vs)| (k, vs.join(",")))
        .collect()
}

/// What both API Gateway request contexts open with: whose API was called, on which host.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Called<'a> {
    account_id: &'a str,
    api_id: &'a str,
    domain_name: &'a str,
    domain_prefix: &'a str,
}

impl<'a> Called<'a> {
    pub fn of(api: &'a ApiGateway, parts: &Parts<'a>) -> Self {
        Called {
            account_id: &api.account_id,
            api_id: &api.api_id,
            domain_name: parts.authority,
            domain_prefix: domain_prefix(parts.authority),
        }
    }
}

/// Decodes one form-encoded query component (`+` is a space, as API Gateway reads it).
fn form_decoded(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    super::super::resource::decoded(&spaced)
}

/// The query's `key=value` pairs, decoded, in order (empty pieces skipped).
pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (form_decoded(k), form_decoded(v))
        })
        .collect()
}

/// Textual media types travel as text, the others base64 (parameters ignored).
pub(crate) fn is_textual(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || matches!(
            essence.as_str(),
            "application/json"
                | "application/xml"
                | "application/javascript"
                | "application/x-www-form-urlencoded"
        )
        || (essence.starts_with("application/")
            && (essence.ends_with("+json") || essence.ends_with("+xml")))
}

/// The body field and `isBase64Encoded`: `None` for an empty body; text when the
/// content type is textual and the bytes are UTF-8; base64 otherwise.
pub(crate) fn body_field(body: &[u8], content_type: Option<&str>) -> (Option<String>, bool) {
    if body.is_empty() {
        return (None, false);
    }
    if content_type.is_some_and(is_textual) {
        if let Ok(text) = std::str::from_utf8(body) {
            return (Some(text.to_string()), false);
        }
    }
    (
        Some(base64::engine::general_purpose::STANDARD.encode(body)),
        true,
    )
}

/// The address without its port: `10.0.0.1:5000` → `10.0.0.1`, `[::1]:5000` → `::1`.
pub(crate) fn ip_only(address: &str) -> &str {
    if let Some(rest) = address.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match address.rsplit_once(':') {
        // One colon: IPv4 with a port. More: a bare IPv6 address.
        Some((ip, port)) if !ip.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => ip,
        _ => address,
    }
}

/// The first label of the host (`api.example.com:8443` → `api`).
pub(crate) fn domain_prefix(authority: &str) -> &str {
    let host = if authority.starts_with('[') {
        authority
    } else {
        authority.split(':').next().unwrap_or(authority)
    };
    host.split('.').next().unwrap_or(host)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// API Gateway's request time, Common Log Format in UTC: `03/Dec/2026:09:12:00 +0000`.
pub(crate) fn clf_time(ms: u64) -> String {
    let c = Civil::from_unix_secs(ms / 1000);
    let name = MONTHS
        .get(usize::try_from(c.month - 1).unwrap_or(0))
        .unwrap_or(&"Jan");
    format!(
        "{:02}/{name}/{:04}:{:02}:{:02}:{:02} +0000",
        c.day, c.year, c.hour, c.minute, c.second
    )
}

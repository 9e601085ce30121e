//! The JSON envelope of Envoy's native `aws_lambda` filter (`payload_passthrough: false`):
//! `raw_path` is `:path` with its query, headers with one name are joined with `,`, the
//! query parameters are the first value of each name, as sent (not decoded), and every
//! field is present (`body` is `""` when empty).

use super::common::{body_field, grouped, joined, Obj, Parts};
use super::HttpRequest;
use serde::Serialize;

#[derive(Serialize)]
pub(super) struct Event<'a> {
    raw_path: &'a str,
    method: &'a str,
    headers: Obj<&'a str, String>,
    query_string_parameters: Obj<&'a str, &'a str>,
    body: String,
    is_base64_encoded: bool,
}

pub(super) fn event<'a>(req: &HttpRequest<'a>, parts: &'a Parts<'a>) -> Event<'a> {
    let headers = joined(parts.headers.iter().copied());
    let pairs = parts
        .query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")));
    let query = grouped(pairs)
        .into_iter()
        .filter_map(|(k, vs)| vs.first().map(|v| (k, *v)))
        .collect();
    let (body, is_base64_encoded) = body_field(req.body, parts.first("content-type"));
    Event {
        raw_path: parts.full_path,
        method: parts.method,
        headers: Obj(headers),
        query_string_parameters: Obj(query),
        body: body.unwrap_or_default(),
        is_base64_encoded,
    }
}

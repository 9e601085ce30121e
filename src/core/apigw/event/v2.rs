//! The HTTP API event, payload format 2.0 (also what a Function URL sends).

use super::common::{
    body_field, clf_time, ip_only, joined, query_pairs, stage_variables, staged, Called, Obj, Parts,
};
use super::v1::with_host;
use super::HttpRequest;
use crate::core::apigw::api_gateway::ApiGateway;
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Event<'a> {
    version: &'static str,
    route_key: &'a str,
    raw_path: String,
    raw_query_string: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cookies: Option<Vec<&'a str>>,
    headers: Obj<&'a str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    query_string_parameters: Option<Obj<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_parameters: Option<Obj<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage_variables: Option<Obj<&'a str, &'a str>>,
    request_context: Context<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    is_base64_encoded: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Context<'a> {
    #[serde(flatten)]
    called: Called<'a>,
    http: Http<'a>,
    request_id: &'a str,
    route_key: &'a str,
    stage: &'a str,
    time: String,
    time_epoch: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Http<'a> {
    method: &'a str,
    path: String,
    protocol: &'a str,
    source_ip: &'a str,
    user_agent: &'a str,
}

pub(super) fn event<'a>(
    api: &'a ApiGateway,
    req: &HttpRequest<'a>,
    parts: &'a Parts<'a>,
) -> Event<'a> {
    let all = with_host(parts);
    let cookies: Vec<&str> = all
        .iter()
        .filter(|(k, _)| *k == "cookie")
        .flat_map(|(_, v)| v.split(';'))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let headers = joined(all.into_iter().filter(|(k, _)| *k != "cookie"));
    let query = joined(query_pairs(parts.query));
    let path_parameters = api
        .resource
        .as_ref()
        .and_then(|r| r.matches(parts.path))
        .and_then(|p| Obj(p).non_empty());
    let (body, is_base64_encoded) = body_field(req.body, parts.first("content-type"));
    Event {
        version: "2.0",
        route_key: &api.route_key,
        raw_path: staged(&api.stage, parts.path),
        raw_query_string: parts.query.unwrap_or(""),
        cookies: (!cookies.is_empty()).then_some(cookies),
        headers: Obj(headers),
        query_string_parameters: Obj(query).non_empty(),
        path_parameters,
        stage_variables: stage_variables(api),
        request_context: Context {
            called: Called::of(api, parts),
            http: Http {
                method: parts.method,
                path: staged(&api.stage, parts.path),
                protocol: req.protocol.unwrap_or("HTTP/1.1"),
                source_ip: req.source_ip.map(ip_only).unwrap_or(""),
                user_agent: parts.first("user-agent").unwrap_or(""),
            },
            request_id: parts.first("x-request-id").unwrap_or(""),
            route_key: &api.route_key,
            stage: &api.stage,
            time: clf_time(req.time_ms),
            time_epoch: req.time_ms,
        },
        body,
        is_base64_encoded,
    }
}

//! The REST API proxy event (payload format 1.0), field for field as AWS documents it.

use super::common::{
    body_field, clf_time, grouped, ip_only, query_pairs, stage_variables, staged, Called, Obj,
    Parts,
};
use super::HttpRequest;
use crate::core::apigw::api_gateway::ApiGateway;
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Event<'a> {
    resource: &'a str,
    path: &'a str,
    http_method: &'a str,
    headers: Option<Obj<&'a str, &'a str>>,
    multi_value_headers: Option<Obj<&'a str, Vec<&'a str>>>,
    query_string_parameters: Option<Obj<String, String>>,
    multi_value_query_string_parameters: Option<Obj<String, Vec<String>>>,
    path_parameters: Option<Obj<String, String>>,
    stage_variables: Option<Obj<&'a str, &'a str>>,
    request_context: Context<'a>,
    body: Option<String>,
    is_base64_encoded: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Context<'a> {
    #[serde(flatten)]
    called: Called<'a>,
    http_method: &'a str,
    identity: Identity<'a>,
    path: String,
    protocol: &'a str,
    request_id: &'a str,
    request_time: String,
    request_time_epoch: u64,
    resource_path: &'a str,
    stage: &'a str,
}

/// The caller; what an authorizer or IAM would fill stays `null`, as in AWS's events.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Identity<'a> {
    access_key: Option<()>,
    account_id: Option<()>,
    caller: Option<()>,
    cognito_authentication_provider: Option<()>,
    cognito_authentication_type: Option<()>,
    cognito_identity_id: Option<()>,
    cognito_identity_pool_id: Option<()>,
    principal_org_id: Option<()>,
    source_ip: &'a str,
    user: Option<()>,
    user_agent: Option<&'a str>,
    user_arn: Option<()>,
}

/// The regular headers, `host` first when only `:authority` carried it.
pub(super) fn with_host<'a>(parts: &Parts<'a>) -> Vec<(&'a str, &'a str)> {
    let mut headers = Vec::with_capacity(parts.headers.len() + 1);
    if parts.first("host").is_none() && !parts.authority.is_empty() {
        headers.push(("host", parts.authority));
    }
    headers.extend(parts.headers.iter().copied());
    headers
}

pub(super) fn event<'a>(
    api: &'a ApiGateway,
    req: &HttpRequest<'a>,
    parts: &'a Parts<'a>,
) -> Event<'a> {
    let (resource, path_parameters) = match api.resource.as_ref() {
        Some(r) => match r.matches(parts.path) {
            Some(params) => (r.template(), Obj(params).non_empty()),
            None => (parts.path, None),
        },
        None => (parts.path, None),
    };
    let headers = grouped(with_host(parts));
    // One value per name: the last, as API Gateway does.
    let single: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(k, vs)| vs.last().map(|v| (*k, *v)))
        .collect();
    let query = grouped(query_pairs(parts.query));
    let single_query: Vec<(String, String)> = query
        .iter()
        .filter_map(|(k, vs)| vs.last().map(|v| (k.clone(), v.clone())))
        .collect();
    let (body, is_base64_encoded) = body_field(req.body, parts.first("content-type"));
    let user_agent = parts.first("user-agent");
    Event {
        resource,
        path: parts.path,
        http_method: parts.method,
        headers: Obj(single).non_empty(),
        multi_value_headers: Obj(headers).non_empty(),
        query_string_parameters: Obj(single_query).non_empty(),
        multi_value_query_string_parameters: Obj(query).non_empty(),
        path_parameters,
        stage_variables: stage_variables(api),
        request_context: Context {
            called: Called::of(api, parts),
            http_method: parts.method,
            identity: Identity {
                access_key: None,
                account_id: None,
                caller: None,
                cognito_authentication_provider: None,
                cognito_authentication_type: None,
                cognito_identity_id: None,
                cognito_identity_pool_id: None,
                principal_org_id: None,
                source_ip: req.source_ip.map(ip_only).unwrap_or(""),
                user: None,
                user_agent,
                user_arn: None,
            },
            path: staged(&api.stage, parts.path),
            protocol: req.protocol.unwrap_or("HTTP/1.1"),
            request_id: parts.first("x-request-id").unwrap_or(""),
            request_time: clf_time(req.time_ms),
            request_time_epoch: req.time_ms,
            resource_path: resource,
            stage: &api.stage,
        },
        body,
        is_base64_encoded,
    }
}

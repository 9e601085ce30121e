//! `apiGateway`: what the event says about the "API" (stage, stage variables, ids, route
//! key, resource template), as written and as validated.

use super::resource::Resource;
use crate::core::field_error::FieldError;
use serde::Deserialize;
use std::collections::BTreeMap;

const DEFAULT: &str = "$default";

/// `apiGateway` as written in the configuration.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawApiGateway {
    pub stage: Option<String>,
    pub stage_variables: Option<BTreeMap<String, String>>,
    pub api_id: Option<String>,
    pub account_id: Option<String>,
    pub route_key: Option<String>,
    pub resource: Option<String>,
}

/// What the event says about the "API".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiGateway {
    pub stage: String,
    /// Sorted by name; empty = `null` (v1) or omitted (v2).
    pub stage_variables: Vec<(String, String)>,
    pub api_id: String,
    pub account_id: String,
    pub route_key: String,
    pub resource: Option<Resource>,
}

impl Default for ApiGateway {
    fn default() -> Self {
        ApiGateway {
            stage: DEFAULT.to_string(),
            stage_variables: Vec::new(),
            api_id: String::new(),
            account_id: String::new(),
            route_key: DEFAULT.to_string(),
            resource: None,
        }
    }
}
fn text(
    field: &str,
    value: Option<&String>,
    default: &str,
    max: usize,
) -> Result<String, FieldError> {
    let v = value
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .unwrap_or(default);
    if v.len() > max || v.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters, without control characters"),
        ));
    }
    Ok(v.to_string())
}

pub(super) fn api_gateway(raw: &RawApiGateway) -> Result<ApiGateway, FieldError> {
    let stage = text("apiGateway.stage", raw.stage.as_ref(), DEFAULT, 128)?;
    if stage != DEFAULT
        && !stage
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    {
        return Err(FieldError::new(
            "apiGateway.stage",
            format!("{stage:?}: use {DEFAULT} or letters, digits, '-' and '_'"),
        ));
    }
    let mut stage_variables = Vec::new();
    for (name, value) in raw.stage_variables.iter().flatten() {
        let field = format!("apiGateway.stageVariables.{name}");
        if name.is_empty()
            || name.len() > 64
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(FieldError::new(
                "apiGateway.stageVariables",
                format!("name {name:?}: use 1 to 64 letters, digits or '_'"),
            ));
        }
        if value.len() > 512 || value.chars().any(char::is_control) {
            return Err(FieldError::new(
                &field,
                "must be at most 512 characters, without control characters",
            ));
        }
        stage_variables.push((name.clone(), value.clone()));
    }
    let resource = match raw
        .resource
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        Some(r) => {
            Some(Resource::compile(r).map_err(|e| FieldError::new("apiGateway.resource", e))?)
        }
        None => None,
    };
    Ok(ApiGateway {
        stage,
        stage_variables,
        api_id: text("apiGateway.apiId", raw.api_id.as_ref(), "", 128)?,
        account_id: text("apiGateway.accountId", raw.account_id.as_ref(), "", 64)?,
        route_key: text("apiGateway.routeKey", raw.route_key.as_ref(), DEFAULT, 512)?,
        resource,
    })
}

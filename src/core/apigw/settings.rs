//! `payloadFormat`, `responseFormat` and `apiGateway`: the raw JSON types and their
//! validation into the runtime [`Settings`]. Errors name the field, as the rest of the
//! configuration does (`field`, `reason`).

use super::resource::Resource;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// What the function receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadFormat {
    /// Gravitee's model: the `payload` template (empty body when none).
    Template,
    /// The API Gateway REST API proxy event (payload format 1.0).
    ApiGatewayV1,
    /// The HTTP API payload format 2.0, also the Function URL event.
    ApiGatewayV2,
    /// The JSON envelope of Envoy's native `aws_lambda` filter.
    Envoy,
}

/// How the function's answer becomes the consumer's response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseFormat {
    /// Gravitee's model: the payload is the body, the status is the Lambda API's.
    Raw,
    ApiGatewayV1,
    ApiGatewayV2,
    Envoy,
}

impl PayloadFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            PayloadFormat::Template => "TEMPLATE",
            PayloadFormat::ApiGatewayV1 => "API_GATEWAY_V1",
            PayloadFormat::ApiGatewayV2 => "API_GATEWAY_V2",
            PayloadFormat::Envoy => "ENVOY",
        }
    }
    /// True for the formats built from the whole request (body included).
    pub fn describes_request(self) -> bool {
        self != PayloadFormat::Template
    }
}

impl ResponseFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseFormat::Raw => "RAW",
            ResponseFormat::ApiGatewayV1 => "API_GATEWAY_V1",
            ResponseFormat::ApiGatewayV2 => "API_GATEWAY_V2",
            ResponseFormat::Envoy => "ENVOY",
        }
    }
}

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

/// The validated formats and API description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub payload_format: PayloadFormat,
    pub response_format: ResponseFormat,
    pub api_gateway: ApiGateway,
}

/// The three fields as the plugin configuration holds them, and whether `payload` is set
/// (a non-blank template).
#[derive(Debug, Default, Clone, Copy)]
pub struct RawSettings<'a> {
    pub payload_format: Option<&'a str>,
    pub response_format: Option<&'a str>,
    pub api_gateway: Option<&'a RawApiGateway>,
    pub payload_set: bool,
}

/// A refused field and why (maps one to one onto the configuration's error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field `{}`: {}", self.field, self.reason)
    }
}

const DEFAULT: &str = "$default";

fn err(field: &str, reason: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_string(),
        reason: reason.into(),
    }
}

fn one_of<T: Copy>(
    field: &str,
    value: Option<&str>,
    choices: &[(&str, T)],
) -> Result<Option<T>, FieldError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    match choices.iter().find(|(name, _)| *name == v) {
        Some((_, t)) => Ok(Some(*t)),
        None => {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            Err(err(
                field,
                format!("unknown value {v:?}, expected one of {}", names.join(", ")),
            ))
        }
    }
}

/// Parses and checks the three fields; the warnings are to be logged once.
pub fn validate(raw: RawSettings<'_>) -> Result<(Settings, Vec<String>), FieldError> {
    use PayloadFormat as P;
    use ResponseFormat as R;
    let payload_format = one_of(
        "payloadFormat",
        raw.payload_format,
        &[
            ("TEMPLATE", P::Template),
            ("API_GATEWAY_V1", P::ApiGatewayV1),
            ("API_GATEWAY_V2", P::ApiGatewayV2),
            ("ENVOY", P::Envoy),
        ],
    )?
    .unwrap_or(P::Template);
    let response_format = one_of(
        "responseFormat",
        raw.response_format,
        &[
            ("RAW", R::Raw),
            ("API_GATEWAY_V1", R::ApiGatewayV1),
            ("API_GATEWAY_V2", R::ApiGatewayV2),
            ("ENVOY", R::Envoy),
        ],
    )?
    .unwrap_or(match payload_format {
        P::Template => R::Raw,
        P::ApiGatewayV1 => R::ApiGatewayV1,
        P::ApiGatewayV2 => R::ApiGatewayV2,
        P::Envoy => R::Envoy,
    });
    if raw.payload_set && payload_format.describes_request() {
        return Err(err(
            "payload",
            format!(
                "a payload template cannot be used with payloadFormat {}, which builds the event from the request: remove one of them",
                payload_format.as_str()
            ),
        ));
    }
    let mut warnings = Vec::new();
    let api_gateway = match raw.api_gateway {
        Some(a) => {
            if !payload_format.describes_request() {
                warnings.push(
                    "`apiGateway` is ignored with payloadFormat TEMPLATE: set payloadFormat to API_GATEWAY_V1 or API_GATEWAY_V2".to_string(),
                );
            }
            api_gateway(a)?
        }
        None => ApiGateway::default(),
    };
    Ok((
        Settings {
            payload_format,
            response_format,
            api_gateway,
        },
        warnings,
    ))
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
        return Err(err(
            field,
            format!("must be at most {max} characters, without control characters"),
        ));
    }
    Ok(v.to_string())
}

fn api_gateway(raw: &RawApiGateway) -> Result<ApiGateway, FieldError> {
    let stage = text("apiGateway.stage", raw.stage.as_ref(), DEFAULT, 128)?;
    if stage != DEFAULT
        && !stage
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    {
        return Err(err(
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
            return Err(err(
                "apiGateway.stageVariables",
                format!("name {name:?}: use 1 to 64 letters, digits or '_'"),
            ));
        }
        if value.len() > 512 || value.chars().any(char::is_control) {
            return Err(err(
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
        Some(r) => Some(Resource::compile(r).map_err(|e| err("apiGateway.resource", e))?),
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

/// The scope rule, given the scope as configured (`REQUEST`, `REQUEST_CONTENT`, …):
/// a format built from the whole request needs its body, which `REQUEST` never reads.
pub fn check_scope(payload_format: PayloadFormat, scope: &str) -> Result<(), FieldError> {
    if payload_format.describes_request() && scope == "REQUEST" {
        return Err(err(
            "scope",
            format!(
                "REQUEST does not read the request body, which a payloadFormat {} event carries: use REQUEST_CONTENT (with Envoy's buffer filter after this one)",
                payload_format.as_str()
            ),
        ));
    }
    Ok(())
}

//! `payloadFormat`, `responseFormat` and `apiGateway`: the raw JSON types and their
//! validation into the runtime [`Settings`]. Errors name the field, as the rest of the
//! configuration does (`field`, `reason`).

use super::api_gateway::{api_gateway, ApiGateway, RawApiGateway};
use crate::core::field_error::FieldError;

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
/// The validated formats and API description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub payload_format: PayloadFormat,
    pub response_format: ResponseFormat,
    pub api_gateway: ApiGateway,
}

/// The three fields as the plugin configuration holds them, the `scope` as written (None:
/// not set), whether `payload` is set (a non-blank template) and `sendToConsumer`.
#[derive(Debug, Default, Clone, Copy)]
pub struct RawSettings<'a> {
    pub payload_format: Option<&'a str>,
    pub response_format: Option<&'a str>,
    pub api_gateway: Option<&'a RawApiGateway>,
    pub scope: Option<&'a str>,
    pub payload_set: bool,
    pub send_to_consumer: bool,
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
            Err(FieldError::new(
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
        return Err(FieldError::new(
            "payload",
            format!(
                "a payload template cannot be used with payloadFormat {}, which builds the event from the request: remove one of them",
                payload_format.as_str()
            ),
        ));
    }
    let scope = raw.scope.map(str::trim).filter(|s| !s.is_empty());
    if let Some(scope) = scope {
        check_scope(payload_format, scope)?;
    }
    let mut warnings = Vec::new();
    if scope == Some("RESPONSE_CONTENT") && response_format != R::Raw && raw.send_to_consumer {
        warnings.push(format!(
            "responseFormat {} in RESPONSE_CONTENT: the backend's status and headers have gone to the consumer when the function answers, so only the body is replaced (use RESPONSE to replace all three)",
            response_format.as_str()
        ));
    }
    let explicit_response = raw.response_format.is_some_and(|v| !v.trim().is_empty());
    if explicit_response && response_format != R::Raw && !raw.send_to_consumer {
        warnings.push(format!(
            "responseFormat {} has no effect without sendToConsumer: true (the function's answer does not reach the consumer)",
            response_format.as_str()
        ));
    }
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
/// The scope rule, given the scope as configured (`REQUEST`, `REQUEST_CONTENT`, …): a
/// format built from the whole request needs its body, which `REQUEST` never reads, and
/// which the response scopes no longer have (the filter does not keep it past the
/// request). Without a `scope`, these formats run in `REQUEST_CONTENT`.
pub fn check_scope(payload_format: PayloadFormat, scope: &str) -> Result<(), FieldError> {
    if !payload_format.describes_request() {
        return Ok(());
    }
    let format = payload_format.as_str();
    match scope {
        "REQUEST" => Err(FieldError::new(
            "scope",
            format!(
                "REQUEST does not read the request body, which a payloadFormat {format} event carries: use REQUEST_CONTENT (the default for this format; with Envoy's buffer filter after this one, or holdRequestHeaders)"
            ),
        )),
        "RESPONSE" | "RESPONSE_CONTENT" => Err(FieldError::new(
            "scope",
            format!(
                "a payloadFormat {format} event describes the request, whose body is gone by {scope}: use REQUEST_CONTENT (the function is then the backend, with sendToConsumer), or payloadFormat TEMPLATE with a payload in response scopes"
            ),
        )),
        _ => Ok(()),
    }
}

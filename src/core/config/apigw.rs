//! The configuration of the function as an API backend (`payloadFormat`, `responseFormat`,
//! `apiGateway`) and `holdRequestHeaders`: read from the raw JSON, checked by
//! [`crate::core::apigw::validate`].

use super::fields::{err, non_empty};
use super::raw::RawConfig;
use super::ConfigError;
use crate::core::apigw::{self, RawSettings, Settings};

/// The validated settings and `holdRequestHeaders`; warnings are appended.
pub(super) fn from_raw(
    raw: &RawConfig,
    warnings: &mut Vec<String>,
) -> Result<(Settings, bool), ConfigError> {
    let scope = non_empty(raw.scope.clone());
    let (settings, notes) = apigw::validate(RawSettings {
        payload_format: raw.payload_format.as_deref(),
        response_format: raw.response_format.as_deref(),
        api_gateway: raw.api_gateway.as_ref(),
        scope: scope.as_deref(),
        payload_set: non_empty(raw.payload.clone()).is_some(),
        send_to_consumer: raw.send_to_consumer.unwrap_or(false),
    })
    .map_err(|e| err(&e.field, e.reason))?;
    warnings.extend(notes);
    let hold = raw.hold_request_headers.unwrap_or(false);
    let request_content = match scope.as_deref() {
        Some(s) => s == "REQUEST_CONTENT",
        None => settings.payload_format.describes_request(),
    };
    if hold && !request_content {
        warnings.push(
            "`holdRequestHeaders` is ignored outside scope REQUEST_CONTENT (the only scope that holds the request body)"
                .to_string(),
        );
    }
    Ok((settings, hold && request_content))
}

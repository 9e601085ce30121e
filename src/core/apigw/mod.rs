//! Lambda as an HTTP backend. The request becomes the event an API Gateway REST API
//! (payload 1.0), an HTTP API or Function URL (payload 2.0) or Envoy's native `aws_lambda`
//! filter would send; the function's proxy response becomes the consumer's status, headers
//! and body. Host-free: the stream feeds it the request it captured.

pub mod api_gateway;
pub mod event;
pub mod resource;
pub mod response;
pub mod settings;

#[cfg(test)]
mod event_envoy_tests;
#[cfg(test)]
mod event_shapes_tests;
#[cfg(test)]
mod event_v1_tests;
#[cfg(test)]
mod event_v2_tests;
#[cfg(test)]
mod resource_tests;
#[cfg(test)]
mod response_frameworks_tests;
#[cfg(test)]
mod response_headers_tests;
#[cfg(test)]
mod response_tests;
#[cfg(test)]
mod settings_tests;

#[cfg(any(test, feature = "testing"))]
pub use crate::core::field_error::FieldError;
pub use api_gateway::{ApiGateway, RawApiGateway};
pub use event::{build_event, HttpRequest};
pub use response::map_response;
pub use settings::{validate, RawSettings, ResponseFormat, Settings};
#[cfg(any(test, feature = "testing"))]
pub use {
    resource::Resource,
    response::{ProxyResponse, DROPPED_HEADERS},
    settings::{check_scope, PayloadFormat},
};

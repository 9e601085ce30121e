//! Lambda as an HTTP backend. The request becomes the event an API Gateway REST API
//! (payload 1.0), an HTTP API or Function URL (payload 2.0) or Envoy's native `aws_lambda`
//! filter would send; the function's proxy response becomes the consumer's status, headers
//! and body. Host-free: the stream feeds it the request it captured.

pub mod api_gateway;
mod error;
pub mod event;
pub mod resource;
pub mod response;
pub mod settings;

#[cfg(test)]
mod tests_event_envoy;
#[cfg(test)]
mod tests_event_shapes;
#[cfg(test)]
mod tests_event_v1;
#[cfg(test)]
mod tests_event_v2;
#[cfg(test)]
mod tests_resource;
#[cfg(test)]
mod tests_response;
#[cfg(test)]
mod tests_response_frameworks;
#[cfg(test)]
mod tests_response_headers;
#[cfg(test)]
mod tests_settings;

pub use api_gateway::{ApiGateway, RawApiGateway};
pub use event::{build_event, HttpRequest};
pub use response::map_response;
pub use settings::{validate, RawSettings, ResponseFormat, Settings};
#[cfg(any(test, feature = "testing"))]
pub use {
    error::FieldError,
    resource::Resource,
    response::ProxyResponse,
    settings::{check_scope, PayloadFormat},
};

//! The AWS protocol: SigV4 signing, the Lambda Invoke request and its answer.

pub mod answer;
mod signing_cache;
mod signing_key;
pub(crate) mod sigv4;
mod sigv4_text;
pub mod target;

pub(crate) use sigv4_text::{push_hex, UNRESERVED};

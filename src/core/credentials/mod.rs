//! AWS credentials: the values, and where they come from.

pub use crate::core::secret::Credentials;
use std::time::SystemTime;

/// What a stream gets when it asks for credentials.
#[derive(Debug, Clone)]
pub enum Lookup {
    Ready(std::rc::Rc<Credentials>),
    /// A fetch is in flight: the stream is woken with `Stream::on_credentials` later.
    Pending,
    /// No credentials can be had now; the text goes into the error details.
    Failed(String),
}

/// Where streams get their credentials. Implemented by the shared cache.
pub trait Provider {
    /// `stream_id` is remembered when the answer is `Pending`, to be woken later.
    fn credentials(&self, stream_id: u32, now: SystemTime) -> Lookup;
}

/// Static credentials: long-term keys known at configuration time (or none at all).
pub struct StaticCredentials(pub Option<std::rc::Rc<Credentials>>);

// The old name, kept for `cache.rs` and `stream/tests.rs`.

impl Provider for StaticCredentials {
    fn credentials(&self, _stream_id: u32, _now: SystemTime) -> Lookup {
        match &self.0 {
            Some(c) => Lookup::Ready(c.clone()),
            None => Lookup::Failed(
                "no AWS credentials: set accessKey/secretKey or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the VM environment".to_string(),
            ),
        }
    }
}

pub mod cache;
mod cache_state;
pub mod chain;
pub(crate) mod container;
pub mod fetch;
pub mod fingerprint;
pub(crate) mod imds;
mod json;
pub mod shared;
mod shared_entry;
pub mod sts;

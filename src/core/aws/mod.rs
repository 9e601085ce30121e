//! The AWS protocol: SigV4 signing, the Lambda Invoke request and its answer.

pub mod answer;
pub mod invoke;
pub mod sigv4;

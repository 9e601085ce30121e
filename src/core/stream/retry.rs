//! Retrying the Invoke call: which failures are retried, and when the next
//! attempt goes out.

use super::{State, Stream};
use crate::core::aws::answer::Outcome;
use crate::core::host::{LogLevel, Metric};
use crate::core::time::millis;
use std::time::Duration;

/// Retried as AWS SDKs do: throttling, 5xx and transport failures; never a
/// function error nor another 4xx.
pub(super) fn retryable(outcome: Outcome, status: Option<u16>) -> bool {
    match outcome {
        Outcome::Timeout | Outcome::TransportError => true,
        Outcome::ApiError => matches!(status, Some(429) | Some(500..=599)),
        Outcome::Success | Outcome::FunctionError | Outcome::Oversized => false,
    }
}

impl Stream {
    /// After a retryable failure: waits for a retry if the attempts and the
    /// `apiCallTimeoutMs` budget allow one (exponential back-off, jitter).
    pub(super) fn schedule_retry(&mut self) -> bool {
        let policy = self.cfg.retry;
        if self.attempts >= policy.max_attempts {
            return false;
        }
        let now = self.host.now();
        let ceiling = policy
            .base
            .saturating_mul(1u32 << (self.attempts - 1).min(16))
            .min(policy.cap);
        self.jitter ^= self.jitter << 13;
        self.jitter ^= self.jitter >> 7;
        self.jitter ^= self.jitter << 17;
        let half = ceiling / 2;
        let delay = half + Duration::from_nanos(self.jitter % (half.as_nanos().max(1) as u64));
        if let (Some(budget), Some(first)) = (policy.budget, self.first_sent) {
            let spent = now.duration_since(first).unwrap_or_default();
            if spent + delay + self.cfg.timeout > budget {
                return false;
            }
        }
        let payload = match std::mem::replace(&mut self.state, State::Done) {
            State::WaitingLambda { payload, .. } => payload,
            other => {
                self.state = other;
                return false;
            }
        };
        self.log(
            LogLevel::Debug,
            format_args!(
                "retrying in {} ms (attempt {} of {})",
                millis(delay),
                self.attempts + 1,
                policy.max_attempts
            ),
        );
        self.host.count(Metric::Retry);
        self.state = State::WaitingRetry {
            payload,
            due: now + delay,
        };
        true
    }
}

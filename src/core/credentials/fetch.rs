//! Fetching temporary credentials through HTTP callouts, one step at a time.
//!
//! The core never talks to the network: a [`Fetch`] hands out the
//! [`CalloutRequest`]s to send and is fed the answers, until it is
//! [`Step::Done`]. The glue dispatches the calls from the root context.

use crate::core::config::CredentialsConfig;
use crate::core::credentials::container::ContainerFetch;
use crate::core::credentials::imds::ImdsFetch;
use crate::core::credentials::sts::AssumeRole;
use crate::core::credentials::Credentials;
use std::fmt;
use std::time::{Duration, SystemTime};

/// Header names whose values are secrets (or let one obtain secrets).
const SECRET_HEADERS: [&str; 3] = [
    "authorization",
    "x-amz-security-token",
    "x-aws-ec2-metadata-token",
];

/// One HTTP callout the glue sends from the root context: headers include :method, :path, :authority.
#[derive(Clone, PartialEq, Eq)]
pub struct CalloutRequest {
    pub cluster: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub timeout: Duration,
}

impl CalloutRequest {
    /// The value of the header `name` (lowercase), if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Prints the request with the values of credential-bearing headers redacted.
impl fmt::Debug for CalloutRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let secret = SECRET_HEADERS.iter().any(|s| n.eq_ignore_ascii_case(s));
                (n.as_str(), if secret { "***" } else { v.as_str() })
            })
            .collect();
        f.debug_struct("CalloutRequest")
            .field("cluster", &self.cluster)
            .field("headers", &headers)
            .field("body_bytes", &self.body.len())
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A multi-step credentials fetch (STS: 1 call; container: 1 call; IMDSv2: token PUT, role-name GET, credentials GET).
#[derive(Debug)]
pub enum Step {
    Call(CalloutRequest),
    Done(Result<Credentials, String>),
}

/// A credentials source reached through callouts. `Debug` must not print secrets.
pub trait Fetch: fmt::Debug {
    /// First call of a fresh fetch.
    fn start(&mut self, now: SystemTime) -> Step;
    /// The answer to the last call: `status` None = transport failure (no :status).
    fn on_answer(
        &mut self,
        status: Option<u16>,
        headers: &[(String, String)],
        body: &[u8],
        now: SystemTime,
    ) -> Step;
}

/// Builds the fetcher chain from the configuration: role → AssumeRole signed with
/// base credentials (which themselves may come from container/IMDS: then first fetch
/// those, then AssumeRole); no role → container or IMDS. None when credentials are
/// fixed (static/env without role), or when there is no source at all (the cache then
/// answers "no AWS credentials").
pub fn fetcher_for(cfg: &CredentialsConfig, region: &str) -> Option<Box<dyn Fetch>> {
    let source = || -> Option<Box<dyn Fetch>> {
        if let Some(c) = &cfg.container {
            return Some(Box::new(ContainerFetch::new(c.clone())));
        }
        cfg.imds
            .as_ref()
            .map(|i| Box::new(ImdsFetch::new(i.clone())) as Box<dyn Fetch>)
    };
    match (&cfg.role, &cfg.base) {
        (Some(role), Some(base)) => {
            let sts = AssumeRole::new(role.clone(), region, Some(base.clone()));
            Some(Box::new(sts))
        }
        (Some(role), None) => source().map(|s| {
            let sts = AssumeRole::new(role.clone(), region, None);
            Box::new(RoleChain::new(s, sts)) as Box<dyn Fetch>
        }),
        (None, Some(_)) => None,
        (None, None) => source(),
    }
}

/// A transport failure or a non-2xx status as an error text, or Ok for 2xx.
pub(crate) fn check_status(status: Option<u16>, what: &str, cluster: &str) -> Result<(), String> {
    match status {
        None => Err(format!("{what} unreachable through cluster {cluster}")),
        Some(s) if (200..300).contains(&s) => Ok(()),
        Some(s) => Err(format!("{what} answered status {s}")),
    }
}

/// Base credentials from a callout are fetched again when they expire within this.
const BASE_MARGIN: Duration = Duration::from_secs(300);

/// AssumeRole whose base credentials come from another fetch (container / IMDS),
/// kept while fresh and fetched again when STS refuses them.
#[derive(Debug)]
pub struct RoleChain {
    source: Box<dyn Fetch>,
    sts: AssumeRole,
    on_base: bool,
}

impl RoleChain {
    pub fn new(source: Box<dyn Fetch>, sts: AssumeRole) -> Self {
        RoleChain {
            source,
            sts,
            on_base: false,
        }
    }

    /// Continues after a step of the base fetch.
    fn after_base(&mut self, step: Step, now: SystemTime) -> Step {
        match step {
            Step::Call(req) => Step::Call(req),
            Step::Done(Ok(base)) => {
                self.on_base = false;
                self.sts.set_base(Some(base));
                self.sts.start(now)
            }
            Step::Done(Err(e)) => {
                self.on_base = false;
                Step::Done(Err(format!("base credentials for STS AssumeRole: {e}")))
            }
        }
    }
}

impl Fetch for RoleChain {
    fn start(&mut self, now: SystemTime) -> Step {
        let fresh = |c: &Credentials| c.expiration.is_none_or(|e| e > now + BASE_MARGIN);
        if self.sts.base().is_some_and(fresh) {
            self.on_base = false;
            return self.sts.start(now);
        }
        self.sts.set_base(None);
        self.on_base = true;
        let step = self.source.start(now);
        self.after_base(step, now)
    }

    fn on_answer(
        &mut self,
        status: Option<u16>,
        headers: &[(String, String)],
        body: &[u8],
        now: SystemTime,
    ) -> Step {
        if self.on_base {
            let step = self.source.on_answer(status, headers, body, now);
            return self.after_base(step, now);
        }
        let step = self.sts.on_answer(status, headers, body, now);
        if matches!(step, Step::Done(Err(_))) {
            // A refused signature may come from stale base credentials: fetch them again next time.
            self.sts.set_base(None);
        }
        step
    }
}

#[cfg(test)]
#[path = "fetch_tests.rs"]
mod tests;

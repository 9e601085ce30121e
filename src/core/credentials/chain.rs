//! Which fetch the configuration asks for: the credentials settings, the
//! fetcher they build, and the chain that assumes a role with base credentials
//! fetched first (container or IMDS, then STS).

use crate::core::credentials::container::{ContainerConfig, ContainerFetch};
use crate::core::credentials::fetch::{Answer, Fetch, Step};
use crate::core::credentials::imds::{ImdsConfig, ImdsFetch};
use crate::core::credentials::sts::{AssumeRole, RoleConfig};
use crate::core::credentials::Credentials;
use std::time::{Duration, SystemTime};

/// Where the base credentials come from; `role` (STS AssumeRole) builds on them.
#[derive(Debug, Clone)]
pub struct CredentialsConfig {
    /// From `accessKey`/`secretKey`[/`sessionToken`], else the VM environment.
    pub base: Option<Credentials>,
    pub base_source: &'static str,
    pub role: Option<RoleConfig>,
    /// ECS / EKS Pod Identity endpoint, when no static or environment keys.
    pub container: Option<ContainerConfig>,
    /// EC2 instance metadata (IMDSv2), when nothing above applies.
    pub imds: Option<ImdsConfig>,
    /// Fetched credentials are shared with the process's other roots (`shareCredentials`).
    pub share: bool,
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

    fn on_answer(&mut self, answer: Answer<'_>) -> Step {
        if self.on_base {
            let step = self.source.on_answer(answer);
            return self.after_base(step, answer.now);
        }
        let step = self.sts.on_answer(answer);
        if matches!(step, Step::Done(Err(_))) {
            // A refused signature may come from stale base credentials: fetch them again next time.
            self.sts.set_base(None);
        }
        step
    }
}

#[cfg(test)]
#[path = "chain_tests.rs"]
mod tests;

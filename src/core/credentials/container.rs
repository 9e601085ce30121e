//! The ECS / EKS Pod Identity container credentials endpoint
//! (`AWS_CONTAINER_CREDENTIALS_FULL_URI`, `AWS_CONTAINER_AUTHORIZATION_TOKEN`).

use crate::core::callout::CalloutRequest;
use crate::core::credentials::fetch::{check_status, no_call_in_flight, Fetch, Step};
use crate::core::credentials::json::JsonCredentials;
use crate::core::credentials::Credentials;
use crate::core::secret::Secret;
use std::time::{Duration, SystemTime};

/// How long a call to the container endpoint may take.
pub const CONTAINER_TIMEOUT: Duration = Duration::from_secs(5);

/// `AWS_CONTAINER_CREDENTIALS_FULL_URI` reached through `containerCredentialsCluster`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerConfig {
    pub cluster: String,
    pub authority: String,
    pub path: String,
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN`, sent as `Authorization`.
    pub token: Option<Secret>,
}

/// One GET to the container endpoint.
#[derive(Debug)]
pub struct ContainerFetch {
    cfg: ContainerConfig,
    in_flight: bool,
}

const WHAT: &str = "container credentials endpoint";

impl ContainerFetch {
    pub fn new(cfg: ContainerConfig) -> Self {
        ContainerFetch {
            cfg,
            in_flight: false,
        }
    }

    pub fn request(&self) -> CalloutRequest {
        let c = &self.cfg;
        let req = CalloutRequest::new(
            &c.cluster,
            "GET",
            c.path.clone(),
            &c.authority,
            CONTAINER_TIMEOUT,
        )
        .with_header("accept", "application/json");
        match &c.token {
            Some(token) => req.with_header("authorization", token.expose()),
            None => req,
        }
    }
}

/// The container endpoint's answer as credentials.
pub fn parse_answer(
    status: Option<u16>,
    body: &[u8],
    cluster: &str,
) -> Result<Credentials, String> {
    check_status(status, WHAT, cluster)?;
    JsonCredentials::parse(body, WHAT)?.into_credentials(WHAT)
}

impl Fetch for ContainerFetch {
    fn start(&mut self, _now: SystemTime) -> Step {
        self.in_flight = true;
        Step::Call(self.request())
    }

    fn on_answer(
        &mut self,
        status: Option<u16>,
        _headers: &[(String, String)],
        body: &[u8],
        _now: SystemTime,
    ) -> Step {
        if !std::mem::replace(&mut self.in_flight, false) {
            return no_call_in_flight(WHAT);
        }
        Step::Done(parse_answer(status, body, &self.cfg.cluster))
    }
}

#[cfg(test)]
#[path = "container_tests.rs"]
mod tests;

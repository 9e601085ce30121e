//! The ECS / EKS Pod Identity container credentials endpoint
//! (`AWS_CONTAINER_CREDENTIALS_FULL_URI`, `AWS_CONTAINER_AUTHORIZATION_TOKEN`).

use crate::core::callout::CalloutRequest;
use crate::core::credentials::fetch::{check_status, OneCall, OneShot};
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

/// The container endpoint's one call.
#[derive(Debug)]
pub struct ContainerCall {
    cfg: ContainerConfig,
}

/// One GET to the container endpoint.
pub type ContainerFetch = OneShot<ContainerCall>;

const WHAT: &str = "container credentials endpoint";

impl ContainerFetch {
    pub fn new(cfg: ContainerConfig) -> Self {
        OneShot::of(ContainerCall { cfg })
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

impl OneCall for ContainerCall {
    const WHAT: &'static str = WHAT;

    fn request(&self, _now: SystemTime) -> Result<CalloutRequest, String> {
        let c = &self.cfg;
        let req = CalloutRequest::new(
            &c.cluster,
            "GET",
            c.path.clone(),
            &c.authority,
            CONTAINER_TIMEOUT,
        )
        .with_header("accept", "application/json");
        Ok(match &c.token {
            Some(token) => req.with_header("authorization", token.expose()),
            None => req,
        })
    }

    fn parse(&self, status: Option<u16>, body: &[u8]) -> Result<Credentials, String> {
        parse_answer(status, body, &self.cfg.cluster)
    }
}

#[cfg(test)]
#[path = "container_tests.rs"]
mod tests;

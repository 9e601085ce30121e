//! EC2 instance metadata, IMDSv2: a session token, the instance profile's
//! role name, then that role's credentials.

use crate::core::aws::UNRESERVED;
use crate::core::callout::CalloutRequest;
use crate::core::credentials::fetch::{check_status, no_call_in_flight, Answer, Fetch, Step};
use crate::core::credentials::json::JsonCredentials;
use crate::core::secret::Secret;
use percent_encoding::utf8_percent_encode;
use std::time::{Duration, SystemTime};

/// How long one metadata call may take (the service is link-local).
pub const IMDS_TIMEOUT: Duration = Duration::from_secs(2);
pub const TOKEN_PATH: &str = "/latest/api/token";
pub const ROLES_PATH: &str = "/latest/meta-data/iam/security-credentials/";
const TOKEN_TTL: &str = "21600";
const WHAT: &str = "instance metadata";

/// IMDSv2 at `imdsEndpoint` (default `http://169.254.169.254`) through `imdsCluster`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImdsConfig {
    pub cluster: String,
    pub authority: String,
}

#[derive(Debug)]
enum State {
    Idle,
    /// PUT /latest/api/token sent.
    Token,
    /// GET of the role name sent with the token.
    Role(Secret),
    /// GET of the role's credentials sent.
    Credentials,
}

/// The three-call IMDSv2 fetch. `Debug` redacts the session token.
#[derive(Debug)]
pub struct ImdsFetch {
    cfg: ImdsConfig,
    state: State,
}

impl ImdsFetch {
    pub fn new(cfg: ImdsConfig) -> Self {
        ImdsFetch {
            cfg,
            state: State::Idle,
        }
    }

    fn call(&self, method: &str, path: String, extra: (&str, &str)) -> CalloutRequest {
        let c = &self.cfg;
        CalloutRequest::new(&c.cluster, method, path, &c.authority, IMDS_TIMEOUT)
            .with_header(extra.0, extra.1)
    }

    fn fail(&mut self, e: String) -> Step {
        self.state = State::Idle;
        Step::Done(Err(e))
    }
}

impl Fetch for ImdsFetch {
    fn start(&mut self, _now: SystemTime) -> Step {
        self.state = State::Token;
        Step::Call(self.call(
            "PUT",
            TOKEN_PATH.to_string(),
            ("x-aws-ec2-metadata-token-ttl-seconds", TOKEN_TTL),
        ))
    }

    fn on_answer(&mut self, answer: Answer<'_>) -> Step {
        let Answer { status, body, .. } = answer;
        let cluster = self.cfg.cluster.clone();
        match std::mem::replace(&mut self.state, State::Idle) {
            State::Idle => no_call_in_flight(WHAT),
            State::Token => {
                if let Err(e) = check_status(status, &format!("{WHAT} (IMDSv2 token)"), &cluster) {
                    return self.fail(e);
                }
                let token = String::from_utf8_lossy(body).trim().to_string();
                if token.is_empty() {
                    return self.fail(format!("{WHAT}: empty IMDSv2 token"));
                }
                let req = self.call(
                    "GET",
                    ROLES_PATH.to_string(),
                    ("x-aws-ec2-metadata-token", &token),
                );
                self.state = State::Role(Secret::new(token));
                Step::Call(req)
            }
            State::Role(token) => {
                if status == Some(404) {
                    return self.fail(format!("{WHAT}: no IAM role is attached to the instance"));
                }
                if let Err(e) = check_status(status, &format!("{WHAT} (role name)"), &cluster) {
                    return self.fail(e);
                }
                let text = String::from_utf8_lossy(body);
                let role = text
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .unwrap_or_default();
                if role.is_empty() {
                    return self.fail(format!("{WHAT}: no IAM role is attached to the instance"));
                }
                let path = format!("{ROLES_PATH}{}", utf8_percent_encode(role, UNRESERVED));
                let req = self.call("GET", path, ("x-aws-ec2-metadata-token", token.expose()));
                self.state = State::Credentials;
                Step::Call(req)
            }
            State::Credentials => {
                let result = check_status(status, &format!("{WHAT} (role credentials)"), &cluster)
                    .and_then(|()| JsonCredentials::parse(body, WHAT))
                    .and_then(|j| match j.code.as_deref() {
                        None | Some("Success") => j.into_credentials(WHAT),
                        Some(code) => {
                            let shown: String = code
                                .chars()
                                .filter(|c| c.is_ascii_alphanumeric())
                                .take(64)
                                .collect();
                            Err(format!("{WHAT}: credentials Code is {shown}, not Success"))
                        }
                    });
                Step::Done(result)
            }
        }
    }
}

#[cfg(test)]
#[path = "imds_tests.rs"]
mod tests;

//! EC2 instance metadata, IMDSv2: a session token, the instance profile's
//! role name, then that role's credentials.

use crate::core::credentials::fetch::{check_status, CalloutRequest, Fetch, Step};
use crate::core::credentials::json::JsonCredentials;
use crate::core::secret::Secret;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::time::{Duration, SystemTime};

/// How long one metadata call may take (the service is link-local).
pub const IMDS_TIMEOUT: Duration = Duration::from_secs(2);
pub const TOKEN_PATH: &str = "/latest/api/token";
pub const ROLES_PATH: &str = "/latest/meta-data/iam/security-credentials/";
const TOKEN_TTL: &str = "21600";
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
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
        let headers = vec![
            (":method".to_string(), method.to_string()),
            (":path".to_string(), path),
            (":authority".to_string(), self.cfg.authority.clone()),
            (extra.0.to_string(), extra.1.to_string()),
        ];
        CalloutRequest {
            cluster: self.cfg.cluster.clone(),
            headers,
            body: Vec::new(),
            timeout: IMDS_TIMEOUT,
        }
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

    fn on_answer(
        &mut self,
        status: Option<u16>,
        _headers: &[(String, String)],
        body: &[u8],
        _now: SystemTime,
    ) -> Step {
        let cluster = self.cfg.cluster.clone();
        match std::mem::replace(&mut self.state, State::Idle) {
            State::Idle => self.fail(format!(
                "{WHAT}: an answer came while no call was in flight"
            )),
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
                let path = format!("{ROLES_PATH}{}", utf8_percent_encode(role, SEGMENT));
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

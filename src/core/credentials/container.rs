//! The ECS / EKS Pod Identity container credentials endpoint
//! (`AWS_CONTAINER_CREDENTIALS_FULL_URI`, `AWS_CONTAINER_AUTHORIZATION_TOKEN`),
//! the JSON credentials document it shares with IMDS, and the ISO-8601
//! parser for the `Expiration` of every source (STS too).

use crate::core::config::ContainerConfig;
use crate::core::credentials::fetch::{check_status, CalloutRequest, Fetch, Step};
use crate::core::credentials::Credentials;
use serde::Deserialize;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a call to the container endpoint may take.
pub const CONTAINER_TIMEOUT: Duration = Duration::from_secs(5);

/// The JSON both the container endpoint and IMDS answer. No `Debug`: it holds secrets.
#[derive(Deserialize)]
pub(crate) struct JsonCredentials {
    #[serde(rename = "Code")]
    pub code: Option<String>,
    #[serde(rename = "AccessKeyId")]
    access_key_id: Option<String>,
    #[serde(rename = "SecretAccessKey")]
    secret_access_key: Option<String>,
    #[serde(rename = "Token")]
    token: Option<String>,
    #[serde(rename = "Expiration")]
    expiration: Option<String>,
}

impl JsonCredentials {
    /// Parses the answer; the error never quotes the body (serde's messages may hold values).
    pub(crate) fn parse(body: &[u8], what: &str) -> Result<Self, String> {
        serde_json::from_slice(body).map_err(|e| {
            format!(
                "{what} answer is not a JSON credentials object (line {} column {})",
                e.line(),
                e.column()
            )
        })
    }

    pub(crate) fn into_credentials(self, what: &str) -> Result<Credentials, String> {
        let missing = |name: &str| format!("{what} answer has no {name}");
        let nonempty = |v: Option<String>| v.filter(|s| !s.is_empty());
        let ak = nonempty(self.access_key_id).ok_or_else(|| missing("AccessKeyId"))?;
        let sk = nonempty(self.secret_access_key).ok_or_else(|| missing("SecretAccessKey"))?;
        let mut creds = Credentials::new(ak, sk, self.token);
        creds.expiration = match nonempty(self.expiration) {
            Some(e) => Some(parse_iso8601(&e).map_err(|e| format!("{what} Expiration: {e}"))?),
            None => None,
        };
        Ok(creds)
    }
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
        let mut headers = vec![
            (":method".to_string(), "GET".to_string()),
            (":path".to_string(), self.cfg.path.clone()),
            (":authority".to_string(), self.cfg.authority.clone()),
            ("accept".to_string(), "application/json".to_string()),
        ];
        if let Some(token) = &self.cfg.token {
            headers.push(("authorization".to_string(), token.expose().to_string()));
        }
        CalloutRequest {
            cluster: self.cfg.cluster.clone(),
            headers,
            body: Vec::new(),
            timeout: CONTAINER_TIMEOUT,
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
            return Step::Done(Err(format!(
                "{WHAT}: an answer came while no call was in flight"
            )));
        }
        Step::Done(parse_answer(status, body, &self.cfg.cluster))
    }
}

/// Strict ISO-8601 / RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
pub fn parse_iso8601(s: &str) -> Result<SystemTime, String> {
    let bad = || format!("{s:?} is not an ISO-8601 UTC date-time");
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(bad());
    }
    let num = |from: usize, to: usize| -> Result<u64, String> {
        let part = &b[from..to];
        if part.iter().all(u8::is_ascii_digit) {
            Ok(part.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0')))
        } else {
            Err(bad())
        }
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if year < 1970 || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(bad());
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(bad());
    }
    let mut rest = &b[19..];
    let mut nanos: u32 = 0;
    if rest.first() == Some(&b'.') {
        let digits = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 9 {
            return Err(bad());
        }
        for (i, d) in rest[1..=digits].iter().enumerate() {
            nanos += u32::from(d - b'0') * 10u32.pow(8 - i as u32);
        }
        rest = &rest[1 + digits..];
    }
    let offset_secs: i64 = match rest {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let two = |a: &u8, b: &u8| -> Result<i64, String> {
                if a.is_ascii_digit() && b.is_ascii_digit() {
                    Ok(i64::from(a - b'0') * 10 + i64::from(b - b'0'))
                } else {
                    Err(bad())
                }
            };
            let (h, m) = (two(h1, h2)?, two(m1, m2)?);
            if h > 23 || m > 59 {
                return Err(bad());
            }
            let o = h * 3600 + m * 60;
            if *sign == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return Err(bad()),
    };
    let days = days_since_epoch(year, month, day);
    let local = days * 86_400 + (hour * 3600 + minute * 60 + second) as i64;
    let utc = u64::try_from(local - offset_secs).map_err(|_| bad())?;
    Ok(UNIX_EPOCH + Duration::new(utc, nanos))
}

fn is_leap(year: u64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the date (year >= 1970, validated date).
fn days_since_epoch(year: u64, month: u64, day: u64) -> i64 {
    let years = (1970..year)
        .map(|y| if is_leap(y) { 366 } else { 365 })
        .sum::<u64>();
    let months = (1..month).map(|m| days_in_month(year, m)).sum::<u64>();
    (years + months + day - 1) as i64
}

#[cfg(test)]
#[path = "container_tests.rs"]
mod tests;

//! STS `AssumeRole`: the signed request, its XML answer, and the one-call fetch.

use crate::core::aws::sigv4::{sign_headers, Signable};
use crate::core::aws::UNRESERVED;
use crate::core::callout::CalloutRequest;
use crate::core::credentials::fetch::{OneCall, OneShot};
use crate::core::credentials::Credentials;
use crate::core::time::parse_iso8601;
use percent_encoding::utf8_percent_encode;
use quick_xml::events::Event;
use quick_xml::Reader;
use std::time::{Duration, SystemTime};

/// How long an STS call may take.
pub const STS_TIMEOUT: Duration = Duration::from_secs(5);
const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// The role to assume and where STS is (`roleArn`, `stsCluster`, `stsEndpoint`…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleConfig {
    pub arn: String,
    pub session_name: String,
    pub external_id: Option<String>,
    pub duration_seconds: Option<u32>,
    pub cluster: String,
    pub authority: String,
    pub base_path: String,
}

/// The form body of the AssumeRole call.
pub fn form_body(role: &RoleConfig) -> String {
    // Form values: RFC 3986 unreserved characters stay, everything else is escaped.
    let enc = |v: &str| utf8_percent_encode(v, UNRESERVED).to_string();
    let mut body = format!(
        "Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName={}",
        enc(&role.arn),
        enc(&role.session_name)
    );
    if let Some(d) = role.duration_seconds {
        body.push_str(&format!("&DurationSeconds={d}"));
    }
    if let Some(id) = &role.external_id {
        body.push_str(&format!("&ExternalId={}", enc(id)));
    }
    body
}

/// The signed AssumeRole callout, signed with `base` at `now`.
pub fn assume_role_request(
    role: &RoleConfig,
    region: &str,
    base: &Credentials,
    now: SystemTime,
) -> Result<CalloutRequest, String> {
    let path = format!("{}/", role.base_path.trim_end_matches('/'));
    let body = form_body(role).into_bytes();
    // The global endpoint only accepts signatures for us-east-1.
    let region = if role.authority == "sts.amazonaws.com" {
        "us-east-1"
    } else {
        region
    };
    let content = [("content-type", CONTENT_TYPE)];
    let signed = sign_headers(
        &Signable {
            method: "POST",
            authority: &role.authority,
            path_and_query: &path,
            headers: &content,
            body: &body,
            service: "sts",
            region,
            time: now,
        },
        base,
    )
    .map_err(|e| format!("STS AssumeRole request: {e}"))?;
    let mut req = CalloutRequest::new(&role.cluster, "POST", path, &role.authority, STS_TIMEOUT)
        .with_header("content-type", CONTENT_TYPE);
    req.headers.extend(signed);
    Ok(req.with_body(body))
}

const CREDS: &str = "AssumeRoleResponse/AssumeRoleResult/Credentials/";
const ERROR_CODE: &str = "ErrorResponse/Error/Code";
const FIELDS: [&str; 4] = [
    "AccessKeyId",
    "SecretAccessKey",
    "SessionToken",
    "Expiration",
];

/// Texts of the leaf elements we want, by their local-name path from the root
/// (`A/B/C`). Err when the document is not well-formed XML.
fn leaves(body: &[u8]) -> Result<Vec<(String, String)>, ()> {
    let mut reader = Reader::from_reader(body);
    reader.config_mut().check_end_names = true;
    let wanted =
        |p: &str| p == ERROR_CODE || p.strip_prefix(CREDS).is_some_and(|f| FIELDS.contains(&f));
    let (mut path, mut out): (Vec<String>, Vec<(String, String)>) = (Vec::new(), Vec::new());
    let mut text = String::new();
    let mut seen_root = false;
    loop {
        let event = reader.read_event().map_err(|_| ())?;
        if path.is_empty() {
            // One root element; nothing but whitespace, comments and declarations around it.
            match &event {
                Event::Start(_) | Event::Empty(_) if seen_root => return Err(()),
                Event::Start(_) | Event::Empty(_) => seen_root = true,
                Event::Text(t) if !t.iter().all(u8::is_ascii_whitespace) => return Err(()),
                Event::CData(_) | Event::GeneralRef(_) | Event::End(_) => return Err(()),
                _ => {}
            }
        }
        match event {
            Event::Start(e) => {
                path.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                text.clear();
            }
            Event::End(_) => {
                let joined = path.join("/");
                if wanted(&joined) {
                    out.push((joined, std::mem::take(&mut text)));
                }
                path.pop();
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.xml_content().map_err(|_| ())?),
            Event::CData(t) => text.push_str(&t.decode().map_err(|_| ())?),
            Event::GeneralRef(r) => match r.resolve_char_ref().map_err(|_| ())? {
                Some(c) => text.push(c),
                None => {
                    let name = r.decode().map_err(|_| ())?;
                    text.push_str(quick_xml::escape::resolve_predefined_entity(&name).ok_or(())?);
                }
            },
            Event::Eof if path.is_empty() && seen_root => return Ok(out),
            Event::Eof => return Err(()),
            _ => {}
        }
    }
}

/// The AWS error code, kept only if it looks like one (it goes into error details).
fn error_code(leaves: &[(String, String)]) -> Option<String> {
    let code = leaves.iter().find(|(p, _)| p == ERROR_CODE)?.1.trim();
    let valid = |c: char| c.is_ascii_alphanumeric() || ".-_:".contains(c);
    let ok = !code.is_empty() && code.len() <= 64 && code.chars().all(valid);
    ok.then(|| code.to_string())
}

/// Turns the STS answer into credentials, or an error text that never holds the body or a secret.
pub fn parse_answer(
    status: Option<u16>,
    body: &[u8],
    cluster: &str,
) -> Result<Credentials, String> {
    let status = status.ok_or_else(|| format!("STS unreachable through cluster {cluster}"))?;
    let leaves = leaves(body);
    if !(200..300).contains(&status) {
        return Err(match leaves.ok().as_deref().and_then(error_code) {
            Some(code) => {
                format!("STS AssumeRole failed: Status Code: {status}; Error Code: {code}")
            }
            None => format!(
                "STS AssumeRole failed: Status Code: {status}; the answer holds no AWS error"
            ),
        });
    }
    let leaves = leaves
        .map_err(|_| format!("STS AssumeRole answer (status {status}) is not well-formed XML"))?;
    let field = |name: &str| -> Result<String, String> {
        let key = format!("{CREDS}{name}");
        let value = leaves
            .iter()
            .find(|(p, _)| *p == key)
            .map(|(_, v)| v.trim());
        value.filter(|v| !v.is_empty()).map(str::to_string).ok_or_else(|| {
            format!("STS AssumeRole answer (status {status}) has no {name} in AssumeRoleResult/Credentials")
        })
    };
    let expiration = parse_iso8601(&field("Expiration")?)
        .map_err(|e| format!("STS AssumeRole Expiration: {e}"))?;
    let mut creds = Credentials::new(
        field("AccessKeyId")?,
        field("SecretAccessKey")?,
        Some(field("SessionToken")?),
    );
    creds.expiration = Some(expiration);
    Ok(creds)
}

/// The AssumeRole call, signed with the base credentials.
#[derive(Debug)]
pub struct AssumeRoleCall {
    role: RoleConfig,
    region: String,
    base: Option<Credentials>,
}

/// The AssumeRole fetch: one STS call signed with the base credentials.
pub type AssumeRole = OneShot<AssumeRoleCall>;

impl AssumeRole {
    pub fn new(role: RoleConfig, region: &str, base: Option<Credentials>) -> Self {
        OneShot::of(AssumeRoleCall {
            role,
            region: region.to_string(),
            base,
        })
    }

    /// The credentials that sign the call (set by a chain that fetches them first).
    pub fn base(&self) -> Option<&Credentials> {
        self.call.base.as_ref()
    }

    pub fn set_base(&mut self, base: Option<Credentials>) {
        self.call.base = base;
    }
}

impl OneCall for AssumeRoleCall {
    const WHAT: &'static str = "STS AssumeRole";

    fn request(&self, now: SystemTime) -> Result<CalloutRequest, String> {
        let base = self
            .base
            .as_ref()
            .ok_or("no base credentials for STS AssumeRole")?;
        assume_role_request(&self.role, &self.region, base, now)
    }

    fn parse(&self, status: Option<u16>, body: &[u8]) -> Result<Credentials, String> {
        parse_answer(status, body, &self.role.cluster)
    }
}

#[cfg(test)]
#[path = "sts_tests.rs"]
mod tests;

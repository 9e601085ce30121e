//! `responseTemplates` (also `response_templates`), Gravitee's data model:
//! `{ "<ERROR_KEY>" | "DEFAULT": { "<type/subtype>" | "*/*": { "status",
//! "headers", "body", "propagateErrorKeyToLogs" } } }`, validated and
//! compiled once, at configuration.

use super::accept::is_token;
use crate::core::errors::ErrorKey;
use crate::core::field_error::FieldError;
use crate::core::template::Template;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The key whose templates answer any error key that has none.
pub const DEFAULT_KEY: &str = "DEFAULT";
/// The media type of the template used when no `Accept` range has one.
pub const WILDCARD: &str = "*/*";

/// The JSON as written: error key → media type → template.
pub type RawResponseTemplates = BTreeMap<String, BTreeMap<String, RawResponseTemplate>>;

/// One template as written.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawResponseTemplate {
    /// The reply's status (an integer); required.
    pub status: Option<serde_json::Value>,
    pub headers: Option<BTreeMap<String, String>>,
    /// An EL template; empty or absent: no body.
    pub body: Option<String>,
    pub propagate_error_key_to_logs: Option<bool>,
}

/// One compiled template.
#[derive(Debug, Clone)]
pub struct ResponseTemplate {
    pub status: u16,
    /// Names lowercase, values checked: set on the reply as they are.
    pub headers: Vec<(String, String)>,
    pub body: Option<Template>,
    /// Gravitee writes the error key to its request metrics only when set.
    /// Accepted as Gravitee has it; this filter always publishes the key as
    /// filter state (`wasm.lambda_error_key`), so nothing reads it at run time.
    #[cfg_attr(not(any(test, feature = "testing")), allow(dead_code))]
    pub propagate_error_key_to_logs: bool,
}

impl ResponseTemplate {
    /// Does a template header set `content-type`?
    pub fn sets_content_type(&self) -> bool {
        self.headers.iter().any(|(n, _)| n == "content-type")
    }
}

/// All the templates, by error key then by media type (lowercase).
#[derive(Debug, Clone, Default)]
pub struct ResponseTemplates {
    pub(super) by_key: BTreeMap<String, BTreeMap<String, ResponseTemplate>>,
}

/// Compiled templates and the warnings to log once.
#[derive(Debug)]
pub struct Compiled {
    pub templates: ResponseTemplates,
    pub warnings: Vec<String>,
}

impl ResponseTemplates {
    #[cfg(any(test, feature = "testing"))]
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Every body template (what they reference decides what a stream keeps).
    pub fn bodies(&self) -> impl Iterator<Item = &Template> {
        self.by_key
            .values()
            .flat_map(|m| m.values())
            .filter_map(|t| t.body.as_ref())
    }

    /// Parses and compiles the JSON of `field` (e.g. `responseTemplates`).
    #[cfg(any(test, feature = "testing"))]
    pub fn from_json(field: &str, json: &[u8]) -> Result<Compiled, FieldError> {
        let de = &mut serde_json::Deserializer::from_slice(json);
        let raw: RawResponseTemplates = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let at = if matches!(path.as_str(), "." | "?" | "") {
                field.to_string()
            } else {
                format!("{field}.{path}")
            };
            FieldError::new(at, e.into_inner().to_string())
        })?;
        ResponseTemplates::compile(field, &raw)
    }

    /// Validates and compiles what serde read; refusals name the path
    /// (`responseTemplates.AWS_LAMBDA_TIMEOUT.application/json.status`).
    pub fn compile(field: &str, raw: &RawResponseTemplates) -> Result<Compiled, FieldError> {
        let mut by_key = BTreeMap::new();
        let mut warnings = Vec::new();
        for (key, medias) in raw {
            let at_key = format!("{field}.{key}");
            if key.trim().is_empty() {
                return Err(FieldError::new(
                    at_key,
                    "an error key or DEFAULT is required",
                ));
            }
            if key != DEFAULT_KEY && ErrorKey::from_name(key).is_none() {
                warnings.push(format!(
                    "`{at_key}`: this policy never fails with that key, its templates are never used"
                ));
            }
            let mut compiled = BTreeMap::new();
            for (media, t) in medias {
                let at = format!("{at_key}.{media}");
                let lower = media_key(&at, media)?;
                if compiled.contains_key(&lower) {
                    return Err(FieldError::new(at, format!("{lower:?} is given twice")));
                }
                compiled.insert(lower, template(&at, t)?);
            }
            by_key.insert(key.clone(), compiled);
        }
        Ok(Compiled {
            templates: ResponseTemplates { by_key },
            warnings,
        })
    }
}

/// `*/*`, `type/*` or `type/subtype`, lowercased.
fn media_key(at: &str, media: &str) -> Result<String, FieldError> {
    let ok = media.split_once('/').is_some_and(|(t, s)| {
        is_token(t) && is_token(s) && (t != "*" || s == "*") && !media.contains(';')
    });
    if !ok {
        return Err(FieldError::new(
            at.to_string(),
            "not a media type: use type/subtype (application/json), type/* or */*, without parameters",
        ));
    }
    Ok(media.to_ascii_lowercase())
}

/// Headers Envoy manages itself (or that HTTP/2 forbids): a template may not set them.
const MANAGED_HEADERS: &[&str] = &[
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "upgrade",
];

fn template(at: &str, raw: &RawResponseTemplate) -> Result<ResponseTemplate, FieldError> {
    let status = match &raw.status {
        None => {
            return Err(FieldError::new(
                format!("{at}.status"),
                "required: the reply's HTTP status",
            ))
        }
        Some(v) => v
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .filter(|s| (200..=599).contains(s))
            .ok_or_else(|| {
                FieldError::new(
                    format!("{at}.status"),
                    format!("{v} is not an HTTP status between 200 and 599"),
                )
            })?,
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in raw.headers.iter().flatten() {
        let at_header = format!("{at}.headers.{name}");
        let lower = name.to_ascii_lowercase();
        if !is_token(name) {
            return Err(FieldError::new(at_header, "not a header name"));
        }
        if MANAGED_HEADERS.contains(&lower.as_str()) {
            return Err(FieldError::new(at_header, "Envoy sets this header itself"));
        }
        if headers.iter().any(|(n, _)| *n == lower) {
            return Err(FieldError::new(
                at_header,
                "given twice (names ignore case)",
            ));
        }
        if value.chars().any(|c| c.is_ascii_control() && c != '\t') {
            return Err(FieldError::new(
                at_header,
                "the value holds a control character (CR, LF, NUL…)",
            ));
        }
        headers.push((lower, value.trim().to_string()));
    }
    let body = match raw.body.as_deref() {
        None | Some("") => None,
        Some(src) => Some(Template::compile(src).map_err(|e| {
            FieldError::new(
                format!("{at}.body"),
                format!("the template does not compile: {e}"),
            )
        })?),
    };
    Ok(ResponseTemplate {
        status,
        headers,
        body,
        propagate_error_key_to_logs: raw.propagate_error_key_to_logs.unwrap_or(false),
    })
}

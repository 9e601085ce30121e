//! The field helpers every part of the configuration uses: the error that
//! names a field, "empty counts as unset", enum values, templates and endpoint URLs.

use super::ConfigError;
use crate::core::template::Template;

pub(super) fn err(field: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// Empty strings count as unset, as in Gravitee's UI.
pub(super) fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

pub(super) fn one_of<T: Copy>(
    field: &str,
    value: Option<String>,
    default: T,
    choices: &[(&str, T)],
) -> Result<T, ConfigError> {
    let Some(v) = non_empty(value) else {
        return Ok(default);
    };
    choices
        .iter()
        .find(|(name, _)| *name == v)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            err(
                field,
                format!("unknown value {v:?}, expected one of {}", names.join(", ")),
            )
        })
}

pub(super) fn template(field: &str, src: &str) -> Result<Template, ConfigError> {
    Template::compile(src)
        .map_err(|e| err(field, format!("template {src:?} does not compile: {e}")))
}

pub(super) fn endpoint_parts(field: &str, url: &str) -> Result<(String, String), ConfigError> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| err(field, format!("{url:?} is not a URL: {e}")))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => {
            return Err(err(
                field,
                format!("{url:?} must start with http:// or https://"),
            ))
        }
    }
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_string())
        .filter(|a| !a.is_empty() && !a.contains('@'))
        .ok_or_else(|| err(field, format!("{url:?} has no host")))?;
    if uri.query().is_some() {
        return Err(err(field, format!("{url:?} must not carry a query")));
    }
    Ok((authority, uri.path().trim_end_matches('/').to_string()))
}

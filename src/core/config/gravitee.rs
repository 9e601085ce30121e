//! Gravitee's gateway features around the policy: `responseTemplates` (the
//! answers to errors), `condition` and `onConditionError`. Compiled here so
//! that [`super::validate`] makes one call.

use super::fields::err;
use super::raw::RawConfig;
use super::ConfigError;
use crate::core::condition::{Condition, OnConditionError};
use crate::core::reply::ResponseTemplates;
use crate::core::template::Template;

/// The compiled Gravitee features of a configuration.
#[derive(Debug, Default)]
pub struct Gravitee {
    pub response_templates: ResponseTemplates,
    pub condition: Option<Condition>,
    pub on_condition_error: OnConditionError,
}

impl Gravitee {
    /// Every template this part adds (what they reference decides what a
    /// stream captures).
    pub fn templates(&self) -> impl Iterator<Item = &Template> {
        self.condition
            .iter()
            .map(Condition::template)
            .chain(self.response_templates.bodies())
    }

    /// A response template reads `#request` or `#response`: the captured
    /// bodies are kept until the stream ends (an error may need them).
    pub fn bodies_after_call(&self) -> bool {
        self.response_templates
            .bodies()
            .any(|t| t.references("request") || t.references("response"))
    }
}

/// Compiles `responseTemplates`, `condition` and `onConditionError`;
/// refusals name the path (`responseTemplates.DEFAULT.*/*.status`).
pub fn from_raw(raw: &RawConfig, warnings: &mut Vec<String>) -> Result<Gravitee, ConfigError> {
    let response_templates = match &raw.response_templates {
        None => ResponseTemplates::default(),
        Some(t) => {
            let compiled = ResponseTemplates::compile("responseTemplates", t)
                .map_err(|r| err(&r.field, r.reason))?;
            warnings.extend(compiled.warnings);
            compiled.templates
        }
    };
    let condition = match raw.condition.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(src) => Some(Condition::compile(src).map_err(|why| err("condition", why))?),
    };
    let on_condition_error = OnConditionError::parse(raw.on_condition_error.as_deref())
        .map_err(|why| err("onConditionError", why))?;
    Ok(Gravitee {
        response_templates,
        condition,
        on_condition_error,
    })
}

#[cfg(test)]
#[path = "gravitee_tests.rs"]
mod tests;

//! The policy's `condition`: an EL template that decides, per request,
//! whether the policy runs at all (Gravitee's step condition), and
//! `onConditionError`, what an evaluation failure does.

#[cfg(test)]
#[path = "condition_tests.rs"]
mod tests;

use crate::core::template::{Root, Template};

/// What a condition that cannot be evaluated does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnConditionError {
    /// The policy is skipped, as Gravitee's v4 engine does (warn and count).
    #[default]
    Skip,
    /// The request fails with a 500, as Gravitee's legacy engine did.
    Fail,
}

impl OnConditionError {
    /// `SKIP` (also when absent or empty) or `FAIL`.
    pub fn parse(value: Option<&str>) -> Result<OnConditionError, String> {
        match value.map(str::trim).unwrap_or_default() {
            "" | "SKIP" => Ok(OnConditionError::Skip),
            "FAIL" => Ok(OnConditionError::Fail),
            other => Err(format!(
                "unknown value {other:?}, expected one of SKIP, FAIL"
            )),
        }
    }
}

/// A compiled condition.
#[derive(Debug, Clone)]
pub struct Condition {
    template: Template,
}

impl Condition {
    /// Compiles once, at configuration. Refused: an empty condition (the
    /// configuration treats it as none), a template that does not compile,
    /// and a constant that is neither `true` nor `false`.
    pub fn compile(src: &str) -> Result<Condition, String> {
        if src.trim().is_empty() {
            return Err("empty: leave it out to run the policy on every request".to_string());
        }
        let template =
            Template::compile(src).map_err(|e| format!("the template does not compile: {e}"))?;
        if template.is_literal() && as_bool(src).is_none() {
            return Err(
                "a constant that is neither true nor false: write an EL template such as {#request.headers['x-fn'] != null}"
                    .to_string(),
            );
        }
        Ok(Condition { template })
    }

    /// `Ok(true)`: the policy runs; `Ok(false)`: it does nothing for this
    /// request. `Err`: the evaluation failed or gave neither `true` nor
    /// `false`; the reason names no data.
    pub fn evaluate(&self, root: &dyn Root) -> Result<bool, String> {
        let out = self
            .template
            .render(root)
            .map_err(|e| format!("the condition failed to evaluate: {e}"))?;
        as_bool(&out).ok_or_else(|| {
            format!(
                "the condition gave neither true nor false (a text of {} chars)",
                out.chars().count()
            )
        })
    }

    /// Whether the condition may read a body (`#request.content`,
    /// `#response.content`, or any member named `content`): then it is
    /// evaluated once the body is complete, else on headers.
    pub fn reads_content(&self) -> bool {
        self.template.source().contains("content")
    }

    /// The template (what it references decides what a stream keeps).
    pub fn template(&self) -> &Template {
        &self.template
    }
}

/// `true` / `false`, ignoring ASCII case and surrounding whitespace.
fn as_bool(s: &str) -> Option<bool> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

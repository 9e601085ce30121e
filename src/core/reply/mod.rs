//! What the consumer gets when the policy fails: Gravitee's response
//! templates (per error key and `Accept` media type) or the built-in answer.
//!
//! Configuration compiles the templates once ([`ResponseTemplates::from_json`]
//! or [`ResponseTemplates::compile`]); on a failure the stream parses the
//! request's `Accept` values ([`Accept::parse`]) and calls [`answer`].

pub mod accept;
pub mod render;
pub mod select;
pub mod templates;

#[cfg(test)]
mod accept_tests;
#[cfg(test)]
mod render_tests;
#[cfg(test)]
mod select_tests;
#[cfg(test)]
mod templates_tests;

pub use accept::Accept;
pub use render::{builtin, render, Reply};
pub use select::Selected;
pub use templates::{RawResponseTemplates, ResponseTemplates};
#[cfg(any(test, feature = "testing"))]
pub use {
    render::ErrorRoot,
    templates::{Compiled, RawResponseTemplate},
};

use crate::core::errors::PolicyError;
use crate::core::template::{EvalError, Root};

/// Where the reply came from.
#[derive(Debug)]
pub enum Source<'a> {
    /// No template for the key (nor its parent, nor `DEFAULT`) matched.
    BuiltIn,
    Template(Selected<'a>),
    /// The template failed to render: the built-in answer was sent (count
    /// and log it once; the message carries no data).
    Fallback(Selected<'a>, EvalError),
}

/// The reply to an error, and where it came from.
#[derive(Debug)]
pub struct Answer<'a> {
    pub reply: Reply,
    pub source: Source<'a>,
}

impl Answer<'_> {
    /// Gravitee writes the error key to its logs on the built-in answer, and
    /// on a template's only with `propagateErrorKeyToLogs`.
    #[cfg(any(test, feature = "testing"))]
    pub fn propagates_error_key(&self) -> bool {
        match &self.source {
            Source::Template(s) => s.template.propagate_error_key_to_logs,
            Source::BuiltIn | Source::Fallback(..) => true,
        }
    }
}

/// The reply to `e`: the selected template rendered against `#error`,
/// `#parameters` and `root`, else (no template, or a render failure) the
/// built-in answer. Never fails.
pub fn answer<'a>(
    templates: &'a ResponseTemplates,
    e: &PolicyError,
    accept: &Accept,
    root: &dyn Root,
) -> Answer<'a> {
    let Some(selected) = templates.select(e.key, accept) else {
        return Answer {
            reply: builtin(e, accept),
            source: Source::BuiltIn,
        };
    };
    match render(selected.template, e, accept, root) {
        Ok(reply) => Answer {
            reply,
            source: Source::Template(selected),
        },
        Err(why) => Answer {
            reply: builtin(e, accept),
            source: Source::Fallback(selected, why),
        },
    }
}

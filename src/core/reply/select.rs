//! Which template answers an error, as Gravitee's gateway picks it
//! (`ResponseTemplateBasedFailureProcessor`), with the parent key between the
//! precise key and `DEFAULT`.

use super::accept::Accept;
use super::templates::{ResponseTemplate, ResponseTemplates, DEFAULT_KEY, WILDCARD};
use crate::core::errors::ErrorKey;
use std::collections::BTreeMap;

/// The template picked, and under which key and media type.
#[derive(Debug, Clone, Copy)]
pub struct Selected<'a> {
    pub key: &'a str,
    pub media: &'a str,
    pub template: &'a ResponseTemplate,
}

impl ResponseTemplates {
    /// The key's templates: the precise key's, else its parent's, else
    /// `DEFAULT`'s. The first of these that has templates is the only one
    /// consulted: when none of its templates matches `Accept`, the answer is
    /// the built-in one (`DEFAULT` is not tried), as in Gravitee.
    ///
    /// The media type: the first acceptable range (best first) whose
    /// `type/subtype` has a template, else the `*/*` template, else none.
    pub fn select(&self, key: ErrorKey, accept: &Accept) -> Option<Selected<'_>> {
        let names = [Some(key.as_str()), key.parent().map(ErrorKey::as_str)];
        let (key, medias) = names
            .into_iter()
            .flatten()
            .chain([DEFAULT_KEY])
            .find_map(|k| self.by_key.get_key_value(k))?;
        let (media, template) = by_accept(medias, accept)?;
        Some(Selected {
            key,
            media,
            template,
        })
    }
}

fn by_accept<'a>(
    medias: &'a BTreeMap<String, ResponseTemplate>,
    accept: &Accept,
) -> Option<(&'a str, &'a ResponseTemplate)> {
    accept
        .ranges()
        .iter()
        .find_map(|r| medias.get_key_value(r.media()))
        .or_else(|| medias.get_key_value(WILDCARD))
        .map(|(m, t)| (m.as_str(), t))
}

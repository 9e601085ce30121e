//! The `apiGateway.resource` path template (`/items/{id}`, `/files/{path+}`, `/{proxy+}`),
//! compiled once; matching a request path gives the event's `pathParameters`.

use percent_encoding::percent_decode_str;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// `{name}`: one non-empty segment.
    Param(String),
    /// `{name+}`: the rest of the path, one segment or more (last in the template).
    Greedy(String),
}

/// A compiled path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    template: String,
    segments: Vec<Segment>,
}

const MAX_TEMPLATE_LEN: usize = 1024;

/// A name templates can read: a path parameter here, a variable in the
/// configuration (1 to 128 of `A-Z a-z 0-9 _ - .`).
pub(crate) fn name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Percent-decoded as UTF-8; a segment that does not decode to UTF-8 stays as sent.
pub(crate) fn decoded(raw: &str) -> String {
    match percent_decode_str(raw).decode_utf8() {
        Ok(s) => s.into_owned(),
        Err(_) => raw.to_string(),
    }
}

impl Resource {
    /// Compiles a template; the error says what is wrong with it.
    pub fn compile(template: &str) -> Result<Resource, String> {
        if template.len() > MAX_TEMPLATE_LEN {
            return Err(format!("longer than {MAX_TEMPLATE_LEN} characters"));
        }
        let Some(rest) = template.strip_prefix('/') else {
            return Err(format!("{template:?} must start with '/'"));
        };
        if template.contains(['?', '#']) || template.chars().any(|c| c.is_control() || c == ' ') {
            return Err(format!(
                "{template:?} must be a path only (no query, fragment, space or control character)"
            ));
        }
        let mut segments = Vec::new();
        if !rest.is_empty() {
            for part in rest.split('/') {
                segments.push(Self::segment(template, part, &segments)?);
            }
        }
        if let Some(i) = segments
            .iter()
            .position(|s| matches!(s, Segment::Greedy(_)))
        {
            if i + 1 != segments.len() {
                return Err(format!(
                    "{template:?}: a greedy {{name+}} segment must be the last one"
                ));
            }
        }
        Ok(Resource {
            template: template.to_string(),
            segments,
        })
    }

    fn segment(template: &str, part: &str, seen: &[Segment]) -> Result<Segment, String> {
        if part.is_empty() {
            return Err(format!(
                "{template:?} has an empty segment ('//' or a trailing '/')"
            ));
        }
        let Some(inner) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) else {
            if part.contains(['{', '}']) {
                return Err(format!(
                    "{template:?}: a parameter must be a whole segment, as in /items/{{id}}"
                ));
            }
            return Ok(Segment::Literal(decoded(part)));
        };
        let (name, greedy) = match inner.strip_suffix('+') {
            Some(n) => (n, true),
            None => (inner, false),
        };
        if !name_ok(name) {
            return Err(format!(
                "{template:?}: parameter {name:?} must be 1 to 128 letters, digits, '_', '-' or '.'"
            ));
        }
        let taken = seen.iter().any(|s| match s {
            Segment::Param(n) | Segment::Greedy(n) => n == name,
            Segment::Literal(_) => false,
        });
        if taken {
            return Err(format!("{template:?}: parameter {name:?} appears twice"));
        }
        Ok(if greedy {
            Segment::Greedy(name.to_string())
        } else {
            Segment::Param(name.to_string())
        })
    }

    /// The template as configured (the v1 event's `resource` and `resourcePath`).
    pub fn template(&self) -> &str {
        &self.template
    }

    /// The path parameters (percent-decoded) when `path` (no query) matches, in template
    /// order; `None` when it does not match. A template without parameters gives `Some([])`.
    pub fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let rest = path.strip_prefix('/')?;
        let parts: Vec<&str> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split('/').collect()
        };
        let mut params = Vec::new();
        for (i, seg) in self.segments.iter().enumerate() {
            match seg {
                Segment::Literal(lit) => {
                    if decoded(parts.get(i)?) != *lit {
                        return None;
                    }
                }
                Segment::Param(name) => {
                    let part = parts.get(i).filter(|p| !p.is_empty())?;
                    params.push((name.clone(), decoded(part)));
                }
                Segment::Greedy(name) => {
                    let tail = parts.get(i..).filter(|t| !t.is_empty())?.join("/");
                    if tail.is_empty() {
                        return None;
                    }
                    params.push((name.clone(), decoded(&tail)));
                    return Some(params);
                }
            }
        }
        (parts.len() == self.segments.len()).then_some(params)
    }
}

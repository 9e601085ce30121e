//! The request's `Accept` header: every value parsed, ordered as Gravitee's
//! gateway orders it (by `q`, then concrete types before wildcards).

use std::cmp::Ordering;

/// Media ranges kept per request; any beyond are ignored (the ordering is quadratic).
pub const MAX_RANGES: usize = 64;

/// One media range of an `Accept` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRange {
    /// `type/subtype`, lowercase.
    media: String,
    slash: usize,
    /// The range as a content type: `type/subtype` and the parameters before `q`.
    written: String,
    /// Quality in thousandths (1000 when absent).
    q: u16,
    /// Parameters, `q` included (Gravitee's last tie-break: more first).
    params: usize,
}

impl MediaRange {
    /// Parses one range (`text/html;level=1;q=0.5`, `*` meaning `*/*`).
    /// `None` when it is not a media range: bad token, `*/json`, a quoted
    /// string left open, a `q` that is not a number between 0 and 1.
    pub fn parse(range: &str) -> Option<MediaRange> {
        let mut pieces = split_unquoted(range, ';').into_iter();
        let head = pieces.next()?.trim();
        let head = if head == "*" { "*/*" } else { head };
        let (ty, sub) = head.split_once('/')?;
        if !is_token(ty) || !is_token(sub) || (ty == "*" && sub != "*") {
            return None;
        }
        let media = format!("{}/{}", ty.to_ascii_lowercase(), sub.to_ascii_lowercase());
        let mut written = media.clone();
        let (mut q, mut seen_q, mut names) = (1000, false, Vec::new());
        for piece in pieces {
            let piece = piece.trim();
            // As Spring's parser: an empty piece or one without `=` is skipped.
            let Some((name, value)) = piece.split_once('=') else {
                continue;
            };
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            if !is_token(&name) || !(is_token(value) || is_quoted(value)) {
                return None;
            }
            if name == "q" {
                q = quality(value)?;
                seen_q = true;
            } else if !seen_q {
                written.push(';');
                written.push_str(&name);
                written.push('=');
                written.push_str(value);
            }
            if !names.contains(&name) {
                names.push(name);
            }
        }
        Some(MediaRange {
            slash: ty.len(),
            media,
            written,
            q,
            params: names.len(),
        })
    }

    /// `type/subtype`, lowercase: what response templates are keyed by.
    pub fn media(&self) -> &str {
        &self.media
    }

    /// The range as a content type: `type/subtype` and any parameters before `q`.
    #[cfg(any(test, feature = "testing"))]
    pub fn written(&self) -> &str {
        &self.written
    }

    /// Quality in thousandths.
    #[cfg(any(test, feature = "testing"))]
    pub fn q(&self) -> u16 {
        self.q
    }

    fn type_(&self) -> &str {
        self.media.get(..self.slash).unwrap_or_default()
    }

    fn subtype(&self) -> &str {
        self.media.get(self.slash + 1..).unwrap_or_default()
    }

    fn wildcard_type(&self) -> bool {
        self.type_() == "*"
    }

    fn wildcard_subtype(&self) -> bool {
        self.subtype() == "*" || self.subtype().starts_with("*+")
    }

    /// Gravitee's order (`MediaType.QUALITY_FACTOR_COMPARATOR`): higher `q`
    /// first; then a concrete type before `*`; for the same type a concrete
    /// subtype before a wildcard; for the same media more parameters first;
    /// otherwise equal (the header's order stays).
    fn order(&self, other: &MediaRange) -> Ordering {
        other
            .q
            .cmp(&self.q)
            .then_with(|| self.wildcard_type().cmp(&other.wildcard_type()))
            .then_with(|| {
                if self.type_() != other.type_() {
                    return Ordering::Equal;
                }
                self.wildcard_subtype()
                    .cmp(&other.wildcard_subtype())
                    .then_with(|| {
                        if self.subtype() != other.subtype() {
                            return Ordering::Equal;
                        }
                        other.params.cmp(&self.params)
                    })
            })
    }
}

/// The parsed `Accept` header of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accept {
    /// Acceptable ranges (`q` > 0), best first.
    ranges: Vec<MediaRange>,
    /// The first acceptable range in the header's order.
    first: Option<String>,
    /// At least one range parsed (`q=0` ones included).
    present: bool,
}

impl Accept {
    /// Parses every `Accept` value of the request (each may list several
    /// ranges). Unparsable ranges are ignored; `q=0` ranges ("not
    /// acceptable") are never matched.
    pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Accept {
        let mut all = Vec::new();
        'values: for value in values {
            for range in split_unquoted(value, ',') {
                if all.len() == MAX_RANGES {
                    break 'values;
                }
                if let Some(r) = MediaRange::parse(range) {
                    all.push(r);
                }
            }
        }
        let present = !all.is_empty();
        let mut ranges: Vec<MediaRange> = all.into_iter().filter(|r| r.q > 0).collect();
        let first = ranges.first().map(|r| r.written.clone());
        insertion_sort(&mut ranges);
        Accept {
            ranges,
            first,
            present,
        }
    }

    /// Acceptable ranges, best first.
    pub fn ranges(&self) -> &[MediaRange] {
        &self.ranges
    }

    /// No range at all (no header, or nothing parsable): anything goes.
    pub fn is_absent(&self) -> bool {
        !self.present
    }

    /// The first acceptable range as the client wrote it (without `q`): the
    /// content type Gravitee gives a response template's body.
    pub fn first(&self) -> Option<&str> {
        self.first.as_deref()
    }

    /// Does the client take JSON? No `Accept`, `*/*`, `application/*` or `application/json`.
    pub fn allows_json(&self) -> bool {
        self.is_absent()
            || self
                .ranges
                .iter()
                .any(|r| matches!(r.media(), "*/*" | "application/*" | "application/json"))
    }
}

/// Stable, and never panics whatever the comparator (Gravitee's is not a total order).
fn insertion_sort(v: &mut [MediaRange]) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 {
            let (Some(a), Some(b)) = (v.get(j - 1), v.get(j)) else {
                break;
            };
            if a.order(b) != Ordering::Greater {
                break;
            }
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Splits on `sep` outside double-quoted strings (`\` escapes inside them).
fn split_unquoted(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            out.push(s.get(start..i).unwrap_or_default());
            start = i + 1;
        }
    }
    out.push(s.get(start..).unwrap_or_default());
    out
}

/// An HTTP token (RFC 9110 `tchar`s).
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A closed quoted string without control characters.
fn is_quoted(s: &str) -> bool {
    let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return false;
    };
    let mut escaped = false;
    for c in inner.chars() {
        if c.is_control() && c != '\t' {
            return false;
        }
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            return false;
        }
    }
    !escaped
}

/// A `q` value between 0 and 1, in thousandths.
fn quality(v: &str) -> Option<u16> {
    let v = v.trim_matches('"');
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let q: f64 = v.parse().ok()?;
    (0.0..=1.0)
        .contains(&q)
        .then(|| (q * 1000.0).round() as u16)
}

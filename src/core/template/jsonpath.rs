//! `#jsonPath`: bounded compilation of RFC 9535 paths and Gravitee's result shape.

use serde_json_path::JsonPath;

use super::value::Value;

/// Nesting of `(`/`[` allowed in a JSONPath (the JSONPath parser recurses).
const MAX_PATH_NESTING: usize = 32;
/// Nesting of `[` allowed in a JSONPath: nested filters make its parser exponential.
const MAX_PATH_BRACKETS: usize = 5;

/// Parses an RFC 9535 JSONPath after bounding its nesting, so a hostile or
/// careless path can neither exhaust the stack nor take exponential time.
pub(crate) fn compile_json_path(path: &str) -> Result<JsonPath, String> {
    let (mut depth, mut brackets) = (0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in path.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '(' => depth += 1,
            '[' => {
                depth += 1;
                brackets += 1;
            }
            ')' => depth = depth.saturating_sub(1),
            ']' => {
                depth = depth.saturating_sub(1);
                brackets = brackets.saturating_sub(1);
            }
            _ => {}
        }
        if depth > MAX_PATH_NESTING || brackets > MAX_PATH_BRACKETS {
            return Err("path is nested too deeply".to_owned());
        }
    }
    JsonPath::parse(path).map_err(|e| e.to_string())
}

/// Gravitee's result shape: no match → null, one match → that node, several → a list.
pub(crate) fn query(doc: &serde_json::Value, path: &JsonPath) -> Value {
    let nodes = path.query(doc);
    match nodes.len() {
        0 => Value::Null,
        1 => nodes.first().map_or(Value::Null, Value::from),
        _ => Value::list(nodes.iter().map(|n| Value::from(*n)).collect()),
    }
}

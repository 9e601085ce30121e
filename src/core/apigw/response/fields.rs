//! Reading the fields of a proxy response; each error names the field, not its content.

use base64::Engine;
use serde_json::{Map, Value};

pub(super) type Object = Map<String, Value>;

/// A name as an error may show it: at most 64 characters, escaped.
pub(super) fn shown(name: &str) -> String {
    let cut: String = name.chars().take(64).collect();
    if cut.len() < name.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}

pub(super) fn object(payload: &[u8]) -> Result<Object, String> {
    match serde_json::from_slice::<Value>(payload) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("the payload is not a JSON object".to_string()),
        Err(_) => Err("the payload is not JSON".to_string()),
    }
}

/// The first of `names` that is present and not `null`, with the name found.
pub(super) fn field<'a>(
    obj: &'a Object,
    names: &[&'static str],
) -> Option<(&'static str, &'a Value)> {
    names
        .iter()
        .find_map(|n| obj.get(*n).filter(|v| !v.is_null()).map(|v| (*n, v)))
}

/// An HTTP status: an integer, or a string of digits, from 100 to 599.
pub(super) fn status(name: &str, v: &Value) -> Result<u16, String> {
    let n = match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                .map(|f| f as u64)
        }),
        Value::String(s)
            if !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            s.parse().ok()
        }
        _ => return Err(format!("{name} must be an integer or a numeric string")),
    };
    match n {
        Some(n @ 100..=599) => u16::try_from(n).map_err(|_| format!("{name} is out of range")),
        _ => Err(format!("{name} must be an HTTP status from 100 to 599")),
    }
}

/// A header value: a string, or a number or boolean written as text; `None` for `null`.
fn scalar(field: &str, name: &str, v: &Value) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        _ => Err(format!(
            "{field}: the value of {} is not a string",
            shown(name)
        )),
    }
}

/// `{"name": "value", …}` (or `null`) as pairs.
pub(super) fn headers(field: &str, v: Option<&Value>) -> Result<Vec<(String, String)>, String> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let Value::Object(map) = v else {
        return Err(format!("{field} must be an object"));
    };
    let mut out = Vec::with_capacity(map.len());
    for (name, value) in map {
        if let Some(s) = scalar(field, name, value)? {
            out.push((name.clone(), s));
        }
    }
    Ok(out)
}

/// `{"name": ["value", …], …}` (or `null`) as pairs, one per value.
pub(super) fn multi_headers(
    field: &str,
    v: Option<&Value>,
) -> Result<Vec<(String, String)>, String> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let Value::Object(map) = v else {
        return Err(format!("{field} must be an object"));
    };
    let mut out = Vec::new();
    for (name, values) in map {
        match values {
            Value::Null => {}
            Value::Array(list) => {
                for value in list {
                    if let Some(s) = scalar(field, name, value)? {
                        out.push((name.clone(), s));
                    }
                }
            }
            _ => {
                return Err(format!(
                    "{field}: the value of {} is not a list",
                    shown(name)
                ))
            }
        }
    }
    Ok(out)
}

/// `["a=1; Path=/", …]` (or `null`).
pub(super) fn strings(field: &str, v: Option<&Value>) -> Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(list)) => list
            .iter()
            .map(|c| match c {
                Value::String(s) => Ok(s.clone()),
                _ => Err(format!("{field} must be a list of strings")),
            })
            .collect(),
        Some(_) => Err(format!("{field} must be a list of strings")),
    }
}

/// The body bytes from the body field and the base64 flag (strict, padded base64).
pub(super) fn body(
    obj: &Object,
    body_names: &[&'static str],
    flag_names: &[&'static str],
) -> Result<Vec<u8>, String> {
    let encoded = match field(obj, flag_names) {
        None => false,
        Some((_, Value::Bool(b))) => *b,
        Some((name, _)) => return Err(format!("{name} must be true or false")),
    };
    let text = match field(obj, body_names) {
        None => return Ok(Vec::new()),
        Some((_, Value::String(s))) => s,
        Some((name, _)) => return Err(format!("{name} must be a string")),
    };
    if !encoded {
        return Ok(text.as_bytes().to_vec());
    }
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| "body is not valid base64 although isBase64Encoded is true".to_string())
}

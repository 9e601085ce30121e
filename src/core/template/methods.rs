//! Built-in methods on strings, maps, lists and objects.
//!
//! Error messages name methods and types only, never the values involved.

use super::method_args::{arity, int_arg, key_arg, str_arg};
use super::value::{Map, Value};
use super::MAX_STRING_BYTES;

/// Char index of a byte offset.
fn char_index(s: &str, byte: usize) -> i64 {
    s.get(..byte).map_or(0, |p| p.chars().count() as i64)
}

fn unsupported(name: &str, recv: &Value) -> String {
    format!("method '{name}' is not supported on {}", recv.type_name())
}

/// Calls `recv.name(args)`; `recv` is never null here (the evaluator checks).
pub(crate) fn call(recv: &Value, name: &str, args: &[Value]) -> Result<Value, String> {
    if name == "toString" {
        arity(name, args, &[0])?;
        return Ok(Value::from(recv.to_template_string()));
    }
    if name == "equals" {
        arity(name, args, &[1])?;
        return Ok(Value::Bool(args.first().is_some_and(|a| a == recv)));
    }
    match recv {
        Value::Str(s) => string_method(s, name, args),
        Value::Map(m) => map_method(m, name, args),
        Value::List(l) => list_method(l, name, args),
        Value::Object(o) => {
            if let Some(result) = o.call_method(name, args) {
                return result;
            }
            match name {
                "get" => {
                    arity(name, args, &[1])?;
                    Ok(o.get(&key_arg(name, args, 0)?).unwrap_or(Value::Null))
                }
                "containsKey" => {
                    arity(name, args, &[1])?;
                    Ok(Value::Bool(o.get(&key_arg(name, args, 0)?).is_some()))
                }
                _ => Err(unsupported(name, recv)),
            }
        }
        _ => Err(unsupported(name, recv)),
    }
}

fn string_method(s: &str, name: &str, args: &[Value]) -> Result<Value, String> {
    match name {
        "toUpperCase" | "toLowerCase" | "trim" | "length" | "isEmpty" => {
            arity(name, args, &[0])?;
            Ok(match name {
                "toUpperCase" => Value::from(s.to_uppercase()),
                "toLowerCase" => Value::from(s.to_lowercase()),
                // Java's trim(): strips every char <= U+0020.
                "trim" => Value::str(s.trim_matches(|c: char| c <= ' ')),
                "length" => Value::Int(s.chars().count() as i64),
                _ => Value::Bool(s.is_empty()),
            })
        }
        "contains" | "startsWith" | "endsWith" | "equalsIgnoreCase" => {
            arity(name, args, &[1])?;
            let a = str_arg(name, args, 0)?;
            Ok(Value::Bool(match name {
                "contains" => s.contains(a),
                "startsWith" => s.starts_with(a),
                "endsWith" => s.ends_with(a),
                _ => s.to_lowercase() == a.to_lowercase(),
            }))
        }
        "indexOf" | "lastIndexOf" => {
            arity(name, args, &[1])?;
            let a = str_arg(name, args, 0)?;
            let found = if name == "indexOf" {
                s.find(a)
            } else {
                s.rfind(a)
            };
            Ok(Value::Int(found.map_or(-1, |b| char_index(s, b))))
        }
        "concat" => {
            arity(name, args, &[1])?;
            Ok(Value::from(format!("{s}{}", str_arg(name, args, 0)?)))
        }
        "replace" => {
            arity(name, args, &[2])?;
            let (from, to) = (str_arg(name, args, 0)?, str_arg(name, args, 1)?);
            // The only method whose result can outgrow its inputs' sum: check first.
            let hits = if from.is_empty() {
                s.chars().count() + 1
            } else {
                s.matches(from).count()
            };
            let len = hits
                .saturating_mul(to.len())
                .saturating_add(s.len())
                .saturating_sub(hits.saturating_mul(from.len()));
            if len > MAX_STRING_BYTES {
                return Err("replace: result is too large".to_owned());
            }
            Ok(Value::from(s.replace(from, to)))
        }
        "split" => {
            arity(name, args, &[1])?;
            Ok(split(s, str_arg(name, args, 0)?))
        }
        "charAt" => {
            arity(name, args, &[1])?;
            let i = int_arg(name, args, 0)?;
            usize::try_from(i)
                .ok()
                .and_then(|i| s.chars().nth(i))
                .map(|c| Value::from(c.to_string()))
                .ok_or_else(|| "charAt: index out of range".to_owned())
        }
        "substring" => {
            arity(name, args, &[1, 2])?;
            let len = s.chars().count() as i64;
            let begin = int_arg(name, args, 0)?;
            let end = if args.len() == 2 {
                int_arg(name, args, 1)?
            } else {
                len
            };
            if begin < 0 || end > len || begin > end {
                return Err("substring: index out of range".to_owned());
            }
            let sub: String = s
                .chars()
                .skip(begin as usize)
                .take((end - begin) as usize)
                .collect();
            Ok(Value::from(sub))
        }
        _ => Err(format!("method '{name}' is not supported on string")),
    }
}

/// Java's `String.split` with the separator taken literally: trailing empty
/// strings are removed; an empty separator splits into characters.
fn split(s: &str, sep: &str) -> Value {
    let mut parts: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::from(c.to_string())).collect()
    } else {
        s.split(sep).map(Value::str).collect()
    };
    if parts.len() > 1 {
        while parts
            .last()
            .is_some_and(|p| matches!(p, Value::Str(x) if x.is_empty()))
        {
            parts.pop();
        }
    }
    if parts.is_empty() && s.is_empty() {
        parts.push(Value::str(""));
    }
    Value::list(parts)
}

fn lookup(v: &Value, key: &str) -> Value {
    match v {
        Value::Map(m) => m.get(key).cloned().unwrap_or(Value::Null),
        Value::Object(o) => o.get(key).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

fn map_method(m: &Map, name: &str, args: &[Value]) -> Result<Value, String> {
    match name {
        // `get(k)`; `get(k1, k2)` looks k2 up in the map/object found at k1
        // (so a Root can serve `#secrets.get('/vault/path', 'key')` from nested maps).
        "get" => {
            arity(name, args, &[1, 2])?;
            let v = m
                .get(&key_arg(name, args, 0)?)
                .cloned()
                .unwrap_or(Value::Null);
            if args.len() == 2 {
                return Ok(lookup(&v, &key_arg(name, args, 1)?));
            }
            Ok(v)
        }
        // Gravitee's multi-value header maps: first value of a list entry.
        "getFirst" => {
            arity(name, args, &[1])?;
            Ok(match m.get(&key_arg(name, args, 0)?) {
                Some(Value::List(l)) => l.first().cloned().unwrap_or(Value::Null),
                Some(v) => v.clone(),
                None => Value::Null,
            })
        }
        "containsKey" => {
            arity(name, args, &[1])?;
            Ok(Value::Bool(m.contains_key(&key_arg(name, args, 0)?)))
        }
        "size" | "isEmpty" | "keySet" | "values" => {
            arity(name, args, &[0])?;
            Ok(match name {
                "size" => Value::Int(m.len() as i64),
                "isEmpty" => Value::Bool(m.is_empty()),
                "keySet" => Value::list(m.iter().map(|(k, _)| Value::str(k)).collect()),
                _ => Value::list(m.iter().map(|(_, v)| v.clone()).collect()),
            })
        }
        _ => Err(format!("method '{name}' is not supported on map")),
    }
}

fn list_method(l: &[Value], name: &str, args: &[Value]) -> Result<Value, String> {
    match name {
        "get" => {
            arity(name, args, &[1])?;
            let i = int_arg(name, args, 0)?;
            Ok(list_get(l, i))
        }
        "size" | "isEmpty" => {
            arity(name, args, &[0])?;
            Ok(if name == "size" {
                Value::Int(l.len() as i64)
            } else {
                Value::Bool(l.is_empty())
            })
        }
        "contains" | "indexOf" => {
            arity(name, args, &[1])?;
            let pos = args.first().and_then(|x| l.iter().position(|v| v == x));
            Ok(if name == "contains" {
                Value::Bool(pos.is_some())
            } else {
                Value::Int(pos.map_or(-1, |p| p as i64))
            })
        }
        _ => Err(format!("method '{name}' is not supported on list")),
    }
}

/// List element, or null when out of range (negative included).
pub(crate) fn list_get(l: &[Value], i: i64) -> Value {
    usize::try_from(i)
        .ok()
        .and_then(|i| l.get(i))
        .cloned()
        .unwrap_or(Value::Null)
}

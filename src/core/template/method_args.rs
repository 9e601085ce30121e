//! The arguments of the built-in methods: their count, their types and map
//! keys, checked with errors that name the method and the type, never the value.

use super::value::Value;

/// The number of arguments is one of `allowed`.
pub(super) fn arity(name: &str, args: &[Value], allowed: &[usize]) -> Result<(), String> {
    if allowed.contains(&args.len()) {
        return Ok(());
    }
    let expected = match allowed {
        [n] => n.to_string(),
        [a, b] => format!("{a} or {b}"),
        _ => format!("{allowed:?}"),
    };
    Err(format!(
        "method '{name}' expects {expected} argument(s) but got {}",
        args.len()
    ))
}

pub(super) fn str_arg<'v>(name: &str, args: &'v [Value], i: usize) -> Result<&'v str, String> {
    match args.get(i) {
        Some(Value::Str(s)) => Ok(s),
        Some(v) => Err(format!(
            "argument {} of '{name}' must be a string but was {}",
            i + 1,
            v.type_name()
        )),
        None => Err(format!("method '{name}' is missing argument {}", i + 1)),
    }
}

pub(super) fn int_arg(name: &str, args: &[Value], i: usize) -> Result<i64, String> {
    match args.get(i) {
        Some(Value::Int(n)) => Ok(*n),
        Some(v) => Err(format!(
            "argument {} of '{name}' must be an integer but was {}",
            i + 1,
            v.type_name()
        )),
        None => Err(format!("method '{name}' is missing argument {}", i + 1)),
    }
}

/// A map key from an index or argument: strings as is, integers as text.
pub(crate) fn key_of(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.to_string()),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

pub(super) fn key_arg(name: &str, args: &[Value], i: usize) -> Result<String, String> {
    let v = args.get(i).unwrap_or(&Value::Null);
    key_of(v).ok_or_else(|| {
        format!(
            "argument {} of '{name}' must be a string key but was {}",
            i + 1,
            v.type_name()
        )
    })
}

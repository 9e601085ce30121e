//! Evaluation of a parsed expression against a [`Root`].
//!
//! Recursion is bounded by the tree height the parser allows; every failure is
//! an [`EvalError`] naming the offset, the operation and type names only.

use std::rc::Rc;

use super::ast::{Expr, Kind, PathArg};
use super::jsonpath::{compile_json_path, query};
use super::method_args::key_of;
use super::methods::{self, list_get};
use super::ops::binary;
use super::value::{Map, Value};
use super::{err, EvalError, Root};

/// Per-render state: the root.
pub(crate) struct Ctx<'r> {
    root: &'r dyn Root,
}

impl<'r> Ctx<'r> {
    pub(crate) fn new(root: &'r dyn Root) -> Ctx<'r> {
        Ctx { root }
    }
}

thread_local! {
    /// The last JSON document parsed by `#jsonPath`, kept across renders: the
    /// variables of one invocation usually all query the same Lambda answer,
    /// which is then parsed once. One entry per VM (a VM is one thread).
    static LAST_DOCUMENT: std::cell::RefCell<Option<(Rc<str>, Rc<serde_json::Value>)>> =
        const { std::cell::RefCell::new(None) };
}

/// `true`/`false` for `and`, `or`, `!` and the ternary condition; anything else is an error.
fn boolean(v: &Value, offset: usize, what: &str) -> Result<bool, EvalError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Null => err(offset, format!("{what} is null, expected a boolean")),
        other => err(
            offset,
            format!("{what} must be a boolean but was {}", other.type_name()),
        ),
    }
}

pub(crate) fn eval(e: &Expr, cx: &mut Ctx<'_>) -> Result<Value, EvalError> {
    let off = e.offset;
    match &e.kind {
        Kind::Lit(v) => Ok(v.clone()),
        Kind::Var(name) => Ok(cx.root.lookup(name).unwrap_or(Value::Null)),
        Kind::Prop { target, name, safe } => match eval(target, cx)? {
            Value::Null if *safe => Ok(Value::Null),
            Value::Map(m) => Ok(m.get(name).cloned().unwrap_or(Value::Null)),
            Value::Object(o) => Ok(o.get(name).unwrap_or(Value::Null)),
            other => err(
                off,
                format!("cannot read property '{name}' of {}", other.type_name()),
            ),
        },
        Kind::Index {
            target,
            index,
            safe,
        } => {
            let t = eval(target, cx)?;
            if *safe && t.is_null() {
                return Ok(Value::Null);
            }
            let i = eval(index, cx)?;
            self::index(&t, &i, off)
        }
        Kind::Method {
            target,
            name,
            args,
            safe,
        } => {
            let t = eval(target, cx)?;
            if t.is_null() {
                if *safe {
                    return Ok(Value::Null);
                }
                return err(off, format!("cannot call method '{name}' on null"));
            }
            let argv = args
                .iter()
                .map(|a| eval(a, cx))
                .collect::<Result<Vec<_>, _>>()?;
            methods::call(&t, name, &argv).or_else(|m| err(off, m))
        }
        Kind::JsonPath { json, path } => {
            let content = eval(json, cx)?;
            let doc = document(content, cx, off)?;
            match path {
                PathArg::Compiled(p) => Ok(query(&doc, p)),
                PathArg::Dynamic(p) => match eval(p, cx)? {
                    Value::Str(s) => match compile_json_path(&s) {
                        Ok(p) => Ok(query(&doc, &p)),
                        Err(_) => err(off, "jsonPath: invalid path"),
                    },
                    other => err(
                        off,
                        format!(
                            "jsonPath: path must be a string but was {}",
                            other.type_name()
                        ),
                    ),
                },
            }
        }
        Kind::JsonEncode(x) => {
            let json = match eval(x, cx)? {
                Value::Str(s) => serde_json::Value::String(s.to_string()),
                other => other.to_json(),
            };
            serde_json::to_string(&json)
                .map(Value::from)
                .or_else(|e| err(off, format!("jsonEncode: {e}")))
        }
        Kind::XPath => err(off, "xpath is not supported"),
        Kind::Neg(x) => match eval(x, cx)? {
            Value::Int(i) => i
                .checked_neg()
                .map(Value::Int)
                .map_or_else(|| err(off, "integer overflow in '-'"), Ok),
            Value::Float(f) => Ok(Value::Float(-f)),
            other => err(off, format!("cannot negate {}", other.type_name())),
        },
        Kind::Not(x) => {
            let v = eval(x, cx)?;
            Ok(Value::Bool(!boolean(&v, off, "operand of '!'")?))
        }
        Kind::And(a, b) => {
            let l = eval(a, cx)?;
            if !boolean(&l, off, "left operand of 'and'")? {
                return Ok(Value::Bool(false));
            }
            let r = eval(b, cx)?;
            Ok(Value::Bool(boolean(&r, off, "right operand of 'and'")?))
        }
        Kind::Or(a, b) => {
            let l = eval(a, cx)?;
            if boolean(&l, off, "left operand of 'or'")? {
                return Ok(Value::Bool(true));
            }
            let r = eval(b, cx)?;
            Ok(Value::Bool(boolean(&r, off, "right operand of 'or'")?))
        }
        Kind::Ternary {
            cond,
            then,
            otherwise,
        } => {
            let c = eval(cond, cx)?;
            if boolean(&c, off, "condition")? {
                eval(then, cx)
            } else {
                eval(otherwise, cx)
            }
        }
        Kind::Elvis(a, b) => match eval(a, cx)? {
            Value::Null => eval(b, cx),
            Value::Str(s) if s.is_empty() => eval(b, cx),
            v => Ok(v),
        },
        Kind::Binary { op, lhs, rhs } => {
            let l = eval(lhs, cx)?;
            let r = eval(rhs, cx)?;
            binary(*op, &l, &r, off)
        }
        Kind::List(items) => {
            let values = items
                .iter()
                .map(|x| eval(x, cx))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::list(values))
        }
        Kind::Map(entries) => {
            let mut m = Map::new();
            for (k, x) in entries {
                m.insert(k.as_ref(), eval(x, cx)?);
            }
            Ok(Value::map(m))
        }
    }
}

/// `target[index]`.
fn index(t: &Value, i: &Value, off: usize) -> Result<Value, EvalError> {
    match (t, i) {
        (Value::List(l), Value::Int(n)) => Ok(list_get(l, *n)),
        (Value::List(_), other) => err(
            off,
            format!(
                "list index must be an integer but was {}",
                other.type_name()
            ),
        ),
        (Value::Str(s), Value::Int(n)) => Ok(usize::try_from(*n)
            .ok()
            .and_then(|n| s.chars().nth(n))
            .map_or(Value::Null, |c| Value::from(c.to_string()))),
        (Value::Map(_) | Value::Object(_), key) => {
            let Some(k) = key_of(key) else {
                return err(
                    off,
                    format!("map key must be a string but was {}", key.type_name()),
                );
            };
            Ok(match t {
                Value::Map(m) => m.get(&k).cloned().unwrap_or(Value::Null),
                Value::Object(o) => o.get(&k).unwrap_or(Value::Null),
                _ => Value::Null,
            })
        }
        (other, idx) => err(
            off,
            format!(
                "cannot index into {} with {}",
                other.type_name(),
                idx.type_name()
            ),
        ),
    }
}

/// The JSON document `#jsonPath` queries.
fn document(
    content: Value,
    _cx: &mut Ctx<'_>,
    off: usize,
) -> Result<Rc<serde_json::Value>, EvalError> {
    match content {
        Value::Str(s) => {
            let hit = LAST_DOCUMENT.with(|c| {
                let mut c = c.borrow_mut();
                let (cached, doc) = c.as_mut()?;
                if Rc::ptr_eq(cached, &s) {
                    return Some(doc.clone());
                }
                if **cached != *s {
                    return None;
                }
                // The same text in a new string (the next answer): its later
                // queries then match by pointer, without comparing the text.
                *cached = s.clone();
                Some(doc.clone())
            });
            if let Some(doc) = hit {
                return Ok(doc);
            }
            // from_slice, as everywhere else: one copy of serde_json's reader in the module.
            let Ok(doc) = serde_json::from_slice::<serde_json::Value>(s.as_bytes()) else {
                return err(off, "jsonPath: content is not JSON");
            };
            let doc = Rc::new(doc);
            LAST_DOCUMENT.with(|c| *c.borrow_mut() = Some((s, doc.clone())));
            Ok(doc)
        }
        Value::Null => err(off, "jsonPath: content is null"),
        other => Ok(Rc::new(other.to_json())),
    }
}

/// Whether `#jsonPath`'s last document is keyed by this very string.
#[cfg(test)]
pub(crate) fn last_document_is(s: &Rc<str>) -> bool {
    LAST_DOCUMENT.with(|c| c.borrow().as_ref().is_some_and(|(k, _)| Rc::ptr_eq(k, s)))
}

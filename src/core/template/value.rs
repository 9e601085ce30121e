//! The values templates compute with, and how they become text.

use std::fmt;
use std::rc::Rc;

pub use super::map::Map;

/// A value seen by a template expression.
///
/// Cloning is cheap: strings, lists, maps and objects are reference counted.
#[derive(Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    List(Rc<Vec<Value>>),
    Map(Rc<Map>),
    Object(Rc<dyn Object>),
}

/// A lazily resolved object provided by the host (the request, Envoy filter state…).
pub trait Object {
    /// Property or key lookup (`obj.key`, `obj['key']`, `obj.get('key')`).
    fn get(&self, key: &str) -> Option<Value>;
    /// The JSON form used when the object is stringified or handed to `#jsonPath`.
    fn to_json(&self) -> serde_json::Value;
    /// Any other method call, e.g. `#secrets.get('/vault/path', 'key')`.
    /// `None` means "no such method" (the built-in `get`/`containsKey` are then
    /// tried); an `Err` message becomes the [`super::EvalError`], so it must not
    /// contain data (secret values, bodies). The default knows no methods.
    fn call_method(&self, _name: &str, _args: &[Value]) -> Option<Result<Value, String>> {
        None
    }
}

impl Value {
    /// A string value.
    pub fn str(s: &str) -> Value {
        Value::Str(Rc::from(s))
    }

    /// A list value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(items))
    }

    /// A map value.
    pub fn map(map: Map) -> Value {
        Value::Map(Rc::new(map))
    }

    /// A host object (the proxy's objects are built by their own types).
    #[cfg(any(test, feature = "testing"))]
    pub fn object(obj: impl Object + 'static) -> Value {
        Value::Object(Rc::new(obj))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The type name used in error messages (never the value itself).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Object(_) => "object",
        }
    }

    /// Gravitee's stringification of a block's result: strings as is, numbers and
    /// booleans as text, maps/lists/objects as compact JSON, null as "".
    pub fn to_template_string(&self) -> String {
        let mut out = String::new();
        self.write_template_string(&mut out);
        out
    }

    /// [`Value::to_template_string`] appending to `out`.
    pub fn write_template_string(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            Value::Null => {}
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => write_float(*f, out),
            Value::Str(s) => out.push_str(s),
            Value::List(_) | Value::Map(_) | Value::Object(_) => {
                out.push_str(&serde_json::to_string(&self.to_json()).unwrap_or_default());
            }
        }
    }

    /// The JSON form of the value (non-finite floats become `null`).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.to_string()),
            Value::List(l) => J::Array(l.iter().map(Value::to_json).collect()),
            Value::Map(m) => {
                // Inserted one by one: `collect` into a map sorts first, and that sort is
                // compiled once for every iterator type.
                let mut o = serde_json::Map::new();
                for (k, v) in m.iter() {
                    o.insert(k.to_owned(), v.to_json());
                }
                J::Object(o)
            }
            Value::Object(o) => o.to_json(),
        }
    }
}

/// Floats print like Rust's shortest round-trip form, with Java's names for
/// the non-finite values; integer-valued floats keep a ".0" ("1.0").
pub(crate) fn write_float(f: f64, out: &mut String) {
    use std::fmt::Write;
    if f.is_nan() {
        out.push_str("NaN");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        let _ = write!(out, "{f:?}");
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("Null"),
            Value::Bool(b) => write!(f, "Bool({b})"),
            Value::Int(i) => write!(f, "Int({i})"),
            Value::Float(x) => write!(f, "Float({x:?})"),
            Value::Str(s) => write!(f, "Str({s:?})"),
            Value::List(l) => f.debug_list().entries(l.iter()).finish(),
            Value::Map(m) => m.fmt(f),
            Value::Object(_) => f.write_str("Object(..)"),
        }
    }
}

/// Structural equality, as the `==` operator uses it: numbers compare by value
/// (`1 == 1.0`), objects by identity, mismatched types are unequal.
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::Int(a), Value::Float(b)) | (Value::Float(b), Value::Int(a)) => {
                (*a as f64) == *b
            }
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Map(a), Value::Map(b)) => a == b,
            (Value::Object(a), Value::Object(b)) => Rc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// `From<T> for Value`, each through the constructor of its kind of value.
macro_rules! value_from {
    ($($t:ty => $make:path),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                $make(v)
            }
        }
    )*};
}

value_from! {
    &str => Value::str,
    i64 => Value::Int,
    bool => Value::Bool,
    f64 => Value::Float,
    Map => Value::map,
    Vec<Value> => Value::list,
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(Rc::from(s))
    }
}

impl From<&serde_json::Value> for Value {
    /// JSON objects → [`Map`] (case-sensitive), arrays → lists, numbers → `Int`
    /// when they fit an `i64`, `Float` otherwise.
    fn from(j: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match j {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            J::String(s) => Value::str(s),
            J::Array(a) => Value::list(a.iter().map(Value::from).collect()),
            J::Object(o) => {
                let mut m = Map::new();
                for (k, v) in o {
                    m.insert(k.as_str(), Value::from(v));
                }
                Value::map(m)
            }
        }
    }
}

impl From<serde_json::Value> for Value {
    fn from(j: serde_json::Value) -> Value {
        Value::from(&j)
    }
}

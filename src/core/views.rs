//! What templates see: `#request`, `#response`, `#lambdaResponse` and
//! `#context`, built lazily from what the stream captured.

use crate::core::aws::answer::LambdaAnswer;
use crate::core::callout::header_value;
use crate::core::host::Host;
use crate::core::template::{Map, Object, Value};
use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

fn header_map<'a>(headers: impl Iterator<Item = &'a (String, String)>) -> Value {
    let mut grouped: Vec<(&str, Vec<Value>)> = Vec::new();
    for (name, value) in headers.filter(|(n, _)| !n.starts_with(':')) {
        match grouped
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some((_, values)) => values.push(Value::from(value.as_str())),
            None => grouped.push((name, vec![Value::from(value.as_str())])),
        }
    }
    let mut map = Map::new_case_insensitive();
    for (name, values) in grouped {
        map.insert(name, Value::List(Rc::new(values)));
    }
    Value::Map(Rc::new(map))
}

fn text(bytes: &[u8]) -> Value {
    Value::from(String::from_utf8_lossy(bytes).into_owned())
}

fn percent_decode(s: &str) -> String {
    let plus_as_space = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8_lossy()
        .into_owned()
}

/// `#request`: captured once when the stream reaches its phase.
#[derive(Default)]
pub struct RequestView {
    pub headers: Vec<(String, String)>,
    pub content: Option<Vec<u8>>,
    pub remote_address: Option<String>,
    pub local_address: Option<String>,
    pub timestamp_ms: u64,
    headers_value: OnceCell<Value>,
}

impl RequestView {
    pub fn new(headers: Vec<(String, String)>, timestamp_ms: u64) -> Self {
        RequestView {
            headers,
            timestamp_ms,
            ..Default::default()
        }
    }

    fn path_and_query(&self) -> (&str, &str) {
        let full = header_value(&self.headers, ":path").unwrap_or("/");
        full.split_once('?').unwrap_or((full, ""))
    }

    fn params(&self) -> Value {
        let mut grouped: Vec<(String, Vec<Value>)> = Vec::new();
        for pair in self.path_and_query().1.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (k, v) = (percent_decode(k), Value::from(percent_decode(v)));
            match grouped.iter_mut().find(|(n, _)| *n == k) {
                Some((_, values)) => values.push(v),
                None => grouped.push((k, vec![v])),
            }
        }
        let mut map = Map::new();
        for (k, values) in grouped {
            map.insert(k, Value::List(Rc::new(values)));
        }
        Value::Map(Rc::new(map))
    }
}

impl Object for RequestView {
    fn get(&self, key: &str) -> Option<Value> {
        let p = |n| header_value(&self.headers, n).map(Value::from);
        match key {
            "id" => p("x-request-id"),
            "method" => p(":method"),
            "path" | "pathInfo" => Some(Value::from(self.path_and_query().0)),
            "uri" => p(":path"),
            "scheme" => p(":scheme"),
            "host" => p(":authority"),
            "remoteAddress" => self.remote_address.as_deref().map(Value::from),
            "localAddress" => self.local_address.as_deref().map(Value::from),
            "timestamp" => Some(Value::Int(self.timestamp_ms as i64)),
            "headers" => Some(
                self.headers_value
                    .get_or_init(|| header_map(self.headers.iter()))
                    .clone(),
            ),
            "params" | "parameters" => Some(self.params()),
            "content" => self.content.as_deref().map(text),
            _ => None,
        }
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "method": header_value(&self.headers, ":method"),
            "path": self.path_and_query().0,
        })
    }
}

/// `#response`: the upstream response, in response phases.
#[derive(Default)]
pub struct ResponseView {
    pub headers: Vec<(String, String)>,
    pub content: Option<Vec<u8>>,
}

impl Object for ResponseView {
    fn get(&self, key: &str) -> Option<Value> {
        match key {
            "status" => header_value(&self.headers, ":status")
                .and_then(|s| s.parse::<i64>().ok())
                .map(Value::Int),
            "headers" => Some(header_map(self.headers.iter())),
            "content" => self.content.as_deref().map(text),
            _ => None,
        }
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "status": header_value(&self.headers, ":status") })
    }
}

/// `#lambdaResponse`: status and content as in Gravitee, plus headers,
/// functionError, logResult and executedVersion.
pub struct LambdaView {
    answer: Rc<LambdaAnswer>,
    headers: Vec<(String, String)>,
    /// One string for every variable, so `#jsonPath` parses the answer once.
    content: OnceCell<Value>,
}

impl LambdaView {
    pub fn new(answer: Rc<LambdaAnswer>, headers: Vec<(String, String)>) -> Self {
        LambdaView {
            answer,
            headers,
            content: OnceCell::new(),
        }
    }
}

impl Object for LambdaView {
    fn get(&self, key: &str) -> Option<Value> {
        let a = &self.answer;
        let opt = |v: &Option<String>| v.as_deref().map(Value::from);
        match key {
            "status" => a.status.map(|s| Value::Int(i64::from(s))),
            "content" => Some(self.content.get_or_init(|| text(&a.body)).clone()),
            "headers" => Some(header_map(self.headers.iter())),
            "functionError" => opt(&a.function_error),
            "logResult" => opt(&a.log_result),
            "executedVersion" => opt(&a.executed_version),
            "requestId" => opt(&a.request_id),
            _ => None,
        }
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "status": self.answer.status, "content": String::from_utf8_lossy(&self.answer.body) })
    }
}

/// `#context`: `attributes` are the variables this filter set on the stream,
/// then Envoy filter state `wasm.<name>` (set by other filters or instances).
pub struct ContextView {
    pub own: Rc<RefCell<Vec<(String, String)>>>,
    pub host: Rc<dyn Host>,
}

struct Attributes {
    own: Rc<RefCell<Vec<(String, String)>>>,
    host: Rc<dyn Host>,
}

impl Object for ContextView {
    fn get(&self, key: &str) -> Option<Value> {
        match key {
            "attributes" => Some(Value::Object(Rc::new(Attributes {
                own: self.own.clone(),
                host: self.host.clone(),
            }))),
            _ => None,
        }
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({})
    }
}

impl Object for Attributes {
    fn get(&self, key: &str) -> Option<Value> {
        if let Some((_, v)) = self.own.borrow().iter().rev().find(|(k, _)| k == key) {
            return Some(Value::from(v.as_str()));
        }
        self.host.property(&[key]).map(|b| text(&b))
    }

    fn to_json(&self) -> serde_json::Value {
        // The last value of a name wins, as in `get`.
        let mut o = serde_json::Map::new();
        for (k, v) in self.own.borrow().iter() {
            o.insert(k.clone(), serde_json::Value::from(v.as_str()));
        }
        serde_json::Value::Object(o)
    }
}

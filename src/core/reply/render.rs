//! The reply to an error: a response template rendered, or the built-in
//! answer of Gravitee's default failure processing.

use super::accept::Accept;
use super::templates::ResponseTemplate;
use crate::core::errors::PolicyError;
use crate::core::template::{EvalError, Map, Root, Value};

/// Largest body a template may render; beyond, the built-in answer is sent.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// A local reply: status, headers (lowercase names), body (empty: none).
/// Envoy computes `content-length`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u32,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The roots of a response template: `#error` and `#parameters` over the
/// caller's own (`#request`, `#context`, `#properties`…).
pub struct ErrorRoot<'a> {
    error: Value,
    parameters: Value,
    inner: &'a dyn Root,
}

impl<'a> ErrorRoot<'a> {
    /// `#error` is {`statusCode` (the failure's own status), `key` (the
    /// precise key), `message`, `cause` (the details), `parameters`}.
    pub fn new(e: &PolicyError, inner: &'a dyn Root) -> Self {
        let parameters = parameters(e);
        let mut error = Map::new();
        error.insert("statusCode", Value::Int(i64::from(e.status())));
        error.insert("key", Value::str(e.key.as_str()));
        error.insert("message", Value::str(e.message()));
        error.insert("cause", Value::str(&e.details));
        error.insert("parameters", parameters.clone());
        ErrorRoot {
            error: Value::map(error),
            parameters,
            inner,
        }
    }
}

impl Root for ErrorRoot<'_> {
    fn lookup(&self, name: &str) -> Option<Value> {
        match name {
            "error" => Some(self.error.clone()),
            "parameters" => Some(self.parameters.clone()),
            _ => self.inner.lookup(name),
        }
    }
}

/// `#parameters`: the failure's parameters that are known.
fn parameters(e: &PolicyError) -> Value {
    let p = &e.params;
    let mut m = Map::new();
    let mut text = |name: &str, v: &Option<String>| {
        if let Some(v) = v {
            m.insert(name, Value::str(v));
        }
    };
    text("function", &p.function);
    text("region", &p.region);
    text("qualifier", &p.qualifier);
    text("awsErrorType", &p.aws_error_type);
    text("awsRequestId", &p.aws_request_id);
    text("functionError", &p.function_error);
    if let Some(s) = p.status {
        m.insert("status", Value::Int(i64::from(s)));
    }
    if let Some(parent) = e.parent() {
        m.insert("parentErrorKey", Value::str(parent.as_str()));
    }
    Value::map(m)
}

/// Renders `t` for `e`: the template's status and headers; its body
/// rendered with `#error`, `#parameters` and `root`'s variables; when the
/// body is not empty and the headers do not set it, `content-type` is the
/// first acceptable `Accept` range (Gravitee's choice). An `Err` means the
/// caller answers with [`builtin`] instead.
pub fn render(
    t: &ResponseTemplate,
    e: &PolicyError,
    accept: &Accept,
    root: &dyn Root,
) -> Result<Reply, EvalError> {
    let body = match &t.body {
        Some(template) => template.render(&ErrorRoot::new(e, root))?,
        None => String::new(),
    };
    if body.len() > MAX_BODY_BYTES {
        return Err(EvalError {
            message: format!("the rendered body is larger than {MAX_BODY_BYTES} bytes"),
        });
    }
    let mut headers = t.headers.clone();
    if !body.is_empty() && !t.sets_content_type() {
        if let Some(ct) = accept.first() {
            headers.push(("content-type".to_string(), ct.to_string()));
        }
    }
    Ok(Reply {
        status: u32::from(t.status),
        headers,
        body: body.into_bytes(),
    })
}

/// Gravitee's default failure answer: the JSON body (`message`,
/// `http_status_code`, `key`, `details`) when the client takes JSON, else
/// the message as `text/plain`.
pub fn builtin(e: &PolicyError, accept: &Accept) -> Reply {
    let (content_type, body) = if accept.allows_json() {
        ("application/json", e.body())
    } else {
        ("text/plain", e.message().to_string())
    };
    Reply {
        status: e.status(),
        headers: vec![("content-type".to_string(), content_type.to_string())],
        body: body.into_bytes(),
    }
}

//! The template tests' root: every variable Gravitee's templates read, with
//! a lazily resolved request and a secret store; and rendering against it.

use crate::core::template::{Map, Object, Root, Template, Value};
use std::collections::HashMap;

/// What the function answered, as `#lambdaResponse.content`.
pub const LAMBDA_CONTENT: &str = r#"{"field":"value","n":42,"f":1.5,"ok":true,"none":null,"arr":[1,2,3],"nested":{"a":{"b":"deep"}},"items":[{"id":1,"name":"x"},{"id":2,"name":"y"}]}"#;

/// The request as a lazily resolved host object.
struct Request {
    headers: Value,
    params: Value,
}

impl Object for Request {
    fn get(&self, key: &str) -> Option<Value> {
        match key {
            "headers" => Some(self.headers.clone()),
            "params" => Some(self.params.clone()),
            "path" => Some(Value::str("/api/orders/42")),
            "method" => Some(Value::str("POST")),
            "content" => Some(Value::str(r#"{"order":{"id":42,"qty":3}}"#)),
            _ => None,
        }
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"path": "/api/orders/42", "method": "POST"})
    }
}

/// A secret store answering `get(path, key)`.
pub struct Secrets;

impl Object for Secrets {
    fn get(&self, _key: &str) -> Option<Value> {
        None
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({})
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        match (name, args) {
            ("get", [Value::Str(path), Value::Str(key)]) => {
                Some(Ok(Value::from(format!("secret:{path}:{key}"))))
            }
            _ => None,
        }
    }
}

/// Variables by name.
pub struct TestRoot(pub HashMap<&'static str, Value>);

impl Root for TestRoot {
    fn lookup(&self, name: &str) -> Option<Value> {
        self.0.get(name).cloned()
    }
}

fn list_of(items: &[&str]) -> Value {
    Value::list(items.iter().map(|s| Value::str(s)).collect())
}

/// The root every template test renders against.
pub fn gateway_root() -> TestRoot {
    let mut headers = Map::new_case_insensitive();
    headers.insert("x-header", list_of(&["h1", "h2"]));
    headers.insert("x", list_of(&["xv"]));
    headers.insert("content-type", list_of(&["application/json"]));
    headers.insert("x-empty", list_of(&[""]));
    let mut params = Map::new();
    params.insert("q", list_of(&["search", "more"]));
    let request = Value::object(Request {
        headers: Value::map(headers),
        params: Value::map(params),
    });
    let mut lambda = Map::new();
    lambda.insert("status", Value::Int(200));
    lambda.insert("content", Value::str(LAMBDA_CONTENT));
    let mut response = Map::new();
    response.insert("status", Value::Int(201));
    response.insert("content", Value::str("backend body"));
    let mut attributes = Map::new();
    attributes.insert("name", Value::str("attr-value"));
    attributes.insert("count", Value::Int(7));
    let mut context = Map::new();
    context.insert("attributes", Value::map(attributes));
    let mut properties = Map::new();
    properties.insert("env", Value::str("prod"));
    let mut vault = Map::new();
    vault.insert("accessKey", Value::str("AKIDMAP"));
    let mut store = Map::new();
    store.insert("/vault/secret/aws", Value::map(vault));

    let mut vars = HashMap::new();
    vars.insert("request", request);
    vars.insert("lambdaResponse", Value::map(lambda));
    vars.insert("response", Value::map(response));
    vars.insert("context", Value::map(context));
    vars.insert("properties", Value::map(properties));
    vars.insert("secrets", Value::object(Secrets));
    vars.insert("store", Value::map(store));
    vars.insert("nothing", Value::Null);
    vars.insert("empty", Value::str(""));
    vars.insert("big", Value::Int(i64::MAX));
    vars.insert("list", list_of(&["a", "b", "c"]));
    vars.insert("f", Value::Float(2.5));
    vars.insert("t", Value::Bool(true));
    vars.insert("s", Value::str("  Hello, Wörld  "));
    TestRoot(vars)
}

/// `src` rendered against [`gateway_root`].
pub fn render(src: &str) -> String {
    let t = Template::compile(src).unwrap_or_else(|e| panic!("compile {src:?}: {e}"));
    t.render(&gateway_root())
        .unwrap_or_else(|e| panic!("render {src:?}: {e}"))
}

/// Each template of `table` renders as expected.
pub fn check(table: &[(&str, &str)]) {
    for (src, expected) in table {
        assert_eq!(render(src), *expected, "template {src:?}");
    }
}

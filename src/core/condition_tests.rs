//! Conditions: compile, evaluate, and the error setting.

use super::*;
use crate::core::template::{Map, Value};

struct Req(Option<&'static str>);

impl Root for Req {
    fn lookup(&self, name: &str) -> Option<Value> {
        match name {
            "request" => {
                let mut headers = Map::new_case_insensitive();
                if let Some(v) = self.0 {
                    headers.insert("x-fn", Value::str(v));
                }
                let mut r = Map::new();
                r.insert("headers", Value::map(headers));
                r.insert("method", Value::str("POST"));
                Some(Value::map(r))
            }
            "properties" => {
                let mut p = Map::new();
                p.insert("flag", Value::str("TRUE"));
                p.insert("n", Value::Int(3));
                Some(Value::map(p))
            }
            _ => None,
        }
    }
}

fn eval(src: &str, root: &Req) -> Result<bool, String> {
    Condition::compile(src).unwrap().evaluate(root)
}

#[test]
fn booleans_decide() {
    let src = "{#request.headers['X-Fn'] != null}";
    assert_eq!(eval(src, &Req(Some("a"))), Ok(true));
    assert_eq!(eval(src, &Req(None)), Ok(false));
    assert_eq!(
        eval(
            "{#request.method == 'POST' && #properties['n'] > 2}",
            &Req(None)
        ),
        Ok(true)
    );
}

#[test]
fn strings_true_and_false_in_any_case_and_with_spaces() {
    assert_eq!(eval("{#properties['flag']}", &Req(None)), Ok(true));
    assert_eq!(
        eval("{#request.headers['x-fn']}", &Req(Some("False"))),
        Ok(false)
    );
    assert_eq!(
        eval("{#request.headers['x-fn']}", &Req(Some("tRuE"))),
        Ok(true)
    );
    assert_eq!(
        eval(" {#request.headers['x-fn']}\n", &Req(Some("false"))),
        Ok(false)
    );
    // Constants are allowed too.
    assert_eq!(eval("true", &Req(None)), Ok(true));
    assert_eq!(eval(" FALSE ", &Req(None)), Ok(false));
}

#[test]
fn anything_else_is_an_error_without_the_value() {
    let err = eval("{#request.headers['x-fn']}", &Req(Some("secret-yes"))).unwrap_err();
    assert!(err.contains("neither true nor false"), "{err}");
    assert!(!err.contains("secret"), "{err}");
    // null (a missing header) renders empty: neither.
    assert!(eval("{#request.headers['x-fn']}", &Req(None)).is_err());
    assert!(eval("{#properties['n']}", &Req(None)).is_err());
    assert!(eval("{#request.method}", &Req(None)).is_err());
}

#[test]
fn evaluation_failures_are_errors() {
    let err = eval("{#request.nothing.deeper}", &Req(None)).unwrap_err();
    assert!(err.starts_with("the condition failed to evaluate"), "{err}");
    // `&&` needs booleans, as in SpEL.
    assert!(eval("{#request.method && true}", &Req(None)).is_err());
    assert!(eval("{#request.headers['x-fn'] > 1}", &Req(Some("a"))).is_err());
}

#[test]
fn compile_refusals() {
    for (src, why) in [
        ("", "empty"),
        ("  ", "empty"),
        ("{#request.method == 'POST'", "does not compile"),
        ("{#nope(1)}", "does not compile"),
        ("yes", "neither true nor false"),
        ("1", "neither true nor false"),
    ] {
        let err = Condition::compile(src).unwrap_err();
        assert!(err.contains(why), "{src:?}: {err}");
    }
    let c = Condition::compile("{#request.method == 'GET'}").unwrap();
    assert!(c.template().references("request"));
}

#[test]
fn on_condition_error_is_skip_by_default() {
    assert_eq!(OnConditionError::parse(None), Ok(OnConditionError::Skip));
    assert_eq!(
        OnConditionError::parse(Some("")),
        Ok(OnConditionError::Skip)
    );
    assert_eq!(
        OnConditionError::parse(Some("SKIP")),
        Ok(OnConditionError::Skip)
    );
    assert_eq!(
        OnConditionError::parse(Some(" FAIL ")),
        Ok(OnConditionError::Fail)
    );
    assert_eq!(OnConditionError::default(), OnConditionError::Skip);
    let err = OnConditionError::parse(Some("fail")).unwrap_err();
    assert_eq!(err, "unknown value \"fail\", expected one of SKIP, FAIL");
}

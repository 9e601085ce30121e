//! Table tests: Gravitee's documented template forms, jsonPath, literals, braces.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::Template;
use crate::core::testing::template::{check, gateway_root, render, LAMBDA_CONTENT};

#[test]
fn reference_template_forms() {
    check(&[
        ("{#jsonPath(#lambdaResponse.content, '$.field')}", "value"),
        ("{#lambdaResponse.status}", "200"),
        ("{#lambdaResponse.content}", LAMBDA_CONTENT),
        ("{#request.headers['X-Header'][0]}", "h1"),
        ("{#request.headers['x-header'][1]}", "h2"),
        ("{#request.params['q'][0]}", "search"),
        ("{#request.path}", "/api/orders/42"),
        ("{#request.method}", "POST"),
        ("{#request.content}", r#"{"order":{"id":42,"qty":3}}"#),
        ("{#response.status}", "201"),
        ("{#response.content}", "backend body"),
        ("{#context.attributes['name']}", "attr-value"),
        (
            r#"{ "key": "{#request.headers['x'][0]}" }"#,
            r#"{ "key": "xv" }"#,
        ),
        (
            "{#secrets.get('/vault/secret/aws', 'accessKey')}",
            "secret:/vault/secret/aws:accessKey",
        ),
        ("{#store.get('/vault/secret/aws', 'accessKey')}", "AKIDMAP"),
    ]);
}

#[test]
fn json_path_whole_document_round_trips() {
    let out = render("{#jsonPath(#lambdaResponse.content, '$')}");
    let a: serde_json::Value = serde_json::from_str(&out).unwrap();
    let b: serde_json::Value = serde_json::from_str(LAMBDA_CONTENT).unwrap();
    assert_eq!(a, b);
    assert!(!out.contains(' '), "compact JSON: {out}");
}

#[test]
fn json_path_shapes() {
    check(&[
        ("{#jsonPath(#lambdaResponse.content, '$.n')}", "42"),
        ("{#jsonPath(#lambdaResponse.content, '$.f')}", "1.5"),
        ("{#jsonPath(#lambdaResponse.content, '$.ok')}", "true"),
        ("{#jsonPath(#lambdaResponse.content, '$.none')}", ""),
        ("{#jsonPath(#lambdaResponse.content, '$.missing')}", ""),
        ("{#jsonPath(#lambdaResponse.content, '$.arr')}", "[1,2,3]"),
        (
            "{#jsonPath(#lambdaResponse.content, '$.arr[*]')}",
            "[1,2,3]",
        ),
        ("{#jsonPath(#lambdaResponse.content, '$.arr[1]')}", "2"),
        (
            "{#jsonPath(#lambdaResponse.content, '$.nested.a')}",
            r#"{"b":"deep"}"#,
        ),
        ("{#jsonPath(#lambdaResponse.content, '$..b')}", "deep"),
        (
            "{#jsonPath(#lambdaResponse.content, '$.items[*].name')}",
            r#"["x","y"]"#,
        ),
        (
            "{#jsonPath(#lambdaResponse.content, '$.items[?@.id == 2].name')}",
            "y",
        ),
        (
            "{#jsonPath(#lambdaResponse.content, '$.nested').a.b}",
            "deep",
        ),
        ("{#jsonPath(#lambdaResponse.content, '$.arr').size()}", "3"),
        ("{#jsonPath(#request.content, '$.order.qty') * 2}", "6"),
        // Map/List/Object arguments are converted to JSON.
        ("{#jsonPath(#context.attributes, '$.count')}", "7"),
        ("{#jsonPath(#list, '$[2]')}", "c"),
        ("{#jsonPath(#request, '$.method')}", "POST"),
        // Dynamic path, compiled at evaluation time.
        (
            "{#jsonPath(#lambdaResponse.content, '$.' + 'field')}",
            "value",
        ),
        // Several blocks on the same content (parsed once per render).
        (
            r#"{"a":"{#jsonPath(#lambdaResponse.content, '$.field')}","b":{#jsonPath(#lambdaResponse.content, '$.n')}}"#,
            r#"{"a":"value","b":42}"#,
        ),
    ]);
}

#[test]
fn literals_and_stringification() {
    check(&[
        ("plain text", "plain text"),
        ("", ""),
        ("{#'it''s'}", "it's"),
        (r#"{#"say ""hi"""}"#, r#"say "hi""#),
        ("{#42}", "42"),
        ("{#42L}", "42"),
        ("{#1.5}", "1.5"),
        ("{#2.0}", "2.0"),
        ("{#1e3}", "1000.0"),
        ("{#3d}", "3.0"),
        ("{# true}", "true"),
        ("{# FALSE}", "false"),
        ("{# null}", ""),
        ("[{# null}]", "[]"),
        ("{#nothing}", ""),
        ("{#unknownVariable}", ""),
        ("{#{1, 'two', null, true}}", r#"[1,"two",null,true]"#),
        ("{#{a: 1, 'b c': {x: 'y'}}}", r#"{"a":1,"b c":{"x":"y"}}"#),
        ("{#{}}", "[]"),
        ("{#{:}}", "{}"),
        ("{#{1,2}.size()}", "2"),
        ("{#1.0 / 0.5}", "2.0"),
        ("{#request}", r#"{"method":"POST","path":"/api/orders/42"}"#),
        ("a{#'b'}c{#'d'}e", "abcde"),
        ("{#'x'}{#'y'}", "xy"),
    ]);
}

#[test]
fn braces_and_json_around_blocks() {
    check(&[
        ("{ not a block }", "{ not a block }"),
        ("{{#'a'}}", "{a}"),
        ("}{", "}{"),
        ("# {# 'x' }", "# x"),
        ("{#request.headers['x'][0]}{}", "xv{}"),
        ("{#{'}': '{'}['}']}", "{"),
        ("{#'}'}", "}"),
        (
            r#"{"user":"{#request.headers['x-header'][0]}","path":"{#request.path}","n":{#lambdaResponse.status}}"#,
            r#"{"user":"h1","path":"/api/orders/42","n":200}"#,
        ),
        ("{#request . path }", "/api/orders/42"),
        ("{#true}", ""),
        ("{#(true)} {#!#t}", "true false"),
    ]);
}

#[test]
fn property_index_and_safe_navigation() {
    check(&[
        ("{#context.attributes.name}", "attr-value"),
        ("{#context.attributes['missing']}", ""),
        ("{#context.attributes.missing?.length()}", ""),
        ("{#nothing?.foo}", ""),
        ("{#nothing?.foo?.bar}", ""),
        ("{#nothing?.['k']}", ""),
        ("{#nothing?.size()}", ""),
        ("{#list[5]}", ""),
        ("{#list[-1]}", ""),
        ("{#list[2]}", "c"),
        ("{#'abc'[1]}", "b"),
        ("{#'abc'[9]}", ""),
        ("{#request.headers['CONTENT-TYPE'][0]}", "application/json"),
        ("{#request.headers.x[0]}", "xv"),
        ("{#request['path']}", "/api/orders/42"),
        ("{#{'1': 'one'}[1]}", "one"),
        ("{#request.headers.getFirst('X-HEADER')}", "h1"),
    ]);
}

#[test]
fn references_and_literal() {
    let t = Template::compile("{#request.content} and {#jsonPath(#lambdaResponse.content, '$')}")
        .unwrap();
    assert!(t.references("request"));
    assert!(t.references("lambdaResponse"));
    assert!(!t.references("response"));
    assert!(!t.references("jsonPath"));
    assert!(!t.is_literal());
    let lit = Template::compile(r#"{"a": {"b": 1}} # {x}"#).unwrap();
    assert!(lit.is_literal());
    assert!(!lit.references("request"));
    assert_eq!(lit.source(), r#"{"a": {"b": 1}} # {x}"#);
    assert_eq!(
        lit.render(&gateway_root()).unwrap(),
        r#"{"a": {"b": 1}} # {x}"#
    );
    let nested = Template::compile("{# true ? {#response?.status} : 1}").unwrap();
    assert!(nested.references("response"));
    let dbg = format!("{t:?}");
    assert!(dbg.contains("Template"));
    let t2 = t.clone();
    assert_eq!(t2.source(), t.source());
}

#[test]
fn reads_only_one_member() {
    let only = |src: &str| {
        Template::compile(src)
            .unwrap()
            .reads_only("request", "content")
    };
    assert!(only("{#request.content}"));
    assert!(only(
        "{\"a\": {#request?.content}, \"b\": {#jsonPath(#request.content, '$.x')}}"
    ));
    assert!(only("no block at all"));
    assert!(only("{#response.content}"));
    assert!(!only("{#request.content} {#request.headers['x'][0]}"));
    assert!(!only("{#request}"));
    assert!(!only("{#request['content']}"));
    assert!(!only("{#request.contentx}"));
    assert!(!only("{#true ? #request.path : #request.content}"));
    assert!(!only(
        "{#request.content.length() > 2 ? #request.method : 1}"
    ));
    assert!(only(
        "{#request.content.length() > 2 ? #request.content : 1}"
    ));
}

#[test]
fn fuzz_seeds_compile_and_render() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds/template");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let src = std::fs::read_to_string(&path).unwrap();
        let t = Template::compile(&src).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        // Rendering may fail (unset variables), but never panics.
        let _ = t.render(&gateway_root());
        seen += 1;
    }
    assert!(seen >= 5, "seeds missing in {dir}");
}

#[test]
fn json_encode_writes_json_text() {
    check(&[
        (
            r#"{"user": {#jsonEncode(#request.headers['x-header'][0])}}"#,
            r#"{"user": "h1"}"#,
        ),
        (
            r#"{#jsonEncode('bob", "admin": true, "x": "')}"#,
            r#""bob\", \"admin\": true, \"x\": \"""#,
        ),
        (r#"{#jsonEncode('a\b' + #s)}"#, r#""a\\b  Hello, Wörld  ""#),
        ("{#jsonEncode(#big)}", "9223372036854775807"),
        ("{#jsonEncode(#nothing)}", "null"),
        ("{#jsonEncode(#list)}", r#"["a","b","c"]"#),
        ("{#jsonEncode(#t)}", "true"),
    ]);
    assert!(Template::compile("{#jsonEncode()}").is_err());
    assert!(Template::compile("{#jsonEncode(1, 2)}").is_err());
}

#[test]
fn blocks_inside_json_strings_are_counted() {
    let count = |src: &str| Template::compile(src).unwrap().blocks_in_json_strings();
    assert_eq!(count(r#"{"user": "{#request.id}", "n": {#t}}"#), 1);
    assert_eq!(count(r#"{"a": "{#s}", "b": "x\"{#s}"}"#), 2);
    assert_eq!(count(r#"{"user": {#jsonEncode(#s)}, "q": "lit"}"#), 0);
    assert_eq!(count(r#"[ "{#s}" ]"#), 1);
    assert_eq!(count(r#"plain "{#s}" text"#), 0, "not JSON");
    assert_eq!(count(r#"{#request.content}"#), 0);
}

/// The same answer text in a new string (the next request's answer) is
/// parsed once and then matched by pointer: its later queries compare no text.
#[test]
fn json_path_document_is_rekeyed_to_an_equal_new_answer() {
    use super::eval::last_document_is;
    use super::{Root, Value};
    use std::rc::Rc;
    struct Doc(Rc<str>);
    impl Root for Doc {
        fn lookup(&self, _name: &str) -> Option<Value> {
            Some(Value::Str(self.0.clone()))
        }
    }
    let t = Template::compile("{#jsonPath(#doc, '$.a')}").unwrap();
    let first: Rc<str> = Rc::from(r#"{"a":1}"#);
    let second: Rc<str> = Rc::from(r#"{"a":1}"#);
    assert_eq!(t.render(&Doc(first.clone())).unwrap(), "1");
    assert!(last_document_is(&first));
    assert_eq!(t.render(&Doc(second.clone())).unwrap(), "1");
    assert!(
        last_document_is(&second),
        "an equal text takes over the key"
    );
    let other: Rc<str> = Rc::from(r#"{"a":2}"#);
    assert_eq!(t.render(&Doc(other.clone())).unwrap(), "2");
    assert!(last_document_is(&other));
}

//! Table tests: operators, methods, values and maps.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::rc::Rc;

use super::{Map, Value};
use crate::core::testing::template::{check, Secrets};

#[test]
fn operators() {
    check(&[
        ("{#1 + 2 * 3}", "7"),
        ("{#(1 + 2) * 3}", "9"),
        ("{#10 - 4 - 3}", "3"),
        ("{#7 / 2}", "3"),
        ("{#-7 / 2}", "-3"),
        ("{#7 % 3}", "1"),
        ("{#7 div 2} {#7 MOD 3}", "3 1"),
        ("{#7.0 / 2}", "3.5"),
        ("{#2 ^ 10}", "1024"),
        ("{#2 ^ -1}", "0.5"),
        ("{#-#f}", "-2.5"),
        ("{#- -3}", "3"),
        ("{#1 + 1.5}", "2.5"),
        ("{#'a' + 1}", "a1"),
        ("{#1 + 'a'}", "1a"),
        ("{#'a' + null}", "anull"),
        ("{#'a' + true}", "atrue"),
        ("{#'x=' + {1,2}}", "x=[1,2]"),
        ("{#'id-' + #request.headers['x'][0]}", "id-xv"),
        ("{#1 == 1}", "true"),
        ("{#1 == 1.0}", "true"),
        ("{#'a' == 'a'}", "true"),
        ("{#'1' == 1}", "false"),
        ("{# null == null}", "true"),
        ("{#nothing == null}", "true"),
        ("{#1 != 2} {#1 ne 1} {#2 eq 2}", "true false true"),
        (
            "{#1 < 2} {#2 <= 2} {#3 > 4} {#4 >= 5}",
            "true true false false",
        ),
        (
            "{#1 lt 2} {#2 le 1} {#3 gt 2} {#3 GE 3}",
            "true false true true",
        ),
        ("{#'abc' < 'abd'}", "true"),
        ("{#1.5 > 1}", "true"),
        ("{# false < true}", "true"),
        ("{# true and false} {# true && true}", "false true"),
        ("{# false or true} {# false || false}", "true false"),
        ("{#!true} {# not false} {#!!true}", "false true true"),
        ("{# false and #nothing.x}", "false"),
        ("{# true or #nothing.x}", "true"),
        ("{#1 < 2 and 2 < 3 or false}", "true"),
        ("{# true ? 'yes' : 'no'}", "yes"),
        ("{#1 > 2 ? 'yes' : 'no'}", "no"),
        ("{# true ? false ? 1 : 2 : 3}", "2"),
        ("{#lambdaResponse.status == 200 ? 'ok' : 'ko'}", "ok"),
        ("{#nothing ?: 'default'}", "default"),
        ("{#empty ?: 'default'}", "default"),
        ("{#'v' ?: 'default'}", "v"),
        ("{#0 ?: 'default'}", "0"),
        ("{#nothing ?: #empty ?: 'last'}", "last"),
        ("{#request.headers['x-empty'][0] ?: 'none'}", "none"),
        ("{#request.headers['x-missing']?.[0] ?: 'none'}", "none"),
        ("{#big - 1}", "9223372036854775806"),
    ]);
}

#[test]
fn string_methods() {
    check(&[
        ("{#'abc'.toUpperCase()}", "ABC"),
        ("{#'ÄBC'.toLowerCase()}", "äbc"),
        ("{#s.trim()}", "Hello, Wörld"),
        ("{#s.trim().length()}", "12"),
        ("{#s.trim().substring(7)}", "Wörld"),
        ("{#s.trim().substring(7, 9)}", "Wö"),
        ("{#s.trim().substring(0, 0)}", ""),
        ("{#'hello'.contains('ell')}", "true"),
        (
            "{#'hello'.startsWith('he')} {#'hello'.endsWith('lo')}",
            "true true",
        ),
        ("{#'hello'.replace('l', 'L')}", "heLLo"),
        ("{#'abc'.replace('', '-')}", "-a-b-c-"),
        ("{#'a,b,,c,,'.split(',')}", r#"["a","b","","c"]"#),
        ("{#'a.b'.split('.')[1]}", "b"),
        ("{#'abc'.split('')}", r#"["a","b","c"]"#),
        ("{#''.split(',')}", r#"[""]"#),
        ("{#'x'.split(',').size()}", "1"),
        ("{#''.isEmpty()} {#'a'.isEmpty()}", "true false"),
        ("{#'a'.equals('a')} {#'a'.equals(1)}", "true false"),
        ("{#'AbC'.equalsIgnoreCase('aBc')}", "true"),
        ("{#'wörld'.indexOf('l')} {#'abc'.indexOf('z')}", "3 -1"),
        ("{#'abcabc'.lastIndexOf('b')}", "4"),
        ("{#'foo'.concat('bar')}", "foobar"),
        ("{#'wörld'.charAt(1)}", "ö"),
        ("{#42.toString() + 1}", "421"),
        (
            "{#request.path.substring(1).split('/')[0].toUpperCase()}",
            "API",
        ),
    ]);
}

#[test]
fn map_list_object_methods() {
    check(&[
        ("{#context.attributes.get('name')}", "attr-value"),
        ("{#context.attributes.containsKey('name')}", "true"),
        ("{#context.attributes.containsKey('nope')}", "false"),
        ("{#context.attributes.size()}", "2"),
        ("{#context.attributes.isEmpty()}", "false"),
        ("{#context.attributes.keySet()}", r#"["name","count"]"#),
        ("{#context.attributes.values()}", r#"["attr-value",7]"#),
        ("{#request.headers.containsKey('X-Header')}", "true"),
        (
            "{#list.get(1)} {#list.size()} {#list.isEmpty()}",
            "b 3 false",
        ),
        ("{#list.contains('c')} {#list.contains('z')}", "true false"),
        ("{#list.indexOf('c')}", "2"),
        ("{#list.get(7)}", ""),
        ("{#request.get('method')}", "POST"),
        (
            "{#request.containsKey('path')} {#request.containsKey('x')}",
            "true false",
        ),
        ("{#request.headers.get('x')}", r#"["xv"]"#),
        ("{#{1,2}.equals({1,2})}", "true"),
    ]);
}

#[test]
fn value_conversions_and_strings() {
    let v = Value::from(
        serde_json::json!({"a": [1, 2.5, "x", null, true], "big": 18446744073709551615u64}),
    );
    assert_eq!(
        v.to_template_string(),
        r#"{"a":[1,2.5,"x",null,true],"big":1.8446744073709552e+19}"#
    );
    assert_eq!(Value::from("s").to_template_string(), "s");
    assert_eq!(Value::from(String::from("s")), Value::str("s"));
    assert_eq!(Value::from(7i64).to_template_string(), "7");
    assert_eq!(Value::from(true).to_template_string(), "true");
    assert_eq!(Value::Float(1.0).to_template_string(), "1.0");
    assert_eq!(Value::Float(0.1).to_template_string(), "0.1");
    assert_eq!(Value::Float(-0.5).to_template_string(), "-0.5");
    assert_eq!(Value::Float(f64::INFINITY).to_template_string(), "Infinity");
    assert_eq!(Value::Float(f64::NAN).to_template_string(), "NaN");
    assert_eq!(Value::Null.to_template_string(), "");
    assert_eq!(
        Value::list(vec![Value::Float(f64::NAN)]).to_template_string(),
        "[null]"
    );
    let obj = Value::Object(Rc::new(Secrets));
    assert_eq!(obj.to_template_string(), "{}");
    assert_eq!(format!("{obj:?}"), "Object(..)");
}

#[test]
fn map_behaviour() {
    let mut m = Map::new_case_insensitive();
    assert!(m.is_case_insensitive());
    m.insert("Content-Type", Value::str("a"));
    m.insert("content-type", Value::str("b"));
    assert_eq!(m.len(), 1);
    assert_eq!(m.get("CONTENT-TYPE"), Some(&Value::str("b")));
    // Large maps switch to a hash index; behaviour is unchanged.
    let mut big = Map::new_case_insensitive();
    let mut exact = Map::new();
    for i in 0..100 {
        big.insert(format!("Key-{i}"), Value::Int(i));
        exact.insert(format!("Key-{i}"), Value::Int(i));
    }
    big.insert("KEY-5", Value::Int(-5));
    assert_eq!(big.len(), 100);
    assert_eq!(big.get("key-5"), Some(&Value::Int(-5)));
    assert_eq!(big.get("KEY-99"), Some(&Value::Int(99)));
    assert_eq!(exact.get("key-5"), None);
    assert_eq!(exact.get("Key-5"), Some(&Value::Int(5)));
    let keys: Vec<&str> = exact.iter().map(|(k, _)| k).take(3).collect();
    assert_eq!(keys, ["Key-0", "Key-1", "Key-2"]);
    assert!(Map::new().is_empty());
}

//! Compile and evaluation errors: offsets, messages, no data in messages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::{CompileError, Template};
use crate::core::testing::template::gateway_root;

pub(super) fn compile_err(src: &str) -> CompileError {
    match Template::compile(src) {
        Ok(_) => panic!("{src:?} compiled"),
        Err(e) => e,
    }
}

pub(super) fn eval_err(src: &str) -> String {
    let t = Template::compile(src).unwrap_or_else(|e| panic!("compile {src:?}: {e}"));
    match t.render(&gateway_root()) {
        Ok(out) => panic!("{src:?} rendered {out:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn compile_errors_name_offset_and_expectation() {
    let table: &[(&str, usize, &str)] = &[
        (
            "{#request.path",
            14,
            "expected '}' to close the block opened at offset 0 but found end of template",
        ),
        (
            "ab{#request",
            11,
            "expected '}' to close the block opened at offset 2",
        ),
        (
            "{#jsonPath(#a, '$'",
            18,
            "expected ',' or ')' but found end of template",
        ),
        (
            "{#jsonPath(#a, '$'}",
            18,
            "expected ',' or ')' but found '}'",
        ),
        ("{#a.b(1}", 7, "expected ',' or ')' but found '}'"),
        ("{#a[0}", 5, "expected ']' but found '}'"),
        ("{#(1 + 2}", 8, "expected ')' but found '}'"),
        ("{#}", 2, "expected an expression but found '}'"),
        ("{#a + }", 6, "expected an expression but found '}'"),
        ("{#a b}", 4, "expected '}' but found 'b'"),
        ("{#'abc}", 2, "unterminated string literal"),
        ("{#a = 1}", 4, "assignment '=' is not supported"),
        ("{#a & b}", 4, "unexpected character '&'"),
        (
            "{#a.}",
            4,
            "expected a property or method name but found '}'",
        ),
        (
            "{#a.'x'}",
            4,
            "expected a property or method name but found string literal",
        ),
        (
            "{#foo}{# bar}",
            9,
            "unexpected 'bar' (variables start with '#'",
        ),
        ("{#foo(1)}", 1, "unknown function '#foo'"),
        ("{#jsonPath(#a)}", 10, "#jsonPath expects 2 arguments"),
        ("{#jsonPath(#a, '$[')}", 15, "invalid JSONPath"),
        ("{#jsonPath(#a, 'no-dollar')}", 15, "invalid JSONPath"),
        ("{#99999999999999999999}", 2, "integer literal is too large"),
        ("{#12abc}", 4, "unexpected character after number"),
        ("{#1 < 2 < 3}", 8, "expected '}' but found '<'"),
        ("{#true ? 1}", 10, "expected ':' but found '}'"),
        ("{#a ~ b}", 4, "unexpected character '~'"),
        ("{#a.b(1,}", 8, "expected an expression but found '}'"),
        ("{#{a: 1, 2}}", 9, "expected 'key:' in inline map"),
        (
            "x{#a}{#",
            7,
            "expected an expression but found end of template",
        ),
    ];
    for (src, offset, msg) in table {
        let e = compile_err(src);
        assert!(
            e.message.contains(msg),
            "{src:?}: message {:?} lacks {msg:?}",
            e.message
        );
        assert_eq!(e.offset, *offset, "{src:?}: {e}");
        assert_eq!(e.to_string(), format!("at offset {offset}: {}", e.message));
    }
}

#[test]
fn offsets_count_chars_not_bytes() {
    let e = compile_err("äöü{#request");
    assert_eq!(e.offset, 12);
    assert!(e.message.contains("opened at offset 3"), "{e}");
}

#[test]
fn evaluation_errors() {
    let table: &[(&str, &str)] = &[
        (
            "{#nothing.foo}",
            "at offset 10: cannot read property 'foo' of null",
        ),
        (
            "{#nothing?.foo.bar}",
            "at offset 15: cannot read property 'bar' of null",
        ),
        ("{#request.nope.foo}", "cannot read property 'foo' of null"),
        ("{#nothing['k']}", "cannot index into null"),
        (
            "{#request.headers['x-missing'][0]}",
            "cannot index into null",
        ),
        ("{#nothing.size()}", "cannot call method 'size' on null"),
        (
            "{#'abc'.nope()}",
            "method 'nope' is not supported on string",
        ),
        (
            "{#list.toUpperCase()}",
            "method 'toUpperCase' is not supported on list",
        ),
        (
            "{#context.attributes.trim()}",
            "method 'trim' is not supported on map",
        ),
        ("{#(42).foo()}", "method 'foo' is not supported on integer"),
        (
            "{#request.nope()}",
            "method 'nope' is not supported on object",
        ),
        (
            "{#secrets.get('a', 1)}",
            "method 'get' expects 1 argument(s) but got 2",
        ),
        ("{#'abc'.substring(2, 1)}", "substring: index out of range"),
        ("{#'abc'.substring(4)}", "substring: index out of range"),
        ("{#'abc'.substring(-1)}", "substring: index out of range"),
        (
            "{#'abc'.substring('1')}",
            "argument 1 of 'substring' must be an integer but was string",
        ),
        ("{#'abc'.charAt(3)}", "charAt: index out of range"),
        (
            "{#'abc'.contains(1)}",
            "argument 1 of 'contains' must be a string but was integer",
        ),
        (
            "{#'abc'.length(1)}",
            "method 'length' expects 0 argument(s) but got 1",
        ),
        ("{#'abc'.foo}", "cannot read property 'foo' of string"),
        (
            "{#list['a']}",
            "list index must be an integer but was string",
        ),
        (
            "{#context[true]}",
            "map key must be a string but was boolean",
        ),
        ("{#(5)[0]}", "cannot index into integer with integer"),
        ("{#1 / 0}", "division by zero"),
        ("{#1 % 0}", "division by zero"),
        ("{#1.5 / 0}", "division by zero"),
        ("{#big + 1}", "integer overflow in '+'"),
        ("{#big * 2}", "integer overflow in '*'"),
        ("{#-#big - 2}", "integer overflow in '-'"),
        ("{#2 ^ 64}", "integer overflow in '^'"),
        ("{#1 - 'a'}", "cannot apply '-' to integer and string"),
        ("{#list * 2}", "cannot apply '*' to list and integer"),
        ("{#-'a'}", "cannot negate string"),
        ("{#1 < 'a'}", "cannot compare integer with string"),
        ("{#nothing < 1}", "cannot compare null with integer"),
        ("{#!#nothing}", "operand of '!' is null, expected a boolean"),
        (
            "{#!'true'}",
            "operand of '!' must be a boolean but was string",
        ),
        ("{#nothing and true}", "left operand of 'and' is null"),
        (
            "{# true and 1}",
            "right operand of 'and' must be a boolean but was integer",
        ),
        (
            "{#nothing ? 1 : 2}",
            "condition is null, expected a boolean",
        ),
        (
            "{#'yes' ? 1 : 2}",
            "condition must be a boolean but was string",
        ),
        (
            "{#jsonPath(#response.content, '$.a')}",
            "jsonPath: content is not JSON",
        ),
        ("{#jsonPath(#nothing, '$.a')}", "jsonPath: content is null"),
        (
            "{#jsonPath(#lambdaResponse.content, 42)}",
            "jsonPath: path must be a string but was integer",
        ),
        (
            "{#jsonPath(#lambdaResponse.content, '$[' + '')}",
            "jsonPath: invalid path",
        ),
        (
            "{#xpath(#response.content, '//a')}",
            "xpath is not supported",
        ),
    ];
    for (src, msg) in table {
        let e = eval_err(src);
        assert!(e.contains(msg), "{src:?}: {e:?} lacks {msg:?}");
        assert!(e.starts_with("at offset "), "{e}");
    }
}

#[test]
fn eval_errors_never_contain_data() {
    // Secrets, bodies and header values must not leak through error messages.
    for src in [
        "{#jsonPath(#response.content, '$.a')}",
        "{#jsonPath(#request.headers['x'][0], '$.a')}",
        "{#jsonPath(#lambdaResponse.content, #response.content)}",
        "{#response.content.substring(100)}",
        "{#response.content < 1}",
        "{#response.content.foo}",
        "{#request.headers['x'][0] ? 1 : 2}",
        "{#response.content - 1}",
        "{#context.attributes[#response.content.length() > 0]}",
    ] {
        let e = eval_err(src);
        for secret in ["backend body", "xv", "attr-value"] {
            assert!(!e.contains(secret), "{src:?} leaked: {e}");
        }
    }
}

#[test]
fn error_types_are_std_errors() {
    fn is_error<E: std::error::Error>(_: &E) {}
    let c = compile_err("{#");
    is_error(&c);
    let e = Template::compile("{#nothing.x}")
        .unwrap()
        .render(&gateway_root())
        .unwrap_err();
    is_error(&e);
    assert_eq!(e.to_string(), e.message);
}

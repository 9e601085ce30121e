//! Limits: nesting, tree height, JSONPath complexity, stack use, output size.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::errors_tests::{compile_err, eval_err};
use super::Template;
use crate::core::testing::template::{gateway_root, render};

#[test]
fn nesting_is_bounded() {
    for depth in [33usize, 200, 10_000] {
        let src = format!("{{#{}1{}}}", "(".repeat(depth), ")".repeat(depth));
        assert!(
            compile_err(&src).message.contains("nested too deeply"),
            "{depth}"
        );
        let src = format!("{{#{}#t}}", "!".repeat(depth));
        assert!(compile_err(&src).message.contains("nested too deeply"));
        let src = format!("{{#{}1{}}}", "{".repeat(depth), "}".repeat(depth));
        assert!(compile_err(&src).message.contains("nested too deeply"));
    }
    // Long flat chains build tall trees: bounded too.
    let src = format!("{{#1{}}}", " + 1".repeat(10_000));
    assert!(compile_err(&src).message.contains("too complex"));
    let src = format!("{{#a{}}}", ".b".repeat(10_000));
    assert!(compile_err(&src).message.contains("too complex"));
    let src = format!("{{#a{}}}", "[0]".repeat(10_000));
    assert!(compile_err(&src).message.contains("too complex"));
    // Within the limits it works.
    let src = format!("{{#{}1{}}}", "(".repeat(30), ")".repeat(30));
    assert_eq!(render(&src), "1");
    let src = format!("{{#1{}}}", " + 1".repeat(100));
    assert_eq!(render(&src), "101");
}

#[test]
fn json_path_complexity_is_bounded() {
    let nested = format!("$[?{}@.a{}]", "@[?".repeat(20), "]".repeat(20));
    let e = compile_err(&format!("{{#jsonPath(#a, '{nested}')}}"));
    assert!(e.message.contains("nested too deeply"), "{e}");
    let parens = format!("$[?{}@.a{}]", "(".repeat(1000), ")".repeat(1000));
    assert!(compile_err(&format!("{{#jsonPath(#a, '{parens}')}}"))
        .message
        .contains("nested too deeply"));
    // Brackets inside quoted names do not count.
    let quoted = format!("$['{}']", "[".repeat(50));
    assert!(Template::compile(&format!("{{#jsonPath(#a, \"{quoted}\")}}")).is_ok());
    // Dynamic paths get the same guard at evaluation time.
    let msg = eval_err(&format!(
        "{{#jsonPath(#lambdaResponse.content, '{}' + '')}}",
        nested
    ));
    assert!(msg.contains("jsonPath: invalid path"), "{msg}");
}

#[test]
fn deepest_templates_fit_a_small_stack() {
    // The wasm VM's stack is 1 MiB. Native release code needs at most about
    // 160 KiB for these (unoptimised debug frames need up to ~1 MiB), so the
    // check is meaningful with `cargo test --release`.
    let stack = if cfg!(debug_assertions) {
        2 << 20
    } else {
        384 << 10
    };
    let worst = [
        format!("{{#{}#t{}}}", "(".repeat(31), ")".repeat(31)),
        format!("{{#{}#t}}", "!".repeat(31)),
        format!("{{#{}1{}}}", "{".repeat(31), "}".repeat(31)),
        format!("{{#1{}}}", " + 1".repeat(127)),
        format!("{{#list{}}}", ".get(0).toString().split('')".repeat(42)),
        format!("{{#{}'x'{}}}", "#t ? ".repeat(30), " : 'y'".repeat(30)),
        format!("{{#{}1{}}}", "#list[".repeat(31), "]".repeat(31)),
        format!("{{#{}1{}}}", "#list.get(".repeat(31), ")".repeat(31)),
    ];
    let handle = std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            for src in &worst {
                let t = Template::compile(src).unwrap_or_else(|e| panic!("{e}"));
                let _ = t.render(&gateway_root());
            }
        })
        .unwrap();
    handle.join().unwrap();
}

#[test]
fn outputs_are_bounded() {
    // content is ~170 bytes: four nested replace('', content) would be ~800 MB.
    let c = "#lambdaResponse.content";
    let src = format!("{{#{c}.replace('', {c}.replace('', {c}.replace('', {c})))}}");
    match Template::compile(&src).unwrap().render(&gateway_root()) {
        Ok(out) => panic!("rendered {} bytes", out.len()),
        Err(e) => assert!(e.message.contains("replace: result is too large"), "{e}"),
    }
    let e = eval_err(&format!(
        "{{#s.replace(' ', '{}')}}",
        "x".repeat(20_000_000)
    ));
    assert!(e.contains("too large"), "{e}");
    // Many blocks each under the limit still cannot build an unbounded output.
    let one = format!("{{#{c}.replace('', {c}.replace('', {c}))}}");
    match Template::compile(&one.repeat(12))
        .unwrap()
        .render(&gateway_root())
    {
        Ok(out) => panic!("rendered {} bytes", out.len()),
        Err(e) => assert!(e.message.contains("rendered template is larger"), "{e}"),
    }
}

#[test]
fn debug_never_shows_the_source() {
    let t = Template::compile("wJalrXUtnFEMI/K7MDENG {#request.path}").unwrap();
    let dbg = format!("{t:?}");
    assert!(!dbg.contains("wJalr"), "{dbg}");
    assert!(dbg.contains("blocks: 1"), "{dbg}");
}

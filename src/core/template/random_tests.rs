//! Deterministic pseudo-random robustness test: thousands of generated and
//! mutated templates go through compile and render; nothing may panic, and
//! the invariants of literal templates and repeatable renders hold.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::Template;
use crate::core::testing::template::gateway_root;

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or("")
    }
}

const SEEDS: &[&str] = &[
    "{#jsonPath(#lambdaResponse.content, '$')}",
    "{#jsonPath(#lambdaResponse.content, '$.items[?@.id > 1].name')}",
    "{#request.headers['X-Header'][0]}",
    r#"{ "key": "{#request.headers['x'][0]}", "n": {#lambdaResponse.status + 1} }"#,
    "{#secrets.get('/vault/secret/aws', 'accessKey')}",
    "{#context.attributes['name'] ?: 'none'}",
    "{#lambdaResponse.status == 200 ? 'ok' : 'ko'}",
    "{#'a,b'.split(',')[1].toUpperCase().substring(0, 1)}",
    "{#{a: {1, 2.5, 'x'}, b: null}}",
    "{#!(#t and 1 < 2) or #nothing?.x == null}",
    "{#request.path.substring(1).length() * 2 % 7 - -3 ^ 2}",
];

const FRAGMENTS: &[&str] = &[
    "{#",
    "}",
    "{",
    "#",
    "#request",
    "#lambdaResponse",
    "#context",
    "#nothing",
    "#list",
    "#big",
    "#s",
    "#t",
    "#f",
    "#jsonPath(",
    "#xpath(",
    "#secrets",
    ".headers",
    ".content",
    ".status",
    ".path",
    "['x']",
    "[0]",
    "[-1]",
    "?.",
    ".",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "?",
    "?:",
    "'",
    "\"",
    "''",
    "'$'",
    "'$.field'",
    "'$..*'",
    "'$[?@.id==1]'",
    "+",
    "-",
    "*",
    "/",
    "%",
    "^",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "&&",
    "||",
    "!",
    " and ",
    " or ",
    " not ",
    " eq ",
    " div ",
    "true",
    "false",
    "null",
    "0",
    "1",
    "42",
    "1.5",
    "1e308",
    "9223372036854775807",
    ".size()",
    ".get(0)",
    ".substring(1, 2)",
    ".split('')",
    ".toUpperCase()",
    ".trim()",
    ".charAt(99)",
    ".replace('', 'xx')",
    ".keySet()",
    ".getFirst('x')",
    ".get('a', 'b')",
    " ",
    "\n",
    "ä",
    "😀",
    "text",
    "=",
    "&",
    "~",
    "\\",
];

fn exercise(src: &str) {
    let Ok(t) = Template::compile(src) else {
        return;
    };
    let root = gateway_root();
    let first = t.render(&root);
    if t.is_literal() {
        assert_eq!(first.as_deref(), Ok(src), "literal template {src:?}");
    }
    let second = t.render(&root);
    assert_eq!(first, second, "non-deterministic render of {src:?}");
    let _ = t.references("request");
}

fn mutate(rng: &mut XorShift, src: &str) -> String {
    let mut chars: Vec<char> = src.chars().collect();
    for _ in 0..=rng.below(4) {
        let at = rng.below(chars.len() + 1);
        match rng.below(4) {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            1 => {
                let frag = rng.pick(FRAGMENTS);
                for (i, c) in frag.chars().enumerate() {
                    chars.insert(at + i, c);
                }
            }
            2 if at < chars.len() => {
                let frag = rng.pick(FRAGMENTS);
                if let Some(c) = frag.chars().next() {
                    chars[at] = c;
                }
            }
            _ => {
                let end = (at + rng.below(8)).min(chars.len());
                chars.drain(at..end);
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn random_token_soup_never_panics() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let mut src = String::from("{#");
        for _ in 0..rng.below(12) {
            src.push_str(rng.pick(FRAGMENTS));
        }
        if rng.below(2) == 0 {
            src.push('}');
        }
        exercise(&src);
    }
}

#[test]
fn mutated_seeds_never_panic() {
    let mut rng = XorShift(0xD1B5_4A32_D192_ED03);
    let mut compiled = 0usize;
    for seed in SEEDS {
        assert!(Template::compile(seed).is_ok(), "seed {seed:?}");
    }
    for _ in 0..20_000 {
        let seed = rng.pick(SEEDS);
        let src = mutate(&mut rng, seed);
        if Template::compile(&src).is_ok() {
            compiled += 1;
        }
        exercise(&src);
    }
    // The mutations must reach the evaluator, not only the parser.
    assert!(compiled > 1_000, "only {compiled} mutants compiled");
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = XorShift(42);
    for _ in 0..5_000 {
        let len = rng.below(40);
        let bytes: Vec<u8> = (0..len)
            .map(|_| b"{#}[]()'\".?:!-+*/%<>=&|^,azAZ09 $_\xc3\xa4"[rng.below(36)])
            .collect();
        exercise(&String::from_utf8_lossy(&bytes));
    }
}

//! Gravitee EL templates: literal text mixed with `{#expr}` blocks, where
//! `expr` is a subset of Spring's SpEL.
//!
//! Compile once at configuration time with [`Template::compile`], render per
//! request with [`Template::render`] against a [`Root`] that resolves the
//! root variables (`#request`, `#response`, `#context`, `#lambdaResponse`,
//! `#properties`, `#secrets`…).
//!
//! # Templates
//! * Only `{#` opens a block; any other `{` or `}` is literal text, so JSON
//!   payloads keep their braces. The block's expression starts at the `#`
//!   (`{#request.path}` evaluates `#request.path`) and ends at the `}` that
//!   follows a complete expression: braces inside string literals or inline
//!   lists/maps do not close it (`{#a['}']}`). An unterminated block is a
//!   [`CompileError`]. There is no escape for a literal `{#`.
//! * Extension: when the `#` is not followed by a name, it only marks the
//!   block, so `{#'text'}`, `{#42}`, `{#(1 + 2)}`, `{#!#flag}` and
//!   `{# true ? 'a' : 'b'}` work. (`{#true}` is the variable `#true`.)
//!
//! # Expressions (SpEL precedence, lowest first)
//! * ternary `c ? a : b`, Elvis `a ?: b` (b when a is null **or an empty string**);
//! * `or`/`||`, `and`/`&&` (short-circuit), `!`/`not`;
//! * `==`/`eq`, `!=`/`ne`, `<`/`lt`, `<=`/`le`, `>`/`gt`, `>=`/`ge`;
//! * `+`, `-`; `*`, `/`/`div`, `%`/`mod`; `^` (power); unary `-`; `( )`.
//!   Word operators are case-insensitive.
//! * literals: `'single'` (`''` escapes a quote), `"double"` (`""`), integers
//!   (`42`, `42L`), decimals (`1.5`, `1e3`, `2d`), `true`, `false`, `null`;
//!   inline lists `{1, 2}` and maps `{key: 1, 'k2': 2}` (`{}`, `{:}` empty).
//! * variables `#name` (unknown → null); property `a.b`, index `a['k']`,
//!   `a[0]`, safe navigation `a?.b`, `a?.m()`, `a?.['k']`; method calls `a.m(x)`.
//! * functions: `#jsonPath(json, path)`; `#xpath(…)` parses but always fails
//!   at evaluation; any other `#f(…)` is a compile error.
//!
//! # Semantics (kept strict, like SpEL)
//! * `and`, `or`, `!` and the ternary condition need a boolean: null or
//!   another type is an [`EvalError`] (no "truthiness").
//! * `+` concatenates when either side is a string (null then reads "null",
//!   as in SpEL; maps/lists as JSON); otherwise numbers add. Integer overflow
//!   and division (or `%`) by zero are errors; an Int mixed with a Float
//!   gives a Float.
//! * `==`/`!=` never fail (numbers by value, mismatched types unequal);
//!   ordering needs two numbers, two strings or two booleans.
//! * property of null, index into null, method on null: error (unless `?.`).
//!   A missing map key or an out-of-range list/string index gives null.
//! * methods — any non-null: `toString()`, `equals(x)`; strings:
//!   `toUpperCase toLowerCase trim length isEmpty contains startsWith endsWith
//!   equalsIgnoreCase indexOf lastIndexOf concat replace split charAt
//!   substring` (indices count chars; `split` takes its separator literally);
//!   maps: `get(k)`, `get(k1, k2)` (= `get(k1).get(k2)`), `getFirst(k)`,
//!   `containsKey size isEmpty keySet values`; lists: `get(i) size isEmpty
//!   contains indexOf`; objects: [`Object::call_method`], then `get`,
//!   `containsKey`. Unknown methods fail at evaluation.
//! * `#jsonPath`: `json` is a string (parsed as JSON) or a map/list/object;
//!   `path` is RFC 9535 (compiled once when it is a literal, a syntax error
//!   is then a [`CompileError`]). No match → null, one → that node, several → list.
//!
//! # Results
//! [`Value::to_template_string`]: strings as is, numbers and booleans as text
//! (floats keep a ".0"), maps/lists/objects as compact JSON, null as "".
//!
//! # Limits
//! * 32 levels of nesting and trees of height 128 at most ([`CompileError`]
//!   beyond): the worst case needs well under 64 KiB of the wasm VM's 1 MiB stack.
//! * JSONPath nesting is bounded (`(`/`[` 32 deep, `[` 5 deep: the JSONPath
//!   parser recurses and is exponential in nested filters).
//! * `replace` results and the rendered output are capped at 32 MiB.
//! * Evaluation has no loops, so rendering always terminates.
//! * Within one render, `#jsonPath` parses a given content string once.

mod ast;
mod eval;
mod inspect;
mod jsonpath;
mod lexer;
mod map;
mod method_args;
mod methods;
mod ops;
mod parse_primary;
mod parser;
mod value;

#[cfg(test)]
mod errors_tests;
#[cfg(test)]
mod forms_tests;
#[cfg(test)]
mod limits_tests;
#[cfg(test)]
mod ops_tests;
#[cfg(test)]
mod random_tests;

use std::fmt;
use std::rc::Rc;

pub use value::{Map, Object, Value};

/// Largest string a `replace` may build, and largest rendered output (bytes).
pub(crate) const MAX_STRING_BYTES: usize = 32 << 20;

/// Resolves root variables by name (`request`, `context`…); `None` evaluates to null.
pub trait Root {
    fn lookup(&self, name: &str) -> Option<Value>;
}

/// A template that failed to compile: char `offset` into the source and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at offset {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for CompileError {}

/// A failed evaluation. The message names the expression offset, the operation
/// and type names, never the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub message: String,
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}

/// An evaluation error at char `offset` of the source.
fn err<T>(offset: usize, message: impl fmt::Display) -> Result<T, EvalError> {
    Err(EvalError {
        message: format!("at offset {offset}: {message}"),
    })
}

enum Part {
    Lit(Box<str>),
    Expr(ast::Expr),
}

/// A compiled template. Cloning is cheap (shared parts).
#[derive(Clone)]
pub struct Template {
    source: Rc<str>,
    parts: Rc<[Part]>,
    /// Root variable names referenced anywhere.
    vars: Rc<[Rc<str>]>,
    /// Bytes of literal text, and number of `{#…}` blocks (capacity estimate).
    literal_len: usize,
    blocks: usize,
}

/// Shows the shape only: a literal template may be a credential.
impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Template")
            .field("chars", &self.source.chars().count())
            .field("blocks", &self.blocks)
            .finish_non_exhaustive()
    }
}

impl Template {
    /// Compiles a template once, at configuration time.
    pub fn compile(src: &str) -> Result<Template, CompileError> {
        let chars: Vec<char> = src.chars().collect();
        let mut parts = Vec::new();
        let mut vars = Vec::new();
        let mut lit = String::new();
        let mut literal_len = 0;
        let mut blocks = 0;
        let mut i = 0;
        while let Some(&c) = chars.get(i) {
            if c == '{' && chars.get(i + 1) == Some(&'#') {
                if !lit.is_empty() {
                    literal_len += lit.len();
                    parts.push(Part::Lit(std::mem::take(&mut lit).into_boxed_str()));
                }
                // `{#name…}`: the `#` starts the expression (a variable or function,
                // as in Gravitee). Otherwise (`{#'text'}`, `{#(…)}`, `{# …}`) it only marks the block.
                let hash_is_expr = chars.get(i + 2).is_some_and(|c| lexer::is_ident_start(*c));
                let expr_start = if hash_is_expr { i + 1 } else { i + 2 };
                let (expr, end) = parser::parse_block(&chars, i, expr_start, &mut vars)?;
                parts.push(Part::Expr(expr));
                blocks += 1;
                i = end;
            } else {
                lit.push(c);
                i += 1;
            }
        }
        if !lit.is_empty() {
            literal_len += lit.len();
            parts.push(Part::Lit(lit.into_boxed_str()));
        }
        Ok(Template {
            source: Rc::from(src),
            parts: parts.into(),
            vars: vars.into(),
            literal_len,
            blocks,
        })
    }

    /// Renders: literal text kept, each block evaluated and stringified.
    pub fn render(&self, root: &dyn Root) -> Result<String, EvalError> {
        if self.is_literal() {
            return Ok(self.source.to_string());
        }
        let mut out = String::with_capacity(self.literal_len + 32 * self.blocks);
        let mut cx = eval::Ctx::new(root);
        for part in self.parts.iter() {
            match part {
                Part::Lit(s) => out.push_str(s),
                Part::Expr(e) => {
                    eval::eval(e, &mut cx)?.write_template_string(&mut out);
                    if out.len() > MAX_STRING_BYTES {
                        return Err(EvalError {
                            message: format!(
                                "rendered template is larger than {MAX_STRING_BYTES} bytes"
                            ),
                        });
                    }
                }
            }
        }
        Ok(out)
    }

    /// True when the template has no `{#…}` block (rendering returns the source).
    pub fn is_literal(&self) -> bool {
        self.blocks == 0
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }
}

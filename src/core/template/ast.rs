//! The syntax tree of one `{#…}` expression.

use std::rc::Rc;

use serde_json_path::JsonPath;

use super::value::Value;

/// An expression node. `offset` is the char offset (in the whole template) of
/// the token that names the operation, used in error messages; `depth` is the
/// height of the subtree, bounded by the parser so evaluation cannot overflow the stack.
#[derive(Debug)]
pub(crate) struct Expr {
    pub kind: Kind,
    pub offset: usize,
    pub depth: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl BinOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Pow => "^",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
        }
    }
}

/// The path argument of `#jsonPath`: compiled once when it is a string literal.
#[derive(Debug)]
pub(crate) enum PathArg {
    Compiled(Rc<JsonPath>),
    Dynamic(Box<Expr>),
}

#[derive(Debug)]
pub(crate) enum Kind {
    /// `null`, `true`, `42`, `1.5`, `'text'`.
    Lit(Value),
    /// `#name`
    Var(Rc<str>),
    /// `target.name` / `target?.name`
    Prop {
        target: Box<Expr>,
        name: Rc<str>,
        safe: bool,
    },
    /// `target[index]` / `target?.[index]`
    Index {
        target: Box<Expr>,
        index: Box<Expr>,
        safe: bool,
    },
    /// `target.name(args)` / `target?.name(args)`
    Method {
        target: Box<Expr>,
        name: Rc<str>,
        args: Vec<Expr>,
        safe: bool,
    },
    /// `#jsonPath(json, path)`
    JsonPath { json: Box<Expr>, path: PathArg },
    /// `#jsonEncode(x)`: `x` as JSON text (a string quoted and escaped), safe
    /// to put in a JSON payload.
    JsonEncode(Box<Expr>),
    /// `#xpath(...)`: parsed, but always an evaluation error.
    XPath,
    /// `-x`
    Neg(Box<Expr>),
    /// `!x`, `not x`
    Not(Box<Expr>),
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `and`, `&&` (short-circuit)
    And(Box<Expr>, Box<Expr>),
    /// `or`, `||` (short-circuit)
    Or(Box<Expr>, Box<Expr>),
    /// `c ? a : b`
    Ternary {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// `a ?: b`
    Elvis(Box<Expr>, Box<Expr>),
    /// Inline list `{1, 2}`.
    List(Vec<Expr>),
    /// Inline map `{key: 1, 'other': 2}`.
    Map(Vec<(Rc<str>, Expr)>),
}

impl Expr {
    /// Calls `f` on this node and every node below it (depth is bounded by the parser).
    pub(crate) fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match &self.kind {
            Kind::Lit(_) | Kind::Var(_) | Kind::XPath => {}
            Kind::Prop { target, .. } => target.walk(f),
            Kind::Index { target, index, .. } => {
                target.walk(f);
                index.walk(f);
            }
            Kind::Method { target, args, .. } => {
                target.walk(f);
                args.iter().for_each(|a| a.walk(f));
            }
            Kind::JsonPath { json, path } => {
                json.walk(f);
                if let PathArg::Dynamic(p) = path {
                    p.walk(f);
                }
            }
            Kind::Neg(e) | Kind::Not(e) | Kind::JsonEncode(e) => e.walk(f),
            Kind::Binary { lhs: a, rhs: b, .. }
            | Kind::And(a, b)
            | Kind::Or(a, b)
            | Kind::Elvis(a, b) => {
                a.walk(f);
                b.walk(f);
            }
            Kind::Ternary {
                cond,
                then,
                otherwise,
            } => {
                cond.walk(f);
                then.walk(f);
                otherwise.walk(f);
            }
            Kind::List(items) => items.iter().for_each(|e| e.walk(f)),
            Kind::Map(items) => items.iter().for_each(|(_, e)| e.walk(f)),
        }
    }

    /// Builds a node, computing its height from its children (non-recursively).
    pub(crate) fn new(kind: Kind, offset: usize) -> Expr {
        let child = match &kind {
            Kind::Lit(_) | Kind::Var(_) | Kind::XPath => 0,
            Kind::Prop { target, .. } => target.depth,
            Kind::Index { target, index, .. } => target.depth.max(index.depth),
            Kind::Method { target, args, .. } => {
                args.iter().fold(target.depth, |d, a| d.max(a.depth))
            }
            Kind::JsonPath { json, path } => match path {
                PathArg::Compiled(_) => json.depth,
                PathArg::Dynamic(p) => json.depth.max(p.depth),
            },
            Kind::Neg(e) | Kind::Not(e) | Kind::JsonEncode(e) => e.depth,
            Kind::Binary { lhs, rhs, .. } => lhs.depth.max(rhs.depth),
            Kind::And(a, b) | Kind::Or(a, b) | Kind::Elvis(a, b) => a.depth.max(b.depth),
            Kind::Ternary {
                cond,
                then,
                otherwise,
            } => cond.depth.max(then.depth).max(otherwise.depth),
            Kind::List(items) => items.iter().map(|e| e.depth).max().unwrap_or(0),
            Kind::Map(items) => items.iter().map(|(_, e)| e.depth).max().unwrap_or(0),
        };
        Expr {
            kind,
            offset,
            depth: child + 1,
        }
    }
}

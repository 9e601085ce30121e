//! Recursive-descent parser for one `{#…}` block, with SpEL precedence:
//!
//! ```text
//! expression := or [ '?' expression ':' expression | '?:' expression ]
//! or         := and  ( ('or' | '||') and )*
//! and        := rel  ( ('and' | '&&') rel )*
//! rel        := sum  [ ('==' | 'eq' | '!=' | 'ne' | '<' | 'lt' | '<=' | 'le' | '>' | 'gt' | '>=' | 'ge') sum ]
//! sum        := prod ( ('+' | '-') prod )*
//! prod       := pow  ( ('*' | '/' | 'div' | '%' | 'mod') pow )*
//! pow        := unary [ '^' unary ]
//! unary      := ('-' | '!' | 'not') unary | postfix
//! postfix    := primary ( '.' name [args] | '?.' name [args] | '?.' '[' expression ']' | '[' expression ']' )*
//! primary    := literal | '#' name [args] | '(' expression ')' | '{' inline list or map '}'
//! ```

use std::rc::Rc;

use super::ast::{BinOp, Expr, Kind};
use super::lexer::{Lexer, Tok};
use super::CompileError;

/// Maximum nesting of parenthesised / bracketed / unary constructs.
pub(crate) const MAX_NESTING: usize = 32;
/// Maximum height of an expression tree (bounds evaluation recursion).
pub(crate) const MAX_DEPTH: usize = 128;

/// Parses the block whose expression starts at `expr_start` (the `#` after
/// `{` at `block_start`). Returns the expression and the offset just after its `}`.
/// Variable names referenced are appended to `vars`.
pub(crate) fn parse_block(
    chars: &[char],
    block_start: usize,
    expr_start: usize,
    vars: &mut Vec<Rc<str>>,
) -> Result<(Expr, usize), CompileError> {
    let mut lex = Lexer::new(chars, expr_start);
    let (tok, off) = lex.next_token()?;
    let mut p = Parser {
        lex,
        tok,
        off,
        nesting: 0,
        vars,
    };
    let expr = p.expression()?;
    match &p.tok {
        Tok::Sym("}") => Ok((expr, p.off + 1)),
        Tok::Eof => p.fail(format!(
            "expected '}}' to close the block opened at offset {block_start} but found end of template"
        )),
        other => p.fail(format!("expected '}}' but found {}", other.describe())),
    }
}

pub(super) struct Parser<'a, 'v> {
    pub(super) lex: Lexer<'a>,
    /// Current (look-ahead) token and its offset.
    pub(super) tok: Tok,
    pub(super) off: usize,
    pub(super) nesting: usize,
    pub(super) vars: &'v mut Vec<Rc<str>>,
}

impl Parser<'_, '_> {
    pub(super) fn fail<T>(&self, message: String) -> Result<T, CompileError> {
        Err(CompileError {
            offset: self.off,
            message,
        })
    }

    /// Consumes the current token, returning it with its offset.
    pub(super) fn bump(&mut self) -> Result<(Tok, usize), CompileError> {
        let next = self.lex.next_token()?;
        let tok = std::mem::replace(&mut self.tok, next.0);
        let off = std::mem::replace(&mut self.off, next.1);
        Ok((tok, off))
    }

    pub(super) fn expect(&mut self, sym: &str) -> Result<usize, CompileError> {
        if self.tok.is_sym(sym) {
            Ok(self.bump()?.1)
        } else {
            self.fail(format!(
                "expected '{sym}' but found {}",
                self.tok.describe()
            ))
        }
    }

    pub(super) fn node(&self, kind: Kind, offset: usize) -> Result<Expr, CompileError> {
        let e = Expr::new(kind, offset);
        if e.depth > MAX_DEPTH {
            return Err(CompileError {
                offset,
                message: format!("expression is too complex (more than {MAX_DEPTH} levels)"),
            });
        }
        Ok(e)
    }

    pub(super) fn enter(&mut self) -> Result<(), CompileError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return self.fail(format!(
                "expression is nested too deeply (more than {MAX_NESTING} levels)"
            ));
        }
        Ok(())
    }

    pub(super) fn expression(&mut self) -> Result<Expr, CompileError> {
        self.enter()?;
        let cond = self.or()?;
        let e = if self.tok.is_sym("?") {
            let off = self.bump()?.1;
            let then = self.expression()?;
            self.expect(":")?;
            let otherwise = self.expression()?;
            let kind = Kind::Ternary {
                cond: Box::new(cond),
                then: Box::new(then),
                otherwise: Box::new(otherwise),
            };
            self.node(kind, off)?
        } else if self.tok.is_sym("?:") {
            let off = self.bump()?.1;
            let rhs = self.expression()?;
            self.node(Kind::Elvis(Box::new(cond), Box::new(rhs)), off)?
        } else {
            cond
        };
        self.nesting -= 1;
        Ok(e)
    }

    fn or(&mut self) -> Result<Expr, CompileError> {
        self.logical(("||", "or"), Self::and, Kind::Or)
    }

    fn and(&mut self) -> Result<Expr, CompileError> {
        self.logical(("&&", "and"), Self::relational, Kind::And)
    }

    /// A left-associative chain of one logical operator (its symbol or word) over `operand`.
    fn logical(
        &mut self,
        (sym, word): (&str, &str),
        operand: fn(&mut Self) -> Result<Expr, CompileError>,
        kind: fn(Box<Expr>, Box<Expr>) -> Kind,
    ) -> Result<Expr, CompileError> {
        let mut lhs = operand(self)?;
        while self.tok.is_sym(sym) || self.tok.is_word(word) {
            let off = self.bump()?.1;
            let rhs = operand(self)?;
            lhs = self.node(kind(Box::new(lhs), Box::new(rhs)), off)?;
        }
        Ok(lhs)
    }

    fn binop(&self, table: &[(&str, &str, BinOp)]) -> Option<BinOp> {
        table
            .iter()
            .find(|(sym, word, _)| {
                self.tok.is_sym(sym) || (!word.is_empty() && self.tok.is_word(word))
            })
            .map(|(_, _, op)| *op)
    }

    fn binary(
        &mut self,
        op: BinOp,
        lhs: Expr,
        rhs: Expr,
        off: usize,
    ) -> Result<Expr, CompileError> {
        let kind = Kind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        };
        self.node(kind, off)
    }

    fn relational(&mut self) -> Result<Expr, CompileError> {
        const OPS: &[(&str, &str, BinOp)] = &[
            ("==", "eq", BinOp::Eq),
            ("!=", "ne", BinOp::Ne),
            ("<=", "le", BinOp::Le),
            (">=", "ge", BinOp::Ge),
            ("<", "lt", BinOp::Lt),
            (">", "gt", BinOp::Gt),
        ];
        let lhs = self.sum()?;
        match self.binop(OPS) {
            Some(op) => {
                let off = self.bump()?.1;
                let rhs = self.sum()?;
                self.binary(op, lhs, rhs, off)
            }
            None => Ok(lhs),
        }
    }

    fn sum(&mut self) -> Result<Expr, CompileError> {
        const OPS: &[(&str, &str, BinOp)] = &[("+", "", BinOp::Add), ("-", "", BinOp::Sub)];
        self.arithmetic(OPS, Self::product)
    }

    fn product(&mut self) -> Result<Expr, CompileError> {
        const OPS: &[(&str, &str, BinOp)] = &[
            ("*", "", BinOp::Mul),
            ("/", "div", BinOp::Div),
            ("%", "mod", BinOp::Rem),
        ];
        self.arithmetic(OPS, Self::power)
    }

    /// A left-associative chain of the operators in `ops` over `operand`.
    fn arithmetic(
        &mut self,
        ops: &[(&str, &str, BinOp)],
        operand: fn(&mut Self) -> Result<Expr, CompileError>,
    ) -> Result<Expr, CompileError> {
        let mut lhs = operand(self)?;
        while let Some(op) = self.binop(ops) {
            let off = self.bump()?.1;
            let rhs = operand(self)?;
            lhs = self.binary(op, lhs, rhs, off)?;
        }
        Ok(lhs)
    }

    fn power(&mut self) -> Result<Expr, CompileError> {
        let lhs = self.unary()?;
        if self.tok.is_sym("^") {
            let off = self.bump()?.1;
            let rhs = self.unary()?;
            return self.binary(BinOp::Pow, lhs, rhs, off);
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, CompileError> {
        let neg = self.tok.is_sym("-");
        if neg || self.tok.is_sym("!") || self.tok.is_word("not") {
            let off = self.bump()?.1;
            self.enter()?;
            let operand = Box::new(self.unary()?);
            self.nesting -= 1;
            let kind = if neg {
                Kind::Neg(operand)
            } else {
                Kind::Not(operand)
            };
            return self.node(kind, off);
        }
        self.postfix()
    }
}

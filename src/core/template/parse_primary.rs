//! Postfix chains, primaries, function calls and inline lists/maps.

use std::rc::Rc;

use super::ast::{Expr, Kind, PathArg};
use super::jsonpath::compile_json_path;
use super::lexer::Tok;
use super::parser::Parser;
use super::value::Value;
use super::CompileError;

impl Parser<'_, '_> {
    pub(super) fn postfix(&mut self) -> Result<Expr, CompileError> {
        let mut e = self.primary()?;
        loop {
            let safe = self.tok.is_sym("?.");
            if safe || self.tok.is_sym(".") {
                self.bump()?;
                if safe && self.tok.is_sym("[") {
                    e = self.index(e, true)?;
                    continue;
                }
                let (name, off) = match self.bump()? {
                    (Tok::Ident(name), off) => (Rc::<str>::from(name), off),
                    (tok, off) => {
                        return Err(CompileError {
                            offset: off,
                            message: format!(
                                "expected a property or method name but found {}",
                                tok.describe()
                            ),
                        })
                    }
                };
                let target = Box::new(e);
                e = if self.tok.is_sym("(") {
                    let args = self.args()?;
                    self.node(
                        Kind::Method {
                            target,
                            name,
                            args,
                            safe,
                        },
                        off,
                    )?
                } else {
                    self.node(Kind::Prop { target, name, safe }, off)?
                };
            } else if self.tok.is_sym("[") {
                e = self.index(e, false)?;
            } else {
                return Ok(e);
            }
        }
    }

    fn index(&mut self, target: Expr, safe: bool) -> Result<Expr, CompileError> {
        let off = self.expect("[")?;
        let index = self.expression()?;
        self.expect("]")?;
        let kind = Kind::Index {
            target: Box::new(target),
            index: Box::new(index),
            safe,
        };
        self.node(kind, off)
    }

    /// `( [expression (',' expression)*] )`
    fn args(&mut self) -> Result<Vec<Expr>, CompileError> {
        self.expect("(")?;
        let mut args = Vec::new();
        if self.tok.is_sym(")") {
            self.bump()?;
            return Ok(args);
        }
        loop {
            args.push(self.expression()?);
            if self.tok.is_sym(")") {
                self.bump()?;
                return Ok(args);
            }
            if !self.tok.is_sym(",") {
                return self.fail(format!(
                    "expected ',' or ')' but found {}",
                    self.tok.describe()
                ));
            }
            self.bump()?;
        }
    }

    fn primary(&mut self) -> Result<Expr, CompileError> {
        let (tok, off) = self.bump()?;
        let lit = match tok {
            Tok::Str(s) => Value::from(s),
            Tok::Int(i) => Value::Int(i),
            Tok::Float(f) => Value::Float(f),
            Tok::Ident(w) if w.eq_ignore_ascii_case("true") => Value::Bool(true),
            Tok::Ident(w) if w.eq_ignore_ascii_case("false") => Value::Bool(false),
            Tok::Ident(w) if w.eq_ignore_ascii_case("null") => Value::Null,
            Tok::Var(name) => return self.variable(name, off),
            Tok::Sym("(") => {
                let e = self.expression()?;
                self.expect(")")?;
                return Ok(e);
            }
            Tok::Sym("{") => return self.inline(off),
            Tok::Ident(w) => {
                return Err(CompileError {
                    offset: off,
                    message: format!(
                        "unexpected '{w}' (variables start with '#', strings are quoted)"
                    ),
                })
            }
            other => {
                return Err(CompileError {
                    offset: off,
                    message: format!("expected an expression but found {}", other.describe()),
                })
            }
        };
        self.node(Kind::Lit(lit), off)
    }

    /// `#name` or a function call `#name(args)`.
    fn variable(&mut self, name: String, off: usize) -> Result<Expr, CompileError> {
        if !self.tok.is_sym("(") {
            let name: Rc<str> = Rc::from(name);
            if !self.vars.contains(&name) {
                self.vars.push(name.clone());
            }
            return self.node(Kind::Var(name), off);
        }
        let args_off = self.off;
        let mut args = self.args()?;
        match name.as_str() {
            "jsonPath" => {
                if args.len() != 2 {
                    return Err(CompileError {
                        offset: args_off,
                        message: format!(
                            "#jsonPath expects 2 arguments (json, path) but got {}",
                            args.len()
                        ),
                    });
                }
                let path_expr = args.pop();
                let json = args.pop();
                let (Some(json), Some(path_expr)) = (json, path_expr) else {
                    return self.fail("#jsonPath expects 2 arguments".to_owned());
                };
                let path = match &path_expr.kind {
                    Kind::Lit(Value::Str(p)) => match compile_json_path(p) {
                        Ok(compiled) => PathArg::Compiled(Rc::new(compiled)),
                        Err(msg) => {
                            return Err(CompileError {
                                offset: path_expr.offset,
                                message: format!("invalid JSONPath: {msg}"),
                            })
                        }
                    },
                    _ => PathArg::Dynamic(Box::new(path_expr)),
                };
                let json = Box::new(json);
                self.node(Kind::JsonPath { json, path }, off)
            }
            "jsonEncode" => match (args.pop(), args.is_empty()) {
                (Some(value), true) => self.node(Kind::JsonEncode(Box::new(value)), off),
                _ => Err(CompileError {
                    offset: args_off,
                    message: "#jsonEncode expects 1 argument".to_owned(),
                }),
            },
            "xpath" => self.node(Kind::XPath, off),
            _ => Err(CompileError {
                offset: off,
                message: format!("unknown function '#{name}' (supported: #jsonPath, #jsonEncode)"),
            }),
        }
    }

    /// After `{`: `}` (empty list), `:}` (empty map), a list `{e, …}` or a map `{key: e, …}`.
    fn inline(&mut self, off: usize) -> Result<Expr, CompileError> {
        if self.tok.is_sym("}") {
            self.bump()?;
            return self.node(Kind::List(Vec::new()), off);
        }
        if self.tok.is_sym(":") {
            self.bump()?;
            self.expect("}")?;
            return self.node(Kind::Map(Vec::new()), off);
        }
        let first_key = self.map_key()?;
        let kind = match first_key {
            Some(key) => {
                let mut entries = vec![(key, self.expression()?)];
                while self.tok.is_sym(",") {
                    self.bump()?;
                    let key = match self.map_key()? {
                        Some(k) => k,
                        None => return self.fail("expected 'key:' in inline map".to_owned()),
                    };
                    entries.push((key, self.expression()?));
                }
                Kind::Map(entries)
            }
            None => {
                let mut items = vec![self.expression()?];
                while self.tok.is_sym(",") {
                    self.bump()?;
                    items.push(self.expression()?);
                }
                Kind::List(items)
            }
        };
        self.expect("}")?;
        self.node(kind, off)
    }

    /// A map key (`name:`, `'text':` or `123:`), or `None` when the next tokens are not a key.
    fn map_key(&mut self) -> Result<Option<Rc<str>>, CompileError> {
        let key: Rc<str> = match &self.tok {
            Tok::Ident(s) => Rc::from(s.as_str()),
            Tok::Str(s) => Rc::from(s.as_str()),
            Tok::Int(i) => Rc::from(i.to_string()),
            _ => return Ok(None),
        };
        // One token of look-ahead past the key: only commit when ':' follows.
        let (next, _) = self.lex.clone().next_token()?;
        if next.is_sym(":") {
            self.bump()?;
            self.bump()?;
            Ok(Some(key))
        } else {
            Ok(None)
        }
    }
}

//! Tokens of the expression language, read lazily so the template scanner
//! knows exactly where a `{#…}` block ends (the parser stops at its `}`).

use super::CompileError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// String literal, quotes removed and `''`/`""` unescaped.
    Str(String),
    Int(i64),
    Float(f64),
    /// A bare identifier, including word operators (`and`, `eq`…) and `true`/`false`/`null`.
    Ident(String),
    /// `#name`
    Var(String),
    /// Punctuation and symbolic operators.
    Sym(&'static str),
    Eof,
}

impl Tok {
    /// How the token is named in "expected X but found Y" messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Str(_) => "string literal".to_owned(),
            Tok::Int(_) | Tok::Float(_) => "number".to_owned(),
            Tok::Ident(s) => format!("'{s}'"),
            Tok::Var(s) => format!("'#{s}'"),
            Tok::Sym(s) => format!("'{s}'"),
            Tok::Eof => "end of template".to_owned(),
        }
    }

    pub(crate) fn is_sym(&self, s: &str) -> bool {
        matches!(self, Tok::Sym(x) if *x == s)
    }

    /// A word operator such as `and` or `eq` (case-insensitive, as in SpEL).
    pub(crate) fn is_word(&self, w: &str) -> bool {
        matches!(self, Tok::Ident(x) if x.eq_ignore_ascii_case(w))
    }
}

/// Symbols, longest first so that `?.` wins over `?`.
const SYMBOLS: &[&str] = &[
    "?.", "?:", "==", "!=", "<=", ">=", "&&", "||", "?", ":", ".", ",", "(", ")", "[", "]", "{",
    "}", "+", "-", "*", "/", "%", "^", "<", ">", "!",
];

#[derive(Clone)]
pub(crate) struct Lexer<'a> {
    chars: &'a [char],
    pos: usize,
}

pub(crate) fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(chars: &'a [char], pos: usize) -> Lexer<'a> {
        Lexer { chars, pos }
    }

    fn peek_char(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn err<T>(offset: usize, message: impl Into<String>) -> Result<T, CompileError> {
        Err(CompileError {
            offset,
            message: message.into(),
        })
    }

    /// Next token and its char offset.
    pub(crate) fn next_token(&mut self) -> Result<(Tok, usize), CompileError> {
        while self.peek_char(0).is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(c) = self.peek_char(0) else {
            return Ok((Tok::Eof, start));
        };
        let tok = if c == '\'' || c == '"' {
            self.string(c)?
        } else if c.is_ascii_digit() {
            self.number()?
        } else if is_ident_start(c) {
            Tok::Ident(self.ident())
        } else if c == '#' {
            self.pos += 1;
            if !self.peek_char(0).is_some_and(is_ident_start) {
                return Self::err(start, "expected a variable or function name after '#'");
            }
            Tok::Var(self.ident())
        } else {
            self.symbol(c)?
        };
        Ok((tok, start))
    }

    fn ident(&mut self) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek_char(0).filter(|c| is_ident_char(*c)) {
            s.push(c);
            self.pos += 1;
        }
        s
    }

    fn symbol(&mut self, c: char) -> Result<Tok, CompileError> {
        for sym in SYMBOLS {
            let matches = sym
                .chars()
                .enumerate()
                .all(|(i, sc)| self.peek_char(i) == Some(sc));
            if matches {
                self.pos += sym.chars().count();
                return Ok(Tok::Sym(sym));
            }
        }
        let what = match c {
            '=' => "assignment '=' is not supported (use '==')".to_owned(),
            '&' | '|' => format!("unexpected character '{c}' (use '{c}{c}')"),
            _ => format!("unexpected character {c:?}"),
        };
        Self::err(self.pos, what)
    }

    fn string(&mut self, quote: char) -> Result<Tok, CompileError> {
        let start = self.pos;
        self.pos += 1;
        let mut s = String::new();
        loop {
            match self.peek_char(0) {
                None => return Self::err(start, "unterminated string literal"),
                Some(c) if c == quote => {
                    if self.peek_char(1) == Some(quote) {
                        s.push(quote);
                        self.pos += 2;
                    } else {
                        self.pos += 1;
                        return Ok(Tok::Str(s));
                    }
                }
                Some(c) => {
                    s.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn digits(&mut self, out: &mut String) {
        while let Some(c) = self.peek_char(0).filter(char::is_ascii_digit) {
            out.push(c);
            self.pos += 1;
        }
    }

    /// `123`, `123L`, `1.5`, `1e3`, `2.5E-1`, `1.5d`, `2f`.
    fn number(&mut self) -> Result<Tok, CompileError> {
        let start = self.pos;
        let mut text = String::new();
        self.digits(&mut text);
        let mut is_float = false;
        if self.peek_char(0) == Some('.') && self.peek_char(1).is_some_and(|c| c.is_ascii_digit()) {
            is_float = true;
            text.push('.');
            self.pos += 1;
            self.digits(&mut text);
        }
        if matches!(self.peek_char(0), Some('e' | 'E')) {
            let sign = matches!(self.peek_char(1), Some('+' | '-'));
            let digit_at = if sign { 2 } else { 1 };
            if self.peek_char(digit_at).is_some_and(|c| c.is_ascii_digit()) {
                is_float = true;
                text.push('e');
                if sign {
                    text.extend(self.peek_char(1));
                }
                self.pos += digit_at;
                self.digits(&mut text);
            }
        }
        match self.peek_char(0) {
            Some('d' | 'D' | 'f' | 'F') => {
                is_float = true;
                self.pos += 1;
            }
            Some('l' | 'L') if !is_float => self.pos += 1,
            _ => {}
        }
        if self.peek_char(0).is_some_and(is_ident_char) {
            return Self::err(self.pos, "unexpected character after number");
        }
        if is_float {
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(Tok::Float(f)),
                _ => Self::err(start, "invalid decimal literal"),
            }
        } else {
            match text.parse::<i64>() {
                Ok(i) => Ok(Tok::Int(i)),
                Err(_) => Self::err(start, "integer literal is too large"),
            }
        }
    }
}

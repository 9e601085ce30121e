//! Arithmetic, concatenation and comparison operators.

use std::cmp::Ordering;

use super::ast::BinOp;
use super::value::Value;
use super::{err, EvalError};

#[derive(Clone, Copy)]
enum Num {
    I(i64),
    F(f64),
}

fn num(v: &Value) -> Option<Num> {
    match v {
        Value::Int(i) => Some(Num::I(*i)),
        Value::Float(f) => Some(Num::F(*f)),
        _ => None,
    }
}

fn as_f64(n: Num) -> f64 {
    match n {
        Num::I(i) => i as f64,
        Num::F(f) => f,
    }
}

/// Text of an operand of string `+`: SpEL writes null as "null".
fn concat_part(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        v => v.write_template_string(out),
    }
}

pub(super) fn binary(op: BinOp, l: &Value, r: &Value, off: usize) -> Result<Value, EvalError> {
    match op {
        BinOp::Eq => return Ok(Value::Bool(l == r)),
        BinOp::Ne => return Ok(Value::Bool(l != r)),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let ord = compare(l, r, off)?;
            return Ok(Value::Bool(match op {
                BinOp::Lt => ord == Ordering::Less,
                BinOp::Le => ord != Ordering::Greater,
                BinOp::Gt => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            }));
        }
        BinOp::Add if matches!(l, Value::Str(_)) || matches!(r, Value::Str(_)) => {
            let mut out = String::new();
            concat_part(l, &mut out);
            concat_part(r, &mut out);
            return Ok(Value::from(out));
        }
        _ => {}
    }
    let (Some(a), Some(b)) = (num(l), num(r)) else {
        return err(
            off,
            format!(
                "cannot apply '{}' to {} and {}",
                op.symbol(),
                l.type_name(),
                r.type_name()
            ),
        );
    };
    let overflow = || err(off, format!("integer overflow in '{}'", op.symbol()));
    if let (Num::I(x), Num::I(y)) = (a, b) {
        let v = match op {
            BinOp::Add => x.checked_add(y),
            BinOp::Sub => x.checked_sub(y),
            BinOp::Mul => x.checked_mul(y),
            BinOp::Div | BinOp::Rem if y == 0 => return err(off, "division by zero"),
            BinOp::Div => x.checked_div(y),
            BinOp::Rem => x.checked_rem(y),
            BinOp::Pow if y < 0 => return Ok(Value::Float((x as f64).powf(y as f64))),
            BinOp::Pow => u32::try_from(y).ok().and_then(|y| x.checked_pow(y)),
            _ => None,
        };
        return v.map_or_else(overflow, |v| Ok(Value::Int(v)));
    }
    let (x, y) = (as_f64(a), as_f64(b));
    Ok(Value::Float(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div | BinOp::Rem if y == 0.0 => return err(off, "division by zero"),
        BinOp::Div => x / y,
        BinOp::Rem => x % y,
        _ => x.powf(y),
    }))
}

fn compare(l: &Value, r: &Value, off: usize) -> Result<Ordering, EvalError> {
    let ord = match (l, r) {
        (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
        (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        _ => match (num(l), num(r)) {
            (Some(a), Some(b)) => as_f64(a).partial_cmp(&as_f64(b)),
            _ => {
                return err(
                    off,
                    format!("cannot compare {} with {}", l.type_name(), r.type_name()),
                )
            }
        },
    };
    ord.map_or_else(|| err(off, "cannot compare NaN"), Ok)
}

//! Evaluating expressions: values borrowed where they already exist.

use std::borrow::Cow;
use std::time::Instant;

use cc_core::{Timestamp, Value};

use super::{PlayPiece, Session};
use crate::ast::BinOp;
use crate::calendar::Calendar;
use crate::program::{IrExpr, IrPlay};

impl Session {
    // ---- expressions --------------------------------------------------------------

    pub(super) fn wall(&self, now: Instant) -> Timestamp {
        let elapsed = now.saturating_duration_since(self.ctx.start);
        let span = jiff::SignedDuration::try_from(elapsed).unwrap_or(jiff::SignedDuration::MAX);
        self.ctx.start_wall.checked_add(span).unwrap_or(Timestamp::MAX)
    }

    pub(super) fn calendar(&self, name: &str) -> Result<&Calendar, String> {
        self.ctx
            .resources
            .calendars
            .get(name)
            .ok_or_else(|| format!("calendar \"{name}\" is not configured"))
    }

    pub(super) fn piece(&self, item: &IrPlay, now: Instant) -> Result<PlayPiece, String> {
        Ok(match item {
            IrPlay::Prompt(p) => PlayPiece::Prompt(p.clone()),
            IrPlay::File(f) => PlayPiece::File(f.clone()),
            IrPlay::Number(e) => PlayPiece::Number(self.number(e, now)?),
            IrPlay::Money(e) => PlayPiece::Money(self.number(e, now)?),
            IrPlay::Digits(e) => PlayPiece::Digits(self.eval(e, now)?.to_string()),
            IrPlay::Date(e) => PlayPiece::Date(self.text(e, now)?),
        })
    }

    pub(super) fn number(&self, e: &IrExpr, now: Instant) -> Result<i64, String> {
        match &*self.value(e, now)? {
            Value::Number(n) => Ok(*n),
            other => Err(format!("expected a number, got {other:?}")),
        }
    }

    pub(super) fn text(&self, e: &IrExpr, now: Instant) -> Result<String, String> {
        match self.value(e, now)?.into_owned() {
            Value::Text(t) => Ok(t),
            other => Err(format!("expected text, got {other:?}")),
        }
    }

    pub(super) fn truth(&self, e: &IrExpr, now: Instant) -> Result<bool, String> {
        match &*self.value(e, now)? {
            Value::Bool(b) => Ok(*b),
            other => Err(format!("expected a bool, got {other:?}")),
        }
    }

    /// The value of an expression, owned.
    pub(super) fn eval(&self, e: &IrExpr, now: Instant) -> Result<Value, String> {
        self.value(e, now).map(Cow::into_owned)
    }

    /// The value of an expression, borrowed where it already exists (constants,
    /// variables, the caller's numbers), so conditions such as `tier == "vip"` or
    /// `caller in list "vip"` allocate nothing.
    pub(super) fn value<'a>(&'a self, e: &'a IrExpr, now: Instant) -> Result<Cow<'a, Value>, String> {
        Ok(match e {
            IrExpr::Const(v) => Cow::Borrowed(v),
            IrExpr::Var(slot) => Cow::Borrowed(
                self.vars
                    .get(usize::from(*slot))
                    .ok_or_else(|| format!("internal: no variable slot {slot}"))?,
            ),
            IrExpr::Caller => Cow::Borrowed(&self.caller),
            IrExpr::Called => Cow::Borrowed(&self.called),
            IrExpr::Language => Cow::Owned(Value::Text(self.language.clone())),
            IrExpr::Not(inner) => Cow::Owned(Value::Bool(!self.truth(inner, now)?)),
            IrExpr::Neg(inner) => Cow::Owned(Value::Number(
                self.number(inner, now)?
                    .checked_neg()
                    .ok_or("number overflow in `-`")?,
            )),
            IrExpr::InList(inner, list) => {
                let value = self.value(inner, now)?;
                let Value::Text(text) = &*value else {
                    return Err(format!("expected text, got {:?}", &*value));
                };
                let members = self
                    .ctx
                    .resources
                    .lists
                    .get(list)
                    .ok_or_else(|| format!("list \"{list}\" is not configured"))?;
                Cow::Owned(Value::Bool(members.contains(text.as_str())))
            }
            IrExpr::Open(cal) => Cow::Owned(Value::Bool(self.calendar(cal)?.is_open(self.wall(now)))),
            IrExpr::Holiday(cal) => Cow::Owned(Value::Bool(self.calendar(cal)?.is_holiday(self.wall(now)))),
            IrExpr::Bin(op, l, r) => Cow::Owned(self.binary(*op, l, r, now)?),
        })
    }

    pub(super) fn binary(&self, op: BinOp, l: &IrExpr, r: &IrExpr, now: Instant) -> Result<Value, String> {
        let numbers = |this: &Self| -> Result<(i64, i64), String> {
            match (this.eval(l, now)?, this.eval(r, now)?) {
                (Value::Number(x), Value::Number(y)) => Ok((x, y)),
                _ => Err(format!("`{}` needs two numbers", op.symbol())),
            }
        };
        Ok(match op {
            // `and`/`or` short-circuit.
            BinOp::And => Value::Bool(self.truth(l, now)? && self.truth(r, now)?),
            BinOp::Or => Value::Bool(self.truth(l, now)? || self.truth(r, now)?),
            BinOp::Eq => Value::Bool(self.value(l, now)? == self.value(r, now)?),
            BinOp::Ne => Value::Bool(self.value(l, now)? != self.value(r, now)?),
            BinOp::Lt => numbers(self).map(|(x, y)| Value::Bool(x < y))?,
            BinOp::Le => numbers(self).map(|(x, y)| Value::Bool(x <= y))?,
            BinOp::Gt => numbers(self).map(|(x, y)| Value::Bool(x > y))?,
            BinOp::Ge => numbers(self).map(|(x, y)| Value::Bool(x >= y))?,
            BinOp::Sub => {
                let (x, y) = numbers(self)?;
                Value::Number(x.checked_sub(y).ok_or("number overflow in `-`")?)
            }
            BinOp::Add => match (self.eval(l, now)?, self.eval(r, now)?) {
                (Value::Number(x), Value::Number(y)) => {
                    Value::Number(x.checked_add(y).ok_or("number overflow in `+`")?)
                }
                (Value::Text(mut x), Value::Text(y)) => {
                    x.push_str(&y);
                    Value::Text(x)
                }
                _ => return Err("`+` needs two numbers or two texts".to_owned()),
            },
        })
    }
}

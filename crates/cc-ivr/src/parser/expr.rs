//! Expressions, by precedence: `or`, `and`, `not`, comparisons and `in list`, `+ -`,
//! unary minus, primaries.

use super::{KEYWORDS, PResult, Parser};
use crate::ast::{BinOp, Expr, ExprKind};
use crate::lexer::Token;

impl Parser<'_> {
    // ---- expressions --------------------------------------------------------------

    pub(super) fn expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let result = self.or_expr();
        self.leave();
        result
    }

    pub(super) fn binary(op: BinOp, left: Expr, right: Expr) -> Expr {
        let span = left.span.to(right.span);
        Expr {
            kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
            span,
        }
    }

    pub(super) fn or_expr(&mut self) -> PResult<Expr> {
        let mut left = self.and_expr()?;
        while self.eat_word("or") {
            let right = self.and_expr()?;
            left = Self::binary(BinOp::Or, left, right);
        }
        Ok(left)
    }

    pub(super) fn and_expr(&mut self) -> PResult<Expr> {
        let mut left = self.not_expr()?;
        while self.eat_word("and") {
            let right = self.not_expr()?;
            left = Self::binary(BinOp::And, left, right);
        }
        Ok(left)
    }

    pub(super) fn not_expr(&mut self) -> PResult<Expr> {
        if self.at_word("not") {
            let start = self.bump();
            self.enter()?;
            let inner = self.not_expr();
            self.leave();
            let inner = inner?;
            let span = start.to(inner.span);
            return Ok(Expr {
                kind: ExprKind::Not(Box::new(inner)),
                span,
            });
        }
        self.cmp_expr()
    }

    pub(super) fn cmp_expr(&mut self) -> PResult<Expr> {
        let left = self.add_expr()?;
        let op = match self.peek() {
            Some(Token::Eq) => BinOp::Eq,
            Some(Token::Ne) => BinOp::Ne,
            Some(Token::Lt) => BinOp::Lt,
            Some(Token::Le) => BinOp::Le,
            Some(Token::Gt) => BinOp::Gt,
            Some(Token::Ge) => BinOp::Ge,
            Some(Token::Ident(w)) if w == "in" => {
                self.bump();
                self.expect_word("list")?;
                let list = self.text("the list name")?;
                let span = left.span.to(list.span);
                return Ok(Expr {
                    kind: ExprKind::InList(Box::new(left), list),
                    span,
                });
            }
            Some(Token::Assign) => {
                let span = self.span();
                return self.error(span, "`=` assigns; compare with `==`");
            }
            _ => return Ok(left),
        };
        self.bump();
        let right = self.add_expr()?;
        Ok(Self::binary(op, left, right))
    }

    pub(super) fn add_expr(&mut self) -> PResult<Expr> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Token::Plus) => BinOp::Add,
                Some(Token::Minus) => BinOp::Sub,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.unary()?;
            left = Self::binary(op, left, right);
        }
    }

    pub(super) fn unary(&mut self) -> PResult<Expr> {
        if self.at(&Token::Minus) {
            let start = self.bump();
            self.enter()?;
            let inner = self.unary();
            self.leave();
            let inner = inner?;
            let span = start.to(inner.span);
            return Ok(Expr {
                kind: ExprKind::Neg(Box::new(inner)),
                span,
            });
        }
        self.primary()
    }

    pub(super) fn primary(&mut self) -> PResult<Expr> {
        let span = self.span();
        let kind = match self.peek() {
            Some(Token::Str(s)) => ExprKind::Str(s.clone()),
            Some(Token::Number(n)) => ExprKind::Num(*n),
            Some(Token::Ident(w)) if w == "true" => ExprKind::Bool(true),
            Some(Token::Ident(w)) if w == "false" => ExprKind::Bool(false),
            Some(Token::Ident(w)) if w == "open" || w == "holiday" => {
                let open = w == "open";
                self.bump();
                self.expect(&Token::LParen, "`(` and the calendar name")?;
                let calendar = self.text("the calendar name")?;
                let close = self.expect(&Token::RParen, "`)`")?;
                return Ok(Expr {
                    kind: if open {
                        ExprKind::Open(calendar)
                    } else {
                        ExprKind::Holiday(calendar)
                    },
                    span: span.to(close),
                });
            }
            Some(Token::Ident(w)) if !KEYWORDS.contains(&w.as_str()) => ExprKind::Var(w.clone()),
            Some(Token::LParen) => {
                self.bump();
                let inner = self.expr()?;
                let close = self.expect(&Token::RParen, "`)`")?;
                return Ok(Expr {
                    kind: inner.kind,
                    span: span.to(close),
                });
            }
            Some(Token::Duration(ms)) => {
                let ms = *ms;
                return self.error(span, format!("a duration ({ms}ms) is not a value; use a number"));
            }
            _ => return self.unexpected("a value: text in quotes, a number, true, false or a variable"),
        };
        self.bump();
        Ok(Expr { kind, span })
    }
}

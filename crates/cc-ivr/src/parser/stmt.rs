//! Statements: one method per statement form.

use cc_core::DtmfDigit;

use super::{Failed, PResult, Parser, STATEMENTS, symbol};
use crate::ast::{
    Action, CallbackNumber, CollectOptions, EnqueueOptions, Expr, KeyArm, PlayItem, Question, Stmt, StmtKind,
    TransferTarget,
};
use crate::diagnostic::Diagnostic;
use crate::lexer::Token;

impl Parser<'_> {
    // ---- statements ---------------------------------------------------------------

    pub(super) fn stmt(&mut self) -> PResult<Stmt> {
        let start = self.span();
        let Some(Token::Ident(word)) = self.peek() else {
            return self.unexpected(&format!("a statement ({STATEMENTS})"));
        };
        if self.peek_at(1) == Some(&Token::Colon) {
            let label = self.ident_def("label")?;
            self.bump();
            return Ok(Stmt {
                kind: StmtKind::Label(label),
                span: start,
            });
        }
        let word = word.clone();
        self.bump();
        let kind = match word.as_str() {
            "play" => self.play()?,
            "collect" => self.collect()?,
            "menu" => self.menu()?,
            "if" => self.if_stmt()?,
            "set" => {
                let var = self.ident_def("variable")?;
                self.expect(&Token::Assign, "`=`")?;
                StmtKind::Set {
                    var,
                    value: self.expr()?,
                }
            }
            "store" => {
                let name = self.text("the attribute name")?;
                self.expect(&Token::Assign, "`=`")?;
                StmtKind::Store {
                    name,
                    value: self.expr()?,
                }
            }
            "lookup" | "fetch" => self.lookup()?,
            "language" => StmtKind::Language(self.expr()?),
            "enqueue" => self.enqueue()?,
            "transfer" => self.transfer()?,
            "callback" => {
                let queue = self.text("the callback queue")?;
                let number = if self.eat_word("confirm") {
                    CallbackNumber::Confirm
                } else if self.eat_word("ask") {
                    CallbackNumber::Ask(self.text("the prompt that asks for the number")?)
                } else {
                    return self.unexpected("`confirm` (the caller's number) or `ask \"prompt\"`");
                };
                StmtKind::Callback {
                    queue,
                    number,
                    on_fail: self.on_fail()?,
                }
            }
            "voicemail" => self.voicemail()?,
            "survey" => self.survey()?,
            "record" => {
                if self.eat_word("pause") {
                    StmtKind::Record { pause: true }
                } else if self.eat_word("resume") {
                    StmtKind::Record { pause: false }
                } else {
                    return self.unexpected("`pause` or `resume`");
                }
            }
            "call" => {
                let sub = self.ident_def("sub-flow")?;
                self.expect(&Token::LParen, "`(`")?;
                let args = self.args(&Token::RParen)?;
                StmtKind::Call { sub, args }
            }
            "return" => StmtKind::Return,
            "goto" => StmtKind::Goto(self.ident_def("label")?),
            "hangup" => StmtKind::Hangup,
            other => {
                return self.error(
                    start,
                    format!("unknown statement `{other}`; expected {STATEMENTS}"),
                );
            }
        };
        Ok(Stmt {
            kind,
            span: start.to(self.prev_span()),
        })
    }

    /// Comma-separated expressions up to `close` (consumed).
    pub(super) fn args(&mut self, close: &Token) -> PResult<Vec<Expr>> {
        let mut args = Vec::new();
        if self.eat(close) {
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            if self.eat(close) {
                return Ok(args);
            }
            self.expect(&Token::Comma, &format!("`,` or `{}`", symbol(close)))?;
        }
    }

    pub(super) fn play(&mut self) -> PResult<StmtKind> {
        let mut items = Vec::new();
        loop {
            let item = match self.peek() {
                Some(Token::Str(_)) => PlayItem::Prompt(self.text("a prompt")?),
                Some(Token::Ident(word)) => match word.as_str() {
                    "file" => {
                        self.bump();
                        PlayItem::File(self.text("a file path")?)
                    }
                    "number" => {
                        self.bump();
                        PlayItem::Number(self.expr()?)
                    }
                    "digits" => {
                        self.bump();
                        PlayItem::Digits(self.expr()?)
                    }
                    "date" => {
                        self.bump();
                        PlayItem::Date(self.expr()?)
                    }
                    "money" => {
                        self.bump();
                        PlayItem::Money(self.expr()?)
                    }
                    _ => return self.unexpected("a prompt in quotes, or file/number/digits/date/money"),
                },
                _ => return self.unexpected("a prompt in quotes, or file/number/digits/date/money"),
            };
            items.push(item);
            if !self.eat(&Token::Comma) {
                break;
            }
        }
        let barge = self.eat_word("barge");
        Ok(StmtKind::Play { items, barge })
    }

    pub(super) fn collect(&mut self) -> PResult<StmtKind> {
        let var = self.ident_def("variable")?;
        let mut o = CollectOptions::default();
        while let Some(Token::Ident(word)) = self.peek() {
            let span = self.span();
            match word.as_str() {
                "prompt" => self.option(&mut o.prompt, span, |p| p.text("a prompt"))?,
                "min" => self.option(&mut o.min, span, |p| p.number("the fewest digits"))?,
                "max" => self.option(&mut o.max, span, |p| p.number("the most digits"))?,
                "terminator" => {
                    self.option(&mut o.terminator, span, |p| {
                        p.text("the terminator key, e.g. \"#\"")
                    })?;
                }
                "timeout" => {
                    self.option(&mut o.timeout_ms, span, |p| p.duration("the first-digit timeout"))?;
                }
                "inter" => self.option(&mut o.inter_ms, span, |p| p.duration("the inter-digit timeout"))?,
                "retries" => self.option(&mut o.retries, span, |p| p.number("the number of retries"))?,
                "pattern" => self.option(&mut o.pattern, span, |p| p.text("a digit pattern"))?,
                _ => break,
            }
        }
        Ok(StmtKind::Collect {
            var,
            options: o,
            on_fail: self.on_fail()?,
        })
    }

    pub(super) fn menu(&mut self) -> PResult<StmtKind> {
        let mut prompts = Vec::new();
        let mut timeout_ms = None;
        let mut retries = None;
        loop {
            let span = self.span();
            if self.eat_word("prompt") {
                loop {
                    prompts.push(self.text("a prompt")?);
                    if !self.eat(&Token::Comma) {
                        break;
                    }
                }
            } else if self.eat_word("timeout") {
                let v = self.duration("the key timeout")?;
                self.once(&mut timeout_ms, "timeout", span, v);
            } else if self.eat_word("retries") {
                let v = self.number("the number of retries")?;
                self.once(&mut retries, "retries", span, v);
            } else {
                break;
            }
        }
        let open = self.expect(&Token::LBrace, "`{` and the menu's choices")?;
        self.enter()?;
        let mut arms = Vec::new();
        let mut on_invalid = None;
        let mut on_timeout = None;
        loop {
            self.skip_newlines();
            if self.eat(&Token::RBrace) {
                break;
            }
            if self.peek().is_none() {
                self.diagnostics.push(
                    Diagnostic::error(self.eof, "the file ends inside the menu; add the closing `}`")
                        .with_note(open, "the menu opens here"),
                );
                self.leave();
                return Err(Failed);
            }
            let span = self.span();
            let result = if self.eat_word("invalid") {
                self.arrow_action()
                    .map(|a| self.once(&mut on_invalid, "invalid", span, a))
            } else if self.eat_word("timeout") {
                self.arrow_action()
                    .map(|a| self.once(&mut on_timeout, "timeout", span, a))
            } else {
                self.key_arm().map(|arm| arms.push(arm))
            };
            match result {
                Ok(()) => self.end_of_statement(),
                Err(Failed) => self.recover(),
            }
        }
        self.leave();
        Ok(StmtKind::Menu {
            prompts,
            timeout_ms,
            retries,
            arms,
            on_invalid,
            on_timeout,
            on_fail: self.on_fail()?,
        })
    }

    /// `KEY -> ACTION`, where KEY is a digit 0-9 or a quoted `"*"`, `"#"`, `"A"`..`"D"`.
    pub(super) fn key_arm(&mut self) -> PResult<KeyArm> {
        let key_span = self.span();
        let key = match self.peek() {
            Some(Token::Number(n @ 0..=9)) => DtmfDigit::from_event_code(*n as u8),
            Some(Token::Str(s)) => {
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => DtmfDigit::from_char(c).ok(),
                    _ => None,
                }
            }
            _ => None,
        };
        let Some(key) = key else {
            return self.unexpected("a key: 0 to 9, \"*\", \"#\" or \"A\" to \"D\"");
        };
        self.bump();
        let action = self.arrow_action()?;
        Ok(KeyArm {
            key,
            key_span,
            action,
        })
    }

    pub(super) fn arrow_action(&mut self) -> PResult<Action> {
        self.expect(&Token::Arrow, "`->` and what to do")?;
        self.action()
    }

    pub(super) fn action(&mut self) -> PResult<Action> {
        if self.at(&Token::LBrace) {
            return Ok(Action::Block(self.block()?));
        }
        if self.at_word("goto") {
            self.bump();
            return Ok(Action::Goto(self.ident_def("label")?));
        }
        self.enter()?;
        let stmt = self.stmt();
        self.leave();
        Ok(Action::Stmt(Box::new(stmt?)))
    }

    /// An optional `else ACTION`, which may start on the next line.
    pub(super) fn on_fail(&mut self) -> PResult<Option<Action>> {
        let mut ahead = 0;
        while self.peek_at(ahead) == Some(&Token::Newline) {
            ahead += 1;
        }
        if !matches!(self.peek_at(ahead), Some(Token::Ident(w)) if w == "else") {
            return Ok(None);
        }
        self.pos += ahead + 1;
        Ok(Some(self.action()?))
    }

    pub(super) fn if_stmt(&mut self) -> PResult<StmtKind> {
        let mut arms = vec![(self.expr()?, self.block()?)];
        let mut otherwise = None;
        loop {
            let mut ahead = 0;
            while self.peek_at(ahead) == Some(&Token::Newline) {
                ahead += 1;
            }
            match self.peek_at(ahead) {
                Some(Token::Ident(w)) if w == "elif" => {
                    self.pos += ahead + 1;
                    arms.push((self.expr()?, self.block()?));
                }
                Some(Token::Ident(w)) if w == "else" => {
                    self.pos += ahead + 1;
                    otherwise = Some(self.block()?);
                    break;
                }
                _ => break,
            }
        }
        Ok(StmtKind::If { arms, otherwise })
    }

    pub(super) fn lookup(&mut self) -> PResult<StmtKind> {
        let hook = self.text("the hook name")?;
        let mut args = Vec::new();
        if self.eat_word("with") {
            loop {
                args.push(self.expr()?);
                if !self.eat(&Token::Comma) {
                    break;
                }
            }
        }
        self.expect_word("into")?;
        let into = self.ident_def("variable")?;
        let timeout_ms = if self.eat_word("timeout") {
            Some(self.duration("the hook timeout")?)
        } else {
            None
        };
        Ok(StmtKind::Lookup {
            hook,
            args,
            into,
            timeout_ms,
            on_fail: self.on_fail()?,
        })
    }

    pub(super) fn enqueue(&mut self) -> PResult<StmtKind> {
        let queue = self.text("the queue")?;
        let mut o = EnqueueOptions::default();
        while let Some(Token::Ident(word)) = self.peek() {
            let span = self.span();
            match word.as_str() {
                "priority" => {
                    self.bump();
                    let v = self.expr()?;
                    self.once(&mut o.priority, "priority", span, v);
                }
                "skill" => {
                    self.bump();
                    let skill = self.text("the skill")?;
                    let level = if self.eat_word("level") {
                        Some(self.number("the minimum level, 1 to 10")?)
                    } else {
                        None
                    };
                    o.skills.push((skill, level));
                }
                "attr" => {
                    self.bump();
                    let name = self.text("the attribute name")?;
                    self.expect(&Token::Assign, "`=`")?;
                    o.attrs.push((name, self.expr()?));
                }
                "timeout" => {
                    self.bump();
                    let v = self.duration("the longest wait")?;
                    self.once(&mut o.timeout_ms, "timeout", span, v);
                }
                "music" => {
                    self.bump();
                    let v = self.text("the music prompt")?;
                    self.once(&mut o.music, "music", span, v);
                }
                "announce" => {
                    self.bump();
                    let position = if self.eat_word("position") {
                        true
                    } else if self.eat_word("wait") {
                        false
                    } else {
                        return self.unexpected("`position` or `wait`");
                    };
                    self.expect_word("every")?;
                    let every = self.duration("the announcement interval")?;
                    if position {
                        self.once(&mut o.announce_position_ms, "announce position", span, every);
                    } else {
                        self.once(&mut o.announce_wait_ms, "announce wait", span, every);
                    }
                }
                _ => break,
            }
        }
        let mut keys = Vec::new();
        if self.at(&Token::LBrace) {
            let open = self.bump();
            self.enter()?;
            loop {
                self.skip_newlines();
                if self.eat(&Token::RBrace) {
                    break;
                }
                if self.peek().is_none() {
                    self.diagnostics.push(
                        Diagnostic::error(
                            self.eof,
                            "the file ends inside the queue's keys; add the closing `}`",
                        )
                        .with_note(open, "the keys open here"),
                    );
                    self.leave();
                    return Err(Failed);
                }
                match self.key_arm() {
                    Ok(arm) => {
                        keys.push(arm);
                        self.end_of_statement();
                    }
                    Err(Failed) => self.recover(),
                }
            }
            self.leave();
        }
        Ok(StmtKind::Enqueue {
            queue,
            options: o,
            keys,
            on_fail: self.on_fail()?,
        })
    }

    pub(super) fn transfer(&mut self) -> PResult<StmtKind> {
        let target = if self.eat_word("number") {
            TransferTarget::Number(self.expr()?)
        } else if self.eat_word("agent") {
            TransferTarget::Agent(self.text("the agent id")?)
        } else if self.eat_word("external") {
            TransferTarget::External(self.text("the external destination")?)
        } else {
            return self.unexpected("`number EXPR`, `agent \"id\"` or `external \"name\"`");
        };
        Ok(StmtKind::Transfer {
            target,
            on_fail: self.on_fail()?,
        })
    }

    pub(super) fn voicemail(&mut self) -> PResult<StmtKind> {
        let mailbox = self.text("the mailbox")?;
        let mut greeting = None;
        let mut max_ms = None;
        let mut beep = false;
        loop {
            let span = self.span();
            if self.eat_word("greeting") {
                let v = self.text("the greeting prompt")?;
                self.once(&mut greeting, "greeting", span, v);
            } else if self.eat_word("max") {
                let v = self.duration("the longest message")?;
                self.once(&mut max_ms, "max", span, v);
            } else if self.eat_word("beep") {
                beep = true;
            } else {
                break;
            }
        }
        Ok(StmtKind::Voicemail {
            mailbox,
            greeting,
            max_ms,
            beep,
            on_fail: self.on_fail()?,
        })
    }

    pub(super) fn survey(&mut self) -> PResult<StmtKind> {
        let open = self.expect(&Token::LBrace, "`{` and the questions")?;
        let mut questions = Vec::new();
        loop {
            self.skip_newlines();
            if self.eat(&Token::RBrace) {
                break;
            }
            if self.peek().is_none() {
                self.diagnostics.push(
                    Diagnostic::error(self.eof, "the file ends inside the survey; add the closing `}`")
                        .with_note(open, "the survey opens here"),
                );
                return Err(Failed);
            }
            let result = (|| {
                let start = self.expect_word("question")?;
                let prompt = self.text("the question's prompt")?;
                self.expect_word("scale")?;
                let low = self.number("the lowest score")?;
                self.expect_word("to")?;
                let high = self.number("the highest score")?;
                self.expect_word("into")?;
                let into = self.ident_def("variable")?;
                let span = start.to(into.span);
                Ok(Question {
                    prompt,
                    low,
                    high,
                    into,
                    span,
                })
            })();
            match result {
                Ok(q) => {
                    questions.push(q);
                    self.end_of_statement();
                }
                Err(Failed) => self.recover(),
            }
        }
        Ok(StmtKind::Survey(questions))
    }
}

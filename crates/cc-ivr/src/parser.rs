//! A recovering recursive-descent parser: it never stops at the first error. A statement
//! that does not parse is reported and skipped to the end of its line, so one run reports
//! every syntax error of the file.

use cc_core::DtmfDigit;

use crate::ast::{
    Action, BinOp, Block, CallbackNumber, CollectOptions, EnqueueOptions, Expr, ExprKind, Flow, Ident,
    KeyArm, PlayItem, Question, Stmt, StmtKind, SubDef, Text, TransferTarget, Type, VarDecl,
};
use crate::diagnostic::{Diagnostic, Span};
use crate::lexer::{Spanned, Token, tokenize};

/// Words with a meaning of their own wherever they stand; they cannot name variables,
/// labels or sub-flows. Other statement and option words (`play`, `timeout`, `level`...)
/// are recognised by position and stay free for names.
pub const KEYWORDS: &[&str] = &[
    "flow", "var", "main", "sub", "if", "elif", "else", "goto", "return", "hangup", "and", "or", "not", "in",
    "list", "true", "false", "open", "holiday", "string", "number", "bool",
];

const STATEMENTS: &str = "play, collect, menu, if, set, store, lookup, fetch, language, enqueue, transfer, \
                          callback, voicemail, survey, record, call, return, goto, hangup, or a label `name:`";

/// Deepest nesting of blocks and expressions; deeper input is refused rather than
/// risking the stack.
const MAX_DEPTH: u32 = 64;

/// The result of parsing: the tree (when the header could be read) and every diagnostic.
#[derive(Debug, Clone)]
pub struct Parse {
    /// The flow; `None` only when not even `flow NAME` was found.
    pub flow: Option<Flow>,
    /// Every lexical and syntax error, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses flow source text.
pub fn parse(source: &str) -> Parse {
    let (tokens, mut diagnostics) = tokenize(source);
    let mut parser = Parser {
        tokens: &tokens,
        pos: 0,
        diagnostics: Vec::new(),
        eof: Span::new(source.len(), source.len()),
        depth: 0,
    };
    let flow = parser.flow();
    diagnostics.append(&mut parser.diagnostics);
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    Parse { flow, diagnostics }
}

/// Marks that a diagnostic was recorded and the caller should recover.
struct Failed;

type PResult<T> = Result<T, Failed>;

struct Parser<'t> {
    tokens: &'t [Spanned],
    pos: usize,
    diagnostics: Vec<Diagnostic>,
    eof: Span,
    depth: u32,
}

fn describe(token: Option<&Token>) -> String {
    match token {
        None => "the end of the file".to_owned(),
        Some(Token::Newline) => "the end of the line".to_owned(),
        Some(Token::Ident(name)) => format!("`{name}`"),
        Some(Token::Str(text)) => format!("the text {text:?}"),
        Some(Token::Number(n)) => format!("the number {n}"),
        Some(Token::Duration(ms)) => format!("the duration {ms}ms"),
        Some(other) => format!("`{}`", symbol(other)),
    }
}

fn symbol(token: &Token) -> &'static str {
    match token {
        Token::LBrace => "{",
        Token::RBrace => "}",
        Token::LParen => "(",
        Token::RParen => ")",
        Token::Comma => ",",
        Token::Semi => ";",
        Token::Colon => ":",
        Token::Arrow => "->",
        Token::Assign => "=",
        Token::Eq => "==",
        Token::Ne => "!=",
        Token::Lt => "<",
        Token::Le => "<=",
        Token::Gt => ">",
        Token::Ge => ">=",
        Token::Plus => "+",
        Token::Minus => "-",
        Token::Newline => "newline",
        Token::Duration(_) | Token::Number(_) | Token::Str(_) | Token::Ident(_) => "token",
    }
}

impl Parser<'_> {
    // ---- token access -------------------------------------------------------------

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|t| &t.token)
    }

    fn peek_at(&self, offset: usize) -> Option<&Token> {
        self.tokens.get(self.pos + offset).map(|t| &t.token)
    }

    fn span(&self) -> Span {
        self.tokens.get(self.pos).map_or(self.eof, |t| t.span)
    }

    fn prev_span(&self) -> Span {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(self.eof, |t| t.span)
    }

    fn bump(&mut self) -> Span {
        let span = self.span();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        span
    }

    fn at(&self, token: &Token) -> bool {
        self.peek() == Some(token)
    }

    fn at_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Ident(name)) if name == word)
    }

    fn eat(&mut self, token: &Token) -> bool {
        if self.at(token) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if self.at_word(word) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn error<T>(&mut self, span: Span, message: impl Into<String>) -> PResult<T> {
        self.diagnostics.push(Diagnostic::error(span, message));
        Err(Failed)
    }

    fn unexpected<T>(&mut self, wanted: &str) -> PResult<T> {
        let found = describe(self.peek());
        let span = self.span();
        self.error(span, format!("expected {wanted}, found {found}"))
    }

    fn expect(&mut self, token: &Token, wanted: &str) -> PResult<Span> {
        if self.at(token) {
            Ok(self.bump())
        } else {
            self.unexpected(wanted)
        }
    }

    fn expect_word(&mut self, word: &str) -> PResult<Span> {
        if self.at_word(word) {
            Ok(self.bump())
        } else {
            self.unexpected(&format!("`{word}`"))
        }
    }

    fn skip_newlines(&mut self) {
        while matches!(self.peek(), Some(Token::Newline | Token::Semi)) {
            self.bump();
        }
    }

    /// Skips to the end of the current statement: the next newline or `;` outside
    /// braces, or just before the `}` that closes the enclosing block.
    fn recover(&mut self) {
        let mut braces = 0u32;
        while let Some(token) = self.peek() {
            match token {
                Token::Newline | Token::Semi | Token::RBrace if braces == 0 => return,
                Token::LBrace => braces += 1,
                Token::RBrace => braces -= 1,
                _ => {}
            }
            self.bump();
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let span = self.span();
            return self.error(
                span,
                format!("nested more than {MAX_DEPTH} levels deep; split the flow into sub-flows"),
            );
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // ---- leaves -------------------------------------------------------------------

    /// A name defined by the flow (not a keyword).
    fn ident_def(&mut self, what: &str) -> PResult<Ident> {
        let span = self.span();
        match self.peek() {
            Some(Token::Ident(name)) if KEYWORDS.contains(&name.as_str()) => {
                let name = name.clone();
                self.bump();
                self.error(
                    span,
                    format!("`{name}` is a keyword and cannot name a {what}; choose another name"),
                )
            }
            Some(Token::Ident(name)) => {
                let name = name.clone();
                self.bump();
                Ok(Ident { name, span })
            }
            _ => self.unexpected(&format!("a {what} name")),
        }
    }

    fn text(&mut self, what: &str) -> PResult<Text> {
        let span = self.span();
        if let Some(Token::Str(value)) = self.peek() {
            let value = value.clone();
            self.bump();
            return Ok(Text { value, span });
        }
        if let Some(Token::Ident(name)) = self.peek() {
            let name = name.clone();
            return self.error(
                span,
                format!("expected {what} in quotes, found `{name}`; write \"{name}\""),
            );
        }
        self.unexpected(&format!("{what} in quotes"))
    }

    fn number(&mut self, what: &str) -> PResult<i64> {
        if let Some(Token::Number(n)) = self.peek() {
            let n = *n;
            self.bump();
            return Ok(n);
        }
        self.unexpected(what)
    }

    fn duration(&mut self, what: &str) -> PResult<u64> {
        match self.peek() {
            Some(Token::Duration(ms)) => {
                let ms = *ms;
                self.bump();
                Ok(ms)
            }
            Some(Token::Number(n)) => {
                let n = *n;
                let span = self.span();
                self.bump();
                self.error(span, format!("{what} needs a unit: write {n}s or {n}ms"))
            }
            _ => self.unexpected(&format!("{what} such as 5s or 500ms")),
        }
    }

    /// Reads option `word` (the current token) with `read` and sets it once.
    fn option<T>(
        &mut self,
        slot: &mut Option<T>,
        span: Span,
        read: impl FnOnce(&mut Self) -> PResult<T>,
    ) -> PResult<()> {
        let word = match self.peek() {
            Some(Token::Ident(word)) => word.clone(),
            _ => String::new(),
        };
        self.bump();
        let value = read(self)?;
        self.once(slot, &word, span, value);
        Ok(())
    }

    /// Sets an option once; a repeat is an error pointing at both places.
    fn once<T>(&mut self, slot: &mut Option<T>, name: &str, span: Span, value: T) {
        if slot.is_some() {
            self.diagnostics
                .push(Diagnostic::error(span, format!("`{name}` is given twice")));
        }
        *slot = Some(value);
    }

    // ---- file structure -----------------------------------------------------------

    fn flow(&mut self) -> Option<Flow> {
        self.skip_newlines();
        if !self.at_word("flow") {
            let _ = self.unexpected::<()>("`flow NAME` at the start of the file");
            return None;
        }
        self.bump();
        let name = match self.ident_def("flow") {
            Ok(name) => name,
            Err(Failed) => Ident {
                name: String::new(),
                span: self.prev_span(),
            },
        };
        self.end_of_statement();
        let mut flow = Flow {
            name,
            vars: Vec::new(),
            main: None,
            subs: Vec::new(),
        };
        loop {
            self.skip_newlines();
            let Some(token) = self.peek() else { break };
            let start = self.span();
            let result = match token {
                Token::Ident(word) if word == "var" => self.var_decl().map(|v| flow.vars.push(v)),
                Token::Ident(word) if word == "main" => {
                    self.bump();
                    self.block().map(|block| {
                        if let Some(first) = &flow.main {
                            self.diagnostics.push(
                                Diagnostic::error(start, "a flow has one `main` block; this is a second")
                                    .with_note(first.span, "the first `main` block"),
                            );
                        } else {
                            flow.main = Some(block);
                        }
                    })
                }
                Token::Ident(word) if word == "sub" => self.sub_def().map(|s| flow.subs.push(s)),
                _ => self.unexpected("`var`, `main { ... }` or `sub NAME(...) { ... }`"),
            };
            if result.is_ok() {
                self.end_of_statement();
            } else {
                self.recover();
                // A stray `}` at top level would stop recovery forever: drop it.
                self.eat(&Token::RBrace);
            }
        }
        if flow.main.is_none() {
            self.diagnostics.push(Diagnostic::error(
                flow.name.span,
                "the flow has no `main { ... }` block; add one",
            ));
        }
        Some(flow)
    }

    /// After a statement: a newline, `;`, the closing `}` or the end of the file.
    fn end_of_statement(&mut self) {
        match self.peek() {
            None | Some(Token::RBrace) => {}
            Some(Token::Newline | Token::Semi) => {
                self.bump();
            }
            _ => {
                let _ = self.unexpected::<()>("the end of the statement (a new line or `;`)");
                self.recover();
            }
        }
    }

    fn var_decl(&mut self) -> PResult<VarDecl> {
        let start = self.bump();
        let name = self.ident_def("variable")?;
        self.expect(&Token::Colon, "`:` and a type (string, number or bool)")?;
        let ty = self.ty()?;
        self.expect(&Token::Assign, "`=` and the initial value")?;
        let init = self.expr()?;
        let span = start.to(init.span);
        Ok(VarDecl { name, ty, init, span })
    }

    fn ty(&mut self) -> PResult<Type> {
        let ty = match self.peek() {
            Some(Token::Ident(word)) if word == "string" => Type::String,
            Some(Token::Ident(word)) if word == "number" => Type::Number,
            Some(Token::Ident(word)) if word == "bool" => Type::Bool,
            _ => return self.unexpected("a type: string, number or bool"),
        };
        self.bump();
        Ok(ty)
    }

    fn sub_def(&mut self) -> PResult<SubDef> {
        self.bump();
        let name = self.ident_def("sub-flow")?;
        self.expect(&Token::LParen, "`(` and the parameters")?;
        let mut params = Vec::new();
        if !self.eat(&Token::RParen) {
            loop {
                let param = self.ident_def("parameter")?;
                self.expect(&Token::Colon, "`:` and the parameter's type")?;
                let ty = self.ty()?;
                params.push((param, ty));
                if self.eat(&Token::RParen) {
                    break;
                }
                self.expect(&Token::Comma, "`,` or `)`")?;
            }
        }
        let body = self.block()?;
        Ok(SubDef { name, params, body })
    }

    fn block(&mut self) -> PResult<Block> {
        let open = self.expect(&Token::LBrace, "`{`")?;
        self.enter()?;
        let mut stmts = Vec::new();
        let close = loop {
            self.skip_newlines();
            match self.peek() {
                Some(Token::RBrace) => break self.bump(),
                None => {
                    self.diagnostics.push(
                        Diagnostic::error(self.eof, "the file ends inside a block; add the closing `}`")
                            .with_note(open, "the block opens here"),
                    );
                    self.leave();
                    return Err(Failed);
                }
                _ => {}
            }
            match self.stmt() {
                Ok(stmt) => {
                    stmts.push(stmt);
                    self.end_of_statement();
                }
                Err(Failed) => self.recover(),
            }
        };
        self.leave();
        Ok(Block {
            stmts,
            span: open.to(close),
        })
    }

    // ---- statements ---------------------------------------------------------------

    fn stmt(&mut self) -> PResult<Stmt> {
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
    fn args(&mut self, close: &Token) -> PResult<Vec<Expr>> {
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

    fn play(&mut self) -> PResult<StmtKind> {
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

    fn collect(&mut self) -> PResult<StmtKind> {
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

    fn menu(&mut self) -> PResult<StmtKind> {
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
    fn key_arm(&mut self) -> PResult<KeyArm> {
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

    fn arrow_action(&mut self) -> PResult<Action> {
        self.expect(&Token::Arrow, "`->` and what to do")?;
        self.action()
    }

    fn action(&mut self) -> PResult<Action> {
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
    fn on_fail(&mut self) -> PResult<Option<Action>> {
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

    fn if_stmt(&mut self) -> PResult<StmtKind> {
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

    fn lookup(&mut self) -> PResult<StmtKind> {
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

    fn enqueue(&mut self) -> PResult<StmtKind> {
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

    fn transfer(&mut self) -> PResult<StmtKind> {
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

    fn voicemail(&mut self) -> PResult<StmtKind> {
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

    fn survey(&mut self) -> PResult<StmtKind> {
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

    // ---- expressions --------------------------------------------------------------

    fn expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let result = self.or_expr();
        self.leave();
        result
    }

    fn binary(op: BinOp, left: Expr, right: Expr) -> Expr {
        let span = left.span.to(right.span);
        Expr {
            kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
            span,
        }
    }

    fn or_expr(&mut self) -> PResult<Expr> {
        let mut left = self.and_expr()?;
        while self.eat_word("or") {
            let right = self.and_expr()?;
            left = Self::binary(BinOp::Or, left, right);
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> PResult<Expr> {
        let mut left = self.not_expr()?;
        while self.eat_word("and") {
            let right = self.not_expr()?;
            left = Self::binary(BinOp::And, left, right);
        }
        Ok(left)
    }

    fn not_expr(&mut self) -> PResult<Expr> {
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

    fn cmp_expr(&mut self) -> PResult<Expr> {
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

    fn add_expr(&mut self) -> PResult<Expr> {
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

    fn unary(&mut self) -> PResult<Expr> {
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

    fn primary(&mut self) -> PResult<Expr> {
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

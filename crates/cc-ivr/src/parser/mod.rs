//! A recovering recursive-descent parser: it never stops at the first error. A statement
//! that does not parse is reported and skipped to the end of its line, so one run reports
//! every syntax error of the file.

use crate::ast::{Block, Flow, Ident, SubDef, Text, Type, VarDecl};
use crate::diagnostic::{Diagnostic, Span};
use crate::lexer::{Spanned, Token, tokenize};

mod expr;
mod stmt;

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
}

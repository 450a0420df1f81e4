//! The syntax tree of a flow, as parsed, with the place of every part.

use cc_core::DtmfDigit;
use serde::Serialize;

use crate::diagnostic::Span;

/// A name defined inside the flow (variable, label, sub-flow, parameter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it is written.
    pub span: Span,
}

/// A string literal: prompts, queues, lists, calendars, hooks and other names defined
/// outside the flow are written as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Text {
    /// The unescaped text.
    pub value: String,
    /// Where it is written (quotes included).
    pub span: Span,
}

/// The type of a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Type {
    /// Text.
    String,
    /// A whole number.
    Number,
    /// True or false.
    Bool,
}

impl Type {
    /// The keyword of the type.
    pub const fn keyword(self) -> &'static str {
        match self {
            Type::String => "string",
            Type::Number => "number",
            Type::Bool => "bool",
        }
    }
}

/// A whole flow file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flow {
    /// `flow NAME`.
    pub name: Ident,
    /// `var` declarations.
    pub vars: Vec<VarDecl>,
    /// The `main { ... }` body.
    pub main: Option<Block>,
    /// `sub NAME(...) { ... }` definitions.
    pub subs: Vec<SubDef>,
}

/// `var NAME: TYPE = VALUE`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VarDecl {
    /// The variable.
    pub name: Ident,
    /// Its type.
    pub ty: Type,
    /// Its initial value.
    pub init: Expr,
    /// The whole declaration.
    pub span: Span,
}

/// `sub NAME(PARAM: TYPE, ...) { ... }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubDef {
    /// The sub-flow's name.
    pub name: Ident,
    /// Its parameters.
    pub params: Vec<(Ident, Type)>,
    /// Its body.
    pub body: Block,
}

/// `{ statements }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Block {
    /// The statements in order.
    pub stmts: Vec<Stmt>,
    /// From `{` to `}`.
    pub span: Span,
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stmt {
    /// What it does.
    pub kind: StmtKind,
    /// Where it is (its first line, from the keyword on).
    pub span: Span,
}

impl Stmt {
    /// Calls `f` on this statement and on every statement nested in it, in source order.
    pub fn walk(&self, f: &mut impl FnMut(&Stmt)) {
        self.walk_dyn(f);
    }

    fn walk_dyn(&self, f: &mut dyn FnMut(&Stmt)) {
        f(self);
        self.children(&mut |child| match child {
            Child::Block(block) => {
                for stmt in &block.stmts {
                    stmt.walk_dyn(f);
                }
            }
            Child::Stmt(stmt) => stmt.walk_dyn(f),
        });
    }

    /// The blocks and single statements nested directly in this one.
    fn children<'a>(&'a self, visit: &mut dyn FnMut(Child<'a>)) {
        let action = |a: &'a Action, visit: &mut dyn FnMut(Child<'a>)| match a {
            Action::Goto(_) => {}
            Action::Block(b) => visit(Child::Block(b)),
            Action::Stmt(s) => visit(Child::Stmt(s)),
        };
        match &self.kind {
            StmtKind::Menu {
                arms,
                on_invalid,
                on_timeout,
                on_fail,
                ..
            } => {
                for arm in arms {
                    action(&arm.action, visit);
                }
                for a in [on_invalid, on_timeout, on_fail].into_iter().flatten() {
                    action(a, visit);
                }
            }
            StmtKind::Enqueue { keys, on_fail, .. } => {
                for arm in keys {
                    action(&arm.action, visit);
                }
                if let Some(a) = on_fail {
                    action(a, visit);
                }
            }
            StmtKind::If { arms, otherwise } => {
                for (_, block) in arms {
                    visit(Child::Block(block));
                }
                if let Some(block) = otherwise {
                    visit(Child::Block(block));
                }
            }
            StmtKind::Collect { on_fail, .. }
            | StmtKind::Lookup { on_fail, .. }
            | StmtKind::Transfer { on_fail, .. }
            | StmtKind::Callback { on_fail, .. }
            | StmtKind::Voicemail { on_fail, .. } => {
                if let Some(a) = on_fail {
                    action(a, visit);
                }
            }
            StmtKind::Label(_)
            | StmtKind::Play { .. }
            | StmtKind::Set { .. }
            | StmtKind::Store { .. }
            | StmtKind::Language(_)
            | StmtKind::Survey(_)
            | StmtKind::Record { .. }
            | StmtKind::Call { .. }
            | StmtKind::Return
            | StmtKind::Goto(_)
            | StmtKind::Hangup => {}
        }
    }
}

/// Something nested in a statement.
enum Child<'a> {
    Block(&'a Block),
    Stmt(&'a Stmt),
}

/// Where control goes: a jump, a block, or one statement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Action {
    /// `goto LABEL`.
    Goto(Ident),
    /// `{ ... }`.
    Block(Block),
    /// A single statement such as `hangup` or `callback "sales" confirm`.
    Stmt(Box<Stmt>),
}

/// One choice of a menu or of the keys that leave a queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyArm {
    /// The key.
    pub key: DtmfDigit,
    /// Where the key is written.
    pub key_span: Span,
    /// What pressing it does.
    pub action: Action,
}

/// Something to play.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum PlayItem {
    /// A prompt key, resolved in the session's language.
    Prompt(Text),
    /// A sound file by path.
    File(Text),
    /// A number read as a quantity ("one hundred and twenty").
    Number(Expr),
    /// Digits read one by one.
    Digits(Expr),
    /// A date (`YYYY-MM-DD` text).
    Date(Expr),
    /// An amount of money, in cents.
    Money(Expr),
}

/// Where a transfer goes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum TransferTarget {
    /// A phone number (an expression, e.g. a variable).
    Number(Expr),
    /// An agent by id.
    Agent(Text),
    /// A named external destination of the environment (an outsourcing partner).
    External(Text),
}

/// How a callback gets its number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum CallbackNumber {
    /// Confirm the caller's own number.
    Confirm,
    /// Ask for a number with this prompt.
    Ask(Text),
}

/// One survey question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Question {
    /// The question's prompt.
    pub prompt: Text,
    /// Lowest score.
    pub low: i64,
    /// Highest score.
    pub high: i64,
    /// Variable that receives the score.
    pub into: Ident,
    /// The whole question.
    pub span: Span,
}

/// Options of `collect`.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct CollectOptions {
    /// Prompt played first.
    pub prompt: Option<Text>,
    /// Fewest digits.
    pub min: Option<i64>,
    /// Most digits.
    pub max: Option<i64>,
    /// A key that ends input early.
    pub terminator: Option<Text>,
    /// Wait for the first digit (ms).
    pub timeout_ms: Option<u64>,
    /// Wait between digits (ms).
    pub inter_ms: Option<u64>,
    /// Extra attempts after the first.
    pub retries: Option<i64>,
    /// A pattern the digits must match (`0-9`, `*`, `#`, `?` for any one digit, `[...]`).
    pub pattern: Option<Text>,
}

/// Options of `enqueue`.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct EnqueueOptions {
    /// Routing priority.
    pub priority: Option<Expr>,
    /// Required skills with an optional minimum level.
    pub skills: Vec<(Text, Option<i64>)>,
    /// Attributes handed to routing and the agent's screen.
    pub attrs: Vec<(Text, Expr)>,
    /// Longest wait before the failure branch (ms).
    pub timeout_ms: Option<u64>,
    /// Music on hold prompt.
    pub music: Option<Text>,
    /// Announce the position every this many ms.
    pub announce_position_ms: Option<u64>,
    /// Announce the estimated wait every this many ms.
    pub announce_wait_ms: Option<u64>,
}

/// What a statement does.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum StmtKind {
    /// `NAME:` marks a place to `goto`.
    Label(Ident),
    /// `play ITEM, ... [barge]`.
    Play {
        /// What to play, in order.
        items: Vec<PlayItem>,
        /// Whether a key press stops playback.
        barge: bool,
    },
    /// `collect VAR options... else ACTION`.
    Collect {
        /// Receives the digits.
        var: Ident,
        /// Options.
        options: CollectOptions,
        /// Where to go when no valid input came after the retries.
        on_fail: Option<Action>,
    },
    /// `menu options { KEY -> ACTION ... } else ACTION`.
    Menu {
        /// Prompts played at each attempt.
        prompts: Vec<Text>,
        /// Wait for a key (ms).
        timeout_ms: Option<u64>,
        /// Extra attempts after the first.
        retries: Option<i64>,
        /// The choices.
        arms: Vec<KeyArm>,
        /// What to do on a key that is no choice, before the next attempt.
        on_invalid: Option<Action>,
        /// What to do when no key came, before the next attempt.
        on_timeout: Option<Action>,
        /// Where to go when the attempts run out.
        on_fail: Option<Action>,
    },
    /// `if COND { } elif COND { } else { }`.
    If {
        /// Conditions and their blocks.
        arms: Vec<(Expr, Block)>,
        /// The `else` block.
        otherwise: Option<Block>,
    },
    /// `set VAR = EXPR`.
    Set {
        /// The variable.
        var: Ident,
        /// The new value.
        value: Expr,
    },
    /// `store "name" = EXPR`: keep a value with the contact record.
    Store {
        /// Attribute name.
        name: Text,
        /// Value.
        value: Expr,
    },
    /// `lookup "hook" with ARGS into VAR [timeout D] else ACTION`.
    Lookup {
        /// The host hook.
        hook: Text,
        /// Arguments.
        args: Vec<Expr>,
        /// Receives the answer (text).
        into: Ident,
        /// How long to wait (ms).
        timeout_ms: Option<u64>,
        /// Where to go on failure or timeout.
        on_fail: Option<Action>,
    },
    /// `language EXPR`: session language for prompts, and `lang:` skill for routing.
    Language(Expr),
    /// `enqueue "queue" options { key K -> ACTION } else ACTION`.
    Enqueue {
        /// The queue.
        queue: Text,
        /// Options.
        options: EnqueueOptions,
        /// Keys that leave the queue.
        keys: Vec<KeyArm>,
        /// Where to go when the queue gives the contact back (timeout, overflow, closed).
        on_fail: Option<Action>,
    },
    /// `transfer number EXPR | agent "id" | external "name" else ACTION`.
    Transfer {
        /// Where to.
        target: TransferTarget,
        /// Where to go if the transfer fails.
        on_fail: Option<Action>,
    },
    /// `callback "queue" confirm | ask "prompt" else ACTION`.
    Callback {
        /// The queue that will call back.
        queue: Text,
        /// How the number is obtained.
        number: CallbackNumber,
        /// Where to go if no callback could be registered.
        on_fail: Option<Action>,
    },
    /// `voicemail "box" [greeting "p"] [max D] [beep] else ACTION`.
    Voicemail {
        /// The mailbox.
        mailbox: Text,
        /// Greeting prompt.
        greeting: Option<Text>,
        /// Longest message (ms).
        max_ms: Option<u64>,
        /// Whether a beep precedes recording.
        beep: bool,
        /// Where to go if recording failed or nothing was said.
        on_fail: Option<Action>,
    },
    /// `survey { question "p" scale 1 to 5 into VAR ... }`.
    Survey(Vec<Question>),
    /// `record pause` / `record resume`.
    Record {
        /// `true` for pause, `false` for resume.
        pause: bool,
    },
    /// `call SUB(ARGS)`.
    Call {
        /// The sub-flow.
        sub: Ident,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// `return` from a sub-flow.
    Return,
    /// `goto LABEL`.
    Goto(Ident),
    /// `hangup`.
    Hangup,
}

/// An expression.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expr {
    /// What it computes.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum BinOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+` (numbers add, text joins)
    Add,
    /// `-`
    Sub,
}

impl BinOp {
    /// The operator as written.
    pub const fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
        }
    }
}

/// Expression forms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ExprKind {
    /// `"text"`.
    Str(String),
    /// `42`.
    Num(i64),
    /// `true` / `false`.
    Bool(bool),
    /// A variable or a built-in (`caller`, `called`, `language`).
    Var(String),
    /// `a OP b`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `not e`.
    Not(Box<Expr>),
    /// `-e`.
    Neg(Box<Expr>),
    /// `e in list "name"`.
    InList(Box<Expr>, Text),
    /// `open("calendar")`: within business hours and not a holiday.
    Open(Text),
    /// `holiday("calendar")`: a holiday of that calendar today.
    Holiday(Text),
}

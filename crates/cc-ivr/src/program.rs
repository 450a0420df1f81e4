//! The compiled form of a flow: flat code per body with explicit jumps, variables in
//! numbered slots, constants folded. It is what sessions run, serde-serializable, and
//! versioned by a hash of its content, so a running session keeps the version it started
//! with when a new one is loaded.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use cc_core::{DtmfDigit, Value};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ast::{
    Action, BinOp, Block, CallbackNumber, Expr, ExprKind, Flow, PlayItem, Stmt, StmtKind, TransferTarget,
    Type,
};
use crate::check::{BUILTINS, check};
use crate::diagnostic::{Diagnostic, Severity};
use crate::env::Environment;
use crate::parser::parse;
use crate::pattern::DigitPattern;

/// Index of an operation within its body.
pub type Pc = u32;

/// A compiled expression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum IrExpr {
    /// A constant.
    Const(Value),
    /// A variable slot.
    Var(u16),
    /// The caller's number.
    Caller,
    /// The number dialled.
    Called,
    /// The session language.
    Language,
    /// `not e`.
    Not(Box<IrExpr>),
    /// `-e`.
    Neg(Box<IrExpr>),
    /// `a op b`.
    Bin(BinOp, Box<IrExpr>, Box<IrExpr>),
    /// Membership in a named list.
    InList(Box<IrExpr>, String),
    /// A calendar is open.
    Open(String),
    /// Today is a holiday of a calendar.
    Holiday(String),
}

/// Something to play, compiled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum IrPlay {
    /// A prompt key.
    Prompt(String),
    /// A sound file.
    File(String),
    /// A number read as a quantity.
    Number(IrExpr),
    /// Digits one by one.
    Digits(IrExpr),
    /// A date.
    Date(IrExpr),
    /// Money in cents.
    Money(IrExpr),
}

/// Where a transfer goes, compiled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum IrTransfer {
    /// A number.
    Number(IrExpr),
    /// An agent.
    Agent(String),
    /// A named external destination.
    External(String),
}

/// One operation. Every operation names where control goes next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// Play items, then go on.
    Play {
        /// Items.
        items: Vec<IrPlay>,
        /// A key cuts playback short (and is kept for the next input).
        barge: bool,
        /// Next.
        next: Pc,
    },
    /// Collect digits into a slot.
    Collect {
        /// Destination slot.
        var: u16,
        /// Prompt played at each attempt.
        prompt: Option<String>,
        /// Fewest digits.
        min: u8,
        /// Most digits.
        max: u8,
        /// Terminator key.
        terminator: Option<DtmfDigit>,
        /// First-digit wait (ms).
        timeout_ms: u64,
        /// Inter-digit wait (ms).
        inter_ms: u64,
        /// Extra attempts.
        retries: u8,
        /// Validation.
        pattern: Option<DigitPattern>,
        /// On valid input.
        ok: Pc,
        /// When attempts run out.
        fail: Pc,
    },
    /// Wait for a menu key.
    Menu {
        /// Prompts played at each attempt.
        prompts: Vec<String>,
        /// Key wait (ms).
        timeout_ms: u64,
        /// Extra attempts.
        retries: u8,
        /// Keys and where they go.
        arms: Vec<(DtmfDigit, Pc)>,
        /// Handler for a wrong key; `None`: try again at once.
        invalid: Option<Pc>,
        /// Handler for no key; `None`: try again at once.
        timeout: Option<Pc>,
        /// When attempts run out.
        fail: Pc,
    },
    /// Back to a menu or collect after its invalid/timeout handler (counts an attempt).
    Retry {
        /// The menu's pc.
        target: Pc,
    },
    /// Conditional jump.
    Branch {
        /// Condition.
        cond: IrExpr,
        /// When true.
        then: Pc,
        /// When false.
        otherwise: Pc,
    },
    /// Assign a slot.
    Set {
        /// Slot.
        var: u16,
        /// Value.
        value: IrExpr,
        /// Next.
        next: Pc,
    },
    /// Keep a value with the contact.
    Store {
        /// Attribute name.
        name: String,
        /// Value.
        value: IrExpr,
        /// Next.
        next: Pc,
    },
    /// Ask the host.
    Lookup {
        /// Hook name.
        hook: String,
        /// Arguments.
        args: Vec<IrExpr>,
        /// Destination slot.
        into: u16,
        /// Wait (ms).
        timeout_ms: u64,
        /// On an answer.
        ok: Pc,
        /// On failure or timeout.
        fail: Pc,
    },
    /// Set the session language.
    Language {
        /// The tag.
        value: IrExpr,
        /// Next.
        next: Pc,
    },
    /// Wait for an agent.
    Enqueue {
        /// Queue.
        queue: String,
        /// Priority.
        priority: Option<IrExpr>,
        /// Skills and minimum levels.
        skills: Vec<(String, Option<u8>)>,
        /// Attributes.
        attrs: Vec<(String, IrExpr)>,
        /// Longest wait (ms).
        timeout_ms: Option<u64>,
        /// Music on hold.
        music: Option<String>,
        /// Position announcement interval (ms).
        announce_position_ms: Option<u64>,
        /// Wait announcement interval (ms).
        announce_wait_ms: Option<u64>,
        /// Keys that leave the queue.
        keys: Vec<(DtmfDigit, Pc)>,
        /// After the agent hangs up, caller still there.
        done: Pc,
        /// When the queue hands the caller back.
        fail: Pc,
    },
    /// Transfer out; the flow ends on success.
    Transfer {
        /// Destination.
        target: IrTransfer,
        /// On failure.
        fail: Pc,
    },
    /// Register a callback.
    Callback {
        /// Queue.
        queue: String,
        /// How the number is obtained: `None` confirms the caller's, `Some(prompt)` asks.
        ask: Option<String>,
        /// On success.
        ok: Pc,
        /// On failure.
        fail: Pc,
    },
    /// Record a message.
    Voicemail {
        /// Mailbox.
        mailbox: String,
        /// Greeting.
        greeting: Option<String>,
        /// Longest message (ms).
        max_ms: u64,
        /// Beep first.
        beep: bool,
        /// On success.
        ok: Pc,
        /// On failure.
        fail: Pc,
    },
    /// Ask survey questions.
    Survey {
        /// Prompt, low, high and destination slot of each question.
        questions: Vec<(String, u8, u8, u16)>,
        /// Next.
        next: Pc,
    },
    /// Pause or resume recording.
    Record {
        /// Pause (else resume).
        pause: bool,
        /// Next.
        next: Pc,
    },
    /// Call a sub-flow.
    Call {
        /// Body index.
        body: u16,
        /// Arguments, assigned to the callee's parameter slots.
        args: Vec<IrExpr>,
        /// Where to continue after return.
        next: Pc,
    },
    /// Return from a sub-flow (in main: end the flow).
    Return,
    /// Hang up.
    Hangup,
    /// Jump.
    Jump(Pc),
}

/// One body: main or a sub-flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Code {
    /// `main` or the sub-flow's name.
    pub name: String,
    /// Parameter slots.
    pub params: Vec<u16>,
    /// Operations; execution starts at 0.
    pub ops: Vec<Op>,
    /// Source line of each operation (1-based), for coverage reports and errors.
    pub lines: Vec<u32>,
}

/// A compiled flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Program {
    /// The flow's name.
    pub name: String,
    /// Content hash (first 16 hex digits of SHA-256 over the rest of the program).
    pub version: String,
    /// Variable slots: name, type and initial value (parameters start as defaults).
    pub vars: Vec<(String, Type, Value)>,
    /// Bodies; 0 is main.
    pub bodies: Vec<Code>,
}

/// Default waits, when a flow does not say.
pub(crate) const DEFAULT_COLLECT_TIMEOUT_MS: u64 = 5_000;
pub(crate) const DEFAULT_INTER_DIGIT_MS: u64 = 3_000;
pub(crate) const DEFAULT_MENU_TIMEOUT_MS: u64 = 5_000;
pub(crate) const DEFAULT_HOOK_TIMEOUT_MS: u64 = 3_000;
pub(crate) const DEFAULT_VOICEMAIL_MAX_MS: u64 = 120_000;

/// Why a flow did not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("flow has {} error(s); first: {}", errors.len(), errors.first().map_or("", |d| d.message.as_str()))]
pub struct CompileError {
    /// Every error (warnings are not reasons to refuse a flow).
    pub errors: Vec<Diagnostic>,
}

impl Program {
    /// Parses, checks and compiles flow source. Refuses a flow with any error.
    pub fn compile(source: &str, env: &Environment) -> Result<Arc<Program>, CompileError> {
        let parsed = parse(source);
        let mut errors: Vec<Diagnostic> = parsed.diagnostics;
        let Some(flow) = parsed.flow else {
            return Err(CompileError { errors });
        };
        errors.extend(
            check(&flow, env)
                .into_iter()
                .filter(|d| d.severity == Severity::Error),
        );
        if !errors.is_empty() {
            return Err(CompileError { errors });
        }
        Ok(Arc::new(lower(&flow, source)))
    }

    /// The main body.
    pub fn main(&self) -> &Code {
        &self.bodies[0]
    }
}

fn default_value(ty: Type) -> Value {
    match ty {
        Type::String => Value::Text(String::new()),
        Type::Number => Value::Number(0),
        Type::Bool => Value::Bool(false),
    }
}

/// Lowers a checked flow. Only called on flows without errors, so names resolve.
fn lower(flow: &Flow, source: &str) -> Program {
    let mut slots: HashMap<String, u16> = HashMap::new();
    let mut vars = Vec::new();
    for var in &flow.vars {
        slots.insert(var.name.name.clone(), vars.len() as u16);
        let init = const_value(&var.init).unwrap_or_else(|| default_value(var.ty));
        vars.push((var.name.name.clone(), var.ty, init));
    }
    let sub_index: HashMap<String, u16> = flow
        .subs
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.name.clone(), (i + 1) as u16))
        .collect();
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(source.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut bodies = Vec::new();
    if let Some(main) = &flow.main {
        bodies.push(
            Lowerer::new(&slots, &sub_index, &line_starts, "main", Vec::new()).body(main, &HashMap::new()),
        );
    }
    for sub in &flow.subs {
        let mut locals = HashMap::new();
        let mut params = Vec::new();
        for (param, ty) in &sub.params {
            let slot = vars.len() as u16;
            vars.push((
                format!("{}.{}", sub.name.name, param.name),
                *ty,
                default_value(*ty),
            ));
            locals.insert(param.name.clone(), slot);
            params.push(slot);
        }
        bodies.push(
            Lowerer::new(&slots, &sub_index, &line_starts, &sub.name.name, params).body(&sub.body, &locals),
        );
    }
    let mut program = Program {
        name: flow.name.name.clone(),
        version: String::new(),
        vars,
        bodies,
    };
    program.version = content_hash(&program);
    program
}

fn content_hash(program: &Program) -> String {
    let json = serde_json::to_vec(program).unwrap_or_default();
    let digest = Sha256::digest(&json);
    let mut hex = String::with_capacity(16);
    for byte in &digest[..8] {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

fn const_value(expr: &Expr) -> Option<Value> {
    match &expr.kind {
        ExprKind::Str(s) => Some(Value::Text(s.clone())),
        ExprKind::Num(n) => Some(Value::Number(*n)),
        ExprKind::Bool(b) => Some(Value::Bool(*b)),
        ExprKind::Neg(inner) => match const_value(inner)? {
            Value::Number(n) => n.checked_neg().map(Value::Number),
            _ => None,
        },
        ExprKind::Not(inner) => match const_value(inner)? {
            Value::Bool(b) => Some(Value::Bool(!b)),
            _ => None,
        },
        _ => None,
    }
}

/// Where an operation's successor goes before its pc is known.
enum Next {
    Pc(Pc),
    Label(String),
}

struct Lowerer<'a> {
    globals: &'a HashMap<String, u16>,
    subs: &'a HashMap<String, u16>,
    line_starts: &'a [usize],
    name: String,
    params: Vec<u16>,
    ops: Vec<Op>,
    lines: Vec<u32>,
    labels: HashMap<String, Pc>,
    /// Jumps to labels to patch: (op, which successor, label).
    patches: Vec<(Pc, usize, String)>,
}

impl<'a> Lowerer<'a> {
    fn new(
        globals: &'a HashMap<String, u16>,
        subs: &'a HashMap<String, u16>,
        line_starts: &'a [usize],
        name: &str,
        params: Vec<u16>,
    ) -> Self {
        Self {
            globals,
            subs,
            line_starts,
            name: name.to_owned(),
            params,
            ops: Vec::new(),
            lines: Vec::new(),
            labels: HashMap::new(),
            patches: Vec::new(),
        }
    }

    fn body(mut self, block: &Block, locals: &HashMap<String, u16>) -> Code {
        // pc 0 jumps to the entry (known only at the end); pc 1 is the body's end, which
        // returns (from main: ends the flow).
        let at = block.span.start;
        self.emit(Op::Jump(0), at);
        let end = self.emit(Op::Return, block.span.end.saturating_sub(1));
        let entry = self.block(block, end, locals);
        self.ops[0] = Op::Jump(entry);
        let patches = std::mem::take(&mut self.patches);
        for (pc, index, label) in patches {
            // The checker guarantees labels exist; an unknown one ends the body.
            let target = self.labels.get(&label).copied().unwrap_or(end);
            if let Some(slot) = successors_mut(&mut self.ops[pc as usize]).into_iter().nth(index) {
                *slot = target;
            }
        }
        Code {
            name: self.name,
            params: self.params,
            ops: self.ops,
            lines: self.lines,
        }
    }

    fn line(&self, offset: u32) -> u32 {
        self.line_starts.partition_point(|&s| s <= offset as usize) as u32
    }

    fn emit(&mut self, op: Op, offset: u32) -> Pc {
        self.ops.push(op);
        self.lines.push(self.line(offset));
        (self.ops.len() - 1) as Pc
    }

    /// Lowers statements back to front, so each knows its successor.
    fn block(&mut self, block: &Block, next: Pc, locals: &HashMap<String, u16>) -> Pc {
        let mut next = next;
        for stmt in block.stmts.iter().rev() {
            next = self.stmt(stmt, next, locals);
        }
        next
    }

    fn action(&mut self, action: &Action, next: Pc, locals: &HashMap<String, u16>) -> Next {
        match action {
            Action::Goto(label) => Next::Label(label.name.clone()),
            Action::Block(block) => Next::Pc(self.block(block, next, locals)),
            Action::Stmt(stmt) => Next::Pc(self.stmt(stmt, next, locals)),
        }
    }

    fn fail(&mut self, on_fail: Option<&Action>, next: Pc, locals: &HashMap<String, u16>) -> Next {
        match on_fail {
            Some(action) => self.action(action, next, locals),
            None => Next::Pc(next),
        }
    }

    fn resolve(next: &Next) -> Pc {
        match next {
            Next::Pc(p) => *p,
            Next::Label(_) => Pc::MAX,
        }
    }

    /// Emits an op whose successor slots are filled from `nexts` (labels patched later).
    fn finish(&mut self, op: Op, nexts: &[Next], offset: u32) -> Pc {
        let pc = self.ops.len() as Pc;
        let mut op = op;
        for (i, (slot, next)) in successors_mut(&mut op).into_iter().zip(nexts).enumerate() {
            *slot = Self::resolve(next);
            if let Next::Label(l) = next {
                self.patches.push((pc, i, l.clone()));
            }
        }
        self.emit(op, offset);
        pc
    }

    fn stmt(&mut self, stmt: &Stmt, next: Pc, locals: &HashMap<String, u16>) -> Pc {
        let at = stmt.span.start;
        let slot = |name: &str| {
            locals
                .get(name)
                .or_else(|| self.globals.get(name))
                .copied()
                .unwrap_or(0)
        };
        match &stmt.kind {
            StmtKind::Label(label) => {
                // A label is a no-op jump to what follows, so `goto` has a pc to land on.
                let pc = self.emit(Op::Jump(next), at);
                self.labels.insert(label.name.clone(), pc);
                pc
            }
            StmtKind::Play { items, barge } => {
                let items = items.iter().map(|i| self.play_item(i, locals)).collect();
                self.emit(
                    Op::Play {
                        items,
                        barge: *barge,
                        next,
                    },
                    at,
                )
            }
            StmtKind::Collect {
                var,
                options,
                on_fail,
            } => {
                let var = slot(&var.name);
                let fail = self.fail(on_fail.as_ref(), next, locals);
                let min = options.min.unwrap_or(1).clamp(1, 64) as u8;
                let op = Op::Collect {
                    var,
                    prompt: options.prompt.as_ref().map(|p| p.value.clone()),
                    min,
                    max: options.max.unwrap_or(i64::from(min)).clamp(1, 64) as u8,
                    terminator: options
                        .terminator
                        .as_ref()
                        .and_then(|t| t.value.chars().next())
                        .and_then(|c| DtmfDigit::from_char(c).ok()),
                    timeout_ms: options.timeout_ms.unwrap_or(DEFAULT_COLLECT_TIMEOUT_MS),
                    inter_ms: options.inter_ms.unwrap_or(DEFAULT_INTER_DIGIT_MS),
                    retries: options.retries.unwrap_or(0).clamp(0, 10) as u8,
                    pattern: options
                        .pattern
                        .as_ref()
                        .and_then(|p| DigitPattern::parse(&p.value).ok()),
                    ok: 0,
                    fail: 0,
                };
                self.finish(op, &[Next::Pc(next), fail], at)
            }
            StmtKind::Menu {
                prompts,
                timeout_ms,
                retries,
                arms,
                on_invalid,
                on_timeout,
                on_fail,
            } => {
                // The menu's own pc is known only after its handlers are lowered; they
                // end in a `Retry` op patched to point at it.
                let mut retries_to_patch = Vec::new();
                let mut handler = |this: &mut Self, action: &Option<Action>| {
                    action.as_ref().map(|a| {
                        let retry = this.emit(Op::Retry { target: 0 }, at);
                        retries_to_patch.push(retry);
                        this.action(a, retry, locals)
                    })
                };
                let invalid = handler(self, on_invalid);
                let timeout = handler(self, on_timeout);
                let fail = self.fail(on_fail.as_ref(), next, locals);
                let arm_nexts: Vec<Next> = arms
                    .iter()
                    .map(|arm| self.action(&arm.action, next, locals))
                    .collect();
                let op = Op::Menu {
                    prompts: prompts.iter().map(|p| p.value.clone()).collect(),
                    timeout_ms: timeout_ms.unwrap_or(DEFAULT_MENU_TIMEOUT_MS),
                    retries: retries.unwrap_or(2).clamp(0, 10) as u8,
                    arms: arms.iter().map(|a| (a.key, 0)).collect(),
                    invalid: invalid.as_ref().map(|_| 0),
                    timeout: timeout.as_ref().map(|_| 0),
                    fail: 0,
                };
                let mut nexts = arm_nexts;
                nexts.extend(invalid);
                nexts.extend(timeout);
                nexts.push(fail);
                let pc = self.finish(op, &nexts, at);
                for retry in retries_to_patch {
                    self.ops[retry as usize] = Op::Retry { target: pc };
                }
                pc
            }
            StmtKind::If { arms, otherwise } => {
                let mut else_pc = match otherwise {
                    Some(block) => self.block(block, next, locals),
                    None => next,
                };
                for (cond, block) in arms.iter().rev() {
                    let then = self.block(block, next, locals);
                    let cond = self.expr(cond, locals);
                    else_pc = self.emit(
                        Op::Branch {
                            cond,
                            then,
                            otherwise: else_pc,
                        },
                        at,
                    );
                }
                else_pc
            }
            StmtKind::Set { var, value } => {
                let value = self.expr(value, locals);
                self.emit(
                    Op::Set {
                        var: slot(&var.name),
                        value,
                        next,
                    },
                    at,
                )
            }
            StmtKind::Store { name, value } => {
                let value = self.expr(value, locals);
                self.emit(
                    Op::Store {
                        name: name.value.clone(),
                        value,
                        next,
                    },
                    at,
                )
            }
            StmtKind::Lookup {
                hook,
                args,
                into,
                timeout_ms,
                on_fail,
            } => {
                let into = slot(&into.name);
                let args = args.iter().map(|a| self.expr(a, locals)).collect();
                let fail = self.fail(on_fail.as_ref(), next, locals);
                let op = Op::Lookup {
                    hook: hook.value.clone(),
                    args,
                    into,
                    timeout_ms: timeout_ms.unwrap_or(DEFAULT_HOOK_TIMEOUT_MS),
                    ok: 0,
                    fail: 0,
                };
                self.finish(op, &[Next::Pc(next), fail], at)
            }
            StmtKind::Language(e) => {
                let value = self.expr(e, locals);
                self.emit(Op::Language { value, next }, at)
            }
            StmtKind::Enqueue {
                queue,
                options,
                keys,
                on_fail,
            } => {
                let fail = self.fail(on_fail.as_ref(), next, locals);
                let key_nexts: Vec<Next> = keys
                    .iter()
                    .map(|k| self.action(&k.action, next, locals))
                    .collect();
                let op = Op::Enqueue {
                    queue: queue.value.clone(),
                    priority: options.priority.as_ref().map(|p| self.expr(p, locals)),
                    skills: options
                        .skills
                        .iter()
                        .map(|(s, l)| (s.value.clone(), l.map(|l| l.clamp(1, 10) as u8)))
                        .collect(),
                    attrs: options
                        .attrs
                        .iter()
                        .map(|(n, v)| (n.value.clone(), self.expr(v, locals)))
                        .collect(),
                    timeout_ms: options.timeout_ms,
                    music: options.music.as_ref().map(|m| m.value.clone()),
                    announce_position_ms: options.announce_position_ms,
                    announce_wait_ms: options.announce_wait_ms,
                    keys: keys.iter().map(|k| (k.key, 0)).collect(),
                    done: 0,
                    fail: 0,
                };
                let mut nexts = key_nexts;
                nexts.push(Next::Pc(next));
                nexts.push(fail);
                self.finish(op, &nexts, at)
            }
            StmtKind::Transfer { target, on_fail } => {
                let target = match target {
                    TransferTarget::Number(e) => IrTransfer::Number(self.expr(e, locals)),
                    TransferTarget::Agent(a) => IrTransfer::Agent(a.value.clone()),
                    TransferTarget::External(x) => IrTransfer::External(x.value.clone()),
                };
                let fail = self.fail(on_fail.as_ref(), next, locals);
                self.finish(Op::Transfer { target, fail: 0 }, &[fail], at)
            }
            StmtKind::Callback {
                queue,
                number,
                on_fail,
            } => {
                let fail = self.fail(on_fail.as_ref(), next, locals);
                let op = Op::Callback {
                    queue: queue.value.clone(),
                    ask: match number {
                        CallbackNumber::Confirm => None,
                        CallbackNumber::Ask(p) => Some(p.value.clone()),
                    },
                    ok: 0,
                    fail: 0,
                };
                self.finish(op, &[Next::Pc(next), fail], at)
            }
            StmtKind::Voicemail {
                mailbox,
                greeting,
                max_ms,
                beep,
                on_fail,
            } => {
                let fail = self.fail(on_fail.as_ref(), next, locals);
                let op = Op::Voicemail {
                    mailbox: mailbox.value.clone(),
                    greeting: greeting.as_ref().map(|g| g.value.clone()),
                    max_ms: max_ms.unwrap_or(DEFAULT_VOICEMAIL_MAX_MS),
                    beep: *beep,
                    ok: 0,
                    fail: 0,
                };
                self.finish(op, &[Next::Pc(next), fail], at)
            }
            StmtKind::Survey(questions) => {
                let questions = questions
                    .iter()
                    .map(|q| {
                        (
                            q.prompt.value.clone(),
                            q.low.clamp(0, 9) as u8,
                            q.high.clamp(0, 9) as u8,
                            slot(&q.into.name),
                        )
                    })
                    .collect();
                self.emit(Op::Survey { questions, next }, at)
            }
            StmtKind::Record { pause } => self.emit(Op::Record { pause: *pause, next }, at),
            StmtKind::Call { sub, args } => {
                let args = args.iter().map(|a| self.expr(a, locals)).collect();
                let body = self.subs.get(&sub.name).copied().unwrap_or(0);
                self.emit(Op::Call { body, args, next }, at)
            }
            StmtKind::Return => self.emit(Op::Return, at),
            StmtKind::Hangup => self.emit(Op::Hangup, at),
            StmtKind::Goto(label) => self.finish(Op::Jump(0), &[Next::Label(label.name.clone())], at),
        }
    }

    fn play_item(&self, item: &PlayItem, locals: &HashMap<String, u16>) -> IrPlay {
        match item {
            PlayItem::Prompt(p) => IrPlay::Prompt(p.value.clone()),
            PlayItem::File(f) => IrPlay::File(f.value.clone()),
            PlayItem::Number(e) => IrPlay::Number(self.expr(e, locals)),
            PlayItem::Digits(e) => IrPlay::Digits(self.expr(e, locals)),
            PlayItem::Date(e) => IrPlay::Date(self.expr(e, locals)),
            PlayItem::Money(e) => IrPlay::Money(self.expr(e, locals)),
        }
    }

    fn expr(&self, expr: &Expr, locals: &HashMap<String, u16>) -> IrExpr {
        if let Some(value) = const_value(expr) {
            return IrExpr::Const(value);
        }
        let boxed = |e: &Expr| Box::new(self.expr(e, locals));
        match &expr.kind {
            ExprKind::Str(s) => IrExpr::Const(Value::Text(s.clone())),
            ExprKind::Num(n) => IrExpr::Const(Value::Number(*n)),
            ExprKind::Bool(b) => IrExpr::Const(Value::Bool(*b)),
            ExprKind::Var(name) => match name.as_str() {
                _ if locals.contains_key(name) || self.globals.contains_key(name) => IrExpr::Var(
                    locals
                        .get(name)
                        .or_else(|| self.globals.get(name))
                        .copied()
                        .unwrap_or(0),
                ),
                "caller" => IrExpr::Caller,
                "called" => IrExpr::Called,
                _ => {
                    debug_assert!(BUILTINS.iter().any(|(b, _)| *b == name));
                    IrExpr::Language
                }
            },
            ExprKind::Not(e) => IrExpr::Not(boxed(e)),
            ExprKind::Neg(e) => IrExpr::Neg(boxed(e)),
            ExprKind::Binary(op, l, r) => IrExpr::Bin(*op, boxed(l), boxed(r)),
            ExprKind::InList(e, list) => IrExpr::InList(boxed(e), list.value.clone()),
            ExprKind::Open(c) => IrExpr::Open(c.value.clone()),
            ExprKind::Holiday(c) => IrExpr::Holiday(c.value.clone()),
        }
    }
}

/// The successor slots of an operation, in a fixed order: the order `finish` fills them.
pub(crate) fn successors_mut(op: &mut Op) -> Vec<&mut Pc> {
    match op {
        Op::Play { next, .. }
        | Op::Set { next, .. }
        | Op::Store { next, .. }
        | Op::Language { next, .. }
        | Op::Survey { next, .. }
        | Op::Record { next, .. }
        | Op::Call { next, .. } => vec![next],
        Op::Collect { ok, fail, .. } | Op::Lookup { ok, fail, .. } | Op::Callback { ok, fail, .. } => {
            vec![ok, fail]
        }
        Op::Voicemail { ok, fail, .. } => vec![ok, fail],
        Op::Menu {
            arms,
            invalid,
            timeout,
            fail,
            ..
        } => {
            let mut out: Vec<&mut Pc> = arms.iter_mut().map(|(_, pc)| pc).collect();
            out.extend(invalid.as_mut());
            out.extend(timeout.as_mut());
            out.push(fail);
            out
        }
        Op::Branch { then, otherwise, .. } => vec![then, otherwise],
        Op::Enqueue { keys, done, fail, .. } => {
            let mut out: Vec<&mut Pc> = keys.iter_mut().map(|(_, pc)| pc).collect();
            out.push(done);
            out.push(fail);
            out
        }
        Op::Transfer { fail, .. } => vec![fail],
        Op::Retry { target } | Op::Jump(target) => vec![target],
        Op::Return | Op::Hangup => Vec::new(),
    }
}

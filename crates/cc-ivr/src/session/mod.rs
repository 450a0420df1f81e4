//! The sans-IO interpreter: one [`Session`] per caller, driven by events and time.
//!
//! The host (the center, a test script, a C program) feeds what happened with
//! [`Session::handle_event`] and [`Session::handle_timeout`], and carries out what the
//! flow asks for by draining [`Session::poll_action`]: play prompts, call a hook, queue
//! the caller, transfer, hang up. [`Session::poll_timeout`] says when the session next
//! needs the time. Nothing here reads a clock or touches I/O.
//!
//! Between two events a session runs at most [`MAX_STEPS_PER_EVENT`] operations; a flow
//! that would run longer without waiting (the checker rejects such loops, but flows
//! compiled without an environment could still compute forever) is ended with
//! [`Action::Failed`].

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cc_core::{DtmfDigit, Language, Value};

use crate::program::{IrTransfer, Op, Pc, Program};

/// Operations one event may run before the session is declared runaway.
pub const MAX_STEPS_PER_EVENT: u32 = 10_000;
/// Deepest sub-flow nesting.
pub const MAX_CALL_DEPTH: usize = 32;
/// Keys remembered for the next input when the caller types ahead.
const TYPE_AHEAD: usize = 32;
/// How long a survey waits for each answer.
const SURVEY_ANSWER_MS: u64 = 5_000;

mod eval;
mod input;
mod types;

pub use types::{Action, Event, PlayPiece, QueueEvent, Resources, SessionContext, TransferTo};

/// What the session waits for.
#[derive(Debug, Clone, PartialEq)]
enum Wait {
    /// Nothing: running.
    Run,
    /// Playback, then continue at `next`.
    Play { barge: bool, next: Pc },
    /// A collect: prompt playing, or reading digits.
    Collect { attempt: u8, prompting: bool },
    /// A menu: prompt playing, or waiting for a key.
    Menu { attempt: u8, prompting: bool },
    /// A hook answer.
    Hook { id: u32 },
    /// In a queue, or talking to an agent.
    Queue { answered: bool },
    /// A transfer's outcome.
    Transfer,
    /// A callback's outcome.
    Callback,
    /// A voicemail's outcome.
    Voicemail,
    /// A survey answer to question `index`.
    Survey { index: usize, prompting: bool },
    /// Over.
    Ended,
}

#[derive(Debug, Clone)]
struct Frame {
    body: u16,
    /// The `Call` operation, for coverage of its return edge.
    call_pc: Pc,
    return_to: Pc,
    saved: Vec<Value>,
}

/// What a traced session ran: operations and the edges between them.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// How many times each operation ran: `visits[body][pc]`.
    pub visits: Vec<Vec<u32>>,
    /// Edges taken within a body: (body, from, to).
    pub edges: HashSet<(u16, Pc, Pc)>,
    last: Option<(u16, Pc)>,
}

impl Trace {
    fn new(program: &Program) -> Self {
        Self {
            visits: program.bodies.iter().map(|b| vec![0; b.ops.len()]).collect(),
            edges: HashSet::new(),
            last: None,
        }
    }

    fn enter(&mut self, body: u16, pc: Pc) {
        if let Some((last_body, from)) = self.last
            && last_body == body
        {
            self.edges.insert((body, from, pc));
        }
        if let Some(count) = self
            .visits
            .get_mut(usize::from(body))
            .and_then(|b| b.get_mut(pc as usize))
        {
            *count = count.saturating_add(1);
        }
        self.last = Some((body, pc));
    }
}

/// One caller's walk through a flow.
#[derive(Debug)]
pub struct Session {
    program: Arc<Program>,
    ctx: SessionContext,
    vars: Vec<Value>,
    /// `ctx.caller` and `ctx.called` as values, so conditions can borrow them.
    caller: Value,
    called: Value,
    language: String,
    body: u16,
    pc: Pc,
    stack: Vec<Frame>,
    wait: Wait,
    deadline: Option<Instant>,
    digits: String,
    type_ahead: VecDeque<DtmfDigit>,
    retrying: bool,
    /// Attempts used by the current menu; survives its handlers' `Retry`.
    menu_attempts: u8,
    next_hook: u32,
    actions: VecDeque<Action>,
    /// What ran, when tracing (flow tests and coverage reports).
    trace: Option<Box<Trace>>,
}

impl Session {
    /// Starts a session at the beginning of `program`'s main body and runs it until it
    /// first waits; drain [`Session::poll_action`] next.
    pub fn new(program: Arc<Program>, ctx: SessionContext) -> Self {
        Self::start(program, ctx, false)
    }

    /// Like [`Session::new`], and records every operation and edge it runs (see
    /// [`Session::trace`]), for flow tests and coverage reports.
    pub fn traced(program: Arc<Program>, ctx: SessionContext) -> Self {
        Self::start(program, ctx, true)
    }

    fn start(program: Arc<Program>, ctx: SessionContext, traced: bool) -> Self {
        let vars = program.vars.iter().map(|(_, _, v)| v.clone()).collect();
        let trace = traced.then(|| Box::new(Trace::new(&program)));
        let now = ctx.start;
        let mut session = Self {
            language: ctx.language.clone(),
            caller: Value::Text(ctx.caller.clone()),
            called: Value::Text(ctx.called.clone()),
            program,
            ctx,
            vars,
            body: 0,
            pc: 0,
            stack: Vec::new(),
            wait: Wait::Run,
            deadline: None,
            digits: String::new(),
            type_ahead: VecDeque::new(),
            retrying: false,
            menu_attempts: 0,
            next_hook: 1,
            actions: VecDeque::new(),
            trace,
        };
        session.run(now);
        session
    }

    /// The version of the program this session runs (it keeps it to the end).
    pub fn version(&self) -> &str {
        &self.program.version
    }

    /// The next thing to do, if any.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When the session next needs [`Session::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    /// Whether the flow is over (hung up, transferred, failed or finished).
    pub fn is_finished(&self) -> bool {
        self.wait == Wait::Ended
    }

    /// The session language.
    pub fn language(&self) -> &str {
        &self.language
    }

    /// The value of a flow variable by name (`None` for unknown names).
    pub fn var(&self, name: &str) -> Option<&Value> {
        self.program
            .vars
            .iter()
            .position(|(n, _, _)| n == name)
            .and_then(|i| self.vars.get(i))
    }

    /// Approximate memory held by the session, in bytes: its own size plus the buffers
    /// it owns (variables, digits, queued actions, call stack). The program is shared
    /// and not counted.
    pub fn approx_bytes(&self) -> usize {
        let value = |v: &Value| match v {
            Value::Text(t) => t.capacity(),
            _ => 0,
        };
        std::mem::size_of::<Self>()
            + self.vars.capacity() * std::mem::size_of::<Value>()
            + self.vars.iter().map(value).sum::<usize>()
            + self.language.capacity()
            + self.digits.capacity()
            + self.type_ahead.capacity() * std::mem::size_of::<DtmfDigit>()
            + self.actions.capacity() * std::mem::size_of::<Action>()
            + self.stack.capacity() * std::mem::size_of::<Frame>()
            + self
                .stack
                .iter()
                .map(|f| f.saved.capacity() * std::mem::size_of::<Value>())
                .sum::<usize>()
            + self.ctx.caller.capacity()
            + self.ctx.called.capacity()
            + value(&self.caller)
            + value(&self.called)
            + self.ctx.language.capacity()
    }

    /// What the session ran, if it was started with [`Session::traced`].
    pub fn trace(&self) -> Option<&Trace> {
        self.trace.as_deref()
    }

    /// Fires the timer if it is due; an early call does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.deadline {
            Some(deadline) if deadline <= now => {}
            _ => return,
        }
        self.deadline = None;
        match self.wait.clone() {
            Wait::Collect { attempt, .. } => {
                if self.digits.len() >= usize::from(self.collect_min()) {
                    self.finish_collect(attempt, now);
                } else {
                    self.collect_failed(attempt, now);
                }
            }
            Wait::Menu { attempt, .. } => self.menu_miss(attempt, false, now),
            Wait::Hook { .. } => self.after(|op| matches!(op, Op::Lookup { .. }), 1, now),
            Wait::Queue { answered: false } => {
                self.actions.push_back(Action::LeaveQueue);
                self.follow_last(now);
            }
            Wait::Survey { index, .. } => self.next_question(index + 1, now),
            _ => {}
        }
    }

    /// Feeds one event.
    pub fn handle_event(&mut self, now: Instant, event: Event) {
        if self.wait == Wait::Ended {
            return;
        }
        match event {
            Event::Hangup => {
                self.end();
                return;
            }
            Event::Timeout => {
                self.handle_timeout(now);
                return;
            }
            _ => {}
        }
        match (self.wait.clone(), event) {
            (Wait::Play { barge, next }, Event::PlayDone) => {
                let _ = barge;
                self.goto(next, now);
            }
            (Wait::Play { barge: true, next }, Event::Digit(d)) => {
                self.actions.push_back(Action::StopPlay);
                self.remember(d);
                self.goto(next, now);
            }
            (
                Wait::Collect {
                    attempt,
                    prompting: true,
                },
                Event::PlayDone,
            ) => {
                self.wait = Wait::Collect {
                    attempt,
                    prompting: false,
                };
                self.arm_timer(now, self.collect_first_ms());
            }
            (Wait::Collect { attempt, prompting }, Event::Digit(d)) => {
                if prompting {
                    self.actions.push_back(Action::StopPlay);
                    self.wait = Wait::Collect {
                        attempt,
                        prompting: false,
                    };
                }
                self.collect_digit(attempt, d, now);
            }
            (
                Wait::Menu {
                    attempt,
                    prompting: true,
                },
                Event::PlayDone,
            ) => {
                self.wait = Wait::Menu {
                    attempt,
                    prompting: false,
                };
                self.arm_timer(now, self.menu_timeout_ms());
            }
            (Wait::Menu { attempt, prompting }, Event::Digit(d)) => {
                if prompting {
                    self.actions.push_back(Action::StopPlay);
                }
                self.menu_key(attempt, d, now);
            }
            (Wait::Hook { id }, Event::HookResult { id: got, result }) if id == got => {
                self.deadline = None;
                match result {
                    Ok(text) => {
                        if let Some(&Op::Lookup { into, .. }) = self.op() {
                            self.set_var(into, Value::Text(text));
                        }
                        self.after(|op| matches!(op, Op::Lookup { .. }), 0, now);
                    }
                    Err(_) => self.after(|op| matches!(op, Op::Lookup { .. }), 1, now),
                }
            }
            (Wait::Queue { answered: false }, Event::Digit(d)) => {
                if let Some(Op::Enqueue { keys, .. }) = self.op()
                    && let Some(&(_, target)) = keys.iter().find(|(k, _)| *k == d)
                {
                    self.deadline = None;
                    self.actions.push_back(Action::LeaveQueue);
                    self.goto(target, now);
                }
            }
            (Wait::Queue { .. }, Event::Queue(QueueEvent::Answered)) => {
                self.deadline = None;
                self.wait = Wait::Queue { answered: true };
            }
            (Wait::Queue { answered: true }, Event::Queue(QueueEvent::AgentDone)) => {
                if let Some(Op::Enqueue { done, .. }) = self.op() {
                    let done = *done;
                    self.goto(done, now);
                }
            }
            (Wait::Queue { .. }, Event::Queue(QueueEvent::GaveBack { .. })) => {
                self.deadline = None;
                self.follow_last(now);
            }
            (Wait::Transfer, Event::TransferResult(ok)) => {
                if ok {
                    self.end();
                } else if let Some(Op::Transfer { fail, .. }) = self.op() {
                    let fail = *fail;
                    self.goto(fail, now);
                }
            }
            (Wait::Callback, Event::CallbackResult(ok)) => {
                self.after(|op| matches!(op, Op::Callback { .. }), usize::from(!ok), now);
            }
            (Wait::Voicemail, Event::VoicemailResult(ok)) => {
                self.after(|op| matches!(op, Op::Voicemail { .. }), usize::from(!ok), now);
            }
            (
                Wait::Survey {
                    index,
                    prompting: true,
                },
                Event::PlayDone,
            ) => {
                self.wait = Wait::Survey {
                    index,
                    prompting: false,
                };
                self.arm_timer(now, SURVEY_ANSWER_MS);
            }
            (Wait::Survey { index, prompting }, Event::Digit(d)) => {
                if prompting {
                    self.actions.push_back(Action::StopPlay);
                }
                if let Some(Op::Survey { questions, .. }) = self.op()
                    && let Some(&(_, low, high, slot)) = questions.get(index)
                {
                    let code = d.event_code();
                    if code <= 9 && (low..=high).contains(&code) {
                        self.set_var(slot, Value::Number(i64::from(code)));
                    }
                }
                self.next_question(index + 1, now);
            }
            // Anything else (a digit during a plain prompt, a stale hook answer...) is
            // not for the current step.
            _ => {}
        }
    }

    // ---- running ------------------------------------------------------------------

    fn op(&self) -> Option<&Op> {
        op_at(&self.program, self.body, self.pc)
    }

    /// The current operation, borrowed from a shared handle to the program so that
    /// `self` stays free to change (no copy of the operation).
    fn current(&self) -> (Arc<Program>, u16, Pc) {
        (Arc::clone(&self.program), self.body, self.pc)
    }

    fn goto(&mut self, pc: Pc, now: Instant) {
        self.pc = pc;
        self.wait = Wait::Run;
        self.deadline = None;
        self.run(now);
    }

    /// Continues at successor `index` of the current op when it is the expected kind.
    fn after(&mut self, is: impl Fn(&Op) -> bool, index: usize, now: Instant) {
        let target = match self.op() {
            Some(op) if is(op) => successors(op).get(index).copied(),
            _ => None,
        };
        match target {
            Some(pc) => self.goto(pc, now),
            None => self.fail("internal: resumed at an unexpected step".to_owned()),
        }
    }

    /// Continues at the last successor of the current op (its failure branch).
    fn follow_last(&mut self, now: Instant) {
        let target = self.op().and_then(|op| successors(op).last().copied());
        match target {
            Some(pc) => self.goto(pc, now),
            None => self.fail("internal: no failure branch".to_owned()),
        }
    }

    fn end(&mut self) {
        self.wait = Wait::Ended;
        self.deadline = None;
    }

    fn fail(&mut self, reason: String) {
        self.actions.push_back(Action::Failed { reason });
        self.actions.push_back(Action::Hangup);
        self.end();
    }

    fn arm_timer(&mut self, now: Instant, ms: u64) {
        self.deadline = Some(now + Duration::from_millis(ms));
    }

    fn remember(&mut self, digit: DtmfDigit) {
        if self.type_ahead.len() == TYPE_AHEAD {
            self.type_ahead.pop_front();
        }
        self.type_ahead.push_back(digit);
    }

    fn set_var(&mut self, slot: u16, value: Value) {
        if let Some(v) = self.vars.get_mut(usize::from(slot)) {
            *v = value;
        }
    }

    /// Runs operations until one waits or the flow ends.
    fn run(&mut self, now: Instant) {
        let program = Arc::clone(&self.program);
        let mut steps = 0;
        while self.wait == Wait::Run {
            steps += 1;
            if steps > MAX_STEPS_PER_EVENT {
                self.fail(format!(
                    "the flow ran {MAX_STEPS_PER_EVENT} steps without waiting for the caller (a loop?)"
                ));
                return;
            }
            if let Some(trace) = &mut self.trace {
                trace.enter(self.body, self.pc);
            }
            let Some(op) = op_at(&program, self.body, self.pc) else {
                self.fail(format!("internal: no step {} in body {}", self.pc, self.body));
                return;
            };
            if let Err(reason) = self.step(op, now) {
                self.fail(reason);
            }
        }
    }

    fn step(&mut self, op: &Op, now: Instant) -> Result<(), String> {
        let retrying = std::mem::take(&mut self.retrying);
        match op {
            Op::Jump(pc) => self.pc = *pc,
            Op::Play { items, barge, next } => {
                let items = items
                    .iter()
                    .map(|i| self.piece(i, now))
                    .collect::<Result<Vec<_>, _>>()?;
                self.actions.push_back(Action::Play {
                    items,
                    language: self.language.clone(),
                    barge: *barge,
                });
                self.wait = Wait::Play {
                    barge: *barge,
                    next: *next,
                };
            }
            Op::Collect { .. } => {
                self.digits.clear();
                self.start_collect(0, now);
            }
            Op::Menu { .. } => {
                let attempt = if retrying { self.menu_attempts } else { 0 };
                self.start_menu(attempt, now);
            }
            Op::Retry { target } => {
                self.retrying = true;
                self.pc = *target;
            }
            Op::Branch {
                cond,
                then,
                otherwise,
            } => {
                self.pc = if self.truth(cond, now)? { *then } else { *otherwise };
            }
            Op::Set { var, value, next } => {
                let value = self.eval(value, now)?;
                self.set_var(*var, value);
                self.pc = *next;
            }
            Op::Store { name, value, next } => {
                let value = self.eval(value, now)?;
                self.actions.push_back(Action::SetAttribute {
                    name: name.clone(),
                    value,
                });
                self.pc = *next;
            }
            Op::Lookup {
                hook,
                args,
                timeout_ms,
                ..
            } => {
                let args = args
                    .iter()
                    .map(|a| self.eval(a, now))
                    .collect::<Result<Vec<_>, _>>()?;
                let id = self.next_hook;
                self.next_hook = self.next_hook.wrapping_add(1);
                self.actions.push_back(Action::Hook {
                    id,
                    hook: hook.clone(),
                    args,
                    timeout_ms: *timeout_ms,
                });
                self.wait = Wait::Hook { id };
                self.arm_timer(now, *timeout_ms);
            }
            Op::Language { value, next } => {
                let tag = self.text(value, now)?;
                let language = Language::new(&tag).map_err(|e| e.to_string())?;
                language.as_str().clone_into(&mut self.language);
                self.actions.push_back(Action::SetLanguage {
                    language: self.language.clone(),
                });
                self.pc = *next;
            }
            Op::Enqueue {
                queue,
                priority,
                skills,
                attrs,
                timeout_ms,
                music,
                announce_position_ms,
                announce_wait_ms,
                ..
            } => {
                let priority = match priority {
                    Some(p) => match self.eval(p, now)? {
                        Value::Number(n) => u8::try_from(n.clamp(0, 255)).unwrap_or(u8::MAX),
                        other => return Err(format!("priority {other} is not a number")),
                    },
                    None => 0,
                };
                let attributes = attrs
                    .iter()
                    .map(|(n, v)| Ok((n.clone(), self.eval(v, now)?)))
                    .collect::<Result<Vec<_>, String>>()?;
                self.actions.push_back(Action::Enqueue {
                    queue: queue.clone(),
                    priority,
                    skills: skills.iter().map(|(s, l)| (s.clone(), l.unwrap_or(1))).collect(),
                    attributes,
                    language: self.language.clone(),
                    music: music.clone(),
                    announce_position_ms: *announce_position_ms,
                    announce_wait_ms: *announce_wait_ms,
                });
                self.wait = Wait::Queue { answered: false };
                if let Some(ms) = timeout_ms {
                    self.arm_timer(now, *ms);
                }
            }
            Op::Transfer { target, .. } => {
                let to = match target {
                    IrTransfer::Number(e) => TransferTo::Number(self.text(e, now)?),
                    IrTransfer::Agent(a) => TransferTo::Agent(a.clone()),
                    IrTransfer::External(x) => TransferTo::External(x.clone()),
                };
                self.actions.push_back(Action::Transfer { to });
                self.wait = Wait::Transfer;
            }
            Op::Callback { queue, ask, .. } => {
                self.actions.push_back(Action::Callback {
                    queue: queue.clone(),
                    ask: ask.clone(),
                });
                self.wait = Wait::Callback;
            }
            Op::Voicemail {
                mailbox,
                greeting,
                max_ms,
                beep,
                ..
            } => {
                self.actions.push_back(Action::Voicemail {
                    mailbox: mailbox.clone(),
                    greeting: greeting.clone(),
                    max_ms: *max_ms,
                    beep: *beep,
                });
                self.wait = Wait::Voicemail;
            }
            Op::Survey { .. } => self.next_question(0, now),
            Op::Record { pause, next } => {
                self.actions.push_back(Action::Record { pause: *pause });
                self.pc = *next;
            }
            Op::Call { body, args, next } => {
                if self.stack.len() >= MAX_CALL_DEPTH {
                    return Err(format!("sub-flows nested more than {MAX_CALL_DEPTH} deep"));
                }
                let values = args
                    .iter()
                    .map(|a| self.eval(a, now))
                    .collect::<Result<Vec<_>, _>>()?;
                let params = self
                    .program
                    .bodies
                    .get(usize::from(*body))
                    .map(|b| b.params.clone())
                    .ok_or_else(|| format!("internal: no body {body}"))?;
                let saved = params
                    .iter()
                    .map(|&p| {
                        self.vars
                            .get(usize::from(p))
                            .cloned()
                            .unwrap_or(Value::Bool(false))
                    })
                    .collect();
                for (&slot, value) in params.iter().zip(values) {
                    self.set_var(slot, value);
                }
                self.stack.push(Frame {
                    body: self.body,
                    call_pc: self.pc,
                    return_to: *next,
                    saved,
                });
                self.body = *body;
                self.pc = 0;
            }
            Op::Return => {
                if let Some(frame) = self.stack.pop() {
                    let params = self
                        .program
                        .bodies
                        .get(usize::from(self.body))
                        .map(|b| b.params.clone())
                        .unwrap_or_default();
                    for (&slot, value) in params.iter().zip(frame.saved) {
                        self.set_var(slot, value);
                    }
                    self.body = frame.body;
                    self.pc = frame.return_to;
                    if let Some(trace) = &mut self.trace {
                        trace.last = Some((frame.body, frame.call_pc));
                    }
                } else {
                    // The end of main: the flow is over.
                    self.actions.push_back(Action::Hangup);
                    self.end();
                }
            }
            Op::Hangup => {
                self.actions.push_back(Action::Hangup);
                self.end();
            }
        }
        Ok(())
    }
}

fn op_at(program: &Program, body: u16, pc: Pc) -> Option<&Op> {
    program
        .bodies
        .get(usize::from(body))
        .and_then(|b| b.ops.get(pc as usize))
}

/// The successors of an operation, in the order of `program::successors_mut`.
fn successors(op: &Op) -> Vec<Pc> {
    let mut copy = op.clone();
    crate::program::successors_mut(&mut copy)
        .into_iter()
        .map(|pc| *pc)
        .collect()
}

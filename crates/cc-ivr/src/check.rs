//! The checker: every mistake a flow can be caught with before a caller meets it.
//!
//! - names: undefined or duplicate variables, labels and sub-flows; queues, prompts,
//!   lists, calendars, hooks, external destinations and mailboxes unknown to the
//!   [`Environment`] (with "did you mean" hints);
//! - types: conditions are bools, numbers are played as numbers, assignments fit the
//!   variable, sub-flow calls match the parameters;
//! - values: digit counts, keys, retries, skill levels, priorities, language tags, ids;
//! - failure: every step that can fail names where failure goes;
//! - control flow: unreachable steps, loops that never wait for the caller, `return`
//!   outside a sub-flow, unused variables (a warning).

use std::collections::{BTreeMap, HashMap, HashSet};

use cc_core::{AgentId, Language, SkillId};

use crate::ast::{
    Action, BinOp, Block, CallbackNumber, Expr, ExprKind, Flow, KeyArm, PlayItem, Stmt, StmtKind,
    TransferTarget, Type,
};
use crate::cfg;
use crate::diagnostic::{Diagnostic, Span};
use crate::env::{Environment, Kind, closest};

/// Built-in read-only variables of every session.
pub const BUILTINS: &[(&str, Type)] = &[
    ("caller", Type::String),
    ("called", Type::String),
    ("language", Type::String),
];

/// Checks a parsed flow against `env`; returns every finding, errors and warnings, in
/// source order.
pub fn check(flow: &Flow, env: &Environment) -> Vec<Diagnostic> {
    let mut checker = Checker {
        env,
        diagnostics: Vec::new(),
        globals: BTreeMap::new(),
        locals: HashMap::new(),
        reads: HashSet::new(),
        subs: HashMap::new(),
        labels: HashMap::new(),
        in_sub: false,
        current_sub: String::new(),
    };
    checker.declare(flow);
    if let Some(main) = &flow.main {
        checker.body(main, false);
    }
    for sub in &flow.subs {
        checker.locals = sub
            .params
            .iter()
            .map(|(p, t)| (p.name.clone(), (*t, p.span)))
            .collect();
        checker.current_sub.clone_from(&sub.name.name);
        checker.body(&sub.body, true);
        for (param, _) in &sub.params {
            if !checker
                .reads
                .contains(&format!("{}/{}", sub.name.name, param.name))
            {
                checker.diagnostics.push(Diagnostic::warning(
                    param.span,
                    format!("parameter `{}` is never read", param.name),
                ));
            }
        }
    }
    checker.locals.clear();
    for (name, (_, span)) in &checker.globals {
        if !checker.reads.contains(name) {
            checker.diagnostics.push(Diagnostic::warning(
                *span,
                format!("variable `{name}` is never read; remove it or use it"),
            ));
        }
    }
    checker.diagnostics.extend(cfg::analyse(flow));
    let mut diagnostics = checker.diagnostics;
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end, d.severity));
    diagnostics.dedup();
    diagnostics
}

struct Checker<'e> {
    env: &'e Environment,
    diagnostics: Vec<Diagnostic>,
    globals: BTreeMap<String, (Type, Span)>,
    /// Parameters of the sub-flow being checked.
    locals: HashMap<String, (Type, Span)>,
    /// Variables read somewhere: global names, and `sub/param` for parameters.
    reads: HashSet<String>,
    /// Sub-flows: parameter types and the name's place.
    subs: HashMap<String, (Vec<Type>, Span)>,
    /// Labels of the body being checked.
    labels: HashMap<String, Span>,
    in_sub: bool,
    /// The sub-flow being checked (empty in main).
    current_sub: String,
}

fn describe_type(ty: Option<Type>) -> &'static str {
    ty.map_or("unknown", Type::keyword)
}

impl Checker<'_> {
    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(span, message));
    }

    fn declare(&mut self, flow: &Flow) {
        for var in &flow.vars {
            if BUILTINS.iter().any(|(b, _)| *b == var.name.name) {
                self.error(
                    var.name.span,
                    format!(
                        "`{}` is a built-in variable and cannot be declared",
                        var.name.name
                    ),
                );
                continue;
            }
            if let Some((_, first)) = self.globals.get(&var.name.name) {
                let first = *first;
                self.diagnostics.push(
                    Diagnostic::error(
                        var.name.span,
                        format!("variable `{}` is declared twice", var.name.name),
                    )
                    .with_note(first, "first declared here"),
                );
                continue;
            }
            // Initial values are constants: no variables, so declaration order never matters.
            let ty = self.expr(&var.init);
            if contains_var(&var.init) {
                self.error(
                    var.init.span,
                    "an initial value must be a constant, not depend on variables",
                );
            }
            if ty.is_some_and(|t| t != var.ty) {
                self.error(
                    var.init.span,
                    format!(
                        "variable `{}` is a {} but its initial value is a {}",
                        var.name.name,
                        var.ty.keyword(),
                        describe_type(ty)
                    ),
                );
            }
            self.globals
                .insert(var.name.name.clone(), (var.ty, var.name.span));
        }
        for sub in &flow.subs {
            if let Some((_, first)) = self.subs.get(&sub.name.name) {
                let first = *first;
                self.diagnostics.push(
                    Diagnostic::error(
                        sub.name.span,
                        format!("sub-flow `{}` is defined twice", sub.name.name),
                    )
                    .with_note(first, "first defined here"),
                );
                continue;
            }
            let mut seen: HashMap<&str, Span> = HashMap::new();
            for (param, _) in &sub.params {
                if let Some(first) = seen.insert(&param.name, param.span) {
                    self.diagnostics.push(
                        Diagnostic::error(param.span, format!("parameter `{}` is listed twice", param.name))
                            .with_note(first, "first listed here"),
                    );
                }
            }
            self.subs.insert(
                sub.name.name.clone(),
                (sub.params.iter().map(|(_, t)| *t).collect(), sub.name.span),
            );
        }
    }

    fn body(&mut self, block: &Block, in_sub: bool) {
        self.in_sub = in_sub;
        self.labels.clear();
        let mut labels = Vec::new();
        collect_labels(block, &mut labels);
        for (name, span) in labels {
            if let Some(first) = self.labels.get(&name) {
                let first = *first;
                self.diagnostics.push(
                    Diagnostic::error(span, format!("label `{name}` is defined twice in this body"))
                        .with_note(first, "first defined here"),
                );
            } else {
                self.labels.insert(name, span);
            }
        }
        self.block(block);
    }

    fn block(&mut self, block: &Block) {
        for stmt in &block.stmts {
            self.stmt(stmt);
        }
    }

    fn action(&mut self, action: &Action) {
        match action {
            Action::Goto(label) => self.goto(&label.name, label.span),
            Action::Block(block) => self.block(block),
            Action::Stmt(stmt) => self.stmt(stmt),
        }
    }

    fn goto(&mut self, label: &str, span: Span) {
        if !self.labels.contains_key(label) {
            let hint = closest(label, self.labels.keys().map(String::as_str))
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            self.error(
                span,
                format!("undefined label `{label}`{hint} (labels are local to main or to their sub-flow)"),
            );
        }
    }

    fn require_fail(&mut self, on_fail: Option<&Action>, span: Span, what: &str) {
        match on_fail {
            Some(action) => self.action(action),
            None => self.error(
                span,
                format!("{what}; say where failure goes with `else goto LABEL` or `else {{ ... }}`"),
            ),
        }
    }

    fn outside(&mut self, kind: Kind, name: &str, span: Span) {
        let Some(known) = self.env.set(kind) else { return };
        if known.contains(name) {
            return;
        }
        let hint = closest(name, known.iter().map(String::as_str))
            .map(|c| format!("; did you mean \"{c}\"?"))
            .unwrap_or_default();
        let message = if kind == Kind::Prompt {
            format!("prompt \"{name}\" is not among the prompts on disk{hint}")
        } else {
            format!("unknown {} \"{name}\"{hint}", kind.noun())
        };
        self.error(span, message);
    }

    fn keys(&mut self, arms: &[KeyArm]) {
        let mut seen: HashMap<char, Span> = HashMap::new();
        for arm in arms {
            if let Some(first) = seen.insert(arm.key.as_char(), arm.key_span) {
                self.diagnostics.push(
                    Diagnostic::error(arm.key_span, format!("key {} is used twice", arm.key))
                        .with_note(first, "first used here"),
                );
            }
            self.action(&arm.action);
        }
    }

    fn expect(&mut self, expr: &Expr, want: Type, what: &str) {
        let ty = self.expr(expr);
        if let Some(ty) = ty.filter(|t| *t != want) {
            self.error(
                expr.span,
                format!(
                    "{what} must be a {}, but this is a {}",
                    want.keyword(),
                    ty.keyword()
                ),
            );
        }
    }

    fn var_type(&self, name: &str) -> Option<Type> {
        self.locals
            .get(name)
            .or_else(|| self.globals.get(name))
            .map(|(t, _)| *t)
            .or_else(|| BUILTINS.iter().find(|(b, _)| *b == name).map(|(_, t)| *t))
    }

    /// The type of a variable that is written to, or an error if it cannot be.
    fn assignable(&mut self, name: &str, span: Span) -> Option<Type> {
        if BUILTINS.iter().any(|(b, _)| *b == name) {
            self.error(
                span,
                format!("`{name}` is a built-in variable and cannot be changed"),
            );
            return None;
        }
        if self.locals.contains_key(name) {
            self.error(span, format!("`{name}` is a parameter and cannot be changed"));
            return None;
        }
        let ty = self.globals.get(name).map(|(t, _)| *t);
        if ty.is_none() {
            self.undefined_var(name, span);
        }
        ty
    }

    fn undefined_var(&mut self, name: &str, span: Span) {
        let names = self
            .globals
            .keys()
            .chain(self.locals.keys())
            .map(String::as_str)
            .chain(BUILTINS.iter().map(|(b, _)| *b))
            .collect::<Vec<_>>();
        let hint = closest(name, names)
            .map(|c| format!("; did you mean `{c}`?"))
            .unwrap_or_default();
        self.error(
            span,
            format!("undefined variable `{name}`{hint} (declare it with `var {name}: TYPE = VALUE`)"),
        );
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Label(_) | StmtKind::Hangup | StmtKind::Record { .. } => {}
            StmtKind::Play { items, .. } => {
                for item in items {
                    match item {
                        PlayItem::Prompt(p) => self.outside(Kind::Prompt, &p.value, p.span),
                        PlayItem::File(f) => {
                            if f.value.is_empty() {
                                self.error(f.span, "the file path is empty");
                            }
                        }
                        PlayItem::Number(e) => self.expect(e, Type::Number, "a number to play"),
                        PlayItem::Money(e) => self.expect(e, Type::Number, "an amount of money (in cents)"),
                        PlayItem::Date(e) => self.expect(e, Type::String, "a date (YYYY-MM-DD)"),
                        PlayItem::Digits(e) => {
                            let _ = self.expr(e);
                        }
                    }
                }
            }
            StmtKind::Collect {
                var,
                options,
                on_fail,
            } => {
                if let Some(ty) = self
                    .assignable(&var.name, var.span)
                    .filter(|t| *t != Type::String)
                {
                    self.error(
                        var.span,
                        format!(
                            "collected digits are text; `{}` is a {} (digits keep their leading zeros)",
                            var.name,
                            ty.keyword()
                        ),
                    );
                }
                if let Some(p) = &options.prompt {
                    self.outside(Kind::Prompt, &p.value, p.span);
                }
                let min = options.min.unwrap_or(1);
                let max = options.max.unwrap_or(min.max(1));
                if !(1..=64).contains(&min) || !(1..=64).contains(&max) || min > max {
                    self.error(
                        stmt.span,
                        format!("digit counts must satisfy 1 <= min <= max <= 64; here min is {min} and max is {max}"),
                    );
                }
                if let Some(t) = &options.terminator
                    && !matches!(t.value.as_str(), "#" | "*")
                {
                    self.error(t.span, "the terminator is \"#\" or \"*\"");
                }
                self.retries(options.retries, stmt.span);
                if let Some(p) = &options.pattern
                    && let Err(reason) = crate::pattern::DigitPattern::parse(&p.value)
                {
                    self.error(p.span, reason);
                }
                self.require_fail(
                    on_fail.as_ref(),
                    stmt.span,
                    "`collect` fails when no valid input comes after the retries",
                );
            }
            StmtKind::Menu {
                prompts,
                retries,
                arms,
                on_invalid,
                on_timeout,
                on_fail,
                ..
            } => {
                if prompts.is_empty() {
                    self.error(
                        stmt.span,
                        "a menu needs a `prompt` that tells the caller the choices",
                    );
                }
                for p in prompts {
                    self.outside(Kind::Prompt, &p.value, p.span);
                }
                if arms.is_empty() {
                    self.error(stmt.span, "a menu needs at least one choice `KEY -> ...`");
                }
                self.retries(*retries, stmt.span);
                self.keys(arms);
                for a in [on_invalid, on_timeout].into_iter().flatten() {
                    self.action(a);
                }
                self.require_fail(
                    on_fail.as_ref(),
                    stmt.span,
                    "a `menu` fails when its retries run out",
                );
            }
            StmtKind::If { arms, otherwise } => {
                for (cond, block) in arms {
                    self.expect(cond, Type::Bool, "a condition");
                    self.block(block);
                }
                if let Some(block) = otherwise {
                    self.block(block);
                }
            }
            StmtKind::Set { var, value } => {
                let want = self.assignable(&var.name, var.span);
                let got = self.expr(value);
                if let (Some(want), Some(got)) = (want, got)
                    && want != got
                {
                    self.error(
                        value.span,
                        format!(
                            "`{}` is a {} but this value is a {}",
                            var.name,
                            want.keyword(),
                            got.keyword()
                        ),
                    );
                }
            }
            StmtKind::Store { name, value } => {
                if name.value.is_empty() {
                    self.error(name.span, "the attribute name is empty");
                }
                let _ = self.expr(value);
            }
            StmtKind::Lookup {
                hook,
                args,
                into,
                timeout_ms,
                on_fail,
            } => {
                self.outside(Kind::Hook, &hook.value, hook.span);
                for a in args {
                    let _ = self.expr(a);
                }
                if let Some(ty) = self
                    .assignable(&into.name, into.span)
                    .filter(|t| *t != Type::String)
                {
                    self.error(
                        into.span,
                        format!("a hook answers with text; `{}` is a {}", into.name, ty.keyword()),
                    );
                }
                if timeout_ms.is_some_and(|t| t == 0 || t > 30_000) {
                    self.error(
                        stmt.span,
                        "a hook timeout is between 1ms and 30s: a caller is waiting",
                    );
                }
                self.require_fail(
                    on_fail.as_ref(),
                    stmt.span,
                    "a `lookup` fails when the hook errs or times out",
                );
            }
            StmtKind::Language(e) => {
                self.expect(e, Type::String, "a language");
                if let ExprKind::Str(tag) = &e.kind
                    && let Err(err) = Language::new(tag)
                {
                    self.error(e.span, err.to_string());
                }
            }
            StmtKind::Enqueue {
                queue,
                options,
                keys,
                on_fail,
            } => {
                self.outside(Kind::Queue, &queue.value, queue.span);
                if let Some(p) = &options.priority {
                    self.expect(p, Type::Number, "a priority");
                    if let ExprKind::Num(n) = p.kind
                        && !(0..=255).contains(&n)
                    {
                        self.error(p.span, format!("priority {n} is outside 0..=255"));
                    }
                }
                for (skill, level) in &options.skills {
                    if let Err(err) = SkillId::new(&skill.value) {
                        self.error(skill.span, err.to_string());
                    }
                    if let Some(level) = level
                        && !(1..=10).contains(level)
                    {
                        self.error(skill.span, format!("skill level {level} is outside 1 to 10"));
                    }
                }
                for (_, value) in &options.attrs {
                    let _ = self.expr(value);
                }
                if let Some(m) = &options.music {
                    self.outside(Kind::Prompt, &m.value, m.span);
                }
                if options.announce_position_ms.is_some_and(|t| t < 10_000)
                    || options.announce_wait_ms.is_some_and(|t| t < 10_000)
                {
                    self.error(
                        stmt.span,
                        "announcements come at most every 10s; callers need the music too",
                    );
                }
                self.keys(keys);
                self.require_fail(
                    on_fail.as_ref(),
                    stmt.span,
                    "`enqueue` hands the caller back when the queue times out, overflows or closes",
                );
            }
            StmtKind::Transfer { target, on_fail } => {
                match target {
                    TransferTarget::Number(e) => self.expect(e, Type::String, "a number to transfer to"),
                    TransferTarget::Agent(a) => {
                        if let Err(err) = AgentId::new(&a.value) {
                            self.error(a.span, err.to_string());
                        }
                    }
                    TransferTarget::External(x) => self.outside(Kind::External, &x.value, x.span),
                }
                self.require_fail(
                    on_fail.as_ref(),
                    stmt.span,
                    "a `transfer` fails when the destination is busy, unreachable or does not answer",
                );
            }
            StmtKind::Callback {
                queue,
                number,
                on_fail,
            } => {
                self.outside(Kind::Queue, &queue.value, queue.span);
                if let CallbackNumber::Ask(p) = number {
                    self.outside(Kind::Prompt, &p.value, p.span);
                }
                self.require_fail(
                    on_fail.as_ref(),
                    stmt.span,
                    "a `callback` fails when the caller gives no usable number",
                );
            }
            StmtKind::Voicemail {
                mailbox,
                greeting,
                max_ms,
                on_fail,
                ..
            } => {
                self.outside(Kind::Mailbox, &mailbox.value, mailbox.span);
                if let Some(g) = greeting {
                    self.outside(Kind::Prompt, &g.value, g.span);
                }
                if max_ms.is_some_and(|m| !(1_000..=600_000).contains(&m)) {
                    self.error(stmt.span, "a voicemail's `max` is between 1s and 10m");
                }
                self.require_fail(
                    on_fail.as_ref(),
                    stmt.span,
                    "a `voicemail` fails when recording fails or nothing is said",
                );
            }
            StmtKind::Survey(questions) => {
                if questions.is_empty() {
                    self.error(stmt.span, "a survey needs at least one `question`");
                }
                for q in questions {
                    self.outside(Kind::Prompt, &q.prompt.value, q.prompt.span);
                    if !(0..=9).contains(&q.low) || !(0..=9).contains(&q.high) || q.low >= q.high {
                        self.error(
                            q.span,
                            format!(
                                "a score is one key: need 0 <= low < high <= 9, here {} to {}",
                                q.low, q.high
                            ),
                        );
                    }
                    if let Some(ty) = self
                        .assignable(&q.into.name, q.into.span)
                        .filter(|t| *t != Type::Number)
                    {
                        self.error(
                            q.into.span,
                            format!("a score is a number; `{}` is a {}", q.into.name, ty.keyword()),
                        );
                    }
                }
            }
            StmtKind::Call { sub, args } => {
                let arg_types: Vec<(Option<Type>, Span)> =
                    args.iter().map(|a| (self.expr(a), a.span)).collect();
                match self.subs.get(&sub.name).cloned() {
                    None => {
                        let hint = closest(&sub.name, self.subs.keys().map(String::as_str))
                            .map(|c| format!("; did you mean `{c}`?"))
                            .unwrap_or_default();
                        self.error(sub.span, format!("undefined sub-flow `{}`{hint}", sub.name));
                    }
                    Some((params, _)) if params.len() != args.len() => self.error(
                        stmt.span,
                        format!(
                            "`{}` takes {} argument(s) but is given {}",
                            sub.name,
                            params.len(),
                            args.len()
                        ),
                    ),
                    Some((params, _)) => {
                        for ((got, span), want) in arg_types.into_iter().zip(params) {
                            if let Some(got) = got.filter(|g| *g != want) {
                                self.error(
                                    span,
                                    format!(
                                        "this argument must be a {}, but it is a {}",
                                        want.keyword(),
                                        got.keyword()
                                    ),
                                );
                            }
                        }
                    }
                }
            }
            StmtKind::Return => {
                if !self.in_sub {
                    self.error(
                        stmt.span,
                        "`return` is only for sub-flows; use `hangup` to end the call",
                    );
                }
            }
            StmtKind::Goto(label) => self.goto(&label.name, label.span),
        }
    }

    fn retries(&mut self, retries: Option<i64>, span: Span) {
        if let Some(r) = retries
            && !(0..=10).contains(&r)
        {
            self.error(span, format!("retries must be 0 to 10, not {r}"));
        }
    }

    /// The type of an expression, reporting what is wrong inside it; `None` when an error
    /// makes the type unknown (to avoid reporting the same mistake twice).
    fn expr(&mut self, expr: &Expr) -> Option<Type> {
        match &expr.kind {
            ExprKind::Str(_) => Some(Type::String),
            ExprKind::Num(_) => Some(Type::Number),
            ExprKind::Bool(_) => Some(Type::Bool),
            ExprKind::Var(name) => {
                let ty = self.var_type(name);
                if ty.is_none() {
                    self.undefined_var(name, expr.span);
                }
                if self.locals.contains_key(name) {
                    self.reads.insert(format!("{}/{name}", self.current_sub));
                } else {
                    self.reads.insert(name.clone());
                }
                ty
            }
            ExprKind::Not(inner) => {
                self.expect(inner, Type::Bool, "the operand of `not`");
                Some(Type::Bool)
            }
            ExprKind::Neg(inner) => {
                self.expect(inner, Type::Number, "the operand of `-`");
                Some(Type::Number)
            }
            ExprKind::InList(inner, list) => {
                self.expect(inner, Type::String, "the value looked up in a list");
                self.outside(Kind::List, &list.value, list.span);
                Some(Type::Bool)
            }
            ExprKind::Open(cal) | ExprKind::Holiday(cal) => {
                self.outside(Kind::Calendar, &cal.value, cal.span);
                Some(Type::Bool)
            }
            ExprKind::Binary(op, left, right) => {
                let l = self.expr(left);
                let r = self.expr(right);
                let (Some(l), Some(r)) = (l, r) else {
                    return match op {
                        BinOp::Add | BinOp::Sub => None,
                        _ => Some(Type::Bool),
                    };
                };
                let mismatch = |this: &mut Self, need: &str| {
                    this.error(
                        expr.span,
                        format!(
                            "`{}` needs {need}, but gets a {} and a {}",
                            op.symbol(),
                            l.keyword(),
                            r.keyword()
                        ),
                    );
                };
                match op {
                    BinOp::Or | BinOp::And => {
                        if l != Type::Bool || r != Type::Bool {
                            mismatch(self, "two bools");
                        }
                        Some(Type::Bool)
                    }
                    BinOp::Eq | BinOp::Ne => {
                        if l != r {
                            mismatch(self, "two values of the same type");
                        }
                        Some(Type::Bool)
                    }
                    BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                        if l != Type::Number || r != Type::Number {
                            mismatch(self, "two numbers");
                        }
                        Some(Type::Bool)
                    }
                    BinOp::Add => {
                        if l != r || l == Type::Bool {
                            mismatch(self, "two numbers or two texts");
                            return None;
                        }
                        Some(l)
                    }
                    BinOp::Sub => {
                        if l != Type::Number || r != Type::Number {
                            mismatch(self, "two numbers");
                            return None;
                        }
                        Some(Type::Number)
                    }
                }
            }
        }
    }
}

fn contains_var(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Var(_) => true,
        ExprKind::Str(_)
        | ExprKind::Num(_)
        | ExprKind::Bool(_)
        | ExprKind::Open(_)
        | ExprKind::Holiday(_) => false,
        ExprKind::Not(e) | ExprKind::Neg(e) | ExprKind::InList(e, _) => contains_var(e),
        ExprKind::Binary(_, l, r) => contains_var(l) || contains_var(r),
    }
}

/// Every label in a body, nested blocks included, in order.
pub(crate) fn collect_labels(block: &Block, out: &mut Vec<(String, Span)>) {
    for stmt in &block.stmts {
        stmt.walk(&mut |s| {
            if let StmtKind::Label(l) = &s.kind {
                out.push((l.name.clone(), l.span));
            }
        });
    }
}

//! Prints a syntax tree back as flow source in the canonical layout (four-space indent,
//! one statement per line). Parsing the printed text gives the same tree, up to spans.

use std::fmt::{self, Write as _};

use crate::ast::{
    Action, BinOp, Block, CallbackNumber, Expr, ExprKind, Flow, KeyArm, PlayItem, Stmt, StmtKind,
    TransferTarget,
};

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let _ = writeln!(out, "flow {}", self.name.name);
        for var in &self.vars {
            let _ = writeln!(
                out,
                "var {}: {} = {}",
                var.name.name,
                var.ty.keyword(),
                expr(&var.init)
            );
        }
        if let Some(main) = &self.main {
            out.push_str("main ");
            block(&mut out, main, 0);
            out.push('\n');
        }
        for sub in &self.subs {
            let params: Vec<String> = sub
                .params
                .iter()
                .map(|(name, ty)| format!("{}: {}", name.name, ty.keyword()))
                .collect();
            let _ = write!(out, "sub {}({}) ", sub.name.name, params.join(", "));
            block(&mut out, &sub.body, 0);
            out.push('\n');
        }
        f.write_str(&out)
    }
}

fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn duration(ms: u64) -> String {
    if ms.is_multiple_of(3_600_000) && ms > 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms.is_multiple_of(60_000) && ms > 0 {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1_000) && ms > 0 {
        format!("{}s", ms / 1_000)
    } else {
        format!("{ms}ms")
    }
}

fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary(BinOp::Or, ..) => 1,
        ExprKind::Binary(BinOp::And, ..) => 2,
        ExprKind::Not(_) => 3,
        ExprKind::Binary(BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge, ..)
        | ExprKind::InList(..) => 4,
        ExprKind::Binary(BinOp::Add | BinOp::Sub, ..) => 5,
        ExprKind::Neg(_) => 6,
        _ => 7,
    }
}

/// Prints `e`, in parentheses when its precedence is below `min`.
fn operand(e: &Expr, min: u8) -> String {
    let text = expr(e);
    if precedence(e) < min {
        format!("({text})")
    } else {
        text
    }
}

/// Prints an expression with the fewest parentheses that keep its shape.
pub(crate) fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Str(s) => quote(s),
        ExprKind::Num(n) if *n < 0 => format!("({n})"),
        ExprKind::Num(n) => n.to_string(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Var(v) => v.clone(),
        ExprKind::Binary(op, l, r) => {
            let p = precedence(e);
            // Left-associative: the right operand needs one level more; comparisons do
            // not chain, so both their operands do.
            let (lp, rp) = if p == 4 { (p + 1, p + 1) } else { (p, p + 1) };
            format!("{} {} {}", operand(l, lp), op.symbol(), operand(r, rp))
        }
        ExprKind::Not(inner) => format!("not {}", operand(inner, 3)),
        ExprKind::Neg(inner) => format!("-{}", operand(inner, 6)),
        ExprKind::InList(inner, list) => format!("{} in list {}", operand(inner, 5), quote(&list.value)),
        ExprKind::Open(cal) => format!("open({})", quote(&cal.value)),
        ExprKind::Holiday(cal) => format!("holiday({})", quote(&cal.value)),
    }
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("    ");
    }
}

fn block(out: &mut String, b: &Block, level: usize) {
    out.push_str("{\n");
    for s in &b.stmts {
        indent(out, level + 1);
        stmt(out, s, level + 1);
        out.push('\n');
    }
    indent(out, level);
    out.push('}');
}

fn action(out: &mut String, a: &Action, level: usize) {
    match a {
        Action::Goto(label) => {
            let _ = write!(out, "goto {}", label.name);
        }
        Action::Block(b) => block(out, b, level),
        Action::Stmt(s) => stmt(out, s, level),
    }
}

fn on_fail(out: &mut String, a: Option<&Action>, level: usize) {
    if let Some(a) = a {
        out.push_str(" else ");
        action(out, a, level);
    }
}

fn key(arm: &KeyArm) -> String {
    let c = arm.key.as_char();
    if c.is_ascii_digit() {
        c.to_string()
    } else {
        quote(&c.to_string())
    }
}

fn arms(out: &mut String, arms: &[KeyArm], level: usize) {
    for arm in arms {
        indent(out, level + 1);
        let _ = write!(out, "{} -> ", key(arm));
        action(out, &arm.action, level + 1);
        out.push('\n');
    }
}

fn stmt(out: &mut String, s: &Stmt, level: usize) {
    match &s.kind {
        StmtKind::Label(l) => {
            let _ = write!(out, "{}:", l.name);
        }
        StmtKind::Play { items, barge } => {
            let parts: Vec<String> = items
                .iter()
                .map(|item| match item {
                    PlayItem::Prompt(t) => quote(&t.value),
                    PlayItem::File(t) => format!("file {}", quote(&t.value)),
                    PlayItem::Number(e) => format!("number {}", expr(e)),
                    PlayItem::Digits(e) => format!("digits {}", expr(e)),
                    PlayItem::Date(e) => format!("date {}", expr(e)),
                    PlayItem::Money(e) => format!("money {}", expr(e)),
                })
                .collect();
            let _ = write!(
                out,
                "play {}{}",
                parts.join(", "),
                if *barge { " barge" } else { "" }
            );
        }
        StmtKind::Collect {
            var,
            options: o,
            on_fail: fail,
        } => {
            let _ = write!(out, "collect {}", var.name);
            if let Some(p) = &o.prompt {
                let _ = write!(out, " prompt {}", quote(&p.value));
            }
            if let Some(v) = o.min {
                let _ = write!(out, " min {v}");
            }
            if let Some(v) = o.max {
                let _ = write!(out, " max {v}");
            }
            if let Some(t) = &o.terminator {
                let _ = write!(out, " terminator {}", quote(&t.value));
            }
            if let Some(v) = o.timeout_ms {
                let _ = write!(out, " timeout {}", duration(v));
            }
            if let Some(v) = o.inter_ms {
                let _ = write!(out, " inter {}", duration(v));
            }
            if let Some(v) = o.retries {
                let _ = write!(out, " retries {v}");
            }
            if let Some(p) = &o.pattern {
                let _ = write!(out, " pattern {}", quote(&p.value));
            }
            on_fail(out, fail.as_ref(), level);
        }
        StmtKind::Menu {
            prompts,
            timeout_ms,
            retries,
            arms: choices,
            on_invalid,
            on_timeout,
            on_fail: fail,
        } => {
            out.push_str("menu");
            if !prompts.is_empty() {
                let list: Vec<String> = prompts.iter().map(|p| quote(&p.value)).collect();
                let _ = write!(out, " prompt {}", list.join(", "));
            }
            if let Some(v) = timeout_ms {
                let _ = write!(out, " timeout {}", duration(*v));
            }
            if let Some(v) = retries {
                let _ = write!(out, " retries {v}");
            }
            out.push_str(" {\n");
            arms(out, choices, level);
            for (word, a) in [("invalid", on_invalid), ("timeout", on_timeout)] {
                if let Some(a) = a {
                    indent(out, level + 1);
                    let _ = write!(out, "{word} -> ");
                    action(out, a, level + 1);
                    out.push('\n');
                }
            }
            indent(out, level);
            out.push('}');
            on_fail(out, fail.as_ref(), level);
        }
        StmtKind::If {
            arms: branches,
            otherwise,
        } => {
            for (i, (cond, body)) in branches.iter().enumerate() {
                let _ = write!(out, "{} {} ", if i == 0 { "if" } else { " elif" }, expr(cond));
                block(out, body, level);
            }
            if let Some(body) = otherwise {
                out.push_str(" else ");
                block(out, body, level);
            }
        }
        StmtKind::Set { var, value } => {
            let _ = write!(out, "set {} = {}", var.name, expr(value));
        }
        StmtKind::Store { name, value } => {
            let _ = write!(out, "store {} = {}", quote(&name.value), expr(value));
        }
        StmtKind::Lookup {
            hook,
            args,
            into,
            timeout_ms,
            on_fail: fail,
        } => {
            let _ = write!(out, "lookup {}", quote(&hook.value));
            if !args.is_empty() {
                let list: Vec<String> = args.iter().map(expr).collect();
                let _ = write!(out, " with {}", list.join(", "));
            }
            let _ = write!(out, " into {}", into.name);
            if let Some(v) = timeout_ms {
                let _ = write!(out, " timeout {}", duration(*v));
            }
            on_fail(out, fail.as_ref(), level);
        }
        StmtKind::Language(e) => {
            let _ = write!(out, "language {}", expr(e));
        }
        StmtKind::Enqueue {
            queue,
            options: o,
            keys,
            on_fail: fail,
        } => {
            let _ = write!(out, "enqueue {}", quote(&queue.value));
            if let Some(p) = &o.priority {
                let _ = write!(out, " priority {}", expr(p));
            }
            for (skill, level) in &o.skills {
                let _ = write!(out, " skill {}", quote(&skill.value));
                if let Some(l) = level {
                    let _ = write!(out, " level {l}");
                }
            }
            for (name, value) in &o.attrs {
                let _ = write!(out, " attr {} = {}", quote(&name.value), expr(value));
            }
            if let Some(v) = o.timeout_ms {
                let _ = write!(out, " timeout {}", duration(v));
            }
            if let Some(m) = &o.music {
                let _ = write!(out, " music {}", quote(&m.value));
            }
            if let Some(v) = o.announce_position_ms {
                let _ = write!(out, " announce position every {}", duration(v));
            }
            if let Some(v) = o.announce_wait_ms {
                let _ = write!(out, " announce wait every {}", duration(v));
            }
            if !keys.is_empty() {
                out.push_str(" {\n");
                arms(out, keys, level);
                indent(out, level);
                out.push('}');
            }
            on_fail(out, fail.as_ref(), level);
        }
        StmtKind::Transfer {
            target,
            on_fail: fail,
        } => {
            match target {
                TransferTarget::Number(e) => {
                    let _ = write!(out, "transfer number {}", expr(e));
                }
                TransferTarget::Agent(t) => {
                    let _ = write!(out, "transfer agent {}", quote(&t.value));
                }
                TransferTarget::External(t) => {
                    let _ = write!(out, "transfer external {}", quote(&t.value));
                }
            }
            on_fail(out, fail.as_ref(), level);
        }
        StmtKind::Callback {
            queue,
            number,
            on_fail: fail,
        } => {
            let _ = write!(out, "callback {}", quote(&queue.value));
            match number {
                CallbackNumber::Confirm => out.push_str(" confirm"),
                CallbackNumber::Ask(p) => {
                    let _ = write!(out, " ask {}", quote(&p.value));
                }
            }
            on_fail(out, fail.as_ref(), level);
        }
        StmtKind::Voicemail {
            mailbox,
            greeting,
            max_ms,
            beep,
            on_fail: fail,
        } => {
            let _ = write!(out, "voicemail {}", quote(&mailbox.value));
            if let Some(g) = greeting {
                let _ = write!(out, " greeting {}", quote(&g.value));
            }
            if let Some(v) = max_ms {
                let _ = write!(out, " max {}", duration(*v));
            }
            if *beep {
                out.push_str(" beep");
            }
            on_fail(out, fail.as_ref(), level);
        }
        StmtKind::Survey(questions) => {
            out.push_str("survey {\n");
            for q in questions {
                indent(out, level + 1);
                let _ = writeln!(
                    out,
                    "question {} scale {} to {} into {}",
                    quote(&q.prompt.value),
                    q.low,
                    q.high,
                    q.into.name
                );
            }
            indent(out, level);
            out.push('}');
        }
        StmtKind::Record { pause } => out.push_str(if *pause { "record pause" } else { "record resume" }),
        StmtKind::Call { sub, args } => {
            let list: Vec<String> = args.iter().map(expr).collect();
            let _ = write!(out, "call {}({})", sub.name, list.join(", "));
        }
        StmtKind::Return => out.push_str("return"),
        StmtKind::Goto(l) => {
            let _ = write!(out, "goto {}", l.name);
        }
        StmtKind::Hangup => out.push_str("hangup"),
    }
}

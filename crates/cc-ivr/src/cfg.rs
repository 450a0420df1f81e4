//! Control-flow analysis of a checked flow: which steps can never run, and which loops
//! could spin without ever waiting for the caller.
//!
//! Each body (main, every sub-flow) becomes a graph with one node per statement. Edges
//! follow what the interpreter does: fall through to the next statement, jump to a label,
//! take a branch, retry a menu, or end (hangup, return, a successful transfer).

use std::collections::{HashMap, HashSet};

use crate::ast::{Action, Block, Flow, Stmt, StmtKind};
use crate::diagnostic::{Diagnostic, Span};

/// Where an edge leads before labels are resolved.
#[derive(Debug, Clone)]
enum Target {
    Node(usize),
    Label(String),
    Exit,
}

#[derive(Debug)]
struct Node {
    span: Span,
    label: Option<String>,
    waits: bool,
    succ: Vec<Target>,
}

/// Whether a statement waits for the caller (or the outside world) before going on.
fn waits(stmt: &Stmt, sub_waits: &HashMap<&str, bool>) -> bool {
    match &stmt.kind {
        StmtKind::Play { .. }
        | StmtKind::Collect { .. }
        | StmtKind::Menu { .. }
        | StmtKind::Enqueue { .. }
        | StmtKind::Transfer { .. }
        | StmtKind::Callback { .. }
        | StmtKind::Voicemail { .. }
        | StmtKind::Survey(_) => true,
        // An unknown sub-flow is reported elsewhere; don't pile a loop error on it.
        StmtKind::Call { sub, .. } => sub_waits.get(sub.name.as_str()).copied().unwrap_or(true),
        _ => false,
    }
}

struct Graph<'a> {
    nodes: Vec<Node>,
    labels: HashMap<String, usize>,
    sub_waits: &'a HashMap<&'a str, bool>,
}

impl Graph<'_> {
    fn block(&mut self, block: &Block, next: Target) -> Target {
        let mut next = next;
        for stmt in block.stmts.iter().rev() {
            next = Target::Node(self.stmt(stmt, next));
        }
        next
    }

    fn action(&mut self, action: &Action, next: Target) -> Target {
        match action {
            Action::Goto(label) => Target::Label(label.name.clone()),
            Action::Block(block) => self.block(block, next),
            Action::Stmt(stmt) => Target::Node(self.stmt(stmt, next)),
        }
    }

    fn fail(&mut self, on_fail: Option<&Action>, next: Target) -> Target {
        match on_fail {
            Some(action) => self.action(action, next),
            None => next,
        }
    }

    fn stmt(&mut self, stmt: &Stmt, next: Target) -> usize {
        let id = self.nodes.len();
        self.nodes.push(Node {
            span: stmt.span,
            label: None,
            waits: waits(stmt, self.sub_waits),
            succ: Vec::new(),
        });
        let succ = match &stmt.kind {
            StmtKind::Label(label) => {
                self.labels.insert(label.name.clone(), id);
                self.nodes[id].label = Some(label.name.clone());
                vec![next]
            }
            StmtKind::Play { .. }
            | StmtKind::Set { .. }
            | StmtKind::Store { .. }
            | StmtKind::Language(_)
            | StmtKind::Survey(_)
            | StmtKind::Record { .. }
            | StmtKind::Call { .. } => vec![next],
            StmtKind::Collect { on_fail, .. }
            | StmtKind::Lookup { on_fail, .. }
            | StmtKind::Callback { on_fail, .. }
            | StmtKind::Voicemail { on_fail, .. } => {
                let fail = self.fail(on_fail.as_ref(), next.clone());
                vec![next, fail]
            }
            StmtKind::Menu {
                arms,
                on_invalid,
                on_timeout,
                on_fail,
                ..
            } => {
                let mut succ: Vec<Target> = arms
                    .iter()
                    .map(|arm| self.action(&arm.action, next.clone()))
                    .collect();
                // Invalid and timeout handlers run, then the menu tries again.
                for handler in [on_invalid, on_timeout] {
                    succ.push(match handler {
                        Some(action) => self.action(action, Target::Node(id)),
                        None => Target::Node(id),
                    });
                }
                succ.push(self.fail(on_fail.as_ref(), next));
                succ
            }
            StmtKind::If { arms, otherwise } => {
                let mut succ: Vec<Target> = arms.iter().map(|(_, b)| self.block(b, next.clone())).collect();
                succ.push(match otherwise {
                    Some(block) => self.block(block, next),
                    None => next,
                });
                succ
            }
            // After the agent hangs up, a caller still on the line goes on (to a survey).
            StmtKind::Enqueue { keys, on_fail, .. } => {
                let mut succ: Vec<Target> = keys
                    .iter()
                    .map(|arm| self.action(&arm.action, next.clone()))
                    .collect();
                succ.push(self.fail(on_fail.as_ref(), next.clone()));
                succ.push(next);
                succ
            }
            // A successful transfer leaves the center: the flow ends.
            StmtKind::Transfer { on_fail, .. } => vec![self.fail(on_fail.as_ref(), next)],
            StmtKind::Goto(label) => vec![Target::Label(label.name.clone())],
            StmtKind::Return | StmtKind::Hangup => Vec::new(),
        };
        self.nodes[id].succ = succ;
        id
    }

    fn resolve(&self, target: &Target) -> Option<usize> {
        match target {
            Target::Node(n) => Some(*n),
            Target::Label(label) => self.labels.get(label).copied(),
            Target::Exit => None,
        }
    }

    fn edges(&self) -> Vec<Vec<usize>> {
        self.nodes
            .iter()
            .map(|n| n.succ.iter().filter_map(|t| self.resolve(t)).collect())
            .collect()
    }
}

fn contains_wait(block: &Block, sub_waits: &HashMap<&str, bool>) -> bool {
    let mut found = false;
    for stmt in &block.stmts {
        stmt.walk(&mut |s| found |= waits(s, sub_waits));
    }
    found
}

/// Unreachable steps (warnings) and loops that never wait (errors), for every body.
pub(crate) fn analyse(flow: &Flow) -> Vec<Diagnostic> {
    // Whether each sub-flow waits somewhere; calls inside subs count as waiting until
    // proven otherwise, so mutually recursive subs are not flagged twice.
    let mut sub_waits: HashMap<&str, bool> = flow.subs.iter().map(|s| (s.name.name.as_str(), true)).collect();
    for sub in &flow.subs {
        let w = contains_wait(&sub.body, &sub_waits);
        sub_waits.insert(sub.name.name.as_str(), w);
    }
    let mut out = Vec::new();
    let bodies = flow.main.iter().chain(flow.subs.iter().map(|s| &s.body));
    for body in bodies {
        let mut graph = Graph {
            nodes: Vec::new(),
            labels: HashMap::new(),
            sub_waits: &sub_waits,
        };
        let entry = graph.block(body, Target::Exit);
        let edges = graph.edges();
        let reachable = reachable_from(graph.resolve(&entry), &edges);
        unreachable(&graph, &edges, &reachable, &mut out);
        spinning_loops(&graph, &edges, &reachable, &mut out);
    }
    out
}

fn reachable_from(entry: Option<usize>, edges: &[Vec<usize>]) -> Vec<bool> {
    let mut seen = vec![false; edges.len()];
    let mut stack: Vec<usize> = entry.into_iter().collect();
    while let Some(n) = stack.pop() {
        if std::mem::replace(&mut seen[n], true) {
            continue;
        }
        stack.extend(edges[n].iter().copied().filter(|&m| !seen[m]));
    }
    seen
}

/// Reports the first step of each unreachable stretch (not every step inside it).
fn unreachable(graph: &Graph<'_>, edges: &[Vec<usize>], reachable: &[bool], out: &mut Vec<Diagnostic>) {
    let mut has_dead_pred = vec![false; edges.len()];
    for (n, succ) in edges.iter().enumerate() {
        if !reachable[n] {
            for &m in succ {
                if m != n {
                    has_dead_pred[m] = true;
                }
            }
        }
    }
    for (n, node) in graph.nodes.iter().enumerate() {
        if reachable[n] || has_dead_pred[n] {
            continue;
        }
        let message = match &node.label {
            Some(label) => format!("label `{label}` is never reached: no `goto {label}` leads here"),
            None => "this step is never reached: the step before it always jumps or ends the call".to_owned(),
        };
        out.push(Diagnostic::warning(node.span, message));
    }
}

/// Reports every loop of non-waiting steps: at run time it would spin until the
/// interpreter's step guard stops the call.
fn spinning_loops(graph: &Graph<'_>, edges: &[Vec<usize>], reachable: &[bool], out: &mut Vec<Diagnostic>) {
    let keep = |n: usize| reachable[n] && !graph.nodes[n].waits;
    let sub: Vec<Vec<usize>> = edges
        .iter()
        .enumerate()
        .map(|(n, succ)| {
            if keep(n) {
                succ.iter().copied().filter(|&m| keep(m)).collect()
            } else {
                Vec::new()
            }
        })
        .collect();
    for component in strongly_connected(&sub) {
        let cyclic = component.len() > 1 || component.first().is_some_and(|&n| sub[n].contains(&n));
        if !cyclic || !keep(component[0]) {
            continue;
        }
        let first = component
            .iter()
            .copied()
            .min_by_key(|&n| graph.nodes[n].span.start)
            .unwrap_or(component[0]);
        let mut diagnostic = Diagnostic::error(
            graph.nodes[first].span,
            "this loop never waits for the caller and would spin forever: it passes no play, collect, \
             menu, queue or other waiting step; add one, or leave the loop",
        );
        let members: HashSet<usize> = component.iter().copied().collect();
        if let Some(back) = component
            .iter()
            .copied()
            .filter(|&n| n != first && sub[n].iter().any(|m| members.contains(m)))
            .max_by_key(|&n| graph.nodes[n].span.start)
        {
            diagnostic = diagnostic.with_note(graph.nodes[back].span, "the loop continues here");
        }
        out.push(diagnostic);
    }
}

/// Strongly connected components (Kosaraju, iterative so deep flows cannot overflow the
/// stack).
fn strongly_connected(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let mut order = Vec::with_capacity(n);
    let mut visited = vec![false; n];
    for start in 0..n {
        if visited[start] {
            continue;
        }
        visited[start] = true;
        let mut stack = vec![(start, 0usize)];
        while let Some((node, i)) = stack.pop() {
            if let Some(&next) = edges[node].get(i) {
                stack.push((node, i + 1));
                if !visited[next] {
                    visited[next] = true;
                    stack.push((next, 0));
                }
            } else {
                order.push(node);
            }
        }
    }
    let mut reverse = vec![Vec::new(); n];
    for (from, succ) in edges.iter().enumerate() {
        for &to in succ {
            reverse[to].push(from);
        }
    }
    let mut assigned = vec![false; n];
    let mut components = Vec::new();
    for &root in order.iter().rev() {
        if assigned[root] {
            continue;
        }
        assigned[root] = true;
        let mut component = Vec::new();
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            component.push(node);
            for &prev in &reverse[node] {
                if !assigned[prev] {
                    assigned[prev] = true;
                    stack.push(prev);
                }
            }
        }
        components.push(component);
    }
    components
}

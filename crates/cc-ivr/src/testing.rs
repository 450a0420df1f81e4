//! Flow tests: scripted callers that run a flow on virtual time and check every action,
//! with a coverage report of the steps and branches they exercised. `ccd ivr test` runs
//! them from the command line; Rust tests call [`TestScript::parse`] and [`run`].
//!
//! A script is plain text, one command per line. A line starting with `#` is a comment,
//! and so is what follows ` # ` on a line (so `press 12#` still presses `#`):
//!
//! ```text
//! list blacklist +8613900000000
//! calendar office Asia/Shanghai mon-fri 09:00-12:00,13:00-18:00
//! holiday office 2026-10-01..2026-10-07
//!
//! case blacklisted caller
//! caller +8613900000000
//! at 2026-11-23T10:00:00+08:00
//! expect play blocked
//! played
//! expect hangup
//! end
//! ```
//!
//! Resources: `list NAME NUMBER...`, `calendar NAME ZONE DAYS HOURS` (days `mon-fri` or
//! `mon,sat`; hours `HH:MM-HH:MM[,...]`; repeat for other days), `holiday NAME DATE[..DATE]`,
//! `workday NAME DATE`.
//!
//! In a case: `caller`, `called`, `language`, `at` (RFC 3339 time of the call), then steps.
//! Expectations take the next action and compare: `expect play ITEM, ...` (prompt keys, or
//! `number:N`, `digits:D`, `date:D`, `money:N`, `file:PATH`), `expect stop`,
//! `expect language TAG`, `expect hook NAME`, `expect attribute NAME = VALUE`,
//! `expect enqueue QUEUE`, `expect leave`, `expect transfer KIND TARGET`,
//! `expect callback QUEUE`, `expect voicemail MAILBOX`, `expect record pause|resume`,
//! `expect hangup`, `expect failed`. Events: `press KEYS`, `played`, `wait DURATION`,
//! `timeout` (to the next timer), `reply ok TEXT` / `reply error`,
//! `queue answered|done|gave_back`, `transfer ok|failed`, `callback ok|failed`,
//! `voicemail ok|failed`, `hangup`. `end` requires the flow to be over. After the last
//! step no action may be left unchecked.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cc_core::{DtmfDigit, Timestamp};

use crate::calendar::{Calendar, CalendarConfig};
use crate::program::{Pc, Program, successors_mut};
use crate::session::{Action, Event, PlayPiece, QueueEvent, Resources, Session, SessionContext, TransferTo};

/// A script line that is not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ScriptError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong and what would be right.
    pub message: String,
}

/// One scripted call.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    /// Its name.
    pub name: String,
    /// Line of `case`.
    pub line: usize,
    /// Caller number.
    pub caller: String,
    /// Number dialled.
    pub called: String,
    /// Starting language.
    pub language: String,
    /// Wall-clock time of the call.
    pub at: Timestamp,
    /// Steps with their line numbers.
    pub steps: Vec<(usize, Step)>,
}

/// A script step.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Take the next action and compare it with this description.
    Expect(String),
    /// Press keys, one event each.
    Press(Vec<DtmfDigit>),
    /// Feed an event.
    Send(Event),
    /// Feed a hook reply to the last hook request.
    Reply(Result<String, String>),
    /// Advance time by this much, firing due timers.
    Wait(Duration),
    /// Advance time to the next timer.
    Timeout,
    /// The flow must be over.
    End,
}

/// A parsed script: resources shared by its cases, and the cases.
#[derive(Debug, Clone)]
pub struct TestScript {
    /// Lists and calendars.
    pub resources: Resources,
    /// The cases, in order.
    pub cases: Vec<TestCase>,
}

fn err(line: usize, message: impl Into<String>) -> ScriptError {
    ScriptError {
        line,
        message: message.into(),
    }
}

fn parse_duration(line: usize, text: &str) -> Result<Duration, ScriptError> {
    let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let value: u64 = text[..digits_end]
        .parse()
        .map_err(|_| err(line, format!("{text:?} is not a duration such as 5s or 500ms")))?;
    let ms = match &text[digits_end..] {
        "ms" => value,
        "s" => value.saturating_mul(1_000),
        "m" => value.saturating_mul(60_000),
        _ => {
            return Err(err(
                line,
                format!("{text:?} is not a duration such as 5s or 500ms"),
            ));
        }
    };
    Ok(Duration::from_millis(ms))
}

fn parse_days(line: usize, text: &str) -> Result<Vec<&'static str>, ScriptError> {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let index = |d: &str| {
        DAYS.iter()
            .position(|x| x.eq_ignore_ascii_case(d))
            .ok_or_else(|| err(line, format!("{d:?} is not a day (mon ... sun)")))
    };
    let mut out = Vec::new();
    for part in text.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (index(a)?, index(b)?);
                if a > b {
                    return Err(err(line, format!("day range {part:?} runs backwards")));
                }
                out.extend(&DAYS[a..=b]);
            }
            None => out.push(DAYS[index(part)?]),
        }
    }
    Ok(out)
}

fn event_word(line: usize, word: &str, rest: &str) -> Result<Event, ScriptError> {
    let ok = match rest {
        "ok" => true,
        "failed" => false,
        _ => return Err(err(line, format!("`{word}` takes ok or failed"))),
    };
    Ok(match word {
        "transfer" => Event::TransferResult(ok),
        "callback" => Event::CallbackResult(ok),
        _ => Event::VoicemailResult(ok),
    })
}

impl TestScript {
    /// Parses a script.
    pub fn parse(text: &str) -> Result<Self, ScriptError> {
        let mut lists: HashMap<String, HashSet<String>> = HashMap::new();
        let mut calendars: BTreeMap<String, CalendarConfig> = BTreeMap::new();
        let mut calendar_lines: HashMap<String, usize> = HashMap::new();
        let mut cases: Vec<TestCase> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            // A comment is a line starting with `#`, or what follows ` # ` (so `press 12#`
            // still presses `#`).
            let content = raw.split_once(" # ").map_or(raw, |(before, _)| before).trim();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let (word, rest) = content.split_once(char::is_whitespace).unwrap_or((content, ""));
            let rest = rest.trim();
            match word {
                "list" => {
                    let mut parts = rest.split_whitespace();
                    let name = parts.next().ok_or_else(|| err(line, "`list NAME NUMBER...`"))?;
                    lists
                        .entry(name.to_owned())
                        .or_default()
                        .extend(parts.map(str::to_owned));
                }
                "calendar" => {
                    let parts: Vec<&str> = rest.split_whitespace().collect();
                    let [name, zone, days, hours] = parts[..] else {
                        return Err(err(line, "`calendar NAME ZONE DAYS HH:MM-HH:MM[,...]`"));
                    };
                    let config = calendars
                        .entry(name.to_owned())
                        .or_insert_with(|| CalendarConfig {
                            time_zone: zone.to_owned(),
                            ..CalendarConfig::default()
                        });
                    calendar_lines.entry(name.to_owned()).or_insert(line);
                    for day in parse_days(line, days)? {
                        config
                            .hours
                            .insert(day.to_owned(), hours.split(',').map(str::to_owned).collect());
                    }
                }
                "holiday" | "workday" => {
                    let (name, date) = rest
                        .split_once(char::is_whitespace)
                        .ok_or_else(|| err(line, format!("`{word} CALENDAR DATE`")))?;
                    let config = calendars
                        .get_mut(name)
                        .ok_or_else(|| err(line, format!("calendar {name:?} is not defined above")))?;
                    if word == "holiday" {
                        config.holidays.push(date.trim().to_owned());
                    } else {
                        config.working_days.push(date.trim().to_owned());
                    }
                }
                "case" => cases.push(TestCase {
                    name: rest.to_owned(),
                    line,
                    caller: "+8613800138000".to_owned(),
                    called: "+864001234567".to_owned(),
                    language: "zh-CN".to_owned(),
                    at: Timestamp::UNIX_EPOCH,
                    steps: Vec::new(),
                }),
                _ => {
                    let case = cases
                        .last_mut()
                        .ok_or_else(|| err(line, format!("`{word}` before the first `case`")))?;
                    match word {
                        "caller" => rest.clone_into(&mut case.caller),
                        "called" => rest.clone_into(&mut case.called),
                        "language" => rest.clone_into(&mut case.language),
                        "at" => {
                            case.at = rest.parse::<Timestamp>().map_err(|e| {
                                err(
                                    line,
                                    format!("{rest:?} is not a time like 2026-11-23T10:00:00+08:00: {e}"),
                                )
                            })?;
                        }
                        _ => case.steps.push((line, Self::step(line, word, rest)?)),
                    }
                }
            }
        }
        let mut compiled = HashMap::new();
        for (name, config) in calendars {
            let line = calendar_lines.get(&name).copied().unwrap_or(0);
            let calendar = Calendar::new(&config).map_err(|e| err(line, e.to_string()))?;
            compiled.insert(name, calendar);
        }
        Ok(Self {
            resources: Resources {
                lists,
                calendars: compiled,
            },
            cases,
        })
    }

    fn step(line: usize, word: &str, rest: &str) -> Result<Step, ScriptError> {
        Ok(match word {
            "expect" => {
                if rest.is_empty() {
                    return Err(err(line, "`expect` needs an action, e.g. `expect play welcome`"));
                }
                Step::Expect(rest.to_owned())
            }
            "press" => {
                let keys: Vec<DtmfDigit> = rest
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .map(|c| DtmfDigit::from_char(c).map_err(|e| err(line, e.to_string())))
                    .collect::<Result<_, _>>()?;
                if keys.is_empty() {
                    return Err(err(line, "`press` needs keys, e.g. `press 1` or `press 1234#`"));
                }
                Step::Press(keys)
            }
            "played" => Step::Send(Event::PlayDone),
            "wait" => Step::Wait(parse_duration(line, rest)?),
            "timeout" => Step::Timeout,
            "reply" => match rest.split_once(char::is_whitespace).unwrap_or((rest, "")) {
                ("ok", text) => Step::Reply(Ok(text.trim().to_owned())),
                ("error", text) => Step::Reply(Err(text.trim().to_owned())),
                _ => return Err(err(line, "`reply ok TEXT` or `reply error`")),
            },
            "queue" => Step::Send(Event::Queue(match rest {
                "answered" => QueueEvent::Answered,
                "done" => QueueEvent::AgentDone,
                "gave_back" => QueueEvent::GaveBack {
                    reason: "script".to_owned(),
                },
                _ => return Err(err(line, "`queue answered`, `queue done` or `queue gave_back`")),
            })),
            "transfer" | "callback" | "voicemail" => Step::Send(event_word(line, word, rest)?),
            "hangup" => Step::Send(Event::Hangup),
            "end" => Step::End,
            other => {
                return Err(err(
                    line,
                    format!(
                        "unknown command `{other}`; expected expect, press, played, wait, timeout, reply, \
                         queue, transfer, callback, voicemail, hangup or end"
                    ),
                ));
            }
        })
    }
}

/// The result of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    /// Case name.
    pub name: String,
    /// `None` when it passed; otherwise what went wrong, with the script line.
    pub failure: Option<String>,
}

/// Steps and branches exercised by a set of cases.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Coverage {
    /// Source lines holding reachable steps.
    pub lines_total: usize,
    /// Of those, the lines whose steps ran.
    pub lines_covered: usize,
    /// Distinct branches (edges from a step to a different next step).
    pub branches_total: usize,
    /// Of those, the branches taken.
    pub branches_covered: usize,
    /// Lines never run.
    pub uncovered_lines: Vec<u32>,
    /// Branches never taken, as (line of the step, line it leads to).
    pub uncovered_branches: Vec<(u32, u32)>,
}

impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |a: usize, b: usize| {
            if b == 0 {
                100.0
            } else {
                a as f64 * 100.0 / b as f64
            }
        };
        writeln!(
            f,
            "steps: {}/{} lines ({:.1}%), branches: {}/{} ({:.1}%)",
            self.lines_covered,
            self.lines_total,
            pct(self.lines_covered, self.lines_total),
            self.branches_covered,
            self.branches_total,
            pct(self.branches_covered, self.branches_total)
        )?;
        if !self.uncovered_lines.is_empty() {
            let lines: Vec<String> = self.uncovered_lines.iter().map(u32::to_string).collect();
            writeln!(f, "  lines never run: {}", lines.join(", "))?;
        }
        for (from, to) in &self.uncovered_branches {
            writeln!(f, "  branch never taken: line {from} -> line {to}")?;
        }
        Ok(())
    }
}

/// The outcome of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestReport {
    /// One result per case.
    pub cases: Vec<CaseResult>,
    /// What the cases exercised together.
    pub coverage: Coverage,
}

impl TestReport {
    /// Whether every case passed.
    pub fn passed(&self) -> bool {
        self.cases.iter().all(|c| c.failure.is_none())
    }
}

/// Runs every case of `script` on `program`.
pub fn run(program: &Arc<Program>, script_text: &str) -> Result<TestReport, ScriptError> {
    let script = TestScript::parse(script_text)?;
    let resources = Arc::new(script.resources.clone());
    let mut results = Vec::new();
    let mut visits: Vec<Vec<u32>> = program.bodies.iter().map(|b| vec![0; b.ops.len()]).collect();
    let mut edges: HashSet<(u16, Pc, Pc)> = HashSet::new();
    for case in &script.cases {
        let (failure, session) = run_case(program, &resources, case);
        if let Some(trace) = session.trace() {
            for (body, counts) in trace.visits.iter().enumerate() {
                for (pc, n) in counts.iter().enumerate() {
                    visits[body][pc] += n;
                }
            }
            edges.extend(trace.edges.iter().copied());
        }
        results.push(CaseResult {
            name: case.name.clone(),
            failure,
        });
    }
    Ok(TestReport {
        cases: results,
        coverage: coverage(program, &visits, &edges),
    })
}

fn run_case(
    program: &Arc<Program>,
    resources: &Arc<Resources>,
    case: &TestCase,
) -> (Option<String>, Session) {
    let mut now = Instant::now();
    let mut session = Session::traced(
        Arc::clone(program),
        SessionContext {
            caller: case.caller.clone(),
            called: case.called.clone(),
            language: case.language.clone(),
            start: now,
            start_wall: case.at,
            resources: Arc::clone(resources),
        },
    );
    let mut last_hook = None;
    let mut pending = std::collections::VecDeque::new();
    let drain = |session: &mut Session,
                 pending: &mut std::collections::VecDeque<Action>,
                 last_hook: &mut Option<u32>| {
        while let Some(action) = session.poll_action() {
            if let Action::Hook { id, .. } = &action {
                *last_hook = Some(*id);
            }
            pending.push_back(action);
        }
    };
    for (line, step) in &case.steps {
        drain(&mut session, &mut pending, &mut last_hook);
        let fail = |message: String| Some(format!("line {line}: {message}"));
        match step {
            Step::Expect(expected) => match pending.pop_front() {
                Some(action) => {
                    let got = describe(&action);
                    if !same(&got, expected) {
                        return (fail(format!("expected `{expected}`, got `{got}`")), session);
                    }
                }
                None => {
                    return (
                        fail(format!("expected `{expected}`, but the flow asked for nothing")),
                        session,
                    );
                }
            },
            other => {
                if let Some(action) = pending.pop_front() {
                    return (
                        fail(format!(
                            "`{}` was asked for and not checked before this step",
                            describe(&action)
                        )),
                        session,
                    );
                }
                match other {
                    Step::Press(keys) => {
                        for &key in keys {
                            session.handle_event(now, Event::Digit(key));
                        }
                    }
                    Step::Send(event) => session.handle_event(now, event.clone()),
                    Step::Reply(result) => match last_hook {
                        Some(id) => session.handle_event(
                            now,
                            Event::HookResult {
                                id,
                                result: result.clone(),
                            },
                        ),
                        None => return (fail("`reply` but no hook was asked".to_owned()), session),
                    },
                    Step::Wait(by) => {
                        let until = now + *by;
                        while let Some(deadline) = session.poll_timeout().filter(|d| *d <= until) {
                            now = deadline;
                            session.handle_timeout(now);
                        }
                        now = until;
                    }
                    Step::Timeout => match session.poll_timeout() {
                        Some(deadline) => {
                            now = deadline.max(now);
                            session.handle_timeout(now);
                        }
                        None => return (fail("`timeout` but no timer is pending".to_owned()), session),
                    },
                    Step::End => {
                        if !session.is_finished() {
                            return (fail("the flow is not over".to_owned()), session);
                        }
                    }
                    Step::Expect(_) => {}
                }
            }
        }
    }
    drain(&mut session, &mut pending, &mut last_hook);
    if let Some(action) = pending.pop_front() {
        return (
            Some(format!(
                "case at line {}: `{}` was asked for after the last step",
                case.line,
                describe(&action)
            )),
            session,
        );
    }
    (None, session)
}

/// Compares an action description with an expectation, ignoring spacing differences.
fn same(got: &str, expected: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace(" ,", ",")
    };
    norm(got) == norm(expected)
}

/// An action in script words.
pub fn describe(action: &Action) -> String {
    match action {
        Action::Play { items, .. } => {
            let items: Vec<String> = items
                .iter()
                .map(|i| match i {
                    PlayPiece::Prompt(p) => p.clone(),
                    PlayPiece::File(p) => format!("file:{p}"),
                    PlayPiece::Number(n) => format!("number:{n}"),
                    PlayPiece::Digits(d) => format!("digits:{d}"),
                    PlayPiece::Date(d) => format!("date:{d}"),
                    PlayPiece::Money(m) => format!("money:{m}"),
                })
                .collect();
            format!("play {}", items.join(", "))
        }
        Action::StopPlay => "stop".to_owned(),
        Action::Hook { hook, .. } => format!("hook {hook}"),
        Action::SetLanguage { language } => format!("language {language}"),
        Action::SetAttribute { name, value } => format!("attribute {name} = {value}"),
        Action::Enqueue { queue, .. } => format!("enqueue {queue}"),
        Action::LeaveQueue => "leave".to_owned(),
        Action::Transfer { to } => match to {
            TransferTo::Number(n) => format!("transfer number {n}"),
            TransferTo::Agent(a) => format!("transfer agent {a}"),
            TransferTo::External(x) => format!("transfer external {x}"),
        },
        Action::Callback { queue, .. } => format!("callback {queue}"),
        Action::Voicemail { mailbox, .. } => format!("voicemail {mailbox}"),
        Action::Record { pause } => format!("record {}", if *pause { "pause" } else { "resume" }),
        Action::Hangup => "hangup".to_owned(),
        Action::Failed { .. } => "failed".to_owned(),
    }
}

/// Steps reachable from each body's start, following successors (calls continue after
/// the call).
fn reachable(program: &Program) -> Vec<Vec<bool>> {
    program
        .bodies
        .iter()
        .map(|code| {
            let mut seen = vec![false; code.ops.len()];
            let mut stack = vec![0usize];
            while let Some(pc) = stack.pop() {
                if pc >= seen.len() || std::mem::replace(&mut seen[pc], true) {
                    continue;
                }
                let mut op = code.ops[pc].clone();
                stack.extend(successors_mut(&mut op).into_iter().map(|p| *p as usize));
            }
            seen
        })
        .collect()
}

fn coverage(program: &Program, visits: &[Vec<u32>], edges: &HashSet<(u16, Pc, Pc)>) -> Coverage {
    let reachable = reachable(program);
    let mut lines: BTreeMap<u32, bool> = BTreeMap::new();
    let mut branches: BTreeSet<(u16, Pc, Pc)> = BTreeSet::new();
    for (b, code) in program.bodies.iter().enumerate() {
        for (pc, op) in code.ops.iter().enumerate() {
            if !reachable[b][pc] {
                continue;
            }
            let line = code.lines.get(pc).copied().unwrap_or(0);
            if line > 0 {
                let ran = visits[b][pc] > 0;
                lines.entry(line).and_modify(|r| *r |= ran).or_insert(ran);
            }
            let mut op = op.clone();
            let targets: BTreeSet<Pc> = successors_mut(&mut op).into_iter().map(|p| *p).collect();
            if targets.len() > 1 {
                for t in targets {
                    branches.insert((b as u16, pc as Pc, t));
                }
            }
        }
    }
    let line_of = |b: u16, pc: Pc| {
        program.bodies[usize::from(b)]
            .lines
            .get(pc as usize)
            .copied()
            .unwrap_or(0)
    };
    let uncovered_branches: Vec<(u32, u32)> = branches
        .iter()
        .filter(|e| !edges.contains(e))
        .map(|&(b, from, to)| (line_of(b, from), line_of(b, to)))
        .collect();
    Coverage {
        lines_total: lines.len(),
        lines_covered: lines.values().filter(|r| **r).count(),
        branches_total: branches.len(),
        branches_covered: branches.len() - uncovered_branches.len(),
        uncovered_lines: lines.iter().filter(|(_, r)| !**r).map(|(l, _)| *l).collect(),
        uncovered_branches,
    }
}

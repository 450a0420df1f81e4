//! The IVR behind `cc_ivr_*`: checking a flow with every diagnostic, compiling it, and
//! running caller sessions. Parsing, checking and interpreting are [`cc_ivr`]'s.

use std::ffi::c_char;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cc_core::{DtmfDigit, Timestamp};
use cc_ivr::{
    Diagnostic, Environment, Event, Program, QueueEvent, Resources, Session, SessionContext, Severity,
};

use crate::error::{Error, Result, boundary, boundary_or, cc_result};
use crate::ffi::{
    Castable, cc_str, cc_str_arg, check_out, copy_out, free_boxed, required_str, str_arg, to_boxed, try_mut,
    try_ref, write_out,
};
use crate::router::CC_NO_TIMEOUT;

/// Reads an environment TOML (the keys of `ccd ivr check --env`, without `prompt_dirs`).
/// Empty text means "check the flow alone".
fn environment(text: &str) -> Result<Environment> {
    if text.trim().is_empty() {
        return Ok(Environment::unchecked());
    }
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        Error::new(
            cc_result::CC_PARSE_ERROR,
            format!("environment: {}", e.to_string().trim_end()),
        )
    })?;
    if table.contains_key("prompt_dirs") {
        return Err(Error::new(
            cc_result::CC_PARSE_ERROR,
            "environment: prompt_dirs names folders, which the C API does not read; list the prompt keys in `prompts` instead",
        ));
    }
    table.try_into().map_err(|e: toml::de::Error| {
        Error::new(
            cc_result::CC_PARSE_ERROR,
            format!(
                "environment: {}; the keys are queues, prompts, lists, calendars, hooks, external, mailboxes",
                e.to_string().trim_end()
            ),
        )
    })
}

// ----- diagnostics ----------------------------------------------------------------------

/// The findings of `cc_ivr_check`: every error and warning of a flow, in source order.
///
/// Immutable once made: may be read from several threads at once. Free with
/// `cc_ivr_diagnostics_free`.
#[allow(non_camel_case_types)]
pub struct cc_ivr_diagnostics {
    _private: [u8; 0],
}

impl Castable for cc_ivr_diagnostics {
    type Rust = Diagnostics;
}

/// One finding, kept with its position and rendered text.
pub(crate) struct Item {
    severity: Severity,
    line: u32,
    column: u32,
    start: u32,
    end: u32,
    message: String,
    rendered: String,
}

/// The Rust side of `cc_ivr_diagnostics`.
pub(crate) struct Diagnostics {
    items: Vec<Item>,
    errors: usize,
}

/// The severity of a `cc_ivr_diagnostic`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum cc_severity {
    /// The flow may run, but something looks wrong.
    CC_SEVERITY_WARNING = 1,
    /// The flow must not run.
    CC_SEVERITY_ERROR = 2,
}

/// One diagnostic, from `cc_ivr_diagnostics_get`. Its strings are borrowed from the
/// diagnostics handle and stay valid until it is freed.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
#[allow(non_camel_case_types)]
pub struct cc_ivr_diagnostic {
    /// Error or warning.
    pub severity: cc_severity,
    /// 1-based line of the start.
    pub line: u32,
    /// 1-based column of the start, in characters.
    pub column: u32,
    /// Byte offset of the start in the flow source.
    pub start: u32,
    /// Byte offset one past the end.
    pub end: u32,
    /// What is wrong and what would be right.
    pub message: cc_str,
    /// `file:line:col: error: message`, the source line and a caret line under the span,
    /// then any notes; ends with a newline.
    pub rendered: cc_str,
}

fn collect(file: &str, source: &str, mut found: Vec<Diagnostic>) -> Diagnostics {
    found.sort_by_key(|d| (d.span.start, d.span.end));
    let items: Vec<Item> = found
        .iter()
        .map(|d| {
            let (line, column) = cc_ivr::line_col(source, d.span.start);
            Item {
                severity: d.severity,
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: u32::try_from(column).unwrap_or(u32::MAX),
                start: d.span.start,
                end: d.span.end,
                message: d.message.clone(),
                rendered: d.render(file, source),
            }
        })
        .collect();
    let errors = items.iter().filter(|i| i.severity == Severity::Error).count();
    Diagnostics { items, errors }
}

/// Parses and checks a flow against an environment, and writes every diagnostic to a new
/// handle at `*out` (also when the flow has errors: that is the answer, not a failure).
///
/// `file` names the flow in rendered text (empty: `flow`). `env` is an environment TOML
/// (`queues`, `prompts`, `lists`, `calendars`, `hooks`, `external`, `mailboxes`: arrays of
/// names); empty or NULL checks the flow alone. Returns `CC_PARSE_ERROR` for a bad
/// environment. Free the handle with `cc_ivr_diagnostics_free`.
///
/// # Safety
///
/// Each (pointer, length) pair points to that many readable bytes (a pointer may be NULL
/// with length 0 where documented); `out` is NULL or a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_ivr_check(
    file: *const c_char,
    file_len: usize,
    flow: *const c_char,
    flow_len: usize,
    env: *const c_char,
    env_len: usize,
    out: *mut *mut cc_ivr_diagnostics,
) -> cc_result {
    boundary("cc_ivr_check", || {
        check_out(out, "out")?;
        // SAFETY: per this function's contract.
        let (file, source, env) = unsafe {
            (
                str_arg(file, file_len, "file")?,
                required_str(flow, flow_len, "flow")?,
                str_arg(env, env_len, "env")?,
            )
        };
        let env = environment(env)?;
        let file = if file.is_empty() { "flow" } else { file };
        let parsed = cc_ivr::parse(source);
        let mut found = parsed.diagnostics;
        if let Some(flow) = &parsed.flow {
            found.extend(cc_ivr::check(flow, &env));
        }
        let handle = collect(file, source, found);
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { write_out(out, to_boxed::<cc_ivr_diagnostics>(handle), "out") }
    })
}

/// How many diagnostics the handle holds; 0 for NULL.
///
/// # Safety
///
/// `diagnostics` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_ivr_diagnostics_count(diagnostics: *const cc_ivr_diagnostics) -> usize {
    boundary_or("cc_ivr_diagnostics_count", 0, || {
        // SAFETY: per this function's contract.
        unsafe { try_ref(diagnostics, "diagnostics") }.map_or(0, |d| d.items.len())
    })
}

/// How many of the diagnostics are errors (a flow with none may be compiled); 0 for NULL.
///
/// # Safety
///
/// `diagnostics` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_ivr_diagnostics_error_count(diagnostics: *const cc_ivr_diagnostics) -> usize {
    boundary_or("cc_ivr_diagnostics_error_count", 0, || {
        // SAFETY: per this function's contract.
        unsafe { try_ref(diagnostics, "diagnostics") }.map_or(0, |d| d.errors)
    })
}

/// Writes diagnostic number `index` (from 0) to `*out`. `CC_INVALID_ARGUMENT` when `index`
/// is not below the count.
///
/// # Safety
///
/// `diagnostics` is NULL or a live handle; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_ivr_diagnostics_get(
    diagnostics: *const cc_ivr_diagnostics,
    index: usize,
    out: *mut cc_ivr_diagnostic,
) -> cc_result {
    boundary("cc_ivr_diagnostics_get", || {
        // SAFETY: per this function's contract.
        let d = unsafe { try_ref(diagnostics, "diagnostics") }?;
        let item = d.items.get(index).ok_or_else(|| {
            Error::invalid(format!(
                "index {index} is out of range; the handle holds {} diagnostic(s)",
                d.items.len()
            ))
        })?;
        let value = cc_ivr_diagnostic {
            severity: match item.severity {
                Severity::Warning => cc_severity::CC_SEVERITY_WARNING,
                Severity::Error => cc_severity::CC_SEVERITY_ERROR,
            },
            line: item.line,
            column: item.column,
            start: item.start,
            end: item.end,
            message: cc_str::borrow(&item.message),
            rendered: cc_str::borrow(&item.rendered),
        };
        // SAFETY: per this function's contract.
        unsafe { write_out(out, value, "out") }
    })
}

/// Frees a diagnostics handle. NULL is a no-op.
///
/// # Safety
///
/// `diagnostics` is NULL or a live handle from `cc_ivr_check`, freed exactly once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_ivr_diagnostics_free(diagnostics: *mut cc_ivr_diagnostics) {
    boundary_or("cc_ivr_diagnostics_free", (), || {
        // SAFETY: per this function's contract.
        unsafe { free_boxed(diagnostics) }
    });
}

// ----- programs -------------------------------------------------------------------------

/// A compiled flow. Immutable: may be shared by several threads and sessions at once.
/// Sessions keep what they need, so the program may be freed before its sessions.
#[allow(non_camel_case_types)]
pub struct cc_ivr_program {
    _private: [u8; 0],
}

impl Castable for cc_ivr_program {
    type Rust = Arc<Program>;
}

/// Parses, checks and compiles a flow (see `cc_ivr_check` for `env`). `CC_FLOW_ERROR` when
/// the flow has errors (the message gives the count and the first; `cc_ivr_check` gives
/// them all); `CC_PARSE_ERROR` for a bad environment. On success writes a new program to
/// `*out`; free it with `cc_ivr_program_free`.
///
/// # Safety
///
/// As `cc_ivr_check`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_ivr_program_compile(
    flow: *const c_char,
    flow_len: usize,
    env: *const c_char,
    env_len: usize,
    out: *mut *mut cc_ivr_program,
) -> cc_result {
    boundary("cc_ivr_program_compile", || {
        check_out(out, "out")?;
        // SAFETY: per this function's contract.
        let (source, env) = unsafe {
            (
                required_str(flow, flow_len, "flow")?,
                str_arg(env, env_len, "env")?,
            )
        };
        let env = environment(env)?;
        let program = Program::compile(source, &env).map_err(|e| {
            let first = e.errors.first().map_or_else(String::new, |d| {
                let (line, col) = cc_ivr::line_col(source, d.span.start);
                format!("; first, at {line}:{col}: {}", d.message)
            });
            Error::new(
                cc_result::CC_FLOW_ERROR,
                format!("the flow has {} error(s){first}", e.errors.len()),
            )
        })?;
        // SAFETY: per this function's contract.
        unsafe { write_out(out, to_boxed::<cc_ivr_program>(program), "out") }
    })
}

/// Copies the program's version (a content hash, 16 hex digits) and a NUL into `buf`;
/// `*out_len` gets its length. With a buffer too small (or NULL and 0), returns
/// `CC_BUFFER_TOO_SMALL` and writes the size needed, NUL included, to `*out_len`.
///
/// # Safety
///
/// `program` is NULL or a live handle; `buf` is NULL or has `len` writable bytes; `out_len`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_ivr_program_version(
    program: *const cc_ivr_program,
    buf: *mut std::ffi::c_char,
    len: usize,
    out_len: *mut usize,
) -> cc_result {
    boundary("cc_ivr_program_version", || {
        // SAFETY: per this function's contract.
        let p = unsafe { try_ref(program, "program") }?;
        // SAFETY: per this function's contract.
        unsafe { copy_out(&p.version, buf, len, out_len) }
    })
}

/// Frees a program. NULL is a no-op. Sessions made from it keep working.
///
/// # Safety
///
/// `program` is NULL or a live handle from `cc_ivr_program_compile`, freed exactly once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_ivr_program_free(program: *mut cc_ivr_program) {
    boundary_or("cc_ivr_program_free", (), || {
        // SAFETY: per this function's contract.
        unsafe { free_boxed(program) }
    });
}

// ----- sessions -------------------------------------------------------------------------

/// One caller's walk through a flow. Not thread-safe: one thread at a time.
#[allow(non_camel_case_types)]
pub struct cc_ivr_session {
    _private: [u8; 0],
}

impl Castable for cc_ivr_session {
    type Rust = SessionHandle;
}

/// The Rust side of `cc_ivr_session`.
pub(crate) struct SessionHandle {
    session: Session,
    base: Instant,
    base_ms: u64,
    /// An action taken from the session but not yet delivered (the buffer was too small).
    pending: Option<String>,
}

impl SessionHandle {
    fn instant(&self, ms: u64) -> Result<Instant> {
        if ms == CC_NO_TIMEOUT {
            return Err(crate::router::no_timeout_as_time());
        }
        let after = ms.checked_sub(self.base_ms).ok_or_else(|| {
            Error::invalid(format!(
                "now_ms {ms} is before the session started ({}); times must not go back",
                self.base_ms
            ))
        })?;
        self.base
            .checked_add(Duration::from_millis(after))
            .ok_or_else(|| Error::invalid(format!("now_ms {ms} is too far in the future")))
    }
}

/// Starts a session of `program` for a caller, at `now_ms` on the caller's monotonic
/// clock; `wall_unix_ms` is the wall-clock time then (milliseconds since 1970, UTC), which
/// calendars judge. `caller`, `called` and `language` (the starting language, e.g.
/// `zh-CN`) are UTF-8; `language` must not be empty. The flow runs until it first waits:
/// poll actions next. The session has no lists or calendars: a flow that consults one
/// fails there; `cc_ivr_session_new_with_resources` gives it some.
///
/// # Safety
///
/// `program` is NULL or a live handle; each string points to that many readable bytes;
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_ivr_session_new(
    program: *const cc_ivr_program,
    caller: *const c_char,
    caller_len: usize,
    called: *const c_char,
    called_len: usize,
    language: *const c_char,
    language_len: usize,
    now_ms: u64,
    wall_unix_ms: i64,
    out: *mut *mut cc_ivr_session,
) -> cc_result {
    boundary("cc_ivr_session_new", || {
        // SAFETY: per this function's contract.
        unsafe {
            new_session(
                program,
                (caller, caller_len),
                (called, called_len),
                (language, language_len),
                Arc::new(Resources::default()),
                now_ms,
                wall_unix_ms,
                out,
            )
        }
    })
}

/// As `cc_ivr_session_new`, with the lists and calendars the flow consults, as TOML in
/// `resources` (empty or NULL: none):
///
/// ```toml
/// [lists]
/// blacklist = ["+8613900000000"]
/// [calendars.office]
/// time_zone = "Asia/Shanghai"
/// hours = { mon = ["09:00-12:00", "13:00-18:00"], tue = ["09:00-18:00"] }
/// holidays = ["2026-10-01..2026-10-07"]
/// working_days = ["2026-10-10"]
/// ```
///
/// Returns `CC_PARSE_ERROR` for text that is not such TOML (the message names the key) and
/// `CC_CONFIG_ERROR` for a calendar refused (naming the calendar and its field).
///
/// # Safety
///
/// As `cc_ivr_session_new`; `resources` points to `resources_len` readable bytes or is NULL
/// with length 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_ivr_session_new_with_resources(
    program: *const cc_ivr_program,
    caller: *const c_char,
    caller_len: usize,
    called: *const c_char,
    called_len: usize,
    language: *const c_char,
    language_len: usize,
    resources: *const c_char,
    resources_len: usize,
    now_ms: u64,
    wall_unix_ms: i64,
    out: *mut *mut cc_ivr_session,
) -> cc_result {
    boundary("cc_ivr_session_new_with_resources", || {
        // SAFETY: per this function's contract.
        let text = unsafe { str_arg(resources, resources_len, "resources") }?;
        let resources = parse_resources(text)?;
        // SAFETY: per this function's contract.
        unsafe {
            new_session(
                program,
                (caller, caller_len),
                (called, called_len),
                (language, language_len),
                Arc::new(resources),
                now_ms,
                wall_unix_ms,
                out,
            )
        }
    })
}

/// The TOML of `cc_ivr_session_new_with_resources`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourcesConfig {
    #[serde(default)]
    lists: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(default)]
    calendars: std::collections::BTreeMap<String, cc_ivr::CalendarConfig>,
}

fn parse_resources(text: &str) -> Result<Resources> {
    if text.trim().is_empty() {
        return Ok(Resources::default());
    }
    let config: ResourcesConfig = toml::from_str(text).map_err(|e| {
        Error::new(
            cc_result::CC_PARSE_ERROR,
            format!(
                "resources: {}; the keys are lists (name = [numbers]) and calendars (name = {{ time_zone, hours, holidays, working_days }})",
                e.to_string().trim_end()
            ),
        )
    })?;
    let mut resources = Resources::default();
    for (name, numbers) in config.lists {
        resources.lists.insert(name, numbers.into_iter().collect());
    }
    for (name, calendar) in config.calendars {
        let calendar = cc_ivr::Calendar::new(&calendar).map_err(|e| {
            Error::new(
                cc_result::CC_CONFIG_ERROR,
                format!("resources: calendars.{name}: {e}"),
            )
        })?;
        resources.calendars.insert(name, calendar);
    }
    Ok(resources)
}

/// The body of both session constructors.
///
/// # Safety
///
/// As `cc_ivr_session_new`.
#[allow(clippy::too_many_arguments)]
unsafe fn new_session(
    program: *const cc_ivr_program,
    caller: (*const c_char, usize),
    called: (*const c_char, usize),
    language: (*const c_char, usize),
    resources: Arc<Resources>,
    now_ms: u64,
    wall_unix_ms: i64,
    out: *mut *mut cc_ivr_session,
) -> Result<()> {
    check_out(out, "out")?;
    // SAFETY: per this function's contract.
    let p = unsafe { try_ref(program, "program") }?;
    // SAFETY: per this function's contract.
    let (caller, called, language) = unsafe {
        (
            str_arg(caller.0, caller.1, "caller")?,
            str_arg(called.0, called.1, "called")?,
            required_str(language.0, language.1, "language")?,
        )
    };
    let start_wall = Timestamp::from_millisecond(wall_unix_ms)
        .map_err(|e| Error::invalid(format!("wall_unix_ms {wall_unix_ms}: {e}")))?;
    let base = Instant::now();
    let session = Session::new(
        Arc::clone(p),
        SessionContext {
            caller: caller.to_owned(),
            called: called.to_owned(),
            language: language.to_owned(),
            start: base,
            start_wall,
            resources,
        },
    );
    let handle = SessionHandle {
        session,
        base,
        base_ms: now_ms,
        pending: None,
    };
    // SAFETY: per this function's contract.
    unsafe { write_out(out, to_boxed::<cc_ivr_session>(handle), "out") }
}

/// Frees a session. NULL is a no-op.
///
/// # Safety
///
/// `session` is NULL or a live handle from `cc_ivr_session_new`, freed exactly once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_ivr_session_free(session: *mut cc_ivr_session) {
    boundary_or("cc_ivr_session_free", (), || {
        // SAFETY: per this function's contract.
        unsafe { free_boxed(session) }
    });
}

/// The kind of a `cc_ivr_event`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum cc_ivr_event_kind {
    /// The caller pressed `digit` (`0`-`9`, `*`, `#`, `A`-`D`).
    CC_IVR_EVENT_DIGIT = 1,
    /// The last play finished.
    CC_IVR_EVENT_PLAY_DONE = 2,
    /// Hook request `hook_id` answered: `ok` with `text` as the answer, or failed with
    /// `text` as the reason.
    CC_IVR_EVENT_HOOK_RESULT = 3,
    /// An agent answered the queued caller.
    CC_IVR_EVENT_QUEUE_ANSWERED = 4,
    /// The agent hung up; the caller is still on the line.
    CC_IVR_EVENT_QUEUE_DONE = 5,
    /// The queue gave the caller back; `text` says why.
    CC_IVR_EVENT_QUEUE_GAVE_BACK = 6,
    /// The transfer connected (`ok`) or failed.
    CC_IVR_EVENT_TRANSFER_RESULT = 7,
    /// The callback was registered (`ok`) or not.
    CC_IVR_EVENT_CALLBACK_RESULT = 8,
    /// The voicemail was recorded (`ok`) or not.
    CC_IVR_EVENT_VOICEMAIL_RESULT = 9,
    /// The host's own timer fired: the same as `cc_ivr_session_handle_timeout`.
    CC_IVR_EVENT_TIMEOUT = 10,
    /// The caller hung up.
    CC_IVR_EVENT_HANGUP = 11,
}

/// What happened to a session's caller (`cc_ivr_session_handle_event`). Fields a kind
/// does not use are ignored. Strings are borrowed for the call only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
#[allow(non_camel_case_types)]
pub struct cc_ivr_event {
    /// A `cc_ivr_event_kind` value (a `uint32_t` so that an unknown number is refused).
    pub kind: u32,
    /// The key, for `CC_IVR_EVENT_DIGIT`.
    pub digit: c_char,
    /// Success, for the result kinds.
    pub ok: bool,
    /// The request id, for `CC_IVR_EVENT_HOOK_RESULT`.
    pub hook_id: u32,
    /// The hook's answer or failure, or the queue's reason.
    pub text: cc_str,
}

/// Feeds one event at `now_ms`. `CC_INVALID_STATE` when the session has ended,
/// `CC_INVALID_ARGUMENT` for an unknown kind or key. Poll actions next.
///
/// # Safety
///
/// `session` is NULL or a live handle used by no other thread during the call; `event` is
/// NULL or points to a readable `cc_ivr_event` whose `text` is readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_ivr_session_handle_event(
    session: *mut cc_ivr_session,
    event: *const cc_ivr_event,
    now_ms: u64,
) -> cc_result {
    boundary("cc_ivr_session_handle_event", || {
        // SAFETY: per this function's contract.
        let s = unsafe { try_mut(session, "session") }?;
        // SAFETY: per this function's contract.
        let e = unsafe { event.as_ref() }.ok_or_else(|| Error::null("event"))?;
        // SAFETY: `e.text` is readable per the contract.
        let text = unsafe { cc_str_arg(e.text, "event.text") }?.to_owned();
        let event = match e.kind {
            1 => {
                let c = char::from(e.digit as u8);
                Event::Digit(
                    DtmfDigit::from_char(c)
                        .map_err(|err| Error::invalid(format!("event.digit {c:?}: {err}")))?,
                )
            }
            2 => Event::PlayDone,
            3 => Event::HookResult {
                id: e.hook_id,
                result: if e.ok { Ok(text) } else { Err(text) },
            },
            4 => Event::Queue(QueueEvent::Answered),
            5 => Event::Queue(QueueEvent::AgentDone),
            6 => Event::Queue(QueueEvent::GaveBack { reason: text }),
            7 => Event::TransferResult(e.ok),
            8 => Event::CallbackResult(e.ok),
            9 => Event::VoicemailResult(e.ok),
            10 => Event::Timeout,
            11 => Event::Hangup,
            k => {
                return Err(Error::invalid(format!(
                    "event.kind {k} is not a cc_ivr_event_kind (1 to 11)"
                )));
            }
        };
        if s.session.is_finished() {
            return Err(Error::new(
                cc_result::CC_INVALID_STATE,
                "the session has ended (hung up, transferred, failed or finished); free it",
            ));
        }
        let now = s.instant(now_ms)?;
        s.session.handle_event(now, event);
        Ok(())
    })
}

/// Fires the session's timer if due at `now_ms` (an early call does nothing).
///
/// # Safety
///
/// `session` is NULL or a live handle used by no other thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_ivr_session_handle_timeout(
    session: *mut cc_ivr_session,
    now_ms: u64,
) -> cc_result {
    boundary("cc_ivr_session_handle_timeout", || {
        // SAFETY: per this function's contract.
        let s = unsafe { try_mut(session, "session") }?;
        let now = s.instant(now_ms)?;
        s.session.handle_timeout(now);
        Ok(())
    })
}

/// Writes when the session next needs `cc_ivr_session_handle_timeout`, on the caller's
/// clock, or `CC_NO_TIMEOUT`.
///
/// # Safety
///
/// `session` is NULL or a live handle not mutated during the call; `out_ms` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_ivr_session_poll_timeout(
    session: *const cc_ivr_session,
    out_ms: *mut u64,
) -> cc_result {
    boundary("cc_ivr_session_poll_timeout", || {
        // SAFETY: per this function's contract.
        let s = unsafe { try_ref(session, "session") }?;
        let at = s.session.poll_timeout().map_or(CC_NO_TIMEOUT, |at| {
            let d = at.saturating_duration_since(s.base);
            let ms = crate::ffi::ceil_millis(d);
            u64::try_from(ms)
                .ok()
                .and_then(|ms| ms.checked_add(s.base_ms))
                .unwrap_or(CC_NO_TIMEOUT - 1)
        });
        // SAFETY: per this function's contract.
        unsafe { write_out(out_ms, at, "out_ms") }
    })
}

/// Whether the flow is over (hung up, transferred, failed or finished); false for NULL.
///
/// # Safety
///
/// `session` is NULL or a live handle not mutated during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_ivr_session_is_finished(session: *const cc_ivr_session) -> bool {
    boundary_or("cc_ivr_session_is_finished", false, || {
        // SAFETY: per this function's contract.
        unsafe { try_ref(session, "session") }.is_ok_and(|s| s.session.is_finished())
    })
}

/// Takes the next action the flow asks for, as one JSON object (e.g.
/// `{"action":"play","items":[{"kind":"prompt","value":"welcome"}],"language":"en","barge":true}`),
/// copied with a NUL into `buf`; `*out_len` gets its length, and 0 (with `buf` holding an
/// empty string) when no action is pending. The `action` field names the kind: `play`,
/// `stop_play`, `hook`, `set_language`, `set_attribute`, `enqueue`, `leave_queue`,
/// `transfer`, `callback`, `voicemail`, `record`, `hangup`, `failed`.
///
/// With a buffer too small (or NULL and 0), returns `CC_BUFFER_TOO_SMALL`, writes the size
/// needed (NUL included) to `*out_len` and keeps the action for the next call.
///
/// # Safety
///
/// `session` is NULL or a live handle used by no other thread during the call; `buf` is
/// NULL or has `len` writable bytes; `out_len` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_ivr_session_poll_action(
    session: *mut cc_ivr_session,
    buf: *mut std::ffi::c_char,
    len: usize,
    out_len: *mut usize,
) -> cc_result {
    boundary("cc_ivr_session_poll_action", || {
        check_out(out_len, "out_len")?;
        // SAFETY: per this function's contract.
        let s = unsafe { try_mut(session, "session") }?;
        if s.pending.is_none() {
            s.pending = match s.session.poll_action() {
                Some(action) => Some(serde_json::to_string(&action).map_err(|e| {
                    Error::new(
                        cc_result::CC_PANIC,
                        format!("cannot write the action as JSON: {e}"),
                    )
                })?),
                None => None,
            };
        }
        let text = s.pending.as_deref().unwrap_or("");
        // SAFETY: per this function's contract.
        unsafe { copy_out(text, buf, len, out_len) }?;
        s.pending = None;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_errors_say_what_is_wrong() {
        assert!(environment("").is_ok());
        let e = environment("queue = [\"x\"]")
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(e.contains("queue"), "{e}");
        let e = environment("prompt_dirs = [\"p\"]")
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(e.contains("prompt_dirs"), "{e}");
    }
}

//! A running contact center behind `cc_center`: started from a TOML file, on its own
//! tokio runtime, with agents, a JSON snapshot and numbered events for the host.
//!
//! Every decision is made by [`Center`]; this module only starts it,
//! forwards requests through its [`CenterHandle`] and hands its events to a C callback.

use std::cell::Cell;
use std::collections::HashSet;
use std::ffi::{c_char, c_void};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use ::cc_center::config::{CenterConfig, ConfigError};
use ::cc_center::control::SuperviseMode;
use ::cc_center::runtime::{Center, CenterHandle, StartError};
use cc_core::{AgentId, ContactId, TenantId};
use tokio::sync::{broadcast, oneshot};

use crate::error::{Error, Result, boundary, boundary_or, cc_result, set_last_error};
use crate::ffi::{
    Castable, check_out, copy_out, free_boxed, required_str, str_arg, to_boxed, try_ref, write_out,
};

/// A running contact center: SIP, media, call control and storage on a tokio runtime of
/// two worker threads that the handle owns.
///
/// Made by `cc_center_start`; stopped by `cc_center_stop`, freed by `cc_center_free`.
/// Thread-safe: every function but `cc_center_free` may be called from several threads at
/// once (requests are queued to the center's control task).
#[allow(non_camel_case_types)]
pub struct cc_center {
    _private: [u8; 0],
}

impl Castable for cc_center {
    type Rust = CenterBox;
}

/// Receives one event of a running center as JSON.
///
/// Called with the `userdata` given to `cc_center_start`, and `len` bytes of UTF-8 JSON at
/// `json` (also NUL-terminated), e.g.
/// `{"seq":3,"tenant":"acme","event":"agent","agent":"1001","status":"ready","reason":null}`.
/// `event` is `agent`, `contact_ended` or `registered`; `seq` counts 1, 2, 3... and a gap
/// means events were missed (the callback fell more than 1,024 events behind). The text is
/// valid only during the call: copy what you keep.
///
/// Called from one thread the center starts for it, never from the caller's threads; calls
/// never overlap, and none happens after `cc_center_stop` (or `cc_center_free`) returns. The
/// callback must not call `cc_center_stop` or `cc_center_free` on its own center (that is
/// refused with `CC_INVALID_STATE`, or does nothing); other `cc_center_*` calls are fine but
/// delay later events.
#[allow(non_camel_case_types)]
pub type cc_center_event_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, json: *const c_char, len: usize)>;

/// The caller's callback and its `userdata`, moved to the event thread.
struct Callback {
    function: unsafe extern "C" fn(*mut c_void, *const c_char, usize),
    userdata: *mut c_void,
}

// SAFETY: `cc_center_start` documents that `userdata` is used from the event thread; the
// caller promises it may be, and the pointer is only handed back to the caller's callback.
unsafe impl Send for Callback {}

/// Numbers the centers of this process, so an event thread knows whose it is.
static NEXT_CENTER: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// On an event thread, the number of the center it delivers for; 0 elsewhere. (A
    /// plain `Cell`, not `std::thread::current()`, which allocates a handle that is never
    /// freed on a thread the C program made.)
    static EVENT_THREAD_OF: Cell<u64> = const { Cell::new(0) };
}

/// The thread that delivers events, and how to end it.
struct EventThread {
    thread: JoinHandle<()>,
    /// Sent once the center has stopped: deliver what is left, then end.
    done: oneshot::Sender<()>,
}

/// What changes when the center stops.
struct Running {
    center: Option<Center>,
    events: Option<EventThread>,
}

/// The Rust side of `cc_center`.
pub(crate) struct CenterBox {
    /// This center's number (see [`EVENT_THREAD_OF`]).
    number: u64,
    runtime: tokio::runtime::Runtime,
    handle: CenterHandle,
    /// The configured agents: an agent request that fails for one not in this set is
    /// `CC_NOT_FOUND`, any other refusal `CC_INVALID_STATE`.
    agents: HashSet<AgentId>,
    running: Mutex<Running>,
}

impl CenterBox {
    /// Stops the center (if running), waits for its records, then for the event thread to
    /// deliver the last events. Idempotent.
    fn stop(&self, drain: Duration) -> Result {
        // Before the lock: a stop in progress holds it while it waits for this thread.
        if EVENT_THREAD_OF.with(Cell::get) == self.number {
            return Err(Error::new(
                cc_result::CC_INVALID_STATE,
                "called from the center's own event callback; stop the center from another thread",
            ));
        }
        let mut running = self
            .running
            .lock()
            .map_err(|_| Error::new(cc_result::CC_PANIC, "an earlier call panicked while stopping"))?;
        if let Some(center) = running.center.take() {
            let handle = self.handle.clone();
            self.runtime.block_on(async move {
                handle.stop(drain).await;
                center.wait().await
            });
        }
        if let Some(events) = running.events.take() {
            // The publisher is gone: every event is in the channel. The thread delivers
            // them all before it sees `done`.
            let _ = events.done.send(());
            events
                .thread
                .join()
                .map_err(|_| Error::new(cc_result::CC_PANIC, "the event thread panicked"))?;
        }
        Ok(())
    }
}

impl Drop for CenterBox {
    fn drop(&mut self) {
        // A center freed while running stops at once; errors have nowhere to go here.
        let _ = self.stop(Duration::ZERO);
    }
}

fn start_error(e: &StartError) -> Error {
    let code = match e {
        StartError::Config(_) => cc_result::CC_CONFIG_ERROR,
        _ => cc_result::CC_IO_ERROR,
    };
    Error::new(code, e.to_string())
}

fn load_error(e: &ConfigError) -> Error {
    let code = match e {
        ConfigError::Read { .. } => cc_result::CC_IO_ERROR,
        ConfigError::Invalid { .. } => cc_result::CC_PARSE_ERROR,
    };
    Error::new(code, e.to_string())
}

/// Delivers events until the center has stopped and the channel is empty.
fn deliver(
    number: u64,
    runtime: &tokio::runtime::Handle,
    mut events: broadcast::Receiver<::cc_center::runtime::CenterEvent>,
    mut done: oneshot::Receiver<()>,
    callback: &Callback,
) {
    EVENT_THREAD_OF.with(|n| n.set(number));
    loop {
        // Only the wait runs on the runtime; the callback runs outside it, so it may call
        // `cc_center_*` functions, which block on the runtime themselves.
        let event = runtime.block_on(async {
            tokio::select! {
                // Events first: when `done` arrives, whatever is still queued is delivered.
                biased;
                event = events.recv() => Some(event),
                _ = &mut done => None,
            }
        });
        match event {
            None | Some(Err(broadcast::error::RecvError::Closed)) => return,
            // The seq gap tells the host; carry on with the newest.
            Some(Err(broadcast::error::RecvError::Lagged(_))) => {}
            Some(Ok(event)) => {
                let Ok(mut json) = serde_json::to_string(&event) else {
                    continue;
                };
                let len = json.len();
                json.push('\0');
                // SAFETY: the caller of `cc_center_start` gave a callback that accepts its
                // `userdata` and `len` bytes of JSON (NUL-terminated) valid for the duration
                // of the call; `json` outlives the call.
                unsafe { (callback.function)(callback.userdata, json.as_ptr().cast(), len) };
            }
        }
    }
}

/// Starts a contact center from its TOML configuration file.
///
/// `config_path` (`config_path_len` bytes of UTF-8) names the file (see the `ccd`
/// documentation for its sections: `[center]`, `[sip]`, `[rtp]`, `[[tenant]]`, `[[queue]]`,
/// `[[agent]]`...); relative paths in it resolve against its folder. The center binds its
/// SIP address, starts media and storage, and runs on a tokio runtime with two worker
/// threads owned by the handle.
///
/// `cb` may be NULL. When set, it receives every event of the center as JSON (see
/// [`cc_center_event_cb`]) with `userdata`, from one dedicated thread: calls never overlap
/// and never happen after `cc_center_stop` or `cc_center_free` returns. The callback gets
/// every event from `seq` 1 (agents logged in at start included).
///
/// Returns `CC_IO_ERROR` when the file cannot be read or the center cannot open its data
/// directory, database or sockets; `CC_PARSE_ERROR` for malformed TOML, an unknown key or a
/// wrong type (the message names the file, line and key); `CC_CONFIG_ERROR` when the
/// configuration has problems (listed one per line in the message). On success writes the
/// handle to `*out`; stop it with `cc_center_stop` and free it with `cc_center_free`.
///
/// # Safety
///
/// `config_path` points to `config_path_len` readable bytes; `out` to a writable pointer;
/// `userdata` is whatever `cb` accepts, usable from another thread until the center stops.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_center_start(
    config_path: *const c_char,
    config_path_len: usize,
    cb: cc_center_event_cb,
    userdata: *mut c_void,
    out: *mut *mut cc_center,
) -> cc_result {
    boundary("cc_center_start", || {
        check_out(out, "out")?;
        // SAFETY: per this function's contract.
        let path = unsafe { required_str(config_path, config_path_len, "config_path") }?;
        let config = CenterConfig::load(Path::new(path)).map_err(|e| load_error(&e))?;
        let agents = config.agents.iter().map(|a| a.id.clone()).collect();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("cc-center")
            .enable_all()
            .build()
            .map_err(|e| Error::new(cc_result::CC_IO_ERROR, format!("cannot start the runtime: {e}")))?;
        let (center, events) = runtime
            .block_on(async {
                let center = Center::start(config).await?;
                let events = center.handle().subscribe();
                Ok::<_, StartError>((center, events))
            })
            .map_err(|e| start_error(&e))?;
        let handle = center.handle();
        let number = NEXT_CENTER.fetch_add(1, Ordering::Relaxed);
        let events = match cb {
            None => None,
            Some(function) => {
                let callback = Callback { function, userdata };
                let (done, done_rx) = oneshot::channel();
                let rt = runtime.handle().clone();
                let spawned = std::thread::Builder::new()
                    .name("cc-center-events".to_owned())
                    .spawn(move || deliver(number, &rt, events, done_rx, &callback));
                match spawned {
                    Ok(thread) => Some(EventThread { thread, done }),
                    Err(e) => {
                        runtime.block_on(async {
                            handle.stop(Duration::ZERO).await;
                            center.wait().await
                        });
                        return Err(Error::new(
                            cc_result::CC_IO_ERROR,
                            format!("cannot start the event thread: {e}"),
                        ));
                    }
                }
            }
        };
        let boxed = CenterBox {
            number,
            runtime,
            handle,
            agents,
            running: Mutex::new(Running {
                center: Some(center),
                events,
            }),
        };
        // SAFETY: `out` is non-NULL (checked) and writable per the contract.
        unsafe { write_out(out, to_boxed::<cc_center>(boxed), "out") }
    })
}

/// Runs `f` on the center behind `center`, inside the panic boundary.
fn with_center(name: &str, center: *const cc_center, f: impl FnOnce(&CenterBox) -> Result) -> cc_result {
    boundary(name, || {
        // SAFETY: every export that calls this documents that `center` is NULL or a live
        // handle; `CenterBox` is shared (`&`) and synchronised inside.
        let c = unsafe { try_ref(center, "center") }?;
        f(c)
    })
}

/// Parses the agent id, runs the request on the center and classifies a refusal.
///
/// # Safety
///
/// `agent` points to `agent_len` readable bytes.
unsafe fn agent_request<'a>(
    c: &'a CenterBox,
    agent: *const c_char,
    agent_len: usize,
    f: impl AsyncFnOnce(&'a CenterHandle, &AgentId) -> std::result::Result<(), String>,
) -> Result {
    // SAFETY: per this function's contract.
    let agent: AgentId = unsafe { required_str(agent, agent_len, "agent") }?.parse()?;
    c.runtime.block_on(f(&c.handle, &agent)).map_err(|message| {
        let code = if c.agents.contains(&agent) {
            cc_result::CC_INVALID_STATE
        } else {
            cc_result::CC_NOT_FOUND
        };
        Error::new(code, message)
    })
}

/// Logs an agent in, ready for contacts when `ready` is true, otherwise not ready.
///
/// Returns `CC_NOT_FOUND` for an agent not in the configuration, `CC_INVALID_STATE` when
/// the router refuses (already logged in) or the center has stopped; the message is the
/// router's.
///
/// # Safety
///
/// `center` is NULL or a live handle; `agent` points to `agent_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_center_agent_login(
    center: *mut cc_center,
    agent: *const c_char,
    agent_len: usize,
    ready: bool,
) -> cc_result {
    with_center("cc_center_agent_login", center, |c| {
        // SAFETY: per this function's contract.
        unsafe { agent_request(c, agent, agent_len, async |h, a| h.login(a, ready).await) }
    })
}

/// Makes a logged-in agent ready; a waiting contact may be offered at once.
///
/// Returns `CC_NOT_FOUND` or `CC_INVALID_STATE` as `cc_center_agent_login`.
///
/// # Safety
///
/// `center` is NULL or a live handle; `agent` points to `agent_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_center_agent_ready(
    center: *mut cc_center,
    agent: *const c_char,
    agent_len: usize,
) -> cc_result {
    with_center("cc_center_agent_ready", center, |c| {
        // SAFETY: per this function's contract.
        unsafe { agent_request(c, agent, agent_len, async |h, a| h.ready(a).await) }
    })
}

/// Makes an agent not ready, with a reason (`reason`, `reason_len` bytes of UTF-8; may be
/// empty, and NULL with length 0).
///
/// Returns `CC_NOT_FOUND` or `CC_INVALID_STATE` as `cc_center_agent_login`.
///
/// # Safety
///
/// `center` is NULL or a live handle; `agent` and `reason` point to that many readable
/// bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_center_agent_not_ready(
    center: *mut cc_center,
    agent: *const c_char,
    agent_len: usize,
    reason: *const c_char,
    reason_len: usize,
) -> cc_result {
    with_center("cc_center_agent_not_ready", center, |c| {
        // SAFETY: per this function's contract.
        let reason = unsafe { str_arg(reason, reason_len, "reason") }?;
        // SAFETY: per this function's contract.
        unsafe { agent_request(c, agent, agent_len, async |h, a| h.not_ready(a, reason).await) }
    })
}

/// Logs an agent out. `CC_INVALID_STATE` while the agent holds a contact (or is logged out
/// already), `CC_NOT_FOUND` for an agent not in the configuration.
///
/// # Safety
///
/// `center` is NULL or a live handle; `agent` points to `agent_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_center_agent_logout(
    center: *mut cc_center,
    agent: *const c_char,
    agent_len: usize,
) -> cc_result {
    with_center("cc_center_agent_logout", center, |c| {
        // SAFETY: per this function's contract.
        unsafe { agent_request(c, agent, agent_len, async |h, a| h.logout(a).await) }
    })
}

/// How a supervisor takes part in a call (`cc_center_supervise`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum cc_supervise_mode {
    /// Hears the customer and the agent; heard by nobody.
    CC_SUPERVISE_LISTEN = 0,
    /// Hears both; heard by the agent only.
    CC_SUPERVISE_WHISPER = 1,
    /// Hears both; heard by both.
    CC_SUPERVISE_BARGE = 2,
}

/// Parses the supervisor and contact ids, runs the request and classifies a refusal:
/// `CC_NOT_FOUND` for a supervisor not in the configuration or a contact not in progress,
/// `CC_INVALID_STATE` otherwise (not a supervisor of the contact's tenant, the contact not
/// talking to an agent, another supervisor on it, the center stopped).
///
/// # Safety
///
/// `supervisor` and `contact` point to that many readable bytes.
unsafe fn supervise_request<'a>(
    c: &'a CenterBox,
    (supervisor, supervisor_len): (*const c_char, usize),
    (contact, contact_len): (*const c_char, usize),
    f: impl AsyncFnOnce(&'a CenterHandle, &AgentId, &ContactId) -> std::result::Result<(), String>,
) -> Result {
    // SAFETY: per this function's contract.
    let supervisor: AgentId = unsafe { required_str(supervisor, supervisor_len, "supervisor") }?.parse()?;
    // SAFETY: per this function's contract.
    let contact: ContactId = unsafe { required_str(contact, contact_len, "contact") }?.parse()?;
    c.runtime
        .block_on(f(&c.handle, &supervisor, &contact))
        .map_err(|message| {
            let code = if !c.agents.contains(&supervisor) || message.starts_with("no contact") {
                cc_result::CC_NOT_FOUND
            } else {
                cc_result::CC_INVALID_STATE
            };
            Error::new(code, message)
        })
}

/// A supervisor joins a call between a customer and an agent as `mode` (a
/// `cc_supervise_mode` value), or — already on it — changes mode. The center calls the
/// supervisor's phone and mixes it in when it answers.
///
/// Returns `CC_INVALID_ARGUMENT` for an unknown mode, otherwise as the refusals of
/// `supervise_request` describe (see `cc_center_force_release`).
///
/// # Safety
///
/// `center` is NULL or a live handle; `supervisor` and `contact` point to that many
/// readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_center_supervise(
    center: *mut cc_center,
    supervisor: *const c_char,
    supervisor_len: usize,
    contact: *const c_char,
    contact_len: usize,
    mode: u32,
) -> cc_result {
    with_center("cc_center_supervise", center, |c| {
        let mode = match mode {
            m if m == cc_supervise_mode::CC_SUPERVISE_LISTEN as u32 => SuperviseMode::Listen,
            m if m == cc_supervise_mode::CC_SUPERVISE_WHISPER as u32 => SuperviseMode::Whisper,
            m if m == cc_supervise_mode::CC_SUPERVISE_BARGE as u32 => SuperviseMode::Barge,
            other => {
                return Err(Error::new(
                    cc_result::CC_INVALID_ARGUMENT,
                    format!("mode {other} is not a cc_supervise_mode (0 listen, 1 whisper, 2 barge)"),
                ));
            }
        };
        // SAFETY: per this function's contract.
        unsafe {
            supervise_request(
                c,
                (supervisor, supervisor_len),
                (contact, contact_len),
                async |h, s, k| h.supervise(s, k, mode).await,
            )
        }
    })
}

/// The supervisor leaves the call (their phone is hung up); customer and agent talk on.
///
/// # Safety
///
/// As `cc_center_supervise`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_center_end_supervision(
    center: *mut cc_center,
    supervisor: *const c_char,
    supervisor_len: usize,
    contact: *const c_char,
    contact_len: usize,
) -> cc_result {
    with_center("cc_center_end_supervision", center, |c| {
        // SAFETY: per this function's contract.
        unsafe {
            supervise_request(
                c,
                (supervisor, supervisor_len),
                (contact, contact_len),
                async |h, s, k| h.end_supervision(s, k).await,
            )
        }
    })
}

/// A supervisor ends a call (force release): every leg is hung up and the record says
/// `released by <supervisor>`.
///
/// Returns `CC_NOT_FOUND` for a supervisor not in the configuration or a contact not in
/// progress, `CC_INVALID_STATE` when the agent does not supervise the contact's tenant or
/// the center has stopped.
///
/// # Safety
///
/// As `cc_center_supervise`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_center_force_release(
    center: *mut cc_center,
    supervisor: *const c_char,
    supervisor_len: usize,
    contact: *const c_char,
    contact_len: usize,
) -> cc_result {
    with_center("cc_center_force_release", center, |c| {
        // SAFETY: per this function's contract.
        unsafe {
            supervise_request(
                c,
                (supervisor, supervisor_len),
                (contact, contact_len),
                async |h, s, k| h.force_release(s, k).await,
            )
        }
    })
}

/// Copies the center's state now as JSON into `buf` (NUL-terminated):
/// `{"queues":[{"queue","tenant","waiting","longest_wait_s","in_service","agents_ready",
/// "agents_busy","agents_wrap_up","agents_not_ready"}...],"summary":{...totals...}}`, every
/// configured queue of every tenant.
///
/// On success `*needed` receives the length written, without the NUL. When `buf` is NULL
/// with `cap` 0, or `cap` is too small, returns `CC_BUFFER_TOO_SMALL` and writes the size
/// needed (NUL included) to `*needed`; the next snapshot may be longer, so retry with room
/// to spare. `CC_INVALID_STATE` once the center has stopped.
///
/// # Safety
///
/// `center` is NULL or a live handle; `buf` is NULL or has `cap` writable bytes; `needed`
/// points to a writable `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_center_snapshot_json(
    center: *const cc_center,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> cc_result {
    with_center("cc_center_snapshot_json", center, |c| {
        check_out(needed, "needed")?;
        let snapshot = c
            .runtime
            .block_on(c.handle.snapshot())
            .map_err(|e| Error::new(cc_result::CC_INVALID_STATE, e.to_string()))?;
        let json = serde_json::to_string(&snapshot)
            .map_err(|e| Error::new(cc_result::CC_PANIC, format!("snapshot to JSON: {e}")))?;
        // SAFETY: per this function's contract.
        unsafe { copy_out(&json, buf, cap, needed) }
    })
}

/// Copies the contacts in progress of one tenant as a JSON array of contact ids into `buf`
/// (NUL-terminated), e.g. `["c-000001","c-000007"]`: never another tenant's contacts. A
/// tenant the configuration does not have has none (`[]`).
///
/// `tenant` is `tenant_len` bytes of UTF-8. Buffers as `cc_center_snapshot_json`;
/// `CC_INVALID_ARGUMENT` for a malformed tenant id, `CC_INVALID_STATE` once stopped.
///
/// # Safety
///
/// `center` is NULL or a live handle; `tenant` points to `tenant_len` readable bytes; `buf`
/// is NULL or has `cap` writable bytes; `needed` points to a writable `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_center_contacts_json(
    center: *const cc_center,
    tenant: *const c_char,
    tenant_len: usize,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> cc_result {
    with_center("cc_center_contacts_json", center, |c| {
        check_out(needed, "needed")?;
        // SAFETY: per this function's contract.
        let tenant: TenantId = unsafe { required_str(tenant, tenant_len, "tenant") }?.parse()?;
        let contacts = c
            .runtime
            .block_on(c.handle.contacts(&tenant))
            .map_err(|e| Error::new(cc_result::CC_INVALID_STATE, e.to_string()))?;
        let ids: Vec<&str> = contacts.iter().map(ContactId::as_str).collect();
        let json = serde_json::to_string(&ids)
            .map_err(|e| Error::new(cc_result::CC_PANIC, format!("contacts to JSON: {e}")))?;
        // SAFETY: per this function's contract.
        unsafe { copy_out(&json, buf, cap, needed) }
    })
}

/// Copies the SIP contacts registered now for an agent's SIP user (`user`, `user_len`
/// bytes of UTF-8, in the center's domain) as a JSON array of strings into `buf`
/// (NUL-terminated), e.g. `["sip:1001@192.0.2.7:5060"]`; `[]` when none is registered
/// (a fixed `contact` from the configuration is not a registration).
///
/// Buffers as `cc_center_snapshot_json`; `CC_INVALID_STATE` once stopped.
///
/// # Safety
///
/// `center` is NULL or a live handle; `user` points to `user_len` readable bytes; `buf` is
/// NULL or has `cap` writable bytes; `needed` points to a writable `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_center_registrations_json(
    center: *const cc_center,
    user: *const c_char,
    user_len: usize,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> cc_result {
    with_center("cc_center_registrations_json", center, |c| {
        check_out(needed, "needed")?;
        // SAFETY: per this function's contract.
        let user = unsafe { required_str(user, user_len, "user") }?;
        let contacts = c
            .runtime
            .block_on(c.handle.registrations(user))
            .map_err(|e| Error::new(cc_result::CC_INVALID_STATE, e.to_string()))?;
        let json = serde_json::to_string(&contacts)
            .map_err(|e| Error::new(cc_result::CC_PANIC, format!("registrations to JSON: {e}")))?;
        // SAFETY: per this function's contract.
        unsafe { copy_out(&json, buf, cap, needed) }
    })
}

/// Writes the UDP (and TCP) port the center's SIP endpoint listens on to `*out`: the
/// configured one, or the one the system chose for `sip.listen = "host:0"`.
///
/// # Safety
///
/// `center` is NULL or a live handle; `out` points to a writable `uint16_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_center_sip_port(center: *const cc_center, out: *mut u16) -> cc_result {
    with_center("cc_center_sip_port", center, |c| {
        // SAFETY: per this function's contract.
        unsafe { write_out(out, c.handle.sip_addr().port(), "out") }
    })
}

/// Writes the port of the center's HTTP API to `*out`, 0 when `[http] listen` is not set.
///
/// # Safety
///
/// `center` is NULL or a live handle; `out` points to a writable `uint16_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_center_http_port(center: *const cc_center, out: *mut u16) -> cc_result {
    with_center("cc_center_http_port", center, |c| {
        let port = c.handle.http_addr().map_or(0, |a| a.port());
        // SAFETY: per this function's contract.
        unsafe { write_out(out, port, "out") }
    })
}

/// Stops the center gracefully: new calls are refused at once, live calls may finish for
/// `drain_ms` milliseconds and are then ended. Blocks until the center has stopped, every
/// record is written and the event callback has had its last call. Stopping a stopped
/// center does nothing. Afterwards agent calls and snapshots return `CC_INVALID_STATE`;
/// free the handle with `cc_center_free`.
///
/// Returns `CC_INVALID_STATE` when called from the center's own event callback.
///
/// # Safety
///
/// `center` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_center_stop(center: *mut cc_center, drain_ms: u32) -> cc_result {
    with_center("cc_center_stop", center, |c| {
        c.stop(Duration::from_millis(u64::from(drain_ms)))
    })
}

/// Frees a center. A center still running is stopped first with no drain time (live calls
/// are ended). NULL is a no-op.
///
/// Called from the center's own event callback it frees nothing (that thread cannot wait
/// for itself): the center keeps running, the last-error message says so, and it must be
/// freed from another thread.
///
/// # Safety
///
/// `center` is NULL or a live handle from `cc_center_start`, freed exactly once, and used
/// by no other thread during or after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_center_free(center: *mut cc_center) {
    boundary_or("cc_center_free", (), || {
        // SAFETY: per this function's contract, NULL or live until freed below.
        if let Ok(c) = unsafe { try_ref(center.cast_const(), "center") }
            && EVENT_THREAD_OF.with(Cell::get) == c.number
        {
            set_last_error(
                "cc_center_free: called from the center's own event callback; nothing was freed, \
                 free the center from another thread",
            );
            return;
        }
        // SAFETY: per this function's contract.
        unsafe { free_boxed(center) }
    });
}

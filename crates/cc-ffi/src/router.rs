//! The ACD router behind `cc_router`: configuration, agent and contact inputs, commands,
//! timers and statistics. Every decision is made by [`cc_acd::Router`]; this module only
//! translates.

use std::collections::{BTreeMap, HashMap};
use std::ffi::c_char;
use std::time::{Duration, Instant};

use cc_acd::{
    AgentProfile, Capacity, Command, EscalationAction, EscalationStep, OverflowRules, QueueConfig,
    QueueStats, Router, RouterConfig, StrategyKind,
};
use cc_core::{
    AgentId, Channel, Contact, ContactId, Destination, Direction, Language, OfferOutcome, Priority, QueueId,
    SkillId, SkillLevel, TenantId,
};
use serde::Deserialize;

use crate::error::{Error, Result, boundary, boundary_or, cc_result};
use crate::ffi::{
    Castable, cc_str, cc_str_arg, check_out, free_boxed, required_str, to_boxed, try_mut, try_ref, write_out,
};

/// `cc_router_poll_timeout` and `cc_ivr_session_poll_timeout` write this when no timer is
/// armed.
pub const CC_NO_TIMEOUT: u64 = u64::MAX;

/// An ACD router: queues, agents and waiting contacts of one or more tenants.
///
/// Made by `cc_router_new`, freed by `cc_router_free`. Not thread-safe: use one handle from
/// one thread at a time (it may move between threads).
#[allow(non_camel_case_types)]
pub struct cc_router {
    _private: [u8; 0],
}

impl Castable for cc_router {
    type Rust = RouterHandle;
}

/// The Rust side of `cc_router`.
pub(crate) struct RouterHandle {
    router: Router,
    /// The instant that the caller's millisecond 0 stands for.
    base: Instant,
    /// Each queue's tenant, so a contact needs only its queue.
    queue_tenants: HashMap<QueueId, TenantId>,
    /// The strings of the last polled command (what its `cc_str`s point into).
    last: [String; 4],
}

impl RouterHandle {
    fn instant(&self, ms: u64) -> Result<Instant> {
        if ms == CC_NO_TIMEOUT {
            return Err(no_timeout_as_time());
        }
        self.base.checked_add(Duration::from_millis(ms)).ok_or_else(|| {
            Error::invalid(format!(
                "now_ms {ms} is too far in the future; use a monotonic millisecond clock (any origin, e.g. the process start)"
            ))
        })
    }

    fn millis(&self, at: Instant) -> u64 {
        // Round up, so that handle_timeout at the returned millisecond fires the timer.
        let d = at.saturating_duration_since(self.base);
        let ms = crate::ffi::ceil_millis(d);
        u64::try_from(ms).unwrap_or(CC_NO_TIMEOUT - 1)
    }
}

/// The error for `CC_NO_TIMEOUT` passed as a time: a caller that re-armed a timer it did
/// not have.
pub(crate) fn no_timeout_as_time() -> Error {
    Error::invalid(
        "now_ms is CC_NO_TIMEOUT (UINT64_MAX), the \"no timer\" value, not a time; pass the current time in milliseconds",
    )
}

// ----- configuration --------------------------------------------------------------------

/// The router configuration text: TOML (see the crate documentation for an example).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    queue: Vec<QueueFile>,
    #[serde(default)]
    agent: Vec<AgentFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueFile {
    id: QueueId,
    tenant: TenantId,
    #[serde(default)]
    strategy: Option<StrategyKind>,
    /// Skill → minimum level, required of every contact of the queue.
    #[serde(default)]
    skills: BTreeMap<SkillId, SkillLevel>,
    #[serde(default)]
    service_level_ms: Option<u64>,
    #[serde(default)]
    short_abandon_ms: Option<u64>,
    #[serde(default)]
    max_waiting: Option<usize>,
    #[serde(default)]
    max_wait_ms: Option<u64>,
    #[serde(default)]
    ring_timeout_ms: Option<u64>,
    #[serde(default)]
    wrap_up_ms: Option<u64>,
    #[serde(default)]
    max_no_answers: Option<u32>,
    #[serde(default)]
    default_handle_ms: Option<u64>,
    #[serde(default)]
    preferred_wait_ms: Option<u64>,
    #[serde(default)]
    overflow: OverflowFile,
    /// Timed escalation steps, in increasing `after_ms` order.
    #[serde(default)]
    escalation: Vec<EscalationFile>,
}

/// One escalation step: after `after_ms` in the queue, cap required levels at `level`,
/// or leave for `to`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EscalationFile {
    after_ms: u64,
    #[serde(default)]
    level: Option<SkillLevel>,
    #[serde(default)]
    to: Option<Destination>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OverflowFile {
    #[serde(default)]
    no_agents: Option<Destination>,
    #[serde(default)]
    queue_full: Option<Destination>,
    #[serde(default)]
    max_wait: Option<Destination>,
    /// On arrival when the estimated wait is above `long_wait_ms`.
    #[serde(default)]
    long_wait: Option<Destination>,
    #[serde(default)]
    long_wait_ms: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentFile {
    id: AgentId,
    /// Tenant → (skill → level).
    tenants: BTreeMap<TenantId, BTreeMap<SkillId, SkillLevel>>,
    /// Channel → contacts at once; default one voice call or one callback.
    #[serde(default)]
    capacity: Option<BTreeMap<Channel, u8>>,
}

fn build_router(text: &str) -> Result<(Router, HashMap<QueueId, TenantId>)> {
    let file: ConfigFile = toml::from_str(text).map_err(|e| {
        Error::new(
            cc_result::CC_PARSE_ERROR,
            format!("configuration: {}", e.to_string().trim_end()),
        )
    })?;
    let mut config = RouterConfig {
        events: false,
        ..RouterConfig::default()
    };
    if let Some(seed) = file.seed {
        config.seed = seed;
    }
    let mut router = Router::new(config);
    let mut tenants = HashMap::new();
    let refuse = |what: String, e: cc_acd::Error| {
        Error::new(cc_result::CC_CONFIG_ERROR, format!("configuration: {what}: {e}"))
    };
    for (i, q) in file.queue.into_iter().enumerate() {
        let mut c = QueueConfig::new(q.id.clone(), q.tenant.clone());
        let ms = Duration::from_millis;
        if let Some(s) = q.strategy {
            c.strategy = s;
        }
        c.skills = q
            .skills
            .into_iter()
            .map(|(skill, min_level)| cc_core::SkillRequirement { skill, min_level })
            .collect();
        c.service_level_threshold = q.service_level_ms.map_or(c.service_level_threshold, ms);
        c.short_abandon = q.short_abandon_ms.map_or(c.short_abandon, ms);
        c.max_waiting = q.max_waiting;
        c.max_wait = q.max_wait_ms.map(ms);
        c.ring_timeout = q.ring_timeout_ms.map_or(c.ring_timeout, ms);
        c.wrap_up = q.wrap_up_ms.map_or(c.wrap_up, ms);
        c.max_no_answers = q.max_no_answers;
        c.default_handle_time = q.default_handle_ms.map_or(c.default_handle_time, ms);
        c.preferred_wait = q.preferred_wait_ms.map_or(c.preferred_wait, ms);
        c.overflow = OverflowRules {
            no_agents: q.overflow.no_agents,
            queue_full: q.overflow.queue_full,
            long_wait: match (q.overflow.long_wait_ms, q.overflow.long_wait) {
                (Some(after), Some(to)) => Some((ms(after), to)),
                (None, None) => None,
                _ => {
                    return Err(Error::new(
                        cc_result::CC_CONFIG_ERROR,
                        format!(
                            "configuration: queue[{i}] ({}): overflow.long_wait and overflow.long_wait_ms go together",
                            q.id
                        ),
                    ));
                }
            },
            max_wait: q.overflow.max_wait,
        };
        for (j, step) in q.escalation.into_iter().enumerate() {
            let action = match (step.level, step.to) {
                (Some(level), None) => EscalationAction::CapLevel { level },
                (None, Some(to)) => EscalationAction::Overflow { to },
                _ => {
                    return Err(Error::new(
                        cc_result::CC_CONFIG_ERROR,
                        format!(
                            "configuration: queue[{i}] ({}): escalation[{j}] needs exactly one of `level` or `to`",
                            q.id
                        ),
                    ));
                }
            };
            c.escalation.push(EscalationStep {
                after: ms(step.after_ms),
                action,
            });
        }
        router
            .add_queue(c)
            .map_err(|e| refuse(format!("queue[{i}] ({})", q.id), e))?;
        tenants.insert(q.id, q.tenant);
    }
    for (i, a) in file.agent.into_iter().enumerate() {
        let mut profile = AgentProfile::new(a.id.clone());
        for (tenant, skills) in a.tenants {
            profile = profile.serving(tenant, skills.into_iter().collect());
        }
        if let Some(cap) = a.capacity {
            profile =
                profile.with_capacity(cap.into_iter().fold(Capacity::none(), |c, (ch, n)| c.with(ch, n)));
        }
        router
            .add_agent(profile)
            .map_err(|e| refuse(format!("agent[{i}] ({})", a.id), e))?;
    }
    Ok((router, tenants))
}

// ----- handle ---------------------------------------------------------------------------

/// Creates a router from a TOML configuration (`config`, `config_len` bytes of UTF-8).
///
/// The configuration has an optional `seed`, `[[queue]]` tables (`id`, `tenant`, `strategy`,
/// `skills`, durations in milliseconds, `overflow` with `no_agents`, `queue_full`,
/// `max_wait` and `long_wait` + `long_wait_ms`, `escalation` steps `{ after_ms, level }` or
/// `{ after_ms, to }`) and `[[agent]]` tables (`id`, `tenants`
/// mapping each served tenant to its skill levels, optional `capacity` per channel); the
/// crate documentation and the README give a full example. Unknown keys are refused.
///
/// Times passed to every `cc_router_*` call are milliseconds on the caller's own monotonic
/// clock, with any origin; the router never reads a clock of its own.
///
/// Returns `CC_PARSE_ERROR` (syntax, unknown key, bad id or level: the message names the
/// line and key) or `CC_CONFIG_ERROR` (refused by the router: the message names the queue
/// or agent). On success writes the new handle to `*out`; free it with `cc_router_free`.
///
/// # Safety
///
/// `config` points to `config_len` readable bytes; `out` to a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_router_new(
    config: *const c_char,
    config_len: usize,
    out: *mut *mut cc_router,
) -> cc_result {
    boundary("cc_router_new", || {
        check_out(out, "out")?;
        // SAFETY: per this function's contract.
        let text = unsafe { required_str(config, config_len, "config") }?;
        let (router, queue_tenants) = build_router(text)?;
        let handle = RouterHandle {
            router,
            base: Instant::now(),
            queue_tenants,
            last: Default::default(),
        };
        // SAFETY: `out` is non-NULL (checked) and writable per the contract.
        unsafe { write_out(out, to_boxed::<cc_router>(handle), "out") }
    })
}

/// Frees a router made by `cc_router_new`. NULL is a no-op. Strings borrowed from the
/// router (`cc_command`) are invalid afterwards.
///
/// # Safety
///
/// `router` is NULL or a live handle from `cc_router_new`, freed exactly once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_router_free(router: *mut cc_router) {
    boundary_or("cc_router_free", (), || {
        // SAFETY: per this function's contract.
        unsafe { free_boxed(router) }
    });
}

/// Runs `f` on the router behind `router`, inside the panic boundary.
fn with_router(name: &str, router: *mut cc_router, f: impl FnOnce(&mut RouterHandle) -> Result) -> cc_result {
    boundary(name, || {
        // SAFETY: every export that calls this documents that `router` is NULL or a live
        // handle not used concurrently.
        let r = unsafe { try_mut(router, "router") }?;
        f(r)
    })
}

// ----- agents ---------------------------------------------------------------------------

/// Parses the agent id and the time, then runs `f`.
fn agent_input(
    name: &str,
    router: *mut cc_router,
    agent: *const c_char,
    agent_len: usize,
    now_ms: u64,
    f: impl FnOnce(&mut RouterHandle, &AgentId, Instant) -> cc_acd::Result<()>,
) -> cc_result {
    with_router(name, router, |r| {
        // SAFETY: each caller's contract says `agent` has `agent_len` readable bytes.
        let agent: AgentId = unsafe { required_str(agent, agent_len, "agent") }?.parse()?;
        let now = r.instant(now_ms)?;
        Ok(f(r, &agent, now)?)
    })
}

/// Logs an agent in, ready to take contacts. `CC_NOT_FOUND` for an agent not in the
/// configuration, `CC_INVALID_STATE` when already logged in.
///
/// # Safety
///
/// `router` is NULL or a live handle used by no other thread during the call; `agent`
/// points to `agent_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_router_agent_login(
    router: *mut cc_router,
    agent: *const c_char,
    agent_len: usize,
    now_ms: u64,
) -> cc_result {
    agent_input(
        "cc_router_agent_login",
        router,
        agent,
        agent_len,
        now_ms,
        |r, agent, now| r.router.login(agent, true, now),
    )
}

/// Makes a logged-in agent ready; waiting contacts may be offered at once (poll commands
/// next).
///
/// # Safety
///
/// `router` is NULL or a live handle used by no other thread during the call; `agent`
/// points to `agent_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_router_agent_ready(
    router: *mut cc_router,
    agent: *const c_char,
    agent_len: usize,
    now_ms: u64,
) -> cc_result {
    agent_input(
        "cc_router_agent_ready",
        router,
        agent,
        agent_len,
        now_ms,
        |r, agent, now| r.router.ready(agent, now),
    )
}

/// Logs an agent out. `CC_INVALID_STATE` while the agent holds a contact.
///
/// # Safety
///
/// `router` is NULL or a live handle used by no other thread during the call; `agent`
/// points to `agent_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_router_agent_logout(
    router: *mut cc_router,
    agent: *const c_char,
    agent_len: usize,
    now_ms: u64,
) -> cc_result {
    agent_input(
        "cc_router_agent_logout",
        router,
        agent,
        agent_len,
        now_ms,
        |r, agent, now| r.router.logout(agent, now),
    )
}

/// Ends an agent's wrap-up early: the agent is ready again.
///
/// # Safety
///
/// `router` is NULL or a live handle used by no other thread during the call; `agent`
/// points to `agent_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_router_agent_wrap_up_done(
    router: *mut cc_router,
    agent: *const c_char,
    agent_len: usize,
    now_ms: u64,
) -> cc_result {
    agent_input(
        "cc_router_agent_wrap_up_done",
        router,
        agent,
        agent_len,
        now_ms,
        |r, agent, now| r.router.wrap_up_done(agent, now),
    )
}

/// Makes an agent not ready, with a reason (`reason`, `reason_len` bytes of UTF-8; may be
/// empty).
///
/// # Safety
///
/// `router` is NULL or a live handle used by no other thread during the call; `agent` and
/// `reason` point to that many readable bytes (`reason` may be NULL with length 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_router_agent_not_ready(
    router: *mut cc_router,
    agent: *const c_char,
    agent_len: usize,
    reason: *const c_char,
    reason_len: usize,
    now_ms: u64,
) -> cc_result {
    with_router("cc_router_agent_not_ready", router, |r| {
        // SAFETY: per this function's contract.
        let agent: AgentId = unsafe { required_str(agent, agent_len, "agent") }?.parse()?;
        // SAFETY: per this function's contract.
        let reason = unsafe { crate::ffi::str_arg(reason, reason_len, "reason") }?;
        let now = r.instant(now_ms)?;
        Ok(r.router.not_ready(&agent, reason, now)?)
    })
}

// ----- contacts -------------------------------------------------------------------------

/// Media channels, as `cc_contact.channel` and capacity keys.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum cc_channel {
    /// A live phone call.
    CC_CHANNEL_VOICE = 0,
    /// A queued callback.
    CC_CHANNEL_CALLBACK = 1,
    /// Web or app chat.
    CC_CHANNEL_CHAT = 2,
    /// Email.
    CC_CHANNEL_EMAIL = 3,
    /// SMS.
    CC_CHANNEL_SMS = 4,
    /// Fax.
    CC_CHANNEL_FAX = 5,
    /// Video call.
    CC_CHANNEL_VIDEO = 6,
    /// Social-media conversation.
    CC_CHANNEL_SOCIAL = 7,
}

/// A contact entering a queue (`cc_router_enqueue`). Strings are borrowed for the call
/// only. Its tenant is the queue's.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
#[allow(non_camel_case_types)]
pub struct cc_contact {
    /// The contact's id (1 to 64 ASCII letters, digits or `- _ . : @ +`), unique among the
    /// contacts the router holds.
    pub id: cc_str,
    /// The queue it enters.
    pub queue: cc_str,
    /// A `cc_channel` value (a `uint32_t` so that an unknown number is refused, not UB).
    pub channel: u32,
    /// Routing priority, 0 (normal) to 255; higher is served first.
    pub priority: u8,
    /// The customer's language tag (e.g. `yue`, routed as skill `lang:yue`); empty for none.
    pub language: cc_str,
    /// Extra skills as `skill=level` pairs separated by commas (`billing=5,vip=1`); empty
    /// for none.
    pub skills: cc_str,
    /// An agent to prefer; empty for none.
    pub preferred_agent: cc_str,
}

fn channel_from(n: u32) -> Result<Channel> {
    Channel::ALL.get(n as usize).copied().ok_or_else(|| {
        Error::invalid(format!(
            "channel {n} is not a cc_channel; use CC_CHANNEL_VOICE (0) to CC_CHANNEL_SOCIAL (7)"
        ))
    })
}

fn parse_skills(text: &str) -> Result<Vec<(SkillId, SkillLevel)>> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (skill, level) = pair.split_once('=').ok_or_else(|| {
                Error::invalid(format!("skills: {pair:?} is not skill=level, e.g. billing=5"))
            })?;
            let level: u8 = level.trim().parse().map_err(|_| {
                Error::invalid(format!(
                    "skills: level {level:?} of {skill:?} is not a number 1 to 10"
                ))
            })?;
            Ok((skill.trim().parse()?, SkillLevel::new(level)?))
        })
        .collect()
}

/// A contact enters a queue. It may be offered at once, overflow, or be announced: poll
/// commands next.
///
/// `CC_NOT_FOUND` for an unknown queue or a skill no agent has, `CC_ALREADY_EXISTS` for a
/// contact id the router holds, `CC_INVALID_STATE` when the queue is full with no overflow,
/// `CC_INVALID_ARGUMENT` for a bad id, channel, language or skill list.
///
/// # Safety
///
/// `router` is NULL or a live handle used by no other thread during the call; `contact` is
/// NULL or points to a `cc_contact` whose strings are readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_router_enqueue(
    router: *mut cc_router,
    contact: *const cc_contact,
    now_ms: u64,
) -> cc_result {
    with_router("cc_router_enqueue", router, |r| {
        // SAFETY: per this function's contract; NULL is refused.
        let c = unsafe { contact.as_ref() }.ok_or_else(|| Error::null("contact"))?;
        // SAFETY: the strings of `*contact` are readable per the contract.
        let (id, queue, language, skills, preferred) = unsafe {
            (
                cc_str_arg(c.id, "contact.id")?,
                cc_str_arg(c.queue, "contact.queue")?,
                cc_str_arg(c.language, "contact.language")?,
                cc_str_arg(c.skills, "contact.skills")?,
                cc_str_arg(c.preferred_agent, "contact.preferred_agent")?,
            )
        };
        let id: ContactId = id.parse()?;
        let queue: QueueId = queue.parse()?;
        let tenant = r
            .queue_tenants
            .get(&queue)
            .cloned()
            .ok_or_else(|| Error::from(cc_acd::Error::UnknownQueue(queue.clone())))?;
        let mut contact = Contact::new(id, tenant, channel_from(c.channel)?, Direction::Inbound)
            .with_priority(Priority(c.priority));
        if !language.is_empty() {
            contact = contact.with_language(Language::new(language)?);
        }
        for (skill, level) in parse_skills(skills)? {
            contact = contact.with_skill(skill, level);
        }
        if !preferred.is_empty() {
            contact.preferred_agent = Some(preferred.parse()?);
        }
        let now = r.instant(now_ms)?;
        Ok(r.router.enqueue(contact, &queue, now)?)
    })
}

/// Parses the contact id and the time, then runs `f`.
fn contact_input(
    name: &str,
    router: *mut cc_router,
    contact: *const c_char,
    contact_len: usize,
    now_ms: u64,
    f: impl FnOnce(&mut Router, &ContactId, Instant) -> cc_acd::Result<()>,
) -> cc_result {
    with_router(name, router, |r| {
        // SAFETY: each caller's contract says `contact` has `contact_len` readable bytes.
        let contact: ContactId = unsafe { required_str(contact, contact_len, "contact") }?.parse()?;
        let now = r.instant(now_ms)?;
        Ok(f(&mut r.router, &contact, now)?)
    })
}

/// Parses the contact and agent ids and the time, then runs `f`.
fn contact_agent_input(
    name: &str,
    router: *mut cc_router,
    (contact, contact_len): (*const c_char, usize),
    (agent, agent_len): (*const c_char, usize),
    now_ms: u64,
    f: impl FnOnce(&mut Router, &ContactId, &AgentId, Instant) -> cc_acd::Result<()>,
) -> cc_result {
    with_router(name, router, |r| {
        // SAFETY: each caller's contract says `contact` has `contact_len` readable bytes.
        let contact: ContactId = unsafe { required_str(contact, contact_len, "contact") }?.parse()?;
        // SAFETY: each caller's contract says `agent` has `agent_len` readable bytes.
        let agent: AgentId = unsafe { required_str(agent, agent_len, "agent") }?.parse()?;
        let now = r.instant(now_ms)?;
        Ok(f(&mut r.router, &contact, &agent, now)?)
    })
}

/// The agent answered the offer (or the dialled callback connected): the contact is
/// connected. `CC_INVALID_STATE` when the contact is not ringing at that agent (e.g. the
/// lease already expired).
///
/// # Safety
///
/// `router` is NULL or a live handle used by no other thread during the call; `contact`
/// and `agent` point to that many readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_router_accept(
    router: *mut cc_router,
    contact: *const c_char,
    contact_len: usize,
    agent: *const c_char,
    agent_len: usize,
    now_ms: u64,
) -> cc_result {
    contact_agent_input(
        "cc_router_accept",
        router,
        (contact, contact_len),
        (agent, agent_len),
        now_ms,
        Router::accept,
    )
}

/// The agent declined the offer: the contact returns to its place and goes to another
/// agent if one is free.
///
/// # Safety
///
/// `router` is NULL or a live handle used by no other thread during the call; `contact`
/// and `agent` point to that many readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_router_reject(
    router: *mut cc_router,
    contact: *const c_char,
    contact_len: usize,
    agent: *const c_char,
    agent_len: usize,
    now_ms: u64,
) -> cc_result {
    contact_agent_input(
        "cc_router_reject",
        router,
        (contact, contact_len),
        (agent, agent_len),
        now_ms,
        Router::reject,
    )
}

/// A connected contact ended normally; the agent goes to wrap-up (or ready).
///
/// # Safety
///
/// `router` is NULL or a live handle used by no other thread during the call; `contact`
/// points to `contact_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_router_complete(
    router: *mut cc_router,
    contact: *const c_char,
    contact_len: usize,
    now_ms: u64,
) -> cc_result {
    contact_input(
        "cc_router_complete",
        router,
        contact,
        contact_len,
        now_ms,
        Router::complete,
    )
}

/// The customer hung up while waiting or ringing; a ringing agent is released (a
/// `CC_COMMAND_CANCEL_OFFER` follows).
///
/// # Safety
///
/// `router` is NULL or a live handle used by no other thread during the call; `contact`
/// points to `contact_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_router_abandon(
    router: *mut cc_router,
    contact: *const c_char,
    contact_len: usize,
    now_ms: u64,
) -> cc_result {
    contact_input(
        "cc_router_abandon",
        router,
        contact,
        contact_len,
        now_ms,
        Router::abandon,
    )
}

/// A waiting caller asks to be called back; the contact keeps its place and a
/// `CC_COMMAND_DIAL_CALLBACK` comes when an agent is free.
///
/// # Safety
///
/// `router` is NULL or a live handle used by no other thread during the call; `contact`
/// points to `contact_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_router_request_callback(
    router: *mut cc_router,
    contact: *const c_char,
    contact_len: usize,
    now_ms: u64,
) -> cc_result {
    contact_input(
        "cc_router_request_callback",
        router,
        contact,
        contact_len,
        now_ms,
        Router::request_callback,
    )
}

// ----- outputs --------------------------------------------------------------------------

/// The kind of a `cc_command`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum cc_command_kind {
    /// No command is pending; the other fields are empty.
    CC_COMMAND_NONE = 0,
    /// Ring `agent` with `contact` from `queue`; the agent is reserved until
    /// `lease_until_ms`. Report `cc_router_accept` or `cc_router_reject`.
    CC_COMMAND_OFFER = 1,
    /// A callback reached `agent`: dial the customer, then report `cc_router_accept`.
    CC_COMMAND_DIAL_CALLBACK = 2,
    /// Stop ringing `agent` for `contact`; `text` says why (`no_answer`, `cancelled`...).
    CC_COMMAND_CANCEL_OFFER = 3,
    /// Send `contact` from `queue` elsewhere: `text` is the destination (`queue:ID`,
    /// `agent:ID`, `flow:ID` or an address such as `tel:+8610...`). The router no longer
    /// holds it.
    CC_COMMAND_OVERFLOW = 4,
    /// End `contact`: `queue` refuses it; `text` says why (e.g. `max_wait`).
    CC_COMMAND_REJECT = 5,
    /// Tell the caller of `contact` their `position` in `queue` and `estimated_wait_ms`.
    CC_COMMAND_ANNOUNCE = 6,
}

/// One thing the router asks the caller to do, from `cc_router_poll_command`.
///
/// The strings are borrowed from the router: valid until the next call of any `cc_router_*`
/// function with the same handle (or its free). Copy what you keep.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
#[allow(non_camel_case_types)]
pub struct cc_command {
    /// What to do.
    pub kind: cc_command_kind,
    /// The contact.
    pub contact: cc_str,
    /// The agent (offers, callbacks, cancels); empty otherwise.
    pub agent: cc_str,
    /// The queue (all but cancels); empty otherwise.
    pub queue: cc_str,
    /// The reason (cancel, reject) or the destination (overflow); empty otherwise.
    pub text: cc_str,
    /// When the reservation lapses (offers, callbacks), on the caller's clock; 0 otherwise.
    pub lease_until_ms: u64,
    /// 1-based place in the queue (announce); 0 otherwise.
    pub position: u64,
    /// Estimated wait in milliseconds (announce); 0 otherwise.
    pub estimated_wait_ms: u64,
}

fn outcome_text(o: OfferOutcome) -> &'static str {
    match o {
        OfferOutcome::Accepted => "accepted",
        OfferOutcome::Rejected => "rejected",
        OfferOutcome::NoAnswer => "no_answer",
        OfferOutcome::Cancelled => "cancelled",
        OfferOutcome::Failed => "failed",
    }
}

fn destination_text(d: &Destination) -> String {
    match d {
        Destination::Queue { queue } => format!("queue:{queue}"),
        Destination::Agent { agent } => format!("agent:{agent}"),
        // The driver must dial it: the real address, not the masked form logs show.
        Destination::External { address } => (**address).to_string(),
        Destination::Flow { flow } => format!("flow:{flow}"),
    }
}

/// Takes the next command into `*out` (`kind` is `CC_COMMAND_NONE` when none is pending).
/// Drain commands after every input and every `cc_router_handle_timeout`.
///
/// # Safety
///
/// `router` is NULL or a live handle used by no other thread during the call; `out` is NULL
/// or points to a writable `cc_command`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_router_poll_command(router: *mut cc_router, out: *mut cc_command) -> cc_result {
    with_router("cc_router_poll_command", router, |r| {
        check_out(out, "out")?;
        let mut cmd = cc_command {
            kind: cc_command_kind::CC_COMMAND_NONE,
            contact: cc_str::EMPTY,
            agent: cc_str::EMPTY,
            queue: cc_str::EMPTY,
            text: cc_str::EMPTY,
            lease_until_ms: 0,
            position: 0,
            estimated_wait_ms: 0,
        };
        let fields: [Option<String>; 4];
        match r.router.poll_command() {
            None => fields = [None, None, None, None],
            Some(Command::Offer {
                contact,
                agent,
                queue,
                lease_until,
            }) => {
                cmd.kind = cc_command_kind::CC_COMMAND_OFFER;
                cmd.lease_until_ms = r.millis(lease_until);
                fields = [
                    Some(contact.to_string()),
                    Some(agent.to_string()),
                    Some(queue.to_string()),
                    None,
                ];
            }
            Some(Command::DialCallback {
                contact,
                agent,
                queue,
                lease_until,
            }) => {
                cmd.kind = cc_command_kind::CC_COMMAND_DIAL_CALLBACK;
                cmd.lease_until_ms = r.millis(lease_until);
                fields = [
                    Some(contact.to_string()),
                    Some(agent.to_string()),
                    Some(queue.to_string()),
                    None,
                ];
            }
            Some(Command::CancelOffer {
                contact,
                agent,
                outcome,
            }) => {
                cmd.kind = cc_command_kind::CC_COMMAND_CANCEL_OFFER;
                fields = [
                    Some(contact.to_string()),
                    Some(agent.to_string()),
                    None,
                    Some(outcome_text(outcome).to_owned()),
                ];
            }
            Some(Command::Overflow { contact, from, to }) => {
                cmd.kind = cc_command_kind::CC_COMMAND_OVERFLOW;
                fields = [
                    Some(contact.to_string()),
                    None,
                    Some(from.to_string()),
                    Some(destination_text(&to)),
                ];
            }
            Some(Command::Reject {
                contact,
                queue,
                reason,
            }) => {
                cmd.kind = cc_command_kind::CC_COMMAND_REJECT;
                fields = [
                    Some(contact.to_string()),
                    None,
                    Some(queue.to_string()),
                    Some(reason.to_owned()),
                ];
            }
            Some(Command::Announce {
                contact,
                queue,
                position,
                estimated_wait,
            }) => {
                cmd.kind = cc_command_kind::CC_COMMAND_ANNOUNCE;
                cmd.position = position as u64;
                cmd.estimated_wait_ms = u64::try_from(estimated_wait.as_millis()).unwrap_or(u64::MAX);
                fields = [Some(contact.to_string()), None, Some(queue.to_string()), None];
            }
            Some(other) => {
                return Err(Error::new(
                    cc_result::CC_INVALID_STATE,
                    format!("a router command this ABI version cannot express: {other:?}"),
                ));
            }
        }
        for (slot, value) in r.last.iter_mut().zip(fields) {
            slot.clear();
            if let Some(v) = value {
                slot.push_str(&v);
            }
        }
        let [contact, agent, queue, text] = &r.last;
        cmd.contact = cc_str::borrow(contact);
        cmd.agent = cc_str::borrow(agent);
        cmd.queue = cc_str::borrow(queue);
        cmd.text = cc_str::borrow(text);
        // SAFETY: `out` is non-NULL (checked) and writable per the contract.
        unsafe { write_out(out, cmd, "out") }
    })
}

/// Writes when `cc_router_handle_timeout` should next be called (on the caller's clock),
/// or `CC_NO_TIMEOUT` when no timer is armed. Re-read it after every input.
///
/// # Safety
///
/// `router` is NULL or a live handle not mutated during the call; `out_ms` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_router_poll_timeout(router: *const cc_router, out_ms: *mut u64) -> cc_result {
    boundary("cc_router_poll_timeout", || {
        // SAFETY: per this function's contract.
        let r = unsafe { try_ref(router, "router") }?;
        let at = r.router.poll_timeout().map_or(CC_NO_TIMEOUT, |at| r.millis(at));
        // SAFETY: per this function's contract.
        unsafe { write_out(out_ms, at, "out_ms") }
    })
}

/// Fires every timer due at `now_ms`: reservation leases, wrap-up ends, max-wait limits.
/// An early call does nothing. Poll commands next.
///
/// # Safety
///
/// `router` is NULL or a live handle used by no other thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_router_handle_timeout(router: *mut cc_router, now_ms: u64) -> cc_result {
    with_router("cc_router_handle_timeout", router, |r| {
        let now = r.instant(now_ms)?;
        r.router.handle_timeout(now);
        Ok(())
    })
}

/// A statistics snapshot of a queue or of a tenant's queues.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
#[allow(non_camel_case_types)]
pub struct cc_queue_stats {
    /// Contacts that entered.
    pub entered: u64,
    /// Offers made.
    pub offers: u64,
    /// Contacts answered.
    pub answered: u64,
    /// Answered within the service-level threshold.
    pub answered_in_sl: u64,
    /// Contacts abandoned (hung up while waiting or ringing).
    pub abandoned: u64,
    /// Contacts overflowed elsewhere.
    pub overflowed: u64,
    /// Contacts rejected by the queue.
    pub rejected: u64,
    /// Callbacks requested.
    pub callbacks: u64,
    /// Contacts completed.
    pub completed: u64,
    /// Waiting now (ringing excluded).
    pub waiting: u64,
    /// Ringing or connected now.
    pub in_service: u64,
    /// The longest current wait, ms.
    pub longest_wait_ms: u64,
    /// Estimated wait of a contact arriving now, ms.
    pub estimated_wait_ms: u64,
    /// Answered within threshold / entered; NaN before the first contact.
    pub service_level: f64,
    /// Average speed of answer, ms; NaN before the first answer.
    pub asa_ms: f64,
    /// Average handle time, ms; NaN before the first completion.
    pub aht_ms: f64,
    /// Agents that may serve these queues, logged in.
    pub agents_logged_in: u32,
    /// ... of which ready.
    pub agents_ready: u32,
    /// ... of which busy (reserved, talking or in wrap-up).
    pub agents_busy: u32,
}

fn to_c_stats(s: &QueueStats) -> cc_queue_stats {
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let opt_ms = |d: Option<Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    let c = &s.counters;
    cc_queue_stats {
        entered: c.entered,
        offers: c.offers,
        answered: c.answered,
        answered_in_sl: c.answered_in_sl,
        abandoned: c.abandoned,
        overflowed: c.overflowed,
        rejected: c.rejected,
        callbacks: c.callbacks,
        completed: c.completed,
        waiting: s.waiting as u64,
        in_service: s.in_service as u64,
        longest_wait_ms: ms(s.longest_wait),
        estimated_wait_ms: ms(s.estimated_wait),
        service_level: s.service_level.unwrap_or(f64::NAN),
        asa_ms: opt_ms(s.asa),
        aht_ms: opt_ms(s.aht),
        agents_logged_in: s.agents.logged_in(),
        agents_ready: s.agents.ready,
        agents_busy: s.agents.reserved + s.agents.busy + s.agents.wrap_up,
    }
}

/// Writes a statistics snapshot of one queue at `now_ms`. `CC_NOT_FOUND` for an unknown
/// queue.
///
/// # Safety
///
/// `router` is NULL or a live handle not mutated during the call; `queue` points to
/// `queue_len` readable bytes; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_router_queue_stats(
    router: *const cc_router,
    queue: *const c_char,
    queue_len: usize,
    now_ms: u64,
    out: *mut cc_queue_stats,
) -> cc_result {
    boundary("cc_router_queue_stats", || {
        check_out(out, "out")?;
        // SAFETY: per this function's contract.
        let r = unsafe { try_ref(router, "router") }?;
        // SAFETY: per this function's contract.
        let queue: QueueId = unsafe { required_str(queue, queue_len, "queue") }?.parse()?;
        let stats = r.router.queue_stats(&queue, r.instant(now_ms)?)?;
        // SAFETY: per this function's contract.
        unsafe { write_out(out, to_c_stats(&stats), "out") }
    })
}

/// Writes a statistics snapshot of all queues of one tenant at `now_ms` (never another
/// tenant's contacts). `CC_NOT_FOUND` for an unknown tenant.
///
/// # Safety
///
/// As `cc_router_queue_stats`, with `tenant` for `queue`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_router_tenant_stats(
    router: *const cc_router,
    tenant: *const c_char,
    tenant_len: usize,
    now_ms: u64,
    out: *mut cc_queue_stats,
) -> cc_result {
    boundary("cc_router_tenant_stats", || {
        check_out(out, "out")?;
        // SAFETY: per this function's contract.
        let r = unsafe { try_ref(router, "router") }?;
        // SAFETY: per this function's contract.
        let tenant: TenantId = unsafe { required_str(tenant, tenant_len, "tenant") }?.parse()?;
        let stats = r.router.tenant_stats(&tenant, r.instant(now_ms)?)?;
        // SAFETY: per this function's contract.
        unsafe { write_out(out, to_c_stats(&stats), "out") }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_errors_name_the_key() {
        let Err(e) = build_router("[[queue]]\nid = \"sales\"\ntenant = \"acme\"\nring_timeout = 5\n") else {
            panic!("unknown key accepted");
        };
        assert_eq!(e.code, cc_result::CC_PARSE_ERROR);
        assert!(e.message.contains("ring_timeout"), "{}", e.message);
        let Err(e) = build_router("[[queue]]\nid = \"sales\"\ntenant = \"acme\"\nring_timeout_ms = 0\n")
        else {
            panic!("zero ring timeout accepted");
        };
        assert_eq!(e.code, cc_result::CC_CONFIG_ERROR);
        assert!(e.message.contains("ring_timeout"), "{}", e.message);
    }

    #[test]
    fn skills_parse_and_refuse() {
        assert_eq!(parse_skills(" billing=5, vip=1 ").map(|v| v.len()).ok(), Some(2));
        assert!(parse_skills("billing").is_err());
        assert!(parse_skills("billing=11").is_err());
    }
}

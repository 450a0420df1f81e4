//! The agent: profile (tenants, skills, capacity) and the state machine.
//!
//! ```text
//! LoggedOut → Ready | NotReady(reason) → Reserved(contact, lease until) → Busy(contact)
//!           → WrapUp(until) → Ready
//! ```
//!
//! An agent has a *presence* (logged out, ready, not ready with a reason) and up to its
//! per-channel capacity of *tasks* (reserved, busy, wrapping up). With the usual capacity of
//! one voice call this is exactly the chain above; with three chats an agent may hold three
//! tasks. The reported [`AgentStatus`] is the most engaged task (Reserved, then Busy, then
//! WrapUp), else the presence. Every method checks first and changes second, so an error
//! leaves the agent as it was.

use std::time::Instant;

use cc_core::{AgentId, AgentStatus, Channel, ContactId, SkillId, SkillLevel, TenantId};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The not-ready reason set when an agent misses too many offers in a row.
pub const AUTO_PAUSE_REASON: &str = "auto_pause_no_answer";

/// How many contacts of each channel an agent may hold at once (e.g. 1 voice, or 3 chats).
/// Real-time channels (voice, callback, video) are also exclusive of each other: an agent
/// holds at most one real-time task whatever the capacities say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capacity([u8; 8]);

impl Default for Capacity {
    /// One voice call or one callback.
    fn default() -> Self {
        Self::none().with(Channel::Voice, 1).with(Channel::Callback, 1)
    }
}

impl Capacity {
    /// No capacity on any channel.
    pub const fn none() -> Self {
        Self([0; 8])
    }

    /// This capacity with `n` contacts allowed on `channel`.
    pub fn with(mut self, channel: Channel, n: u8) -> Self {
        if let Some(slot) = self.0.get_mut(channel.index()) {
            *slot = n;
        }
        self
    }

    /// How many contacts of `channel` are allowed.
    pub fn get(&self, channel: Channel) -> u8 {
        self.0.get(channel.index()).copied().unwrap_or(0)
    }
}

/// What an agent can do for one tenant: skills with levels (languages are skills
/// `lang:<tag>`, see [`cc_core::Language::skill`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantSkills {
    /// The tenant served.
    pub tenant: TenantId,
    /// Skills and levels for this tenant.
    #[serde(default)]
    pub skills: Vec<(SkillId, SkillLevel)>,
}

/// An agent's static description: id, tenants served (one = dedicated seat, several =
/// shared seat) with skills per tenant, and capacity per channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentProfile {
    /// The agent.
    pub id: AgentId,
    /// The tenants served, each with its skills.
    pub tenants: Vec<TenantSkills>,
    /// Capacity per channel.
    #[serde(default)]
    pub capacity: Capacity,
}

impl AgentProfile {
    /// A profile with the default capacity (one voice call) and no tenant yet.
    pub fn new(id: AgentId) -> Self {
        Self {
            id,
            tenants: Vec::new(),
            capacity: Capacity::default(),
        }
    }

    /// Adds a served tenant with its skills.
    pub fn serving(mut self, tenant: TenantId, skills: Vec<(SkillId, SkillLevel)>) -> Self {
        self.tenants.push(TenantSkills { tenant, skills });
        self
    }

    /// Sets the capacity.
    pub fn with_capacity(mut self, capacity: Capacity) -> Self {
        self.capacity = capacity;
        self
    }
}

/// Logged in or not, and whether taking new contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// Not logged in.
    LoggedOut,
    /// Taking contacts.
    Ready,
    /// Logged in, not taking contacts, for a reason (lunch, training, meeting...).
    NotReady(String),
}

/// Where one contact held by the agent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Offered and ringing; the reservation ends at `lease_until` at the latest.
    Reserved {
        /// End of the reservation lease (the ring timeout).
        lease_until: Instant,
    },
    /// Answered, in progress.
    Busy,
    /// After-contact work until `until`.
    WrapUp {
        /// When wrap-up ends by itself.
        until: Instant,
    },
}

/// One contact held by the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// The contact.
    pub contact: ContactId,
    /// Its channel (it uses one unit of that channel's capacity).
    pub channel: Channel,
    /// Its state.
    pub state: TaskState,
}

/// The agent state machine. Methods validate, then change; an error changes nothing.
#[derive(Debug, Clone)]
pub struct AgentState {
    id: AgentId,
    capacity: Capacity,
    presence: Presence,
    tasks: Vec<Task>,
    no_answers: u32,
    handled: u32,
}

impl AgentState {
    /// A logged-out agent.
    pub fn new(id: AgentId, capacity: Capacity) -> Self {
        Self {
            id,
            capacity,
            presence: Presence::LoggedOut,
            tasks: Vec::new(),
            no_answers: 0,
            handled: 0,
        }
    }

    /// The agent's id.
    pub fn id(&self) -> &AgentId {
        &self.id
    }

    /// The capacity per channel.
    pub fn capacity(&self) -> Capacity {
        self.capacity
    }

    /// The presence.
    pub fn presence(&self) -> &Presence {
        &self.presence
    }

    /// The tasks held.
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// Offers missed in a row (reset by an answer or by becoming ready).
    pub fn no_answers(&self) -> u32 {
        self.no_answers
    }

    /// Contacts answered since login.
    pub fn handled(&self) -> u32 {
        self.handled
    }

    /// The status reported in events: the most engaged task, else the presence.
    pub fn status(&self) -> AgentStatus {
        let mut status = match self.presence {
            Presence::LoggedOut => AgentStatus::LoggedOut,
            Presence::Ready => AgentStatus::Ready,
            Presence::NotReady(_) => AgentStatus::NotReady,
        };
        let mut rank = 0;
        for task in &self.tasks {
            let (r, s) = match task.state {
                TaskState::Reserved { .. } => (3, AgentStatus::Reserved),
                TaskState::Busy => (2, AgentStatus::Busy),
                TaskState::WrapUp { .. } => (1, AgentStatus::WrapUp),
            };
            if r > rank {
                rank = r;
                status = s;
            }
        }
        status
    }

    /// Whether the agent may be offered a contact of `channel` now: ready, capacity left on
    /// that channel, and no other real-time task when the channel is real-time.
    pub fn available(&self, channel: Channel) -> bool {
        if self.presence != Presence::Ready {
            return false;
        }
        let used = self.tasks.iter().filter(|t| t.channel == channel).count();
        if used >= usize::from(self.capacity.get(channel)) {
            return false;
        }
        !(channel.is_real_time() && self.tasks.iter().any(|t| t.channel.is_real_time()))
    }

    /// A bit per channel (bit `Channel::index()`) where [`available`](Self::available) holds.
    pub fn available_mask(&self) -> u8 {
        Channel::ALL
            .iter()
            .filter(|c| self.available(**c))
            .fold(0, |m, c| m | (1 << c.index()))
    }

    fn refuse(&self, action: &'static str, hint: &'static str) -> Error {
        Error::InvalidTransition {
            agent: self.id.clone(),
            action,
            state: self.status(),
            hint,
        }
    }

    fn task_index(&self, contact: &ContactId) -> Option<usize> {
        self.tasks.iter().position(|t| &t.contact == contact)
    }

    /// LoggedOut → Ready (or NotReady("login") when `ready` is false).
    pub fn login(&mut self, ready: bool) -> Result<()> {
        if self.presence != Presence::LoggedOut {
            return Err(self.refuse("log in", "the agent is already logged in"));
        }
        self.presence = if ready {
            Presence::Ready
        } else {
            Presence::NotReady("login".to_owned())
        };
        self.handled = 0;
        self.no_answers = 0;
        Ok(())
    }

    /// NotReady → Ready. Tasks in progress continue; new offers wait for free capacity.
    pub fn ready(&mut self) -> Result<()> {
        match self.presence {
            Presence::LoggedOut => Err(self.refuse("become ready", "log in first")),
            Presence::Ready => Err(self.refuse("become ready", "the agent is already ready")),
            Presence::NotReady(_) => {
                self.presence = Presence::Ready;
                self.no_answers = 0;
                Ok(())
            }
        }
    }

    /// Ready or NotReady → NotReady(reason). Refused while an offer is ringing (answer or
    /// reject it first), so a reservation is never left without its agent.
    pub fn not_ready(&mut self, reason: &str) -> Result<()> {
        if self.presence == Presence::LoggedOut {
            return Err(self.refuse("pause", "log in first"));
        }
        if self.reserved_count() > 0 {
            return Err(self.refuse("pause", "accept or reject the ringing offer first"));
        }
        self.presence = Presence::NotReady(reason.to_owned());
        Ok(())
    }

    /// → LoggedOut, only with no task in progress (finish wrap-up first, or use
    /// [`force_logout`](Self::force_logout)).
    pub fn logout(&mut self) -> Result<()> {
        if self.presence == Presence::LoggedOut {
            return Err(self.refuse("log out", "the agent is already logged out"));
        }
        if !self.tasks.is_empty() {
            return Err(self.refuse(
                "log out",
                "finish the contacts in progress first, or have a supervisor force the logout",
            ));
        }
        self.presence = Presence::LoggedOut;
        Ok(())
    }

    /// Supervisor: → LoggedOut whatever the state; returns the tasks that were dropped so
    /// that the router can requeue ringing contacts and close the others.
    pub fn force_logout(&mut self) -> Result<Vec<Task>> {
        if self.presence == Presence::LoggedOut {
            return Err(self.refuse("be forced out", "the agent is already logged out"));
        }
        self.presence = Presence::LoggedOut;
        Ok(std::mem::take(&mut self.tasks))
    }

    /// Supervisor: → Ready from NotReady or WrapUp, ending wrap-ups now. Returns the
    /// contacts whose wrap-up was cut short.
    pub fn force_ready(&mut self) -> Result<Vec<ContactId>> {
        if self.presence == Presence::LoggedOut {
            return Err(self.refuse("be forced ready", "log in first"));
        }
        let mut ended = Vec::new();
        self.tasks.retain(|t| {
            let wrap = matches!(t.state, TaskState::WrapUp { .. });
            if wrap {
                ended.push(t.contact.clone());
            }
            !wrap
        });
        self.presence = Presence::Ready;
        self.no_answers = 0;
        Ok(ended)
    }

    /// Ready with capacity → Reserved(contact, lease until).
    pub fn reserve(&mut self, contact: ContactId, channel: Channel, lease_until: Instant) -> Result<()> {
        if !self.available(channel) {
            return Err(self.refuse(
                "be reserved",
                "the agent must be ready with capacity left on the contact's channel",
            ));
        }
        if self.task_index(&contact).is_some() {
            return Err(self.refuse("be reserved", "the agent already holds this contact"));
        }
        self.tasks.push(Task {
            contact,
            channel,
            state: TaskState::Reserved { lease_until },
        });
        Ok(())
    }

    fn reserved_count(&self) -> usize {
        self.tasks
            .iter()
            .filter(|t| matches!(t.state, TaskState::Reserved { .. }))
            .count()
    }

    /// Reserved(contact) → Busy(contact).
    pub fn accept(&mut self, contact: &ContactId) -> Result<()> {
        let i = self
            .task_index(contact)
            .filter(|&i| matches!(self.tasks[i].state, TaskState::Reserved { .. }))
            .ok_or_else(|| self.refuse("accept", "only a contact offered to this agent can be accepted"))?;
        self.tasks[i].state = TaskState::Busy;
        self.no_answers = 0;
        self.handled = self.handled.saturating_add(1);
        Ok(())
    }

    /// Reserved(contact) → (capacity freed) after a reject, a lease expiry or a withdrawn
    /// offer. `missed` counts a no-answer; when `max_no_answers` is reached the agent is
    /// auto-paused (NotReady([`AUTO_PAUSE_REASON`])). Returns whether it was auto-paused.
    pub fn release_offer(
        &mut self,
        contact: &ContactId,
        missed: bool,
        max_no_answers: Option<u32>,
    ) -> Result<bool> {
        let i = self
            .task_index(contact)
            .filter(|&i| matches!(self.tasks[i].state, TaskState::Reserved { .. }))
            .ok_or_else(|| self.refuse("release an offer", "no offer of this contact is ringing"))?;
        self.tasks.swap_remove(i);
        if !missed {
            return Ok(false);
        }
        self.no_answers = self.no_answers.saturating_add(1);
        let pause =
            max_no_answers.is_some_and(|max| self.no_answers >= max) && self.presence == Presence::Ready;
        if pause {
            self.presence = Presence::NotReady(AUTO_PAUSE_REASON.to_owned());
        }
        Ok(pause)
    }

    /// Busy(contact) → WrapUp(until), or straight to free when `wrap_until` is `None`.
    pub fn complete(&mut self, contact: &ContactId, wrap_until: Option<Instant>) -> Result<()> {
        let i = self
            .task_index(contact)
            .filter(|&i| self.tasks[i].state == TaskState::Busy)
            .ok_or_else(|| self.refuse("complete", "only a contact in progress can be completed"))?;
        match wrap_until {
            Some(until) => self.tasks[i].state = TaskState::WrapUp { until },
            None => {
                self.tasks.swap_remove(i);
            }
        }
        Ok(())
    }

    /// WrapUp(contact) → free.
    pub fn end_wrap_up(&mut self, contact: &ContactId) -> Result<()> {
        let i = self
            .task_index(contact)
            .filter(|&i| matches!(self.tasks[i].state, TaskState::WrapUp { .. }))
            .ok_or_else(|| self.refuse("end wrap-up", "the agent is not wrapping up this contact"))?;
        self.tasks.swap_remove(i);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn agent() -> AgentState {
        AgentState::new("1001".parse().unwrap(), Capacity::default())
    }
    fn c(s: &str) -> ContactId {
        s.parse().unwrap()
    }

    #[test]
    fn the_happy_path() {
        let t0 = Instant::now();
        let mut a = agent();
        assert_eq!(a.status(), AgentStatus::LoggedOut);
        a.login(true).unwrap();
        assert_eq!(a.status(), AgentStatus::Ready);
        assert!(a.available(Channel::Voice));
        a.reserve(c("c1"), Channel::Voice, t0 + Duration::from_secs(15))
            .unwrap();
        assert_eq!(a.status(), AgentStatus::Reserved);
        assert!(!a.available(Channel::Voice));
        assert!(
            !a.available(Channel::Callback),
            "real-time channels exclude each other"
        );
        a.accept(&c("c1")).unwrap();
        assert_eq!(a.status(), AgentStatus::Busy);
        a.complete(&c("c1"), Some(t0 + Duration::from_secs(60))).unwrap();
        assert_eq!(a.status(), AgentStatus::WrapUp);
        assert!(!a.available(Channel::Voice));
        a.end_wrap_up(&c("c1")).unwrap();
        assert_eq!(a.status(), AgentStatus::Ready);
        assert_eq!(a.handled(), 1);
        a.not_ready("lunch").unwrap();
        assert_eq!(a.presence(), &Presence::NotReady("lunch".into()));
        a.logout().unwrap();
        assert_eq!(a.status(), AgentStatus::LoggedOut);
    }

    #[test]
    fn invalid_transitions_are_errors_that_change_nothing() {
        let t0 = Instant::now();
        let mut a = agent();
        for result in [a.ready(), a.not_ready("x"), a.logout()] {
            assert!(matches!(result, Err(Error::InvalidTransition { .. })));
        }
        assert!(a.reserve(c("c1"), Channel::Voice, t0).is_err());
        assert!(a.force_ready().is_err());
        assert_eq!(a.status(), AgentStatus::LoggedOut);

        a.login(false).unwrap();
        assert!(a.login(true).is_err());
        assert!(a.reserve(c("c1"), Channel::Voice, t0).is_err(), "not ready");
        a.ready().unwrap();
        assert!(a.ready().is_err());
        assert!(a.accept(&c("c1")).is_err());
        assert!(a.complete(&c("c1"), None).is_err());
        assert!(a.reserve(c("c1"), Channel::Chat, t0).is_err(), "no chat capacity");
        a.reserve(c("c1"), Channel::Voice, t0).unwrap();
        let before = a.tasks().to_vec();
        assert!(a.reserve(c("c2"), Channel::Voice, t0).is_err(), "over capacity");
        assert!(a.not_ready("break").is_err(), "ringing");
        assert!(a.logout().is_err());
        assert!(a.complete(&c("c1"), None).is_err(), "not answered yet");
        assert!(a.end_wrap_up(&c("c1")).is_err());
        assert_eq!(a.tasks(), &before[..]);
        let err = a.logout().unwrap_err().to_string();
        assert!(
            err.contains("1001") && err.contains("Reserved") && err.contains("force"),
            "{err}"
        );
    }

    #[test]
    fn chat_capacity_allows_three_at_once() {
        let t0 = Instant::now();
        let mut a = AgentState::new("7".parse().unwrap(), Capacity::none().with(Channel::Chat, 3));
        a.login(true).unwrap();
        for i in 0..3 {
            a.reserve(c(&format!("chat{i}")), Channel::Chat, t0).unwrap();
        }
        assert!(!a.available(Channel::Chat));
        assert!(a.reserve(c("chat3"), Channel::Chat, t0).is_err());
        a.release_offer(&c("chat1"), false, None).unwrap();
        assert!(a.available(Channel::Chat));
        assert_eq!(a.available_mask(), 1 << Channel::Chat.index());
    }

    #[test]
    fn missed_offers_auto_pause() {
        let t0 = Instant::now();
        let mut a = agent();
        a.login(true).unwrap();
        a.reserve(c("c1"), Channel::Voice, t0).unwrap();
        assert!(!a.release_offer(&c("c1"), true, Some(2)).unwrap());
        a.reserve(c("c2"), Channel::Voice, t0).unwrap();
        assert!(a.release_offer(&c("c2"), true, Some(2)).unwrap());
        assert_eq!(a.presence(), &Presence::NotReady(AUTO_PAUSE_REASON.into()));
        a.ready().unwrap();
        assert_eq!(a.no_answers(), 0);
        // A withdrawn offer (customer hung up) is not the agent's miss.
        a.reserve(c("c3"), Channel::Voice, t0).unwrap();
        assert!(!a.release_offer(&c("c3"), false, Some(1)).unwrap());
        assert_eq!(a.no_answers(), 0);
    }

    #[test]
    fn supervisor_overrides() {
        let t0 = Instant::now();
        let mut a = agent();
        a.login(true).unwrap();
        a.reserve(c("c1"), Channel::Voice, t0).unwrap();
        a.accept(&c("c1")).unwrap();
        a.complete(&c("c1"), Some(t0 + Duration::from_secs(30))).unwrap();
        a.not_ready("training").unwrap();
        assert_eq!(a.force_ready().unwrap(), vec![c("c1")]);
        assert_eq!(a.status(), AgentStatus::Ready);
        a.reserve(c("c2"), Channel::Voice, t0).unwrap();
        let dropped = a.force_logout().unwrap();
        assert_eq!(dropped.len(), 1);
        assert_eq!(a.status(), AgentStatus::LoggedOut);
        assert!(a.force_logout().is_err());
    }
}

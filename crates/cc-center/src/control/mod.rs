//! Call control: the sans-IO heart of the center.
//!
//! [`CallControl`] owns the ACD router and one IVR session per call and turns what happens
//! on the lines (a call arrives, a key is pressed, an agent answers, someone hangs up)
//! into [`Order`]s for a driver (answer, play, ring an agent, bridge, record, hang up,
//! store the record). It reads no clock and touches no socket: every input carries
//! `now`, wall-clock time is derived from the anchor given at creation, and
//! [`CallControl::poll_timeout`] says when to call [`CallControl::handle_timeout`]. The
//! same core runs under the SIP/RTP driver, in tests on virtual time, and in simulations.

mod call;
mod order;
mod react;
mod reload;
mod supervise;
mod transfer;

pub use order::{AgentTarget, Order, Refusal};
pub use supervise::{SuperviseError, SuperviseMode};
pub use transfer::TransferError;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use cc_acd::{ContactStatus, Router};
use cc_core::{
    Address, AgentId, Channel, Contact, ContactId, ContactRecord, Direction, DtmfDigit, OfferOutcome, Party,
    Pii, QueueId, RecordingId, SignedDuration, TenantId, Timestamp,
};
use cc_ivr::{Event, Program, Resources, Session, SessionContext};

use crate::config::{CenterConfig, Engines, HookConfig, RecordingSection};
use crate::store::LegRecord;
use call::{Call, Phase};
use reload::Tables;

/// Where an access number leads.
#[derive(Debug, Clone)]
struct NumberRoute {
    tenant: Option<TenantId>,
    flow: String,
    language: String,
    /// The number names its language (routing then requires it).
    language_chosen: bool,
}

/// The center's call control (see the module documentation).
pub struct CallControl {
    router: Router,
    programs: HashMap<String, Arc<Program>>,
    resources: Arc<Resources>,
    numbers: HashMap<String, NumberRoute>,
    hooks: HashMap<String, HookConfig>,
    externals: HashMap<String, String>,
    mailboxes: HashMap<String, TenantId>,
    queue_tenants: HashMap<QueueId, TenantId>,
    seats: HashMap<AgentId, AgentTarget>,
    supervises: HashMap<AgentId, Vec<TenantId>>,
    recording: RecordingSection,
    has_trunk: bool,
    trunk_host: Option<String>,
    calls: HashMap<ContactId, Call>,
    deadlines: BTreeSet<(Instant, ContactId)>,
    dirty: Vec<ContactId>,
    orders: VecDeque<Order>,
    t0: Instant,
    wall0: Timestamp,
    prefix: String,
    seq: u64,
}

impl CallControl {
    /// Call control for a checked configuration and its engines. Agents with
    /// `auto_login` are logged in and ready at `now`; `wall` is the wall-clock time at
    /// `now`.
    pub fn new(config: &CenterConfig, engines: Engines, now: Instant, wall: Timestamp) -> Self {
        let tables = Tables::of(config);
        let mut control = Self {
            router: engines.router,
            programs: engines.programs,
            resources: engines.resources,
            numbers: tables.numbers,
            hooks: tables.hooks,
            externals: tables.externals,
            mailboxes: tables.mailboxes,
            queue_tenants: tables.queue_tenants,
            seats: tables.seats,
            supervises: tables.supervises,
            recording: tables.recording,
            has_trunk: tables.has_trunk,
            trunk_host: tables.trunk_host,
            calls: HashMap::new(),
            deadlines: BTreeSet::new(),
            dirty: Vec::new(),
            orders: VecDeque::new(),
            t0: now,
            wall0: wall,
            // Contact ids stay unique across restarts: the start second, then a sequence.
            prefix: format!("c{:x}", wall.as_second()),
            seq: 0,
        };
        for a in config.agents.iter().filter(|a| a.auto_login) {
            // A configured agent always exists in the router; login cannot fail here.
            let _ = control.router.login(&a.id, true, now);
        }
        control.pump(now);
        control
    }

    /// Wall-clock time at `now`.
    pub fn wall(&self, now: Instant) -> Timestamp {
        let elapsed =
            SignedDuration::try_from(now.saturating_duration_since(self.t0)).unwrap_or(SignedDuration::MAX);
        self.wall0.checked_add(elapsed).unwrap_or(self.wall0)
    }

    /// The router (queue and tenant statistics, agent states).
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// Calls in progress.
    pub fn live_calls(&self) -> usize {
        self.calls.len()
    }

    /// A tenant's contacts in progress (never another tenant's).
    pub fn contacts_of(&self, tenant: &TenantId) -> Vec<ContactId> {
        let mut ids: Vec<_> = self
            .calls
            .iter()
            .filter(|(_, c)| &c.record.tenant == tenant)
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        ids
    }

    /// A call arrives for access number `did` from `caller` (a number or URI). On success
    /// the contact's id names the call in every later input and order.
    pub fn incoming(&mut self, now: Instant, did: &str, caller: &str) -> Result<ContactId, Refusal> {
        let route = self.numbers.get(did).cloned().ok_or_else(|| Refusal {
            code: 404,
            reason: format!("no access number {did}"),
        })?;
        let program = self.programs.get(&route.flow).cloned().ok_or_else(|| Refusal {
            code: 500,
            reason: format!("flow {} is not loaded", route.flow),
        })?;
        self.seq += 1;
        let id: ContactId = format!("{}-{}", self.prefix, self.seq)
            .parse()
            .map_err(|_| Refusal {
                code: 500,
                reason: "cannot name the contact".into(),
            })?;
        // A unified number's contact belongs to the first tenant until a queue decides.
        let tenant = route
            .tenant
            .clone()
            .or_else(|| self.queue_tenants.values().next().cloned())
            .ok_or_else(|| Refusal {
                code: 503,
                reason: "no tenant".into(),
            })?;
        let wall = self.wall(now);
        let mut contact = Contact::new(id.clone(), tenant, Channel::Voice, Direction::Inbound);
        if let Ok(address) = Address::parse(caller) {
            contact = contact.with_caller(Party::new(address));
        }
        let mut record = ContactRecord::open(&contact, wall);
        record.flow = route.flow.parse().ok();
        record.ivr_started_at = Some(wall);
        if let Ok(address) = Address::parse(did) {
            record.called = Some(Pii::new(Party::new(address)));
        }
        let session = Session::new(
            program,
            SessionContext {
                caller: crate::sip_text::user_of(caller).to_owned(),
                called: did.to_owned(),
                language: route.language.clone(),
                start: now,
                start_wall: wall,
                resources: Arc::clone(&self.resources),
            },
        );
        let legs = vec![LegRecord {
            contact: id.clone(),
            tenant: record.tenant.clone(),
            leg: 0,
            role: "caller".into(),
            party: Some(caller.to_owned()),
            started_at: wall,
            answered_at: Some(wall),
            ended_at: None,
            end_cause: None,
        }];
        self.calls.insert(
            id.clone(),
            Call {
                session: Some(session),
                record,
                legs,
                unified: route.tenant.is_none(),
                language: route.language,
                language_chosen: route.language_chosen,
                phase: Phase::Ivr,
                agent: None,
                callback_number: None,
                announce: (false, false),
                music: None,
                leaving: false,
                deadline: None,
                supervisor: None,
                agent_transferred: false,
                queued_with: None,
                requeued: false,
            },
        );
        self.orders.push_back(Order::Answer { contact: id.clone() });
        self.dirty.push(id.clone());
        self.pump(now);
        Ok(id)
    }

    /// The caller pressed a key (RFC 4733, SIP INFO or in-band).
    pub fn caller_digit(&mut self, now: Instant, contact: &ContactId, digit: DtmfDigit) {
        self.feed_session(now, contact, Event::Digit(digit));
    }

    /// The last `Play` to the caller finished.
    pub fn play_done(&mut self, now: Instant, contact: &ContactId) {
        self.feed_session(now, contact, Event::PlayDone);
    }

    /// The caller hung up (or their line failed).
    pub fn caller_hangup(&mut self, now: Instant, contact: &ContactId) {
        self.on_caller_gone(now, contact, "caller hung up");
        self.pump(now);
    }

    /// The agent's phone answered an offer.
    pub fn agent_answered(&mut self, now: Instant, contact: &ContactId, agent: &AgentId) {
        self.on_agent_answered(now, contact, agent);
        self.pump(now);
    }

    /// The agent's phone refused, did not answer, or could not be reached.
    pub fn agent_failed(
        &mut self,
        now: Instant,
        contact: &ContactId,
        agent: &AgentId,
        outcome: OfferOutcome,
    ) {
        self.on_agent_failed(now, contact, agent, outcome);
        self.pump(now);
    }

    /// The agent hung up; the caller stays (survey) unless the flow ends.
    pub fn agent_hangup(&mut self, now: Instant, contact: &ContactId) {
        self.on_agent_hangup(now, contact);
        self.pump(now);
    }

    /// An outside transfer connected (`true`) or failed.
    pub fn transfer_result(&mut self, now: Instant, contact: &ContactId, connected: bool) {
        self.on_transfer_result(now, contact, connected);
        self.pump(now);
    }

    /// A voicemail was recorded (`Some`) or not.
    pub fn voicemail_result(&mut self, now: Instant, contact: &ContactId, recording: Option<RecordingId>) {
        let wall = self.wall(now);
        if let Some(call) = self.calls.get_mut(contact) {
            let ok = recording.is_some();
            if let Some(r) = recording {
                call.record.recordings.push(r.clone());
                call.record
                    .close(wall, cc_core::Disposition::Voicemail { recording: Some(r) });
            }
            self.feed_session(now, contact, Event::VoicemailResult(ok));
        }
    }

    /// A recording of the contact was finished and stored.
    pub fn recording_done(&mut self, contact: &ContactId, recording: RecordingId) {
        if let Some(call) = self.calls.get_mut(contact)
            && !call.record.recordings.contains(&recording)
        {
            call.record.recordings.push(recording);
        }
    }

    /// A callback's customer answered: connect them to the agent.
    pub fn customer_answered(&mut self, now: Instant, contact: &ContactId) {
        let wall = self.wall(now);
        if let Some(call) = self.calls.get_mut(contact)
            && let Some(agent) = call.agent.clone()
        {
            call.phase = Phase::Connected;
            if let Some(leg) = call.legs.iter_mut().rev().find(|l| l.role == "callback") {
                leg.answered_at = Some(wall);
            }
            self.orders.push_back(Order::Bridge {
                contact: contact.clone(),
                agent,
            });
            self.start_recording(contact);
        }
        self.pump(now);
    }

    /// A callback's customer could not be reached.
    pub fn customer_failed(&mut self, now: Instant, contact: &ContactId) {
        if self.calls.contains_key(contact) {
            let _ = self.router.complete(contact, now);
            self.orders.push_back(Order::HangupAgent {
                contact: contact.clone(),
            });
            let wall = self.wall(now);
            self.finish(
                contact,
                wall,
                Some(cc_core::Disposition::Callback { callback: None }),
                "callback failed",
            );
        }
        self.pump(now);
    }

    /// Ends every contact still held because the center is stopping: a caller still on the
    /// line is treated as hung up, a callback not yet made ends as a callback that failed.
    /// Every record is ordered stored.
    pub fn end_all(&mut self, now: Instant) {
        let wall = self.wall(now);
        let ids: Vec<ContactId> = self.calls.keys().cloned().collect();
        for id in ids {
            self.on_caller_gone(now, &id, "center stopped");
            if let Some(call) = self.calls.get(&id) {
                // Still held: a callback waiting in the queue or being dialled.
                let disposition = match call.phase {
                    Phase::CallbackWaiting | Phase::DialingCustomer => {
                        Some(cc_core::Disposition::Callback { callback: None })
                    }
                    _ => None,
                };
                if self.router.abandon(&id, now).is_err() {
                    let _ = self.router.complete(&id, now);
                }
                self.finish(&id, wall, disposition, "center stopped");
            }
        }
        self.pump(now);
    }

    /// Logs an agent in (ready or not).
    pub fn login(&mut self, now: Instant, agent: &AgentId, ready: bool) -> Result<(), cc_acd::Error> {
        let r = self.router.login(agent, ready, now);
        self.pump(now);
        r
    }

    /// Makes an agent ready.
    pub fn ready(&mut self, now: Instant, agent: &AgentId) -> Result<(), cc_acd::Error> {
        let r = self.router.ready(agent, now);
        self.pump(now);
        r
    }

    /// Makes an agent not ready, with a reason (lunch, training...).
    pub fn not_ready(&mut self, now: Instant, agent: &AgentId, reason: &str) -> Result<(), cc_acd::Error> {
        let r = self.router.not_ready(agent, reason, now);
        self.pump(now);
        r
    }

    /// Logs an agent out.
    pub fn logout(&mut self, now: Instant, agent: &AgentId) -> Result<(), cc_acd::Error> {
        let r = self.router.logout(agent, now);
        self.pump(now);
        r
    }

    /// Where an agent stands in a contact (for drivers matching a ringing phone).
    pub fn contact_status(&self, contact: &ContactId) -> Option<ContactStatus> {
        self.router.contact_status(contact).ok().map(|(status, _)| status)
    }

    /// The next order for the driver.
    pub fn poll_order(&mut self) -> Option<Order> {
        self.orders.pop_front()
    }

    /// The next event of the router (agent states, contact progress) for monitors.
    pub fn poll_event(&mut self) -> Option<cc_core::EventBody> {
        self.router.poll_event()
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let session = self.deadlines.first().map(|(at, _)| *at);
        [session, self.router.poll_timeout()].into_iter().flatten().min()
    }

    /// Runs what is due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.router.handle_timeout(now);
        while let Some((at, id)) = self.deadlines.first().cloned() {
            if at > now {
                break;
            }
            self.deadlines.remove(&(at, id.clone()));
            if let Some(call) = self.calls.get_mut(&id) {
                call.deadline = None;
                if let Some(s) = call.session.as_mut() {
                    s.handle_timeout(now);
                }
                self.dirty.push(id);
            }
        }
        self.pump(now);
    }

    fn feed_session(&mut self, now: Instant, contact: &ContactId, event: Event) {
        if let Some(call) = self.calls.get_mut(contact)
            && let Some(s) = call.session.as_mut()
        {
            s.handle_event(now, event);
            self.dirty.push(contact.clone());
        }
        self.pump(now);
    }

    /// Drains sessions and the router until neither has anything more to say.
    fn pump(&mut self, now: Instant) {
        for _ in 0..10_000 {
            let mut progressed = false;
            while let Some(id) = self.dirty.pop() {
                progressed = true;
                self.drain_session(now, &id);
            }
            while let Some(command) = self.router.poll_command() {
                progressed = true;
                self.on_router_command(now, command);
            }
            if !progressed {
                return;
            }
        }
        tracing::error!("call control did not settle after 10000 rounds");
    }

    fn drain_session(&mut self, now: Instant, id: &ContactId) {
        loop {
            let Some(call) = self.calls.get_mut(id) else {
                return;
            };
            let Some(action) = call.session.as_mut().and_then(Session::poll_action) else {
                break;
            };
            self.on_action(now, id, action);
        }
        if let Some(call) = self.calls.get_mut(id)
            && std::mem::take(&mut call.leaving)
        {
            // The flow left the queue (timeout or a key) without asking for a callback.
            call.phase = call::Phase::Ivr;
            let _ = self.router.abandon(id, now);
        }
        self.refresh_deadline(id);
    }

    fn refresh_deadline(&mut self, id: &ContactId) {
        let Some(call) = self.calls.get_mut(id) else {
            return;
        };
        let next = call.session.as_ref().and_then(Session::poll_timeout);
        if next != call.deadline {
            if let Some(old) = call.deadline.take() {
                self.deadlines.remove(&(old, id.clone()));
            }
            if let Some(at) = next {
                self.deadlines.insert((at, id.clone()));
            }
            call.deadline = next;
        }
    }

    /// Ends the contact: closes its record (unless already closed), ends open legs and
    /// orders it stored.
    fn finish(
        &mut self,
        id: &ContactId,
        wall: Timestamp,
        disposition: Option<cc_core::Disposition>,
        cause: &str,
    ) {
        let Some(mut call) = self.calls.remove(id) else {
            return;
        };
        if let Some(at) = call.deadline.take() {
            self.deadlines.remove(&(at, id.clone()));
        }
        if call.record.disposition.is_none() {
            let d = disposition.unwrap_or(if call.record.answered_at.is_some() {
                cc_core::Disposition::Answered
            } else {
                cc_core::Disposition::SelfService
            });
            call.record.close(wall, d);
        }
        call.record.ended_at.get_or_insert(wall);
        for leg in &mut call.legs {
            if leg.ended_at.is_none() {
                leg.ended_at = Some(wall);
                leg.end_cause = Some(cause.to_owned());
            }
        }
        self.orders.push_back(Order::Finished {
            record: Box::new(call.record),
            legs: call.legs,
        });
    }
}

#[cfg(test)]
mod tests;

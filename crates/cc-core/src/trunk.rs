//! The [`Trunk`] trait: the one seam through which a center reaches the outside world
//! (a SIP carrier, a gateway, a test harness), and [`LoopbackTrunk`], two in-process
//! trunks wired to each other for tests and simulations.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::address::{Address, Party};
use crate::dtmf::DtmfDigit;
use crate::id::{CallId, TrunkId};
use crate::pii::Pii;

/// Why a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HangupCause {
    /// A party hung up after the call was answered, or the call was completed.
    Normal,
    /// The called party was busy.
    Busy,
    /// Nobody answered.
    NoAnswer,
    /// The called party declined.
    Rejected,
    /// The caller gave up before the call was answered.
    Cancelled,
    /// The destination does not exist.
    NotFound,
    /// The destination, or the trunk itself, is unreachable or out of service.
    Unavailable,
    /// A signalling or media failure.
    Failed,
}

impl fmt::Display for HangupCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HangupCause::Normal => "normal clearing",
            HangupCause::Busy => "busy",
            HangupCause::NoAnswer => "no answer",
            HangupCause::Rejected => "rejected",
            HangupCause::Cancelled => "cancelled",
            HangupCause::NotFound => "not found",
            HangupCause::Unavailable => "unavailable",
            HangupCause::Failed => "failed",
        })
    }
}

/// What a trunk operation could not do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrunkError {
    /// The call never existed on this trunk, or has already ended.
    #[error("unknown call {0}: it does not exist on this trunk or has already ended")]
    UnknownCall(CallId),
    /// The call is not in a state that allows the operation.
    #[error("cannot {action} call {call}: it is {state}, and {action} needs {needs}")]
    InvalidState {
        /// The call.
        call: CallId,
        /// The operation attempted, e.g. `answer`.
        action: &'static str,
        /// The call's state, e.g. `already answered`.
        state: &'static str,
        /// What the operation needs, e.g. `an incoming call that is still ringing`.
        needs: &'static str,
    },
    /// The trunk cannot place or accept calls now (peer down, registration lost, closed).
    #[error("trunk {trunk} is unavailable: {reason}")]
    Unavailable {
        /// The trunk.
        trunk: TrunkId,
        /// Why.
        reason: String,
    },
    /// The trunk was shut down; it reports no more events.
    #[error("trunk {0} is closed")]
    Closed(TrunkId),
}

/// What a trunk reports, in order per call.
// A few events per call, not per packet: boxing `Incoming` would cost more than it saves.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrunkEvent {
    /// A call arrived from outside; answer or hang it up.
    Incoming {
        /// The new call.
        call: CallId,
        /// Who is calling.
        from: Pii<Party>,
        /// What they called.
        to: Pii<Address>,
    },
    /// An originated call is ringing at the far end.
    Ringing {
        /// The call.
        call: CallId,
    },
    /// The call was answered (by the far end for originated calls, by us for incoming ones).
    Answered {
        /// The call.
        call: CallId,
    },
    /// The far end keyed a DTMF digit.
    Dtmf {
        /// The call.
        call: CallId,
        /// The key.
        digit: DtmfDigit,
    },
    /// The call ended; no further event names it.
    HungUp {
        /// The call.
        call: CallId,
        /// Why.
        cause: HangupCause,
    },
}

impl TrunkEvent {
    /// The call the event is about.
    pub fn call(&self) -> &CallId {
        match self {
            TrunkEvent::Incoming { call, .. }
            | TrunkEvent::Ringing { call }
            | TrunkEvent::Answered { call }
            | TrunkEvent::Dtmf { call, .. }
            | TrunkEvent::HungUp { call, .. } => call,
        }
    }
}

/// A request to place a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginateRequest {
    /// The calling party presented to the far end (caller id).
    pub from: Party,
    /// Where to call.
    pub to: Address,
}

impl OriginateRequest {
    /// A request to call `to` presenting `from`.
    pub fn new(from: Party, to: Address) -> Self {
        Self { from, to }
    }
}

/// A way to reach the outside world: place calls, receive them, answer, hang up and send
/// DTMF. Media (RTP) is negotiated by the implementation and handled by the media layer;
/// this trait carries call control only.
///
/// # What an implementation guarantees
///
/// 1. **Asynchronous outcomes.** Methods return once the request is handed over (a SIP
///    request sent, a loopback peer notified); what the far end does comes as events. So
///    `originate` fails only when no call could be attempted at all (trunk closed or
///    unavailable); a busy or unanswered callee shows as [`TrunkEvent::HungUp`].
/// 2. **Order per call.** Events naming one call come in this order: `Incoming` (for
///    calls from outside) or any number of `Ringing` (for originated calls), then at most
///    one `Answered`, then any number of `Dtmf`, then exactly one `HungUp`.
/// 3. **Exactly one end.** Every call the trunk reported or created ends with exactly one
///    `HungUp` event, also when this side hung it up, so one place cleans up. After it,
///    methods naming the call fail with [`TrunkError::UnknownCall`].
/// 4. **Typed refusals, no panics.** An operation that does not fit the call's state
///    fails with [`TrunkError::InvalidState`] and changes nothing.
/// 5. **Cancel safety.** Dropping a pending `next_event` future loses no event.
/// 6. **Concurrency.** All methods may be called concurrently from several tasks.
/// 7. **Shutdown.** After the trunk is closed, `next_event` drains what is queued and then
///    returns [`TrunkError::Closed`]; calls still up are ended with `HungUp`.
#[async_trait]
pub trait Trunk: Send + Sync {
    /// The trunk's id.
    fn id(&self) -> &TrunkId;

    /// Places a call and returns its id; progress comes as events.
    async fn originate(&self, request: OriginateRequest) -> Result<CallId, TrunkError>;

    /// The next event, waiting for one if none is queued.
    async fn next_event(&self) -> Result<TrunkEvent, TrunkError>;

    /// Answers an incoming call that is still ringing.
    async fn answer(&self, call: &CallId) -> Result<(), TrunkError>;

    /// Ends a call in any state (rejects or cancels it if not yet answered).
    async fn hangup(&self, call: &CallId, cause: HangupCause) -> Result<(), TrunkError>;

    /// Sends DTMF digits on an answered call (RFC 4733 events for SIP).
    async fn send_dtmf(&self, call: &CallId, digits: &[DtmfDigit]) -> Result<(), TrunkError>;
}

/// Which end of a loopback pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    A,
    B,
}

impl Side {
    fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
    fn index(self) -> usize {
        match self {
            Side::A => 0,
            Side::B => 1,
        }
    }
}

#[derive(Debug)]
struct LoopCall {
    caller: Side,
    answered: bool,
}

#[derive(Debug)]
struct Shared {
    calls: HashMap<CallId, LoopCall>,
    /// Event queues of side A and side B; `None` once that side is closed.
    queues: [Option<mpsc::UnboundedSender<TrunkEvent>>; 2],
}

impl Shared {
    fn send(&self, side: Side, event: TrunkEvent) {
        if let Some(queue) = &self.queues[side.index()] {
            // A send fails only when the receiver is gone, i.e. that side is being dropped.
            let _ = queue.send(event);
        }
    }
}

/// One end of an in-process trunk pair: a call originated on one end arrives as
/// [`TrunkEvent::Incoming`] on the other. Used by tests, examples and the simulator; it
/// keeps every guarantee of [`Trunk`].
///
/// Event queues are unbounded: a loopback pair lives inside one test or simulation whose
/// consumer drains both ends.
#[derive(Debug)]
pub struct LoopbackTrunk {
    id: TrunkId,
    side: Side,
    shared: Arc<Mutex<Shared>>,
    events: tokio::sync::Mutex<mpsc::UnboundedReceiver<TrunkEvent>>,
    next_call: Arc<AtomicU64>,
}

impl LoopbackTrunk {
    /// Two trunks wired to each other.
    pub fn pair(a: TrunkId, b: TrunkId) -> (LoopbackTrunk, LoopbackTrunk) {
        let (tx_a, rx_a) = mpsc::unbounded_channel();
        let (tx_b, rx_b) = mpsc::unbounded_channel();
        let shared = Arc::new(Mutex::new(Shared {
            calls: HashMap::new(),
            queues: [Some(tx_a), Some(tx_b)],
        }));
        let next_call = Arc::new(AtomicU64::new(1));
        let end = |id, side, rx| LoopbackTrunk {
            id,
            side,
            shared: Arc::clone(&shared),
            events: tokio::sync::Mutex::new(rx),
            next_call: Arc::clone(&next_call),
        };
        (end(a, Side::A, rx_a), end(b, Side::B, rx_b))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        // No code path panics while holding the lock, so poisoning cannot carry a broken
        // invariant; recover rather than propagate.
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Closes this end: ends every call with `HungUp` (cause `Unavailable` on the far
    /// end), refuses new calls, and lets `next_event` drain then return `Closed`.
    pub fn close(&self) {
        let mut shared = self.lock();
        if shared.queues[self.side.index()].is_none() {
            return;
        }
        let calls: Vec<CallId> = shared.calls.keys().cloned().collect();
        for call in calls {
            shared.calls.remove(&call);
            shared.send(
                self.side,
                TrunkEvent::HungUp {
                    call: call.clone(),
                    cause: HangupCause::Normal,
                },
            );
            shared.send(
                self.side.other(),
                TrunkEvent::HungUp {
                    call,
                    cause: HangupCause::Unavailable,
                },
            );
        }
        shared.queues[self.side.index()] = None;
    }
}

impl Drop for LoopbackTrunk {
    fn drop(&mut self) {
        self.close();
    }
}

#[async_trait]
impl Trunk for LoopbackTrunk {
    fn id(&self) -> &TrunkId {
        &self.id
    }

    async fn originate(&self, request: OriginateRequest) -> Result<CallId, TrunkError> {
        let mut shared = self.lock();
        if shared.queues[self.side.index()].is_none() {
            return Err(TrunkError::Closed(self.id.clone()));
        }
        if shared.queues[self.side.other().index()].is_none() {
            return Err(TrunkError::Unavailable {
                trunk: self.id.clone(),
                reason: "the other end of the loopback pair is closed".to_owned(),
            });
        }
        let n = self.next_call.fetch_add(1, Ordering::Relaxed);
        let call = CallId::new(format!("loop-{n}@{}", self.id)).map_err(|e| TrunkError::Unavailable {
            trunk: self.id.clone(),
            reason: format!("cannot make a call id: {e}"),
        })?;
        shared.calls.insert(
            call.clone(),
            LoopCall {
                caller: self.side,
                answered: false,
            },
        );
        shared.send(
            self.side.other(),
            TrunkEvent::Incoming {
                call: call.clone(),
                from: Pii::new(request.from),
                to: Pii::new(request.to),
            },
        );
        shared.send(self.side, TrunkEvent::Ringing { call: call.clone() });
        Ok(call)
    }

    async fn next_event(&self) -> Result<TrunkEvent, TrunkError> {
        let mut events = self.events.lock().await;
        events
            .recv()
            .await
            .ok_or_else(|| TrunkError::Closed(self.id.clone()))
    }

    async fn answer(&self, call: &CallId) -> Result<(), TrunkError> {
        let mut shared = self.lock();
        let state = shared
            .calls
            .get_mut(call)
            .ok_or_else(|| TrunkError::UnknownCall(call.clone()))?;
        let needs = "an incoming call that is still ringing";
        if state.caller == self.side {
            return Err(TrunkError::InvalidState {
                call: call.clone(),
                action: "answer",
                state: "an outgoing call of this end",
                needs,
            });
        }
        if state.answered {
            return Err(TrunkError::InvalidState {
                call: call.clone(),
                action: "answer",
                state: "already answered",
                needs,
            });
        }
        state.answered = true;
        for side in [Side::A, Side::B] {
            shared.send(side, TrunkEvent::Answered { call: call.clone() });
        }
        Ok(())
    }

    async fn hangup(&self, call: &CallId, cause: HangupCause) -> Result<(), TrunkError> {
        let mut shared = self.lock();
        let state = shared
            .calls
            .remove(call)
            .ok_or_else(|| TrunkError::UnknownCall(call.clone()))?;
        // What the far end sees: a caller giving up before answer is a cancel.
        let far_cause = if !state.answered && state.caller == self.side && cause == HangupCause::Normal {
            HangupCause::Cancelled
        } else {
            cause
        };
        shared.send(
            self.side,
            TrunkEvent::HungUp {
                call: call.clone(),
                cause,
            },
        );
        shared.send(
            self.side.other(),
            TrunkEvent::HungUp {
                call: call.clone(),
                cause: far_cause,
            },
        );
        Ok(())
    }

    async fn send_dtmf(&self, call: &CallId, digits: &[DtmfDigit]) -> Result<(), TrunkError> {
        let shared = self.lock();
        let state = shared
            .calls
            .get(call)
            .ok_or_else(|| TrunkError::UnknownCall(call.clone()))?;
        if !state.answered {
            return Err(TrunkError::InvalidState {
                call: call.clone(),
                action: "send DTMF on",
                state: "not answered yet",
                needs: "an answered call",
            });
        }
        for &digit in digits {
            shared.send(
                self.side.other(),
                TrunkEvent::Dtmf {
                    call: call.clone(),
                    digit,
                },
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtmf::parse_digits;
    use std::time::Duration;

    fn pair() -> (LoopbackTrunk, LoopbackTrunk) {
        LoopbackTrunk::pair("carrier".parse().unwrap(), "center".parse().unwrap())
    }

    fn request() -> OriginateRequest {
        OriginateRequest::new(
            Party::new(Address::parse("+8613800138000").unwrap()),
            Address::parse("+864001234567").unwrap(),
        )
    }

    async fn next(trunk: &LoopbackTrunk) -> TrunkEvent {
        tokio::time::timeout(Duration::from_secs(5), trunk.next_event())
            .await
            .expect("event within 5 s")
            .expect("trunk open")
    }

    #[tokio::test]
    async fn a_call_rings_is_answered_carries_dtmf_and_ends_once_on_each_side() {
        let (carrier, center) = pair();
        let call = carrier.originate(request()).await.unwrap();

        match next(&center).await {
            TrunkEvent::Incoming { call: c, from, to } => {
                assert_eq!(c, call);
                assert_eq!(from.address.to_string(), "tel:+8613800138000");
                assert_eq!(to.to_string(), format!("{}4567", "*".repeat(13)));
            }
            other => panic!("expected Incoming, got {other:?}"),
        }
        assert_eq!(next(&carrier).await, TrunkEvent::Ringing { call: call.clone() });

        let err = carrier.answer(&call).await.unwrap_err();
        assert!(matches!(err, TrunkError::InvalidState { .. }), "{err}");
        let err = carrier
            .send_dtmf(&call, &parse_digits("1").unwrap())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not answered yet"), "{err}");

        center.answer(&call).await.unwrap();
        assert_eq!(next(&center).await, TrunkEvent::Answered { call: call.clone() });
        assert_eq!(next(&carrier).await, TrunkEvent::Answered { call: call.clone() });
        assert!(center.answer(&call).await.is_err());

        carrier
            .send_dtmf(&call, &parse_digits("2#").unwrap())
            .await
            .unwrap();
        for expected in ['2', '#'] {
            match next(&center).await {
                TrunkEvent::Dtmf { digit, .. } => assert_eq!(digit.as_char(), expected),
                other => panic!("expected Dtmf, got {other:?}"),
            }
        }

        center.hangup(&call, HangupCause::Normal).await.unwrap();
        assert_eq!(
            next(&center).await,
            TrunkEvent::HungUp {
                call: call.clone(),
                cause: HangupCause::Normal
            }
        );
        assert_eq!(
            next(&carrier).await,
            TrunkEvent::HungUp {
                call: call.clone(),
                cause: HangupCause::Normal
            }
        );
        assert_eq!(
            center.hangup(&call, HangupCause::Normal).await,
            Err(TrunkError::UnknownCall(call.clone()))
        );
    }

    #[tokio::test]
    async fn caller_giving_up_before_answer_is_a_cancel_for_the_far_end() {
        let (carrier, center) = pair();
        let call = carrier.originate(request()).await.unwrap();
        carrier.hangup(&call, HangupCause::Normal).await.unwrap();
        assert!(matches!(next(&center).await, TrunkEvent::Incoming { .. }));
        assert_eq!(
            next(&center).await,
            TrunkEvent::HungUp {
                call,
                cause: HangupCause::Cancelled
            }
        );
    }

    #[tokio::test]
    async fn closing_an_end_hangs_up_its_calls_and_refuses_new_ones() {
        let (carrier, center) = pair();
        let call = carrier.originate(request()).await.unwrap();
        assert!(matches!(next(&center).await, TrunkEvent::Incoming { .. }));
        center.close();
        assert_eq!(next(&carrier).await, TrunkEvent::Ringing { call: call.clone() });
        assert_eq!(
            next(&carrier).await,
            TrunkEvent::HungUp {
                call: call.clone(),
                cause: HangupCause::Unavailable
            }
        );
        assert!(matches!(
            carrier.originate(request()).await,
            Err(TrunkError::Unavailable { .. })
        ));
        // The closed end drains its queue, then reports Closed.
        assert!(matches!(next(&center).await, TrunkEvent::HungUp { .. }));
        assert_eq!(
            center.next_event().await,
            Err(TrunkError::Closed("center".parse().unwrap()))
        );
        assert!(matches!(
            center.originate(request()).await,
            Err(TrunkError::Closed(_))
        ));
    }

    #[tokio::test]
    async fn works_as_a_trait_object() {
        let (carrier, center) = pair();
        let trunks: Vec<Box<dyn Trunk>> = vec![Box::new(carrier), Box::new(center)];
        let call = trunks[0].originate(request()).await.unwrap();
        assert_eq!(trunks[1].next_event().await.unwrap().call(), &call);
        assert_eq!(trunks[1].id().as_str(), "center");
    }
}

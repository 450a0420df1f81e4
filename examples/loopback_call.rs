//! A customer calls the center over a loopback trunk; the center answers, the caller keys
//! a menu choice, the call ends, and the center prints the contact record and its events
//! as JSON, the way an embedder's own call control would.
//!
//! Run it with `cargo run --example loopback_call`.

use std::time::Duration;

use ccsdk::core::{
    Address, Channel, Contact, ContactChange, ContactEvent, ContactId, ContactRecord, Direction, Disposition,
    EventBody, EventSequencer, HangupCause, Language, LoopbackTrunk, OriginateRequest, Party, SignedDuration,
    Timestamp, Trunk, TrunkEvent, Value, parse_digits,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let (carrier, center) = LoopbackTrunk::pair("carrier".parse()?, "center".parse()?);
    // A fixed wall clock keeps the output the same on every run.
    let mut now: Timestamp = "2026-11-22T09:00:00Z".parse()?;
    let mut events = EventSequencer::new();

    // The customer dials the access number.
    let caller = Party::new(Address::parse("+8613800138000")?).with_display_name("Zhang San");
    carrier
        .originate(OriginateRequest::new(caller, Address::parse("+864001234567")?))
        .await?;

    // The center sees the call arrive and opens a contact and its record.
    let TrunkEvent::Incoming { call, from, to } = next(&center).await? else {
        return Err("expected an incoming call".into());
    };
    let contact = Contact::new(
        ContactId::new("c-0001")?,
        "acme".parse()?,
        Channel::Voice,
        Direction::Inbound,
    )
    .with_caller(from.into_inner())
    .with_called(Party::new(to.into_inner()))
    .with_language(Language::new("zh-CN")?);
    let mut record = ContactRecord::open(&contact, now);
    record.trunk = Some(center.id().clone());
    record.calls.push(call.clone());
    println!(
        "incoming call {call} from {}",
        contact.caller.as_ref().ok_or("caller")?
    );
    let arrived = events.stamp(
        now,
        EventBody::Contact(ContactEvent {
            tenant: contact.tenant.clone(),
            contact: contact.id.clone(),
            change: ContactChange::Arrived {
                channel: contact.channel,
                direction: contact.direction,
            },
        }),
    );

    // The IVR answers and waits for a menu key.
    center.answer(&call).await?;
    record.ivr_started_at = Some(now);
    carrier.send_dtmf(&call, &parse_digits("2")?).await?;
    loop {
        match next(&center).await? {
            TrunkEvent::Dtmf { digit, .. } => {
                now = now.checked_add(SignedDuration::from_secs(6))?;
                record
                    .ivr_values
                    .insert("menu".into(), Value::Text(digit.to_string()));
                break;
            }
            TrunkEvent::Answered { .. } => {}
            other => return Err(format!("unexpected {other:?}").into()),
        }
    }

    // Menu 2 is self-service (balance enquiry): play, then hang up.
    center.hangup(&call, HangupCause::Normal).await?;
    while !matches!(next(&center).await?, TrunkEvent::HungUp { .. }) {}
    now = now.checked_add(SignedDuration::from_secs(30))?;
    record.ivr_ended_at = Some(now);
    record.close(now, Disposition::SelfService);
    let ended = events.stamp(
        now,
        EventBody::Contact(ContactEvent {
            tenant: contact.tenant.clone(),
            contact: contact.id.clone(),
            change: ContactChange::Ended {
                disposition: Disposition::SelfService,
            },
        }),
    );

    println!("{}", serde_json::to_string_pretty(&record)?);
    println!("{}", serde_json::to_string(&arrived)?);
    println!("{}", serde_json::to_string(&ended)?);
    Ok(())
}

async fn next(trunk: &LoopbackTrunk) -> Result<TrunkEvent, BoxError> {
    Ok(tokio::time::timeout(Duration::from_secs(5), trunk.next_event()).await??)
}

//! Supervisors on live calls, end to end on 127.0.0.1 with simulated phones that "speak"
//! at their own pitch (caller 440 Hz, agent 1000 Hz, supervisor 1400 Hz): a whisper is
//! heard by the agent only, so the customer's side of the recording never carries the
//! supervisor; a barge is heard by the customer; a force release ends the call; a
//! supervisor of another tenant is refused.

#[path = "support/center.rs"]
mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use cc_center::config::CenterConfig;
use cc_center::control::SuperviseMode;
use cc_center::runtime::{Center, CenterHandle};
use cc_center::sim::{AgentBehavior, CallOutcome, CallerScript, DtmfMode, SimAgent, SimCaller};
use cc_center::store::Store;
use cc_core::{ContactId, TenantId};

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const SUPERVISOR_HZ: f64 = 1400.0;
const AGENT_HZ: f64 = 1000.0;

fn config(dir: &std::path::Path, agent: &str, supervisor: &str) -> CenterConfig {
    std::fs::write(
        dir.join("hotline.flow"),
        "flow hotline\nmain {\n    enqueue \"sales\" timeout 20s else { hangup }\n    hangup\n}\n",
    )
    .unwrap();
    let text = format!(
        "[center]\ndata_dir = \"data\"\n\
         [sip]\nlisten = \"127.0.0.1:0\"\n\
         [rtp]\nport_min = 40000\nport_max = 40199\nworkers = 1\n\
         [[tenant]]\nid = \"acme\"\n\
         [[tenant]]\nid = \"globex\"\n\
         [[number]]\ndid = \"4001\"\ntenant = \"acme\"\nflow = \"hotline\"\n\
         [[flow]]\nid = \"hotline\"\nfile = \"hotline.flow\"\ntenant = \"acme\"\n\
         [[queue]]\nid = \"sales\"\ntenant = \"acme\"\nring_timeout = \"5s\"\n\
         [[agent]]\nid = \"1001\"\ncontact = \"{agent}\"\ntenants = {{ acme = {{}} }}\nauto_login = true\n\
         [[agent]]\nid = \"8001\"\ncontact = \"{supervisor}\"\ntenants = {{}}\nsupervises = [\"acme\"]\n\
         [[agent]]\nid = \"8002\"\ncontact = \"{supervisor}\"\ntenants = {{}}\nsupervises = [\"globex\"]\n"
    );
    support::checked_config(dir, &text)
}

/// Power of `freq` in `samples` (Goertzel), relative to the signal's total power.
fn tone_share(samples: &[f64], freq: f64) -> f64 {
    let w = std::f64::consts::TAU * freq / 8000.0;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in samples {
        let s0 = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    let total: f64 = samples.iter().map(|x| x * x).sum::<f64>() * samples.len() as f64 / 2.0;
    if total == 0.0 { 0.0 } else { power / total }
}

/// The customer-side channels of a stereo recording: (what the customer said, what the
/// customer heard).
fn channels(path: &str) -> (Vec<f64>, Vec<f64>) {
    let mut reader = hound::WavReader::open(path).unwrap();
    let samples: Vec<f64> = reader.samples::<i16>().map(|s| f64::from(s.unwrap())).collect();
    let left = samples.iter().step_by(2).copied().collect();
    let right = samples.iter().skip(1).step_by(2).copied().collect();
    (left, right)
}

/// The contact talking to an agent, once a supervisor may join it (bounded by the test).
async fn connected_contact(handle: &CenterHandle, mode: SuperviseMode) -> ContactId {
    let acme: TenantId = "acme".parse().unwrap();
    let supervisor = "8001".parse().unwrap();
    loop {
        if let Some(contact) = handle.contacts(&acme).await.unwrap().into_iter().next() {
            match handle.supervise(&supervisor, &contact, mode).await {
                Ok(()) => return contact,
                Err(e) if e.contains("not talking to an agent") => {}
                Err(e) => panic!("{e}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisors_whisper_barge_and_release() {
    tokio::time::timeout(Duration::from_secs(90), async {
        let dir = tempfile::tempdir().unwrap();
        let phones = support::phones(40_200);
        let agent = SimAgent::spawn(
            "1001",
            LOCAL,
            phones.clone(),
            AgentBehavior {
                answer_after: Duration::from_millis(200),
                talk_for: Duration::from_secs(5),
                busy: false,
                pitch: 5,
            },
        )
        .await
        .unwrap();
        // The supervisor stays on a whisper until released, and barges for 2 s.
        let supervisor = SimAgent::spawn(
            "8001",
            LOCAL,
            phones.clone(),
            AgentBehavior {
                answer_after: Duration::from_millis(100),
                talk_for: Duration::from_secs(2),
                busy: false,
                pitch: 7,
            },
        )
        .await
        .unwrap();
        let center = Center::start(config(dir.path(), &agent.contact, &supervisor.contact))
            .await
            .unwrap();
        let handle = center.handle();
        let mut events = handle.subscribe();
        let sip = handle.sip_addr();
        let script = CallerScript {
            dtmf: DtmfMode::Info,
            keys: Vec::new(),
            hang_up_after: Duration::from_secs(30),
            pitch: 1,
        };

        // 1. A whisper, then a force release.
        let mut caller = SimCaller::new("13800138000", LOCAL, phones.clone())
            .await
            .unwrap();
        let call = {
            let script = script.clone();
            tokio::spawn(async move {
                let outcome = caller.call(sip, "4001", &script, Duration::from_secs(30)).await;
                (caller, outcome)
            })
        };
        let whispered = connected_contact(&handle, SuperviseMode::Whisper).await;
        // Another tenant's supervisor may not touch it.
        let refused = handle
            .supervise(&"8002".parse().unwrap(), &whispered, SuperviseMode::Listen)
            .await
            .unwrap_err();
        assert!(refused.contains("does not supervise"), "{refused}");
        // The supervisor's phone answers: a `supervision` event says so; the whisper then
        // runs for a while before the release.
        loop {
            let e = serde_json::to_value(events.recv().await.unwrap()).unwrap();
            if e["event"] == "supervision" && e["contact"] == whispered.as_str() {
                assert_eq!(
                    (e["status"].as_str(), e["mode"].as_str()),
                    (Some("on"), Some("whisper"))
                );
                assert_eq!(e["tenant"], "acme");
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(800)).await;
        handle
            .force_release(&"8001".parse().unwrap(), &whispered)
            .await
            .unwrap();
        let (mut caller, outcome) = call.await.unwrap();
        assert!(matches!(outcome.unwrap(), CallOutcome::CenterHungUp(_)));

        // 2. A barge; the supervisor hangs up after 2 s, the agent after 5 s.
        let call = tokio::spawn(async move {
            let outcome = caller.call(sip, "4001", &script, Duration::from_secs(30)).await;
            (caller, outcome)
        });
        let barged = connected_contact(&handle, SuperviseMode::Barge).await;
        let (caller, outcome) = call.await.unwrap();
        assert!(matches!(outcome.unwrap(), CallOutcome::CenterHungUp(_)));

        handle.stop(Duration::from_secs(2)).await;
        center.wait().await;
        let store = Store::open_file(&dir.path().join("data/ccd.db")).await.unwrap();
        let acme: TenantId = "acme".parse().unwrap();

        let legs = store.legs(&acme, &whispered).await.unwrap();
        let sup = legs
            .iter()
            .find(|l| l.role == "supervisor")
            .expect("a supervisor leg");
        assert_eq!(sup.party.as_deref(), Some("8001"));
        assert!(sup.answered_at.is_some(), "{legs:#?}");
        assert_eq!(
            legs[0].end_cause.as_deref(),
            Some("released by 8001"),
            "{legs:#?}"
        );

        let legs = store.legs(&acme, &barged).await.unwrap();
        let sup = legs
            .iter()
            .find(|l| l.role == "supervisor")
            .expect("a supervisor leg");
        assert!(sup.answered_at.is_some(), "{legs:#?}");
        assert_eq!(sup.end_cause.as_deref(), Some("bye"), "{legs:#?}");

        let recordings = store.recordings(&acme).await.unwrap();
        let heard = |contact: &ContactId| {
            let entry = recordings
                .iter()
                .find(|r| &r.contact == contact)
                .expect("recorded");
            channels(&entry.path).1
        };
        let whisper_heard = heard(&whispered);
        let barge_heard = heard(&barged);
        // The customer heard the agent in both calls...
        assert!(
            tone_share(&whisper_heard, AGENT_HZ) > 0.05,
            "{}",
            tone_share(&whisper_heard, AGENT_HZ)
        );
        assert!(tone_share(&barge_heard, AGENT_HZ) > 0.05);
        // ...the supervisor only when barging.
        let whisper_sup = tone_share(&whisper_heard, SUPERVISOR_HZ);
        let barge_sup = tone_share(&barge_heard, SUPERVISOR_HZ);
        eprintln!(
            "agent {:.3}/{:.3}, supervisor whisper {whisper_sup:.5} barge {barge_sup:.4}",
            tone_share(&whisper_heard, AGENT_HZ),
            tone_share(&barge_heard, AGENT_HZ)
        );
        assert!(
            whisper_sup < 0.001,
            "whisper leaked to the customer: {whisper_sup}"
        );
        assert!(barge_sup > 0.02, "barge not heard by the customer: {barge_sup}");

        store.close().await;
        caller.stop().await;
        agent.stop().await;
        supervisor.stop().await;
    })
    .await
    .expect("the test finishes within 90 s");
}

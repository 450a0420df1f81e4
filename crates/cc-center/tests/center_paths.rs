//! The other paths of a call, end to end over SIP and RTP on 127.0.0.1: overflow to the
//! outsourcing partner (a SIP phone outside the center) when no agent is logged in, a
//! caller who gives up while queued, and voicemail after hours.

#[path = "support/center.rs"]
mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::Duration;

use cc_center::config::CenterConfig;
use cc_center::runtime::Center;
use cc_center::sim::{AgentBehavior, CallOutcome, CallerScript, DtmfMode, SimAgent, SimCaller};
use cc_center::store::Store;
use cc_core::{AbandonStage, Disposition};

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

const FLOW: &str = r#"flow f
main {
    if not open("office") {
        voicemail "box" max 2s else { hangup }
        hangup
    }
    menu prompt "menu" timeout 8s retries 1 {
        1 -> enqueue "sales" timeout 30s music "menu" else { hangup }
        2 -> enqueue "empty" timeout 30s else { hangup }
    } else { hangup }
    hangup
}
"#;

fn write_config(dir: &Path, partner: &str, agent: &str, open_hours: bool) -> CenterConfig {
    std::fs::write(dir.join("f.flow"), FLOW).unwrap();
    let folder = dir.join("prompts/en");
    std::fs::create_dir_all(&folder).unwrap();
    cc_media::wav::write_telephone_wav(&folder.join("menu.wav"), &[2000; 1600]).unwrap();
    let hours = if open_hours {
        "hours = { mon = [\"00:00-24:00\"], tue = [\"00:00-24:00\"], wed = [\"00:00-24:00\"], thu = [\"00:00-24:00\"], fri = [\"00:00-24:00\"], sat = [\"00:00-24:00\"], sun = [\"00:00-24:00\"] }\n"
    } else {
        ""
    };
    let text = format!(
        "[center]\ndata_dir = \"data\"\n[sip]\nlisten = \"127.0.0.1:0\"\n\
         [rtp]\nport_min = 37000\nport_max = 37199\nworkers = 1\n\
         [prompts]\nroot = \"prompts\"\nlanguages = [\"en\"]\ndefault_language = \"en\"\n\
         [[tenant]]\nid = \"acme\"\n[[number]]\ndid = \"4001\"\ntenant = \"acme\"\nflow = \"f\"\n\
         [[flow]]\nid = \"f\"\nfile = \"f.flow\"\ntenant = \"acme\"\n\
         [[calendar]]\nid = \"office\"\ntime_zone = \"Asia/Shanghai\"\n{hours}\
         [[external]]\nid = \"partner\"\nuri = \"{partner}\"\n\
         [[mailbox]]\nid = \"box\"\ntenant = \"acme\"\n\
         [[queue]]\nid = \"sales\"\ntenant = \"acme\"\nskills = {{ sales = 1 }}\n\
         [[queue]]\nid = \"empty\"\ntenant = \"acme\"\nskills = {{ nobody = 1 }}\noverflow = {{ no_agents = \"external:partner\" }}\n\
         [[agent]]\nid = \"1001\"\ncontact = \"{agent}\"\ntenants = {{ acme = {{ sales = 5 }} }}\n"
    );
    support::checked_config(dir, &text)
}

async fn records(dir: &Path) -> (Vec<cc_core::ContactRecord>, Vec<cc_center::store::RecordingEntry>) {
    let store = Store::open_file(&dir.join("data/ccd.db")).await.unwrap();
    let acme = "acme".parse().unwrap();
    let records = support::all_records(&store, &acme).await;
    let recordings = store.recordings(&acme).await.unwrap();
    store.close().await;
    (records, recordings)
}

fn script(key: char, hang_up_after: Duration) -> CallerScript {
    CallerScript {
        dtmf: DtmfMode::Info,
        keys: vec![(Duration::from_millis(300), key)],
        hang_up_after,
        pitch: 1,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overflow_to_the_partner_and_an_abandon_while_queued() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let dir = tempfile::tempdir().unwrap();
        let phones = support::phones(37_200);
        let partner_behavior = AgentBehavior {
            talk_for: Duration::from_secs(2),
            ..AgentBehavior::default()
        };
        let partner = SimAgent::spawn("overflow", LOCAL, phones.clone(), partner_behavior).await.unwrap();
        let agent = SimAgent::spawn("1001", LOCAL, phones.clone(), AgentBehavior::default()).await.unwrap();
        // Agent 1001 is configured but not logged in: the sales queue has nobody.
        let center = Center::start(write_config(dir.path(), &partner.contact, &agent.contact, true)).await.unwrap();
        let sip = center.handle().sip_addr();

        // No agent for the "empty" queue: the partner takes the call and hangs up after 2 s.
        let mut caller = SimCaller::new("13800000001", LOCAL, phones.clone()).await.unwrap();
        let outcome = caller.call(sip, "4001", &script('2', Duration::from_secs(20)), Duration::from_secs(20)).await.unwrap();
        assert!(matches!(outcome, CallOutcome::CenterHungUp(d) if d >= Duration::from_secs(2)), "{outcome:?}");
        // Nobody ready in sales: the caller waits 3 s and gives up.
        let mut caller2 = SimCaller::new("13800000002", LOCAL, phones.clone()).await.unwrap();
        let handle = center.handle();
        handle.login(&"1001".parse().unwrap(), false).await.unwrap();
        let outcome = caller2.call(sip, "4001", &script('1', Duration::from_secs(3)), Duration::from_secs(20)).await.unwrap();
        assert_eq!(outcome, CallOutcome::CallerHungUp);

        handle.stop(Duration::from_secs(2)).await;
        let summary = center.wait().await;
        assert_eq!(summary.all.overflowed, 1, "{summary:?}");
        assert_eq!(summary.all.abandoned, 1, "{summary:?}");
        let (records, _) = records(dir.path()).await;
        assert_eq!(records.len(), 2);
        assert!(
            matches!(&records[0].disposition, Some(Disposition::Overflowed { .. })),
            "{:?}",
            records[0].disposition
        );
        let store = Store::open_file(&dir.path().join("data/ccd.db")).await.unwrap();
        let legs = store.legs(&"acme".parse().unwrap(), &records[0].contact).await.unwrap();
        assert_eq!(legs.iter().map(|l| l.role.as_str()).collect::<Vec<_>>(), ["caller", "external"]);
        assert!(legs[1].answered_at.is_some(), "the partner answered: {legs:?}");
        store.close().await;
        assert!(
            matches!(records[1].disposition, Some(Disposition::Abandoned { stage: AbandonStage::Queue, waited_ms }) if waited_ms >= 2_000),
            "{:?}",
            records[1].disposition
        );
        caller.stop().await;
        caller2.stop().await;
        partner.stop().await;
        agent.stop().await;
    })
    .await
    .expect("within a minute");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_hours_callers_leave_a_voicemail() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let dir = tempfile::tempdir().unwrap();
        let phones = support::phones(37_400);
        // A calendar with no opening hours: always closed.
        let center = Center::start(write_config(
            dir.path(),
            "sip:p@127.0.0.1:9",
            "sip:a@127.0.0.1:9",
            false,
        ))
        .await
        .unwrap();
        let sip = center.handle().sip_addr();
        let mut caller = SimCaller::new("13800000003", LOCAL, phones.clone())
            .await
            .unwrap();
        let outcome = caller
            .call(
                sip,
                "4001",
                &script('1', Duration::from_secs(20)),
                Duration::from_secs(20),
            )
            .await
            .unwrap();
        // The 2 s voicemail ends, then the flow hangs up.
        assert!(
            matches!(outcome, CallOutcome::CenterHungUp(d) if d >= Duration::from_secs(2)),
            "{outcome:?}"
        );
        let handle = center.handle();
        handle.stop(Duration::from_secs(2)).await;
        center.wait().await;
        let (records, recordings) = records(dir.path()).await;
        assert_eq!(records.len(), 1);
        assert!(
            matches!(
                &records[0].disposition,
                Some(Disposition::Voicemail { recording: Some(_) })
            ),
            "{:?}",
            records[0].disposition
        );
        assert_eq!(recordings.len(), 1, "{recordings:?}");
        let wav = hound::WavReader::open(&recordings[0].path).unwrap();
        assert_eq!(wav.spec().channels, 1);
        let seconds = f64::from(wav.duration()) / 8000.0;
        assert!((1.5..=2.6).contains(&seconds), "voicemail of {seconds:.2} s");
        caller.stop().await;
    })
    .await
    .expect("within a minute");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_seat_is_reached_on_its_mobile_over_the_trunk() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let dir = tempfile::tempdir().unwrap();
        let phones = support::phones(37_600);
        // The carrier's gateway: whatever number the center dials there, this phone answers.
        let carrier_phone = SimAgent::spawn("gw", LOCAL, phones.clone(), AgentBehavior { talk_for: Duration::from_secs(2), ..AgentBehavior::default() })
            .await
            .unwrap();
        let gateway = carrier_phone.contact.rsplit_once('@').unwrap().1.to_owned();
        std::fs::write(dir.path().join("f.flow"), "flow f\nmain {\n    enqueue \"sales\" timeout 30s else { hangup }\n    hangup\n}\n").unwrap();
        let text = format!(
            "[center]\ndata_dir = \"data\"\n[sip]\nlisten = \"127.0.0.1:0\"\n\
             [rtp]\nport_min = 37800\nport_max = 37999\nworkers = 1\n\
             [[tenant]]\nid = \"acme\"\n[[number]]\ndid = \"4001\"\ntenant = \"acme\"\nflow = \"f\"\n\
             [[flow]]\nid = \"f\"\nfile = \"f.flow\"\ntenant = \"acme\"\n\
             [[trunk]]\nid = \"carrier\"\nhost = \"{gateway}\"\n\
             [[queue]]\nid = \"sales\"\ntenant = \"acme\"\n\
             [[agent]]\nid = \"7001\"\npstn = \"13900001111\"\ntrunk = \"carrier\"\ntenants = {{ acme = {{}} }}\nauto_login = true\n"
        );
        std::fs::write(dir.path().join("center.toml"), text).unwrap();
        let config = CenterConfig::load(&dir.path().join("center.toml")).unwrap();
        let center = Center::start(config).await.unwrap();
        let sip = center.handle().sip_addr();
        let mut caller = SimCaller::new("13800000004", LOCAL, phones.clone()).await.unwrap();
        let script = CallerScript {
            dtmf: DtmfMode::Info,
            keys: Vec::new(),
            hang_up_after: Duration::from_secs(20),
            pitch: 1,
        };
        let outcome = caller.call(sip, "4001", &script, Duration::from_secs(20)).await.unwrap();
        assert!(matches!(outcome, CallOutcome::CenterHungUp(d) if d >= Duration::from_secs(2)), "{outcome:?}");
        let handle = center.handle();
        handle.stop(Duration::from_secs(2)).await;
        center.wait().await;
        let (records, _) = records(dir.path()).await;
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].disposition, Some(Disposition::Answered));
        assert_eq!(records[0].agent.as_ref().map(cc_core::AgentId::as_str), Some("7001"));
        caller.stop().await;
        carrier_phone.stop().await;
    })
    .await
    .expect("within a minute");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_arrive_as_rfc4733_events_and_as_in_band_tones() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let dir = tempfile::tempdir().unwrap();
        let phones = support::phones(38_000);
        let agent = SimAgent::spawn(
            "1001",
            LOCAL,
            phones.clone(),
            AgentBehavior {
                talk_for: Duration::from_secs(1),
                ..AgentBehavior::default()
            },
        )
        .await
        .unwrap();
        let mut config = write_config(dir.path(), "sip:p@127.0.0.1:9", &agent.contact, true);
        config.rtp.port_min = 38_200;
        config.rtp.port_max = 38_399;
        config.rtp.inband_dtmf = true;
        let center = Center::start(config).await.unwrap();
        let handle = center.handle();
        handle.login(&"1001".parse().unwrap(), true).await.unwrap();
        for mode in [DtmfMode::Rfc4733, DtmfMode::InBand] {
            let mut caller = SimCaller::new("13800000005", LOCAL, phones.clone())
                .await
                .unwrap();
            let script = CallerScript {
                dtmf: mode,
                keys: vec![(Duration::from_millis(500), '1')],
                hang_up_after: Duration::from_secs(20),
                pitch: 1,
            };
            let outcome = caller
                .call(handle.sip_addr(), "4001", &script, Duration::from_secs(20))
                .await
                .unwrap();
            // Keyed into sales: the agent answers, talks a second and hangs up; the flow ends.
            assert!(
                matches!(outcome, CallOutcome::CenterHungUp(d) if d >= Duration::from_secs(1)),
                "{mode:?}: {outcome:?}"
            );
            caller.stop().await;
        }
        handle.stop(Duration::from_secs(2)).await;
        let summary = center.wait().await;
        assert_eq!(summary.all.answered, 2, "{summary:?}");
        agent.stop().await;
    })
    .await
    .expect("within a minute");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_transfers_the_caller_to_a_number_over_the_trunk() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let dir = tempfile::tempdir().unwrap();
        let phones = support::phones(38_400);
        let gateway_phone = SimAgent::spawn(
            "gw",
            LOCAL,
            phones.clone(),
            AgentBehavior {
                talk_for: Duration::from_secs(2),
                ..AgentBehavior::default()
            },
        )
        .await
        .unwrap();
        let gateway = gateway_phone.contact.rsplit_once('@').unwrap().1.to_owned();
        std::fs::write(
            dir.path().join("f.flow"),
            "flow f\nmain {\n    transfer number \"+8613900001111\" else { hangup }\n    hangup\n}\n",
        )
        .unwrap();
        let text = format!(
            "[center]\ndata_dir = \"data\"\n[sip]\nlisten = \"127.0.0.1:0\"\n\
             [rtp]\nport_min = 38600\nport_max = 38799\nworkers = 1\n\
             [[tenant]]\nid = \"acme\"\n[[number]]\ndid = \"4001\"\ntenant = \"acme\"\nflow = \"f\"\n\
             [[flow]]\nid = \"f\"\nfile = \"f.flow\"\ntenant = \"acme\"\n\
             [[trunk]]\nid = \"carrier\"\nhost = \"{gateway}\"\n"
        );
        std::fs::write(dir.path().join("center.toml"), text).unwrap();
        let center = Center::start(CenterConfig::load(&dir.path().join("center.toml")).unwrap())
            .await
            .unwrap();
        let sip = center.handle().sip_addr();
        let mut caller = SimCaller::new("13800000006", LOCAL, phones.clone())
            .await
            .unwrap();
        let script = CallerScript {
            dtmf: DtmfMode::Info,
            keys: Vec::new(),
            hang_up_after: Duration::from_secs(20),
            pitch: 1,
        };
        // The far end talks two seconds and hangs up: the center ends the caller's leg.
        let outcome = caller
            .call(sip, "4001", &script, Duration::from_secs(20))
            .await
            .unwrap();
        assert!(
            matches!(outcome, CallOutcome::CenterHungUp(d) if d >= Duration::from_secs(2)),
            "{outcome:?}"
        );
        let handle = center.handle();
        handle.stop(Duration::from_secs(2)).await;
        let summary = center.wait().await;
        assert_eq!(summary.all.overflowed, 1, "{summary:?}");
        let store = Store::open_file(&dir.path().join("data/ccd.db")).await.unwrap();
        let acme = "acme".parse().unwrap();
        let records = support::all_records(&store, &acme).await;
        assert_eq!(records.len(), 1);
        let Some(Disposition::Overflowed {
            to: cc_core::Destination::External { address },
        }) = &records[0].disposition
        else {
            panic!("{:?}", records[0].disposition);
        };
        assert_eq!(address.0.to_string(), "tel:+8613900001111");
        let legs = store.legs(&acme, &records[0].contact).await.unwrap();
        assert_eq!(
            legs.iter().map(|l| l.role.as_str()).collect::<Vec<_>>(),
            ["caller", "external"]
        );
        assert!(
            legs[1].answered_at.is_some() && legs[1].ended_at.is_some(),
            "{legs:?}"
        );
        store.close().await;
        caller.stop().await;
        gateway_phone.stop().await;
    })
    .await
    .expect("within a minute");
}

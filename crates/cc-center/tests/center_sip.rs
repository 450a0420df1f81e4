//! The center end to end on 127.0.0.1: a simulated caller (a real SIP user agent sending
//! RTP) dials the access number, keys through the IVR by SIP INFO, waits in the queue, a
//! simulated agent phone answers, both talk, the agent hangs up, the flow says goodbye;
//! then the database holds the record and the recording has audio on both channels — in the
//! default SQLite file and, the same call again, in a real PostgreSQL server.

#[path = "support/center.rs"]
mod support;

#[cfg(feature = "postgres")]
#[path = "support/postgres.rs"]
mod postgres;

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use cc_center::config::CenterConfig;
use cc_center::runtime::Center;
use cc_center::sim::{AgentBehavior, CallOutcome, CallerScript, DtmfMode, SimAgent, SimCaller};
use cc_center::store::Store;
use cc_core::Disposition;

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn config(
    dir: &std::path::Path,
    agents: &[(&str, String)],
    rtp: (u16, u16),
    storage: Option<&str>,
    opus: bool,
) -> CenterConfig {
    std::fs::write(
        dir.join("hotline.flow"),
        "flow hotline\nmain {\n    play \"welcome\"\n    menu prompt \"main_menu\" timeout 5s retries 1 {\n        1 -> enqueue \"sales\" timeout 30s music \"hold\" else { play \"busy\" }\n    } else { hangup }\n    play \"goodbye\"\n    hangup\n}\n",
    )
    .unwrap();
    for key in ["welcome", "main_menu", "hold", "busy", "goodbye"] {
        let folder = dir.join("prompts/zh-CN");
        std::fs::create_dir_all(&folder).unwrap();
        // 300 ms of a 700 Hz tone per prompt.
        let samples: Vec<i16> = (0..2_400)
            .map(|i| ((f64::from(i) * 700.0 * std::f64::consts::TAU / 8000.0).sin() * 6000.0) as i16)
            .collect();
        cc_media::wav::write_telephone_wav(&folder.join(format!("{key}.wav")), &samples).unwrap();
    }
    let mut text = format!(
        "[center]\ndata_dir = \"data\"\n{}[sip]\nlisten = \"127.0.0.1:0\"\ndomain = \"test.local\"\n\
         [rtp]\nport_min = {}\nport_max = {}\nworkers = 1\n\
         [prompts]\nroot = \"prompts\"\nlanguages = [\"zh-CN\"]\ndefault_language = \"zh-CN\"\n\
         [[tenant]]\nid = \"acme\"\n[[number]]\ndid = \"4001\"\ntenant = \"acme\"\nflow = \"hotline\"\n\
         [[flow]]\nid = \"hotline\"\nfile = \"hotline.flow\"\ntenant = \"acme\"\n\
         [[queue]]\nid = \"sales\"\ntenant = \"acme\"\nring_timeout = \"4s\"\n{}",
        storage
            .map(|url| format!("storage = \"{url}\"\n"))
            .unwrap_or_default(),
        rtp.0,
        rtp.1,
        if opus {
            "[recording]\nformat = \"opus\"\n"
        } else {
            ""
        },
    );
    for (id, contact) in agents {
        let _ = write!(
            text,
            "[[agent]]\nid = \"{id}\"\ncontact = \"{contact}\"\ntenants = {{ acme = {{}} }}\nauto_login = true\n"
        );
    }
    support::checked_config(dir, &text)
}

/// RMS of each channel of a stereo recording (16-bit WAV, or Ogg/Opus decoded).
fn channel_rms(path: &std::path::Path) -> (f64, f64) {
    let samples: Vec<i16> = if path.extension().is_some_and(|e| e == "opus") {
        let audio = cc_media::recorder::read_ogg_opus(path).unwrap();
        assert_eq!(audio.channels, 2);
        assert!(audio.complete, "a stopped recording ends its stream");
        audio.samples
    } else {
        let mut reader = hound::WavReader::open(path).unwrap();
        assert_eq!(reader.spec().channels, 2);
        reader.samples::<i16>().map(Result::unwrap).collect()
    };
    let rms = |ch: usize| {
        let v: Vec<f64> = samples
            .iter()
            .skip(ch)
            .step_by(2)
            .map(|&s| f64::from(s))
            .collect();
        (v.iter().map(|s| s * s).sum::<f64>() / v.len().max(1) as f64).sqrt()
    };
    (rms(0), rms(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_goes_through_ivr_queue_and_agent_and_is_recorded() {
    call_through_the_center(33_000, None, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recordings_can_be_ogg_opus() {
    call_through_the_center(39_400, None, true).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_call_is_stored_in_postgres() {
    let server = tokio::task::spawn_blocking(postgres::TempPostgres::start)
        .await
        .unwrap();
    call_through_the_center(39_000, Some(&server.url), false).await;
}

/// One call end to end; RTP ports from `base` (the phones) and `base + 200` (the center).
async fn call_through_the_center(base: u16, storage: Option<&str>, opus: bool) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    tokio::time::timeout(Duration::from_secs(60), async {
        let dir = tempfile::tempdir().unwrap();
        let phones = support::phones(base);
        let agent = SimAgent::spawn(
            "1001",
            LOCAL,
            phones.clone(),
            AgentBehavior {
                answer_after: Duration::from_millis(300),
                talk_for: Duration::from_secs(2),
                busy: false,
                pitch: 5,
            },
        )
        .await
        .unwrap();
        let config = config(
            dir.path(),
            &[("1001", agent.contact.clone())],
            (base + 200, base + 399),
            storage,
            opus,
        );
        let center = Center::start(config).await.unwrap();
        let handle = center.handle();
        let mut events = handle.subscribe();

        let mut caller = SimCaller::new("13800138000", LOCAL, phones.clone())
            .await
            .unwrap();
        let script = CallerScript {
            dtmf: DtmfMode::Info,
            keys: vec![(Duration::from_millis(800), '1')],
            hang_up_after: Duration::from_secs(30),
            pitch: 1,
        };
        let outcome = caller
            .call(handle.sip_addr(), "4001", &script, Duration::from_secs(30))
            .await
            .unwrap();
        assert!(matches!(outcome, CallOutcome::CenterHungUp(_)), "{outcome:?}");

        handle.stop(Duration::from_secs(2)).await;
        let summary = center.wait().await;
        // Events came numbered, with the agent's states and the contact's end.
        let mut seen = Vec::new();
        while let Ok(e) = events.try_recv() {
            seen.push(serde_json::to_value(&e).unwrap());
        }
        let seqs: Vec<u64> = seen.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
        assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seen:#?}");
        // The first subscriber misses nothing, not even the log-in at start.
        assert_eq!(seqs.first(), Some(&1), "{seen:#?}");
        let statuses: Vec<&str> = seen
            .iter()
            .filter(|e| e["event"] == "agent")
            .map(|e| e["status"].as_str().unwrap())
            .collect();
        assert!(
            statuses.contains(&"busy") && statuses.contains(&"reserved"),
            "{statuses:?}"
        );
        let ended: Vec<_> = seen.iter().filter(|e| e["event"] == "contact_ended").collect();
        assert_eq!(ended.len(), 1, "{seen:#?}");
        assert_eq!(ended[0]["disposition"], "answered");
        assert_eq!(ended[0]["tenant"], "acme");
        assert_eq!(summary.all.offered, 1, "{summary:?}");
        assert_eq!(summary.all.answered, 1, "{summary:?}");
        assert_eq!(summary.recordings.len(), 1, "{summary:?}");

        let store = match storage {
            Some(url) => Store::open(url).await.unwrap(),
            None => Store::open_file(&dir.path().join("data/ccd.db")).await.unwrap(),
        };
        let acme = "acme".parse().unwrap();
        let records = support::all_records(&store, &acme).await;
        assert_eq!(records.len(), 1);
        let record = &records[0];
        assert_eq!(record.disposition, Some(Disposition::Answered));
        assert_eq!(record.agent.as_ref().map(cc_core::AgentId::as_str), Some("1001"));
        assert_eq!(record.recordings.len(), 1);
        // Both legs' receive quality is in the record: packets counted, nothing lost on loopback.
        assert_eq!(record.media.len(), 2, "{:?}", record.media);
        assert!(
            record
                .media
                .iter()
                .all(|q| q.packets > 50 && q.lost == 0 && q.mos > 4.0),
            "{:?}",
            record.media
        );
        let legs = store.legs(&acme, &record.contact).await.unwrap();
        assert_eq!(legs.len(), 2, "{legs:?}");
        let recordings = store.recordings(&acme).await.unwrap();
        assert_eq!(recordings.len(), 1);
        assert!(recordings[0].duration_ms >= 1_000, "{:?}", recordings[0]);
        let extension = if opus { ".opus" } else { ".wav" };
        assert!(recordings[0].path.ends_with(extension), "{:?}", recordings[0]);
        let (left, right) = channel_rms(std::path::Path::new(&recordings[0].path));
        assert!(
            left > 500.0 && right > 500.0,
            "caller {left:.0}, agent {right:.0}"
        );
        // Another tenant sees nothing.
        assert!(
            store
                .recordings(&"globex".parse().unwrap())
                .await
                .unwrap()
                .is_empty()
        );
        store.close().await;
        caller.stop().await;
        agent.stop().await;
    })
    .await
    .expect("the test finishes within a minute");
}

//! The center with SIPp as the outside world: a SIPp agent phone registers with digest
//! authentication and answers; a SIPp caller keys through the IVR with RFC 4733 DTMF
//! (SIPp's own `dtmf_2833_1.pcap`) and talks. The record, the legs and a stereo recording
//! with audio on both channels end up in SQLite and on disk; the agent is ready again.

#[path = "support/center.rs"]
mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use cc_center::config::CenterConfig;
use cc_center::runtime::Center;
use cc_center::store::Store;
use cc_core::Disposition;

fn tool(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
        || Command::new(name)
            .arg("-v")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map_or(0, |a| a.port())
}

/// The scenario file, or a copy in `dir` with `[agent_wav]`/`[caller_wav]` replaced (SIPp
/// does not expand keys inside `rtp_stream`).
fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/sipp")
        .join(name)
}

fn scenario_with(dir: &Path, name: &str, key: &str, value: &Path) -> PathBuf {
    let text = std::fs::read_to_string(scenario(name))
        .unwrap()
        .replace(key, &value.display().to_string());
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn sipp(target: std::net::SocketAddr, xml: &Path, args: &[&str]) -> Child {
    let xml_name = xml
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("scenario")
        .to_owned();
    let xml_path = xml.to_owned();
    let xml = xml_name.as_str();
    let errors = std::env::temp_dir().join(format!("ccsdk-{}-{xml}.errors", std::process::id()));
    let _ = std::fs::remove_file(&errors);
    Command::new("sipp")
        .arg("-trace_err")
        .arg("-error_file")
        .arg(&errors)
        .arg(target.to_string())
        .arg("-sf")
        .arg(&xml_path)
        .args(args)
        .args(["-i", "127.0.0.1", "-timeout", "40s", "-timeout_error", "-nostdin"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sipp starts")
}

/// Waits for a SIPp run to end (killing it after `limit`); its exit status and output.
async fn finish(mut child: Child, limit: Duration) -> (Option<i32>, String) {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            let _ = child.kill();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let out = child.wait_with_output().expect("sipp output");
    let mut text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for xml in ["agent_answer.xml", "agent_register.xml", "caller.xml"] {
        let errors = std::env::temp_dir().join(format!("ccsdk-{}-{xml}.errors", std::process::id()));
        if let Ok(e) = std::fs::read_to_string(&errors) {
            let _ = write!(text, "\n{xml} errors:\n{e}");
        }
    }
    let tail = text
        .chars()
        .rev()
        .take(2_000)
        .collect::<String>()
        .chars()
        .rev()
        .collect();
    (out.status.code(), tail)
}

fn tone(path: &Path, hz: u32) {
    let ok = Command::new("sox")
        .args(["-n", "-r", "8000", "-c", "1", "-e", "u-law"])
        .arg(path)
        .args(["synth", "4", "sine", &hz.to_string()])
        .status()
        .expect("sox runs")
        .success();
    assert!(ok, "sox made {}", path.display());
}

fn channel_rms(path: &str) -> (f64, f64) {
    let mut reader = hound::WavReader::open(path).unwrap();
    let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
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

fn write_center(dir: &Path) -> CenterConfig {
    std::fs::write(
        dir.join("hotline.flow"),
        "flow hotline\nmain {\n    play \"welcome\" barge\n    menu prompt \"main_menu\" timeout 8s retries 1 {\n        1 -> enqueue \"sales\" timeout 30s music \"hold\" else { play \"busy\" }\n    } else { hangup }\n    play \"goodbye\"\n    hangup\n}\n",
    )
    .unwrap();
    let folder = dir.join("prompts/en");
    std::fs::create_dir_all(&folder).unwrap();
    for key in ["welcome", "main_menu", "hold", "busy", "goodbye"] {
        let samples: Vec<i16> = (0..4_000)
            .map(|i| ((f64::from(i) * 600.0 * std::f64::consts::TAU / 8000.0).sin() * 5000.0) as i16)
            .collect();
        cc_media::wav::write_telephone_wav(&folder.join(format!("{key}.wav")), &samples).unwrap();
    }
    let text = "[center]\ndata_dir = \"data\"\n[sip]\nlisten = \"127.0.0.1:0\"\ndomain = \"127.0.0.1\"\ndigest = [\"md5\"]\n\
                [rtp]\nport_min = 34000\nport_max = 34199\nworkers = 1\n\
                [prompts]\nroot = \"prompts\"\nlanguages = [\"en\"]\ndefault_language = \"en\"\n\
                [[tenant]]\nid = \"acme\"\n[[number]]\ndid = \"4001\"\ntenant = \"acme\"\nflow = \"hotline\"\n\
                [[flow]]\nid = \"hotline\"\nfile = \"hotline.flow\"\ntenant = \"acme\"\n\
                [[queue]]\nid = \"sales\"\ntenant = \"acme\"\nring_timeout = \"6s\"\n\
                [[agent]]\nid = \"1001\"\npassword = \"pw-1001\"\ntenants = { acme = {} }\nauto_login = true\n";
    let path = dir.join("center.toml");
    std::fs::write(&path, text).unwrap();
    CenterConfig::load(&path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_caller_through_ivr_to_a_registered_sipp_agent() {
    assert!(
        tool("sipp") && tool("sox"),
        "scripts/test.sh installs sip-tester and sox"
    );
    tokio::time::timeout(Duration::from_secs(90), async {
        let dir = tempfile::tempdir().unwrap();
        let agent_wav = dir.path().join("agent.wav");
        let caller_wav = dir.path().join("caller.wav");
        tone(&agent_wav, 1000);
        tone(&caller_wav, 440);
        let center = Center::start(write_center(dir.path())).await.unwrap();
        let handle = center.handle();
        let sip = handle.sip_addr();

        // The agent's phone: a UAS on its own port, registered by a REGISTER scenario.
        let uas_port = free_udp_port().to_string();
        let agent = sipp(
            sip,
            &scenario_with(dir.path(), "agent_answer.xml", "[agent_wav]", &agent_wav),
            &["-m", "1", "-p", &uas_port, "-mp", &free_udp_port().to_string()],
        );
        let register = sipp(
            sip,
            &scenario("agent_register.xml"),
            &[
                "-m",
                "1",
                "-s",
                "1001",
                "-p",
                &free_udp_port().to_string(),
                "-key",
                "uas_port",
                &uas_port,
                "-au",
                "1001",
                "-ap",
                "pw-1001",
            ],
        );
        let (status, tail) = finish(register, Duration::from_secs(20)).await;
        assert_eq!(status, Some(0), "REGISTER scenario failed:\n{tail}");
        let contacts = handle.registrations("1001").await.unwrap();
        assert_eq!(contacts.len(), 1, "{contacts:?}");
        assert!(contacts[0].contains(&uas_port), "{contacts:?}");

        let caller = sipp(
            sip,
            &scenario_with(dir.path(), "caller.xml", "[caller_wav]", &caller_wav),
            &[
                "-m",
                "1",
                "-s",
                "4001",
                "-p",
                &free_udp_port().to_string(),
                "-mp",
                &free_udp_port().to_string(),
            ],
        );
        let (caller_status, caller_tail) = finish(caller, Duration::from_secs(60)).await;
        let (agent_status, agent_tail) = finish(agent, Duration::from_secs(10)).await;
        assert_eq!(caller_status, Some(0), "caller scenario failed:\n{caller_tail}");
        assert_eq!(agent_status, Some(0), "agent scenario failed:\n{agent_tail}");

        let snapshot = handle.snapshot().await.unwrap();
        handle.stop(Duration::from_secs(2)).await;
        let summary = center.wait().await;
        assert_eq!((summary.all.offered, summary.all.answered), (1, 1), "{summary:?}");
        assert_eq!(snapshot.summary.live_calls, 0, "no leaked sessions: {snapshot:?}");

        let store = Store::open_file(&dir.path().join("data/ccd.db")).await.unwrap();
        let acme = "acme".parse().unwrap();
        let records = support::all_records(&store, &acme).await;
        assert_eq!(records.len(), 1, "{records:?}");
        let r = &records[0];
        assert_eq!(r.disposition, Some(Disposition::Answered));
        assert_eq!(r.agent.as_ref().map(cc_core::AgentId::as_str), Some("1001"));
        assert!(r.talk_ms().unwrap_or(0) >= 2_000, "{r:?}");
        let legs = store.legs(&acme, &r.contact).await.unwrap();
        assert_eq!(
            legs.iter().map(|l| l.role.as_str()).collect::<Vec<_>>(),
            ["caller", "agent"]
        );
        let recordings = store.recordings(&acme).await.unwrap();
        assert_eq!(recordings.len(), 1);
        let (left, right) = channel_rms(&recordings[0].path);
        assert!(
            left > 300.0 && right > 300.0,
            "caller channel {left:.0}, agent channel {right:.0}"
        );
        // The agent went back to ready after the call.
        let history = store.agent_history("1001").await.unwrap();
        assert_eq!(history.last().map(|h| h.0.as_str()), Some("ready"), "{history:?}");
        store.close().await;
    })
    .await
    .expect("the test finishes within 90 s");
}

/// A trunk to SIPp playing the carrier: the center registers (answering the 401), probes
/// with OPTIONS (the trunk comes up), and a flow's transfer goes out over the trunk with
/// the trunk's caller id, answering the carrier's challenge to the INVITE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trunk_registers_keeps_alive_and_carries_an_authenticated_call() {
    assert!(
        tool("sipp"),
        "sipp is required (scripts/test.sh installs the sip-tester package)"
    );
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    tokio::time::timeout(Duration::from_secs(90), async {
        let dir = tempfile::tempdir().unwrap();
        let port = free_udp_port();
        let carrier = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let sipp_run = sipp(
            carrier,
            &scenario("carrier_trunk.xml"),
            &["-p", &port.to_string(), "-m", "3", "-mp", "41200"],
        );
        std::fs::write(
            dir.path().join("f.flow"),
            "flow f\nmain {\n    transfer number \"95555\" else { hangup }\n}\n",
        )
        .unwrap();
        let text = format!(
            "[center]\ndata_dir = \"data\"\n[sip]\nlisten = \"127.0.0.1:0\"\n\
             [rtp]\nport_min = 41000\nport_max = 41199\nworkers = 1\n\
             [[tenant]]\nid = \"acme\"\n[[number]]\ndid = \"4001\"\ntenant = \"acme\"\nflow = \"f\"\n\
             [[flow]]\nid = \"f\"\nfile = \"f.flow\"\ntenant = \"acme\"\n\
             [[trunk]]\nid = \"carrier\"\nhost = \"{carrier}\"\nusername = \"cc\"\npassword = \"secret\"\n\
             register = true\ncaller_id = \"4008001234\"\nkeepalive = \"60s\"\n"
        );
        std::fs::write(dir.path().join("center.toml"), &text).unwrap();
        let config = CenterConfig::load(&dir.path().join("center.toml")).unwrap();
        let errors: Vec<_> = config
            .check()
            .into_iter()
            .filter(|p| p.severity == cc_ivr::Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let center = Center::start(config).await.unwrap();
        let handle = center.handle();
        let mut events = handle.subscribe();
        // Registered and up, as events.
        let mut statuses = Vec::new();
        while !(statuses.contains(&"registered".to_owned()) && statuses.contains(&"up".to_owned())) {
            let e = serde_json::to_value(events.recv().await.unwrap()).unwrap();
            if e["event"] == "trunk" {
                assert_eq!(e["trunk"], "carrier");
                statuses.push(e["status"].as_str().unwrap().to_owned());
            }
        }

        // A caller reaches the flow, which sends them out over the trunk.
        let phones = cc_media::engine::MediaEngine::start(cc_media::engine::EngineConfig {
            workers: 1,
            ..cc_media::engine::EngineConfig::new("127.0.0.1".parse().unwrap(), 41_400, 41_599)
        })
        .unwrap();
        let mut caller = cc_center::sim::SimCaller::new("13800000007", "127.0.0.1".parse().unwrap(), phones)
            .await
            .unwrap();
        let script = cc_center::sim::CallerScript {
            dtmf: cc_center::sim::DtmfMode::Info,
            keys: Vec::new(),
            hang_up_after: Duration::from_secs(2),
            pitch: 1,
        };
        caller
            .call(handle.sip_addr(), "4001", &script, Duration::from_secs(20))
            .await
            .unwrap();
        let (status, out) = finish(sipp_run, Duration::from_secs(20)).await;
        assert_eq!(status, Some(0), "{out}");
        handle.stop(Duration::from_secs(2)).await;
        center.wait().await;

        let store = Store::open_file(&dir.path().join("data/ccd.db")).await.unwrap();
        let acme = "acme".parse().unwrap();
        let records = support::all_records(&store, &acme).await;
        assert_eq!(records.len(), 1, "{records:?}");
        assert!(
            matches!(records[0].disposition, Some(Disposition::Overflowed { .. })),
            "{:?}",
            records[0].disposition
        );
        let legs = store.legs(&acme, &records[0].contact).await.unwrap();
        assert!(legs[1].answered_at.is_some(), "{legs:?}");
        store.close().await;
        caller.stop().await;
    })
    .await
    .expect("the test finishes within 90 s");
}

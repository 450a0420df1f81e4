//! `kill -9` of `ccd run` in the middle of calls: every call that ended before the kill
//! has its record, the recording of the call cut short is playable up to the last half
//! second, and a restarted center opens the same database, recovers that recording into
//! the index, and stops cleanly on SIGTERM.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ccsdk::center::sim::{AgentBehavior, CallOutcome, CallerScript, DtmfMode, SimAgent, SimCaller};
use ccsdk::center::store::Store;
use ccsdk::media::engine::{EngineConfig, MediaEngine};

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map_or(0, |a| a.port())
}

fn write_config(dir: &Path, sip_port: u16, short: &str, long: &str) -> PathBuf {
    std::fs::write(
        dir.join("f.flow"),
        "flow f\nmain {\n    menu prompt \"menu\" timeout 8s retries 1 {\n        1 -> enqueue \"short\" timeout 30s else { hangup }\n        2 -> enqueue \"long\" timeout 30s else { hangup }\n    } else { hangup }\n    hangup\n}\n",
    )
    .unwrap();
    let folder = dir.join("prompts/en");
    std::fs::create_dir_all(&folder).unwrap();
    ccsdk::media::wav::write_telephone_wav(&folder.join("menu.wav"), &[1000; 1600]).unwrap();
    let text = format!(
        "[center]\ndata_dir = \"data\"\n[sip]\nlisten = \"127.0.0.1:{sip_port}\"\n\
         [rtp]\nport_min = 35200\nport_max = 35399\nworkers = 1\n\
         [prompts]\nroot = \"prompts\"\nlanguages = [\"en\"]\ndefault_language = \"en\"\n\
         [[tenant]]\nid = \"acme\"\n[[number]]\ndid = \"4001\"\ntenant = \"acme\"\nflow = \"f\"\n\
         [[flow]]\nid = \"f\"\nfile = \"f.flow\"\ntenant = \"acme\"\n\
         [[queue]]\nid = \"short\"\ntenant = \"acme\"\nskills = {{ short = 1 }}\n\
         [[queue]]\nid = \"long\"\ntenant = \"acme\"\nskills = {{ long = 1 }}\n\
         [[agent]]\nid = \"1001\"\ncontact = \"{short}\"\ntenants = {{ acme = {{ short = 5 }} }}\nauto_login = true\n\
         [[agent]]\nid = \"1002\"\ncontact = \"{long}\"\ntenants = {{ acme = {{ long = 5 }} }}\nauto_login = true\n"
    );
    let path = dir.join("center.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Starts `ccd run` and waits (bounded) for its "center running" log line.
async fn start_ccd(config: &Path, log: &Path) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ccd"))
        .arg("run")
        .arg(config)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("ccd starts");
    for _ in 0..200 {
        if std::fs::read_to_string(log)
            .unwrap_or_default()
            .contains("center running")
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!(
        "ccd did not start:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

fn part_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for tenant in std::fs::read_dir(root).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(tenant.path()).into_iter().flatten().flatten() {
            if f.path().to_string_lossy().ends_with(".part") {
                out.push(f.path());
            }
        }
    }
    out
}

fn seconds_of(path: &Path) -> f64 {
    hound::WavReader::open(path).map_or(0.0, |r| f64::from(r.duration()) / f64::from(r.spec().sample_rate))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_call_keeps_finished_records_and_a_playable_recording() {
    tokio::time::timeout(Duration::from_secs(120), async {
        let dir = tempfile::tempdir().unwrap();
        let phones = MediaEngine::start(EngineConfig {
            workers: 1,
            ..EngineConfig::new(LOCAL, 35_000, 35_199)
        })
        .unwrap();
        let quick = AgentBehavior {
            answer_after: Duration::from_millis(200),
            talk_for: Duration::from_millis(1_500),
            ..AgentBehavior::default()
        };
        let slow = AgentBehavior {
            talk_for: Duration::from_secs(60),
            ..quick
        };
        let short = SimAgent::spawn("1001", LOCAL, phones.clone(), quick)
            .await
            .unwrap();
        let long = SimAgent::spawn("1002", LOCAL, phones.clone(), slow)
            .await
            .unwrap();
        let sip_port = free_udp_port();
        let config = write_config(dir.path(), sip_port, &short.contact, &long.contact);
        let center = format!("127.0.0.1:{sip_port}").parse().unwrap();
        let mut ccd = start_ccd(&config, &dir.path().join("ccd-1.log")).await;

        // Two calls that end before the kill.
        for n in 0..2 {
            let mut caller = SimCaller::new(&format!("1390000000{n}"), LOCAL, phones.clone())
                .await
                .unwrap();
            let script = CallerScript {
                dtmf: DtmfMode::Info,
                keys: vec![(Duration::from_millis(300), '1')],
                hang_up_after: Duration::from_secs(30),
                pitch: 1,
            };
            let outcome = caller
                .call(center, "4001", &script, Duration::from_secs(30))
                .await
                .unwrap();
            assert!(matches!(outcome, CallOutcome::CenterHungUp(_)), "{outcome:?}");
            caller.stop().await;
        }
        // A third call is talking, and recorded, when the center dies.
        let mut caller = SimCaller::new("13900000009", LOCAL, phones.clone())
            .await
            .unwrap();
        let live = tokio::spawn(async move {
            let script = CallerScript {
                dtmf: DtmfMode::Info,
                keys: vec![(Duration::from_millis(300), '2')],
                hang_up_after: Duration::from_secs(60),
                pitch: 2,
            };
            let _ = caller
                .call(center, "4001", &script, Duration::from_secs(60))
                .await;
        });
        let recordings = dir.path().join("data/recordings");
        let mut waited = 0;
        while part_files(&recordings)
            .first()
            .is_none_or(|p| seconds_of(p) < 2.0)
        {
            waited += 1;
            assert!(waited < 400, "the live call was never recorded");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        ccd.kill().unwrap(); // SIGKILL
        let _ = ccd.wait();
        live.abort();

        let part = part_files(&recordings)
            .pop()
            .expect("the cut recording is left as .part");
        let cut = seconds_of(&part);
        assert!(
            cut >= 2.5,
            "the cut recording holds {cut:.2} s; at most a second may be lost"
        );

        let store = Store::open_file(&dir.path().join("data/ccd.db")).await.unwrap();
        let acme = "acme".parse().unwrap();
        let span = (
            "2000-01-01T00:00:00Z".parse().unwrap(),
            "2100-01-01T00:00:00Z".parse().unwrap(),
        );
        let records = store.records(&acme, span.0, span.1).await.unwrap();
        assert_eq!(records.len(), 2, "{records:#?}");
        assert_eq!(store.recordings(&acme).await.unwrap().len(), 2);
        store.close().await;

        // A restart opens the same database and recovers the cut recording.
        let mut ccd = start_ccd(&config, &dir.path().join("ccd-2.log")).await;
        let store = Store::open_file(&dir.path().join("data/ccd.db")).await.unwrap();
        let mut indexed = Vec::new();
        for _ in 0..100 {
            indexed = store.recordings(&acme).await.unwrap();
            if indexed.len() == 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(indexed.len(), 3, "{indexed:#?}");
        let recovered = indexed
            .iter()
            .find(|r| r.layout.contains("recovered"))
            .expect("recovered entry");
        assert!(Path::new(&recovered.path).exists() && part_files(&recordings).is_empty());
        assert_eq!(store.records(&acme, span.0, span.1).await.unwrap().len(), 2);
        store.close().await;
        let pid = ccd.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let status = ccd.wait().unwrap();
        assert!(status.success(), "ccd stopped with {status}");
        short.stop().await;
        long.stop().await;
    })
    .await
    .expect("the test finishes within two minutes");
}

//! A real call through a center started by the ABI: a simulated caller dials acme's number,
//! presses 1 in the IVR, waits in acme's queue, and a simulated agent phone answers. While
//! it lasts, acme's contacts list it and globex's do not; when it ends, a `contact_ended`
//! event with acme's tenant reaches the C callback.
//!
//! Ports: the center's RTP 36400-36449, the phones' 36450-36499; SIP on 127.0.0.1:0.

#![allow(unsafe_code)]

use std::ffi::{c_char, c_void};
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ::cc_center::sim::{AgentBehavior, CallOutcome, CallerScript, DtmfMode, SimAgent, SimCaller};
use cc_ffi::{
    cc_center, cc_center_agent_login, cc_center_contacts_json, cc_center_free, cc_center_sip_port,
    cc_center_start, cc_center_stop, cc_result,
};
use cc_media::engine::{EngineConfig, MediaEngine};
use serde_json::Value;

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

unsafe extern "C" fn collect(userdata: *mut c_void, json: *const c_char, len: usize) {
    // SAFETY: the test passes a `Mutex<Vec<String>>` that outlives the center.
    let seen = unsafe { &*userdata.cast::<Mutex<Vec<String>>>() };
    // SAFETY: the center passes `len` readable bytes for the duration of the call.
    let bytes = unsafe { std::slice::from_raw_parts(json.cast::<u8>(), len) };
    seen.lock()
        .unwrap()
        .push(String::from_utf8(bytes.to_vec()).unwrap());
}

/// acme: number 4001 -> flow "hotline" (press 1 -> queue "sales"), agent 1001 (the
/// simulated phone). globex: queue "care", agent 2001 with a fixed contact nobody answers.
fn write_config(dir: &Path, agent_contact: &str) -> std::path::PathBuf {
    std::fs::write(
        dir.join("hotline.flow"),
        "flow hotline\nmain {\n    play \"welcome\"\n    menu prompt \"main_menu\" timeout 5s retries 1 {\n        1 -> enqueue \"sales\" timeout 30s music \"hold\" else { play \"busy\" }\n    } else { hangup }\n    play \"goodbye\"\n    hangup\n}\n",
    )
    .unwrap();
    let folder = dir.join("prompts/zh-CN");
    std::fs::create_dir_all(&folder).unwrap();
    for key in ["welcome", "main_menu", "hold", "busy", "goodbye"] {
        // 300 ms of a 700 Hz tone per prompt.
        let samples: Vec<i16> = (0..2_400)
            .map(|i| ((f64::from(i) * 700.0 * std::f64::consts::TAU / 8000.0).sin() * 6000.0) as i16)
            .collect();
        cc_media::wav::write_telephone_wav(&folder.join(format!("{key}.wav")), &samples).unwrap();
    }
    let mut text = String::from(
        "[center]\ndata_dir = \"data\"\n[sip]\nlisten = \"127.0.0.1:0\"\ndomain = \"ffi.test\"\n\
         [rtp]\nbind = \"127.0.0.1\"\nport_min = 36400\nport_max = 36449\nworkers = 1\n\
         [prompts]\nroot = \"prompts\"\nlanguages = [\"zh-CN\"]\ndefault_language = \"zh-CN\"\n\
         [[tenant]]\nid = \"acme\"\n[[tenant]]\nid = \"globex\"\n\
         [[number]]\ndid = \"4001\"\ntenant = \"acme\"\nflow = \"hotline\"\n\
         [[flow]]\nid = \"hotline\"\nfile = \"hotline.flow\"\ntenant = \"acme\"\n\
         [[queue]]\nid = \"sales\"\ntenant = \"acme\"\nring_timeout = \"4s\"\n\
         [[queue]]\nid = \"care\"\ntenant = \"globex\"\n\
         [[agent]]\nid = \"2001\"\ncontact = \"sip:2001@127.0.0.1:5998\"\ntenants = { globex = {} }\n",
    );
    let _ = write!(
        text,
        "[[agent]]\nid = \"1001\"\ncontact = \"{agent_contact}\"\ntenants = {{ acme = {{}} }}\n"
    );
    let path = dir.join("center.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn contacts(c: *mut cc_center, tenant: &str) -> Vec<String> {
    let mut buf = vec![0 as c_char; 4096];
    let mut written = 0;
    // SAFETY: live handle; readable tenant; `buf` has `buf.len()` writable bytes.
    let r = unsafe {
        cc_center_contacts_json(
            c,
            tenant.as_ptr().cast(),
            tenant.len(),
            buf.as_mut_ptr(),
            buf.len(),
            &raw mut written,
        )
    };
    assert_eq!(r, cc_result::CC_OK);
    let bytes: Vec<u8> = buf[..written].iter().map(|&c| c as u8).collect();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn a_call_is_its_tenants_alone_and_its_end_is_an_event() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let phones = rt.block_on(async {
        MediaEngine::start(EngineConfig {
            workers: 1,
            ..EngineConfig::new(LOCAL, 36_450, 36_499)
        })
        .unwrap()
    });
    let behavior = AgentBehavior {
        answer_after: Duration::from_millis(300),
        talk_for: Duration::from_secs(2),
        busy: false,
        pitch: 5,
    };
    let agent = rt
        .block_on(SimAgent::spawn("1001", LOCAL, phones.clone(), behavior))
        .unwrap();
    let path = write_config(dir.path(), &agent.contact);
    let path = path.to_str().unwrap();

    let seen = Mutex::new(Vec::<String>::new());
    let mut c = std::ptr::null_mut();
    // SAFETY: readable path, writable `c`; `seen` outlives the center (freed below).
    let r = unsafe {
        cc_center_start(
            path.as_ptr().cast(),
            path.len(),
            Some(collect),
            std::ptr::from_ref(&seen).cast_mut().cast(),
            &raw mut c,
        )
    };
    assert_eq!(r, cc_result::CC_OK);
    for agent in ["1001", "2001"] {
        // SAFETY: live handle; readable string.
        let r = unsafe { cc_center_agent_login(c, agent.as_ptr().cast(), agent.len(), true) };
        assert_eq!(r, cc_result::CC_OK);
    }
    let mut port = 0u16;
    // SAFETY: live handle; writable port.
    assert_eq!(unsafe { cc_center_sip_port(c, &raw mut port) }, cc_result::CC_OK);
    let center_addr = SocketAddr::new(LOCAL, port);

    let call = rt.spawn(async move {
        let mut caller = SimCaller::new("13800138000", LOCAL, phones).await.unwrap();
        let script = CallerScript {
            dtmf: DtmfMode::Info,
            keys: vec![(Duration::from_millis(800), '1')],
            hang_up_after: Duration::from_secs(30),
            pitch: 1,
        };
        caller
            .call(center_addr, "4001", &script, Duration::from_secs(30))
            .await
    });

    // While the call lasts: acme lists it, globex never does.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut live = Vec::new();
    while live.is_empty() && Instant::now() < deadline {
        live = contacts(c, "acme");
        assert!(contacts(c, "globex").is_empty());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(live.len(), 1, "the call never showed in acme's contacts");

    let outcome = rt.block_on(call).unwrap().unwrap();
    assert!(matches!(outcome, CallOutcome::CenterHungUp(_)), "{outcome:?}");

    // SAFETY: live handle; then freed once.
    unsafe {
        assert_eq!(cc_center_stop(c, 2_000), cc_result::CC_OK);
        cc_center_free(c);
    }
    drop(agent);
    let events: Vec<Value> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|j| serde_json::from_str(j).unwrap())
        .collect();
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{events:#?}");
    let ended: Vec<&Value> = events.iter().filter(|e| e["event"] == "contact_ended").collect();
    assert_eq!(ended.len(), 1, "{events:#?}");
    assert_eq!(ended[0]["tenant"], "acme");
    assert_eq!(ended[0]["contact"], live[0].as_str());
    assert_eq!(ended[0]["queue"], "sales");
    assert_eq!(ended[0]["agent"], "1001");
    assert_eq!(ended[0]["disposition"], "answered");
    let busy_1001: Vec<&Value> = events
        .iter()
        .filter(|e| e["agent"] == "1001" && e["status"] == "busy")
        .collect();
    assert!(
        !busy_1001.is_empty() && busy_1001.iter().all(|e| e["tenant"] == "acme"),
        "{events:#?}"
    );
    // globex's agent was never offered acme's call.
    let globex: Vec<&str> = events
        .iter()
        .filter(|e| e["agent"] == "2001")
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(globex, ["ready"], "{events:#?}");
}

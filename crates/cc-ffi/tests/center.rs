//! A running center through the ABI, called from Rust the way a C program calls it: start
//! from a TOML file, agents in and out, numbered JSON events through the callback, the
//! snapshot, errors with messages, stop and free.
//!
//! Each test that starts a center uses its own RTP port range (36100-36199 in all; the
//! rtp_relay bench takes 36000-36099), so the tests may run at once.

#![allow(unsafe_code)]

use std::ffi::{c_char, c_void};
use std::path::Path;
use std::sync::Mutex;

use cc_ffi::{
    cc_center, cc_center_agent_login, cc_center_agent_logout, cc_center_agent_not_ready,
    cc_center_agent_ready, cc_center_contacts_json, cc_center_free, cc_center_registrations_json,
    cc_center_sip_port, cc_center_snapshot_json, cc_center_start, cc_center_stop, cc_error_message,
    cc_result,
};
use serde_json::Value;

/// Two tenants with a queue each; agent 1001 serves acme, 2001 globex. Fixed `contact`s,
/// so no phone has to register; nobody logs in at start.
fn write_config(dir: &Path, rtp: (u16, u16)) -> std::path::PathBuf {
    let text = format!(
        r#"[center]
data_dir = "data"

[sip]
listen = "127.0.0.1:0"
domain = "ffi.test"

[rtp]
bind = "127.0.0.1"
port_min = {}
port_max = {}
workers = 1

[[tenant]]
id = "acme"

[[tenant]]
id = "globex"

[[queue]]
id = "sales"
tenant = "acme"

[[queue]]
id = "care"
tenant = "globex"

[[agent]]
id = "1001"
contact = "sip:1001@127.0.0.1:5999"
tenants = {{ acme = {{}} }}

[[agent]]
id = "2001"
contact = "sip:2001@127.0.0.1:5998"
tenants = {{ globex = {{}} }}
"#,
        rtp.0, rtp.1
    );
    let path = dir.join("center.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The callback: appends each event's JSON to the `Mutex<Vec<String>>` behind `userdata`.
unsafe extern "C" fn collect(userdata: *mut c_void, json: *const c_char, len: usize) {
    // SAFETY: the tests pass a `Mutex<Vec<String>>` that outlives the center.
    let seen = unsafe { &*userdata.cast::<Mutex<Vec<String>>>() };
    // SAFETY: the center passes `len` readable bytes for the duration of the call.
    let bytes = unsafe { std::slice::from_raw_parts(json.cast::<u8>(), len) };
    // SAFETY: the text is NUL-terminated, as documented.
    assert_eq!(unsafe { *json.add(len) }, 0);
    seen.lock()
        .unwrap()
        .push(String::from_utf8(bytes.to_vec()).unwrap());
}

fn last_error() -> String {
    let mut buf = vec![0 as c_char; 4096];
    let mut n = 0;
    // SAFETY: `buf` has 4096 writable bytes, `n` is writable.
    let r = unsafe { cc_error_message(buf.as_mut_ptr(), buf.len(), &raw mut n) };
    assert_eq!(r, cc_result::CC_OK);
    String::from_utf8(buf[..n].iter().map(|&c| c as u8).collect()).unwrap()
}

fn start(path: &Path, seen: Option<&Mutex<Vec<String>>>) -> Result<*mut cc_center, (cc_result, String)> {
    let path = path.to_str().unwrap();
    let mut center = std::ptr::null_mut();
    let (cb, userdata) = match seen {
        Some(seen) => (
            Some(collect as unsafe extern "C" fn(*mut c_void, *const c_char, usize)),
            std::ptr::from_ref(seen).cast_mut().cast::<c_void>(),
        ),
        None => (None, std::ptr::null_mut()),
    };
    // SAFETY: the path is readable, `center` writable, and `userdata` outlives the center.
    let r = unsafe { cc_center_start(path.as_ptr().cast(), path.len(), cb, userdata, &raw mut center) };
    if r == cc_result::CC_OK {
        assert!(!center.is_null());
        Ok(center)
    } else {
        assert!(center.is_null(), "out is written only on success");
        Err((r, last_error()))
    }
}

fn login(c: *mut cc_center, agent: &str, ready: bool) -> cc_result {
    // SAFETY: live handle; readable string.
    unsafe { cc_center_agent_login(c, agent.as_ptr().cast(), agent.len(), ready) }
}

fn ready(c: *mut cc_center, agent: &str) -> cc_result {
    // SAFETY: live handle; readable string.
    unsafe { cc_center_agent_ready(c, agent.as_ptr().cast(), agent.len()) }
}

fn not_ready(c: *mut cc_center, agent: &str, reason: &str) -> cc_result {
    // SAFETY: live handle; readable strings.
    unsafe {
        cc_center_agent_not_ready(
            c,
            agent.as_ptr().cast(),
            agent.len(),
            reason.as_ptr().cast(),
            reason.len(),
        )
    }
}

fn logout(c: *mut cc_center, agent: &str) -> cc_result {
    // SAFETY: live handle; readable string.
    unsafe { cc_center_agent_logout(c, agent.as_ptr().cast(), agent.len()) }
}

fn snapshot(c: *mut cc_center) -> Result<Value, cc_result> {
    let mut needed = 0;
    // SAFETY: live handle; NULL buffer with capacity 0 asks for the size.
    let r = unsafe { cc_center_snapshot_json(c, std::ptr::null_mut(), 0, &raw mut needed) };
    if r != cc_result::CC_BUFFER_TOO_SMALL {
        return Err(r);
    }
    assert!(needed > 2);
    let mut buf = vec![0 as c_char; needed + 256];
    let mut written = 0;
    // SAFETY: `buf` has `buf.len()` writable bytes.
    let r = unsafe { cc_center_snapshot_json(c, buf.as_mut_ptr(), buf.len(), &raw mut written) };
    if r != cc_result::CC_OK {
        return Err(r);
    }
    assert_eq!(buf[written], 0, "NUL-terminated");
    let bytes: Vec<u8> = buf[..written].iter().map(|&c| c as u8).collect();
    Ok(serde_json::from_slice(&bytes).unwrap())
}

/// Runs a `(center, text, len, buf, cap, &needed)` call: asks for the size, then copies.
fn list(
    c: *mut cc_center,
    arg: &str,
    f: unsafe extern "C" fn(
        *const cc_center,
        *const c_char,
        usize,
        *mut c_char,
        usize,
        *mut usize,
    ) -> cc_result,
) -> Result<Value, cc_result> {
    let mut needed = 0;
    // SAFETY: live handle; readable argument; NULL buffer with capacity 0 asks for the size.
    let r = unsafe {
        f(
            c,
            arg.as_ptr().cast(),
            arg.len(),
            std::ptr::null_mut(),
            0,
            &raw mut needed,
        )
    };
    if r != cc_result::CC_BUFFER_TOO_SMALL {
        return Err(r);
    }
    let mut buf = vec![0 as c_char; needed + 64];
    let mut written = 0;
    // SAFETY: `buf` has `buf.len()` writable bytes.
    let r = unsafe {
        f(
            c,
            arg.as_ptr().cast(),
            arg.len(),
            buf.as_mut_ptr(),
            buf.len(),
            &raw mut written,
        )
    };
    if r != cc_result::CC_OK {
        return Err(r);
    }
    let bytes: Vec<u8> = buf[..written].iter().map(|&c| c as u8).collect();
    Ok(serde_json::from_slice(&bytes).unwrap())
}

#[test]
fn agents_change_through_the_abi_and_events_come_numbered() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), (36_100, 36_124));
    let seen = Mutex::new(Vec::new());
    let c = start(&path, Some(&seen)).unwrap();

    let mut port = 0u16;
    // SAFETY: live handle; `port` is writable.
    assert_eq!(unsafe { cc_center_sip_port(c, &raw mut port) }, cc_result::CC_OK);
    assert_ne!(port, 0, "the system chose a port for 127.0.0.1:0");

    assert_eq!(login(c, "1001", true), cc_result::CC_OK);
    assert_eq!(not_ready(c, "1001", "lunch"), cc_result::CC_OK);
    assert_eq!(ready(c, "1001"), cc_result::CC_OK);
    assert_eq!(logout(c, "1001"), cc_result::CC_OK);
    assert_eq!(login(c, "1001", false), cc_result::CC_OK);
    assert_eq!(login(c, "2001", true), cc_result::CC_OK);

    // The router's refusals, with its message.
    assert_eq!(login(c, "1001", true), cc_result::CC_INVALID_STATE);
    let message = last_error();
    assert!(message.starts_with("cc_center_agent_login: "), "{message}");
    assert_eq!(login(c, "9999", true), cc_result::CC_NOT_FOUND);
    let message = last_error();
    assert!(message.contains("9999"), "{message}");
    assert_eq!(ready(c, "9999"), cc_result::CC_NOT_FOUND);
    assert_eq!(login(c, "", true), cc_result::CC_INVALID_ARGUMENT);
    let bad = [0xff_u8, 0x31];
    // SAFETY: live handle; two readable bytes.
    let r = unsafe { cc_center_agent_logout(c, bad.as_ptr().cast(), bad.len()) };
    assert_eq!(r, cc_result::CC_INVALID_UTF8);

    // The snapshot lists both tenants' queues with the agents as they stand.
    let snap = snapshot(c).unwrap();
    let queues = snap["queues"].as_array().unwrap();
    let sales = queues
        .iter()
        .find(|q| q["queue"] == "sales")
        .expect("sales is listed");
    assert_eq!(sales["tenant"], "acme");
    assert_eq!(sales["agents_not_ready"], 1, "{snap}");
    assert_eq!(sales["agents_ready"], 0, "{snap}");
    let care = queues
        .iter()
        .find(|q| q["queue"] == "care")
        .expect("care is listed");
    assert_eq!(care["tenant"], "globex");
    assert_eq!(care["agents_ready"], 1, "{snap}");
    assert_eq!(snap["summary"]["live_calls"], 0, "{snap}");

    // No calls: no contacts for either tenant; none for a tenant not configured; a
    // malformed tenant id is refused. No phone registered (fixed contacts are not
    // registrations).
    assert_eq!(
        list(c, "acme", cc_center_contacts_json).unwrap(),
        serde_json::json!([])
    );
    assert_eq!(
        list(c, "globex", cc_center_contacts_json).unwrap(),
        serde_json::json!([])
    );
    assert_eq!(
        list(c, "nobody", cc_center_contacts_json).unwrap(),
        serde_json::json!([])
    );
    assert_eq!(
        list(c, "not a tenant!", cc_center_contacts_json).unwrap_err(),
        cc_result::CC_INVALID_ARGUMENT
    );
    assert_eq!(
        list(c, "1001", cc_center_registrations_json).unwrap(),
        serde_json::json!([])
    );

    // A buffer too small: the size needed, NUL included, and nothing lost.
    let mut small = [0 as c_char; 8];
    let mut needed = 0;
    // SAFETY: `small` has 8 writable bytes.
    let r = unsafe { cc_center_snapshot_json(c, small.as_mut_ptr(), small.len(), &raw mut needed) };
    assert_eq!(r, cc_result::CC_BUFFER_TOO_SMALL);
    assert!(needed > small.len(), "{needed}");

    // SAFETY: live handle.
    assert_eq!(unsafe { cc_center_stop(c, 500) }, cc_result::CC_OK);
    // Every event was delivered before stop returned; nothing comes later.
    let events: Vec<Value> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|j| serde_json::from_str(j).unwrap())
        .collect();
    let count = events.len();
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{events:#?}");
    assert!(events.iter().all(|e| e["event"] == "agent"), "{events:#?}");
    let of = |agent: &str| -> Vec<(String, Value, Value)> {
        events
            .iter()
            .filter(|e| e["agent"] == agent)
            .map(|e| {
                (
                    e["status"].as_str().unwrap().to_owned(),
                    e["reason"].clone(),
                    e["tenant"].clone(),
                )
            })
            .collect()
    };
    let statuses: Vec<String> = of("1001").into_iter().map(|(s, _, _)| s).collect();
    assert_eq!(
        statuses,
        ["ready", "not_ready", "ready", "logged_out", "not_ready"],
        "{events:#?}"
    );
    assert_eq!(of("1001")[1].1, "lunch");
    assert!(of("1001").iter().all(|(_, _, t)| t == "acme"));
    assert_eq!(of("2001").len(), 1);
    assert_eq!(of("2001")[0].0, "ready");
    assert_eq!(of("2001")[0].2, "globex");

    // Stopped: agent calls and snapshots are refused, a second stop is fine.
    assert_eq!(login(c, "2001", true), cc_result::CC_INVALID_STATE);
    assert!(last_error().contains("stopped"), "{}", last_error());
    assert_eq!(snapshot(c).unwrap_err(), cc_result::CC_INVALID_STATE);
    assert_eq!(
        list(c, "acme", cc_center_contacts_json).unwrap_err(),
        cc_result::CC_INVALID_STATE
    );
    // SAFETY: live handle.
    assert_eq!(unsafe { cc_center_stop(c, 0) }, cc_result::CC_OK);
    // SAFETY: live handle, freed once.
    unsafe { cc_center_free(c) };
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(seen.lock().unwrap().len(), count);
    // The records are on disk.
    assert!(dir.path().join("data/ccd.db").is_file());
}

#[test]
fn free_stops_a_running_center_and_its_callback() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), (36_126, 36_149));
    let seen = Mutex::new(Vec::new());
    let c = start(&path, Some(&seen)).unwrap();
    assert_eq!(login(c, "1001", true), cc_result::CC_OK);
    assert_eq!(logout(c, "1001"), cc_result::CC_OK);
    // SAFETY: live handle, freed once, without a stop first.
    unsafe { cc_center_free(c) };
    let statuses: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|j| {
            serde_json::from_str::<Value>(j).unwrap()["status"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(statuses, ["ready", "logged_out"]);
}

#[test]
fn a_center_without_a_callback_runs_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), (36_150, 36_174));
    let c = start(&path, None).unwrap();
    assert_eq!(login(c, "2001", false), cc_result::CC_OK);
    assert_eq!(snapshot(c).unwrap()["queues"].as_array().unwrap().len(), 2);
    // SAFETY: live handle; then freed once.
    unsafe {
        assert_eq!(cc_center_stop(c, 0), cc_result::CC_OK);
        cc_center_free(c);
    }
}

#[test]
fn bad_configurations_are_refused_with_messages() {
    let dir = tempfile::tempdir().unwrap();

    let missing = dir.path().join("nowhere.toml");
    let (code, message) = start(&missing, None).unwrap_err();
    assert_eq!(code, cc_result::CC_IO_ERROR);
    assert!(message.starts_with("cc_center_start: cannot read"), "{message}");
    assert!(message.contains("nowhere.toml"), "{message}");

    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "[sip]\nlisten = \"127.0.0.1:0\"\nlisen = 1\n").unwrap();
    let (code, message) = start(&broken, None).unwrap_err();
    assert_eq!(code, cc_result::CC_PARSE_ERROR);
    assert!(message.contains("broken.toml:3"), "{message}");
    assert!(message.contains("lisen"), "{message}");

    // Parses, but the queue's tenant and the agent's tenant do not exist: both are listed,
    // one per line.
    let refused = dir.path().join("refused.toml");
    // (Never starts: its RTP range is not bound.)
    std::fs::write(
        &refused,
        "[sip]\nlisten = \"127.0.0.1:0\"\n[rtp]\nport_min = 36176\nport_max = 36199\n\
         [[tenant]]\nid = \"acme\"\n[[queue]]\nid = \"sales\"\ntenant = \"nobody\"\n\
         [[agent]]\nid = \"1001\"\ntenants = { ghost = {} }\n",
    )
    .unwrap();
    let (code, message) = start(&refused, None).unwrap_err();
    assert_eq!(code, cc_result::CC_CONFIG_ERROR);
    assert!(message.contains("nobody"), "{message}");
    assert!(message.contains("ghost"), "{message}");
    assert!(message.lines().count() >= 3, "{message}");
}

#[test]
fn null_arguments_are_refused_and_free_null_is_a_no_op() {
    // SAFETY: NULL is allowed by every one of these; nothing is dereferenced.
    unsafe {
        cc_center_free(std::ptr::null_mut());
        assert_eq!(
            cc_center_stop(std::ptr::null_mut(), 0),
            cc_result::CC_NULL_PARAMETER
        );
        assert_eq!(
            cc_center_agent_ready(std::ptr::null_mut(), c"1001".as_ptr(), 4),
            cc_result::CC_NULL_PARAMETER
        );
        let mut port = 0;
        assert_eq!(
            cc_center_sip_port(std::ptr::null(), &raw mut port),
            cc_result::CC_NULL_PARAMETER
        );
        let path = "x.toml";
        assert_eq!(
            cc_center_start(
                path.as_ptr().cast(),
                path.len(),
                None,
                std::ptr::null_mut(),
                std::ptr::null_mut()
            ),
            cc_result::CC_NULL_PARAMETER
        );
        let mut out = std::ptr::null_mut();
        assert_eq!(
            cc_center_start(std::ptr::null(), 0, None, std::ptr::null_mut(), &raw mut out),
            cc_result::CC_NULL_PARAMETER
        );
    }
    assert!(last_error().contains("config_path"), "{}", last_error());
}

/// What the re-entrant callback below saw: its center, and the codes of its calls.
struct Reentrant {
    center: std::sync::atomic::AtomicPtr<cc_center>,
    codes: Mutex<Vec<(cc_result, cc_result)>>,
}

/// Calls back into its own center from the event thread: a snapshot works, a stop is
/// refused, a free does nothing (the test then sees the center still working).
unsafe extern "C" fn call_back_in(userdata: *mut c_void, _json: *const c_char, _len: usize) {
    // SAFETY: the test passes a `Reentrant` that outlives the center.
    let probe = unsafe { &*userdata.cast::<Reentrant>() };
    let center = probe.center.load(std::sync::atomic::Ordering::SeqCst);
    if center.is_null() {
        return;
    }
    let mut needed = 0;
    // SAFETY: a live handle; NULL buffer with capacity 0 asks for the size.
    let snapshot = unsafe { cc_center_snapshot_json(center, std::ptr::null_mut(), 0, &raw mut needed) };
    // SAFETY: a live handle.
    let stop = unsafe { cc_center_stop(center, 0) };
    // SAFETY: a live handle; from its own callback this frees nothing.
    unsafe { cc_center_free(center) };
    probe.codes.lock().unwrap().push((snapshot, stop));
}

#[test]
fn the_callback_may_call_its_center_but_not_stop_or_free_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), (36_176, 36_199));
    let probe = Reentrant {
        center: std::sync::atomic::AtomicPtr::new(std::ptr::null_mut()),
        codes: Mutex::new(Vec::new()),
    };
    let path = path.to_str().unwrap();
    let mut c = std::ptr::null_mut();
    // SAFETY: readable path, writable `c`, `probe` outlives the center.
    let r = unsafe {
        cc_center_start(
            path.as_ptr().cast(),
            path.len(),
            Some(call_back_in),
            std::ptr::from_ref(&probe).cast_mut().cast(),
            &raw mut c,
        )
    };
    assert_eq!(r, cc_result::CC_OK);
    probe.center.store(c, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(login(c, "1001", true), cc_result::CC_OK);
    assert_eq!(logout(c, "1001"), cc_result::CC_OK);
    // Both events are handled while the center runs (the snapshot needs it running).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while probe.codes.lock().unwrap().len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // Both callbacks tried to free the center: it still answers.
    assert_eq!(snapshot(c).unwrap()["queues"].as_array().unwrap().len(), 2);
    // SAFETY: live handle; then freed once.
    unsafe {
        assert_eq!(cc_center_stop(c, 0), cc_result::CC_OK);
        cc_center_free(c);
    }
    let codes = probe.codes.lock().unwrap();
    assert_eq!(codes.len(), 2, "{codes:?}");
    for &(snapshot, stop) in codes.iter() {
        assert_eq!(snapshot, cc_result::CC_BUFFER_TOO_SMALL);
        assert_eq!(stop, cc_result::CC_INVALID_STATE);
    }
}

//! The HTTP API end to end, with curl as the client: keys confine each tenant to its own
//! queues, agents, contacts, records, recordings and events; the operator's key names the
//! tenant; agents change state and a supervisor joins a live call over HTTP.

#[path = "support/center.rs"]
mod support;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::Duration;

use cc_center::config::CenterConfig;
use cc_center::runtime::Center;
use cc_center::sim::{AgentBehavior, CallOutcome, CallerScript, DtmfMode, SimAgent, SimCaller};
use serde_json::Value;

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const ACME: &str = "acme-key-0123456789";
const GLOBEX: &str = "globex-key-0123456789";
const OPERATOR: &str = "operator-key-0123456789";

fn config(dir: &std::path::Path, agent: &str, supervisor: &str) -> CenterConfig {
    std::fs::write(
        dir.join("hotline.flow"),
        "flow hotline\nmain {\n    enqueue \"sales\" timeout 20s else { hangup }\n    hangup\n}\n",
    )
    .unwrap();
    let text = format!(
        "[center]\ndata_dir = \"data\"\n\
         [sip]\nlisten = \"127.0.0.1:0\"\n\
         [rtp]\nport_min = 40400\nport_max = 40599\nworkers = 1\n\
         [http]\nlisten = \"127.0.0.1:0\"\n\
         [[http.keys]]\nkey = \"{ACME}\"\ntenant = \"acme\"\n\
         [[http.keys]]\nkey = \"{GLOBEX}\"\ntenant = \"globex\"\n\
         [[http.keys]]\nkey = \"{OPERATOR}\"\n\
         [[tenant]]\nid = \"acme\"\n\
         [[tenant]]\nid = \"globex\"\n\
         [[number]]\ndid = \"4001\"\ntenant = \"acme\"\nflow = \"hotline\"\n\
         [[flow]]\nid = \"hotline\"\nfile = \"hotline.flow\"\ntenant = \"acme\"\n\
         [[queue]]\nid = \"sales\"\ntenant = \"acme\"\nring_timeout = \"5s\"\n\
         [[queue]]\nid = \"claims\"\ntenant = \"globex\"\n\
         [[agent]]\nid = \"1001\"\ncontact = \"{agent}\"\ntenants = {{ acme = {{}} }}\nauto_login = true\n\
         [[agent]]\nid = \"2001\"\ncontact = \"sip:2001@127.0.0.1:9\"\ntenants = {{ globex = {{}} }}\nauto_login = true\n\
         [[agent]]\nid = \"8001\"\ncontact = \"{supervisor}\"\ntenants = {{}}\nsupervises = [\"acme\"]\n"
    );
    support::checked_config(dir, &text)
}

/// One request with curl: `(status, JSON body)`.
fn curl(api: SocketAddr, method: &str, path: &str, key: Option<&str>, body: Option<&str>) -> (u16, Value) {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--max-time", "10", "-X", method, "-w", "\n%{http_code}"]);
    if let Some(key) = key {
        cmd.args(["-H", &format!("Authorization: Bearer {key}")]);
    }
    if let Some(body) = body {
        cmd.args(["-H", "Content-Type: application/json", "--data", body]);
    }
    let out = cmd
        .arg(format!("http://{api}{path}"))
        .output()
        .expect("curl is installed (scripts/test.sh installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    let json = serde_json::from_str(body).unwrap_or(Value::Null);
    (code.trim().parse().unwrap_or(0), json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_see_and_act_on_their_own_center_only() {
    tokio::time::timeout(Duration::from_secs(90), async {
        let dir = tempfile::tempdir().unwrap();
        let phones = support::phones(40_600);
        let behavior = |talk: u64, pitch| AgentBehavior {
            answer_after: Duration::from_millis(200),
            talk_for: Duration::from_secs(talk),
            busy: false,
            pitch,
        };
        let agent = SimAgent::spawn("1001", LOCAL, phones.clone(), behavior(3, 5))
            .await
            .unwrap();
        let supervisor = SimAgent::spawn("8001", LOCAL, phones.clone(), behavior(30, 7))
            .await
            .unwrap();
        let center = Center::start(config(dir.path(), &agent.contact, &supervisor.contact))
            .await
            .unwrap();
        let handle = center.handle();
        let api = handle.http_addr().expect("the API listens");

        let blocking = |f: Box<dyn FnOnce() -> (u16, Value) + Send>| tokio::task::spawn_blocking(f);
        macro_rules! req {
            ($method:expr, $path:expr, $key:expr) => {{
                let path: String = $path.to_string();
                blocking(Box::new(move || curl(api, $method, &path, $key, None)))
                    .await
                    .unwrap()
            }};
            ($method:expr, $path:expr, $key:expr, $body:expr) => {{
                let path: String = $path.to_string();
                blocking(Box::new(move || {
                    curl(api, $method, &path, $key, Some($body))
                }))
                .await
                .unwrap()
            }};
        }

        // Health needs no key; everything else does.
        assert_eq!(
            req!("GET", "/health", None),
            (200, serde_json::json!({"status": "ok"}))
        );
        assert_eq!(req!("GET", "/v1/queues", None).0, 401);
        assert_eq!(req!("GET", "/v1/queues", Some("not-a-key-at-all")).0, 401);

        // Each tenant sees its own queues; the operator sees both.
        let (code, body) = req!("GET", "/v1/queues", Some(ACME));
        assert_eq!(code, 200, "{body}");
        let names: Vec<&str> = body["queues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["queue"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["sales"]);
        let (_, body) = req!("GET", "/v1/queues", Some(GLOBEX));
        assert_eq!(body["queues"][0]["queue"], "claims");
        assert_eq!(body["queues"].as_array().unwrap().len(), 1);
        let (_, body) = req!("GET", "/v1/queues", Some(OPERATOR));
        assert_eq!(body["queues"].as_array().unwrap().len(), 2);
        assert_eq!(req!("GET", "/v1/contacts?tenant=globex", Some(ACME)).0, 403);
        assert_eq!(req!("GET", "/v1/contacts", Some(OPERATOR)).0, 400);

        // acme's event stream, open before anything happens.
        let stream = Command::new("curl")
            .args([
                "-sSN",
                "--max-time",
                "60",
                "-H",
                &format!("Authorization: Bearer {ACME}"),
            ])
            .arg(format!("http://{api}/v1/events"))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;

        // Agents: a tenant changes its own agents' states, never another tenant's.
        assert_eq!(
            req!(
                "POST",
                "/v1/agents/2001/not_ready",
                Some(ACME),
                r#"{"reason":"lunch"}"#
            )
            .0,
            404
        );
        let (code, body) = req!(
            "POST",
            "/v1/agents/2001/not_ready",
            Some(GLOBEX),
            r#"{"reason":"lunch"}"#
        );
        assert_eq!(code, 200, "{body}");
        assert_eq!(
            req!(
                "POST",
                "/v1/agents/1001/not_ready",
                Some(ACME),
                r#"{"reason":"brief"}"#
            )
            .0,
            200
        );
        assert_eq!(req!("POST", "/v1/agents/1001/ready", Some(ACME)).0, 200);
        assert_eq!(req!("POST", "/v1/agents/1001/dance", Some(ACME)).0, 404);

        // A call; while it is connected, acme's supervisor listens in over HTTP.
        let mut caller = SimCaller::new("13800138000", LOCAL, phones.clone())
            .await
            .unwrap();
        let sip = handle.sip_addr();
        let call = tokio::spawn(async move {
            let script = CallerScript {
                dtmf: DtmfMode::Info,
                keys: Vec::new(),
                hang_up_after: Duration::from_secs(30),
                pitch: 1,
            };
            let outcome = caller.call(sip, "4001", &script, Duration::from_secs(30)).await;
            (caller, outcome)
        });
        let contact = loop {
            let (_, body) = req!("GET", "/v1/contacts", Some(ACME));
            if let Some(c) = body["contacts"]
                .as_array()
                .and_then(|c| c.first())
                .and_then(Value::as_str)
            {
                let c = c.to_owned();
                let path = format!("/v1/contacts/{c}/supervise");
                let (code, body) = req!(
                    "POST",
                    &path,
                    Some(ACME),
                    r#"{"supervisor":"8001","mode":"listen"}"#
                );
                if code == 200 {
                    // Another tenant's key cannot reach it.
                    let (code, _) = req!(
                        "POST",
                        &path,
                        Some(GLOBEX),
                        r#"{"supervisor":"8001","mode":"barge"}"#
                    );
                    assert_eq!(code, 404);
                    break c;
                }
                assert_eq!(code, 409, "{body}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        // Transfers: another tenant's key cannot reach the call; a target that is neither a
        // number nor a sip: address is refused while the call goes on.
        let transfer = format!("/v1/contacts/{contact}/transfer");
        let (code, _) = req!(
            "POST",
            &transfer,
            Some(GLOBEX),
            r#"{"agent":"1001","target":"95555"}"#
        );
        assert_eq!(code, 404);
        let (code, body) = req!(
            "POST",
            &transfer,
            Some(ACME),
            r#"{"agent":"1001","target":"call mom"}"#
        );
        assert_eq!(code, 409, "{body}");
        assert!(body["error"].as_str().unwrap().contains("not a number"), "{body}");
        let force = format!("/v1/contacts/{contact}/force_transfer");
        let (code, body) = req!("POST", &force, Some(ACME), r#"{"supervisor":"8001"}"#);
        assert_eq!(code, 400, "{body}");
        let (caller, outcome) = call.await.unwrap();
        assert!(matches!(outcome.unwrap(), CallOutcome::CenterHungUp(_)));

        // The record, its legs (the supervisor's included) and the recording, for acme only.
        let record_path = format!("/v1/records/{contact}");
        let (code, body) = loop {
            let got = req!("GET", &record_path, Some(ACME));
            if got.0 != 404 {
                break got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(code, 200, "{body}");
        assert_eq!(body["record"]["agent"], "1001");
        let roles: Vec<&str> = body["legs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["caller", "agent", "supervisor"], "{body}");
        assert_eq!(req!("GET", &record_path, Some(GLOBEX)).0, 404);
        let (_, body) = req!(
            "GET",
            "/v1/records?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z",
            Some(ACME)
        );
        assert_eq!(body["records"].as_array().unwrap().len(), 1);
        let (_, body) = req!(
            "GET",
            "/v1/records?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z",
            Some(GLOBEX)
        );
        assert!(body["records"].as_array().unwrap().is_empty());
        assert_eq!(
            req!("GET", "/v1/records?from=yesterday&to=now", Some(ACME)).0,
            400
        );
        let (_, body) = req!("GET", "/v1/recordings?tenant=acme", Some(OPERATOR));
        assert_eq!(body["recordings"].as_array().unwrap().len(), 1);
        let (_, body) = req!("GET", "/v1/recordings", Some(GLOBEX));
        assert!(body["recordings"].as_array().unwrap().is_empty());

        // Stopping the center ends the event stream; acme saw its own events only.
        handle.stop(Duration::from_secs(2)).await;
        center.wait().await;
        let output = tokio::task::spawn_blocking(move || stream.wait_with_output().unwrap())
            .await
            .unwrap();
        let events: Vec<Value> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(|d| serde_json::from_str(d.trim()).unwrap())
            .collect();
        assert!(
            events
                .iter()
                .any(|e| e["event"] == "agent" && e["agent"] == "1001" && e["status"] == "not_ready"),
            "{events:#?}"
        );
        assert!(
            events
                .iter()
                .any(|e| e["event"] == "contact_ended" && e["contact"] == contact.as_str()),
            "{events:#?}"
        );
        assert!(
            events
                .iter()
                .all(|e| e["agent"] != "2001" && e["tenant"] != "globex"),
            "{events:#?}"
        );

        caller.stop().await;
        agent.stop().await;
        supervisor.stop().await;
    })
    .await
    .expect("the test finishes within 90 s");
}

use super::*;

fn errors(problems: &[Problem]) -> Vec<String> {
    problems
        .iter()
        .filter(|p| p.severity == cc_ivr::Severity::Error)
        .map(ToString::to_string)
        .collect()
}

#[test]
fn the_demo_configuration_is_clean_and_builds() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = crate::demo::write(dir.path()).unwrap();
    let config = CenterConfig::load(&path).unwrap();
    let problems = config.check();
    assert!(problems.is_empty(), "{problems:#?}");
    let engines = config.engines().unwrap();
    assert_eq!(engines.programs.len(), 2);
    assert_eq!(config.agents.len(), 8);
    assert_eq!(config.queues.len(), 3);
    assert!(engines.resources.calendars.contains_key("office"));
}

#[test]
fn type_errors_name_the_key_path_and_line() {
    let text = "[[tenant]]\nid = \"acme\"\n\n[[queue]]\nid = \"q1\"\ntenant = \"acme\"\nring_timeout = \"5 parsecs\"\n";
    let err = CenterConfig::from_toml(text).unwrap_err().to_string();
    assert!(err.contains("queue[0].ring_timeout"), "{err}");
    assert!(err.contains(":7:"), "{err}");
    assert!(err.contains("unknown unit"), "{err}");

    let err = CenterConfig::from_toml("[sip]\nlisten = \"127.0.0.1:5060\"\nlisen = 1\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("lisen"), "{err}");

    let err = CenterConfig::from_toml("[[agent]]\nid = \"bad id!\"\ntenants = {}\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("agent[0].id"), "{err}");
}

#[test]
fn every_reference_problem_is_reported_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("f.flow"),
        "flow f\nmain {\n    enqueue \"nowhere\" timeout 10s else { hangup }\n    hangup\n}\n",
    )
    .unwrap();
    let text = r#"
[rtp]
port_min = 20001
port_max = 20000

[[tenant]]
id = "acme"

[[number]]
did = "100"
tenant = "acme"
flow = "missing"

[[flow]]
id = "f"
file = "f.flow"
tenant = "acme"

[[queue]]
id = "q1"
tenant = "globex"
overflow = { no_agents = "external:nobody", queue_full = "moon:1" }
escalation = [{ after = "30s", level = 3, to = "queue:q1" }]

[[agent]]
id = "1001"
password = "x"
tenants = { acme = { tech = 5 } }

[[agent]]
id = "1001"
password = "y"
tenants = { nobody = {} }
pstn = "+8613800000000"
"#;
    let path = dir.path().join("center.toml");
    std::fs::write(&path, text).unwrap();
    let config = CenterConfig::load(&path).unwrap();
    let errs = errors(&config.check());
    let expect = [
        "agent[1].id: error: `1001` is defined twice",
        "rtp.port_min: error: 20001 is odd",
        "rtp.port_max: error: 20001-20000",
        "number[0].flow: error: unknown flow `missing`",
        "queue[0].tenant: error: unknown tenant `globex`",
        "queue[0].overflow.no_agents: error: unknown external `nobody`",
        "queue[0].overflow.queue_full: error: `moon` in `moon:1` is not a destination kind",
        "queue[0].escalation[0]: error: give exactly one of",
        "agent[1].tenants: error: unknown tenant `nobody`",
        "agent[1].sip_user: error: `1001` is also agent[0]'s SIP user",
        "agent[1].trunk: error: a remote seat (`pstn`) needs the `trunk`",
        "f.flow:3:13: error: unknown queue \"nowhere\"",
    ];
    for e in expect {
        assert!(
            errs.iter().any(|got| got.contains(e)),
            "missing `{e}` in {errs:#?}"
        );
    }
    assert!(config.engines().is_err());
}

#[test]
fn destinations_resolve_to_the_router_types() {
    let config = CenterConfig::from_toml(
        "[[tenant]]\nid = \"a\"\n[[external]]\nid = \"partner\"\nuri = \"sip:overflow@127.0.0.1:5090\"\n",
    )
    .unwrap();
    let d = build::destination(&config, &"external:partner".to_owned()).unwrap();
    assert!(matches!(d, cc_core::Destination::External { .. }), "{d:?}");
    assert!(build::destination(&config, &"queue:q".to_owned()).is_ok());
    assert!(build::destination(&config, &"external:other".to_owned()).is_err());
    assert!(build::destination(&config, &"nothing".to_owned()).is_err());
}

proptest::proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        if let Ok(config) = CenterConfig::from_toml(&text) {
            let _ = config.check();
        }
    }
}

#[test]
fn storage_urls_are_checked() {
    let base = "[[tenant]]\nid = \"acme\"\n";
    for (url, ok) in [
        ("sqlite:///var/lib/ccd/ccd.db", true),
        (
            "postgres://ccd:secret@db.example:5432/ccd",
            cfg!(feature = "postgres"),
        ),
        ("postgresql://ccd@localhost/ccd", cfg!(feature = "postgres")),
        ("mysql://ccd@localhost/ccd", false),
        ("/var/lib/ccd/ccd.db", false),
    ] {
        let config = CenterConfig::from_toml(&format!("[center]\nstorage = \"{url}\"\n{base}")).unwrap();
        let errs = errors(&config.check());
        let storage: Vec<_> = errs.iter().filter(|e| e.contains("center.storage")).collect();
        assert_eq!(storage.is_empty(), ok, "{url}: {errs:?}");
    }
}

#[test]
fn http_keys_are_checked() {
    let text = "[http]\nlisten = \"127.0.0.1:8080\"\n\
                [[http.keys]]\nkey = \"short\"\n\
                [[http.keys]]\nkey = \"long-enough-key-0001\"\ntenant = \"nobody\"\n\
                [[http.keys]]\nkey = \"long-enough-key-0001\"\n\
                [[tenant]]\nid = \"acme\"\n";
    let errs = errors(&CenterConfig::from_toml(text).unwrap().check());
    assert!(
        errs.iter()
            .any(|e| e.contains("http.keys[0].key") && e.contains("16")),
        "{errs:?}"
    );
    assert!(errs.iter().any(|e| e.contains("http.keys[1].tenant")), "{errs:?}");
    assert!(
        errs.iter()
            .any(|e| e.contains("http.keys[2].key") && e.contains("twice")),
        "{errs:?}"
    );
    let config =
        CenterConfig::from_toml("[http]\nlisten = \"127.0.0.1:8080\"\n[[tenant]]\nid = \"acme\"\n").unwrap();
    assert!(
        config.check().iter().any(|p| p.place == "http.keys"),
        "a warning without keys"
    );
}

#[test]
fn trunk_settings_are_checked() {
    let text = "[[tenant]]\nid = \"acme\"\n\
                [[trunk]]\nid = \"a\"\nhost = \"192.0.2.1:5060\"\ntransport = \"tcp\"\nregister = true\n\
                caller_id = \"400 800\"\nkeepalive = \"0s\"\n";
    let errs = errors(&CenterConfig::from_toml(text).unwrap().check());
    for place in [
        "trunk[0].transport",
        "trunk[0].register",
        "trunk[0].caller_id",
        "trunk[0].keepalive",
    ] {
        assert!(errs.iter().any(|e| e.contains(place)), "{place}: {errs:?}");
    }
}

//! Per-tenant SIP domains: a tenant with its own domain is its own digest realm; its agents'
//! phones register there, another tenant's agents cannot, and calls ring the phone
//! registered in the tenant's domain.

#[path = "support/center.rs"]
mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use cc_center::config::CenterConfig;
use cc_center::runtime::Center;
use cc_center::sim::{AgentBehavior, CallOutcome, CallerScript, DtmfMode, SimAgent, SimCaller};

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn config(dir: &std::path::Path) -> CenterConfig {
    std::fs::write(
        dir.join("hotline.flow"),
        "flow hotline\nmain {\n    enqueue \"sales\" timeout 20s else { hangup }\n    hangup\n}\n",
    )
    .unwrap();
    let text = "[center]\ndata_dir = \"data\"\n\
                [sip]\nlisten = \"127.0.0.1:0\"\ndomain = \"center.test\"\n\
                [rtp]\nport_min = 38800\nport_max = 38999\nworkers = 1\n\
                [[tenant]]\nid = \"acme\"\ndomain = \"acme.test\"\n\
                [[tenant]]\nid = \"globex\"\ndomain = \"globex.test\"\n\
                [[number]]\ndid = \"4001\"\ntenant = \"acme\"\nflow = \"hotline\"\n\
                [[flow]]\nid = \"hotline\"\nfile = \"hotline.flow\"\ntenant = \"acme\"\n\
                [[queue]]\nid = \"sales\"\ntenant = \"acme\"\nring_timeout = \"5s\"\n\
                [[agent]]\nid = \"1001\"\npassword = \"acme-pw\"\ntenants = { acme = {} }\nauto_login = true\n\
                [[agent]]\nid = \"2001\"\npassword = \"globex-pw\"\ntenants = { globex = {} }\nauto_login = true\n";
    support::checked_config(dir, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_register_in_their_own_domains_and_calls_ring_there() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let dir = tempfile::tempdir().unwrap();
        let center = Center::start(config(dir.path())).await.unwrap();
        let handle = center.handle();
        let sip = handle.sip_addr();
        let phones = support::phones(38_600);
        let behavior = AgentBehavior {
            answer_after: Duration::from_millis(200),
            talk_for: Duration::from_secs(1),
            busy: false,
            pitch: 5,
        };
        let acme_phone = SimAgent::spawn("1001", LOCAL, phones.clone(), behavior)
            .await
            .unwrap();
        let globex_phone = SimAgent::spawn("2001", LOCAL, phones.clone(), behavior)
            .await
            .unwrap();

        acme_phone.register(sip, "acme.test", "acme-pw").await.unwrap();
        // Another tenant's agent cannot register in acme's realm, even with its own password.
        assert!(
            globex_phone
                .register(sip, "acme.test", "globex-pw")
                .await
                .is_err()
        );
        globex_phone
            .register(sip, "globex.test", "globex-pw")
            .await
            .unwrap();
        let acme_contacts = handle.registrations("1001").await.unwrap();
        assert_eq!(acme_contacts.len(), 1, "{acme_contacts:?}");
        let phone_address = acme_phone.contact.rsplit('@').next().unwrap();
        assert!(
            acme_contacts[0].contains(phone_address),
            "{acme_contacts:?} {phone_address}"
        );
        assert_eq!(handle.registrations("2001").await.unwrap().len(), 1);

        // A call to acme's number rings the phone registered in acme.test.
        let mut caller = SimCaller::new("13800138000", LOCAL, phones.clone())
            .await
            .unwrap();
        let script = CallerScript {
            dtmf: DtmfMode::Info,
            keys: Vec::new(),
            hang_up_after: Duration::from_secs(20),
            pitch: 1,
        };
        let outcome = caller
            .call(sip, "4001", &script, Duration::from_secs(25))
            .await
            .unwrap();
        assert!(matches!(outcome, CallOutcome::CenterHungUp(_)), "{outcome:?}");
        handle.stop(Duration::from_secs(2)).await;
        let summary = center.wait().await;
        assert_eq!(summary.all.answered, 1, "{summary:?}");
        caller.stop().await;
        acme_phone.stop().await;
        globex_phone.stop().await;
    })
    .await
    .expect("the test finishes within a minute");
}

//! An agent's blind transfer end to end: the agent's phone presses transfer (a REFER to
//! 95555 at the center), the center notifies it, ends the agent's leg, dials 95555 over the
//! trunk (a simulated gateway) and connects the customer; the record stays `answered` by
//! the agent and gains the answered `external` leg. Then the same key toward a queue
//! (`sip:support@center.test`): the customer waits there and the next agent answers.

#[path = "support/center.rs"]
mod support;

use std::time::Duration;

use cc_center::config::CenterConfig;
use cc_center::runtime::Center;
use cc_center::sim::{AgentBehavior, CallOutcome, CallerScript, DtmfMode, SimAgent, SimCaller};
use cc_center::store::Store;
use cc_core::Disposition;

use support::LOCAL;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_transfers_the_customer_to_a_number_over_the_trunk() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let dir = tempfile::tempdir().unwrap();
        let phones = support::phones(42_000);
        let gateway = SimAgent::spawn(
            "gw",
            LOCAL,
            phones.clone(),
            AgentBehavior {
                answer_after: Duration::from_millis(200),
                talk_for: Duration::from_secs(2),
                busy: false,
                pitch: 3,
            },
        )
        .await
        .unwrap();
        let agent = SimAgent::spawn_transferring(
            "1001",
            LOCAL,
            phones.clone(),
            AgentBehavior {
                answer_after: Duration::from_millis(200),
                talk_for: Duration::from_secs(1),
                busy: false,
                pitch: 5,
            },
            "sip:95555@center.test",
        )
        .await
        .unwrap();
        let gateway_addr = gateway.contact.rsplit_once('@').unwrap().1.to_owned();
        std::fs::write(
            dir.path().join("f.flow"),
            "flow f\nmain {\n    enqueue \"sales\" timeout 20s else { hangup }\n    hangup\n}\n",
        )
        .unwrap();
        let text = format!(
            "[center]\ndata_dir = \"data\"\n[sip]\nlisten = \"127.0.0.1:0\"\ndomain = \"center.test\"\n\
             [rtp]\nport_min = 42200\nport_max = 42399\nworkers = 1\n\
             [[tenant]]\nid = \"acme\"\n[[number]]\ndid = \"4001\"\ntenant = \"acme\"\nflow = \"f\"\n\
             [[flow]]\nid = \"f\"\nfile = \"f.flow\"\ntenant = \"acme\"\n\
             [[queue]]\nid = \"sales\"\ntenant = \"acme\"\nring_timeout = \"5s\"\n\
             [[trunk]]\nid = \"carrier\"\nhost = \"{gateway_addr}\"\n\
             [[agent]]\nid = \"1001\"\ncontact = \"{}\"\ntenants = {{ acme = {{}} }}\nauto_login = true\n",
            agent.contact
        );
        std::fs::write(dir.path().join("center.toml"), text).unwrap();
        let center = Center::start(CenterConfig::load(&dir.path().join("center.toml")).unwrap())
            .await
            .unwrap();
        let handle = center.handle();
        let mut caller = SimCaller::new("13800000008", LOCAL, phones.clone())
            .await
            .unwrap();
        let script = CallerScript {
            dtmf: DtmfMode::Info,
            keys: Vec::new(),
            hang_up_after: Duration::from_secs(20),
            pitch: 1,
        };
        // Agent 1 s, then the gateway 2 s: the center ends the customer's call after both.
        let outcome = caller
            .call(handle.sip_addr(), "4001", &script, Duration::from_secs(20))
            .await
            .unwrap();
        assert!(
            matches!(outcome, CallOutcome::CenterHungUp(d) if d >= Duration::from_secs(3)),
            "{outcome:?}"
        );
        handle.stop(Duration::from_secs(2)).await;
        let summary = center.wait().await;
        assert_eq!(summary.all.answered, 1, "{summary:?}");

        let store = Store::open_file(&dir.path().join("data/ccd.db")).await.unwrap();
        let acme = "acme".parse().unwrap();
        let records = support::all_records(&store, &acme).await;
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].disposition, Some(Disposition::Answered));
        assert_eq!(
            records[0].agent.as_ref().map(cc_core::AgentId::as_str),
            Some("1001")
        );
        let legs = store.legs(&acme, &records[0].contact).await.unwrap();
        let roles: Vec<&str> = legs.iter().map(|l| l.role.as_str()).collect();
        assert_eq!(roles, ["caller", "agent", "external"], "{legs:#?}");
        assert_eq!(legs[1].end_cause.as_deref(), Some("transferred to 95555"));
        assert_eq!(legs[2].party.as_deref(), Some("95555"));
        assert!(legs[2].answered_at.is_some(), "{legs:#?}");
        // The agent was freed by the transfer.
        let history = store.agent_history("1001").await.unwrap();
        assert_eq!(history.last().map(|h| h.0.as_str()), Some("ready"), "{history:?}");
        store.close().await;
        caller.stop().await;
        agent.stop().await;
        gateway.stop().await;
    })
    .await
    .expect("within a minute");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_transfers_the_customer_to_another_queue() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let dir = tempfile::tempdir().unwrap();
        let phones = support::phones(42_400);
        let behavior = AgentBehavior {
            answer_after: Duration::from_millis(200),
            talk_for: Duration::from_secs(1),
            busy: false,
            pitch: 5,
        };
        let sales = SimAgent::spawn_transferring("1001", LOCAL, phones.clone(), behavior, "sip:support@center.test")
            .await
            .unwrap();
        let support_phone = SimAgent::spawn("1002", LOCAL, phones.clone(), behavior)
            .await
            .unwrap();
        std::fs::write(
            dir.path().join("f.flow"),
            "flow f\nmain {\n    enqueue \"sales\" timeout 20s else { hangup }\n    hangup\n}\n",
        )
        .unwrap();
        let text = format!(
            "[center]\ndata_dir = \"data\"\n[sip]\nlisten = \"127.0.0.1:0\"\ndomain = \"center.test\"\n\
             [rtp]\nport_min = 42600\nport_max = 42799\nworkers = 1\n\
             [[tenant]]\nid = \"acme\"\n[[number]]\ndid = \"4001\"\ntenant = \"acme\"\nflow = \"f\"\n\
             [[flow]]\nid = \"f\"\nfile = \"f.flow\"\ntenant = \"acme\"\n\
             [[queue]]\nid = \"sales\"\ntenant = \"acme\"\nskills = {{ sales = 1 }}\nring_timeout = \"5s\"\n\
             [[queue]]\nid = \"support\"\ntenant = \"acme\"\nskills = {{ support = 1 }}\nring_timeout = \"5s\"\n\
             [[agent]]\nid = \"1001\"\ncontact = \"{}\"\ntenants = {{ acme = {{ sales = 5 }} }}\nauto_login = true\n\
             [[agent]]\nid = \"1002\"\ncontact = \"{}\"\ntenants = {{ acme = {{ support = 5 }} }}\nauto_login = true\n",
            sales.contact, support_phone.contact
        );
        let center = Center::start(support::checked_config(dir.path(), &text)).await.unwrap();
        let handle = center.handle();
        let mut caller = SimCaller::new("13800000009", LOCAL, phones.clone()).await.unwrap();
        let script = CallerScript {
            dtmf: DtmfMode::Info,
            keys: Vec::new(),
            hang_up_after: Duration::from_secs(20),
            pitch: 1,
        };
        let outcome = caller
            .call(handle.sip_addr(), "4001", &script, Duration::from_secs(20))
            .await
            .unwrap();
        assert!(matches!(outcome, CallOutcome::CenterHungUp(_)), "{outcome:?}");
        handle.stop(Duration::from_secs(2)).await;
        center.wait().await;

        let store = Store::open_file(&dir.path().join("data/ccd.db")).await.unwrap();
        let acme = "acme".parse().unwrap();
        let records = support::all_records(&store, &acme).await;
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].disposition, Some(Disposition::Answered));
        assert_eq!(records[0].queue.as_ref().map(cc_core::QueueId::as_str), Some("support"));
        let legs = store.legs(&acme, &records[0].contact).await.unwrap();
        let agents: Vec<(Option<&str>, Option<&str>)> = legs
            .iter()
            .filter(|l| l.role == "agent")
            .map(|l| (l.party.as_deref(), l.end_cause.as_deref()))
            .collect();
        assert_eq!(agents.len(), 2, "{legs:#?}");
        assert_eq!(agents[0], (Some("1001"), Some("transferred to queue support")));
        assert_eq!(agents[1].0, Some("1002"));
        assert!(legs.iter().filter(|l| l.role == "agent").all(|l| l.answered_at.is_some()), "{legs:#?}");
        store.close().await;
        caller.stop().await;
        sales.stop().await;
        support_phone.stop().await;
    })
    .await
    .expect("within a minute");
}

//! Commands, timers and statistics through the ABI, called from Rust the way a C
//! program calls it: strategies, overflow, reject on max wait, callbacks, stats.

#![allow(unsafe_code)]

use cc_ffi::{
    CC_NO_TIMEOUT, cc_command, cc_command_kind, cc_contact, cc_queue_stats, cc_result, cc_router,
    cc_router_accept, cc_router_agent_login, cc_router_complete, cc_router_enqueue, cc_router_free,
    cc_router_handle_timeout, cc_router_new, cc_router_poll_command, cc_router_poll_timeout,
    cc_router_queue_stats, cc_router_request_callback, cc_router_tenant_stats, cc_str,
};

fn s(text: &str) -> cc_str {
    cc_str {
        ptr: text.as_ptr().cast(),
        len: text.len(),
    }
}

fn text(s: cc_str) -> String {
    if s.len == 0 {
        return String::new();
    }
    // SAFETY: the router lent this string until its next call; we copy it at once.
    let bytes = unsafe { std::slice::from_raw_parts(s.ptr.cast::<u8>(), s.len) };
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

/// A router handle freed on drop, with helpers that assert `CC_OK`.
struct R(*mut cc_router);

impl R {
    fn new(config: &str) -> R {
        let mut router = std::ptr::null_mut();
        // SAFETY: `config` is readable; `router` is writable.
        let r = unsafe { cc_router_new(config.as_ptr().cast(), config.len(), &raw mut router) };
        assert_eq!(r, cc_result::CC_OK);
        R(router)
    }

    fn login(&self, agent: &str, now: u64) {
        // SAFETY: live handle; readable string.
        let code = unsafe { cc_router_agent_login(self.0, agent.as_ptr().cast(), agent.len(), now) };
        assert_eq!(code, cc_result::CC_OK);
    }

    fn enqueue(&self, id: &str, queue: &str, now: u64) {
        let contact = cc_contact {
            id: s(id),
            queue: s(queue),
            channel: 0,
            priority: 0,
            language: s(""),
            skills: s(""),
            preferred_agent: s(""),
        };
        // SAFETY: live handle; `contact` and its strings are readable.
        let code = unsafe { cc_router_enqueue(self.0, &raw const contact, now) };
        assert_eq!(code, cc_result::CC_OK);
    }

    /// Drained commands as `kind contact agent queue text` lines (announces left out).
    fn drain(&self) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            let mut cmd = std::mem::MaybeUninit::<cc_command>::uninit();
            // SAFETY: live handle; `cmd` is writable.
            let code = unsafe { cc_router_poll_command(self.0, cmd.as_mut_ptr()) };
            assert_eq!(code, cc_result::CC_OK);
            // SAFETY: written on CC_OK.
            let cmd = unsafe { cmd.assume_init() };
            let kind = match cmd.kind {
                cc_command_kind::CC_COMMAND_NONE => return out,
                cc_command_kind::CC_COMMAND_ANNOUNCE => continue,
                cc_command_kind::CC_COMMAND_OFFER => format!("offer@{}", cmd.lease_until_ms),
                cc_command_kind::CC_COMMAND_DIAL_CALLBACK => "dial_callback".to_owned(),
                cc_command_kind::CC_COMMAND_CANCEL_OFFER => "cancel".to_owned(),
                cc_command_kind::CC_COMMAND_OVERFLOW => "overflow".to_owned(),
                cc_command_kind::CC_COMMAND_REJECT => "reject".to_owned(),
            };
            let line = format!(
                "{kind} {} {} {} {}",
                text(cmd.contact),
                text(cmd.agent),
                text(cmd.queue),
                text(cmd.text)
            );
            out.push(line.trim_end().to_owned());
        }
    }

    fn timeout(&self) -> u64 {
        let mut at = 0;
        // SAFETY: live handle; `at` is writable.
        let code = unsafe { cc_router_poll_timeout(self.0, &raw mut at) };
        assert_eq!(code, cc_result::CC_OK);
        at
    }

    fn fire(&self, now: u64) {
        // SAFETY: live handle.
        assert_eq!(unsafe { cc_router_handle_timeout(self.0, now) }, cc_result::CC_OK);
    }
}

impl Drop for R {
    fn drop(&mut self) {
        // SAFETY: made by cc_router_new, freed once.
        unsafe { cc_router_free(self.0) };
    }
}

const AGENTS: &str = "[[agent]]\nid = \"a1\"\ntenants = { acme = { vip = 3 } }\n\
                      [[agent]]\nid = \"a2\"\ntenants = { acme = { vip = 9 } }\n";

#[test]
fn strategies_choose_differently() {
    // Longest idle: a1 logged in first, so it has waited longest.
    let r = R::new(&format!(
        "[[queue]]\nid = \"q\"\ntenant = \"acme\"\nstrategy = \"longest_idle\"\n{AGENTS}"
    ));
    r.login("a1", 0);
    r.login("a2", 10);
    r.enqueue("c1", "q", 20);
    assert_eq!(r.drain(), ["offer@15020 c1 a1 q"]);
    // Most skilled (queue needs skill vip): a2 has level 9.
    let r = R::new(&format!(
        "[[queue]]\nid = \"q\"\ntenant = \"acme\"\nstrategy = \"most_skilled\"\nskills = {{ vip = 1 }}\n{AGENTS}"
    ));
    r.login("a1", 0);
    r.login("a2", 10);
    r.enqueue("c1", "q", 20);
    assert_eq!(r.drain(), ["offer@15020 c1 a2 q"]);
}

#[test]
fn overflow_reject_callback_and_stats() {
    // Queues are added in order: an overflow may only name a queue listed before it.
    let bad = "[[queue]]\nid = \"main\"\ntenant = \"acme\"\n\
               overflow.no_agents = { kind = \"queue\", queue = \"backup\" }\n\
               [[queue]]\nid = \"backup\"\ntenant = \"acme\"\n";
    let mut router = std::ptr::null_mut();
    // SAFETY: `bad` is readable; `router` is writable.
    let code = unsafe { cc_router_new(bad.as_ptr().cast(), bad.len(), &raw mut router) };
    assert_eq!(code, cc_result::CC_CONFIG_ERROR);
    assert!(router.is_null(), "a failed cc_router_new wrote its out-param");
    let r = R::new(
        "[[queue]]\nid = \"backup\"\ntenant = \"acme\"\nmax_wait_ms = 3000\n\
         overflow.max_wait = { kind = \"external\", address = \"tel:+861012345678\" }\n\
         [[queue]]\nid = \"main\"\ntenant = \"acme\"\nring_timeout_ms = 1000\n\
         overflow.no_agents = { kind = \"queue\", queue = \"backup\" }\n\
         [[queue]]\nid = \"strict\"\ntenant = \"acme\"\nmax_wait_ms = 2000\n\
         [[agent]]\nid = \"a1\"\ntenants = { acme = {} }\n",
    );
    assert_eq!(r.timeout(), CC_NO_TIMEOUT);
    // No agent logged in: main sends the contact to backup (inside the router), where it waits.
    r.enqueue("c1", "main", 0);
    r.enqueue("c2", "strict", 0);
    let _ = r.drain();
    // backup's max wait passes first (3 s is later than strict's 2 s): strict rejects c2.
    assert_eq!(r.timeout(), 2000);
    r.fire(2000);
    assert_eq!(r.drain(), ["reject c2  strict max_wait"]);
    assert_eq!(r.timeout(), 3000);
    r.fire(3000);
    assert_eq!(r.drain(), ["overflow c1  backup tel:+861012345678"]);

    // A callback waits, then reaches the agent, which is reserved to dial it.
    r.enqueue("c3", "strict", 4000);
    let _ = r.drain();
    // SAFETY: live handle; readable strings.
    unsafe {
        assert_eq!(
            cc_router_request_callback(r.0, "c3".as_ptr().cast(), 2, 4100),
            cc_result::CC_OK
        );
        r.login("a1", 4200);
        assert_eq!(r.drain(), ["dial_callback c3 a1 strict"]);
        assert_eq!(
            cc_router_accept(r.0, "c3".as_ptr().cast(), 2, "a1".as_ptr().cast(), 2, 5000),
            cc_result::CC_OK
        );
        assert_eq!(
            cc_router_complete(r.0, "c3".as_ptr().cast(), 2, 65_000),
            cc_result::CC_OK
        );
        let mut stats = std::mem::MaybeUninit::<cc_queue_stats>::uninit();
        assert_eq!(
            cc_router_queue_stats(r.0, "strict".as_ptr().cast(), 6, 70_000, stats.as_mut_ptr()),
            cc_result::CC_OK
        );
        let stats = stats.assume_init();
        assert_eq!(
            (stats.entered, stats.rejected, stats.answered, stats.completed),
            (2, 1, 1, 1)
        );
        assert!((stats.asa_ms - 1000.0).abs() < 1e-9, "{}", stats.asa_ms);
        assert!((stats.aht_ms - 60_000.0).abs() < 1e-9, "{}", stats.aht_ms);
        let mut all = std::mem::MaybeUninit::<cc_queue_stats>::uninit();
        assert_eq!(
            cc_router_tenant_stats(r.0, "acme".as_ptr().cast(), 4, 70_000, all.as_mut_ptr()),
            cc_result::CC_OK
        );
        let all = all.assume_init();
        assert_eq!(all.callbacks, 1);
        assert_eq!(all.agents_logged_in, 1);
    }
}

#[test]
fn escalation_steps_and_long_wait_overflow_come_from_the_configuration() {
    // Only a level-8 agent may take the queue's contacts; after 1 s anyone with the skill.
    let config = "[[queue]]\nid = \"q\"\ntenant = \"acme\"\nskills = { vip = 8 }\n\
                  escalation = [{ after_ms = 1000, level = 1 }]\n\
                  [[agent]]\nid = \"a1\"\ntenants = { acme = { vip = 3 } }\n";
    let r = R::new(config);
    r.login("a1", 0);
    r.enqueue("c1", "q", 0);
    assert!(r.drain().iter().all(|c| !c.starts_with("offer")));
    assert_eq!(r.timeout(), 1000);
    r.fire(1000);
    let offers = r.drain();
    assert!(
        offers
            .iter()
            .any(|c| c.starts_with("offer") && c.contains("c1 a1")),
        "{offers:?}"
    );

    // Half a pair, or a step that both widens and leaves, is refused with the queue named.
    for bad in [
        "[[queue]]\nid = \"q\"\ntenant = \"acme\"\noverflow = { long_wait_ms = 5 }\n",
        "[[queue]]\nid = \"q\"\ntenant = \"acme\"\nescalation = [{ after_ms = 1 }]\n",
    ] {
        let mut router = std::ptr::null_mut();
        // SAFETY: `bad` is readable; `router` is writable.
        let code = unsafe { cc_router_new(bad.as_ptr().cast(), bad.len(), &raw mut router) };
        assert_eq!(code, cc_result::CC_CONFIG_ERROR, "{bad}");
        assert!(router.is_null());
    }
}

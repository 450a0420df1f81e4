//! Protection of a SIP edge against floods and scanners, sans-IO.
//!
//! [`Guard`] decides, for each datagram or stream message that arrives, whether the
//! [`UserAgent`](crate::ua::UserAgent) looks at it at all:
//!
//! - a per-source request rate limit with a ban, in the manner of Kamailio's `pike`:
//!   more than [`RateLimit::requests`] requests from one IP address within one
//!   [`RateLimit::window`] ban that address for [`RateLimit::ban`]; while banned, its
//!   requests are dropped without an answer (responses to our own requests still pass);
//! - a drop list of scanner `User-Agent`s (`friendly-scanner`, `sipvicious`, `sipcli`,
//!   `VaxSIPUserAgent`...): such requests are dropped without an answer, so the scanner
//!   learns nothing;
//!
//! and the user agent enforces the per-source limits on live incoming dialogs and live
//! server transactions ([`Protection::max_dialogs_per_source`],
//! [`Protection::max_transactions_per_source`]) by answering 503 with `Retry-After`.
//!
//! Addresses in [`Protection::trusted`] (a carrier's signalling IPs, an SBC) are never
//! rate limited or capped. Memory stays bounded: at most [`Protection::max_sources`]
//! addresses are tracked; when full, entries that carry no ban and whose window has
//! ended are swept, and a source that still finds no room is let through uncounted.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use cc_sip::protection::{Guard, Protection, RateLimit, Verdict};
//!
//! let mut config = Protection::default();
//! config.rate_limit = Some(RateLimit { requests: 3, window: Duration::from_secs(1), ban: Duration::from_secs(60) });
//! let mut guard = Guard::new(config);
//! let t0 = Instant::now();
//! let from = "192.0.2.9".parse().unwrap();
//! let options = b"OPTIONS sip:x@192.0.2.1 SIP/2.0\r\nUser-Agent: phone\r\n\r\n";
//! for _ in 0..3 {
//!     assert_eq!(guard.check(t0, from, options), Verdict::Accept);
//! }
//! assert_eq!(guard.check(t0, from, options), Verdict::Banned);
//! assert_eq!(guard.check(t0 + Duration::from_secs(30), from, options), Verdict::Banned);
//! assert_eq!(guard.check(t0 + Duration::from_secs(61), from, options), Verdict::Accept);
//! let scanner = b"OPTIONS sip:100@192.0.2.1 SIP/2.0\r\nUser-Agent: friendly-scanner\r\n\r\n";
//! assert_eq!(guard.check(t0 + Duration::from_secs(61), "198.51.100.4".parse().unwrap(), scanner), Verdict::Scanner);
//! ```

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The scanner `User-Agent`s dropped by default (matched as case-insensitive
/// substrings of the header value). Short names that legitimate agents could contain,
/// and `sipsak` (a health-check tool), are left out.
pub const SCANNER_USER_AGENTS: &[&str] = &[
    "friendly-scanner",
    "sipvicious",
    "sipcli",
    "vaxsipuseragent",
    "sip-scan",
    "sundayddr",
    "sivus",
    "pplsip",
];

/// The per-source request rate limit ([`Protection::rate_limit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests one IP address may send within one window.
    pub requests: u32,
    /// The length of the counting window.
    pub window: Duration,
    /// How long an address that went over is dropped.
    pub ban: Duration,
}

impl Default for RateLimit {
    /// 100 requests per 2 s, then a 120 s ban: far above a phone, below a flood. A
    /// carrier trunk sending many calls per second belongs in [`Protection::trusted`].
    fn default() -> Self {
        Self {
            requests: 100,
            window: Duration::from_secs(2),
            ban: Duration::from_secs(120),
        }
    }
}

/// What protects the user agent ([`crate::ua::UaConfig::protection`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protection {
    /// The per-source rate limit and ban; `None` (the default) counts nothing. A center
    /// behind one carrier IP should set it and list the carrier in `trusted`.
    pub rate_limit: Option<RateLimit>,
    /// `User-Agent` substrings (case-insensitive) whose requests are dropped;
    /// [`SCANNER_USER_AGENTS`] by default.
    pub blocked_user_agents: Vec<String>,
    /// Most live incoming dialogs (calls) from one IP address; beyond, INVITE gets 503.
    pub max_dialogs_per_source: Option<u32>,
    /// Most live server transactions from one IP address; beyond, a request gets 503.
    pub max_transactions_per_source: Option<u32>,
    /// Addresses exempt from the rate limit and the per-source caps.
    pub trusted: Vec<IpAddr>,
    /// Most addresses tracked by the rate limit.
    pub max_sources: usize,
}

impl Default for Protection {
    fn default() -> Self {
        Self {
            rate_limit: None,
            blocked_user_agents: SCANNER_USER_AGENTS.iter().map(|s| (*s).to_owned()).collect(),
            max_dialogs_per_source: None,
            max_transactions_per_source: None,
            trusted: Vec::new(),
            max_sources: 100_000,
        }
    }
}

/// What [`Guard::check`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Let it through.
    Accept,
    /// A request from a banned address (this one may have started the ban): drop it.
    Banned,
    /// A request from a scanner `User-Agent`: drop it.
    Scanner,
}

/// Counters of the protection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProtectionStats {
    /// Requests dropped because their source was banned.
    pub dropped_banned: u64,
    /// Bans started.
    pub bans: u64,
    /// Requests dropped for a scanner `User-Agent`.
    pub dropped_scanners: u64,
    /// INVITEs answered 503 for too many dialogs from their source.
    pub rejected_dialogs: u64,
    /// Requests answered 503 for too many transactions from their source.
    pub rejected_transactions: u64,
    /// Addresses tracked by the rate limit now.
    pub tracked_sources: u64,
}

#[derive(Debug, Clone, Copy)]
struct Source {
    window_start: Instant,
    count: u32,
    banned_until: Option<Instant>,
}

/// The sans-IO gate in front of the user agent. See the [module docs](self).
#[derive(Debug)]
pub struct Guard {
    config: Protection,
    /// The blocked agents, lowercased.
    blocked: Vec<Vec<u8>>,
    sources: HashMap<IpAddr, Source>,
    stats: ProtectionStats,
}

/// The value of the first `User-Agent` header in the header section of `bytes`.
fn user_agent(bytes: &[u8]) -> Option<&[u8]> {
    const NAME: &[u8] = b"user-agent";
    for line in bytes.split(|&b| b == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.len() > NAME.len() && line[..NAME.len()].eq_ignore_ascii_case(NAME) {
            let rest = line[NAME.len()..].trim_ascii_start();
            if let Some(value) = rest.strip_prefix(b":") {
                return Some(value.trim_ascii());
            }
        }
    }
    None
}

/// Whether `haystack` contains `needle` (lowercase), ignoring ASCII case.
fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack.len() >= needle.len()
        && haystack
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether `bytes` starts like a request (not a response, not a keep-alive).
fn is_request(bytes: &[u8]) -> bool {
    let start = bytes.trim_ascii_start();
    !start.is_empty() && !start.starts_with(b"SIP/")
}

impl Guard {
    /// A guard with `config`.
    pub fn new(config: Protection) -> Self {
        let blocked = config
            .blocked_user_agents
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.to_ascii_lowercase().into_bytes())
            .collect();
        Self {
            config,
            blocked,
            sources: HashMap::new(),
            stats: ProtectionStats::default(),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &Protection {
        &self.config
    }

    /// The counters.
    pub fn stats(&self) -> ProtectionStats {
        ProtectionStats {
            tracked_sources: self.sources.len() as u64,
            ..self.stats
        }
    }

    /// Whether `ip` is exempt from the limits.
    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        self.config.trusted.contains(&ip)
    }

    /// Whether `ip` is banned at `now`.
    pub fn is_banned(&self, now: Instant, ip: IpAddr) -> bool {
        self.sources
            .get(&ip)
            .and_then(|s| s.banned_until)
            .is_some_and(|t| t > now)
    }

    /// Decides about `bytes` (one datagram or framed message) from `ip` at `now`, and
    /// counts it. Responses and keep-alives are always accepted.
    pub fn check(&mut self, now: Instant, ip: IpAddr, bytes: &[u8]) -> Verdict {
        if !is_request(bytes) {
            return Verdict::Accept;
        }
        if !self.blocked.is_empty()
            && let Some(agent) = user_agent(bytes)
            && self.blocked.iter().any(|b| contains_ignore_case(agent, b))
        {
            self.stats.dropped_scanners += 1;
            return Verdict::Scanner;
        }
        let Some(limit) = self.config.rate_limit else {
            return Verdict::Accept;
        };
        if self.is_trusted(ip) {
            return Verdict::Accept;
        }
        if !self.sources.contains_key(&ip) && self.sources.len() >= self.config.max_sources {
            self.sweep(now, limit);
            if self.sources.len() >= self.config.max_sources {
                return Verdict::Accept;
            }
        }
        let source = self.sources.entry(ip).or_insert(Source {
            window_start: now,
            count: 0,
            banned_until: None,
        });
        if let Some(until) = source.banned_until {
            if until > now {
                self.stats.dropped_banned += 1;
                return Verdict::Banned;
            }
            source.banned_until = None;
            source.window_start = now;
            source.count = 0;
        }
        if now.saturating_duration_since(source.window_start) >= limit.window {
            source.window_start = now;
            source.count = 0;
        }
        source.count = source.count.saturating_add(1);
        if source.count > limit.requests {
            source.banned_until = Some(now + limit.ban);
            self.stats.bans += 1;
            self.stats.dropped_banned += 1;
            return Verdict::Banned;
        }
        Verdict::Accept
    }

    /// Forgets the sources that carry no ban and whose window has ended.
    fn sweep(&mut self, now: Instant, limit: RateLimit) {
        self.sources.retain(|_, s| {
            s.banned_until.is_some_and(|t| t > now)
                || now.saturating_duration_since(s.window_start) < limit.window
        });
    }

    pub(crate) fn note_rejected_dialog(&mut self) {
        self.stats.rejected_dialogs += 1;
    }

    pub(crate) fn note_rejected_transaction(&mut self) {
        self.stats.rejected_transactions += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    const REQ: &[u8] = b"OPTIONS sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\n\r\n";

    fn limited(requests: u32) -> Guard {
        Guard::new(Protection {
            rate_limit: Some(RateLimit {
                requests,
                window: Duration::from_secs(2),
                ban: Duration::from_secs(10),
            }),
            trusted: vec![ip("10.0.0.1")],
            ..Protection::default()
        })
    }

    #[test]
    fn over_the_rate_bans_for_the_ban_time_then_counts_afresh() {
        let mut g = limited(5);
        let t0 = Instant::now();
        let a = ip("192.0.2.7");
        for i in 0..5 {
            assert_eq!(
                g.check(t0 + Duration::from_millis(i * 100), a, REQ),
                Verdict::Accept
            );
        }
        assert_eq!(g.check(t0 + Duration::from_millis(600), a, REQ), Verdict::Banned);
        assert!(g.is_banned(t0 + Duration::from_secs(1), a));
        // Others are not affected.
        assert_eq!(
            g.check(t0 + Duration::from_millis(600), ip("192.0.2.8"), REQ),
            Verdict::Accept
        );
        // Responses from the banned address still pass.
        assert_eq!(
            g.check(t0 + Duration::from_secs(1), a, b"SIP/2.0 200 OK\r\n\r\n"),
            Verdict::Accept
        );
        assert_eq!(g.check(t0 + Duration::from_secs(10), a, REQ), Verdict::Banned);
        assert_eq!(
            g.check(t0 + Duration::from_millis(10_601), a, REQ),
            Verdict::Accept
        );
        let s = g.stats();
        assert_eq!(s.bans, 1);
        assert_eq!(s.dropped_banned, 2);
    }

    #[test]
    fn the_window_restarts_so_a_steady_rate_below_the_limit_passes() {
        let mut g = limited(5);
        let t0 = Instant::now();
        let a = ip("192.0.2.7");
        // 2 requests per second for a minute: 4 per 2 s window, never over 5.
        for i in 0..120 {
            assert_eq!(
                g.check(t0 + Duration::from_millis(i * 500), a, REQ),
                Verdict::Accept,
                "{i}"
            );
        }
        assert_eq!(g.stats().bans, 0);
    }

    #[test]
    fn trusted_sources_are_never_limited() {
        let mut g = limited(1);
        let t0 = Instant::now();
        for _ in 0..100 {
            assert_eq!(g.check(t0, ip("10.0.0.1"), REQ), Verdict::Accept);
        }
        assert_eq!(g.stats().tracked_sources, 0);
    }

    #[test]
    fn scanner_agents_are_dropped_whatever_their_case() {
        let mut g = Guard::new(Protection::default());
        let t0 = Instant::now();
        for agent in [
            "friendly-scanner",
            "SIPVicious 0.3",
            "sipcli/v1.8",
            "VaxSIPUserAgent/3.1",
            "x sundayddr",
        ] {
            let msg =
                format!("REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP x\r\nuser-agent :  {agent}\r\n\r\n");
            assert_eq!(
                g.check(t0, ip("192.0.2.7"), msg.as_bytes()),
                Verdict::Scanner,
                "{agent}"
            );
        }
        // A phone passes; a scanner name in the body is not a User-Agent.
        let phone =
            b"INVITE sip:x SIP/2.0\r\nUser-Agent: Yealink SIP-T46S\r\n\r\nUser-Agent: friendly-scanner";
        assert_eq!(g.check(t0, ip("192.0.2.7"), phone), Verdict::Accept);
        assert_eq!(g.stats().dropped_scanners, 5);
        // An empty drop list drops nothing.
        let mut open = Guard::new(Protection {
            blocked_user_agents: Vec::new(),
            ..Protection::default()
        });
        let scan = b"OPTIONS sip:x SIP/2.0\r\nUser-Agent: friendly-scanner\r\n\r\n";
        assert_eq!(open.check(t0, ip("192.0.2.7"), scan), Verdict::Accept);
    }

    #[test]
    fn tracked_sources_stay_bounded() {
        let mut g = Guard::new(Protection {
            rate_limit: Some(RateLimit {
                requests: 1,
                window: Duration::from_secs(1),
                ban: Duration::from_secs(100),
            }),
            max_sources: 10,
            ..Protection::default()
        });
        let t0 = Instant::now();
        for i in 0..50_u8 {
            let _ = g.check(t0, IpAddr::from([192, 0, 2, i]), REQ);
        }
        assert_eq!(g.stats().tracked_sources, 10);
        // After their windows ended, new sources find room again.
        let later = t0 + Duration::from_secs(2);
        assert_eq!(
            g.check(later, IpAddr::from([198, 51, 100, 1]), REQ),
            Verdict::Accept
        );
        assert_eq!(
            g.check(later, IpAddr::from([198, 51, 100, 1]), REQ),
            Verdict::Banned
        );
        assert!(g.stats().tracked_sources <= 10);
    }
}

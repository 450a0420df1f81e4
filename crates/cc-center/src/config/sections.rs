//! The tables of the configuration file, one type each.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use cc_acd::StrategyKind;
use cc_core::{AgentId, Channel, QueueId, SkillId, SkillLevel, TenantId};
use serde::Deserialize;

use super::Seconds;

/// `[center]`: the center as a whole.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CenterSection {
    /// Shown in logs and the wallboard.
    #[serde(default = "default_name")]
    pub name: String,
    /// Recordings, voicemail and the database live here.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Database URL: `sqlite://PATH` or `postgres://USER:PASSWORD@HOST:PORT/DB` (feature
    /// `postgres`, on by default; the database must exist, the center creates its tables);
    /// default `sqlite://<data_dir>/ccd.db`.
    #[serde(default)]
    pub storage: Option<String>,
    /// How long live calls may take to finish on a graceful stop.
    #[serde(default = "default_drain")]
    pub drain: Seconds,
}

fn default_name() -> String {
    "ccd".to_owned()
}
fn default_data_dir() -> PathBuf {
    PathBuf::from("ccd-data")
}
fn default_drain() -> Seconds {
    Seconds::secs(30)
}

impl Default for CenterSection {
    fn default() -> Self {
        Self {
            name: default_name(),
            data_dir: default_data_dir(),
            storage: None,
            drain: default_drain(),
        }
    }
}

/// `[sip]`: where the center listens for SIP.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SipSection {
    /// UDP (and TCP) listening address.
    #[serde(default = "default_sip_listen")]
    pub listen: SocketAddr,
    /// Also accept TCP on the same address.
    #[serde(default)]
    pub tcp: bool,
    /// The domain (and digest realm) agents register to, unless a tenant sets its own.
    #[serde(default = "default_domain")]
    pub domain: String,
    /// Digest algorithms offered to registering phones, most preferred first (RFC 7616):
    /// `sha-256`, `md5`. Phones that answer only the first challenge (SIPp) need `md5`
    /// first.
    #[serde(default = "default_digest")]
    pub digest: Vec<DigestAlgorithm>,
}

/// A digest algorithm for registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum DigestAlgorithm {
    /// SHA-256 (RFC 7616).
    #[serde(rename = "sha-256")]
    Sha256,
    /// MD5 (RFC 2617).
    #[serde(rename = "md5")]
    Md5,
}

fn default_digest() -> Vec<DigestAlgorithm> {
    vec![DigestAlgorithm::Sha256, DigestAlgorithm::Md5]
}

fn default_sip_listen() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 5060)
}
fn default_domain() -> String {
    "ccd.local".to_owned()
}

impl Default for SipSection {
    fn default() -> Self {
        Self {
            listen: default_sip_listen(),
            tcp: false,
            domain: default_domain(),
            digest: default_digest(),
        }
    }
}

/// `[rtp]`: media address and port range.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RtpSection {
    /// Address RTP sockets bind to and SDP announces.
    #[serde(default = "default_rtp_ip")]
    pub bind: IpAddr,
    /// Lowest port (even).
    #[serde(default = "default_port_min")]
    pub port_min: u16,
    /// Highest port.
    #[serde(default = "default_port_max")]
    pub port_max: u16,
    /// Media worker threads (0: one per core).
    #[serde(default)]
    pub workers: usize,
    /// A call whose caller sends no RTP this long is ended.
    #[serde(default = "default_rtp_timeout")]
    pub timeout: Seconds,
    /// Also listen for DTMF tones in callers' audio (for gateways that send neither
    /// RFC 4733 events nor SIP INFO); costs decoding every caller's audio.
    #[serde(default)]
    pub inband_dtmf: bool,
}

fn default_rtp_ip() -> IpAddr {
    IpAddr::V4(Ipv4Addr::LOCALHOST)
}
fn default_port_min() -> u16 {
    20_000
}
fn default_port_max() -> u16 {
    29_999
}
fn default_rtp_timeout() -> Seconds {
    Seconds::secs(30)
}

impl Default for RtpSection {
    fn default() -> Self {
        Self {
            bind: default_rtp_ip(),
            port_min: default_port_min(),
            port_max: default_port_max(),
            workers: 0,
            timeout: default_rtp_timeout(),
            inband_dtmf: false,
        }
    }
}

/// `[prompts]`: where recorded prompts live: `<root>/<language>/<key>.wav`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptSection {
    /// The folder with one sub-folder per language.
    #[serde(default)]
    pub root: Option<PathBuf>,
    /// The languages calls may be in; each needs its sub-folder with every prompt flows use.
    #[serde(default)]
    pub languages: Vec<String>,
    /// The language a call starts in unless its access number says otherwise.
    #[serde(default)]
    pub default_language: Option<String>,
}

/// Which calls are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordPolicy {
    /// Every answered call.
    #[default]
    All,
    /// None.
    None,
    /// Only calls of the queues listed in `queues`.
    Queues,
    /// A share of calls (`percent`), chosen by the contact id's hash (reproducible).
    Percent,
}

/// Stereo (caller left, agent right) or one mixed channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordLayout {
    /// Caller left, agent right.
    #[default]
    Stereo,
    /// Both mixed in one channel.
    Mixed,
}

/// `[recording]`: the recording policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingSection {
    /// Which calls.
    #[serde(default)]
    pub policy: RecordPolicy,
    /// The queues, for `policy = "queues"`.
    #[serde(default)]
    pub queues: Vec<QueueId>,
    /// The share, for `policy = "percent"` (0-100).
    #[serde(default = "default_percent")]
    pub percent: u8,
    /// Stereo or mixed.
    #[serde(default)]
    pub layout: RecordLayout,
    /// File format: `wav` (PCM, the default) or `opus` (Ogg/Opus, about a tenth the size).
    #[serde(default)]
    pub format: RecordFormat,
    /// Kept this many days, then deleted with their index entries (0: forever); a tenant's
    /// `recording_retention_days` overrides it.
    #[serde(default)]
    pub retention_days: u32,
}

/// The file format of recordings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordFormat {
    /// 16-bit PCM WAV.
    #[default]
    Wav,
    /// Opus in Ogg (RFC 7845).
    Opus,
}

fn default_percent() -> u8 {
    100
}

impl Default for RecordingSection {
    fn default() -> Self {
        Self {
            policy: RecordPolicy::All,
            queues: Vec::new(),
            percent: default_percent(),
            layout: RecordLayout::Stereo,
            format: RecordFormat::Wav,
            retention_days: 0,
        }
    }
}

/// `[http]`: the HTTP API (off unless `listen` is set).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSection {
    /// Where the API listens, e.g. `127.0.0.1:8080`.
    #[serde(default)]
    pub listen: Option<std::net::SocketAddr>,
    /// The keys clients present as `Authorization: Bearer KEY`.
    #[serde(default)]
    pub keys: Vec<ApiKey>,
}

/// `[[http.keys]]`: one API key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKey {
    /// The secret (at least 16 characters).
    pub key: String,
    /// The tenant the key is confined to; omit for a center-wide (operator) key.
    #[serde(default)]
    pub tenant: Option<TenantId>,
}

/// `[[tenant]]`: a client company.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// Its id.
    pub id: TenantId,
    /// Its display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The SIP domain (and digest realm) its dedicated agents register to.
    #[serde(default)]
    pub domain: Option<String>,
    /// How many days its recordings are kept (overrides `[recording] retention_days`;
    /// 0: forever).
    #[serde(default)]
    pub recording_retention_days: Option<u32>,
}

/// `[[number]]`: an access number (DID) and the flow that answers it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberConfig {
    /// The number as trunks send it in the Request-URI user part (e.g. `+864001234567`).
    pub did: String,
    /// The tenant; omit for a unified number whose flow picks the tenant by the queue.
    #[serde(default)]
    pub tenant: Option<TenantId>,
    /// The flow.
    pub flow: String,
    /// The language calls start in.
    #[serde(default)]
    pub language: Option<String>,
}

/// Transport toward a trunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrunkTransport {
    /// UDP.
    #[default]
    Udp,
    /// TCP.
    Tcp,
}

/// `[[trunk]]`: a carrier or gateway.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrunkConfig {
    /// Its id.
    pub id: String,
    /// Where its SIP traffic comes from and goes to.
    pub host: SocketAddr,
    /// Transport.
    #[serde(default)]
    pub transport: TrunkTransport,
    /// Digest user name, when the carrier challenges or wants registration.
    #[serde(default)]
    pub username: Option<String>,
    /// Digest password.
    #[serde(default)]
    pub password: Option<String>,
    /// Register to the carrier.
    #[serde(default)]
    pub register: bool,
    /// Caller id presented on outbound calls over this trunk (the From user); without
    /// it the customer's number is passed on.
    #[serde(default)]
    pub caller_id: Option<String>,
    /// Probe the carrier with OPTIONS this often (e.g. `"30s"`); its status (up/down) is
    /// logged and published as events. Off when absent.
    #[serde(default)]
    pub keepalive: Option<Seconds>,
    /// The registration's expiry asked of the carrier (default one hour).
    #[serde(default)]
    pub register_expires: Option<Seconds>,
}

/// `[[flow]]`: an IVR flow file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowConfig {
    /// Its id (numbers name it).
    pub id: String,
    /// The `.flow` file.
    pub file: PathBuf,
    /// Its tenant; omit for a flow shared by a unified number.
    #[serde(default)]
    pub tenant: Option<TenantId>,
}

/// `[[calendar]]`: business hours and holidays.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSection {
    /// Its id (flows name it).
    pub id: String,
    /// IANA time zone, e.g. `Asia/Shanghai`.
    pub time_zone: String,
    /// Day (`mon`...`sun`) → opening ranges (`"09:00-18:00"`).
    #[serde(default)]
    pub hours: BTreeMap<String, Vec<String>>,
    /// Closed dates (`YYYY-MM-DD`).
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Weekend dates worked as make-up days (调休).
    #[serde(default)]
    pub working_days: Vec<String>,
    /// Hours on make-up days (default: Monday's).
    #[serde(default)]
    pub working_day_hours: Option<Vec<String>>,
}

/// `[[list]]`: a list of numbers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListConfig {
    /// Its id (flows name it).
    pub id: String,
    /// The numbers.
    #[serde(default)]
    pub entries: Vec<String>,
    /// A file with one number per line (`#` comments), added to `entries`.
    #[serde(default)]
    pub file: Option<PathBuf>,
}

/// `[[hook]]`: a look-up a flow makes, answered from a table (the embedding API can answer
/// hooks itself instead).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookConfig {
    /// Its id (flows name it).
    pub id: String,
    /// First argument → answer.
    #[serde(default)]
    pub table: BTreeMap<String, String>,
    /// The answer for arguments not in the table; without it such a look-up fails.
    #[serde(default)]
    pub default: Option<String>,
}

/// `[[external]]`: a destination outside the center.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalConfig {
    /// Its id (flows and overflow rules name it).
    pub id: String,
    /// A SIP URI, e.g. `sip:overflow@partner.example:5060`.
    pub uri: String,
}

/// `[[mailbox]]`: a voicemail box.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailboxConfig {
    /// Its id (flows name it).
    pub id: String,
    /// Its tenant.
    pub tenant: TenantId,
}

/// `[[queue]]`: an ACD queue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSection {
    /// Its id.
    pub id: QueueId,
    /// Its tenant.
    pub tenant: TenantId,
    /// How agents are chosen.
    #[serde(default)]
    pub strategy: Option<StrategyKind>,
    /// Skill → minimum level, required of every contact.
    #[serde(default)]
    pub skills: BTreeMap<SkillId, SkillLevel>,
    /// Service-level threshold (default 20 s).
    #[serde(default)]
    pub service_level: Option<Seconds>,
    /// Abandons within this are short (default 5 s).
    #[serde(default)]
    pub short_abandon: Option<Seconds>,
    /// Most contacts waiting at once.
    #[serde(default)]
    pub max_waiting: Option<usize>,
    /// Longest wait.
    #[serde(default)]
    pub max_wait: Option<Seconds>,
    /// How long an offer rings (the reservation lease; default 15 s).
    #[serde(default)]
    pub ring_timeout: Option<Seconds>,
    /// After-call work time (default none).
    #[serde(default)]
    pub wrap_up: Option<Seconds>,
    /// Missed offers in a row before auto-pause.
    #[serde(default)]
    pub max_no_answers: Option<u32>,
    /// Handle time assumed for estimated waits (default 180 s).
    #[serde(default)]
    pub default_handle_time: Option<Seconds>,
    /// Conditional overflow destinations.
    #[serde(default)]
    pub overflow: OverflowSection,
    /// Timed escalation steps.
    #[serde(default)]
    pub escalation: Vec<EscalationSection>,
}

/// Where a contact goes: `queue:ID`, `agent:ID`, `external:ID` or `flow:ID`.
pub type DestinationSpec = String;

/// `[queue.overflow]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverflowSection {
    /// On arrival with no agent logged in.
    #[serde(default)]
    pub no_agents: Option<DestinationSpec>,
    /// On arrival with the queue full.
    #[serde(default)]
    pub queue_full: Option<DestinationSpec>,
    /// When `max_wait` passes.
    #[serde(default)]
    pub max_wait: Option<DestinationSpec>,
    /// On arrival when the estimated wait is above `long_wait_after`.
    #[serde(default)]
    pub long_wait: Option<DestinationSpec>,
    /// The estimated wait above which `long_wait` applies.
    #[serde(default)]
    pub long_wait_after: Option<Seconds>,
}

/// `[[queue.escalation]]`: after `after` in the queue, widen to `level` or leave for `to`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationSection {
    /// Time in the queue.
    pub after: Seconds,
    /// Cap every required skill level at this.
    #[serde(default)]
    pub level: Option<SkillLevel>,
    /// Or leave for this destination.
    #[serde(default)]
    pub to: Option<DestinationSpec>,
}

/// `[[agent]]`: a seat.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    /// Its id; also the SIP user name unless `sip_user` says otherwise.
    pub id: AgentId,
    /// SIP user name the phone registers with.
    #[serde(default)]
    pub sip_user: Option<String>,
    /// SIP digest password.
    #[serde(default)]
    pub password: Option<String>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Tenant → (skill → level): one tenant is a dedicated seat, several a shared seat.
    pub tenants: BTreeMap<TenantId, BTreeMap<SkillId, SkillLevel>>,
    /// Channel → contacts at once (default one voice call).
    #[serde(default)]
    pub capacity: Option<BTreeMap<Channel, u8>>,
    /// A fixed SIP contact (`sip:1001@192.0.2.7:5060`) used while the phone has no
    /// registration: desk phones provisioned without REGISTER.
    #[serde(default)]
    pub contact: Option<String>,
    /// A remote seat: the agent's mobile or PSTN number, reached over `trunk`.
    #[serde(default)]
    pub pstn: Option<String>,
    /// The trunk for `pstn`.
    #[serde(default)]
    pub trunk: Option<String>,
    /// Logged in and ready when the center starts.
    #[serde(default)]
    pub auto_login: bool,
    /// Tenants whose calls this agent supervises (listen, whisper, barge, force release);
    /// a supervisor who takes no calls has `tenants = {}`.
    #[serde(default)]
    pub supervises: Vec<TenantId>,
}

impl AgentConfig {
    /// The SIP user name.
    pub fn sip_user(&self) -> &str {
        self.sip_user.as_deref().unwrap_or(self.id.as_str())
    }
}

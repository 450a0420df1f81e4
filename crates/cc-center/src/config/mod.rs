//! The center's configuration: one TOML file.
//!
//! [`CenterConfig::from_toml`] reads the text and names the key path of any value it
//! refuses; [`CenterConfig::check`] (in [`check`]) then finds what the types cannot say —
//! references to tenants, queues and flows that do not exist, overlapping port ranges, flows
//! that do not compile against what the configuration offers — and reports every problem
//! at once with its key path or `file:line:col`.
//!
//! ```toml
//! [center]
//! name = "Demo center"
//! data_dir = "ccd-data"
//!
//! [sip]
//! listen = "127.0.0.1:5060"
//!
//! [[tenant]]
//! id = "acme"
//!
//! [[number]]
//! did = "+864001234567"
//! tenant = "acme"
//! flow = "hotline"
//!
//! [[flow]]
//! id = "hotline"
//! file = "flows/hotline.flow"
//! tenant = "acme"
//!
//! [[queue]]
//! id = "support"
//! tenant = "acme"
//! ring_timeout = "15s"
//!
//! [[agent]]
//! id = "1001"
//! password = "secret"
//! tenants = { acme = { tech = 8, "lang:zh-CN" = 9 } }
//! ```

pub(crate) mod build;
pub mod check;
mod duration;
mod sections;

pub use build::Engines;
pub use check::Problem;
pub use duration::Seconds;
pub use sections::*;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole configuration of a center.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CenterConfig {
    /// Name, data directory, storage.
    #[serde(default)]
    pub center: CenterSection,
    /// SIP listening address and domain.
    #[serde(default)]
    pub sip: SipSection,
    /// RTP address and port range.
    #[serde(default)]
    pub rtp: RtpSection,
    /// Prompt folders per language.
    #[serde(default)]
    pub prompts: PromptSection,
    /// Which calls are recorded, and how.
    #[serde(default)]
    pub recording: RecordingSection,
    /// The HTTP API.
    #[serde(default)]
    pub http: HttpSection,
    /// Client companies served.
    #[serde(default, rename = "tenant")]
    pub tenants: Vec<TenantConfig>,
    /// Access numbers (DIDs).
    #[serde(default, rename = "number")]
    pub numbers: Vec<NumberConfig>,
    /// Carriers and gateways.
    #[serde(default, rename = "trunk")]
    pub trunks: Vec<TrunkConfig>,
    /// IVR flows.
    #[serde(default, rename = "flow")]
    pub flows: Vec<FlowConfig>,
    /// Business-hours calendars.
    #[serde(default, rename = "calendar")]
    pub calendars: Vec<CalendarSection>,
    /// Number lists (blacklist, VIP list).
    #[serde(default, rename = "list")]
    pub lists: Vec<ListConfig>,
    /// Look-ups flows make (CRM tables).
    #[serde(default, rename = "hook")]
    pub hooks: Vec<HookConfig>,
    /// Named destinations outside the center (outsourcing partner, branch office).
    #[serde(default, rename = "external")]
    pub externals: Vec<ExternalConfig>,
    /// Voicemail boxes.
    #[serde(default, rename = "mailbox")]
    pub mailboxes: Vec<MailboxConfig>,
    /// ACD queues.
    #[serde(default, rename = "queue")]
    pub queues: Vec<QueueSection>,
    /// Agents (seats).
    #[serde(default, rename = "agent")]
    pub agents: Vec<AgentConfig>,
    /// The folder relative paths in the file are resolved against (the file's folder).
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// A configuration that could not be read: the file, or the TOML, or a value's type.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML is malformed, or a value has the wrong type or an unknown key.
    #[error("{file}{location}: {path}: {message}")]
    Invalid {
        /// The file (empty for text).
        file: String,
        /// `:line:col` when known.
        location: String,
        /// The key path, e.g. `queue[2].ring_timeout`.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl CenterConfig {
    /// Reads a configuration file; relative paths in it are resolved against its folder.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config = Self::parse(&text, &path.display().to_string())?;
        config.base_dir = path.parent().map(Path::to_owned).unwrap_or_default();
        Ok(config)
    }

    /// Reads configuration text (relative paths resolve against the current folder).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        Self::parse(text, "")
    }

    fn parse(text: &str, file: &str) -> Result<Self, ConfigError> {
        let deserializer = toml::Deserializer::parse(text).map_err(|e| ConfigError::Invalid {
            file: file.to_owned(),
            location: location(text, e.span()),
            path: "(document)".to_owned(),
            message: e.message().to_owned(),
        })?;
        serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            ConfigError::Invalid {
                file: file.to_owned(),
                location: location(text, inner.span()),
                path,
                message: inner.message().to_owned(),
            }
        })
    }

    /// A path from the file, resolved against the file's folder.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_owned()
        } else {
            self.base_dir.join(path)
        }
    }

    /// The data directory (recordings, database), resolved.
    pub fn data_dir(&self) -> PathBuf {
        self.resolve(&self.center.data_dir)
    }
}

/// `:line:col` (1-based) of a byte span's start, or nothing.
fn location(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    let Some(span) = span else {
        return String::new();
    };
    let upto = &text[..span.start.min(text.len())];
    let line = upto.matches('\n').count() + 1;
    let col = upto.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!(":{line}:{col}")
}

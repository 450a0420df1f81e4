//! Where recordings go: the [`RecordingStore`] trait and the built-in [`LocalStore`].

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use cc_core::{RecordingId, TenantId};

use super::RecordingFormat;
use crate::error::{Error, Result};

/// The bytes of one recording while it is written: the recorder appends audio, seeks back
/// to update the WAV header, and reads the file once at the end to hash it.
pub trait RecordingSink: Read + Write + Seek + Send {
    /// Where the recording is being written, for error messages and metadata.
    fn location(&self) -> &Path;

    /// Makes what was written durable (e.g. `fsync`).
    fn sync(&mut self) -> io::Result<()>;
}

/// Where recordings go: the recorder asks a store for a sink when a recording starts and
/// hands the sink back when it stops. Implement it to record to object storage, a database
/// or a network share; [`LocalStore`] writes local files per tenant.
pub trait RecordingStore: Send + Sync {
    /// Opens the sink of a new recording.
    fn create(&self, tenant: &TenantId, recording: &RecordingId) -> Result<Box<dyn RecordingSink>>;

    /// Opens the sink of a new recording in `format` (what the recorder calls). The
    /// default ignores the format and calls [`create`](Self::create); stores that name
    /// files by their kind override it.
    fn create_as(
        &self,
        tenant: &TenantId,
        recording: &RecordingId,
        format: RecordingFormat,
    ) -> Result<Box<dyn RecordingSink>> {
        let _ = format;
        self.create(tenant, recording)
    }

    /// Completes a recording whose sink holds the final bytes, and says where it now lies.
    fn finish(
        &self,
        tenant: &TenantId,
        recording: &RecordingId,
        sink: Box<dyn RecordingSink>,
    ) -> Result<PathBuf>;
}

/// A recording sink over a local file.
#[derive(Debug)]
pub struct FileSink {
    file: File,
    path: PathBuf,
}

impl FileSink {
    /// Creates (or truncates) the file at `path`.
    pub fn create(path: &Path) -> Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|source| io_error(path, source))?;
        Ok(Self {
            file,
            path: path.to_owned(),
        })
    }

    /// Creates the file at `path`, failing if it exists.
    pub fn create_new(path: &Path) -> Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|source| io_error(path, source))?;
        Ok(Self {
            file,
            path: path.to_owned(),
        })
    }
}

impl Read for FileSink {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf)
    }
}

impl Write for FileSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Seek for FileSink {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.file.seek(pos)
    }
}

impl RecordingSink for FileSink {
    fn location(&self) -> &Path {
        &self.path
    }

    fn sync(&mut self) -> io::Result<()> {
        self.file.sync_all()
    }
}

pub(crate) fn io_error(path: &Path, source: io::Error) -> Error {
    Error::Io {
        path: path.to_owned(),
        source,
    }
}

/// The built-in store: one directory per tenant under a root, `RECORDING.wav.part` while a
/// recording is written and `RECORDING.wav` once it stopped (`.opus` for Ogg/Opus).
///
/// A `.part` file left by a crash is a playable WAV up to the last header update (see the
/// [recorder](super) docs); [`LocalStore::list`] lists finished recordings only.
#[derive(Clone, Debug)]
pub struct LocalStore {
    root: PathBuf,
}

/// The suffix of a recording still being written.
pub const PART_SUFFIX: &str = ".part";

impl LocalStore {
    /// A store under `root` (created on first use).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of a tenant's recordings.
    pub fn tenant_dir(&self, tenant: &TenantId) -> Result<PathBuf> {
        Ok(self.root.join(file_name("tenant id", tenant.as_str())?))
    }

    /// Where a finished WAV recording lies.
    pub fn final_path(&self, tenant: &TenantId, recording: &RecordingId) -> Result<PathBuf> {
        self.final_path_as(tenant, recording, RecordingFormat::Wav)
    }

    /// Where a finished recording in `format` lies.
    pub fn final_path_as(
        &self,
        tenant: &TenantId,
        recording: &RecordingId,
        format: RecordingFormat,
    ) -> Result<PathBuf> {
        let name = file_name("recording id", recording.as_str())?;
        Ok(self
            .tenant_dir(tenant)?
            .join(format!("{name}.{}", format.extension())))
    }

    /// Where a WAV recording lies while it is written.
    pub fn part_path(&self, tenant: &TenantId, recording: &RecordingId) -> Result<PathBuf> {
        self.part_path_as(tenant, recording, RecordingFormat::Wav)
    }

    /// Where a recording in `format` lies while it is written.
    pub fn part_path_as(
        &self,
        tenant: &TenantId,
        recording: &RecordingId,
        format: RecordingFormat,
    ) -> Result<PathBuf> {
        let name = file_name("recording id", recording.as_str())?;
        Ok(self
            .tenant_dir(tenant)?
            .join(format!("{name}.{}{PART_SUFFIX}", format.extension())))
    }

    /// The finished recordings of one tenant, sorted; never another tenant's.
    pub fn list(&self, tenant: &TenantId) -> Result<Vec<RecordingId>> {
        let dir = self.tenant_dir(tenant)?;
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error(&dir, e)),
        };
        let mut ids = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error(&dir, e))?;
            let name = entry.file_name();
            if let Some(stem) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".wav").or_else(|| n.strip_suffix(".opus")))
                && let Ok(id) = RecordingId::new(stem)
            {
                ids.push(id);
            }
        }
        ids.sort();
        Ok(ids)
    }
}

/// Ids may hold `.`; refuse the two names that would leave the directory.
fn file_name<'a>(what: &'static str, id: &'a str) -> Result<&'a str> {
    if id == "." || id == ".." {
        return Err(Error::InvalidSetting {
            name: what,
            value: id.to_owned(),
            expected: "an id usable as a file name (not `.` or `..`)",
        });
    }
    Ok(id)
}

impl RecordingStore for LocalStore {
    fn create(&self, tenant: &TenantId, recording: &RecordingId) -> Result<Box<dyn RecordingSink>> {
        self.create_as(tenant, recording, RecordingFormat::Wav)
    }

    fn create_as(
        &self,
        tenant: &TenantId,
        recording: &RecordingId,
        format: RecordingFormat,
    ) -> Result<Box<dyn RecordingSink>> {
        let dir = self.tenant_dir(tenant)?;
        std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        for kind in [RecordingFormat::Wav, RecordingFormat::OggOpus] {
            let done = self.final_path_as(tenant, recording, kind)?;
            if done.exists() {
                return Err(io_error(
                    &done,
                    io::Error::new(io::ErrorKind::AlreadyExists, "a recording with this id exists"),
                ));
            }
        }
        Ok(Box::new(FileSink::create_new(
            &self.part_path_as(tenant, recording, format)?,
        )?))
    }

    fn finish(
        &self,
        tenant: &TenantId,
        recording: &RecordingId,
        mut sink: Box<dyn RecordingSink>,
    ) -> Result<PathBuf> {
        let part = sink.location().to_owned();
        sink.sync().map_err(|e| io_error(&part, e))?;
        drop(sink);
        let format = if part.to_string_lossy().ends_with(&format!(".opus{PART_SUFFIX}")) {
            RecordingFormat::OggOpus
        } else {
            RecordingFormat::Wav
        };
        let done = self.final_path_as(tenant, recording, format)?;
        std::fs::rename(&part, &done).map_err(|e| io_error(&done, e))?;
        Ok(done)
    }
}

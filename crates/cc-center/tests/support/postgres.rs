//! A throwaway PostgreSQL server for tests: `initdb` into a temporary folder, `postgres`
//! listening on 127.0.0.1 at a free port, killed and deleted on drop.
//!
//! It needs the PostgreSQL server binaries (`scripts/test.sh` installs the `postgresql`
//! package) and fails the test with a clear message without them. As root it runs the server
//! as the `postgres` user (the server refuses to run as root).

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server; dropping it stops the server and deletes its files.
pub(crate) struct TempPostgres {
    child: Child,
    /// `postgres://cc@127.0.0.1:PORT/postgres`.
    pub(crate) url: String,
    _dir: tempfile::TempDir,
}

/// The folder holding `initdb` and `postgres`: `$CC_TEST_PG_BINDIR`, Debian's
/// `/usr/lib/postgresql/<version>/bin` (newest), or `pg_config --bindir`.
fn bindir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CC_TEST_PG_BINDIR") {
        return PathBuf::from(dir);
    }
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").is_file())
        .collect();
    debian.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    if let Some(dir) = debian.pop() {
        return dir;
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").is_file() {
            return dir;
        }
    }
    panic!(
        "PostgreSQL server binaries (initdb, postgres) not found: install the `postgresql` \
         package (scripts/test.sh does) or set CC_TEST_PG_BINDIR"
    );
}

/// `(uid, gid)` of the `postgres` user when we are root, from `/etc/passwd`.
fn run_as() -> Option<(u32, u32)> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    let line = passwd
        .lines()
        .find(|l| l.starts_with("postgres:"))
        .expect("running as root needs a `postgres` user (the postgresql package creates it)");
    let fields: Vec<&str> = line.split(':').collect();
    Some((fields[2].parse().unwrap(), fields[3].parse().unwrap()))
}

fn command(program: &Path, user: Option<(u32, u32)>) -> Command {
    let mut cmd = Command::new(program);
    if let Some((uid, gid)) = user {
        cmd.uid(uid).gid(gid);
    }
    cmd
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl TempPostgres {
    /// Creates a cluster and starts its server; returns once it accepts connections.
    pub(crate) fn start() -> Self {
        let bin = bindir();
        let user = run_as();
        // Under /tmp, which the `postgres` user can reach (a TMPDIR under /root it cannot).
        let dir = tempfile::Builder::new()
            .prefix("cc-pg-")
            .tempdir_in("/tmp")
            .unwrap();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
        }
        let data = dir.path().join("data");
        let out = command(&bin.join("initdb"), user)
            .args([
                "-A",
                "trust",
                "-U",
                "cc",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "-D",
            ])
            .arg(&data)
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let child = command(&bin.join("postgres"), user)
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-h", "127.0.0.1", "-k"])
            .arg(dir.path())
            // A test database: durability of the server itself is not under test.
            .args(["-c", "fsync=off", "-c", "max_connections=40"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start postgres");
        let server = Self {
            child,
            url: format!("postgres://cc@127.0.0.1:{port}/postgres"),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok()
                && command(&bin.join("pg_isready"), None)
                    .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
                    .status()
                    .is_ok_and(|s| s.success());
            if ready {
                return server;
            }
            assert!(Instant::now() < deadline, "postgres did not start within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

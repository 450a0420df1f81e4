"""A real call through a center run from Python: a SIPp agent phone registers (digest) and
answers, a SIPp caller keys 1 by RFC 4733 through the IVR; the events arrive in Python.

Uses the SIPp scenarios of the Rust end-to-end test (crates/cc-center/tests/data/sipp) and
RTP ports 36500-36599 of its own.
"""

from __future__ import annotations

import math
import shutil
import socket
import struct
import subprocess
import threading
import time
import wave
from pathlib import Path
from typing import Any, Dict, List

import pytest

from ccsdk import Center

REPO = Path(__file__).resolve().parents[3]
SCENARIOS = REPO / "crates" / "cc-center" / "tests" / "data" / "sipp"

pytestmark = pytest.mark.skipif(
    shutil.which("sipp") is None or shutil.which("sox") is None,
    reason="scripts/test.sh installs sip-tester and sox",
)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prompt(path: Path, hz: float) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(5000 * math.sin(2 * math.pi * hz * i / 8000))) for i in range(4000)))


def write_center(folder: Path) -> Path:
    (folder / "hotline.flow").write_text(
        'flow hotline\nmain {\n    play "welcome" barge\n'
        '    menu prompt "main_menu" timeout 8s retries 1 {\n'
        '        1 -> enqueue "sales" timeout 30s music "hold" else { play "busy" }\n'
        '    } else { hangup }\n    play "goodbye"\n    hangup\n}\n',
        encoding="utf-8",
    )
    prompts = folder / "prompts" / "en"
    prompts.mkdir(parents=True)
    for key in ["welcome", "main_menu", "hold", "busy", "goodbye"]:
        prompt(prompts / f"{key}.wav", 600)
    path = folder / "center.toml"
    path.write_text(
        """
[center]
data_dir = "data"
[sip]
listen = "127.0.0.1:0"
domain = "127.0.0.1"
digest = ["md5"]
[rtp]
port_min = 36500
port_max = 36599
workers = 1
[prompts]
root = "prompts"
languages = ["en"]
default_language = "en"
[[tenant]]
id = "acme"
[[tenant]]
id = "globex"
[[number]]
did = "4001"
tenant = "acme"
flow = "hotline"
[[flow]]
id = "hotline"
file = "hotline.flow"
tenant = "acme"
[[queue]]
id = "sales"
tenant = "acme"
ring_timeout = "6s"
[[agent]]
id = "1001"
password = "pw-1001"
tenants = { acme = {} }
auto_login = true
""",
        encoding="utf-8",
    )
    return path


def scenario(folder: Path, name: str, key: str = "", value: str = "") -> Path:
    text = (SCENARIOS / name).read_text(encoding="utf-8")
    out = folder / name
    out.write_text(text.replace(key, value) if key else text, encoding="utf-8")
    return out


def sipp(port: int, xml: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        ["sipp", f"127.0.0.1:{port}", "-sf", str(xml), *args, "-i", "127.0.0.1", "-timeout", "40s", "-timeout_error", "-nostdin"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def finish(proc: subprocess.Popen, limit: float) -> int:
    try:
        proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
    return proc.returncode


def test_a_sipp_call_reaches_a_registered_agent_and_python_hears_of_it(tmp_path: Path) -> None:
    for name, hz in [("agent.wav", 1000), ("caller.wav", 440)]:
        subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-e", "u-law", str(tmp_path / name), "synth", "4", "sine", str(hz)], check=True)
    events: List[Dict[str, Any]] = []
    ended = threading.Event()

    def on_event(event: Dict[str, Any]) -> None:
        events.append(event)
        if event["event"] == "contact_ended":
            ended.set()

    with Center(write_center(tmp_path), on_event=on_event) as center:
        port = center.sip_port
        uas_port = str(free_udp_port())
        agent = sipp(port, scenario(tmp_path, "agent_answer.xml", "[agent_wav]", str(tmp_path / "agent.wav")), "-m", "1", "-p", uas_port, "-mp", str(free_udp_port()))
        register = sipp(port, scenario(tmp_path, "agent_register.xml"), "-m", "1", "-s", "1001", "-p", str(free_udp_port()), "-key", "uas_port", uas_port, "-au", "1001", "-ap", "pw-1001")
        assert finish(register, 20) == 0
        deadline = time.monotonic() + 5
        while not center.registrations("1001") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any(uas_port in c for c in center.registrations("1001"))

        caller = sipp(port, scenario(tmp_path, "caller.xml", "[caller_wav]", str(tmp_path / "caller.wav")), "-m", "1", "-s", "4001", "-p", str(free_udp_port()), "-mp", str(free_udp_port()))
        assert finish(caller, 60) == 0
        assert finish(agent, 10) == 0
        assert ended.wait(10), events
        assert center.contacts("globex") == []
        center.stop(drain_s=1.0)

    seqs = [e["seq"] for e in events]
    assert seqs == list(range(1, len(seqs) + 1)), "numbered from 1 without a gap"
    done = [e for e in events if e["event"] == "contact_ended"]
    assert len(done) == 1
    assert done[0]["tenant"] == "acme"
    assert done[0]["disposition"] == "answered"
    assert done[0]["agent"] == "1001"
    assert done[0]["queue"] == "sales"
    assert any(e["event"] == "registered" for e in events)
    statuses = [e["status"] for e in events if e["event"] == "agent" and e["agent"] == "1001"]
    assert "busy" in statuses and statuses[-1] in ("ready", "wrap_up")

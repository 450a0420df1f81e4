"""A running center through the binding: agents, events as dicts, snapshots, tenants, errors.

Each test writes a small configuration to its tmp_path: two tenants with a queue each, an
agent per tenant with a fixed SIP contact (no phone registers), SIP on 127.0.0.1:0 and RTP
ports 36250-36399 (a range of its own per test; the Rust tests take 36100-36249).
"""

from __future__ import annotations

import gc
import json
import threading
import urllib.request
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

import ccsdk
from ccsdk import Center


def write_config(folder: Path, rtp: int) -> Path:
    path = folder / "center.toml"
    path.write_text(
        f"""
[center]
data_dir = "data"

[sip]
listen = "127.0.0.1:0"
domain = "py.test"

[rtp]
bind = "127.0.0.1"
port_min = {rtp}
port_max = {rtp + 24}
workers = 1

[[tenant]]
id = "acme"

[[tenant]]
id = "globex"

[[queue]]
id = "sales"
tenant = "acme"

[[queue]]
id = "care"
tenant = "globex"

[[agent]]
id = "1001"
contact = "sip:1001@127.0.0.1:5999"
tenants = {{ acme = {{}} }}

[[agent]]
id = "2001"
contact = "sip:2001@127.0.0.1:5998"
tenants = {{ globex = {{}} }}
""",
        encoding="utf-8",
    )
    return path


class Recorder:
    """Collects events; notes which thread delivered each and whether calls overlapped."""

    def __init__(self) -> None:
        self.events: List[Dict[str, Any]] = []
        self.threads: set[int] = set()
        self.active = 0
        self.overlapped = False
        self.lock = threading.Lock()

    def __call__(self, event: Dict[str, Any]) -> None:
        with self.lock:
            self.active += 1
            self.overlapped = self.overlapped or self.active > 1
        self.threads.add(threading.get_ident())
        self.events.append(event)
        with self.lock:
            self.active -= 1


def test_agents_events_and_snapshot(tmp_path: Path) -> None:
    seen = Recorder()
    with Center(write_config(tmp_path, 36250), on_event=seen) as center:
        assert center.sip_port > 0
        assert center.http_port == 0  # no [http] listen
        center.login("1001")
        center.not_ready("1001", "lunch")
        center.ready("1001")
        center.logout("1001")
        center.login("2001", ready=False)

        snap = center.snapshot()
        queues = {q["queue"]: q for q in snap["queues"]}
        assert set(queues) == {"sales", "care"}
        assert queues["sales"]["tenant"] == "acme"
        assert queues["care"]["tenant"] == "globex"
        assert queues["care"]["agents_not_ready"] == 1
        assert queues["sales"]["agents_ready"] == 0
        assert snap["summary"]["live_calls"] == 0
        assert center.contacts("acme") == [] and center.contacts("globex") == []
        assert center.contacts("nobody") == []
        with pytest.raises(ccsdk.InvalidArgumentError):
            center.contacts("not a tenant!")
        assert center.registrations("1001") == []

        center.stop(drain_s=0.5)
        count = len(seen.events)
        center.stop()  # again: nothing happens

    assert center.closed
    time.sleep(0.1)
    assert len(seen.events) == count, "no event after stop returned"
    assert [e["seq"] for e in seen.events] == list(range(seen.events[0]["seq"], seen.events[0]["seq"] + count))
    assert all(e["event"] == "agent" for e in seen.events)
    acme = [(e["status"], e["reason"]) for e in seen.events if e["agent"] == "1001"]
    assert [s for s, _ in acme] == ["ready", "not_ready", "ready", "logged_out"]
    assert acme[1][1] == "lunch"
    # Events carry their tenant: acme's agent never shows up as globex's, nor the reverse.
    assert {e["tenant"] for e in seen.events if e["agent"] == "1001"} == {"acme"}
    assert [(e["tenant"], e["status"]) for e in seen.events if e["agent"] == "2001"] == [
        ("globex", "not_ready")
    ]
    # One thread of the library's delivered them, one at a time, not this one.
    assert len(seen.threads) == 1 and threading.get_ident() not in seen.threads
    assert not seen.overlapped


def test_refusals_raise_typed_errors(tmp_path: Path) -> None:
    with Center(write_config(tmp_path, 36276)) as center:
        with pytest.raises(ccsdk.NotFoundError) as err:
            center.login("9999")
        assert "9999" in err.value.message
        assert err.value.message.startswith("cc_center_agent_login: ")
        center.login("1001")
        with pytest.raises(ccsdk.InvalidStateError):
            center.login("1001")
        with pytest.raises(ccsdk.InvalidArgumentError):
            center.ready("")
        with pytest.raises(ccsdk.InvalidUtf8Error):
            center.logout(b"\xff1")
        with pytest.raises(ValueError):
            center.stop(drain_s=-1)
        center.stop()
        with pytest.raises(ccsdk.InvalidStateError) as err:
            center.snapshot()
        assert "stopped" in err.value.message
        with pytest.raises(ccsdk.InvalidStateError):
            center.ready("1001")
    with pytest.raises(ValueError):
        center.snapshot()  # closed


def test_supervisor_requests_and_the_http_api(tmp_path: Path) -> None:
    path = write_config(tmp_path, 36352)
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("[[tenant]]", '[http]\nlisten = "127.0.0.1:0"\n[[http.keys]]\nkey = "acme-key-0123456789"\ntenant = "acme"\n\n[[tenant]]', 1)
        + '\n[[agent]]\nid = "8001"\ncontact = "sip:8001@127.0.0.1:5997"\ntenants = {}\nsupervises = ["acme"]\n',
        encoding="utf-8",
    )
    with Center(path) as center:
        with pytest.raises(ValueError):
            center.supervise("8001", "c-1", "shout")
        with pytest.raises(ccsdk.NotFoundError) as err:
            center.supervise("8001", "c-1", "whisper")
        assert "c-1" in err.value.message
        with pytest.raises(ccsdk.NotFoundError):
            center.force_release("8001", "c-1")
        with pytest.raises(ccsdk.NotFoundError):
            center.end_supervision("9999", "c-1")
        port = center.http_port
        assert port > 0
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as reply:
            assert json.load(reply) == {"status": "ok"}
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/queues",
            headers={"Authorization": "Bearer acme-key-0123456789"},
        )
        with urllib.request.urlopen(request, timeout=5) as reply:
            queues = json.load(reply)["queues"]
        assert [q["queue"] for q in queues] == ["sales"]


def test_bad_configurations(tmp_path: Path) -> None:
    with pytest.raises(ccsdk.CcIOError) as err:
        Center(tmp_path / "missing.toml")
    assert "missing.toml" in err.value.message

    broken = tmp_path / "broken.toml"
    broken.write_text('[sip]\nlisten = "127.0.0.1:0"\nlisen = 1\n', encoding="utf-8")
    with pytest.raises(ccsdk.ParseError) as err:
        Center(broken)
    assert "broken.toml:3" in err.value.message

    refused = tmp_path / "refused.toml"
    refused.write_text(
        '[[tenant]]\nid = "acme"\n[[queue]]\nid = "sales"\ntenant = "nobody"\n'
        '[[agent]]\nid = "1001"\ntenants = { ghost = {} }\n',
        encoding="utf-8",
    )
    with pytest.raises(ccsdk.ConfigError) as err:
        Center(refused)
    assert "nobody" in err.value.message and "ghost" in err.value.message
    assert len(err.value.message.splitlines()) >= 3


def test_callback_errors_are_kept_and_the_callback_may_call_its_center(tmp_path: Path) -> None:
    snapshots: List[int] = []
    holder: Dict[str, Center] = {}

    def on_event(event: Dict[str, Any]) -> None:
        center = holder["center"]
        snapshots.append(len(center.snapshot()["queues"]))
        if event["status"] == "ready":
            with pytest.raises(ccsdk.InvalidStateError):
                center.stop()
            with pytest.raises(RuntimeError):
                center.close()
        if event["status"] == "logged_out":
            raise RuntimeError("the host's bug")

    center = Center(write_config(tmp_path, 36300), on_event=on_event)
    holder["center"] = center
    center.login("1001")
    center.logout("1001")
    deadline = time.monotonic() + 10
    while len(snapshots) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    center.stop()
    assert snapshots == [2, 2]
    assert [str(e) for e in center.callback_errors] == ["the host's bug"]
    assert not center.closed
    center.close()
    assert center.closed


def test_the_handle_and_callback_live_until_freed_by_the_collector(tmp_path: Path) -> None:
    seen: List[Dict[str, Any]] = []
    center = Center(write_config(tmp_path, 36326), on_event=seen.append)
    finalizer = center._finalizer
    center.login("2001")
    assert finalizer is not None and finalizer.alive
    del center
    gc.collect()
    # The finalizer stopped and freed the center; the callback object lived until then.
    assert not finalizer.alive
    assert [e["status"] for e in seen] == ["ready"]

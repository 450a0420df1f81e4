"""Run a center from a TOML file and print its events until Ctrl-C.

    python examples/python/run_center.py path/to/center.toml

`ccd demo` writes a complete configuration to ccd-demo/demo/center.toml; point softphones
(SIP user = an agent id, password from the file) at the address printed below.
"""

import json
import signal
import sys
import threading

import ccsdk


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with ccsdk.Center(sys.argv[1], on_event=lambda e: print(json.dumps(e, ensure_ascii=False), flush=True)) as center:
        print(f"center on SIP port {center.sip_port}; Ctrl-C stops it", flush=True)
        stop.wait()
        center.stop(drain_s=10.0)  # no new calls; live calls may finish for 10 s
    print("stopped; every record is written")


if __name__ == "__main__":
    main()

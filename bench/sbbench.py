#!/usr/bin/python3
"""sbbench.py: the HTTP side of bench/http.sh, bench/ws.sh, bench/restart.sh.

Talks to the server over plain sockets (http.client or asyncio streams),
never through a proxy, whatever the environment says.  Every unexpected
status is an error: the command prints the response and exits 1.

Requests carry "Authorization: Bearer $BENCH_TOKEN" when that is set
(bench/lib.sh logs in when the server has accounts).

  sbbench.py login URL --user U
        POST /v1/auth/login with U and $BENCH_PASSWORD; prints the token
  sbbench.py get URL PATH [--expect 200]
        one request; prints the body
  sbbench.py setup URL --queue ID [--queue ID ...] [--skill ID] [--max-length N]
        POST /v1/skills (the skill) and POST /v1/queues (each queue: one step
        with the empty expression, max_length N), each expecting 201
  sbbench.py load URL --count N [--queue ID] [--connections C]
                  [--live-fraction F] [--json-out FILE]
        create N interactions over C keep-alive connections; all but a
        fraction F are abandoned right after their creation (POST
        /v1/interactions/{id}/abandon), so they are stored but no longer
        live; prints (and writes) counts, rate and probe ids
  sbbench.py restart-time BINARY DATA [--runs 3] [--probe ID=STATE ...]
        time from exec of `BINARY serve` on DATA to the first 200 of
        GET /v1/health, polling a raw socket; then to the first 200 of
        GET /v1/interactions/{ID} for each probe, checking its state; stops
        the server with SIGTERM between runs; prints each run and the median
"""
import argparse
import asyncio
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time


def fail(msg):
    print(f"sbbench: error: {msg}", file=sys.stderr)
    sys.exit(1)


def split_url(url):
    m = re.fullmatch(r"http://127\.0\.0\.1:(\d+)/?", url)
    if not m:
        fail(f"want a URL http://127.0.0.1:PORT, not {url!r}")
    return "127.0.0.1", int(m.group(1))


TOKEN = os.environ.get("BENCH_TOKEN") or None
AUTH = b"Authorization: Bearer %s\r\n" % TOKEN.encode() if TOKEN else b""


def request(url, method, path, body=None, expect=(200,), auth=True):
    host, port = split_url(url)
    conn = http.client.HTTPConnection(host, port, timeout=30)
    headers = {"Authorization": "Bearer " + TOKEN} if TOKEN and auth else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
    except OSError as e:
        fail(f"{method} {path}: {e}")
    finally:
        conn.close()
    if resp.status not in expect:
        fail(f"{method} {path}: status {resp.status} (expected {'/'.join(map(str, expect))}): {text}")
    return resp.status, text


def cmd_login(a):
    password = os.environ.get("BENCH_PASSWORD")
    if not password:
        fail("BENCH_PASSWORD is not set")
    _, text = request(a.url, "POST", "/v1/auth/login", {"user": a.user, "password": password},
                      expect=(200,), auth=False)
    print(json.loads(text)["token"])


def cmd_get(a):
    _, text = request(a.url, "GET", a.path, expect=tuple(a.expect))
    print(text)


def cmd_setup(a):
    request(a.url, "POST", "/v1/skills", {"id": a.skill}, expect=(201,))
    for q in a.queue:
        request(a.url, "POST", "/v1/queues",
                {"id": q, "steps": [{"expression": ""}], "max_length": a.max_length},
                expect=(201,))


# ---- load -----------------------------------------------------------------

class LoadError(Exception):
    pass


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = None
    for line in lines[1:]:
        k, _, v = line.partition(":")
        k = k.strip().lower()
        if k == "content-length":
            length = int(v.strip())
        elif k == "transfer-encoding":
            raise LoadError("chunked responses are not supported by this loader")
    body = await reader.readexactly(length) if length else b""
    return status, body


def is_live(i, fraction):
    """Spread the live ones evenly: index i stays live when the count of
    live ones below i+1 grows at i."""
    return int((i + 1) * fraction) > int(i * fraction)


async def load_worker(st, a, host, port):
    reader, writer = await asyncio.open_connection(host, port)
    body = json.dumps({"queue": a.queue, "channel": "chat"}).encode()
    create = (b"POST /v1/interactions HTTP/1.1\r\nHost: %s:%d\r\n%s"
              b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
              % (host.encode(), port, AUTH, len(body), body))
    try:
        while True:
            i = st["next"]
            if i >= a.count or st["error"]:
                break
            st["next"] = i + 1
            writer.write(create)
            status, rbody = await read_response(reader)
            if status != 201:
                raise LoadError(f"POST /v1/interactions: status {status}: {rbody[:500]!r}")
            doc = json.loads(rbody)
            ix = str(doc["id"])
            st["created"] += 1
            if is_live(i, a.live_fraction):
                st["live"] += 1
                st["probe_live"] = ix
                continue
            req = (b"POST /v1/interactions/%s/abandon HTTP/1.1\r\nHost: %s:%d\r\n%s"
                   b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
                   % (ix.encode(), host.encode(), port, AUTH))
            writer.write(req)
            status, rbody = await read_response(reader)
            if not 200 <= status < 300:
                raise LoadError(f"POST /v1/interactions/{ix}/abandon: status {status}: {rbody[:500]!r}")
            st["ended"] += 1
            st["probe_ended"] = ix
    except (LoadError, OSError, asyncio.IncompleteReadError, ValueError, KeyError) as e:
        st["error"] = st["error"] or f"{type(e).__name__}: {e}"
    finally:
        writer.close()


async def load_progress(st, a, t0):
    last = 0
    while True:
        await asyncio.sleep(5)
        n = st["created"]
        el = time.monotonic() - t0
        print(f"sbbench: load: {n}/{a.count} created, {st['ended']} abandoned, "
              f"{(n - last) / 5:.0f}/s now, {el:.0f} s", file=sys.stderr)
        last = n


async def load_main(a):
    host, port = split_url(a.url)
    st = {"next": 0, "created": 0, "live": 0, "ended": 0, "error": None,
          "probe_live": None, "probe_ended": None}
    t0 = time.monotonic()
    prog = asyncio.ensure_future(load_progress(st, a, t0))
    await asyncio.gather(*(load_worker(st, a, host, port) for _ in range(a.connections)))
    prog.cancel()
    st["seconds"] = time.monotonic() - t0
    return st


def cmd_load(a):
    if not 0.0 <= a.live_fraction <= 1.0:
        fail("--live-fraction wants 0..1")
    st = asyncio.run(load_main(a))
    if st["error"]:
        fail(f"load failed after {st['created']} creations: {st['error']}")
    if st["created"] != a.count:
        fail(f"created {st['created']} of {a.count}")
    out = {
        "created": st["created"],
        "live": st["live"],
        "abandoned": st["ended"],
        "seconds": round(st["seconds"], 3),
        "requests_per_s": round((st["created"] + st["ended"]) / st["seconds"], 1),
        "created_per_s": round(st["created"] / st["seconds"], 1),
        "probe_live": st["probe_live"],
        "probe_ended": st["probe_ended"],
    }
    print(json.dumps(out))
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump(out, f)


# ---- restart-time -----------------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_get(port, path, timeout=5.0, auth=True):
    """One GET on a fresh connection: (status, body) or None when the
    connection is refused or reset."""
    data = b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%sConnection: close\r\n\r\n"
                      % (path.encode(), port, AUTH if auth else b""))
            length = None
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
                head, sep, body = data.partition(b"\r\n\r\n")
                if sep and length is None:
                    m = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
                    length = int(m.group(1)) if m else -1
                if sep and length is not None and length >= 0 and len(body) >= length:
                    break
    except (ConnectionRefusedError, ConnectionResetError):
        return None
    except socket.timeout:
        fail(f"GET {path}: no complete answer within {timeout} s (got {data[:200]!r})")
    head, _, body = data.partition(b"\r\n\r\n")
    m = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    if not m:
        return None
    return int(m.group(1)), body


def one_restart(a, probes, logf):
    port = free_port()
    listening = {}

    t0 = time.monotonic()
    proc = subprocess.Popen([a.binary, "serve", "--listen", "127.0.0.1", "--port", str(port),
                             "--data", a.data], stdout=subprocess.PIPE, stderr=logf)

    def watch_stdout():
        line = proc.stdout.readline()
        listening["t"] = time.monotonic()
        listening["line"] = line
        proc.stdout.read()  # drain until exit

    threading.Thread(target=watch_stdout, daemon=True).start()
    deadline = t0 + a.timeout
    t_health = None
    try:
        while True:
            if proc.poll() is not None:
                fail(f"the server exited with status {proc.returncode} during start-up (see its stderr)")
            r = raw_get(port, "/v1/health", auth=False)
            now = time.monotonic()
            if r is not None and r[0] == 200:
                t_health = now - t0
                break
            if r is not None and r[0] not in (503,):
                fail(f"GET /v1/health answered {r[0]} during start-up: {r[1][:300]!r}")
            if now > deadline:
                fail(f"no 200 from GET /v1/health within {a.timeout} s")
            time.sleep(0.0005)
        t_probe = None
        t_probes = []
        for ix, want in probes:
            while True:
                r = raw_get(port, f"/v1/interactions/{ix}")
                now = time.monotonic()
                if r is not None and r[0] == 200:
                    state = json.loads(r[1]).get("state")
                    if want and state != want:
                        fail(f"after the restart interaction {ix} is {state!r}, was {want!r}")
                    break
                if r is not None and r[0] != 503:
                    fail(f"GET /v1/interactions/{ix} answered {r[0]} after the restart: {r[1][:300]!r}")
                if now > deadline:
                    fail(f"interaction {ix} not readable within {a.timeout} s")
                time.sleep(0.0005)
            t_probe = now - t0
            t_probes.append((ix, want, t_probe))
        t_listen = listening["t"] - t0 if "t" in listening else None
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            fail("the server did not stop within 120 s of SIGTERM (killed)")
    if rc != 0:
        fail(f"the server exited with status {rc} after SIGTERM")
    return t_listen, t_health, t_probe, t_probes


def cmd_restart_time(a):
    probes = []
    for p in a.probe:
        ix, _, state = p.partition("=")
        probes.append((ix, state or None))
    results = []
    with open(a.log, "a") if a.log else open(os.devnull, "w") as logf:
        for run in range(a.runs):
            t_listen, t_health, t_probe, t_probes = one_restart(a, probes, logf)
            results.append((t_listen, t_health, t_probe))
            lst = f"{t_listen * 1000:.1f} ms" if t_listen is not None else "n/a"
            prb = "".join(f", interaction {ix} ({want}) read back at {t * 1000:.1f} ms"
                          for ix, want, t in t_probes)
            print(f"  run {run + 1}: first 200 from /v1/health {t_health * 1000:.1f} ms "
                  f"('serving' line at {lst}{prb})")
    med = statistics.median(r[1] for r in results)
    out = {"runs_s": [round(r[1], 4) for r in results], "median_s": round(med, 4)}
    if probes:
        out["probe_runs_s"] = [round(r[2], 4) for r in results]
        out["probe_median_s"] = round(statistics.median(r[2] for r in results), 4)
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump(out, f)
    print(json.dumps(out))


def main():
    p = argparse.ArgumentParser(prog="sbbench.py")
    sub = p.add_subparsers(dest="cmd", required=True)

    lg = sub.add_parser("login")
    lg.add_argument("url")
    lg.add_argument("--user", required=True)

    g = sub.add_parser("get")
    g.add_argument("url")
    g.add_argument("path")
    g.add_argument("--expect", type=int, action="append", default=None)

    s = sub.add_parser("setup")
    s.add_argument("url")
    s.add_argument("--queue", action="append", required=True)
    s.add_argument("--skill", default="bench")
    s.add_argument("--max-length", type=int, default=100000000)

    ld = sub.add_parser("load")
    ld.add_argument("url")
    ld.add_argument("--count", type=int, required=True)
    ld.add_argument("--queue", default="bench")
    ld.add_argument("--connections", type=int, default=64)
    ld.add_argument("--live-fraction", type=float, default=0.1)
    ld.add_argument("--json-out")

    r = sub.add_parser("restart-time")
    r.add_argument("binary")
    r.add_argument("data")
    r.add_argument("--runs", type=int, default=3)
    r.add_argument("--probe", action="append", default=[], help="ID=STATE (STATE may be empty)")
    r.add_argument("--timeout", type=float, default=300)
    r.add_argument("--log", help="append the server's stderr here")
    r.add_argument("--json-out")

    a = p.parse_args()
    if a.cmd == "login":
        cmd_login(a)
    elif a.cmd == "get":
        a.expect = a.expect or [200]
        cmd_get(a)
    elif a.cmd == "setup":
        cmd_setup(a)
    elif a.cmd == "load":
        cmd_load(a)
    else:
        cmd_restart_time(a)


if __name__ == "__main__":
    main()

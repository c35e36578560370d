"""Shared helpers for the benchmarks: the bench database, servers, tokens, percentiles."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/dispatch_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
DEMO_PASSWORD = "bengkulu-112-demo"


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def database_url_named(name: str, url: str | None = None) -> str:
    """`url` (the bench database's by default) with its database name replaced by `name`."""
    return urlparse(url or database_url())._replace(path="/" + name).geturl()


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL


# One key for every process of a run (inherited through the environment); never a deployment's key.
os.environ.setdefault("BENCH_SECRET_KEY", secrets.token_urlsafe(50))


def bench_env(**extra: str) -> dict[str, str]:
    """Production settings (`DEBUG=0`, as deployed) on loopback: plain HTTP, as behind a TLS-terminating proxy.

    No Celery beat runs here. In a deployment beat sweeps and the web processes' stand-in sweep
    stays idle; here it would start after 30 s and escalate every dispatch that earlier runs left
    unacknowledged, inside the web processes being measured. So it is off, as it is in effect
    when beat is up (the sweep's own cost is in the dispatch benchmark)."""
    env = dict(os.environ, DATABASE_URL=database_url(), REDIS_URL=redis_url(), DEBUG="0",
               SECRET_KEY=os.environ["BENCH_SECRET_KEY"], ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
               SECURE_SSL_REDIRECT="0", AXES_ENABLED="0", LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
               SWEEP_FALLBACK_SECONDS="0")
    env.update(extra)
    return env


def use_bench_env() -> None:
    """Put this process itself on `bench_env`'s settings, for a benchmark run on its own (bench/run.py passes them)."""
    os.environ.update(bench_env())


def pg_connect(url: str | None = None, **kwargs):
    import psycopg

    return psycopg.connect(url or database_url(), **kwargs)


def ensure_database(*, prepare: bool = True) -> None:
    """Create the bench database if missing; migrate, load Kota Bengkulu and the demo accounts.

    bench/run.py does it once and sets BENCH_DB_READY=1 for the scripts it runs."""
    import psycopg

    if os.environ.get("BENCH_DB_READY") == "1":
        return

    name = urlparse(database_url()).path.lstrip("/")
    with psycopg.connect(database_url_named("postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    if prepare:
        env = bench_env()
        script = (
            "import django; django.setup(); from django.core.management import call_command as c; "
            "c('migrate', interactive=False, verbosity=0); c('load_bengkulu', verbosity=0); c('seed_demo', verbosity=0); "
            # The pages the reports benchmark reads name their static files through the manifest.
            "c('collectstatic', interactive=False, verbosity=0)"
        )
        env.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.settings")
        subprocess.run([PYTHON, "-c", script], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workers: int = 1, **extra_env: str) -> tuple[subprocess.Popen, str]:
    """uvicorn with `workers` processes, returned once every one of them is serving.

    The load connects its keep-alive connections at once; a worker still starting then gets none of
    them, and a run meant for two processes measures one. So this waits for each worker's
    "Application startup complete." (uvicorn's info log; the access log stays off) and for
    readiness. The server's other log lines are passed on to this process's stderr."""
    port = free_port()
    from dispatch.server import uvicorn_command

    command = uvicorn_command(host="127.0.0.1", port=port, workers=workers, log_level="info")
    proc = subprocess.Popen([PYTHON, *command[1:]], cwd=ROOT, env=bench_env(**extra_env), stderr=subprocess.PIPE, text=True)
    started = threading.Semaphore(0)

    def relay() -> None:
        for line in proc.stderr:
            if "Application startup complete" in line:
                started.release()
            elif not line.startswith("INFO:"):
                sys.stderr.write(line)

    threading.Thread(target=relay, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    for _ in range(workers):
        while not started.acquire(timeout=0.25):
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            if time.monotonic() > deadline:
                stop(proc)
                raise RuntimeError("server did not start")
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(base + "/health/ready", timeout=2).read()
            return proc, base
        except OSError:
            time.sleep(0.25)
    stop(proc)
    raise RuntimeError("server did not start")


def worker_counts(spec: str, *, quick: bool = False) -> list[int]:
    """`--workers 2,1` as a list of web-process counts; a quick run takes the first only."""
    counts = [int(w) for w in str(spec).split(",")]
    return counts[:1] if quick else counts


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def token(base: str, username: str = "operator", password: str = DEMO_PASSWORD) -> str:
    request = urllib.request.Request(
        base + "/api/v1/auth/token/",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["token"]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def connection_count(dbname: str | None = None) -> int:
    """Client backends connected to the bench database right now."""
    name = dbname or urlparse(database_url()).path.lstrip("/")
    with pg_connect(autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
            (name,),
        ).fetchone()
    return int(row[0])


def write_json(path: str | None, results: list[dict]) -> None:
    if path:
        Path(path).write_text(json.dumps(results, indent=2))
    for r in results:
        extra = f"  (substrate {r['substrate']:.1f} {r.get('substrate_unit', '')}, ratio {r['ratio']:.3f})" if "substrate" in r else ""
        print(f"{r['name']:<45} {r['value']:>12.2f} {r['unit']}{extra}")


@contextlib.contextmanager
def client_gc_paused():
    """No garbage collection in the load generator while it measures.

    The bench process has Django loaded (for tokens and fixtures) and keeps every frame it
    receives; a full collection there stalls all 200 client sockets at once for tens of ms,
    which would be charged to the server. The server's own collections are left as they are.
    """
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


class HttpConnection:
    """One keep-alive HTTP/1.1 connection, for load generation only.

    A general client (httpx) spends about 2 ms of CPU per request; on a
    2-core machine shared with the server that is CPU the server being
    measured does not get. This speaks just enough HTTP/1.1 for our own
    server's JSON answers (Content-Length or chunked bodies).
    """

    def __init__(self, base: str, headers: dict[str, str] | None = None) -> None:
        url = urlparse(base)
        self.host, self.port = url.hostname, url.port or 80
        self.headers = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.reader = self.writer = None
        self.response_headers: dict[str, str] = {}

    async def _connect(self) -> None:
        import asyncio

        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        if self.writer is None:
            await self._connect()
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.headers}{extra}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        try:
            self.writer.write(head.encode() + body)
            status_line = await self.reader.readuntil(b"\r\n")
            status = int(status_line.split(b" ", 2)[1])
            length, chunked, close = None, False, False
            self.response_headers = {}
            while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                self.response_headers[name.decode("latin-1")] = value.strip().decode("latin-1")
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
                elif name == b"connection" and b"close" in value.lower():
                    close = True
            if chunked:
                parts = []
                while (size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)) > 0:
                    parts.append(await self.reader.readexactly(size + 2))
                await self.reader.readuntil(b"\r\n")
                payload = b"".join(p[:-2] for p in parts)
            else:
                payload = await self.reader.readexactly(length or 0)
        except Exception:
            await self.close()
            raise
        if close:
            await self.close()
        return status, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class LeanResponse:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status_code, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


class LeanApiClient:
    """`manage.py simulate`'s HTTP client for the benchmarks: pooled `HttpConnection`s.

    Same calls as the httpx client the command uses on its own (`post(path, json=, headers=)`,
    `get(path, params=)`, a 30 s timeout), at a fraction of the CPU, for the reason given
    in `HttpConnection`. Header names in answers are lower case.
    """

    def __init__(self, base: str, headers: dict[str, str], *, timeout: float = 30.0) -> None:
        self.base, self.headers, self.timeout = base, headers, timeout
        self.idle: list[tuple[float, HttpConnection]] = []  # (when it was last used, connection), oldest first

    async def __aenter__(self) -> "LeanApiClient":
        return self

    async def __aexit__(self, *exc) -> None:
        for _, conn in self.idle:
            await conn.close()
        self.idle.clear()

    # The server closes a keep-alive connection idle for 5 s (uvicorn's default); one idle
    # for longer than this is dropped here rather than found closed mid-request.
    IDLE_SECONDS = 4.0

    async def _connection(self) -> HttpConnection:
        while self.idle:
            used_at, conn = self.idle.pop()
            if time.monotonic() - used_at < self.IDLE_SECONDS:
                return conn
            await conn.close()
        return HttpConnection(self.base, self.headers)

    async def _request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> LeanResponse:
        import asyncio

        conn = await self._connection()
        try:
            async with asyncio.timeout(self.timeout):
                status, payload = await conn.request(method, path, body, headers)
        except BaseException:
            await conn.close()
            raise
        if conn.writer is not None:
            self.idle.append((time.monotonic(), conn))
        return LeanResponse(status, conn.response_headers, payload)

    async def post(self, path: str, *, json: dict, headers: dict[str, str] | None = None) -> LeanResponse:
        import json as jsonlib

        return await self._request("POST", path, jsonlib.dumps(json).encode(), headers)

    async def get(self, path: str, *, params: dict[str, str] | None = None) -> LeanResponse:
        from urllib.parse import urlencode

        return await self._request("GET", f"{path}?{urlencode(params)}" if params else path)


def _process_table() -> dict[int, tuple[int, str, float]]:
    """Every process: (parent pid, command name, user + system CPU seconds so far), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    table: dict[int, tuple[int, str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            head, rest = (entry / "stat").read_text().rsplit(")", 1)
        except OSError:
            continue
        fields = rest.split()
        # After the command: state, ppid, ..., utime (12th), stime (13th).
        table[int(entry.name)] = (int(fields[1]), head.split("(", 1)[1], (int(fields[11]) + int(fields[12])) / tick)
    return table


def _tree_cpu(table: dict[int, tuple[int, str, float]], pid: int) -> float:
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += table.get(current, (0, "", 0.0))[2]
        todo.extend(child for child, (parent, _, _) in table.items() if parent == current)
    return total


def children_cpu_seconds(pid: int) -> dict[int, float]:
    """CPU seconds used so far by each direct child of a process (the workers of a multi-process server)."""
    table = _process_table()
    return {child: _tree_cpu(table, child) for child, (parent, _, _) in table.items() if parent == pid}


def process_tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by a process and its descendants alive now (Linux /proc)."""
    return _tree_cpu(_process_table(), pid)


def command_cpu_seconds(command: str, table: dict[int, tuple[int, str, float]] | None = None) -> float:
    """CPU seconds used so far by every process of one command name (`postgres`: the server and its backends)."""
    table = _process_table() if table is None else table
    return sum(cpu for _, comm, cpu in table.values() if comm == command)


class CpuByParty(threading.Thread):
    """Samples, every `every` seconds, the CPU seconds used so far by each party on the machine: named
    process trees (the server...), single processes (the benchmark itself, whose tree holds the
    server), and the PostgreSQL and Redis servers (by command name). `cores(start, end)` is each
    party's average number of cores between two wall-clock times. `trees` may gain entries later
    (a load generator started after the sampler)."""

    def __init__(self, trees: dict[str, int], processes: dict[str, int] | None = None, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.trees, self.processes, self.every = dict(trees), dict(processes or {}), every
        self.samples: list[tuple[float, dict[str, float]]] = []
        self.done = threading.Event()

    def sample(self) -> None:
        table = _process_table()
        parties = {name: _tree_cpu(table, pid) for name, pid in list(self.trees.items())}
        parties.update({name: table.get(pid, (0, "", 0.0))[2] for name, pid in self.processes.items()})
        for name, command in (("postgresql", "postgres"), ("redis", "redis-server")):
            parties[name] = command_cpu_seconds(command, table)
        self.samples.append((time.time(), parties))

    def run(self) -> None:
        while not self.done.is_set():
            self.sample()
            self.done.wait(self.every)

    def stop(self) -> None:
        self.done.set()
        self.join()

    def cores(self, start: float, end: float) -> dict[str, float]:
        """Average cores per party over the samples nearest to [start, end] (empty if too few samples)."""
        inside = [s for s in self.samples if start <= s[0] <= end]
        if len(inside) < 2:
            return {}
        (t0, first), (t1, last) = inside[0], inside[-1]
        return {name: round((last[name] - first.get(name, 0.0)) / (t1 - t0), 2) for name in last}


class WebSocketReader:
    """The client end of one WebSocket, for load generation only.

    200 sockets in one Python process stand in for 200 browsers, each of which would read its
    own frames on its own machine. A general client (websockets, with a timeout around every
    receive) spent about 90 us of CPU per frame here, so the 200th socket read an event some
    18 ms after the first, and a burst of events queued in the *client*. This speaks just the
    part of RFC 6455 our own server uses: one handshake, unmasked text frames in, pings
    answered, close. The arrival time is taken as soon as a frame's bytes are in.
    """

    def __init__(self, reader, writer) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, base: str, path: str, headers: dict[str, str]) -> "WebSocketReader":
        import asyncio
        import base64

        url = urlparse(base)
        reader, writer = await asyncio.open_connection(url.hostname, url.port or 80)
        key = base64.b64encode(os.urandom(16)).decode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write((
            f"GET {path} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
        ).encode())
        status = await reader.readuntil(b"\r\n")
        while await reader.readuntil(b"\r\n") != b"\r\n":
            pass
        if b" 101 " not in status:
            writer.close()
            raise ConnectionError(f"handshake refused: {status!r}")
        return cls(reader, writer)

    async def recv(self) -> tuple[str | None, float]:
        """The next text message and the wall time its last byte arrived; (None, t) once closed."""
        message = bytearray()
        while True:
            head = await self.reader.readexactly(2)
            fin, opcode, length = head[0] & 0x80, head[0] & 0x0F, head[1] & 0x7F
            if length == 126:
                length = int.from_bytes(await self.reader.readexactly(2), "big")
            elif length == 127:
                length = int.from_bytes(await self.reader.readexactly(8), "big")
            payload = await self.reader.readexactly(length) if length else b""
            if opcode == 0x8:
                return None, time.time()
            if opcode == 0x9:
                self._send(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            message += payload
            if fin:
                return message.decode(), time.time()

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        length = len(payload)
        header = bytes([0x80 | opcode]) + (bytes([0x80 | length]) if length < 126 else bytes([0xFE]) + length.to_bytes(2, "big"))
        self.writer.write(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def close(self) -> None:
        self.writer.close()


async def live_socket(base: str, token: str, *, on_hello, on_frame, stop=None) -> None:
    """One `/ws/live/` client as the benchmarks use it: Token auth, the site's Origin.

    Calls on_hello(hello) once connected, then on_frame(message, arrival_wall_time) for every
    frame until `stop` (an asyncio.Event) is set, or until the server closes the socket.
    """
    import asyncio

    ws = await asyncio.wait_for(
        WebSocketReader.connect(base, "/ws/live/", {"Authorization": f"Token {token}", "Origin": base}), 30)

    async def close_on_stop():
        await stop.wait()
        ws.close()

    closer = asyncio.create_task(close_on_stop()) if stop is not None else None
    try:
        text, _ = await ws.recv()
        hello = json.loads(text) if text else {}
        assert hello.get("type") == "hello", hello
        on_hello(hello)
        while True:
            text, arrived = await ws.recv()
            if text is None:
                return
            on_frame(json.loads(text), arrived)
    except (asyncio.IncompleteReadError, ConnectionError):
        return
    finally:
        if closer is not None:
            closer.cancel()
        ws.close()


class RedisSubscriber:
    """One raw Redis pub/sub subscriber, as lean as the WebSocket clients (`common.WebSocketReader`),
    so that the substrate and our figure pay the same client cost: RESP read off the socket, the
    arrival time taken once a message's bytes are in."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    @staticmethod
    def command(*parts: str) -> bytes:
        out = [f"*{len(parts)}\r\n".encode()]
        for part in parts:
            data = part.encode()
            out.append(b"$%d\r\n%s\r\n" % (len(data), data))
        return b"".join(out)

    @classmethod
    async def subscribe(cls, channel: str) -> "RedisSubscriber":
        url = urlparse(redis_url())
        reader, writer = await asyncio.open_connection(url.hostname or "127.0.0.1", url.port or 6379)
        sub = cls(reader, writer)
        if url.password:
            writer.write(cls.command("AUTH", url.password))
            await reader.readuntil(b"\r\n")
        writer.write(cls.command("SUBSCRIBE", channel))
        await sub.next_push()
        return sub

    async def next_push(self) -> list[bytes]:
        count = int((await self.reader.readuntil(b"\r\n"))[1:-2])
        items = []
        for _ in range(count):
            line = await self.reader.readuntil(b"\r\n")
            if line[:1] == b"$":
                items.append((await self.reader.readexactly(int(line[1:-2]) + 2))[:-2])
            else:
                items.append(line[1:-2])
        return items

"""The high-availability layout built on one machine: each node a network namespace with its own address.

    lb      10.112.0.2   HAProxy :8000 (HTTP + WebSocket; health check /health/ready; no stickiness)
    web1    10.112.0.11  uvicorn (runsystem --web-only)
    web2    10.112.0.12  uvicorn (runsystem --web-only)
    work    10.112.0.13  Celery worker and beat
    etcd    10.112.0.30  etcd (Patroni's consensus store)
    pg1     10.112.0.21  PostgreSQL under Patroni (bootstraps as primary)
    pg2     10.112.0.22  PostgreSQL under Patroni (synchronous standby)
    redis1  10.112.0.41  Redis master
    redis2  10.112.0.42  Redis replica
    sent1-3 10.112.0.51-53  Redis Sentinel (quorum 2)

The nodes hang on one bridge (`d112ha`, 10.112.0.1 on this side), so the load generator here reaches
them as it would reach machines. Killing a node is what a power cut does to a machine: its link goes
down first (its peers get no FIN; they learn it by time-outs, as they would), then every process in
it is SIGKILLed.

Needs root, `ip`, and Debian's haproxy, patroni, etcd-server and redis-server packages.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BRIDGE = "d112ha"
HOST_ADDRESS = "10.112.0.1"
PREFIX = 24
PG_BIN = Path("/usr/lib/postgresql/15/bin")
NODES = {
    "lb": "10.112.0.2",
    "web1": "10.112.0.11",
    "web2": "10.112.0.12",
    "work": "10.112.0.13",
    "pg1": "10.112.0.21",
    "pg2": "10.112.0.22",
    "etcd": "10.112.0.30",
    "redis1": "10.112.0.41",
    "redis2": "10.112.0.42",
    "sent1": "10.112.0.51",
    "sent2": "10.112.0.52",
    "sent3": "10.112.0.53",
}
SENTINEL_MASTER = "d112"
DATABASE = "dispatch112"
LB_URL = f"http://{NODES['lb']}:8000"
# Failure detection, tuned for a test that kills nodes on purpose (docs/operations.md gives production values).
PATRONI_TTL, PATRONI_LOOP_WAIT, PATRONI_RETRY_TIMEOUT = 8, 1, 3
SENTINEL_DOWN_AFTER_MS = 2000


def database_url() -> str:
    """The application's DATABASE_URL: every PostgreSQL node, and libpq keeps the one that takes writes."""
    hosts = ",".join(f"{NODES[n]}:5432" for n in ("pg1", "pg2"))
    # A dead node gives no FIN: connecting gives up after 2 s, a query on a dead connection after 4 s.
    options = "target_session_attrs=read-write&connect_timeout=2&tcp_user_timeout=4000&keepalives_idle=2&keepalives_interval=1&keepalives_count=2"
    return f"postgres://postgres@{hosts}/{DATABASE}?{options}"


def sentinels() -> str:
    return ",".join(f"{NODES[n]}:26379" for n in ("sent1", "sent2", "sent3"))


def run(*cmd: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), check=check, capture_output=True, text=True, **kwargs)


def ns(node: str) -> str:
    return f"d112ha-{node}"


@dataclass
class Cluster:
    workdir: Path
    processes: dict[str, list[subprocess.Popen]] = field(default_factory=dict)
    logs: list = field(default_factory=list)
    dead: set[str] = field(default_factory=set)

    # -- network ---------------------------------------------------------------------------------
    def network_up(self) -> None:
        self.network_down()
        run("ip", "link", "add", BRIDGE, "type", "bridge")
        run("ip", "addr", "add", f"{HOST_ADDRESS}/{PREFIX}", "dev", BRIDGE)
        run("ip", "link", "set", BRIDGE, "up")
        for index, (node, address) in enumerate(NODES.items()):
            name, outside, inside = ns(node), f"d112v{index}", f"d112p{index}"
            run("ip", "netns", "add", name)
            run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside)
            run("ip", "link", "set", inside, "netns", name)
            run("ip", "link", "set", outside, "master", BRIDGE)
            run("ip", "link", "set", outside, "up")
            run("ip", "netns", "exec", name, "ip", "addr", "add", f"{address}/{PREFIX}", "dev", inside)
            run("ip", "netns", "exec", name, "ip", "link", "set", inside, "up")
            run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")
            run("ip", "netns", "exec", name, "ip", "route", "add", "default", "via", HOST_ADDRESS)

    def network_down(self) -> None:
        for index, node in enumerate(NODES):
            self._kill_namespace_processes(ns(node))
            run("ip", "netns", "del", ns(node), check=False)
            # A deleted namespace is freed by the kernel later; its link pair goes now.
            run("ip", "link", "del", f"d112v{index}", check=False)
        run("ip", "link", "del", BRIDGE, check=False)

    @staticmethod
    def _kill_namespace_processes(name: str) -> None:
        found = run("ip", "netns", "pids", name, check=False)
        for pid in found.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass

    # -- processes -------------------------------------------------------------------------------
    def start(self, node: str, cmd: list[str], *, env: dict | None = None, user: str | None = None, cwd: Path | None = None,
              log: str | None = None) -> subprocess.Popen:
        prefix = ["ip", "netns", "exec", ns(node)]
        if user:
            prefix += ["runuser", "-u", user, "--"]
        out = open(self.workdir / f"{log or node}.log", "ab")  # noqa: SIM115 - closed in stop()
        self.logs.append(out)
        proc = subprocess.Popen(prefix + cmd, env=env or dict(os.environ), cwd=cwd or ROOT, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.processes.setdefault(node, []).append(proc)
        return proc

    def kill(self, node: str) -> float:
        """A power cut: the node's link goes down, then everything in it dies. Returns when it happened."""
        at = time.time()
        index = list(NODES).index(node)
        run("ip", "link", "set", f"d112v{index}", "down", check=False)
        self._kill_namespace_processes(ns(node))
        for proc in self.processes.get(node, []):
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.dead.add(node)
        return at

    def stop(self) -> None:
        for node in list(self.processes):
            for proc in self.processes[node]:
                if proc.poll() is None:
                    try:
                        os.killpg(proc.pid, signal.SIGTERM)
                    except ProcessLookupError:
                        pass
        time.sleep(1)
        self.network_down()
        for out in self.logs:
            out.close()

    # -- the services ------------------------------------------------------------------------------
    def start_etcd(self) -> None:
        address = NODES["etcd"]
        data = self.workdir / "etcd"
        data.mkdir(parents=True, exist_ok=True)
        self.start("etcd", ["etcd", "--name", "e1", "--data-dir", str(data),
                            "--listen-client-urls", f"http://{address}:2379", "--advertise-client-urls", f"http://{address}:2379",
                            "--listen-peer-urls", f"http://{address}:2380", "--initial-advertise-peer-urls", f"http://{address}:2380",
                            "--initial-cluster", f"e1=http://{address}:2380", "--initial-cluster-state", "new"])
        wait_for(lambda: http_ok(f"http://{address}:2379/health"), 30, "etcd")

    def start_postgres(self, node: str) -> None:
        address = NODES[node]
        home = self.workdir / node
        home.mkdir(parents=True, exist_ok=True)
        (home / "socket").mkdir(exist_ok=True)
        config = {
            "scope": "dispatch112",
            "name": node,
            "restapi": {"listen": f"{address}:8008", "connect_address": f"{address}:8008"},
            "etcd3": {"hosts": [f"{NODES['etcd']}:2379"]},
            "bootstrap": {
                "dcs": {
                    "ttl": PATRONI_TTL, "loop_wait": PATRONI_LOOP_WAIT, "retry_timeout": PATRONI_RETRY_TIMEOUT,
                    "maximum_lag_on_failover": 0,
                    # A commit waits for the standby: a call that got a 2xx is on both nodes.
                    "synchronous_mode": True,
                    "postgresql": {"use_pg_rewind": True, "parameters": {
                        "wal_level": "replica", "hot_standby": "on", "max_wal_senders": 5, "max_replication_slots": 5,
                        "wal_log_hints": "on", "max_connections": 200, "synchronous_commit": "on",
                    }},
                },
                "initdb": [{"encoding": "UTF8"}, "data-checksums"],
                "pg_hba": [
                    "local all all trust",
                    f"host all all {HOST_ADDRESS}/{PREFIX} trust",
                    f"host replication all {HOST_ADDRESS}/{PREFIX} trust",
                ],
            },
            "postgresql": {
                "listen": f"{address}:5432",
                "connect_address": f"{address}:5432",
                "data_dir": str(home / "data"),
                "bin_dir": str(PG_BIN),
                "pgpass": str(home / "pgpass"),
                "authentication": {"superuser": {"username": "postgres"}, "replication": {"username": "postgres"}},
                "parameters": {"unix_socket_directories": str(home / "socket")},
                "pg_hba": [
                    "local all all trust",
                    f"host all all {HOST_ADDRESS}/{PREFIX} trust",
                    f"host replication all {HOST_ADDRESS}/{PREFIX} trust",
                ],
            },
            "tags": {"nofailover": False, "noloadbalance": False, "clonefrom": False, "nosync": False},
        }
        path = home / "patroni.yml"
        path.write_text(json.dumps(config, indent=1))  # JSON is YAML
        run("chown", "-R", "postgres:postgres", str(home))
        self.start(node, ["patroni", str(path)], user="postgres", cwd=home)

    def wait_postgres_cluster(self, timeout: float = 90) -> None:
        def ready() -> bool:
            state = patroni_cluster()
            if not state:
                return False
            roles = {m["name"]: (m["role"], m["state"]) for m in state.get("members", [])}
            return (any(r in ("leader", "primary") for r, s in roles.values())
                    and any(r == "sync_standby" and s in ("streaming", "running") for r, s in roles.values()))

        wait_for(ready, timeout, "PostgreSQL primary with a synchronous standby")

    def start_redis(self) -> None:
        for node in ("redis1", "redis2"):
            address = NODES[node]
            cmd = ["redis-server", "--bind", address, "--port", "6379", "--save", "", "--appendonly", "no",
                   "--protected-mode", "no", "--dir", str(self.workdir)]
            if node == "redis2":
                cmd += ["--replicaof", NODES["redis1"], "6379"]
            self.start(node, cmd)
        for node in ("sent1", "sent2", "sent3"):
            address = NODES[node]
            conf = self.workdir / f"{node}.conf"
            conf.write_text(
                f"port 26379\nbind {address}\nprotected-mode no\ndir {self.workdir}\n"
                f"sentinel monitor {SENTINEL_MASTER} {NODES['redis1']} 6379 2\n"
                f"sentinel down-after-milliseconds {SENTINEL_MASTER} {SENTINEL_DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {SENTINEL_MASTER} 10000\n"
                f"sentinel parallel-syncs {SENTINEL_MASTER} 1\n"
            )
            self.start(node, ["redis-server", str(conf), "--sentinel"])
        wait_for(lambda: redis_master() == NODES["redis1"], 30, "Sentinel naming the Redis master")
        wait_for(lambda: redis_cmd(NODES["redis2"], 6379, "INFO", "replication").find("master_link_status:up") >= 0, 30,
                 "the Redis replica in sync")

    def app_env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        for name in ("REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):
            env.pop(name, None)
        env.update(
            DATABASE_URL=database_url(), REDIS_SENTINELS=sentinels(), REDIS_SENTINEL_MASTER=SENTINEL_MASTER,
            DEBUG="0", SECRET_KEY=os.environ.get("HA_SECRET_KEY", "ha-" + os.urandom(24).hex()), ALLOWED_HOSTS="*",
            SECURE_SSL_REDIRECT="0", AXES_ENABLED="0", LOG_LEVEL="WARNING", DB_POOL_MAX_SIZE="8", TRUSTED_PROXIES=NODES["lb"],
            CELERY_BEAT_SCHEDULE_FILE=str(self.workdir / "celerybeat-schedule"), PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def prepare_database(self, env: dict) -> None:
        """Create the database on the primary, migrate, load Kota Bengkulu and the accounts (from this side)."""
        import psycopg

        primary = patroni_primary_address()
        with psycopg.connect(f"postgres://postgres@{primary}:5432/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone():
                conn.execute(f"CREATE DATABASE {DATABASE}")
        python = sys.executable
        for args in (["migrate", "--noinput"], ["load_bengkulu"], ["seed_demo"], ["collectstatic", "--noinput"]):
            result = subprocess.run([python, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
            if result.returncode != 0:
                raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")

    def start_web(self, env: dict) -> None:
        python = sys.executable
        for node in ("web1", "web2"):
            self.start(node, [python, "manage.py", "runsystem", "--web-only", "--host", NODES[node], "--port", "8000"], env=env)
        for node in ("web1", "web2"):
            wait_for(lambda n=node: http_ok(f"http://{NODES[n]}:8000/health/ready"), 60, f"{node} ready")

    def start_worker(self, env: dict) -> None:
        python = sys.executable
        self.start("work", [python, "-m", "celery", "-A", "dispatch", "worker", "--loglevel", "WARNING", "--concurrency", "2"],
                   env=env, log="worker")
        self.start("work", [python, "-m", "celery", "-A", "dispatch", "beat", "--loglevel", "WARNING",
                            "--schedule", env["CELERY_BEAT_SCHEDULE_FILE"]], env=env, log="beat")

    def start_haproxy(self) -> None:
        config = self.workdir / "haproxy.cfg"
        servers = "\n".join(f"  server {n} {NODES[n]}:8000 check" for n in ("web1", "web2"))
        config.write_text(f"""global
  maxconn 4000
defaults
  mode http
  timeout connect 1s
  timeout client 60s
  timeout server 30s
  timeout tunnel 1h
  timeout client-fin 5s
  option redispatch
  retries 2
  retry-on conn-failure empty-response
frontend dispatch112
  bind {NODES['lb']}:8000
  default_backend web
backend web
  balance roundrobin
  option httpchk GET /health/ready
  http-check expect status 200
  default-server inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions
{servers}
""")
        self.start("lb", ["haproxy", "-f", str(config), "-db"])
        wait_for(lambda: http_ok(f"{LB_URL}/health/ready"), 30, "HAProxy")


# -- probes ------------------------------------------------------------------------------------------
def http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # nosec B310 - our own nodes
            return 200 <= response.status < 300
    except OSError:
        return False


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.3)
    raise RuntimeError(f"timed out waiting for {what}")


def patroni_cluster() -> dict | None:
    for node in ("pg1", "pg2"):
        try:
            with urllib.request.urlopen(f"http://{NODES[node]}:8008/cluster", timeout=1) as response:  # nosec B310
                return json.loads(response.read())
        except OSError:
            continue
    return None


def patroni_primary_address() -> str | None:
    state = patroni_cluster() or {}
    for member in state.get("members", []):
        if member["role"] in ("leader", "primary") and member.get("state") == "running":
            return member["host"]
    return None


def redis_cmd(host: str, port: int, *args: str) -> str:
    return run("redis-cli", "-h", host, "-p", str(port), *args, check=False, timeout=3).stdout


def redis_master() -> str | None:
    for node in ("sent1", "sent2", "sent3"):
        out = redis_cmd(NODES[node], 26379, "SENTINEL", "get-master-addr-by-name", SENTINEL_MASTER).split()
        if out:
            return out[0]
    return None


def tools_missing() -> list[str]:
    return [tool for tool in ("ip", "haproxy", "patroni", "etcd", "redis-server", "redis-cli", "runuser")
            if shutil.which(tool) is None] + ([] if (PG_BIN / "postgres").exists() else [str(PG_BIN / "postgres")])

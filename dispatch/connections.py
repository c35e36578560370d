"""Where the database and Redis are, from the environment: one server each, or a highly available set.

PostgreSQL: `DATABASE_URL` may name several hosts, as libpq does
(`postgres://user@db1:5432,db2:5432/dispatch112?target_session_attrs=read-write`). libpq tries them
in order and keeps the first that accepts writes, so after a failover new connections find the
promoted standby by themselves. Query parameters become connection options (`target_session_attrs`,
`keepalives_idle`, `tcp_user_timeout`, ...).

Redis: `REDIS_URL` for one server, or `REDIS_SENTINELS` (`host:port,host:port,...`) with
`REDIS_SENTINEL_MASTER` to reach whichever server the Sentinels name master. The channel layer,
Celery and the event publisher all connect through the same description.

Pure functions of their arguments: settings call them, tests call them directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

import dj_database_url

# libpq connection parameters that take numbers; the rest stay text.
_NUMERIC_OPTIONS = {"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout"}


def database_from_url(url: str, *, conn_max_age: int = 0) -> dict:
    """Django's DATABASES entry for `url`; several comma-separated hosts are kept as libpq lists."""
    parts = urlsplit(url)
    hostlist = parts.netloc.rpartition("@")[2]
    if "," not in hostlist:
        return dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise ValueError("only PostgreSQL takes several hosts in DATABASE_URL")
    userinfo = parts.netloc.rpartition("@")[0]
    user, _, password = userinfo.partition(":")
    hosts, ports = [], []
    for entry in hostlist.split(","):
        host, port = _host_and_port(entry, default_port=5432)
        hosts.append(host)
        ports.append(str(port))
    options: dict[str, object] = {}
    for key, value in parse_qsl(parts.query):
        options[key] = int(value) if key in _NUMERIC_OPTIONS else value
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(user),
        "PASSWORD": unquote(password),
        "HOST": ",".join(hosts),
        "PORT": ",".join(ports),
        "CONN_MAX_AGE": conn_max_age,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
    }


def _host_and_port(entry: str, *, default_port: int) -> tuple[str, int]:
    entry = entry.strip()
    if entry.startswith("["):  # [IPv6]:port
        host, _, rest = entry[1:].partition("]")
        port = rest.lstrip(":")
    else:
        host, _, port = entry.rpartition(":") if ":" in entry else (entry, "", "")
    if not host:
        raise ValueError(f"no host in {entry!r}")
    return host, int(port) if port else default_port


@dataclass(frozen=True)
class SentinelRedis:
    """Redis reached through Sentinel: the master the Sentinels name for `master`."""

    sentinels: tuple[tuple[str, int], ...]
    master: str
    db: int = 0
    # A dead server or Sentinel is given up on this fast; a failover is then followed at once.
    socket_timeout: float = 1.0

    @property
    def timeouts(self) -> dict[str, float]:
        """Socket time-outs for a server or a Sentinel: a dead one is given up on this fast."""
        return {"socket_timeout": self.socket_timeout, "socket_connect_timeout": self.socket_timeout}

    def client(self):
        """A synchronous redis-py client of the current master (re-asked of the Sentinels on a failure)."""
        from redis.sentinel import Sentinel

        sentinel = Sentinel(list(self.sentinels), sentinel_kwargs=self.timeouts, **self.timeouts)
        return sentinel.master_for(self.master, db=self.db, **self.timeouts)


def sentinels_from_env(sentinels: str, master: str, *, db: int = 0) -> SentinelRedis | None:
    """`REDIS_SENTINELS` ("host:port,host:port") and `REDIS_SENTINEL_MASTER`, or None when unset."""
    if not sentinels:
        return None
    if not master:
        raise ValueError("REDIS_SENTINELS needs REDIS_SENTINEL_MASTER")
    addresses = tuple(_host_and_port(entry, default_port=26379) for entry in sentinels.split(",") if entry.strip())
    return SentinelRedis(sentinels=addresses, master=master, db=db)


def channel_layer_host(redis_url: str, sentinel: SentinelRedis | None):
    """One entry of channels-redis' `hosts`: the URL, or its Sentinel description."""
    if sentinel is None:
        return redis_url
    host: dict[str, object] = {
        "sentinels": list(sentinel.sentinels),
        "master_name": sentinel.master,
        "db": sentinel.db,
        "socket_connect_timeout": sentinel.socket_timeout,
        # A subscription on a master that died unseen (no FIN) is noticed by its periodic PING.
        "health_check_interval": 2,
        "sentinel_kwargs": sentinel.timeouts,
    }
    return host


def celery_broker(redis_url: str, sentinel: SentinelRedis | None) -> tuple[str, dict]:
    """Celery's broker URL and the transport options it adds."""
    if sentinel is None:
        return redis_url, {}
    url = ";".join(f"sentinel://{host}:{port}/{sentinel.db}" for host, port in sentinel.sentinels)
    return url, {"master_name": sentinel.master, "sentinel_kwargs": sentinel.timeouts}

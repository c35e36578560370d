"""The one uvicorn command line, used by `runsystem`, the test servers and the benchmarks."""

from __future__ import annotations

import sys


def uvicorn_command(*, host: str, port: int | str, workers: int = 1, log_level: str = "info") -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "dispatch.asgi:application",
        "--host", host, "--port", str(port), "--workers", str(workers),
        "--lifespan", "on", "--no-access-log", "--log-level", log_level,
        # Frames are small JSON on a local network: compressing each one for every socket costs more CPU than it saves.
        "--ws-per-message-deflate", "false",
        # The peer's address and scheme reach Django untouched: uvicorn would otherwise believe
        # X-Forwarded-For/-Proto from any local peer (its FORWARDED_ALLOW_IPS default). Only
        # TRUSTED_PROXIES are believed, by dispatch.middleware.TrustedProxyMiddleware.
        "--no-proxy-headers",
    ]

"""Run the whole system: the ASGI server (HTTP + WebSocket) and, with Redis,
a Celery worker and beat beside it. Without Redis the periodic sweep runs
inside the web process. In production mode (DEBUG=0) the static files are
collected first, since WhiteNoise serves them from STATIC_ROOT and its
manifest. Stops everything cleanly on Ctrl-C or SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from dispatch.server import uvicorn_command


class Command(BaseCommand):
    help = "Run the web server, WebSockets and background tasks together."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1")))
        parser.add_argument("--web-only", action="store_true", help="only the web server (the worker and beat run elsewhere)")
        parser.add_argument("--skip-collectstatic", action="store_true",
                            help="with DEBUG=0, do not collect the static files first (an image that collected them when built)")

    def handle(self, *args, host, port, workers, web_only, skip_collectstatic, **options):
        if not settings.DEBUG and not skip_collectstatic:
            # Without the manifest every page that links a static file answers 500.
            call_command("collectstatic", interactive=False, verbosity=0)
        python = sys.executable
        env = dict(os.environ)
        with_redis = settings.USING_REDIS
        if not with_redis:
            env["EMBEDDED_SCHEDULER"] = "1"
            workers = 1  # the in-memory channel layer lives in one process
        web = uvicorn_command(host=host, port=port, workers=workers)
        commands = {"web": web}
        if with_redis and not web_only:
            commands["worker"] = [python, "-m", "celery", "-A", "dispatch", "worker", "--loglevel", "INFO", "--concurrency", "2"]
            commands["beat"] = [python, "-m", "celery", "-A", "dispatch", "beat", "--loglevel", "INFO",
                                "--schedule", os.environ.get("CELERY_BEAT_SCHEDULE_FILE", str(settings.BASE_DIR / ".celerybeat-schedule"))]
        processes = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}
        self.stdout.write(f"Dispatch 112 at http://{host}:{port}/  ({', '.join(processes)}; "
                          f"{'PostgreSQL' if settings.USING_POSTGRES else 'SQLite'}, {'Redis' if with_redis else 'in-process'})")
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        exit_code = 0
        try:
            while not stopping:
                for name, proc in processes.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with {proc.returncode}; stopping")
                        exit_code = proc.returncode or 1
                        stopping = True
                time.sleep(0.5)
        finally:
            for proc in processes.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for proc in processes.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
        sys.exit(exit_code)

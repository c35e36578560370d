"""The surge benchmark's load generator: `manage.py simulate`'s scenario through a lean HTTP client.

The command's own httpx client costs about 2 ms of CPU per request; at 80 calls/s
(three requests each) that is half a core of the two the server under test has.
Same scenario, same seed and statistics; only the client differs.

    python bench/surge_traffic.py --base-url URL --token T --rate R --duration S --surge-factor F --json-out OUT
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from calls.management.commands.simulate import Simulator, summary  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--surge-factor", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=112)
    parser.add_argument("--max-in-flight", type=int, default=256)
    parser.add_argument("--json-out", required=True)
    args = parser.parse_args(argv)
    simulator = Simulator(base_url=args.base_url, token=args.token, seed=args.seed, think=0.0)

    async def play():
        client = common.LeanApiClient(args.base_url, {"Authorization": f"Token {args.token}"})
        return await simulator.run(rate=args.rate, duration=args.duration, surge_factor=args.surge_factor,
                                   surge_at=args.duration / 4, surge_seconds=args.duration / 2,
                                   max_in_flight=args.max_in_flight, client=client)

    with common.client_gc_paused():
        stats = asyncio.run(play())
    Path(args.json_out).write_text(json.dumps(summary(stats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

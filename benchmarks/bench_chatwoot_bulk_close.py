"""Bulk-close throughput of the Chatwoot backend against the fake Chatwoot, next to the rate limit.

    python benchmarks/bench_chatwoot_bulk_close.py                 # 1,000 conversations, three runs
    python benchmarks/bench_chatwoot_bulk_close.py -n 2000 --rate 20 --failures 0.1

Each run starts the fake Chatwoot of the test suite (tests/fakes/chatwoot_server.py: real HTTP on
127.0.0.1, bulk actions applied 10 ms after the answer, seeded fault injection), seeds N open
conversations, lists them through the backend and closes them all with one ``run_action``: reads in
pages of 25, ``POST /bulk_actions`` in batches of 100, each batch verified by reading it back.

It prints, per run: the configured rate limit and the rate achieved (requests per second, all
requests: listing, reads, writes, read-backs, retries), conversations closed per second, the
number of requests and retries, the faults injected, and two checks: every conversation closed,
and no conversation written twice.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from fakes.chatwoot_server import ADMIN_TOKEN, FakeChatwoot, Faults  # noqa: E402

from inboxctl.backends.chatwoot.backend import DEFAULT_RATE, ChatwootBackend  # noqa: E402
from inboxctl.backends.chatwoot.conversations import Settle  # noqa: E402
from inboxctl.conversations.model import ActionRequest, ConversationQuery  # noqa: E402

# The fake applies a bulk action 10 ms after answering, so reading back after 50 ms is enough here;
# the backend's default first wait (0.5 s) is for a real Chatwoot's background jobs.
SETTLE = Settle(first_wait=0.05, max_wait=3.0)
HEADER = ("rate limit", "faults", "requests", "retries", "seconds", "requests/s", "closed/s", "closed",
          "written twice", "injected")


def run(count: int, rate: float, failures: float, seed: int) -> tuple[str, ...]:
    with FakeChatwoot(faults=Faults(rate=0.0, seed=seed), bulk_delay=0.01) as fake:
        fake.seed_conversations(count)
        fake.faults.rate = failures
        backend = ChatwootBackend(fake.url, 1, ADMIN_TOKEN, rate=rate, settle=SETTLE,
                                  client_options={"backoff_base": 0.05, "backoff_cap": 1.0, "max_attempts": 8})
        started = time.monotonic()
        ids = [c.id for c in backend.list_conversations(ConversationQuery(status="open"))]
        results = list(backend.run_action(ActionRequest(action="close"), ids))
        seconds = time.monotonic() - started
        fake.settle()
        stats = backend.client.stats
        backend.close()
        closed = sum(1 for c in fake.conversations.values() if c["status"] == "resolved")
        twice = sum(1 for writes in fake.writes.values() if writes > 1)
        outcomes = Counter(r.outcome for r in results)
        injected = ", ".join(f"{kind} {n}" for kind, n in sorted(fake.faults.injected.items())) or "-"
        assert outcomes["changed"] == closed == count, (outcomes, closed)
        return (f"{rate:g}/s", f"{failures:.0%}", str(stats.requests), str(stats.retries), f"{seconds:.1f}",
                f"{stats.requests / seconds:.1f}", f"{count / seconds:.0f}", f"{closed}/{count}", str(twice),
                injected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--conversations", type=int, default=1000)
    parser.add_argument("--rate", type=float, action="append",
                        help=f"requests per second (repeatable; default: {DEFAULT_RATE:g}, the backend's, and 50)")
    parser.add_argument("--failures", type=float, default=0.10, help="share of requests failing in the last run")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rates = args.rate or [DEFAULT_RATE, 50.0]
    runs = [(rate, 0.0) for rate in rates] + [(rates[-1], args.failures)]
    print(f"Bulk close of {args.conversations} conversations, fake Chatwoot on 127.0.0.1 "
          f"(bulk batches of {SETTLE.batch}, read-back after {SETTLE.first_wait:g} s)")
    rows = [HEADER] + [run(args.conversations, rate, failures, args.seed) for rate, failures in runs]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()

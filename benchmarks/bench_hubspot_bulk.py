"""Bulk actions on HubSpot at the speed of its rate limit: close, trash, then undo, against the fake HubSpot.

    python benchmarks/bench_hubspot_bulk.py                        # 1,000 threads, 19 requests per second
    python benchmarks/bench_hubspot_bulk.py -n 2000 --window-ms 10000 --max 190 --failures 0.1

HubSpot has no batch update: one request per thread, so a bulk action can go no faster than the
limit HubSpot announces in its headers (190 requests per 10 s on Professional). The fake HubSpot of
the test suite (tests/fakes/hubspot_server.py: real HTTP on 127.0.0.1, a rolling window answering
429 TEN_SECONDLY_ROLLING beyond it, seeded fault injection) enforces that window; to keep the run
short the default window is scaled down to 19 requests per 1 s: the same rate, a shorter window.
No rate is configured in inboxctl: the client paces itself from the headers.

Each scenario runs three phases the way the CLI does (the bulk runner with ``--concurrency 4``, a
journal, then undo from that journal): close every open thread of the inbox, trash them, undo the
trash. It prints, per phase and side by side: requests sent, the limit, the rate achieved as a
fraction of the limit, 429s received from the window (pacing too fast) and injected as faults,
threads changed, threads written twice, threads missed. Faults are the fake's kinds drawn evenly:
429, 502, 503, 423 (HubSpot asks for at least 2 s before a retry) and connection resets, half of
the resets after the write was applied.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]
os.environ["INBOXCTL_HOME"] = tempfile.mkdtemp(prefix="inboxctl-bench-")  # journals go here

from fakes.hubspot_server import TOKEN, FakeHubSpot, Faults  # noqa: E402

from inboxctl.backends.hubspot.backend import HubSpotBackend  # noqa: E402
from inboxctl.conversations.bulk import BulkOptions, run_bulk  # noqa: E402
from inboxctl.conversations.journal import JournalWriter, plan_undo, read_journal  # noqa: E402
from inboxctl.conversations.model import ActionRequest, ConversationQuery  # noqa: E402

HEADER = ("phase", "faults", "requests", "limit", "seconds", "req/s", "of limit", "429 window", "429 injected",
          "changed", "written twice", "missed")
FAST_RETRIES = {"backoff_base": 0.05, "backoff_cap": 1.0, "max_attempts": 8}


class Phase:
    """Counts what the fake saw between ``start`` and ``stop``."""

    def __init__(self, fake: FakeHubSpot) -> None:
        self.fake = fake
        self.requests = len(fake.requests)
        self.throttled = sum(fake.throttled.values())
        self.injected = fake.faults.injected["429"]
        self.writes = Counter(fake.writes)
        self.started = time.monotonic()

    def row(self, name: str, faults: float, changed: int, missed: int, limit: float) -> tuple[str, ...]:
        seconds = time.monotonic() - self.started
        requests = len(self.fake.requests) - self.requests
        injected = self.fake.faults.injected["429"] - self.injected
        throttled = sum(self.fake.throttled.values()) - self.throttled - injected  # the window's own 429s
        twice = sum(1 for thread, writes in self.fake.writes.items() if writes - self.writes[thread] > 1)
        rate = requests / seconds
        return (name, f"{faults:.0%}", str(requests), f"{limit:g}/s", f"{seconds:.1f}", f"{rate:.1f}",
                f"{rate / limit:.1%}", f"{throttled} ({throttled / requests:.1%})", str(injected), str(changed),
                str(twice), str(missed))


def journaled(backend: HubSpotBackend, request: ActionRequest, ids: list[str], known: dict | None,
              options: BulkOptions) -> tuple[int, Path]:
    journal = JournalWriter.create(action=request.action, request=request, backend=backend.name, profile="bench",
                                   server=backend.server_identity(), targets="benchmark", total=len(ids))
    summary = run_bulk(backend, request, ids, options=options, journal=journal, known=known)
    journal.finish(summary)
    return summary.changed, journal.path


def scenario(count: int, maximum: int, window_ms: int, failures: float, seed: int) -> list[tuple[str, ...]]:
    limit = maximum / (window_ms / 1000)
    options = BulkOptions(concurrency=4)
    with FakeHubSpot(threads=0, rate_max=maximum, rate_interval_ms=window_ms, faults=Faults(rate=0.0, seed=seed)) \
            as fake:
        ids = {str(number) for number in fake.add_threads(count, inbox="Support", status="OPEN")}
        fake.faults.rate = failures
        backend = HubSpotBackend(fake.url, TOKEN, client_options=FAST_RETRIES)
        rows = []

        phase = Phase(fake)
        listed = {c.id: c for c in backend.list_conversations(ConversationQuery(inbox="Support", status="open"))}
        changed, _ = journaled(backend, ActionRequest(action="close"), sorted(listed), listed, options)
        missed = sum(1 for i in ids if fake.thread(int(i))["status"] != "CLOSED")
        rows.append(phase.row("close", failures, changed, missed, limit))

        phase = Phase(fake)
        listed = {c.id: c for c in backend.list_conversations(ConversationQuery(inbox="Support", status="closed"))}
        changed, trash_journal = journaled(backend, ActionRequest(action="trash"), sorted(listed), listed, options)
        missed = sum(1 for i in ids if not fake.threads[int(i)]["archived"])
        rows.append(phase.row("trash", failures, changed, missed, limit))

        phase = Phase(fake)
        undo = plan_undo(read_journal(trash_journal))
        changed = sum(run_bulk(backend, request, group, options=options).changed
                      for request, group in undo.groups.items())
        missed = sum(1 for i in ids if fake.threads[int(i)]["archived"])
        rows.append(phase.row("undo trash", failures, changed, missed, limit))
        backend.close()
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--threads", type=int, default=1000)
    parser.add_argument("--max", type=int, default=19, help="requests per window (HubSpot Professional: 190)")
    parser.add_argument("--window-ms", type=int, default=1000, help="the window (HubSpot: 10000)")
    parser.add_argument("--failures", type=float, default=0.10, help="share of requests failing in the second run")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"{args.threads} threads, fake HubSpot on 127.0.0.1, window of {args.max} requests per "
          f"{args.window_ms} ms, bulk runner with --concurrency 4, no --rate (paced from HubSpot's headers)")
    rows = [HEADER]
    for failures in (0.0, args.failures):
        rows += scenario(args.threads, args.max, args.window_ms, failures, args.seed)
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()

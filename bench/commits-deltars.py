"""One delta-rs writer process of the commit benchmark (bench/scenario-commits.ts).

The delta-rs side of the comparison: the same blind appends (one add per commit, the same path,
size and stats as bench/commit-writer.ts) committed to a local Delta table with
`DeltaTable.create_write_transaction`, the cheapest delta-rs call that commits given add actions
(no parquet is written, exactly as on the SQL side). delta-rs resolves races itself: a commit that
finds its version taken re-reads the winners and retries (its own bounded retries). Post-commit
checkpoints are off, so delta-rs does no more work per commit than the SQL side's commit call
(our checkpoints are written by the publisher, off the commit path).

Input: one JSON argument {loc, writer, commits}. Prints `ready`, starts on a line on stdin (all
writers start at once), then prints one JSON line like commit-writer.ts (latencies in seconds,
failures as messages).
"""

import json
import os
import sys
import time

from deltalake import DeltaTable
from deltalake.transaction import AddAction, PostCommitHookProperties


def main() -> None:
    a = json.loads(sys.argv[1])
    dt = DeltaTable(a["loc"])
    schema = dt.schema()
    hooks = PostCommitHookProperties(create_checkpoint=False, cleanup_expired_logs=False)
    k = a["writer"]
    report = {"writer": k, "latencies": [], "committed": [], "maxAttempts": 0, "failures": []}
    print("ready", flush=True)
    sys.stdin.readline()
    report["startedAt"] = int(time.time() * 1000)
    for i in range(a["commits"]):
        add = AddAction(
            path=f"w{k}-{i}.parquet",
            size=1000 + i,
            partition_values={},
            modification_time=int(time.time() * 1000),
            data_change=True,
            stats='{"numRecords":1}',
        )
        t0 = time.perf_counter()
        try:
            dt.create_write_transaction([add], mode="append", schema=schema, post_commithook_properties=hooks)
            report["latencies"].append(time.perf_counter() - t0)
            report["committed"].append([dt.version(), int(time.time() * 1000)])
        except Exception as e:  # a lost commit is counted, never hidden
            report["failures"].append(f"{type(e).__name__}: {e}")
    report["endedAt"] = int(time.time() * 1000)
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
    # Leave without running native destructors: delta-rs's runtime threads can abort the interpreter
    # at shutdown ("terminate called without an active exception", SIGABRT) after the result is out.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)

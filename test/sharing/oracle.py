"""Independent readers for the sharing and reader tests: the real `delta-sharing` client and delta-rs.

Usage: oracle.py job.json. The job is a list of checks; the last stdout line is a JSON list of
results {id, ok, error?, rows?, detail?}. Rows are compared as sorted canonical strings (see canon),
so both sides must hold exactly the same multiset of rows.

kinds:
  rows:    delta_sharing.load_as_pandas(url, version|timestamp, use_delta_format) vs
           DeltaTable(path, version, storageOptions).to_pandas()
  cdf:     delta_sharing.load_table_changes_as_pandas(url, start, end) vs DeltaTable.load_cdf(start, end)
  deltars: write delta-rs canonical rows of (path, version) to `out` (for the TypeScript reader)
"""
import calendar
import datetime
import decimal
import json
import math
import os
import signal
import sys
import time
import traceback

import numpy as np
import pandas as pd


def num(v):
    if math.isnan(v):
        return None
    if v.is_integer() and abs(v) < 2**53:
        return str(int(v))
    return "%.12g" % v


def ts_ms(dt):
    if dt.tzinfo is not None:
        dt = dt.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return "t:%d" % (calendar.timegm(dt.timetuple()) * 1000 + dt.microsecond // 1000)


def key(k):
    """A map key as text, the way a JavaScript object key prints it (arrays join with commas)."""
    if isinstance(k, str):
        return k
    c = canon(k)
    return ",".join(str(x) for x in c) if isinstance(c, list) else str(c)


def canon(v):
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return num(float(v))
    if isinstance(v, decimal.Decimal):
        return num(float(v))
    if isinstance(v, pd.Timestamp):
        return "t:%d" % (v.value // 1_000_000) if v.tzinfo is None else ts_ms(v.to_pydatetime())
    if isinstance(v, np.datetime64):
        return canon(pd.Timestamp(v))
    if isinstance(v, datetime.datetime):
        return ts_ms(v)
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray)):
        return "b:" + bytes(v).hex()
    if isinstance(v, str):
        return v
    if isinstance(v, dict):
        return sorted([[key(k), canon(x)] for k, x in v.items()], key=lambda p: p[0])
    if isinstance(v, (list, tuple, np.ndarray)):
        items = list(v)
        if items and all(isinstance(x, tuple) and len(x) == 2 for x in items):
            return sorted([[key(k), canon(x)] for k, x in items], key=lambda p: p[0])
        return [canon(x) for x in items]
    return str(v)


def canon_rows(records, drop=()):
    out = []
    for r in records:
        out.append(
            json.dumps(
                sorted([[k, canon(x)] for k, x in r.items() if k not in drop], key=lambda p: p[0]),
                separators=(",", ":"),
                ensure_ascii=False,
            )
        )
    return sorted(out)


def frame_rows(df, drop=()):
    return canon_rows(df.to_dict("records"), drop)


def commit_ms(df):
    """_commit_timestamp as epoch milliseconds: the sharing protocol's type (long); delta-rs and
    delta-kernel give a timestamp."""
    if "_commit_timestamp" in df.columns and not pd.api.types.is_integer_dtype(df["_commit_timestamp"]):
        df["_commit_timestamp"] = [None if canon(x) is None else int(canon(x)[2:]) for x in df["_commit_timestamp"]]
    return df


def compare(got, want):
    if got == want:
        return True, None
    gs, ws = set(got), set(want)
    extra = [r for r in got if r not in ws][:2]
    missing = [r for r in want if r not in gs][:2]
    return False, f"got {len(got)} rows, want {len(want)}; extra {extra}; missing {missing}"


def kernel_table(path, version):
    """delta-kernel-rs (the wrapper the sharing client ships) reading the local table as of
    `version`: a scratch table whose log stops at that version, with the data files linked in."""
    import os
    import tempfile

    import delta_kernel_rust_sharing_wrapper as k
    import pyarrow as pa

    tmp = tempfile.mkdtemp()
    for e in os.listdir(path):
        if e != "_delta_log":
            os.symlink(os.path.join(path, e), os.path.join(tmp, e))
    os.makedirs(os.path.join(tmp, "_delta_log"))
    log = os.path.join(path, "_delta_log")
    for e in os.listdir(log):
        head = e.split(".")[0]
        if head.isdigit() and int(head) <= version and not e.endswith(".crc"):
            os.symlink(os.path.join(log, e), os.path.join(tmp, "_delta_log", e))
        elif e == "_sidecars":
            os.symlink(os.path.join(log, e), os.path.join(tmp, "_delta_log", e))
    url = "file://" + tmp
    interface = k.PythonInterface(url)
    snap = k.Table(url).snapshot(interface)
    batches = list(k.ScanBuilder(snap).build().execute(interface))
    if not batches:
        return None
    return pa.Table.from_batches(batches)


def reference_rows(path, version, frame, storage_options=None):
    """delta-rs rows at `version`; delta-kernel-rs where delta-rs refuses the table or misreads it.
    `storage_options` point delta-rs at an object store (an emulator); the kernel fallback is local."""
    from deltalake import DeltaTable

    try:
        dt = DeltaTable(path, version=version, storage_options=storage_options)
        # delta-rs 1.6 reads column-mapped tables as all nulls: delta-kernel-rs reads them right.
        if dt.metadata().configuration.get("delta.columnMapping.mode", "none") != "none":
            raise ValueError("column mapping")
        return frame_rows(dt.to_pandas()) if frame else canon_rows(dt.to_pyarrow_table().to_pylist())
    except Exception as first:
        if isinstance(first, FileNotFoundError):
            raise
        try:
            t = kernel_table(path, version)
        except Exception:
            raise first
        if t is None:
            return []
        return frame_rows(t.to_pandas()) if frame else canon_rows(t.to_pylist())


def run(check):
    import delta_sharing
    from deltalake import DeltaTable

    kind = check["kind"]
    if kind == "deltars":
        rows = reference_rows(check["path"], check["version"], False)
        with open(check["out"], "w") as f:
            json.dump(rows, f, ensure_ascii=False)
        return {"ok": True, "rows": len(rows)}
    if kind == "rows":
        try:
            want = reference_rows(check["path"], check["version"], True, check.get("storageOptions"))
        except Exception as e:  # the oracle itself cannot read it: reported, not compared
            return {"ok": False, "error": "oracle: " + str(e).split("\n")[0][:300]}
        kw = {"use_delta_format": check.get("useDelta")}
        if check.get("timestamp"):
            kw["timestamp"] = check["timestamp"]
        else:
            kw["version"] = check["version"]
        got = frame_rows(delta_sharing.load_as_pandas(check["url"], **kw))
        ok, detail = compare(got, want)
        return {"ok": ok, "rows": len(got), "detail": detail}
    if kind == "cdf":
        drop = ("_commit_timestamp",) if check.get("ignoreTimestamp") else ()
        dt = DeltaTable(check["path"])
        import pyarrow as pa

        cdf = dt.load_cdf(starting_version=check["start"], ending_version=check["end"]).read_all()
        want = frame_rows(commit_ms(pa.table(cdf).to_pandas()), drop)
        got = frame_rows(
            commit_ms(
                delta_sharing.load_table_changes_as_pandas(
                    check["url"],
                    starting_version=check["start"],
                    ending_version=check["end"],
                    use_delta_format=check.get("useDelta"),
                )
            ),
            drop,
        )
        ok, detail = compare(got, want)
        return {"ok": ok, "rows": len(got), "detail": detail}
    raise ValueError("unknown check kind " + kind)


CHECK_SECONDS = 60


def on_alarm(signum, frame):
    raise TimeoutError(f"check took more than {CHECK_SECONDS} s")


def main():
    signal.signal(signal.SIGALRM, on_alarm)
    # Fail fast: the client retries 5xx answers ten times with exponential backoff.
    from delta_sharing.rest_client import DataSharingRestClient

    DataSharingRestClient._should_retry = lambda self, e: False
    checks = json.load(open(sys.argv[1]))
    results = []
    for c in checks:
        t0 = time.time()
        signal.alarm(CHECK_SECONDS)
        try:
            r = run(c)
        except Exception as e:
            r = {"ok": False, "error": (type(e).__name__ + ": " + str(e))[:1500], "trace": traceback.format_exc()[-1500:]}
        r["id"] = c["id"]
        r["ms"] = int((time.time() - t0) * 1000)
        signal.alarm(0)
        print(c["id"], r["ms"], "ok" if r.get("ok") else "FAIL", file=sys.stderr, flush=True)
        results.append(r)
    sys.stdout.write("\n" + json.dumps(results) + "\n")


if __name__ == "__main__":
    main()
    # Leave without running native destructors: delta-rs's runtime threads can abort the interpreter
    # at shutdown ("terminate called without an active exception", SIGABRT) after every result is out.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)

"""delta-rs side of the benchmark (run with the project venv's python).

Jobs, each printing one JSON line (serve: one per request):
  checkpoint <table> <v1,v2,...>   write a checkpoint at each listed version (delta-rs writer)
  rechunk <parquet file> <rows>    rewrite a checkpoint with at most <rows> rows per row group
                                   (pyarrow), the layout Spark's 128 MB parquet blocks give
  files <table> <version|latest> <iterations> [--uris]
                                   time DeltaTable(path, version=v) + file list, inside python
                                   (interpreter start-up excluded), once per iteration; with
                                   --uris also print the list (from the last iteration, so the
                                   caller can compare file sets exactly)
  serve <table>                    answer requests, one JSON line each on stdin, one JSON line
                                   each on stdout, so the caller can interleave single timed runs
                                   with its own (bench/scenario-snapshot.ts) in one warm process:
                                   {"op": "files" | "adds", "version": v | null, "paths": bool}
                                   -> {"seconds", "numFiles", "paths"?}. "files" times
                                   DeltaTable(path, version=v).file_uris(), "adds" the same open
                                   plus get_add_actions(flatten=False) (stats parsed into arrow);
                                   "paths" (outside the timed part) are the URIs, or the add
                                   actions' stored paths
"""
import json
import os
import sys
import time

from deltalake import DeltaTable


def list_files(dt):
    # deltalake >= 1.0 dropped DeltaTable.files(); file_uris() is its replacement.
    return dt.files() if hasattr(dt, "files") else dt.file_uris()


def checkpoint(path, versions):
    t0 = time.perf_counter()
    for v in versions:
        DeltaTable(path, version=v).create_checkpoint()
    return {"checkpoints": versions, "seconds": time.perf_counter() - t0}


def rechunk(path, rows):
    import pyarrow.parquet as pq

    t0 = time.perf_counter()
    table = pq.read_table(path)
    tmp = path + ".rechunk.tmp"
    pq.write_table(table, tmp, row_group_size=rows, compression="snappy")
    import os

    os.replace(tmp, path)
    groups = pq.ParquetFile(path).metadata.num_row_groups
    return {"rows": table.num_rows, "rowGroups": groups, "seconds": time.perf_counter() - t0}


def files(path, version, iterations, with_uris):
    times = []
    uris = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        dt = DeltaTable(path) if version is None else DeltaTable(path, version=version)
        uris = list_files(dt)
        times.append(time.perf_counter() - t0)
    out = {"seconds": times, "numFiles": len(uris)}
    if with_uris:
        out["uris"] = list(uris)
    return out


def serve(path):
    for line in sys.stdin:
        req = json.loads(line)
        if req.get("op") not in ("files", "adds"):
            sys.stdout.write(json.dumps({"error": "unknown op " + str(req.get("op"))}) + "\n")
            sys.stdout.flush()
            continue
        version = req.get("version")
        t0 = time.perf_counter()
        dt = DeltaTable(path) if version is None else DeltaTable(path, version=version)
        if req["op"] == "files":
            listed = list_files(dt)
            seconds = time.perf_counter() - t0
            out = {"seconds": seconds, "numFiles": len(listed)}
            if req.get("paths"):
                out["paths"] = list(listed)
        else:
            adds = dt.get_add_actions(flatten=False)
            seconds = time.perf_counter() - t0
            out = {"seconds": seconds, "numFiles": adds.num_rows}
            if req.get("paths"):
                import pyarrow as pa

                out["paths"] = pa.table(adds).column("path").to_pylist()
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()
    return {"served": True}


def main(argv):
    if len(argv) >= 3 and argv[0] == "checkpoint":
        out = checkpoint(argv[1], [int(v) for v in argv[2].split(",") if v])
    elif len(argv) == 2 and argv[0] == "serve":
        out = serve(argv[1])
    elif len(argv) == 3 and argv[0] == "rechunk":
        out = rechunk(argv[1], int(argv[2]))
    elif len(argv) in (4, 5) and argv[0] == "files" and argv[4:] in ([], ["--uris"]):
        version = None if argv[2] == "latest" else int(argv[2])
        out = files(argv[1], version, int(argv[3]), len(argv) == 5)
    else:
        sys.stderr.write(__doc__)
        return 2
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    rc = main(sys.argv[1:])
    # Leave without running native destructors: delta-rs's runtime threads can abort the interpreter
    # at shutdown ("terminate called without an active exception", SIGABRT) after the result is out.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc or 0)

"""delta-rs side of the benchmark (run with the project venv's python).

Two jobs, both printing one JSON line:
  checkpoint <table> <v1,v2,...>   write a checkpoint at each listed version (delta-rs writer)
  rechunk <parquet file> <rows>    rewrite a checkpoint with at most <rows> rows per row group
                                   (pyarrow), the layout Spark's 128 MB parquet blocks give
  files <table> <version|latest> <iterations> [--uris]
                                   time DeltaTable(path, version=v) + file list, inside python
                                   (interpreter start-up excluded), once per iteration; with
                                   --uris also print the list (from the last iteration, so the
                                   caller can compare file sets exactly)
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


def main(argv):
    if len(argv) >= 3 and argv[0] == "checkpoint":
        out = checkpoint(argv[1], [int(v) for v in argv[2].split(",") if v])
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

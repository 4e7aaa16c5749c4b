"""Peers and data for the formats benchmark (bench/scenario-formats.ts); prints one JSON line.

  generate DIR N PARTITIONS   N small parquet files (pyarrow), Hive-partitioned by day= when
                              PARTITIONS > 0, flat otherwise; cached by the caller.
  deltars-convert DIR PARTS   delta-rs convert_to_deltalake (CONVERT TO DELTA), timed in-process.
  pyiceberg-add DIR WORK      pyiceberg add_files of every parquet file of DIR into a fresh
                              SqlCatalog (SQLite) table, timed in-process (catalog set-up excluded).
  iceberg-files METADATA      file count and record total of an Iceberg table, read by pyiceberg.
  delta-files DIR             path -> numRecords of a Delta table's live files, read by delta-rs.
"""
import json
import os
import sys
import time


def generate(root, n, parts):
    import pyarrow as pa
    import pyarrow.parquet as pq

    for i in range(n):
        d = os.path.join(root, f"day=2024-01-{1 + i % parts:02d}") if parts > 0 else root
        os.makedirs(d, exist_ok=True)
        rows = 8 + i % 5
        t = pa.table(
            {
                "id": pa.array(range(i * 100, i * 100 + rows), pa.int64()),
                "name": [f"n{i}-{j}" for j in range(rows)],
                "amount": [float(j) * 1.5 if j % 3 else None for j in range(rows)],
            }
        )
        pq.write_table(t, os.path.join(d, f"part-{i:06d}.parquet"))
    return {"files": n}


def deltars_convert(root, parts):
    from deltalake import Field, Schema, convert_to_deltalake

    t0 = time.perf_counter()
    if parts:
        convert_to_deltalake(root, partition_by=Schema([Field("day", "string")]), partition_strategy="hive")
    else:
        convert_to_deltalake(root)
    return {"seconds": time.perf_counter() - t0}


def parquet_files(root):
    out = []
    for d, _, names in os.walk(root):
        if "/_delta_log" in d or "/metadata" in d:
            continue
        out += [os.path.join(d, f) for f in names if f.endswith(".parquet")]
    return sorted(out)


def pyiceberg_add(root, work):
    import pyarrow.parquet as pq
    from pyiceberg.catalog.sql import SqlCatalog

    files = parquet_files(root)
    cat = SqlCatalog("bench", uri=f"sqlite:///{work}/catalog.db", warehouse=f"file://{work}/wh")
    cat.create_namespace("b")
    table = cat.create_table("b.t", schema=pq.read_schema(files[0]))
    t0 = time.perf_counter()
    table.add_files(file_paths=[f"file://{f}" for f in files])
    seconds = time.perf_counter() - t0
    snap = cat.load_table("b.t").current_snapshot()
    return {
        "seconds": seconds,
        "files": int(snap.summary["total-data-files"]),
        "records": int(snap.summary["total-records"]),
    }


def iceberg_files(metadata):
    from pyiceberg.table import StaticTable

    t = StaticTable.from_metadata(metadata)
    files = t.inspect.files()
    return {"files": files.num_rows, "records": int(sum(files.column("record_count").to_pylist()))}


def delta_files(root):
    from deltalake import DeltaTable

    import pyarrow as pa

    adds = pa.table(DeltaTable(root).get_add_actions(flatten=True)).to_pydict()
    return {"files": dict(zip(adds["path"], adds["num_records"]))}


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "generate":
        out = generate(args[0], int(args[1]), int(args[2]))
    elif cmd == "deltars-convert":
        out = deltars_convert(args[0], int(args[1]))
    elif cmd == "pyiceberg-add":
        out = pyiceberg_add(args[0], args[1])
    elif cmd == "iceberg-files":
        out = iceberg_files(args[0])
    elif cmd == "delta-files":
        out = delta_files(args[0])
    else:
        raise SystemExit(f"unknown command {cmd}")
    print(json.dumps(out))

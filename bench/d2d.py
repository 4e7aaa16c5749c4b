"""delta2ducklake side of the benchmark (issue 21), run with the project venv's python.

    d2d.py copy <delta table dir> <sqlite:FILE | postgres:DSN> <data path> <table name>

Bootstraps a fresh DuckLake catalog (untimed), adds the three columns delta2ducklake 0.2.1
writes but the DuckLake 1.4.4 extension's bootstrap does not create, times `copy_table` alone
(interpreter start-up, imports and bootstrap excluded), then prints one JSON line with the
seconds and the registered file set (paths relative to the Delta table root, sorted) so the
harness can require the same file set as deltasql's.

DuckDB cannot download extensions here: the ducklake, sqlite and postgres extensions come from
the duckdb-ext-* PyPI packages (scripts/bench-requirements.txt), whose files live under
site-packages/duckdb_ext/extensions; `extension_directory` points there.
"""
import json
import os
import sys
import time

import duckdb
import duckdb_ext  # noqa: F401  (namespace package of the duckdb-ext-* wheels)
from delta2ducklake.convert import copy_table
from delta2ducklake.ducklake.catalog import PostgresCatalogConfig, SQLiteCatalogConfig

EXTENSION_DIR = os.path.join(list(duckdb_ext.__path__)[0], "extensions")
# (table, column, type) that delta2ducklake 0.2.1 inserts into and the 1.4.4 bootstrap lacks.
MISSING_COLUMNS = [
    ("ducklake_column", "default_value_type", "VARCHAR"),
    ("ducklake_column", "default_value_dialect", "VARCHAR"),
    ("ducklake_data_file", "partial_max", "BIGINT"),
]


def config_for(spec):
    if spec.startswith("sqlite:"):
        return SQLiteCatalogConfig(spec[len("sqlite:"):])
    if spec.startswith("postgres:"):
        return PostgresCatalogConfig(spec[len("postgres:"):])
    raise SystemExit(f"catalog must be sqlite:FILE or postgres:DSN, got {spec!r}")


def bootstrap(config, data_path):
    """DuckDB's own ducklake extension creates the schema (what delta2ducklake's bootstrap does,
    with the extension directory set and no INSTALL, which would try the network)."""
    con = duckdb.connect(config={"extension_directory": EXTENSION_DIR})
    try:
        con.sql("LOAD ducklake")
        con.sql("LOAD sqlite" if isinstance(config, SQLiteCatalogConfig) else "LOAD postgres")
        url = config.attach_url().replace("'", "''")
        con.sql(f"ATTACH '{url}' AS bootstrap_target (DATA_PATH '{data_path}')")
    finally:
        con.close()
    catalog = config.connect()
    try:
        for table, column, kind in MISSING_COLUMNS:
            have = [r[0] for r in catalog.fetchall(columns_sql(config), (table,))]
            if column not in have:
                catalog.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        catalog.commit()
    finally:
        catalog.close()


def columns_sql(config):
    if isinstance(config, SQLiteCatalogConfig):
        return "SELECT name FROM pragma_table_info(?)"
    return "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND table_schema = current_schema()"


def registered_files(config, table_id, root):
    catalog = config.connect()
    try:
        rows = catalog.fetchall(
            "SELECT path, path_is_relative FROM ducklake_data_file WHERE table_id = ? AND end_snapshot IS NULL",
            (table_id,),
        )
    finally:
        catalog.close()
    base = os.path.abspath(root).rstrip("/") + "/"
    out = []
    for p, _relative in rows:
        p = p[len("file://"):] if p.startswith("file://") else p
        out.append(p[len(base):] if p.startswith(base) else p)
    return sorted(out)


def main(argv):
    if len(argv) != 6 or argv[1] != "copy":
        raise SystemExit(__doc__)
    root, spec, data_path, name = argv[2:6]
    config = config_for(spec)
    bootstrap(config, data_path)
    t0 = time.perf_counter()
    table_id = copy_table(os.path.abspath(root), config, name)
    seconds = time.perf_counter() - t0
    files = registered_files(config, table_id, root)
    print(json.dumps({"seconds": seconds, "numFiles": len(files), "files": files}))


if __name__ == "__main__":
    main(sys.argv)
    # Leave without running native destructors: delta-rs's runtime threads can abort the interpreter
    # at shutdown ("terminate called without an active exception", SIGABRT) after the result is out.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)

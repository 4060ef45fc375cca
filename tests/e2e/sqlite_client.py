#!/usr/bin/env python3
"""The application of the end-to-end test: commits numbered transactions into two SQLite
databases on the primary's FUSE mount, wal.db in WAL mode and journal.db in rollback-journal
mode, each over one long-lived connection, as a real database client would.

It talks to the test driver through files in WORK:
  primary        the node whose start_prim ran last ("none" after its stop_prim)
  hold           present while the driver checks the copies: write nothing
  writer.status  "idle" once the connection is closed, "writing NODE" otherwise
  acked          one transaction number a line, written only after COMMIT returned success
                 in both databases
Transaction numbers are never reused: a commit that failed (or whose outcome is unknown
because the node died under it) is not acknowledged, and the next one gets a new number.
"""
import os
import sqlite3
import sys
import time

work = sys.argv[1]
mount_of = lambda node: os.path.join(work, node, "mnt", "srv", "hm-e2e")  # noqa: E731


def read_primary():
    try:
        with open(os.path.join(work, "primary")) as f:
            node = f.read().strip()
    except OSError:
        return None
    if node in ("", "none") or os.path.exists(os.path.join(work, "hold")):
        return None
    return node


def set_status(text):
    # Renamed into place, so the driver never reads a half-written status.
    tmp = os.path.join(work, "writer.status.tmp")
    with open(tmp, "w") as f:
        f.write(text + "\n")
    os.replace(tmp, os.path.join(work, "writer.status"))


# Both ways SQLite makes a commit durable: the WAL, and the rollback journal.
JOURNAL_MODES = {"wal.db": "WAL", "journal.db": "DELETE"}


def open_databases(node):
    conns = []
    try:
        for name, mode in JOURNAL_MODES.items():
            conn = sqlite3.connect(os.path.join(mount_of(node), name), timeout=2, isolation_level=None)
            conns.append(conn)
            conn.execute(f"PRAGMA journal_mode={mode}")
            conn.execute("CREATE TABLE IF NOT EXISTS t(n INTEGER PRIMARY KEY, committed_at REAL)")
    except (sqlite3.Error, OSError):
        close_quietly(conns)
        raise
    return conns


def close_quietly(conns):
    for conn in conns or []:
        try:
            conn.close()
        except sqlite3.Error:
            pass  # the node died under it: nothing left to close cleanly


def main():
    acked = open(os.path.join(work, "acked"), "a", buffering=1)
    log = open(os.path.join(work, "writer.log"), "a", buffering=1)
    n = 0
    conns = None
    target = None
    set_status("idle")
    # The driver removes its work folder when it ends, even when killed before it could
    # stop this client: then there is nobody left to write for.
    while os.path.isdir(work):
        wanted = read_primary()
        if wanted != target:
            close_quietly(conns)
            conns = None
            target = wanted
            set_status("idle" if target is None else "writing " + target)
        if target is None:
            time.sleep(0.02)
            continue
        try:
            if conns is None:
                conns = open_databases(target)
            n += 1
            for db in conns:
                db.execute("BEGIN IMMEDIATE")
                db.execute("INSERT INTO t VALUES (?, ?)", (n, time.time()))
                db.execute("COMMIT")
            acked.write(f"{n}\n")
        except (sqlite3.Error, OSError) as error:
            log.write(f"{time.time():.3f} transaction {n} on {target} not acknowledged: {error}\n")
            close_quietly(conns)
            conns = None
            time.sleep(0.1)
        time.sleep(0.005)


if __name__ == "__main__":
    main()

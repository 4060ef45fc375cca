#!/usr/bin/env python3
"""The application of the end-to-end test, as start_prim runs it on the primary: a tiny
database service on TCP port PORT (all addresses, so also the VIP) that commits each
transaction a client asks for into two SQLite databases in the node's FUSE mount —
wal.db in WAL mode, journal.db in rollback-journal mode — and answers only after both
COMMITs returned.

Protocol, one line each way: the client sends "N"; the answer is "ok N" once
transaction N is committed in both databases, "err TEXT" otherwise (nothing is
acknowledged then). Usage: sqlite_service.py WORK NODE PORT

Files in WORK it shares with the test driver:
  hold                       present while the driver checks the copies: the service
                             closes its databases (SQLite checkpoints and removes the WAL)
  service.NODE.status        "closed" or "open": whether the databases are open
  NODE/service-committed     "N MS" a line: each transaction this node's service
                             committed, with the wall clock in ms (to count what an
                             isolated side committed during a split brain)
SIGTERM (stop_prim): the transaction under way is finished or fails, the databases are
closed, the service exits 0.
"""
import os
import select
import signal
import socket
import sqlite3
import sys
import time

work, node, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
mount = os.path.join(work, node, "mnt", "srv", "hm-e2e")
hold_path = os.path.join(work, "hold")
# Both ways SQLite makes a commit durable: the WAL, and the rollback journal.
JOURNAL_MODES = {"wal.db": "WAL", "journal.db": "DELETE"}
POLL_S = 0.05  # how often an idle service looks at the hold file and at SIGTERM
LINE_MAX = 64  # a request is a number: anything longer is a broken client

stopping = False


def on_sigterm(_signum, _frame):
    global stopping
    stopping = True


def set_status(text):
    # Renamed into place, so the driver never reads a half-written status.
    path = os.path.join(work, f"service.{node}.status")
    with open(path + ".tmp", "w") as f:
        f.write(text + "\n")
    os.replace(path + ".tmp", path)


class Databases:
    def __init__(self):
        self.conns = []

    def commit(self, n):
        if not self.conns:
            self._open()
        for db in self.conns:
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO t VALUES (?, ?)", (n, time.time()))
            db.execute("COMMIT")

    def _open(self):
        try:
            for name, mode in JOURNAL_MODES.items():
                conn = sqlite3.connect(os.path.join(mount, name), timeout=2, isolation_level=None)
                self.conns.append(conn)
                conn.execute(f"PRAGMA journal_mode={mode}")
                conn.execute("CREATE TABLE IF NOT EXISTS t(n INTEGER PRIMARY KEY, committed_at REAL)")
        except (sqlite3.Error, OSError):
            self.close()
            raise
        set_status("open")

    def close(self):
        for conn in self.conns:
            try:
                conn.close()
            except sqlite3.Error:
                pass  # the mount went away under it: nothing left to close cleanly
        if self.conns:
            self.conns = []
        set_status("closed")


def answer(request, dbs, committed, log):
    try:
        n = int(request)
    except ValueError:
        return f"err not a transaction number: {request[:20]!r}"
    if os.path.exists(hold_path):
        return "err held: the driver is checking the copies"
    try:
        dbs.commit(n)
    except (sqlite3.Error, OSError) as error:
        log.write(f"{time.time():.3f} transaction {n} failed: {error}\n")
        dbs.close()  # reopened by the next request: the mount may be read-only or gone now
        return f"err {error}"
    committed.write(f"{n} {int(time.time() * 1000)}\n")
    return f"ok {n}"


def serve(listener, dbs, committed, log):
    client, pending = None, b""
    while not stopping:
        watched = [listener] + ([client] if client else [])
        readable, _, _ = select.select(watched, [], [], POLL_S)
        if not readable:
            if dbs.conns and os.path.exists(hold_path):
                dbs.close()
            continue
        if listener in readable:
            # One client at a time: a reconnecting client replaces the old connection.
            if client:
                client.close()
            client, _ = listener.accept()
            pending = b""
            continue
        try:
            data = client.recv(4096)
        except OSError:
            data = b""  # reset by the client: the same as a close
        if not data:
            client.close()
            client = None
            continue
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            reply = answer(line.decode(errors="replace").strip(), dbs, committed, log)
            try:
                client.sendall((reply + "\n").encode())
            except OSError:
                break  # the client gave up on this answer: it acknowledged nothing
        if len(pending) > LINE_MAX:
            client.close()
            client, pending = None, b""


def main():
    signal.signal(signal.SIGTERM, on_sigterm)
    log = open(os.path.join(work, node, "service.log"), "a", buffering=1)
    committed = open(os.path.join(work, node, "service-committed"), "a", buffering=1)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # A service killed with its node leaves the port in TIME_WAIT: the next one must bind.
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", port))
    listener.listen(8)
    dbs = Databases()
    dbs.close()  # status "closed": start_prim waits for it, the service is listening
    log.write(f"{time.time():.3f} listening on port {port}, databases in {mount}\n")
    serve(listener, dbs, committed, log)
    dbs.close()
    log.write(f"{time.time():.3f} stopped (SIGTERM)\n")


if __name__ == "__main__":
    main()

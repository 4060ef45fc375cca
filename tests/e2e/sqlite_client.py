#!/usr/bin/env python3
"""The client of the end-to-end test, run in the client namespace: asks the database
service on the VIP (sqlite_service.py, started by start_prim on the primary) to commit
numbered transactions, one at a time, and records a number as acknowledged only when
the service answered "ok N".

Usage: sqlite_client.py WORK VIP PORT. Files in WORK it shares with the test driver:
  hold           present while the driver checks the copies: send nothing
  client.status  "idle" once it sends nothing more (hold seen, no request under way),
                 "writing" otherwise
  acked          one transaction number a line, written only after "ok N" arrived
  client.log     every transaction not acknowledged, and why
Transaction numbers are never reused: a request that failed, or whose outcome is unknown
(no answer within REPLY_TIMEOUT_S: the node may have died under it), is not
acknowledged, and the next one gets a new number.
"""
import os
import socket
import sys
import time

work, vip, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
hold_path = os.path.join(work, "hold")
CONNECT_TIMEOUT_S = 1.0
# Shorter than any fault's duration, so an answer held up by a cut link never arrives
# after the client moved on (it would reach a closed socket).
REPLY_TIMEOUT_S = 2.0
RETRY_PAUSE_S = 0.1
PACE_S = 0.005  # between two transactions: a steady load, not a flood
REPLY_MAX = 512


def set_status(text):
    # Renamed into place, so the driver never reads a half-written status.
    path = os.path.join(work, "client.status")
    with open(path + ".tmp", "w") as f:
        f.write(text + "\n")
    os.replace(path + ".tmp", path)


def request(conn, n):
    """The service's answer to transaction n, or raises OSError."""
    conn.sendall(f"{n}\n".encode())
    reply = b""
    while not reply.endswith(b"\n"):
        data = conn.recv(REPLY_MAX)
        if not data:
            raise OSError("the service closed the connection")
        reply += data
        if len(reply) > REPLY_MAX:
            raise OSError("the service's answer is too long")
    return reply.decode(errors="replace").strip()


def main():
    acked = open(os.path.join(work, "acked"), "a", buffering=1)
    log = open(os.path.join(work, "client.log"), "a", buffering=1)
    n, conn, status = 0, None, None
    # The driver removes its work folder when it ends, even when killed before it could
    # stop this client: then there is nobody left to write for.
    while os.path.isdir(work):
        # "writing" is published BEFORE hold is looked at: once the driver has made
        # hold and then reads "idle", no request can start any more.
        if status != "writing":
            status = "writing"
            set_status(status)
        if os.path.exists(hold_path):
            if conn:
                conn.close()
                conn = None
            status = "idle"
            set_status(status)
            while os.path.exists(hold_path) and os.path.isdir(work):
                time.sleep(0.02)
            continue
        if conn is None:
            try:
                conn = socket.create_connection((vip, port), timeout=CONNECT_TIMEOUT_S)
                conn.settimeout(REPLY_TIMEOUT_S)
            except OSError as error:
                log.write(f"{time.time():.3f} cannot connect to {vip}:{port}: {error}\n")
                time.sleep(RETRY_PAUSE_S)
                continue
        try:
            n += 1
            reply = request(conn, n)
            if reply != f"ok {n}":
                raise OSError(f"the service answered {reply!r}")
            acked.write(f"{n}\n")
            time.sleep(PACE_S)
        except OSError as error:
            log.write(f"{time.time():.3f} transaction {n} not acknowledged: {error}\n")
            if conn:
                conn.close()
                conn = None
            time.sleep(RETRY_PAUSE_S)


if __name__ == "__main__":
    main()

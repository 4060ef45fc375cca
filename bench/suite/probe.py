#!/usr/bin/env python3
"""Small writes beside a bulk writer: what an application's 4 KiB writes wait while
another writer streams into the same directory (the page cache fills, and every flush
of the disk queues behind its writeback).

probe.py DIR SECONDS
  A bulk writer rewrites DIR/bulk.bin (256 MiB in 1 MiB writes, again and again) while
  this process writes 4 KiB at seeded random offsets of DIR/probe.bin (16 MiB, written
  and fsynced first) every 2 ms for SECONDS. Prints "p50 p99 max" of those writes in
  microseconds, then removes both files.
"""
import contextlib
import os
import random
import signal
import subprocess
import sys
import time

PROBE_BYTES = 16 << 20
WRITE_BYTES = 4096
PAUSE_S = 0.002


def main(directory, seconds):
    probe_path, bulk_path = os.path.join(directory, "probe.bin"), os.path.join(directory, "bulk.bin")
    fd = os.open(probe_path, os.O_RDWR | os.O_CREAT, 0o644)
    os.pwrite(fd, b"\0" * PROBE_BYTES, 0)
    os.fsync(fd)
    bulk = subprocess.Popen(
        ["bash", "-c", f'while :; do dd if=/dev/zero of="{bulk_path}" bs=1M count=256 conv=notrunc status=none || exit 1; done'],
        start_new_session=True)
    try:
        time.sleep(1)  # the bulk writer is streaming
        if bulk.poll() is not None:
            sys.exit(f"probe.py: the bulk writer into {directory} stopped (exit {bulk.returncode})")
        buffer, rng, latencies = b"p" * WRITE_BYTES, random.Random(1), []
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            offset = rng.randrange(PROBE_BYTES // WRITE_BYTES) * WRITE_BYTES
            start = time.perf_counter()
            os.pwrite(fd, buffer, offset)
            latencies.append((time.perf_counter() - start) * 1e6)
            time.sleep(PAUSE_S)
    finally:
        os.killpg(bulk.pid, signal.SIGKILL)
        bulk.wait()
        os.close(fd)
        for path in (probe_path, bulk_path):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
    latencies.sort()
    count = len(latencies)
    print(f"{latencies[count // 2]:.0f} {latencies[min(count - 1, int(count * 0.99))]:.0f} {latencies[-1]:.0f}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], float(sys.argv[2]))

#!/usr/bin/env python3
"""Proves from `ip -ts monitor link address` logs that two nodes never held the VIP at once.

A node holds the VIP while the address is on its interface AND that interface is
administratively up: a powered-off node (link set down) answers nobody even though the
kernel keeps its addresses. A link cut at the bridge (the test's link-cut faults) leaves
the node's interface up, without carrier: a node cut off that way still holds its VIP.

Usage: vip_overlap.py VIP IFACE1 LOG1 IFACE2 LOG2 EXCUSED
EXCUSED lists "start end label" (ISO timestamps), one window a line: where two holders
are expected (a split brain without a witness). Overlap inside those windows is reported
per label; overlap anywhere else fails (exit 1). An empty file excuses nothing.
"""
import re
import sys
from datetime import datetime

LINE = re.compile(r"^\[(\S+)\] (Deleted )?\d+: (\S+?)(@\S+)?:? +(.*)$")


def parse_time(text):
    return datetime.fromisoformat(text).timestamp()


def holding_intervals(vip, iface, path):
    """[(start, end)] during which this node held the VIP on a link that was up."""
    intervals, has_vip, link_up, since = [], False, True, None
    last_time = None
    with open(path) as log:
        for raw in log:
            m = LINE.match(raw.rstrip("\n"))
            if not m or m.group(3) != iface:
                continue
            when, deleted, rest = parse_time(m.group(1)), bool(m.group(2)), m.group(5)
            last_time = when
            if rest.startswith("<"):
                link_up = "UP" in rest[1:rest.index(">")].split(",")
            elif rest.startswith(f"inet {vip}/"):
                has_vip = not deleted
            else:
                continue
            holding = has_vip and link_up
            if holding and since is None:
                since = when
            elif not holding and since is not None:
                intervals.append((since, when))
                since = None
    if since is not None:  # still held when the log ended: open until the end of the run
        intervals.append((since, float("inf")))
    return intervals, last_time


def iso(seconds):
    return datetime.fromtimestamp(seconds).isoformat() if seconds != float("inf") else "the end"


def overlaps(a, b):
    result = []
    for s1, e1 in a:
        for s2, e2 in b:
            start, end = max(s1, s2), min(e1, e2)
            if start < end:
                result.append((start, end))
    return result


def main():
    vip, iface1, log1, iface2, log2, excused_path = sys.argv[1:7]
    held1, _ = holding_intervals(vip, iface1, log1)
    held2, _ = holding_intervals(vip, iface2, log2)
    excused = []
    with open(excused_path) as f:
        for line in f:
            if line.strip():
                start, end, label = line.split(maxsplit=2)
                excused.append((parse_time(start), parse_time(end), label.strip()))
    excused_s = {label: 0.0 for _, _, label in excused}
    unexcused_s = 0.0
    for start, end in overlaps(held1, held2):
        outside = end - start
        for s, e, label in excused:
            inside = max(0.0, min(end, e) - max(start, s))
            excused_s[label] += inside
            outside -= inside
        unexcused_s += outside
        if outside > 0:
            print(f"both nodes held the VIP from {iso(start)} to {iso(end)} ({(end - start) * 1000:.0f} ms)")
    print(f"VIP {vip}: held by {iface1} {len(held1)} times, by {iface2} {len(held2)} times")
    for label, seconds in excused_s.items():
        print(f"VIP held by both during {label} (excused): {seconds * 1000:.0f} ms")
    print(f"VIP held by both anywhere else: {unexcused_s * 1000:.0f} ms")
    if not held1 and not held2:
        print("vip_overlap: neither node ever held the VIP: the logs prove nothing", file=sys.stderr)
        return 1
    return 1 if unexcused_s > 0 else 0


if __name__ == "__main__":
    sys.exit(main())

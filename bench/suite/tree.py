#!/usr/bin/env python3
"""The reintegration benchmark's tree, written through a hamirror mount.

tree.py make DIR FILES    FILES files of 1 MiB of seeded random bytes (f0000, f0001, ...)
tree.py change DIR FILES [ROUND]
                          what happens while the secondary is away: files 0-9 rewritten
                          whole (new bytes), then 2,000 writes of 4 KiB at seeded random
                          offsets in the other files; each ROUND (default 1) its own bytes
                          and offsets
"""
import os
import random
import sys

MIB = 1 << 20
REWRITTEN_FILES = 10
SMALL_WRITES = 2000
SMALL_WRITE_BYTES = 4096


def name(directory, index):
    return os.path.join(directory, f"f{index:04d}")


def make(directory, files):
    os.makedirs(directory, exist_ok=True)
    for index in range(files):
        with open(name(directory, index), "wb") as out:
            out.write(random.Random(index).randbytes(MIB))


def change(directory, files, round_=1):
    salt = 1000 * (round_ - 1)
    for index in range(REWRITTEN_FILES):
        with open(name(directory, index), "wb") as out:
            out.write(random.Random(1_000_000 + salt + index).randbytes(MIB))
    rng = random.Random(6 + salt)
    for _ in range(SMALL_WRITES):
        fd = os.open(name(directory, rng.randrange(REWRITTEN_FILES, files)), os.O_WRONLY)
        try:
            os.pwrite(fd, rng.randbytes(SMALL_WRITE_BYTES), rng.randrange(0, MIB - SMALL_WRITE_BYTES))
        finally:
            os.close(fd)


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5) or sys.argv[1] not in ("make", "change") or int(sys.argv[3]) <= REWRITTEN_FILES:
        sys.exit(__doc__)
    if sys.argv[1] == "make" and len(sys.argv) == 4:
        make(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "change":
        change(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) == 5 else 1)
    else:
        sys.exit(__doc__)

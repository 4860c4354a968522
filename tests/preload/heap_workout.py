#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A Python program that works the heap hard and checks its own results, run
under SECRETMEM_PRELOAD=all by the preload tests: CPython's own allocator
takes its arenas from malloc's neighbour mmap, but every object over 512
bytes, every dict and list body, and every buffer of the io, hashlib and json
modules comes from malloc.

With --hold it first reads a 4096-byte secret from stdin into large objects,
prints "holding" and waits for a line on stdin, so that the test can scan its
memory while it holds the secret.  Exit status 0 and "heap-workout: ok" when
every check passed.
"""
import hashlib
import json
import queue
import sys
import threading

SECRET_SIZE = 4096


def hold():
    # Objects larger than 512 bytes: CPython gives them to malloc, so under
    # the preload they must sit in secret memory.
    secret = sys.stdin.buffer.read(SECRET_SIZE)
    if len(secret) != SECRET_SIZE:
        sys.exit("heap-workout: no secret on stdin")
    kept = [secret, bytearray(secret), secret.hex()]
    sys.stdout.write("holding\n")
    sys.stdout.flush()
    sys.stdin.buffer.readline()
    return kept


def dicts_and_lists():
    table = {f"key-{i}": i * i for i in range(200_000)}
    for i in range(0, 200_000, 3):
        del table[f"key-{i}"]
    assert len(table) == 200_000 - len(range(0, 200_000, 3))
    assert all(table[f"key-{i}"] == i * i for i in range(1, 200_000, 3))
    big = list(range(1_000_000))
    big.reverse()
    assert big[0] == 999_999 and sum(big) == 999_999 * 1_000_000 // 2
    nested = [[j for j in range(i % 50)] for i in range(20_000)]
    assert sum(len(n) for n in nested) == sum(i % 50 for i in range(20_000))


def strings():
    parts = []
    text = ""
    for i in range(50_000):
        parts.append(f"{i:08x}")
        if i % 10 == 0:
            text += parts[-1]
    joined = "".join(parts)
    assert len(joined) == 8 * 50_000 and len(text) == 8 * 5_000
    assert joined[8 * 12345:8 * 12346] == f"{12345:08x}"
    grown = bytearray()
    for i in range(100_000):
        grown += bytes([i % 251])
    assert len(grown) == 100_000 and grown[1000] == 1000 % 251


def hashing():
    data = b"".join(i.to_bytes(4, "little") for i in range(250_000))
    whole = hashlib.sha256(data).hexdigest()
    piecewise = hashlib.sha256()
    for at in range(0, len(data), 4099):
        piecewise.update(data[at:at + 4099])
    assert piecewise.hexdigest() == whole
    assert hashlib.sha256(b"abc").hexdigest() == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")


def json_round_trip():
    document = {
        "items": [{"id": i, "name": f"item {i}", "tags": ["a", "b", str(i)]}
                  for i in range(20_000)],
        "meta": {"count": 20_000, "nested": {"deep": list(range(1000))}},
    }
    text = json.dumps(document, sort_keys=True)
    assert json.loads(text) == document
    assert len(text) > 500_000


def threads():
    work = queue.Queue()
    results = queue.Queue()

    def worker():
        while True:
            item = work.get()
            if item is None:
                return
            blob = bytes(item % 256 for _ in range(1000 + item))
            results.put((item, hashlib.sha256(blob).hexdigest(), len(blob)))

    pool = [threading.Thread(target=worker) for _ in range(4)]
    for t in pool:
        t.start()
    for i in range(2000):
        work.put(i)
    for _ in pool:
        work.put(None)
    for t in pool:
        t.join()
    seen = {}
    while not results.empty():
        item, digest, size = results.get()
        assert size == 1000 + item
        assert digest == hashlib.sha256(bytes([item % 256]) * size).hexdigest()
        seen[item] = digest
    assert len(seen) == 2000


def main():
    kept = hold() if "--hold" in sys.argv[1:] else None
    dicts_and_lists()
    strings()
    hashing()
    json_round_trip()
    threads()
    if kept is not None:
        assert bytes(kept[1]) == kept[0] and kept[2] == kept[0].hex()
    print("heap-workout: ok")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpora of fuzz_balloon_dev and fuzz_qmp.

The seeds are committed; this script documents how they were made and can
rebuild them (python3 tests/fuzz/gen_balloon_seeds.py). Input formats are
described atop each fuzz target.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# fuzz_balloon_dev: header bits and operations
MUST_TELL, STATS_VQ, DEFLATE_ON_OOM, EVENT_IDX, INDIRECT, CHANNEL = \
    1, 2, 4, 8, 16, 32
WRITE, POST, KICK, CONFIG, TICK, QMP, MEMTABLE, TOUCH, STOP, RESET = \
    range(10)
# POST mode bits
PFNS, LAST_WRITABLE, INDIRECT_TABLE = 0x10, 0x04, 0x08
INFLATE, DEFLATE, STATS = 0, 1, 2


def hdr(features, log2=6, queues=7, interval=0):
    return bytes([features, log2, queues, interval])


def post(q, data, mode=PFNS, nseg=1):
    return bytes([POST, q, mode | (nseg - 1), len(data)]) + bytes(data)


def kick(q):
    return bytes([KICK, q])


def inflate(pfns, **kw):
    return post(INFLATE, pfns, **kw) + kick(INFLATE)


def deflate(pfns, **kw):
    return post(DEFLATE, pfns, **kw) + kick(DEFLATE)


def stats(entries):
    raw = b"".join(struct.pack("<HQ", t, v) for t, v in entries)
    return post(STATS, raw, mode=0) + kick(STATS)


def config(off, size, value):
    return bytes([CONFIG, off, size]) + struct.pack("<I", value)


def qmp(what, v=0):
    return bytes([QMP, what]) + struct.pack("<I", v)


def op(code, arg=None):
    return bytes([code]) if arg is None else bytes([code, arg])


def balloon_dev_seeds():
    full = MUST_TELL | STATS_VQ | DEFLATE_ON_OOM | CHANNEL
    yield "inflate-deflate", (
        hdr(full, interval=1)
        + inflate([1, 2, 3, 10, 11, 12, 3])
        + deflate([1, 2])
        + op(TOUCH, 3) + op(TICK, 20)
        + deflate([3, 40])                  # 40 was never inflated
        + qmp(0, 16) + qmp(1, 1) + qmp(4)
        + config(4, 4, 4) + config(0, 4, 9) + config(4, 4, 0xffffffff)
        + op(TICK, 20))
    yield "stats", (
        hdr(MUST_TELL | STATS_VQ | CHANNEL, interval=1)
        + stats([(4, 4096), (5, 1 << 20), (200, 7)])
        + op(TICK, 20) + qmp(2)             # given back: asks for more
        + stats([(0, 1)])
        + stats([(0, 2)]))                  # a second buffer held: reset
    yield "memtable", (
        hdr(MUST_TELL | STATS_VQ)
        + inflate([1, 2, 3])
        + op(MEMTABLE, 0)                   # the same RAM again
        + deflate([1, 2, 3]) + inflate([5])
        + op(MEMTABLE, 1)                   # other RAM
        + inflate([6]) + op(TICK, 20)
        + op(MEMTABLE, 2)                   # not at address 0
        + op(RESET) + inflate([7]) + op(MEMTABLE, 3) + op(RESET))
    yield "malformed", (
        hdr(MUST_TELL | STATS_VQ | EVENT_IDX)
        + inflate([1, 2], mode=PFNS | LAST_WRITABLE, nseg=2)
        + op(RESET)
        + post(INFLATE, [1, 2, 3], mode=0) + kick(INFLATE)  # 3 bytes
        + op(RESET)
        + inflate([1, 200])                 # outside guest RAM
        + op(RESET)
        + post(STATS, b"\0" * 7, mode=0) + kick(STATS))
    yield "scattered", (
        hdr(MUST_TELL | INDIRECT | EVENT_IDX, log2=3)
        + inflate([1, 2, 3, 4, 5], nseg=4)
        + inflate([6, 7, 8, 9], mode=PFNS | INDIRECT_TABLE, nseg=3)
        + op(STOP, INFLATE) + inflate([10])
        + deflate(list(range(1, 11)), nseg=2)
        + kick(2))                          # no stats queue negotiated
    yield "raw-ring", (
        hdr(MUST_TELL, log2=2, queues=1)
        # avail->idx of queue 0 jumps far ahead of the ring
        + bytes([WRITE]) + struct.pack("<H", (59 * 4096) // 4) + bytes([4])
        + struct.pack("<HH", 0, 0x4000) + kick(INFLATE))


# fuzz_qmp: header and records
SEND, REPEAT, EVENT, CLOSE, READ = range(5)
SLOW = 4


def rec(kind, data=b"", count=0):
    if kind == REPEAT:
        return struct.pack("<BHB", kind, count, len(data)) + data
    return bytes([kind, len(data)]) + data


def cmd(text):
    data = text.encode()
    out = b""
    while data:
        out += rec(SEND, data[:255])
        data = data[255:]
    return out


def qmp_seeds():
    neg = cmd('{"execute": "qmp_capabilities"}')
    yield "conversation", (bytes([2]) + neg
        + cmd('{"execute": "query-commands", "id": 1}')
        + cmd('{"execute": "balloon", "arguments": {"value": 1048576}}')
        + cmd('{"execute": "balloon", "arguments": {"value": 1048576, '
              '"device": "balloon1"}}')
        + cmd('{"execute": "query-balloon", "arguments": '
              '{"device": "balloon0"}}')
        + cmd('{"execute": "qom-get", "arguments": {"path": '
              '"/machine/peripheral/balloon0", "property": "guest-stats"}}')
        + cmd('{"execute": "qom-set", "arguments": {"path": "balloon1", '
              '"property": "guest-stats-polling-interval", "value": 2}}')
        + cmd('{"execute": "qom-get", "arguments": {"path": "balloon1", '
              '"property": "guest-stats-polling-interval"}}')
        + cmd('{"execute": "x-ballast-query-balloon"}')
        + rec(EVENT, b"\x05")
        + cmd('{"execute": "quit"}'))
    yield "errors", (bytes([1])
        + cmd('{"execute": "query-balloon"}')             # before negotiation
        + neg + neg
        + cmd('{"execute": "balloon"}')
        + cmd('{"execute": "balloon", "arguments": {"value": "1G"}}')
        + cmd('{"execute": "balloon", "arguments": {"value": -1}}')
        + cmd('{"execute": "balloon", "arguments": {"value": 1, "x": 2}}')
        + cmd('{"execute": "query-balloon", "arguments": {"device": 7}}')
        + cmd('{"execute": "qom-set", "arguments": {"path": "balloon0", '
              '"property": "guest-stats-polling-interval", "value": -5}}')
        + cmd('{"execute": "qom-get", "arguments": {"path": "a/b", '
              '"property": "nope"}}')
        + cmd('{"execute": "nope", "id": [1, {"a": null}]}')
        + cmd('{"execute": 5}') + cmd('[1, 2]') + cmd('{"arguments": 3}')
        + cmd('{"execute": "quit", "arguments": [], "extra": 1}'))
    yield "framing", (bytes([0]) + rec(SEND, b'{"execute": "qmp_capa')
        + rec(READ) + rec(SEND, b'bilities"}{"execute": "query-balloon"}\r\n')
        + rec(SEND, b'{"execute": "query-balloon", "id": "a\\u00e9"}  ')
        + rec(SEND, b'{"execute": "bad json ')
        + rec(SEND, b'}}} {"a": 1, "a": 2}')
        + rec(CLOSE) + neg)
    # a client that does not read: the server's output bound
    yield "slow-reader", (bytes([2 | SLOW]) + neg
        + rec(REPEAT, b'{"execute": "query-commands"}', count=5000)
        + rec(EVENT, b"\x01") + rec(READ) + neg)
    # a value that never ends: the input bound
    yield "endless", (bytes([1]) + neg + rec(SEND, b'[')
        + rec(REPEAT, b' ' * 255, count=300)
        + cmd('{"execute": "query-balloon"}'))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    for name, data in balloon_dev_seeds():
        write("fuzz_balloon_dev", name, data)
    for name, data in qmp_seeds():
        write("fuzz_qmp", name, data)


if __name__ == "__main__":
    main()

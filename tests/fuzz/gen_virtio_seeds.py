#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpora of fuzz_vring_device and fuzz_vhost_user_msg.

The seeds are committed; this script documents how they were made and can
rebuild them (python3 tests/fuzz/gen_virtio_seeds.py). Input formats are
described atop each fuzz target.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4
EVENT_IDX, INDIRECT_DESC, VERSION_1, PROTOCOL_FEATURES = 29, 28, 32, 30


def desc(addr, length, flags, nxt=0):
    return struct.pack("<QIHH", addr, length, flags, nxt)


class Ram:
    def __init__(self, size):
        self.b = bytearray(size)

    def put(self, off, data):
        self.b[off:off + len(data)] = data

    def trimmed(self):
        return bytes(self.b).rstrip(b"\0")


def ring_image(ram, base_gpa, num, desc_off, avail_off, used_off, buf_off,
               heads_avail, avail_idx, used_idx=0, hostile=None):
    """Three chains: 2-buffer R+W, an indirect R+W+W table, a single W."""
    g = lambda off: base_gpa + off
    table = buf_off + 0x400
    ram.put(desc_off + 0 * 16, desc(g(buf_off), 16, F_NEXT, 1))
    ram.put(desc_off + 1 * 16, desc(g(buf_off + 0x40), 16, F_WRITE))
    ram.put(desc_off + 2 * 16, desc(g(table), 48, F_INDIRECT))
    ram.put(table, desc(g(buf_off + 0x80), 8, F_NEXT, 1) +
            desc(g(buf_off + 0xc0), 8, F_NEXT | F_WRITE, 2) +
            desc(g(buf_off + 0x100), 8, F_WRITE))
    ram.put(desc_off + 5 * 16, desc(g(buf_off + 0x140), 32, F_WRITE))
    if hostile == "loop":
        ram.put(desc_off + 1 * 16, desc(g(buf_off + 0x40), 16,
                                        F_WRITE | F_NEXT, 0))
    elif hostile == "outside":
        ram.put(desc_off + 5 * 16, desc(2**64 - 8, 32, F_WRITE))
    ring = b"".join(struct.pack("<H", h) for h in heads_avail)
    first = (avail_idx - len(heads_avail)) % num
    for i, h in enumerate(heads_avail):
        ram.put(avail_off + 4 + 2 * ((first + i) % num), struct.pack("<H", h))
    ram.put(avail_off, struct.pack("<HH", 0, avail_idx))
    ram.put(used_off, struct.pack("<HH", 0, used_idx))
    del ring


def vring_seed(base, heads, avail_idx, hostile=None, features=3, log2=4,
               offs=(0x0, 0x100, 0x200, 0x400)):
    num = 1 << log2
    desc_off, avail_off, used_off, buf_off = offs
    ram = Ram(0x10000)
    ring_image(ram, 0x10000, num, desc_off, avail_off, used_off, buf_off,
               heads, avail_idx, base, hostile)
    hdr = struct.pack("<BBH3H6x", log2, features, base, desc_off, avail_off,
                      used_off)
    script = bytes([0x40, 0x20, 0, 0x81] + [0] * 28)
    return hdr + script + ram.trimmed()


def rec(kind, payload=b"", nfds=0, first=0, page=0):
    if kind == 0:
        t = (nfds << 2) | (first << 4)
    elif kind == 1:
        t = 1 | (page << 2)
    else:
        t = kind
    return struct.pack("<BH", t, len(payload)) + payload


def msg(req, payload=b"", need_reply=False):
    flags = 1 | (8 if need_reply else 0)
    return struct.pack("<III", req, flags, len(payload)) + payload


def u64(v):
    return struct.pack("<Q", v)


def state(index, num):
    return struct.pack("<II", index, num)


def session(hostile=None, extras=b""):
    uaddr = 0x7f0000000000
    num = 16
    ram = Ram(0x1000)
    ring_image(ram, 0, num, 0x0, 0x100, 0x200, 0x400, [0, 2, 5], 3,
               hostile=hostile)
    features = (1 << VERSION_1) | (1 << EVENT_IDX) | (1 << INDIRECT_DESC) \
        | (1 << PROTOCOL_FEATURES)
    proto = (1 << 0) | (1 << 3) | (1 << 5) | (1 << 9) | (1 << 13) | (1 << 16)
    mem = struct.pack("<II", 1, 0) + struct.pack("<QQQQ", 0, 1 << 20, uaddr, 0)
    addr = struct.pack("<IIQQQQ", 0, 0, uaddr + 0x0, uaddr + 0x200,
                       uaddr + 0x100, 0)
    out = rec(1, ram.trimmed(), page=0)
    out += rec(0, msg(1))                               # GET_FEATURES
    out += rec(0, msg(15))                              # GET_PROTOCOL_FEATURES
    out += rec(0, msg(16, u64(proto)))                  # SET_PROTOCOL_FEATURES
    out += rec(0, msg(3, need_reply=True))              # SET_OWNER
    out += rec(0, msg(17))                              # GET_QUEUE_NUM
    out += rec(0, msg(21), nfds=1, first=3)             # SET_BACKEND_REQ_FD
    out += rec(0, msg(2, u64(features), True))          # SET_FEATURES
    out += rec(0, msg(5, mem, True), nfds=1, first=0)   # SET_MEM_TABLE
    out += rec(0, msg(8, state(0, num), True))          # SET_VRING_NUM
    out += rec(0, msg(9, addr, True))                   # SET_VRING_ADDR
    out += rec(0, msg(10, state(0, 0), True))           # SET_VRING_BASE
    out += rec(0, msg(12, u64(0), True), nfds=1, first=1)  # SET_VRING_KICK
    out += rec(0, msg(13, u64(0), True), nfds=1, first=2)  # SET_VRING_CALL
    out += rec(0, msg(18, state(0, 1), True))           # SET_VRING_ENABLE
    out += rec(2)                                       # kick
    out += rec(0, msg(24, struct.pack("<III", 0, 16, 0) + bytes(16)))
    out += rec(0, msg(25, struct.pack("<III", 8, 1, 0) + b"\x5a", True))
    out += rec(0, msg(25, struct.pack("<III", 12, 4, 0) + u64(1)[:4], True))
    out += extras
    out += rec(0, msg(11, state(0, 0)))                 # GET_VRING_BASE
    out += rec(0, msg(39, u64(0xf), True))              # SET_STATUS
    out += rec(0, msg(40))                              # GET_STATUS
    out += rec(0, msg(34, need_reply=True))             # RESET_DEVICE
    return out


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    write("fuzz_vring_device", "three-chains", vring_seed(0, [0, 2, 5], 3))
    write("fuzz_vring_device", "wrap", vring_seed(65534, [0, 2, 5], 1))
    write("fuzz_vring_device", "loop", vring_seed(0, [0], 1, "loop"))
    write("fuzz_vring_device", "outside", vring_seed(0, [5], 1, "outside"))
    write("fuzz_vring_device", "no-features",
          vring_seed(0, [0, 5], 2, features=0, log2=3))
    # The largest ring (256), its parts past the first 4 KiB of RAM: the
    # input is 17 KiB, beyond libFuzzer's default max_len (see .options).
    write("fuzz_vring_device", "ring256-past-4k",
          vring_seed(0, [0, 2, 5], 3, log2=8,
                     offs=(0x1000, 0x2000, 0x3000, 0x4000)))
    write("fuzz_vhost_user_msg", "session", session())
    write("fuzz_vhost_user_msg", "session-loop", session("loop"))
    bad = rec(0, msg(99, need_reply=True))
    bad += rec(0, msg(8, state(200, 16), True))
    bad += rec(0, msg(5, struct.pack("<II", 2, 0), True), nfds=2)
    bad += rec(0, struct.pack("<III", 1, 2, 0))         # bad version
    write("fuzz_vhost_user_msg", "session-refusals", session(extras=bad))


if __name__ == "__main__":
    main()

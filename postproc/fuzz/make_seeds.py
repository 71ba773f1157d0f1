#!/usr/bin/env python3
"""Writes the seed corpus of capture_to_rows into corpus/capture_to_rows/ (run from postproc/fuzz):
a few small real captures and tiny hand-made malformed ones. The fuzzer's own finds are kept there
too (minimized with `cargo fuzz cmin`); re-running this only rewrites the `seed-*` files."""

import gzip
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "capture_to_rows")
SHARED = "/work/shared/captures"
REPO = os.path.dirname(os.path.dirname(HERE))

REAL = [
    (f"{SHARED}/kernel/refused.pcap", "seed-kernel-refused.pcap"),
    (f"{SHARED}/kernel/syn_unanswered.pcap", "seed-kernel-syn_unanswered.pcap"),
    (f"{SHARED}/kernel/abort_with_rst.pcap", "seed-kernel-abort_with_rst.pcap"),
    (f"{SHARED}/kernel/client_closes_first.pcap", "seed-kernel-client_closes_first.pcap"),
    (f"{SHARED}/kernel/ipv6_client_closes_first.pcap", "seed-kernel-ipv6_client_closes_first.pcap"),
    (f"{SHARED}/kernel/simultaneous_open.pcap", "seed-kernel-simultaneous_open.pcap"),
    (f"{SHARED}/kernel/port_reuse.pcap", "seed-kernel-port_reuse.pcap"),
    (f"{REPO}/tests/data/sample.pcap", "seed-sample.pcap"),
    # The tcpdump test suite: other link types, pcapng, odd times.
    (f"{SHARED}/tcpdump/tcp_rst_diag_payload.pcap", "seed-tcpdump-null-tcp_rst.pcap"),
    (f"{SHARED}/tcpdump/LINKTYPE_RAW_ipv6.pcap", "seed-tcpdump-raw_ipv6.pcap"),
    (f"{SHARED}/tcpdump/LINKTYPE_IPV4.pcap", "seed-tcpdump-linktype_ipv4.pcap"),
    (f"{SHARED}/tcpdump/tftp-heapoverflow.pcap", "seed-tcpdump-sll.pcap"),
    (f"{SHARED}/tcpdump/bgp-orf.pcapng", "seed-tcpdump-bgp-orf.pcapng"),
    (f"{SHARED}/tcpdump/resp_4_infiniteloop.pcapng", "seed-tcpdump-resp.pcapng"),
    (f"{SHARED}/tcpdump/time_2106_overflow.pcapng", "seed-tcpdump-time_2106.pcapng"),
]

ETHERNET, RAW = 1, 101


def tcp_ipv4(src, dst, sport, dport, flags, seq, ack, payload=b""):
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0,
                     bytes(src), bytes(dst))
    return ip + tcp


def ether(ip):
    return b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + ip


A, B = [10, 0, 0, 1], [10, 0, 0, 2]
SYN, ACK, FIN, RST = 0x02, 0x10, 0x01, 0x04
HANDSHAKE = [
    tcp_ipv4(A, B, 40000, 80, SYN, 1000, 0),
    tcp_ipv4(B, A, 80, 40000, SYN | ACK, 5000, 1001),
    tcp_ipv4(A, B, 40000, 80, ACK, 1001, 5001),
    tcp_ipv4(A, B, 40000, 80, FIN | ACK, 1001, 5001),
    tcp_ipv4(B, A, 80, 40000, FIN | ACK, 5001, 1002),
    tcp_ipv4(A, B, 40000, 80, ACK, 1002, 5002),
]


def pcap(link_type, records, snaplen=65535, magic=0xA1B2C3D4):
    out = struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, link_type)
    for index, (data, caplen, origlen) in enumerate(records):
        out += struct.pack("<IIII", 1_700_000_000 + index, 1000 * index, caplen, origlen) + data
    return out


def whole(frames):
    return [(frame, len(frame), len(frame)) for frame in frames]


def block(kind, body, length=None):
    body += b"\x00" * (-len(body) % 4)
    total = 12 + len(body) if length is None else length
    return struct.pack("<II", kind, total) + body + struct.pack("<I", total)


def shb(length=None):
    return block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1), length)


def idb(link_type, tsresol=None):
    options = b""
    if tsresol is not None:
        options = struct.pack("<HH", 9, 1) + bytes([tsresol]) + b"\x00\x00\x00" + b"\x00" * 4
    return block(1, struct.pack("<HHI", link_type, 0, 0) + options)


def epb(interface, data, ts=0, caplen=None, origlen=None, length=None):
    caplen = len(data) if caplen is None else caplen
    origlen = len(data) if origlen is None else origlen
    body = struct.pack("<IIIII", interface, ts >> 32, ts & 0xFFFFFFFF, caplen, origlen) + data
    return block(6, body, length)


def spb(data):
    return block(3, struct.pack("<I", len(data)) + data)


def handmade():
    eth = [ether(ip) for ip in HANDSHAKE]
    good = pcap(ETHERNET, whole(eth))
    seeds = {
        "seed-empty": b"",
        "seed-garbage": bytes((i * 97 + 13) % 256 for i in range(200)),
        "seed-text": b"not a capture\n",
        "seed-handshake.pcap": good,
        "seed-handshake-nanosecond.pcap": pcap(ETHERNET, whole(eth), magic=0xA1B23C4D),
        "seed-handshake-raw.pcap": pcap(RAW, whole(HANDSHAKE)),
        "seed-handshake.pcap.gz": gzip.compress(good, mtime=0),
        "seed-gzip-truncated.gz": gzip.compress(good, mtime=0)[:60],
        "seed-truncated-header.pcap": good[:13],
        "seed-truncated-record-header.pcap": good[:24 + 9],
        "seed-truncated-mid-packet.pcap": good[:24 + 16 + 30],
        "seed-snaplen-absurd.pcap": pcap(ETHERNET, whole(eth[:2]), snaplen=0xFFFFFFFF),
        "seed-caplen-absurd.pcap": pcap(ETHERNET, [(eth[0], 0xFFFFFFF0, 0xFFFFFFF0)]),
        "seed-caplen-over-snaplen.pcap": pcap(ETHERNET, [(eth[0], 300_000, 300_000)], snaplen=64),
        "seed-origlen-zero.pcap": pcap(ETHERNET, [(eth[0], len(eth[0]), 0)]),
        "seed-linktype-unknown.pcap": pcap(0x3FFF, whole(eth[:1])),
        "seed-two-interfaces.pcapng": shb() + idb(ETHERNET) + idb(RAW, tsresol=9)
        + b"".join(epb(i % 2, eth[i] if i % 2 == 0 else HANDSHAKE[i], ts=1_700_000_000 * 10**6 + i)
                   for i in range(len(HANDSHAKE))),
        "seed-interface-missing.pcapng": shb() + idb(ETHERNET) + epb(7, eth[0]),
        "seed-no-interface.pcapng": shb() + epb(0, eth[0]),
        "seed-simple-packets.pcapng": shb() + idb(ETHERNET) + b"".join(spb(frame) for frame in eth),
        "seed-shb-length-absurd.pcapng": shb(length=0x7FFFFFF0) + idb(ETHERNET) + epb(0, eth[0]),
        "seed-epb-length-absurd.pcapng": shb() + idb(ETHERNET) + epb(0, eth[0], length=0x7FFFFFF0),
        "seed-epb-caplen-absurd.pcapng": shb() + idb(ETHERNET) + epb(0, eth[0], caplen=0xFFFFFFFF),
        "seed-tsresol-absurd.pcapng": shb() + idb(ETHERNET, tsresol=0xFF) + epb(0, eth[0], ts=2**64 - 1),
        "seed-two-sections.pcapng": shb() + idb(RAW) + epb(0, HANDSHAKE[0]) + shb() + idb(ETHERNET)
        + epb(0, eth[1]),
    }
    return seeds


def main():
    os.makedirs(OUT, exist_ok=True)
    for source, name in REAL:
        if os.path.exists(source):
            shutil.copyfile(source, os.path.join(OUT, name))
    for name, data in handmade().items():
        with open(os.path.join(OUT, name), "wb") as out:
            out.write(data)


if __name__ == "__main__":
    main()

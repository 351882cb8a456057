#!/usr/bin/env python3
"""A tiny DNS responder for namespace tests (UDP only, standard library only).

Answers A queries for the names given with --answer NAME=ADDRESS, NXDOMAIN for any other name,
and appends every question it receives to --log as "NAME TYPE" (one line, flushed), so a test
can tell exactly which queries reached this resolver.
"""
import argparse
import socket
import struct
import sys


def read_name(message, offset):
    labels = []
    while True:
        length = message[offset]
        offset += 1
        if length == 0:
            return ".".join(labels).lower(), offset
        if length & 0xC0:
            raise ValueError("compressed question name")
        labels.append(message[offset:offset + length].decode("ascii", "replace"))
        offset += length


def answer(message, table):
    if len(message) < 12:
        return None, None
    ident, flags, qdcount = struct.unpack("!HHH", message[:6])
    if flags & 0x8000 or qdcount != 1:
        return None, None
    name, end = read_name(message, 12)
    qtype, qclass = struct.unpack("!HH", message[end:end + 4])
    question = message[12:end + 4]
    address = table.get(name)
    rd = flags & 0x0100
    if address is None:
        header = struct.pack("!HHHHHH", ident, 0x8000 | 0x0400 | rd | 0x0080 | 3, 1, 0, 0, 0)
        return header + question, (name, qtype)
    records = b""
    count = 0
    if qtype == 1:
        records = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(address)
        count = 1
    header = struct.pack("!HHHHHH", ident, 0x8000 | 0x0400 | rd | 0x0080, 1, count, 0, 0)
    return header + question + records, (name, qtype)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True)
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--log", required=True)
    parser.add_argument("--answer", action="append", default=[])
    args = parser.parse_args()
    table = {}
    for item in args.answer:
        name, address = item.split("=", 1)
        table[name.lower().rstrip(".")] = address
    family = socket.AF_INET6 if ":" in args.listen else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((args.listen, args.port))
    log = open(args.log, "a", buffering=1)
    log.write("listening\n")
    while True:
        message, sender = sock.recvfrom(65535)
        try:
            reply, asked = answer(message, table)
        except (IndexError, ValueError, struct.error):
            continue
        if reply is None:
            continue
        log.write("%s %d from %s\n" % (asked[0], asked[1], sender[0]))
        sock.sendto(reply, sender)


if __name__ == "__main__":
    sys.exit(main())

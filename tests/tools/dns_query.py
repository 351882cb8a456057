#!/usr/bin/env python3
"""Asks one DNS server one A question over UDP (or TCP with --tcp) and prints the outcome.

Output, one line: "rcode=N" followed by "a=ADDRESS" for each A record in the answer, or
"timeout" when nothing came back within --timeout seconds (exit status 2).
"""
import argparse
import random
import socket
import struct
import sys


def query(name, ident):
    header = struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0)
    labels = b"".join(bytes([len(l)]) + l.encode("ascii") for l in name.rstrip(".").split("."))
    return header + labels + b"\x00" + struct.pack("!HH", 1, 1)


def skip_name(message, offset):
    while True:
        length = message[offset]
        if length & 0xC0 == 0xC0:
            return offset + 2
        offset += 1
        if length == 0:
            return offset
        offset += length


def parse(message, ident):
    got_id, flags, qdcount, ancount = struct.unpack("!HHHH", message[:8])
    if got_id != ident:
        raise ValueError("another ID")
    offset = 12
    for _ in range(qdcount):
        offset = skip_name(message, offset) + 4
    addresses = []
    for _ in range(ancount):
        offset = skip_name(message, offset)
        rtype, _, _, length = struct.unpack("!HHIH", message[offset:offset + 10])
        offset += 10
        if rtype == 1 and length == 4:
            addresses.append(socket.inet_ntoa(message[offset:offset + 4]))
        offset += length
    return flags & 0x000F, addresses


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--name", required=True)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--tcp", action="store_true")
    args = parser.parse_args()
    ident = random.randrange(65536)
    message = query(args.name, ident)
    family = socket.AF_INET6 if ":" in args.server else socket.AF_INET
    try:
        if args.tcp:
            sock = socket.create_connection((args.server, args.port), timeout=args.timeout)
            sock.sendall(struct.pack("!H", len(message)) + message)
            data = b""
            while len(data) < 2 or len(data) < 2 + struct.unpack("!H", data[:2])[0]:
                chunk = sock.recv(4096)
                if not chunk:
                    raise socket.timeout()
                data += chunk
            reply = data[2:]
        else:
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.settimeout(args.timeout)
            sock.sendto(message, (args.server, args.port))
            reply, _ = sock.recvfrom(65535)
    except (socket.timeout, ConnectionError):
        print("timeout")
        return 2
    rcode, addresses = parse(reply, ident)
    print(" ".join(["rcode=%d" % rcode] + ["a=%s" % a for a in addresses]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

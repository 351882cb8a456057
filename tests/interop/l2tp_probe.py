#!/usr/bin/env python3
"""A minimal L2TPv2 LAC (RFC 2661) for probing a third-party LNS, standard library only.

It opens a control connection (SCCRQ -> SCCRP -> SCCCN) and, depending on --stage, an incoming
call (ICRQ -> ICRP -> ICCN), then PPP over it (RFC 1661 LCP, RFC 2759 MS-CHAPv2 or RFC 1334 PAP,
RFC 1332 IPCP with RFC 1877 DNS options) and an ICMP echo through the session. It prints every
message it receives decoded, then tears down with CDN and StopCCN and waits for their ZLB
acknowledgements. It is a probe, not an implementation: one tunnel, one session, no hidden AVPs,
no tunnel authentication.

  l2tp_probe.py SERVER [--stage tunnel|session|ppp] [--user U --password P --auth mschapv2|pap]
                [--expect-auth-failure] [--ping ADDRESS] [--expect-address-in PREFIX]
                [--hold SECONDS] [--abandon-after iccn|lcp|stage] [--local-addr A --local-port P]
Exit status 0 when every step of the chosen stage succeeded. The PPP side is in ppp_peer.py,
MS-CHAPv2 in mschapv2.py. The LNS's PPP side may stay silent until the LAC sends its first LCP
Configure-Request, so the probe sends one right after ICCN.
"""

import argparse
import ipaddress
import random
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # run as root from the source tree: leave no __pycache__ there
from ppp_peer import ProbeError, Ppp, say, u16, u32, T0

MSG_NAMES = {1: "SCCRQ", 2: "SCCRP", 3: "SCCCN", 4: "StopCCN", 6: "HELLO", 7: "OCRQ", 8: "OCRP",
             9: "OCCN", 10: "ICRQ", 11: "ICRP", 12: "ICCN", 14: "CDN", 15: "WEN", 16: "SLI"}
AVP_NAMES = {0: "Message Type", 1: "Result Code", 2: "Protocol Version", 3: "Framing Capabilities",
             4: "Bearer Capabilities", 5: "Tie Breaker", 6: "Firmware Revision", 7: "Host Name",
             8: "Vendor Name", 9: "Assigned Tunnel ID", 10: "Receive Window Size", 11: "Challenge",
             12: "Q.931 Cause Code", 13: "Challenge Response", 14: "Assigned Session ID",
             15: "Call Serial Number", 18: "Bearer Type", 19: "Framing Type",
             24: "Tx Connect Speed", 36: "Random Vector", 38: "Rx Connect Speed",
             46: "PPP Disconnect Cause Code"}
def avp(attr, value, mandatory=True):
    return struct.pack("!HHH", (0x8000 if mandatory else 0) | (6 + len(value)), 0, attr) + value


def parse_l2tp(data):
    """Header and AVPs of one L2TPv2 datagram, as a dict; raises ProbeError when malformed."""
    if len(data) < 6:
        raise ProbeError("datagram shorter than an L2TP header")
    flags = struct.unpack_from("!H", data)[0]
    if flags & 0xF != 2:
        raise ProbeError(f"version {flags & 0xF}, not 2")
    msg = {"flags": flags, "control": bool(flags & 0x8000), "raw": data}
    off = 2
    if flags & 0x4000:
        msg["length"] = struct.unpack_from("!H", data, off)[0]
        off += 2
    msg["tid"], msg["sid"] = struct.unpack_from("!HH", data, off)
    off += 4
    if flags & 0x0800:
        msg["ns"], msg["nr"] = struct.unpack_from("!HH", data, off)
        off += 4
    if flags & 0x0200:
        off += 2 + struct.unpack_from("!H", data, off)[0]
    msg["payload"] = data[off:]
    if not msg["control"]:
        return msg
    avps = []
    while off < len(data):
        word, vendor, attr = struct.unpack_from("!HHH", data, off)
        length = word & 0x3FF
        if length < 6 or off + length > len(data):
            raise ProbeError(f"AVP at offset {off} has bad length {length}")
        avps.append({"m": bool(word & 0x8000), "h": bool(word & 0x4000), "vendor": vendor,
                     "attr": attr, "value": data[off + 6:off + length]})
        off += length
    msg["avps"] = avps
    msg["type"] = None
    if avps:
        if avps[0]["attr"] != 0 or avps[0]["vendor"] != 0:
            raise ProbeError("first AVP is not Message Type")
        msg["type"] = struct.unpack("!H", avps[0]["value"])[0]
    return msg


def avp_value(msg, attr):
    for a in msg.get("avps", []):
        if a["attr"] == attr and a["vendor"] == 0:
            return a["value"]
    return None


def describe_avp(a):
    v = a["value"]
    name = AVP_NAMES.get(a["attr"], f"attr {a['attr']}") if a["vendor"] == 0 else \
        f"vendor {a['vendor']} attr {a['attr']}"
    if a["h"]:
        text = f"hidden, {len(v)} bytes {v.hex()}"
    elif a["attr"] == 0:
        text = MSG_NAMES.get(struct.unpack("!H", v)[0], str(v))
    elif a["attr"] == 2 and len(v) == 2:
        text = f"{v[0]}.{v[1]}"
    elif a["attr"] in (7, 8):
        text = repr(v.decode(errors="replace"))
    elif len(v) in (2, 4):
        text = str(int.from_bytes(v, "big")) + f" (0x{v.hex()})"
    else:
        text = v.hex()
    return f"[{'M' if a['m'] else '-'}{'H' if a['h'] else '-'}] {name} = {text}"


class Tunnel:
    """The LAC end of one control connection: Ns/Nr bookkeeping, retransmission, ZLB acks."""

    def __init__(self, server, port, local_addr, local_port, verbose):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((local_addr, local_port))
        self.peer = (server, port)
        self.verbose = verbose
        self.my_tid = random.randint(1, 0xFFFF)
        self.peer_tid = 0
        self.ns = 0
        self.nr = 0
        self.unacked = {}  # Ns -> [datagram, next retransmission time, attempts]
        self.ack_due = None
        self.data_handler = None
        self.first = {}  # message name -> first datagram of that type received
        self.closing = False  # we sent StopCCN; the LNS's own StopCCN is then expected

    def log(self, text):
        say(text)

    def send_control(self, mtype, avps, sid=0):
        body = avp(0, u16(mtype)) + b"".join(avps)
        pkt = struct.pack("!HHHHHH", 0xC802, 12 + len(body), self.peer_tid, sid, self.ns, self.nr)
        pkt += body
        self.unacked[self.ns] = [pkt, time.monotonic() + 1.0, 1]
        self.log(f"-> {MSG_NAMES[mtype]} tid={self.peer_tid} sid={sid} Ns={self.ns} Nr={self.nr}")
        self.ns = (self.ns + 1) & 0xFFFF
        self.ack_due = None  # this message carries the acknowledgement
        self.sock.sendto(pkt, self.peer)

    def send_zlb(self):
        pkt = struct.pack("!HHHHHH", 0xC802, 12, self.peer_tid, 0, self.ns, self.nr)
        self.log(f"-> ZLB tid={self.peer_tid} Ns={self.ns} Nr={self.nr}")
        self.ack_due = None
        self.sock.sendto(pkt, self.peer)

    def send_data(self, sid, ppp_frame):
        self.sock.sendto(struct.pack("!HHH", 0x0002, self.peer_tid, sid) + ppp_frame, self.peer)

    def _tick(self):
        now = time.monotonic()
        for ns, entry in list(self.unacked.items()):
            if now >= entry[1]:
                if entry[2] >= 6:
                    raise ProbeError(f"control message Ns={ns} was never acknowledged")
                entry[2] += 1
                entry[1] = now + min(2 ** (entry[2] - 1), 8)
                self.log(f"-> retransmit Ns={ns} (attempt {entry[2]})")
                self.sock.sendto(entry[0], self.peer)
        if self.ack_due is not None and now >= self.ack_due:
            self.send_zlb()

    def wait(self, want, timeout):
        """Processes datagrams until a new control message named `want` arrives (returns it),
        or, with want=None, until every sent message is acknowledged (returns None)."""
        deadline = time.monotonic() + timeout
        while True:
            if want is None and not self.unacked and self.ack_due is None:
                return None
            now = time.monotonic()
            if now >= deadline:
                raise ProbeError(f"timed out waiting for {want or 'acknowledgements'}")
            self._tick()
            self.sock.settimeout(max(0.01, min(0.1, deadline - now)))
            try:
                data, src = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            if src != self.peer:
                self.log(f"<- datagram from unexpected source {src}, ignored")
                continue
            msg = parse_l2tp(data)
            if msg["tid"] != self.my_tid:
                self.log(f"<- datagram for tunnel {msg['tid']}, not ours ({self.my_tid}), ignored")
                continue
            if not msg["control"]:
                if self.data_handler:
                    self.data_handler(msg)
                continue
            got = self._control(msg)
            if got is not None and (want is None or MSG_NAMES.get(got["type"]) == want):
                if want is not None:
                    return got

    def _control(self, msg):
        nr = msg["nr"]
        for ns in list(self.unacked):
            if ((nr - ns - 1) & 0xFFFF) < 0x8000:  # ns < nr in sequence space
                del self.unacked[ns]
        if msg["type"] is None:
            self.log(f"<- ZLB tid={msg['tid']} Ns={msg['ns']} Nr={nr}")
            return None
        name = MSG_NAMES.get(msg["type"], f"type {msg['type']}")
        if msg["ns"] != self.nr:
            self.log(f"<- {name} Ns={msg['ns']} duplicate or out of order (expected {self.nr})")
            self.send_zlb()
            return None
        self.nr = (self.nr + 1) & 0xFFFF
        self.ack_due = time.monotonic() + 0.2  # a ZLB unless a reply acknowledges it first
        flags = msg["flags"]
        bits = "".join(b for b, m in (("T", 0x8000), ("L", 0x4000), ("S", 0x0800), ("O", 0x0200),
                                      ("P", 0x0100)) if flags & m)
        self.log(f"<- {name} flags={bits} ver=2 length={msg.get('length')} tid={msg['tid']} "
                 f"sid={msg['sid']} Ns={msg['ns']} Nr={nr}")
        for a in msg["avps"]:
            self.log("     " + describe_avp(a))
        if self.verbose or name not in self.first:
            self.log(f"     hex {msg['raw'].hex()}")
        self.first.setdefault(name, msg)
        if any(a["h"] for a in msg["avps"]):
            self.log("     note: hidden AVPs present")
        if name == "StopCCN":
            if not self.closing:
                raise ProbeError("the LNS closed the tunnel: " + repr(avp_value(msg, 1)))
            self.send_zlb()
        return msg


def run_until(tunnel, ppp, cond, timeout, what):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() >= deadline:
            raise ProbeError(f"timed out waiting for {what}")
        ppp.tick()
        try:
            tunnel.wait("never", 0.1)
        except ProbeError as e:
            if not str(e).startswith("timed out"):
                raise


def open_tunnel(t, args):
    t.send_control(1, [avp(2, b"\x01\x00"), avp(7, args.host_name.encode()), avp(3, u32(3)),
                       avp(9, u16(t.my_tid)), avp(10, u16(4), False),
                       avp(8, b"Tandem probe", False)])
    sccrp = t.wait("SCCRP", args.timeout)
    tid = avp_value(sccrp, 9)
    if tid is None or len(tid) != 2:
        raise ProbeError("SCCRP lacks an Assigned Tunnel ID")
    t.peer_tid = struct.unpack("!H", tid)[0]
    window = avp_value(sccrp, 10)
    say(f"tunnel up: our tunnel id {t.my_tid}, LNS tunnel id {t.peer_tid}, challenge "
        f"{'present' if avp_value(sccrp, 11) is not None else 'absent'}, receive window "
        f"{int.from_bytes(window, 'big') if window else 'absent (4)'}")
    t.send_control(3, [])
    t.wait(None, args.timeout)


def open_session(t, args, my_sid):
    t.send_control(10, [avp(14, u16(my_sid)), avp(15, u32(1)), avp(18, u32(2), False)])
    icrp = t.wait("ICRP", args.timeout)
    sid_v = avp_value(icrp, 14)
    if sid_v is None or icrp["sid"] != my_sid:
        raise ProbeError("ICRP lacks an Assigned Session ID or is not addressed to our session")
    sid = struct.unpack("!H", sid_v)[0]
    say(f"session: our session id {my_sid}, LNS session id {sid}")
    ppp = Ppp(t, sid, args)
    t.data_handler = ppp.on_data
    t.send_control(12, [avp(24, u32(10000000)), avp(19, u32(1))], sid=sid)
    if args.abandon_after == "iccn":
        t.wait(None, args.timeout)
        return ppp
    if args.abandon_after == "lcp":
        ppp.on_cp = lambda *a: None  # record the LNS's first request but answer nothing
    # The LNS may wait for the LAC's first PPP frame before it starts its own side of PPP.
    ppp.send_lcp_request()
    run_until(t, ppp, lambda: ppp.first_lcp_request is not None, args.timeout,
              "the LNS's first LCP Configure-Request")
    return ppp


def run_ppp(t, ppp, args):
    """LCP, authentication, IPCP and pings; returns False when authentication failed."""
    def until(cond, what):
        run_until(t, ppp, cond, args.timeout, what)

    until(lambda: ppp.lcp_ours_acked and ppp.lcp_theirs_acked, "LCP opened")
    say("LCP opened")
    if args.auth == "pap":
        ppp.send_pap()  # with MS-CHAPv2 the authenticator speaks first
    until(lambda: ppp.auth_ok is not None, "authentication verdict")
    if not ppp.auth_ok:
        say(f"authentication as {args.user!r} with {args.auth} refused")
        until(lambda: ppp.terminated, "LCP Terminate-Request")
        return False
    say(f"authenticated as {args.user!r} with {args.auth}")
    ppp.send_ipcp_request()
    until(lambda: ppp.ipcp_ours_acked and ppp.ipcp_theirs_acked, "IPCP opened")
    addr = ipaddress.IPv4Address(ppp.ipcp_request[3])
    dns = [str(ipaddress.IPv4Address(ppp.ipcp_request[k]))
           for k in (129, 131) if k in ppp.ipcp_request]
    say(f"IPCP opened: address {addr}, LNS address {ppp.peer_ip}, DNS {dns}")
    if args.expect_address_in and addr not in ipaddress.IPv4Network(args.expect_address_in):
        raise ProbeError(f"assigned address {addr} is not in {args.expect_address_in}")
    if args.ping:
        target = ipaddress.IPv4Address(args.ping)
        for seq in range(1, 4):
            ppp.echo_reply = None
            ppp.send_ping(addr, target, seq)
            until(lambda: ppp.echo_reply == target, f"echo reply from {target}")
        say(f"ping {target} through the session: 3/3 replies")
    ppp.send_cp(0xC021, 5, ppp.next_id(), b"probe done", True)
    until(lambda: ppp.term_ack, "LCP Terminate-Ack")
    return True


def hold(t, args):
    if args.hold > 0:
        say(f"holding the tunnel for {args.hold} s")
        try:
            t.wait("never", args.hold)
        except ProbeError as e:
            if not str(e).startswith("timed out"):
                raise


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("server")
    ap.add_argument("--port", type=int, default=1701)
    ap.add_argument("--local-addr", default="0.0.0.0")
    ap.add_argument("--local-port", type=int, default=1701)
    ap.add_argument("--stage", choices=("tunnel", "session", "ppp"), default="tunnel")
    ap.add_argument("--host-name", default="tandem-probe")
    ap.add_argument("--user", default="")
    ap.add_argument("--password", default="")
    ap.add_argument("--auth", choices=("mschapv2", "pap"), default="mschapv2")
    ap.add_argument("--expect-auth-failure", action="store_true",
                    help="pass only if the LNS refuses the credentials (ppp stage)")
    ap.add_argument("--ping", help="IPv4 address to ping through the session (ppp stage)")
    ap.add_argument("--expect-address-in", help="IPCP must assign an address in this prefix")
    ap.add_argument("--abandon-after", choices=("iccn", "lcp", "stage"),
                    help="exit without CDN/StopCCN, as a crashed LAC would: right after ICCN "
                         "(no PPP sent), after the LNS's first LCP Configure-Request (unanswered), "
                         "or after the stage")
    ap.add_argument("--hold", type=float, default=0.0,
                    help="seconds to keep the tunnel up (answering HELLO) before tearing down")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    t = Tunnel(args.server, args.port, args.local_addr, args.local_port, args.verbose)
    try:
        open_tunnel(t, args)
        if args.stage != "tunnel":
            my_sid = random.randint(1, 0xFFFF)
            ppp = open_session(t, args, my_sid)
            if args.abandon_after in ("iccn", "lcp"):
                say(f"abandoning the session after {args.abandon_after}")
                return 0
            say(f"first LCP Configure-Request after {time.monotonic() - T0:.2f} s")
            if args.stage == "ppp":
                authenticated = run_ppp(t, ppp, args)
                if authenticated == args.expect_auth_failure:
                    verdict = "succeeded" if authenticated else "failed"
                    raise ProbeError(f"authentication {verdict}")
            hold(t, args)
            if args.abandon_after == "stage":
                say("abandoning the tunnel without CDN or StopCCN")
                return 0
            t.send_control(14, [avp(1, u16(3)), avp(14, u16(my_sid))], sid=ppp.sid)
            t.wait(None, args.timeout)
        else:
            hold(t, args)
        if args.stage == "tunnel" and args.abandon_after:
            say("abandoning the tunnel without StopCCN")
            return 0
        t.closing = True
        t.send_control(4, [avp(9, u16(t.my_tid)), avp(1, u16(1))])
        t.wait(None, args.timeout)
        say(f"PASS: stage {args.stage} complete")
        return 0
    except ProbeError as e:
        print(f"FAIL: {e}", file=sys.stderr, flush=True)
        if t.peer_tid and not t.closing:
            t.closing = True
            try:
                t.send_control(4, [avp(9, u16(t.my_tid)), avp(1, u16(1))])
            except OSError:
                pass
        return 1


if __name__ == "__main__":
    sys.exit(main())

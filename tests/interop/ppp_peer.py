"""The PPP side of the L2TP probe: just enough of a PPP peer (RFC 1661 LCP, RFC 2759 MS-CHAPv2,
RFC 1334 PAP, RFC 1332 IPCP with RFC 1877 DNS) to authenticate to an LNS, get an IPv4 address and
ping through the session, printing every packet it receives. Also the probe's shared helpers.
"""

import ipaddress
import os
import random
import struct
import time

import mschapv2

PPP_NAMES = {0xC021: "LCP", 0xC023: "PAP", 0xC223: "CHAP", 0xC227: "EAP", 0x8021: "IPCP",
             0x8057: "IPV6CP", 0x0021: "IPv4", 0x0057: "IPv6"}
CP_CODES = {1: "Configure-Request", 2: "Configure-Ack", 3: "Configure-Nak", 4: "Configure-Reject",
            5: "Terminate-Request", 6: "Terminate-Ack", 7: "Code-Reject", 8: "Protocol-Reject",
            9: "Echo-Request", 10: "Echo-Reply", 11: "Discard-Request"}
# The Auth-Protocol option value the probe insists on (Configure-Nak of anything else).
AUTH_OPTION = {"mschapv2": b"\xc2\x23\x81", "pap": b"\xc0\x23"}

T0 = time.monotonic()


class ProbeError(Exception):
    pass


def say(text, **kwargs):
    print(f"{time.monotonic() - T0:7.3f} {text}", flush=True, **kwargs)


def u16(v):
    return struct.pack("!H", v)


def u32(v):
    return struct.pack("!I", v)


def describe_options(payload):
    out, off = [], 0
    while off + 2 <= len(payload):
        t, ln = payload[off], payload[off + 1]
        if ln < 2:
            break
        out.append((t, payload[off + 2:off + ln]))
        off += ln
    return out


def lcp_option_text(t, v):
    names = {1: "MRU", 2: "ACCM", 3: "Auth-Protocol", 4: "Quality-Protocol", 5: "Magic-Number",
             7: "PFC", 8: "ACFC", 13: "Callback", 17: "MRRU"}
    if t == 3 and v[:2] == b"\xc2\x23":
        alg = {5: "MD5", 0x80: "MS-CHAPv1", 0x81: "MS-CHAPv2"}.get(v[2] if len(v) > 2 else -1, "?")
        return f"Auth-Protocol=CHAP(0xc223) algorithm 0x{v[2:].hex()} ({alg})"
    if t == 3:
        return f"Auth-Protocol=0x{v.hex()} ({PPP_NAMES.get(int.from_bytes(v[:2], 'big'), '?')})"
    return f"{names.get(t, f'option {t}')}=0x{v.hex()}" + \
        (f" ({int.from_bytes(v, 'big')})" if t == 1 else "")


def cp_text(proto, code, ident, data):
    """One line for an LCP/IPCP/IPV6CP packet: code, identifier, options or data."""
    name = f"{PPP_NAMES.get(proto, hex(proto))} {CP_CODES.get(code, code)} id={ident}"
    if code > 4:
        return f"{name} {data.hex()}"
    if proto == 0xC021:
        return f"{name} {[lcp_option_text(t, v) for t, v in describe_options(data)]}"
    return f"{name} {[(t, v.hex()) for t, v in describe_options(data)]}"


def ip_checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Ppp:
    """Just enough of a PPP peer to authenticate, get an IPv4 address and ping through it."""

    def __init__(self, tunnel, sid, args):
        self.t, self.sid, self.args = tunnel, sid, args
        self.magic = random.getrandbits(32) | 1
        self.ident = 1
        self.first_lcp_request = None
        self.lcp_ours_acked = self.lcp_theirs_acked = False
        self.auth_ok = None
        self.lcp_request = {1: u16(1400), 5: u32(self.magic)}
        self.ipcp_request = {3: b"\0\0\0\0", 129: b"\0\0\0\0", 131: b"\0\0\0\0"}
        self.ipcp_ours_acked = self.ipcp_theirs_acked = False
        self.peer_ip = None
        self.echo_reply = None
        self.term_ack = False
        self.terminated = False
        self.retransmit = {}  # protocol -> (frame, next time)

    def send(self, proto, payload, remember=False):
        frame = b"\xff\x03" + u16(proto) + payload
        self.t.send_data(self.sid, frame)
        if remember:
            self.retransmit[proto] = (frame, time.monotonic() + 1.0)

    def send_cp(self, proto, code, ident, data, remember=False):
        say(f"-> {cp_text(proto, code, ident, data)}")
        self.send(proto, struct.pack("!BBH", code, ident, 4 + len(data)) + data, remember)

    def next_id(self):
        self.ident = (self.ident + 1) & 0xFF
        return self.ident

    def tick(self):
        now = time.monotonic()
        for proto, (frame, when) in list(self.retransmit.items()):
            if now >= when:
                self.t.send_data(self.sid, frame)
                self.retransmit[proto] = (frame, now + 1.0)

    def on_data(self, msg):
        frame = msg["payload"]
        if frame[:2] == b"\xff\x03":
            frame = frame[2:]
        proto = struct.unpack_from("!H", frame)[0]
        body = frame[2:]
        name = PPP_NAMES.get(proto, hex(proto))
        hdr = "L" if msg["flags"] & 0x4000 else ""
        hdr += "S" if msg["flags"] & 0x0800 else ""
        if proto in (0xC021, 0x8021, 0x8057) and len(body) >= 4:
            code, ident, length = struct.unpack_from("!BBH", body)
            data = body[4:length]
            say(f"<- {cp_text(proto, code, ident, data)} "
                f"(data message flags={hdr or '-'} tid={msg['tid']} sid={msg['sid']})")
            if proto == 0xC021 and code == 1 and self.first_lcp_request is None:
                self.first_lcp_request = msg["payload"]
                say(f"     first LCP Configure-Request, PPP frame hex {msg['payload'].hex()}")
            self.on_cp(proto, code, ident, data)
        elif proto == 0xC223:
            self.on_chap(body)
        elif proto == 0xC023:
            self.on_pap(body)
        elif proto == 0x0021:
            self.on_ipv4(body)
        else:
            say(f"<- {name} {body.hex()} -> Protocol-Reject")
            self.send_cp(0xC021, 8, self.next_id(), frame)

    def on_cp(self, proto, code, ident, data):
        if proto == 0x8057:  # no IPv6 here
            rejected = u16(proto) + struct.pack("!BBH", code, ident, 4 + len(data)) + data
            self.send_cp(0xC021, 8, self.next_id(), rejected)
            return
        if code == 1:
            self.on_configure_request(proto, ident, data)
        elif code == 2:
            self.retransmit.pop(proto, None)
            if proto == 0xC021:
                self.lcp_ours_acked = True
            else:
                self.ipcp_ours_acked = True
        elif code in (3, 4):
            # RFC 1661 section 5.3/5.4: adopt Nak'd values, drop Rejected options, ask again.
            request = self.lcp_request if proto == 0xC021 else self.ipcp_request
            for t, v in describe_options(data):
                if code == 3:
                    request[t] = v
                else:
                    request.pop(t, None)
            if proto == 0xC021:
                self.send_lcp_request()
            else:
                self.send_ipcp_request()
        elif code == 5:
            self.send_cp(proto, 6, ident, b"")
            self.terminated = True
            if self.auth_ok is not False:  # after a refused authentication it is expected
                raise ProbeError(f"the LNS terminated {PPP_NAMES[proto]}: {data!r}")
        elif code == 6:
            self.term_ack = True
            self.retransmit.pop(proto, None)
        elif code == 9:
            magic = self.lcp_request.get(5, b"\0\0\0\0")  # zero when the peer rejected it
            self.send_cp(0xC021, 10, ident, magic + data[4:])

    def on_configure_request(self, proto, ident, data):
        opts = describe_options(data)
        if proto == 0xC021:
            want = AUTH_OPTION[self.args.auth]
            nak = [(t, v) for t, v in opts if t == 3 and v != want]
            rej = [(t, v) for t, v in opts if t not in (1, 3, 5)]
            if rej:
                self.send_cp(proto, 4, ident, b"".join(bytes([t, 2 + len(v)]) + v for t, v in rej))
            elif nak:
                self.send_cp(proto, 3, ident, bytes([3, 2 + len(want)]) + want)
            else:
                self.send_cp(proto, 2, ident, data)
                self.lcp_theirs_acked = True
        else:
            for t, v in opts:
                if t == 3:
                    self.peer_ip = ipaddress.IPv4Address(v)
            self.send_cp(proto, 2, ident, data)
            self.ipcp_theirs_acked = True

    def send_lcp_request(self):
        data = b"".join(bytes([t, 2 + len(v)]) + v for t, v in self.lcp_request.items())
        self.send_cp(0xC021, 1, self.next_id(), data, True)

    def send_ipcp_request(self):
        data = b"".join(bytes([t, 2 + len(v)]) + v for t, v in self.ipcp_request.items())
        self.send_cp(0x8021, 1, self.next_id(), data, True)

    def on_chap(self, body):
        code, ident, length = struct.unpack_from("!BBH", body)
        if code == 1:
            vlen = body[4]
            challenge = body[5:5 + vlen]
            name = body[5 + vlen:length]
            say(f"<- CHAP Challenge id={ident} value-size={vlen} challenge={challenge.hex()} "
                f"name={name!r}")
            peer_challenge = os.urandom(16)
            self.chap = (challenge, peer_challenge)
            nt = mschapv2.generate_nt_response(challenge, peer_challenge, self.args.user,
                                               self.args.password)
            self.chap_nt = nt
            # RFC 2759 section 4: Peer-Challenge, 8 reserved zero octets, NT-Response, Flags.
            value = peer_challenge + b"\0" * 8 + nt + b"\0"
            user = self.args.user.encode()
            say(f"-> CHAP Response id={ident} name={user!r} nt-response={nt.hex()}")
            head = struct.pack("!BBHB", 2, ident, 5 + len(value) + len(user), len(value))
            self.send(0xC223, head + value + user)
        elif code in (3, 4):
            message = body[4:length].decode(errors="replace")
            say(f"<- CHAP {'Success' if code == 3 else 'Failure'} id={ident} message={message!r}")
            if code == 3:
                challenge, peer_challenge = self.chap
                expected = mschapv2.generate_authenticator_response(
                    self.args.password, self.chap_nt, peer_challenge, challenge, self.args.user)
                if not message.startswith(expected):
                    raise ProbeError(f"authenticator response mismatch, expected {expected}")
                say("     authenticator response verified (RFC 2759 section 8.7)")
            self.auth_ok = code == 3
        else:
            say(f"<- CHAP code {code} {body.hex()}")

    def send_pap(self):
        user, pw = self.args.user.encode(), self.args.password.encode()
        data = bytes([len(user)]) + user + bytes([len(pw)]) + pw
        say(f"-> PAP Authenticate-Request peer-id={user!r}")
        self.send(0xC023, struct.pack("!BBH", 1, self.next_id(), 4 + len(data)) + data, True)

    def on_pap(self, body):
        code, ident, length = struct.unpack_from("!BBH", body)
        message = body[5:length].decode(errors="replace")
        name = {2: "Authenticate-Ack", 3: "Authenticate-Nak"}.get(code, f"code {code}")
        # RFC 1334 section 2.2.2: Msg-Length is not optional, so a 4-octet Ack is malformed.
        quirk = " (no Msg-Length octet)" if length == 4 else ""
        say(f"<- PAP {name} id={ident} message={message!r}{quirk}")
        if code in (2, 3):
            self.retransmit.pop(0xC023, None)
            self.auth_ok = code == 2

    def send_ping(self, src, dst, seq):
        icmp = struct.pack("!BBHHH", 8, 0, 0, 0x5444, seq) + b"tandem-l2tp-probe"
        icmp = icmp[:2] + u16(ip_checksum(icmp)) + icmp[4:]
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), seq, 0, 64, 1, 0,
                          src.packed, dst.packed)
        hdr = hdr[:10] + u16(ip_checksum(hdr)) + hdr[12:]
        say(f"-> IPv4 ICMP echo request {src} -> {dst} seq={seq}")
        self.send(0x0021, hdr + icmp)

    def on_ipv4(self, body):
        if len(body) >= 28 and body[9] == 1 and body[20] == 0:
            src = ipaddress.IPv4Address(body[12:16])
            seq = struct.unpack_from("!H", body, 26)[0]
            say(f"<- IPv4 ICMP echo reply from {src} seq={seq}")
            self.echo_reply = src
        else:
            say(f"<- IPv4 packet protocol {body[9] if len(body) > 9 else '?'} ({len(body)} bytes)")

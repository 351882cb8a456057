"""MS-CHAPv2 peer computations (RFC 2759 sections 8.1-8.7) for the L2TP probe, stdlib only.

Python's hashlib no longer offers MD4 under OpenSSL 3 and the standard library has no DES, so both
are written out here from RFC 1320 and FIPS 46-3. They are slow and only meant for one handshake.
Running this file checks them against the RFC 2759 section 9.2 example.
"""

import hashlib
import struct

# FIPS 46-3 tables, 1-based bit positions counted from the most significant bit.
_IP = [58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4,
       62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
       57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3,
       61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7]
_FP = [_IP.index(i) + 1 for i in range(1, 65)]  # the inverse permutation
_E = [32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9, 8, 9, 10, 11, 12, 13, 12, 13, 14, 15, 16, 17,
      16, 17, 18, 19, 20, 21, 20, 21, 22, 23, 24, 25, 24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1]
_P = [16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
      2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25]
_PC1 = [57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27,
        19, 11, 3, 60, 52, 44, 36, 63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
        14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4]
_PC2 = [14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
        41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53,
        46, 42, 50, 36, 29, 32]
_SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1]
_S = [
    [14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7,
     0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
     4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0,
     15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13],
    [15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10,
     3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
     0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15,
     13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9],
    [10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8,
     13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
     13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7,
     1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12],
    [7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15,
     13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
     10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4,
     3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14],
    [2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9,
     14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
     4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14,
     11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3],
    [12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11,
     10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
     9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6,
     4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13],
    [4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1,
     13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
     1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2,
     6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12],
    [13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7,
     1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
     7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8,
     2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11],
]


def _permute(value, in_bits, table):
    out = 0
    for pos in table:
        out = (out << 1) | ((value >> (in_bits - pos)) & 1)
    return out


def des_encrypt_block(key8, block8):
    """DES-ECB of one 8-byte block (parity bits of the key are ignored, as DES does)."""
    cd = _permute(int.from_bytes(key8, "big"), 64, _PC1)
    c, d = cd >> 28, cd & 0xFFFFFFF
    subkeys = []
    for shift in _SHIFTS:
        c = ((c << shift) | (c >> (28 - shift))) & 0xFFFFFFF
        d = ((d << shift) | (d >> (28 - shift))) & 0xFFFFFFF
        subkeys.append(_permute((c << 28) | d, 56, _PC2))
    lr = _permute(int.from_bytes(block8, "big"), 64, _IP)
    left, right = lr >> 32, lr & 0xFFFFFFFF
    for k in subkeys:
        x = _permute(right, 32, _E) ^ k
        s_out = 0
        for i in range(8):
            six = (x >> (42 - 6 * i)) & 0x3F
            row = ((six & 0x20) >> 4) | (six & 1)
            s_out = (s_out << 4) | _S[i][row * 16 + ((six >> 1) & 0xF)]
        left, right = right, left ^ _permute(s_out, 32, _P)
    return _permute((right << 32) | left, 64, _FP).to_bytes(8, "big")


def md4(data):
    """RFC 1320 MD4."""
    def rotl(x, n):
        return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF

    msg = data + b"\x80" + b"\x00" * ((55 - len(data)) % 64) + struct.pack("<Q", len(data) * 8)
    h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476]
    for off in range(0, len(msg), 64):
        x = struct.unpack("<16I", msg[off:off + 64])
        a, b, c, d = h
        rounds = (
            (lambda b, c, d: (b & c) | (~b & d), 0, list(range(16)), (3, 7, 11, 19)),
            (lambda b, c, d: (b & c) | (b & d) | (c & d), 0x5A827999,
             [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15], (3, 5, 9, 13)),
            (lambda b, c, d: b ^ c ^ d, 0x6ED9EBA1,
             [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15], (3, 9, 11, 15)),
        )
        for func, const, order, shifts in rounds:
            for i, k in enumerate(order):
                a = rotl((a + func(b, c, d) + x[k] + const) & 0xFFFFFFFF, shifts[i % 4])
                a, b, c, d = d, a, b, c
        h = [(v + w) & 0xFFFFFFFF for v, w in zip(h, (a, b, c, d))]
    return struct.pack("<4I", *h)


def _des_key_from_7(seven):
    # RFC 2759 section 8.6: 56 key bits spread over 8 bytes, the low (parity) bit left zero.
    bits = int.from_bytes(seven, "big")
    return bytes(((bits >> (49 - 7 * i)) & 0x7F) << 1 for i in range(8))


def challenge_hash(peer_challenge, authenticator_challenge, username):
    """RFC 2759 section 8.2; the user name is whatever follows the last backslash."""
    name = username.encode() if isinstance(username, str) else username
    name = name.rsplit(b"\\", 1)[-1]
    return hashlib.sha1(peer_challenge + authenticator_challenge + name).digest()[:8]


def nt_password_hash(password):
    return md4(password.encode("utf-16-le"))


def generate_nt_response(authenticator_challenge, peer_challenge, username, password):
    """RFC 2759 section 8.1: the 24-byte NT-Response."""
    challenge = challenge_hash(peer_challenge, authenticator_challenge, username)
    z = nt_password_hash(password) + b"\x00" * 5
    return b"".join(des_encrypt_block(_des_key_from_7(z[i:i + 7]), challenge) for i in (0, 7, 14))


def generate_authenticator_response(password, nt_response, peer_challenge,
                                    authenticator_challenge, username):
    """RFC 2759 section 8.7: the "S=<40 hex digits>" string the authenticator must send back."""
    magic1 = b"Magic server to client signing constant"
    magic2 = b"Pad to make it do more than one iteration"
    digest = hashlib.sha1(md4(nt_password_hash(password)) + nt_response + magic1).digest()
    challenge = challenge_hash(peer_challenge, authenticator_challenge, username)
    return "S=" + hashlib.sha1(digest + challenge + magic2).hexdigest().upper()


if __name__ == "__main__":
    # RFC 2759 section 9.2 and FIPS 81 / RFC 1320 known answers.
    assert des_encrypt_block(bytes.fromhex("133457799BBCDFF1"),
                             bytes.fromhex("0123456789ABCDEF")).hex() == "85e813540f0ab405"
    assert md4(b"abc").hex() == "a448017aaf21d8525fc10ae87aa6729d"
    assert md4(b"").hex() == "31d6cfe0d16ae931b73c59d7e0c089c0"
    auth_c = bytes.fromhex("5B5D7C7D7B3F2F3E3C2C602132262628")
    peer_c = bytes.fromhex("21402324255E262A28295F2B3A337C7E")
    assert challenge_hash(peer_c, auth_c, "User").hex() == "d02e4386bce91226"
    assert nt_password_hash("clientPass").hex() == "44ebba8d5312b8d611474411f56989ae"
    nt = generate_nt_response(auth_c, peer_c, "User", "clientPass")
    assert nt.hex().upper() == "82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF", nt.hex()
    assert generate_authenticator_response("clientPass", nt, peer_c, auth_c, "User") == \
        "S=407A5589115FD0D6209F510FE9C04566932CDA56"
    print("mschapv2: DES, MD4 and the RFC 2759 section 9.2 example all match")

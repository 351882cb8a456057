#!/bin/bash
# Tandem's RADIUS client engine (through tests/tools/radius_client_check over a real UDP socket)
# against FreeRADIUS 3.2 (Debian's freeradius), started in the foreground in a namespace of the
# test's own with a throwaway configuration in the test's temporary directory: a users file with
# one user for PAP, CHAP and MS-CHAPv2 (Cleartext-Password) whose reply carries
# Framed-IP-Address, Session-Timeout and Class; a client entry with
# require_message_authenticator = yes; accounting written to a detail file.
#
# FreeRADIUS 3.2.1 signs no Access-Accept or Access-Reject with Message-Authenticator unless the
# request was EAP, and our client refuses answers without one; the configuration asks for it
# (reply Message-Authenticator := 0x00, which FreeRADIUS fills in when it encodes) except for
# the user "legacy", who shows what an unmodified server gets: a refusal naming the missing
# attribute, and an accept once that server opts out.
#
# Shown: PAP, CHAP and MS-CHAPv2 accepted and rejected, with the reply attributes (and MS-CHAPv2's
# authenticator response verified as the PPP client verifies it); a wrong shared secret refused
# with a reason naming the shared secret (FreeRADIUS drops such a request without a word, and
# logs why); failover from a dead first server within the configured timeouts; accounting Start,
# Interim-Update and Stop with byte counts (past 2^32, so Gigawords too) in the detail file; and a
# fake server (python3) whose accepts lack, or carry a wrong, Message-Authenticator refused.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/freeradius_lib.sh"
require_root

[ -n "${RADIUS_TOOL:-}" ] && [ -x "$RADIUS_TOOL" ] || die "RADIUS_TOOL must name radius_client_check"
command -v python3 >/dev/null || die "python3 is needed for the fake server"

NS="rad$TAG"
SECRET="s3cret-$TAG"
AUTH_PORT=1812
ACCT_PORT=1813
FAKE_PORT=18120
DEAD_PORT=1  # nothing listens there: the first server of the failover test
RADDB="$TMPDIR_TEST/raddb"

make_ns "$NS"


show_logs() {
  echo "--- FreeRADIUS console:"
  tail -20 "$RADDB/console.log" 2>/dev/null || true
  echo "--- FreeRADIUS log:"
  tail -30 "$RADDB/log/radius.log" 2>/dev/null || true
}
ON_FAILURE=show_logs

# radius EXPECTED_STATUS ARGS...: the tool in the namespace; its output in $OUT. Dies unless it
# exits with EXPECTED_STATUS.
radius() {
  local want=$1 status=0
  shift
  OUT=$(ip netns exec "$NS" "$RADIUS_TOOL" "$@" 2>&1) || status=$?
  if [ "$status" != "$want" ]; then
    echo "$OUT" >&2
    die "radius_client_check $* exited $status, expected $want"
  fi
}
expect_line() {  # REGEX WHAT
  grep -Eq -- "$1" <<<"$OUT" || { echo "$OUT" >&2; die "$2: no line matching '$1'"; }
}

write_raddb "$RADDB"
cat >"$RADDB/users" <<'EOF'
alice Cleartext-Password := "wonderland"
    Framed-IP-Address = 10.9.0.5,
    Session-Timeout = 3600,
    Class = "gold"

legacy Cleartext-Password := "old-server"
EOF
"$FREERADIUS_BIN" -C -d "$RADDB" >"$RADDB/check.log" 2>&1 ||
  { cat "$RADDB/check.log" >&2; die "FreeRADIUS refuses the test's configuration"; }
ip netns exec "$NS" "$FREERADIUS_BIN" -f -d "$RADDB" >"$RADDB/console.log" 2>&1 &
FREERADIUS_PID=$!
PIDS+=("$FREERADIUS_PID")
# Ready when a real Access-Request is answered.
t0=$(date +%s%N)
WAIT_WATCH_PID=$FREERADIUS_PID WAIT_WATCH_LOG=$RADDB/console.log \
  wait_until "FreeRADIUS answering an Access-Request" 60 \
  ip netns exec "$NS" "$RADIUS_TOOL" --server "127.0.0.1:$AUTH_PORT" --secret "$SECRET" \
  --user alice --pap wonderland --timeout-ms 300 --retries 0
[ "$(readlink "/proc/$FREERADIUS_PID/exe")" = "$(readlink -f "$FREERADIUS_BIN")" ] ||
  die "PID $FREERADIUS_PID is not FreeRADIUS"
note "FreeRADIUS ($FREERADIUS_PID) in $NS answering in $((($(date +%s%N) - t0) / 1000000)) ms"

SERVER=(--server "127.0.0.1:$AUTH_PORT" --secret "$SECRET")

# Each method, accepted with the reply attributes, and rejected.
for method in pap chap mschapv2; do
  radius 0 "${SERVER[@]}" --user alice --"$method" wonderland
  expect_line '^result: accepted$' "$method accept"
  expect_line '^framed-ip-address: 10\.9\.0\.5$' "$method Framed-IP-Address"
  expect_line '^session-timeout: 3600$' "$method Session-Timeout"
  expect_line '^class: gold$' "$method Class"
  [ "$method" != mschapv2 ] ||
    expect_line '^ms-chap2-success: S=[0-9A-F]{40} \(verified\)$' "MS-CHAP2-Success verified"
  note "$method: accepted with Framed-IP-Address 10.9.0.5, Session-Timeout 3600, Class gold"
  radius 1 "${SERVER[@]}" --user alice --"$method" not-the-password
  expect_line '^result: rejected$' "$method reject"
  note "$method: wrong password rejected ($(grep '^reason:' <<<"$OUT"))"
done

# A wrong shared secret: FreeRADIUS drops the request (its Message-Authenticator fails) and says
# so in its log; our reason names the shared secret.
radius 2 --server "127.0.0.1:$AUTH_PORT" --secret "not-$SECRET" --user alice --pap wonderland \
  --timeout-ms 300
expect_line '^reason: .*shared secret' "wrong secret"
wait_log "$RADDB/log/radius.log" 'invalid Message-Authenticator.*Shared secret is incorrect' 10
note "wrong shared secret: $(grep '^reason:' <<<"$OUT")"

# Failover: the first server is dead (a port nothing listens on), 500 ms timeout and one
# retransmission there, so the second answers after about 1 s.
radius 0 --server "127.0.0.1:$DEAD_PORT" "${SERVER[@]}" --user alice --pap wonderland \
  --timeout-ms 500 --retries 1
expect_line "^server: 127\.0\.0\.1:$AUTH_PORT$" "failover to the second server"
expect_line '^retransmissions: 1 failovers: 1$' "one retransmission, one failover"
elapsed=$(sed -n 's/^elapsed-ms: //p' <<<"$OUT")
[ "$elapsed" -ge 1000 ] && [ "$elapsed" -lt $((1000 + 2000 * TEST_WAIT_SCALE)) ] ||
  die "failover took $elapsed ms; expected 1000 ms of timeouts and little more"
note "failover: dead first server left after 2 x 500 ms, accepted by the second in $elapsed ms"

# A server that does not sign its answers (FreeRADIUS 3.2.1 as shipped, for "legacy"): refused
# by default, accepted once that server opts out.
radius 2 "${SERVER[@]}" --user legacy --pap old-server --timeout-ms 300
expect_line '^reason: .*without the Message-Authenticator' "unsigned accept refused"
expect_line '^dropped: missing_message_authenticator=3$' "missing Message-Authenticator counted"
radius 0 "${SERVER[@]}" --user legacy --pap old-server --no-require-message-authenticator
note "unsigned Access-Accept: refused, accepted with require_message_authenticator off"

# Accounting: Start, Interim-Update and Stop, 5000000123 octets in (1 gigaword + 705032827).
ACCT=(--server "127.0.0.1:$ACCT_PORT" --secret "$SECRET" --user alice --session-id "s-$TAG"
  --framed-ip 10.9.0.5)
radius 0 "${ACCT[@]}" --acct start
radius 0 "${ACCT[@]}" --acct interim --in-octets 4000000000 --out-octets 1000 --in-packets 40 \
  --out-packets 10 --session-time 30
radius 0 "${ACCT[@]}" --acct stop --in-octets 5000000123 --out-octets 777777 --in-packets 50 \
  --out-packets 20 --session-time 60
DETAIL="$RADDB/radacct/detail"
wait_until "three accounting records in $DETAIL" 10 \
  sh -c "[ \$(grep -c 'Acct-Session-Id = \"s-$TAG\"' '$DETAIL') = 3 ]"
# record TYPE: the detail file's record of that Acct-Status-Type for this session.
record() {
  awk -v RS= -v type="$1" -v id="s-$TAG" \
    'index($0, "Acct-Status-Type = " type) && index($0, "Acct-Session-Id = \"" id "\"")' "$DETAIL"
}
expect_record() {  # TYPE LINE...
  local type=$1 rec line
  shift
  rec=$(record "$type")
  [ -n "$rec" ] || { cat "$DETAIL" >&2; die "no $type record in the detail file"; }
  for line in "$@"; do
    grep -qF -- "$line" <<<"$rec" || { echo "$rec" >&2; die "$type record lacks '$line'"; }
  done
}
expect_record Start 'User-Name = "alice"' 'Framed-IP-Address = 10.9.0.5'
expect_record Interim-Update 'Acct-Input-Octets = 4000000000' 'Acct-Input-Gigawords = 0' \
  'Acct-Output-Octets = 1000' 'Acct-Input-Packets = 40' 'Acct-Session-Time = 30'
expect_record Stop 'Acct-Input-Octets = 705032827' 'Acct-Input-Gigawords = 1' \
  'Acct-Output-Octets = 777777' 'Acct-Output-Packets = 20' 'Acct-Session-Time = 60' \
  'Acct-Terminate-Cause = User-Request'
note "accounting: Start, Interim-Update, Stop in FreeRADIUS's detail file with their counts"

# A fake server whose Access-Accept has a valid Response Authenticator but no, or a wrong,
# Message-Authenticator (forged with another key).
cat >"$TMPDIR_TEST/fake_radius.py" <<'EOF'
import hashlib, hmac, socket, sys
port, mode, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
while True:
    q, peer = s.recvfrom(4096)
    if len(q) < 20:
        continue
    ident, request_auth = q[1], q[4:20]
    attrs = bytes([8, 6, 10, 9, 0, 5])
    if mode == "wrong":
        attrs = bytes([80, 18]) + bytes(16) + attrs
    head = bytes([2, ident]) + (20 + len(attrs)).to_bytes(2, "big")
    if mode == "wrong":
        mac = hmac.new(b"forged-" + secret, head + request_auth + attrs, hashlib.md5).digest()
        attrs = bytes([80, 18]) + mac + attrs[18:]
    auth = hashlib.md5(head + request_auth + attrs + secret).digest()
    s.sendto(head + auth + attrs, peer)
EOF
for mode in none wrong; do
  port=$((FAKE_PORT + ${#mode}))
  ip netns exec "$NS" python3 "$TMPDIR_TEST/fake_radius.py" "$port" "$mode" "$SECRET" \
    >"$TMPDIR_TEST/fake-$mode.log" 2>&1 &
  fake_pid=$!
  PIDS+=("$fake_pid")
  WAIT_WATCH_PID=$fake_pid WAIT_WATCH_LOG=$TMPDIR_TEST/fake-$mode.log \
    wait_listen "$NS" udp "$port" 30 "fake RADIUS server ($mode)"
  radius 2 --server "127.0.0.1:$port" --secret "$SECRET" --user alice --pap wonderland \
    --timeout-ms 300
  if [ "$mode" = none ]; then
    expect_line '^dropped: missing_message_authenticator=3$' "answers without M-A dropped"
  else
    expect_line '^dropped: bad_message_authenticator=3$' "answers with a wrong M-A dropped"
    expect_line '^reason: .*shared secret mismatch\?' "wrong M-A named"
  fi
  note "fake server, Message-Authenticator $mode: $(grep '^reason:' <<<"$OUT")"
  stop_pid "$fake_pid" 10 "fake RADIUS server"
done

stop_pid "$FREERADIUS_PID" 30 "FreeRADIUS"
note "PASS"

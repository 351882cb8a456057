#!/bin/bash
# Helpers for the split-DNS tests (split_dns.sh, split_dns_hybrid_client.sh), sourced after
# ../netns/lib.sh: the two resolvers, questions to the client's forwarder, and counts in the
# capture of the client's underlay.
DNS_TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)"

# start_resolvers NS PRIVATE_ADDRESS PRIVATE_ANSWER PUBLIC_ADDRESS: in NS, a private resolver
# answering host.corp.example with PRIVATE_ANSWER and a public one answering www.example.com
# with 192.0.2.80 and host.corp.example with 203.0.113.66 (so a leak shows in the answer too),
# each logging what it is asked to $TMPDIR_TEST/private.log and public.log.
start_resolvers() {
  ip netns exec "$1" python3 "$DNS_TOOLS/dns_responder.py" --listen "$2" \
    --log "$TMPDIR_TEST/private.log" --answer "host.corp.example=$3" >"$TMPDIR_TEST/private.err" 2>&1 &
  PIDS+=($!)
  ip netns exec "$1" python3 "$DNS_TOOLS/dns_responder.py" --listen "$4" \
    --log "$TMPDIR_TEST/public.log" --answer www.example.com=192.0.2.80 \
    --answer host.corp.example=203.0.113.66 >"$TMPDIR_TEST/public.err" 2>&1 &
  PIDS+=($!)
  wait_log "$TMPDIR_TEST/private.log" '^listening$' 30
  wait_log "$TMPDIR_TEST/public.log" '^listening$' 30
}

# expect_dns NS SERVER NAME EXPECTED [--tcp]: SERVER asked for NAME's A record from inside NS
# answers EXPECTED ("rcode=0 a=10.81.9.9", "rcode=2").
expect_dns() {
  local got
  got=$(ip netns exec "$1" python3 "$DNS_TOOLS/dns_query.py" --server "$2" --name "$3" \
    --timeout 10 "${@:5}") || true
  note "$3${5:+ $5}${DNS_NOTE:+ ($($DNS_NOTE))}: $got"
  [ "$got" = "$4" ] || die "$3 ${5:-}: expected '$4', got '$got'"
}

# capture_count PCAP DISPLAY_FILTER: packets of the capture that match, markers left out.
capture_count() {
  tshark -r "$1" -Y "$2 && $CAPTURE_NOT_MARKER" 2>/dev/null | wc -l
}

# resolvers_kept_apart: neither resolver was asked the other's name.
resolvers_kept_apart() {
  ! grep -q 'example.com' "$TMPDIR_TEST/private.log" || die "the private resolver got a public query"
  ! grep -q 'corp.example' "$TMPDIR_TEST/public.log" || die "the public resolver got a private query"
}

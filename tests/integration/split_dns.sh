#!/bin/bash
# Split DNS without leaks. A Tandem WireGuard client with [dns] routes corp.example to a private
# resolver reachable only inside the tunnel (on the gateway's inner address) and every other name
# to a public resolver on the underlay. Both resolvers are tests/tools/dns_responder.py, which
# logs every question it gets. Checked:
#   - host.corp.example (UDP and TCP) gets the private answer, www.example.com the public one;
#   - with a wrong route that sends the private resolver's address out of the underlay, the
#     private query still goes through the tunnel (its socket is bound to the tunnel device);
#   - with the gateway stopped, a private query gets SERVFAIL, and a public one still works;
#   - a capture of the client's underlay veth, proven live by a marker, holds not one DNS packet
#     for corp.example (only WireGuard), while the public queries are there, to the public
#     resolver; the private resolver's log has the private queries and never the public name;
#   - the client's `tandem status --json` counts the queries and the SERVFAIL.
# Mode "gateway" runs the same with a hybrid gateway ([[account]]) that has a [dns] of its own:
# the client's private group is the gateway's forwarder, which sends corp.example on to the
# private resolver behind it (and counts the queries in its status).
# Mode "host-resolver" instead checks [dns] host_resolver: the namespace's resolv.conf points at
# the forwarder while the node runs, is restored byte for byte by a clean stop, still points at
# the forwarder after kill -9, and is restored by the next start's clean stop.
# Mode "resolved" checks host_resolver where systemd-resolved runs: a stand-in for resolved
# (tests/tools/fake_resolved, on a private D-Bus bus, in the client's namespace) is told the
# tunnel device's DNS server (the forwarder), its routing domains and that it is the default route,
# and to revert the link at a clean stop; resolv.conf is not touched.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/split_dns_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
MODE=${1:-leaks}

C="c$TAG"
G="g$TAG"
make_ns "$G"
make_ns "$C"
link_ns "$G" "$C" 81 # gateway 192.168.81.1, client 192.168.81.2 on vb${TAG}81
UNDERLAY="vb${TAG}81"
KG=$("$TANDEM_BIN" genkey)
KC=$("$TANDEM_BIN" genkey)
PG=$(echo "$KG" | "$TANDEM_BIN" pubkey)
PC=$(echo "$KC" | "$TANDEM_BIN" pubkey)
# The UAPI sockets the daemons serve; a killed one leaves its file behind.
SOCKETS+=("/var/run/wireguard/g$TAG.sock" "/var/run/wireguard/c$TAG.sock")

if [ "$MODE" = gateway ]; then
  # A hybrid gateway (client as account alice) whose own forwarder serves its clients: corp.example
  # to the private resolver behind it, the rest to the public one.
  PRIVATE=10.81.53.1
  cat >"$TMPDIR_TEST/gw.toml" <<TOML
[interface]
name = "g$TAG"
private_key = "$KG"
listen_port = 51881
addresses = ["10.81.0.1/24"]

[[account]]
name = "alice"
public_key = "$PC"
address = "10.81.0.2"

[dns]
default = "public"

[[dns.upstream]]
name = "corp"
through = "underlay"
servers = ["$PRIVATE"]

[[dns.upstream]]
name = "public"
through = "underlay"
servers = ["192.168.81.1"]

[[dns.route]]
domains = ["corp.example"]
upstream = "corp"
TOML
else
  PRIVATE=10.81.0.1
  cat >"$TMPDIR_TEST/gw.toml" <<TOML
[interface]
name = "g$TAG"
private_key = "$KG"
listen_port = 51881
addresses = ["10.81.0.1/24"]

[[peer]]
name = "client"
public_key = "$PC"
allowed_ips = ["10.81.0.2/32"]
TOML
fi
cat >"$TMPDIR_TEST/client.toml" <<TOML
[interface]
name = "c$TAG"
private_key = "$KC"
addresses = ["10.81.0.2/24"]

[[peer]]
name = "gateway"
public_key = "$PG"
endpoint = "192.168.81.1:51881"
allowed_ips = ["10.81.0.0/24"]
persistent_keepalive = 5

[metrics]
listen = "127.0.0.1:9586"

[dns]
default = "public"
timeout = 2
host_resolver = $(case "$MODE" in host-resolver | resolved) echo true ;; *) echo false ;; esac)

[[dns.upstream]]
name = "corp"
through = "tunnel"
servers = ["10.81.0.1"]

[[dns.upstream]]
name = "public"
through = "underlay"
servers = ["192.168.81.1"]

[[dns.route]]
domains = ["corp.example"]
upstream = "corp"
TOML

show_logs() {
  for f in gw client client2 client3 private public; do
    [ -f "$TMPDIR_TEST/$f.log" ] && { echo "=== $f.log"; tail -30 "$TMPDIR_TEST/$f.log"; }
  done
}
ON_FAILURE=show_logs

# expect_answer NAME EXPECTED [--tcp]: from the client's forwarder (10.81.0.2), inside the client.
expect_answer() { expect_dns "$C" 10.81.0.2 "$@"; }

if [ "$MODE" = resolved ]; then
  : "${FAKE_RESOLVED:?set FAKE_RESOLVED to the fake_resolved tool}"
  command -v dbus-daemon >/dev/null || die "dbus-daemon is missing (apt-get install dbus-daemon)"
  # The namespace's own resolv.conf, which must stay as it is.
  mkdir -p "/etc/netns/$C"
  printf '# the original\nnameserver 192.0.2.1\n' >"/etc/netns/$C/resolv.conf"
  cp "/etc/netns/$C/resolv.conf" "$TMPDIR_TEST/original.conf"
  # The node looks for resolved's runtime directory: a tmpfs over /run/systemd in the node's own
  # mount namespace holds it. /run/systemd itself is made (and removed) only when missing.
  made_run_systemd=0
  [ -d /run/systemd ] || { mkdir /run/systemd; made_run_systemd=1; }
  EXTRA_CLEANUP=remove_resolved_traces
  remove_resolved_traces() {
    rm -rf "/etc/netns/$C"
    [ "$made_run_systemd" = 0 ] || rmdir /run/systemd
  }
  BUS="$TMPDIR_TEST/bus"
  mkdir "$BUS"
  cat >"$BUS/bus.conf" <<XML
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path=$BUS/socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
XML
  ip netns exec "$C" dbus-daemon --config-file="$BUS/bus.conf" --nofork --nopidfile \
    >"$TMPDIR_TEST/dbus.log" 2>&1 &
  PIDS+=("$!")
  WAIT_WATCH_PID=$! WAIT_WATCH_LOG="$TMPDIR_TEST/dbus.log" \
    wait_until "the private bus's socket" 30 test -S "$BUS/socket"
  export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$BUS/socket"
  ip netns exec "$C" "$FAKE_RESOLVED" "$TMPDIR_TEST/resolved.log" 2>"$TMPDIR_TEST/fake_resolved.err" &
  PIDS+=("$!")
  WAIT_WATCH_PID=$! WAIT_WATCH_LOG="$TMPDIR_TEST/fake_resolved.err" \
    wait_until "the stand-in owning org.freedesktop.resolve1" 30 test -f "$TMPDIR_TEST/resolved.log"
  ip netns exec "$C" unshare -m --propagation private sh -c \
    'mount -t tmpfs tandem-test /run/systemd && mkdir /run/systemd/resolve && exec "$@"' sh \
    "$TANDEM_BIN" up -c "$TMPDIR_TEST/client.toml" >"$TMPDIR_TEST/client.log" 2>&1 &
  TANDEM_PID=$!
  PIDS+=("$TANDEM_PID")
  WAIT_WATCH_PID=$TANDEM_PID WAIT_WATCH_LOG="$TMPDIR_TEST/client.log" \
    wait_log "$TMPDIR_TEST/client.log" "interface c$TAG up" 30
  grep -q "DNS: systemd-resolved sends every name to the forwarder on c$TAG" "$TMPDIR_TEST/client.log" ||
    die "the client does not say it told systemd-resolved"
  ifindex=$(ip netns exec "$C" cat "/sys/class/net/c$TAG/ifindex")
  told() { grep -qxF -- "$1" "$TMPDIR_TEST/resolved.log" || { cat "$TMPDIR_TEST/resolved.log" >&2; die "resolved was not told: $1"; }; }
  told "SetLinkDNS $ifindex 10.81.0.2"
  told "SetLinkDomains $ifindex corp.example:routing .:routing"
  told "SetLinkDefaultRoute $ifindex yes"
  note "resolved told: $(tr '\n' ';' <"$TMPDIR_TEST/resolved.log")"
  cmp -s "/etc/netns/$C/resolv.conf" "$TMPDIR_TEST/original.conf" ||
    die "resolv.conf was written although resolved runs: $(cat "/etc/netns/$C/resolv.conf")"
  stop_pid "$TANDEM_PID" 30 "the client"
  told "RevertLink $ifindex"
  grep -q "systemd-resolved's settings of c$TAG reverted" "$TMPDIR_TEST/client.log" ||
    die "the client does not say it reverted resolved's settings"
  cmp -s "/etc/netns/$C/resolv.conf" "$TMPDIR_TEST/original.conf" || die "resolv.conf changed"
  note "a clean stop reverted the link in resolved; resolv.conf untouched throughout"
  echo "PASS: split DNS through systemd-resolved's D-Bus API: the link's DNS, domains and default route set, and reverted"
  exit 0
fi

if [ "$MODE" = host-resolver ]; then
  # The namespace's own resolv.conf: `ip netns exec` bind-mounts it over /etc/resolv.conf.
  mkdir -p "/etc/netns/$C"
  EXTRA_CLEANUP=remove_netns_etc
  remove_netns_etc() { rm -rf "/etc/netns/$C"; }
  printf '# the original\nnameserver 192.0.2.1\nsearch example.org\noptions ndots:2\n' \
    >"/etc/netns/$C/resolv.conf"
  cp "/etc/netns/$C/resolv.conf" "$TMPDIR_TEST/original.conf"
  STATE="$TANDEM_RUN_DIR/client.resolv.conf.saved"
  points_at_forwarder() { grep -qx 'nameserver 10.81.0.2' "/etc/netns/$C/resolv.conf"; }
  restored() { cmp -s "/etc/netns/$C/resolv.conf" "$TMPDIR_TEST/original.conf"; }
  # start_client LOG: the client up and past its start (a killed run's admin socket file is still
  # there, so the socket alone does not say the new run is ready).
  start_client() {
    start_tandem_up "$C" "$TMPDIR_TEST/client.toml" "$TMPDIR_TEST/$1"
    WAIT_WATCH_PID=$TANDEM_PID WAIT_WATCH_LOG="$TMPDIR_TEST/$1" \
      wait_log "$TMPDIR_TEST/$1" "interface c$TAG up" 30
  }

  start_client client.log
  points_at_forwarder || die "resolv.conf does not point at the forwarder while up: $(cat "/etc/netns/$C/resolv.conf")"
  [ -f "$STATE" ] || die "no saved copy of the original at $STATE while up"
  note "while up: $(grep nameserver "/etc/netns/$C/resolv.conf" | tr '\n' ' ')"
  # What a program in the namespace reads is the file written in place.
  ip netns exec "$C" grep -qx 'nameserver 10.81.0.2' /etc/resolv.conf ||
    die "inside the namespace /etc/resolv.conf is not the rewritten file"
  stop_pid "$TANDEM_PID" 30 "the client"
  restored || die "a clean stop did not restore resolv.conf: $(cat "/etc/netns/$C/resolv.conf")"
  [ ! -e "$STATE" ] || die "the saved copy outlived a clean stop"
  note "a clean stop restored resolv.conf byte for byte"

  start_client client2.log
  points_at_forwarder || die "resolv.conf does not point at the forwarder after a restart"
  kill -9 "$TANDEM_PID"
  wait_exit "$TANDEM_PID" 30 "the client after kill -9"
  points_at_forwarder || die "after kill -9 resolv.conf was expected to still point at the forwarder"
  [ -f "$STATE" ] || die "after kill -9 the saved copy is gone"
  note "after kill -9 resolv.conf still points at the forwarder, the original kept in $(basename "$STATE")"
  start_client client3.log
  grep -q "restored /etc/resolv.conf" "$TMPDIR_TEST/client3.log" ||
    die "the restart did not say it restored what the killed run left"
  points_at_forwarder || die "resolv.conf does not point at the forwarder after the restart"
  stop_pid "$TANDEM_PID" 30 "the client"
  restored || die "after kill -9, restart and stop resolv.conf is not the original: $(cat "/etc/netns/$C/resolv.conf")"
  [ ! -e "$STATE" ] || die "the saved copy outlived the clean stop"
  note "kill -9, restart, stop: resolv.conf restored byte for byte"
  echo "PASS: split DNS host resolver: resolv.conf pointed at the forwarder and restored"
  exit 0
fi

start_tandem_up "$G" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"
GW_PID=$TANDEM_PID
start_tandem_up "$C" "$TMPDIR_TEST/client.toml" "$TMPDIR_TEST/client.log"
CLIENT_PID=$TANDEM_PID
wait_ping "$C" 10.81.0.1 30
wait_listen "$C" udp 53 30 "the client's DNS forwarder"
wait_listen "$C" tcp 53 30 "the client's DNS forwarder"

# The private resolver on the gateway's inner address (mode gateway: behind the gateway, which
# forwards to it); the public one on the gateway's underlay address. Each knows
# host.corp.example, with a different address, so a leak would show in the answer too.
[ "$MODE" != gateway ] || ip -n "$G" addr add "$PRIVATE/32" dev lo
start_resolvers "$G" "$PRIVATE" 10.81.9.9 192.168.81.1

capture_start "$C" "$UNDERLAY" "udp or tcp" "$TMPDIR_TEST/underlay.pcap"

expect_answer host.corp.example "rcode=0 a=10.81.9.9"
expect_answer host.corp.example "rcode=0 a=10.81.9.9" --tcp
expect_answer www.example.com "rcode=0 a=192.0.2.80"
expect_answer www.example.com "rcode=0 a=192.0.2.80" --tcp

# A wrong route: the private resolver's address out of the underlay. Without the socket bound to
# the tunnel device the query would leave there (and the gateway would even answer it).
ip netns exec "$C" sysctl -qw net.ipv4.conf.all.rp_filter=0 "net.ipv4.conf.c$TAG.rp_filter=0"
ip -n "$C" route add 10.81.0.1/32 via 192.168.81.1 dev "$UNDERLAY"
expect_answer host.corp.example "rcode=0 a=10.81.9.9"
ip -n "$C" route del 10.81.0.1/32 via 192.168.81.1 dev "$UNDERLAY"

if [ "$MODE" = gateway ]; then
  # The gateway's forwarder took the client's three private queries (UDP, TCP, and the one past
  # the wrong route) and nothing else.
  ip netns exec "$G" "$TANDEM_BIN" status "g$TAG" --json >"$TMPDIR_TEST/gw-status.json" ||
    die "tandem status failed on the gateway"
  python3 - "$TMPDIR_TEST/gw-status.json" <<'PY' || die "the gateway's status does not count its forwarder's queries"
import json, sys
docs = json.load(open(sys.argv[1]))
dns = [d["dns"] for d in docs if "dns" in d][0]
print("--- gateway status dns:", {k: dns[k] for k in ("listen", "queries", "answered", "servfail")})
assert dns["queries"] == 3 and dns["answered"] == 3 and dns["listen"] == ["10.81.0.1:53"], dns
PY
fi

# The tunnel down: the gateway stopped. The private name gets SERVFAIL; the public one still
# resolves on the underlay.
stop_pid "$GW_PID" 30 "the gateway"
expect_answer host.corp.example "rcode=2"
expect_answer www.example.com "rcode=0 a=192.0.2.80"
capture_stop

PCAP="$TMPDIR_TEST/underlay.pcap"
count() { capture_count "$PCAP" "$1"; }
corp=$(count 'dns.qry.name contains "corp"')
public_queries=$(count 'dns.qry.name == "www.example.com" && dns.flags.response == 0 && ip.dst == 192.168.81.1')
wireguard=$(count 'udp.port == 51881')
other_dns=$(count 'dns && !(ip.addr == 192.168.81.1 && (udp.port == 53 || tcp.port == 53))')
note "underlay capture: corp.example DNS packets $corp, www.example.com queries to the public resolver $public_queries, WireGuard datagrams $wireguard, other DNS $other_dns"
[ "$corp" -eq 0 ] || { tshark -r "$PCAP" -Y 'dns.qry.name contains "corp"' >&2; die "corp.example leaked onto the underlay"; }
[ "$public_queries" -ge 3 ] || die "the public queries did not go to the public resolver on the underlay"
[ "$wireguard" -gt 0 ] || die "no WireGuard datagrams on the underlay: the private queries did not go through the tunnel"
[ "$other_dns" -eq 0 ] || die "DNS to somewhere else than the public resolver on the underlay"

# From the client itself, or from the gateway's forwarder in mode gateway.
asker=10.81.0.2
[ "$MODE" != gateway ] || asker=$PRIVATE
private_corp=$(grep -c "^host.corp.example 1 from $asker\$" "$TMPDIR_TEST/private.log" || true)
note "private resolver: $private_corp queries for host.corp.example from $asker"
[ "$private_corp" -ge 3 ] || die "the private resolver did not get the private queries through the tunnel"
resolvers_kept_apart

ip netns exec "$C" "$TANDEM_BIN" status "c$TAG" --json >"$TMPDIR_TEST/status.json" || die "tandem status failed"
python3 - "$TMPDIR_TEST/status.json" <<'PY' || die "the client's status does not count the queries"
import json, sys
docs = json.load(open(sys.argv[1]))
dns = docs[0]["dns"]
print("--- status dns:", {k: dns[k] for k in ("queries", "answered", "servfail", "timeouts")})
assert dns["queries"] == 7 and dns["answered"] == 6 and dns["servfail"] == 1, dns
assert dns["listen"] == ["10.81.0.2:53"], dns
PY
# The same counters in the client's Prometheus scrape, which promtool accepts.
ip netns exec "$C" curl -sS --fail --max-time 10 http://127.0.0.1:9586/metrics >"$TMPDIR_TEST/metrics.txt" ||
  die "the client's metrics scrape failed"
promtool check metrics <"$TMPDIR_TEST/metrics.txt" >/dev/null 2>&1 ||
  die "promtool refuses the scrape: $(promtool check metrics <"$TMPDIR_TEST/metrics.txt" 2>&1 | head -5)"
for series in "tandem_dns_queries_total{interface=\"c$TAG\"} 7" \
  "tandem_dns_servfail_total{interface=\"c$TAG\"} 1"; do
  grep -qxF "$series" "$TMPDIR_TEST/metrics.txt" || die "the scrape lacks '$series': $(grep tandem_dns "$TMPDIR_TEST/metrics.txt")"
done
note "metrics: $(grep -E '^tandem_dns_(queries|answers|servfail)_total' "$TMPDIR_TEST/metrics.txt" | tr '\n' ' ')"
echo "PASS: split DNS: private names only inside the tunnel, SERVFAIL when it is down, public names on the underlay"

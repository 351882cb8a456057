# Helpers for the tests of path MTU probing over L2TP/IPsec (pmtu_l2tp*.sh), sourced after
# ../netns/lib.sh: the `tandem up` configs of a gateway and a client, and a session's status.

# l2tp_gateway_config FILE IF PSK: an L2TP/IPsec gateway (LNS) on device IF at 10.88.0.1/24,
# handing out 10.88.0.10-10.88.0.20, serving user alice (password "correct horse").
l2tp_gateway_config() {
  cat >"$1" <<TOML
[l2tp]
mode = "lns"
interface = "$2"
host_name = "gateway"
address = "10.88.0.1/24"
pool = "10.88.0.10-10.88.0.20"

[[l2tp.user]]
name = "alice"
password = "correct horse"

[l2tp.ipsec]
psk = "$3"
TOML
}

# l2tp_client_config FILE IF SERVER PSK USER PASSWORD [LINE...]: an L2TP/IPsec client (LAC) on
# device IF dialling SERVER as USER; each LINE is one more [l2tp] setting.
l2tp_client_config() {
  local file=$1 ifname=$2 server=$3 psk=$4 user=$5 password=$6
  shift 6
  {
    printf '[l2tp]\nmode = "lac"\ninterface = "%s"\nhost_name = "client"\nserver = "%s"\n' \
      "$ifname" "$server"
    local line
    for line in "$@"; do printf '%s\n' "$line"; done
    printf '\n[[l2tp.session]]\nuser = "%s"\npassword = "%s"\n' "$user" "$password"
    printf '\n[l2tp.ipsec]\npsk = "%s"\n' "$psk"
  } >"$file"
}

# l2tp_session_field NS IF FIELD: the first up session's FIELD ("mtu", "configured_mtu",
# "remote", "peer", "user") in `tandem status --json` of IF in NS, or its mtu_probe's; empty without one.
l2tp_session_field() {
  ip netns exec "$1" "$TANDEM_BIN" status "$2" --json 2>/dev/null | python3 -c 'import json,sys
s = [s for s in json.load(sys.stdin)[0]["sessions"] if s["up"]]
f = sys.argv[1]
print(((s[0] if f in ("mtu", "configured_mtu", "remote", "peer", "user") else s[0]["mtu_probe"]).get(f, "")) if s else "")' "$3"
}

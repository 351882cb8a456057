# A throwaway FreeRADIUS 3.2 configuration for tests: nothing of /etc/freeradius is read but the
# dictionaries under /usr/share/freeradius and the modules under /usr/lib/freeradius. Source after
# tests/netns/lib.sh; set SECRET, AUTH_PORT and ACCT_PORT, call write_raddb DIR, then write
# DIR/users (the users the test needs); freeradius_start NS DIR checks that configuration and
# runs FreeRADIUS with it in namespace NS until it serves (FREERADIUS_PID). With RADSEC_PORT set it also listens for RadSec (RFC 6614)
# there, with a test CA (DIR/tls/ca.pem) that signed its certificate (for 127.0.0.1) and the
# client's (DIR/tls/client.pem, DIR/tls/client.key), which it requires.
#
# The client is 127.0.0.1 with require_message_authenticator = yes. FreeRADIUS 3.2.1 signs no
# Access-Accept or Access-Reject with Message-Authenticator unless the request was EAP, so
# post-auth asks for it (reply Message-Authenticator := 0x00, filled in when FreeRADIUS encodes),
# except for the user "legacy", who gets what an unmodified server sends. Accounting goes to
# DIR/radacct/detail.
FREERADIUS_BIN=${FREERADIUS_BIN:-/usr/sbin/freeradius}
[ -x "$FREERADIUS_BIN" ] || die "FreeRADIUS is not installed (scripts/install-deps.sh installs freeradius)"

# write_raddb DIR: the throwaway configuration, nothing of /etc/freeradius read but the
# dictionaries under /usr/share/freeradius and the modules under /usr/lib/freeradius.
write_raddb() {
  local d=$1
  mkdir -p "$d/log" "$d/run" "$d/radacct"
  cat >"$d/radiusd.conf" <<EOF
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = $d
sbindir = /usr/sbin
logdir = $d/log
raddbdir = $d
radacctdir = $d/radacct
name = freeradius
confdir = \${raddbdir}
modconfdir = \${confdir}/mods-config
run_dir = $d/run
db_dir = $d
libdir = /usr/lib/freeradius
pidfile = \${run_dir}/\${name}.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
log {
  destination = files
  file = \${logdir}/radius.log
  colourise = no
  auth = yes
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = no
}
proxy_requests = no
client loopback {
  ipaddr = 127.0.0.1
  secret = $SECRET
  require_message_authenticator = yes
}
thread pool {
  start_servers = 2
  max_servers = 4
  min_spare_servers = 1
  max_spare_servers = 2
  max_requests_per_server = 0
}
modules {
  pap {
  }
  chap {
  }
  mschap {
  }
  files {
    filename = \${confdir}/users
  }
  detail {
    filename = \${radacctdir}/detail
    permissions = 0600
    header = "%t"
  }
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = $AUTH_PORT
  }
  listen {
    type = acct
    ipaddr = 127.0.0.1
    port = $ACCT_PORT
  }
  authorize {
    chap
    mschap
    files
    pap
  }
  authenticate {
    Auth-Type PAP {
      pap
    }
    Auth-Type CHAP {
      chap
    }
    Auth-Type MS-CHAP {
      mschap
    }
  }
  preacct {
  }
  accounting {
    detail
  }
  post-auth {
    if (&User-Name != "legacy") {
      update reply {
        &Message-Authenticator := 0x00
      }
    }
    Post-Auth-Type REJECT {
      if (&User-Name != "legacy") {
        update reply {
          &Message-Authenticator := 0x00
        }
      }
    }
  }
}
EOF
  [ -z "${RADSEC_PORT:-}" ] || _radsec_listener "$d"
}

_radsec_listener() {
  local d=$1 t=$1/tls
  mkdir -p "$t"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=RadSec test CA" \
    -keyout "$t/ca.key" -out "$t/ca.pem" 2>/dev/null || die "openssl: RadSec test CA"
  local name
  for name in server client; do
    openssl req -newkey rsa:2048 -nodes -subj "/CN=radsec-$name" -keyout "$t/$name.key" \
      -out "$t/$name.csr" 2>/dev/null || die "openssl: $name key"
    if [ "$name" = server ]; then
      printf 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n' >"$t/$name.ext"
    else
      printf 'extendedKeyUsage = clientAuth\n' >"$t/$name.ext"
    fi
    openssl x509 -req -in "$t/$name.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -CAcreateserial \
      -days 2 -extfile "$t/$name.ext" -out "$t/$name.pem" 2>/dev/null || die "openssl: $name cert"
  done
  cat >>"$d/radiusd.conf" <<CONF
listen {
  ipaddr = 127.0.0.1
  port = $RADSEC_PORT
  type = auth+acct
  proto = tcp
  virtual_server = default
  clients = radsec
  tls {
    private_key_file = $t/server.key
    certificate_file = $t/server.pem
    ca_file = $t/ca.pem
    cipher_list = "DEFAULT"
    tls_min_version = "1.2"
    require_client_cert = yes
    cache {
      enable = no
    }
    verify {
    }
  }
}
clients radsec {
  client radsec-loopback {
    ipaddr = 127.0.0.1
    proto = tls
    secret = radsec
    require_message_authenticator = yes
  }
}
CONF
}

freeradius_start() {
  local ns=$1 d=$2
  "$FREERADIUS_BIN" -C -d "$d" >"$d/check.log" 2>&1 ||
    { cat "$d/check.log" >&2; die "FreeRADIUS refuses the test's configuration"; }
  ip netns exec "$ns" "$FREERADIUS_BIN" -f -d "$d" >"$d/console.log" 2>&1 &
  FREERADIUS_PID=$!
  PIDS+=("$FREERADIUS_PID")
  WAIT_WATCH_PID=$FREERADIUS_PID WAIT_WATCH_LOG=$d/console.log \
    wait_listen "$ns" udp "$AUTH_PORT" 60 "FreeRADIUS's authentication port"
  wait_log "$d/log/radius.log" "Ready to process requests" 60
}

# A throwaway OpenLDAP directory (slapd) for directory-login tests: dc=example,dc=org in a
# temporary folder, a test CA and a server certificate for 127.0.0.1, users added over LDAP so
# that the memberof overlay keeps memberOf. Source after tests/netns/lib.sh.
#   slapd_start NS PORT [LDAPS_PORT]: runs slapd in namespace NS on 127.0.0.1; returns when it
#     answers a search. Sets SLAPD_PID, SLAPD_CA (the CA file), SLAPD_OTHER_CA (a CA that did not
#     sign the server's certificate).
#   slapd_add_user UID PASSWORD; slapd_add_group CN MEMBER_UID...
command -v slapd >/dev/null || command -v /usr/sbin/slapd >/dev/null ||
  die "slapd is missing (scripts/install-deps.sh installs it)"
command -v ldapadd >/dev/null || die "ldapadd is missing: ldap-utils (scripts/install-deps.sh)"
SLAPD_BIN=$(command -v slapd || echo /usr/sbin/slapd)
SLAPD_SUFFIX="dc=example,dc=org"
SLAPD_ADMIN="cn=admin,$SLAPD_SUFFIX"
SLAPD_ADMIN_PW="directory-admin-secret"

_slapd_certs() {
  local d=$1
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Tandem test CA" \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null || die "openssl: test CA"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Unrelated CA" \
    -keyout "$d/other-ca.key" -out "$d/other-ca.pem" 2>/dev/null || die "openssl: second CA"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$d/server.key" \
    -out "$d/server.csr" 2>/dev/null || die "openssl: server key"
  printf 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n' >"$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/server.ext" -out "$d/server.pem" 2>/dev/null || die "openssl: server cert"
}

slapd_start() {
  SLAPD_NS=$1
  SLAPD_PORT=$2
  local ldaps_port=${3:-}
  SLAPD_DIR="$TMPDIR_TEST/slapd"
  mkdir -p "$SLAPD_DIR/db"
  _slapd_certs "$SLAPD_DIR"
  SLAPD_CA="$SLAPD_DIR/ca.pem"
  SLAPD_OTHER_CA="$SLAPD_DIR/other-ca.pem"
  # The daemon under test reads the CA; the temporary folder is private to root anyway.
  chmod 644 "$SLAPD_CA" "$SLAPD_OTHER_CA"
  cat >"$SLAPD_DIR/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile $SLAPD_DIR/slapd.pid
TLSCACertificateFile $SLAPD_DIR/ca.pem
TLSCertificateFile $SLAPD_DIR/server.pem
TLSCertificateKeyFile $SLAPD_DIR/server.key
database mdb
maxsize 16777216
suffix "$SLAPD_SUFFIX"
rootdn "$SLAPD_ADMIN"
rootpw $SLAPD_ADMIN_PW
directory $SLAPD_DIR/db
overlay memberof
access to attrs=userPassword by anonymous auth by self read by * none
access to * by * read
CONF
  local urls="ldap://127.0.0.1:$SLAPD_PORT/"
  [ -z "$ldaps_port" ] || urls="$urls ldaps://127.0.0.1:$ldaps_port/"
  # -d keeps it in the foreground (its PID is ours to stop); 256 logs each connection and bind.
  ip netns exec "$SLAPD_NS" "$SLAPD_BIN" -f "$SLAPD_DIR/slapd.conf" -h "$urls" -d 256 \
    >"$SLAPD_DIR/slapd.log" 2>&1 &
  SLAPD_PID=$!
  PIDS+=("$SLAPD_PID")
  WAIT_WATCH_PID=$SLAPD_PID WAIT_WATCH_LOG="$SLAPD_DIR/slapd.log" \
    wait_until "slapd answering on 127.0.0.1:$SLAPD_PORT" 30 _slapd_answers
  _slapd_ldapadd <<LDIF
dn: $SLAPD_SUFFIX
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,$SLAPD_SUFFIX
objectClass: organizationalUnit
ou: people

dn: ou=groups,$SLAPD_SUFFIX
objectClass: organizationalUnit
ou: groups
LDIF
}

_slapd_answers() {
  ip netns exec "$SLAPD_NS" ldapsearch -x -H "ldap://127.0.0.1:$SLAPD_PORT" -b "" -s base \
    namingContexts >/dev/null 2>&1
}

_slapd_ldapadd() {
  ip netns exec "$SLAPD_NS" ldapadd -x -H "ldap://127.0.0.1:$SLAPD_PORT" -D "$SLAPD_ADMIN" \
    -w "$SLAPD_ADMIN_PW" >>"$SLAPD_DIR/ldapadd.log" 2>&1 ||
    die "ldapadd failed: $(tail -3 "$SLAPD_DIR/ldapadd.log")"
}

slapd_add_user() {
  _slapd_ldapadd <<LDIF
dn: uid=$1,ou=people,$SLAPD_SUFFIX
objectClass: inetOrgPerson
uid: $1
cn: $1
sn: $1
userPassword: $2
LDIF
}

slapd_add_group() {
  local cn=$1
  shift
  {
    printf 'dn: cn=%s,ou=groups,%s\nobjectClass: groupOfNames\ncn: %s\n' "$cn" "$SLAPD_SUFFIX" "$cn"
    for uid in "$@"; do printf 'member: uid=%s,ou=people,%s\n' "$uid" "$SLAPD_SUFFIX"; done
  } | _slapd_ldapadd
}

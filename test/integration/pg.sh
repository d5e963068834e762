# A throw-away PostgreSQL cluster for the integration tests, sourced after
# lib.sh: made with initdb in $WORK (as the postgres user when run as
# root, which initdb refuses), listening on a free loopback port with
# SCRAM password authentication over TCP (trust only on its own Unix
# socket, for the superuser's psql), stopped by its pid.
#
#   pg_init     makes and starts it; sets PG_PORT, PGDATA, PGSOCK, PGBIN;
#               registers pg_stop to run before lib.sh's cleanup on exit
#   pg_start    starts it again (same port and data)
#   pg_stop     a fast shutdown by pid, waiting until it is gone
#   psql_su ARGS...   psql as the superuser over the socket, stop on error

PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

# initdb refuses root: the cluster then belongs to the postgres user.
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_pid() { head -1 "$PGDATA/postmaster.pid" 2>/dev/null || true; }

pg_start() {
	as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w -t 60 \
		-o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $PGSOCK" start >/dev/null
}

# Stops the server by its pid (a fast shutdown) and waits until it is gone.
pg_stop() {
	local pid
	pid=$(pg_pid)
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null || true
	wait_for 30 gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
}

psql_su() { as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGSOCK" -p "$PG_PORT" "$@"; }

pg_init() {
	if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
		echo "FAIL: no PostgreSQL server (initdb): contrib/install-deps.sh --test installs it"
		exit 1
	fi
	PGDATA=$WORK/pg
	PGSOCK=$WORK/sock
	PGLOG=$WORK/pglog/pg.log
	PG_PORT=$(free_port)
	chmod 755 "$WORK"
	mkdir -p "$PGDATA" "$PGSOCK" "$WORK/pglog"
	if [ "$(id -u)" -eq 0 ]; then chown postgres "$PGDATA" "$PGSOCK" "$WORK/pglog"; fi
	trap 'pg_stop; cleanup' EXIT
	as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth-local=trust \
		--auth-host=scram-sha-256 >/dev/null
	pg_start
}

# The OpenXPKI and EJBCA tables as source_sql.h describes them, in SQL
# both PostgreSQL and SQLite take.
PRESET_SCHEMA="
CREATE TABLE certificate (
  issuer_dn varchar(1000), cert_key numeric(49,0) NOT NULL,
  issuer_identifier varchar(64) NOT NULL, identifier varchar(64),
  subject varchar(1000), status varchar(255) NOT NULL DEFAULT 'UNKNOWN',
  reason_code varchar(50), revocation_time integer, invalidity_time integer,
  hold_instruction_code varchar(64), notbefore integer, notafter integer,
  data text, PRIMARY KEY (issuer_identifier, cert_key));
CREATE TABLE CertificateData (
  fingerprint varchar(250) PRIMARY KEY, issuerDN varchar(250) NOT NULL,
  subjectDN varchar(400), serialNumber varchar(250) NOT NULL, status integer NOT NULL,
  type integer NOT NULL DEFAULT 1, revocationDate bigint NOT NULL,
  revocationReason integer NOT NULL, expireDate bigint NOT NULL,
  rowVersion integer NOT NULL DEFAULT 0);"

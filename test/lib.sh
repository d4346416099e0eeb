# Shared shell functions of test/run-tests.sh, test/demo.sh and the suites:
# install what is missing, build and install the extension, start a scratch
# PostgreSQL cluster and the stand-in servers, and stop them all on exit.
# Source it from bash; it sets ROOT, WORK, PGBIN and the DUNE_MV_* variables.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PACKAGES="postgresql-15 postgresql-server-dev-15 postgresql-15-cron libcurl4-openssl-dev libjson-c-dev python3 make gcc curl"

log() { printf '== %s\n' "$*" >&2; }

# Run a command as root (directly, or through sudo when we are not root).
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Install the Debian packages that are missing (idempotent; apt-get update only when needed).
ensure_packages() {
	local missing="" p
	for p in $PACKAGES "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		log "installing:$missing"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
	fi
	export PGBIN=$(pg_config --bindir)
}

# Build and install the extension (make install needs root for the server's directories).
build_install() {
	# SKIP_BUILD=1: use what is installed (several runs side by side from one tree)
	[ "${SKIP_BUILD:-0}" = 1 ] && return 0
	log "building"
	make -C "$ROOT" -s >/dev/null
	as_root make -C "$ROOT" -s install >/dev/null
}

# Run a command as the owner of the scratch cluster (PostgreSQL refuses root).
as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Create the scratch directory and the credentials the stand-ins expect.
init_work() {
	export WORK=$(mktemp -d /tmp/dune_mv.XXXXXX)
	chmod 755 "$WORK"
	[ "$(id -u)" = 0 ] && chown postgres "$WORK"
	export DUNE_MV_DUNE_KEY="dk_$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
	export DUNE_MV_LANCE_KEY="lk_$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
	export DUNE_MV_LANCE_TOKEN="lt_$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
	export DUNE_MV_LANCE_DB="testdb"
	export DUNE_MV_CTL="python3 $ROOT/test/ctl.py"
	trap cleanup EXIT
}

# Start one stand-in server in the background; sets the port variable named $1.
start_stand_in() {
	local var=$1 script=$2
	shift 2
	local fifo="$WORK/$var.out"
	python3 "$ROOT/test/$script" --port 0 "$@" >"$fifo" 2>"$WORK/$var.err" &
	echo $! >>"$WORK/pids"
	for _ in $(seq 100); do
		if grep -q '^ready ' "$fifo" 2>/dev/null; then
			export "$var=$(awk '/^ready /{print $2; exit}' "$fifo")"
			return 0
		fi
		sleep 0.1
	done
	log "stand-in $script did not start:"; cat "$WORK/$var.err" >&2
	return 1
}

# Start the Dune and Lance stand-ins.
start_stand_ins() {
	start_stand_in DUNE_MV_DUNE_PORT dune_server.py --api-key "$DUNE_MV_DUNE_KEY"
	if [ -f "$ROOT/test/lance_server.py" ]; then
		start_stand_in DUNE_MV_LANCE_PORT lance_server.py --api-key "$DUNE_MV_LANCE_KEY" \
			--token "$DUNE_MV_LANCE_TOKEN" --database "$DUNE_MV_LANCE_DB"
	fi
}

# Create and start a scratch cluster in $WORK/$1 (default "data"); extra
# postgresql.conf lines come on stdin.  Sets PGHOST, PGPORT, PGUSER, DUNE_MV_LOG.
start_cluster() {
	local dir="$WORK/${1:-data}" preload="${2-dune_mv}"
	export PGHOST="$WORK" PGUSER=postgres PGPORT=$(free_port)
	export DUNE_MV_LOG="$dir.log"
	as_pg "$PGBIN/initdb" -D "$dir" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$WORK'"
		echo "port = $PGPORT"
		echo "shared_preload_libraries = '$preload'"
		echo "fsync = off"
		echo "dune_mv.dune_url = 'http://127.0.0.1:${DUNE_MV_DUNE_PORT:-9}/api'"
		echo "dune_mv.dune_api_key = '$DUNE_MV_DUNE_KEY'"
		echo "dune_mv.lance_url = 'http://127.0.0.1:${DUNE_MV_LANCE_PORT:-9}'"
		echo "dune_mv.lance_api_key = '$DUNE_MV_LANCE_KEY'"
		echo "dune_mv.lance_bearer_token = '$DUNE_MV_LANCE_TOKEN'"
		echo "dune_mv.lance_database = '$DUNE_MV_LANCE_DB'"
		# The worker's own status reads would interleave with what the suites
		# check request by request; the suites that test following turn it on.
		echo "dune_mv.worker_follow = off"
		cat
	} | as_pg tee -a "$dir/postgresql.conf" >/dev/null
	# The keys stay out of the server's environment: at debug levels the
	# postmaster logs its environment before any library is loaded.
	# (from $WORK: the server, and memcheck, must be able to enter their working
	# directory, and a checkout in a mode-700 directory is not one)
	(cd "$WORK" && as_pg env -u DUNE_MV_DUNE_KEY -u DUNE_MV_LANCE_KEY -u DUNE_MV_LANCE_TOKEN \
		"$PGBIN/pg_ctl" -D "$dir" -l "$DUNE_MV_LOG" -w -t 300 $(valgrind_wrapper) start >/dev/null) || {
		log "the scratch cluster in $dir did not start:"
		tail -n 20 "$DUNE_MV_LOG" "$WORK"/valgrind/*.log 2>/dev/null >&2
		exit 1
	}
	echo "$dir" >>"$WORK/clusters"
}

# With VALGRIND=1, the pg_ctl option that runs the server under memcheck:
# one log per process in $WORK/valgrind/, read by test/suites/zz_valgrind.sh.
valgrind_wrapper() {
	[ "${VALGRIND:-0}" = 1 ] || return 0
	mkdir -p "$WORK/valgrind"
	[ "$(id -u)" = 0 ] && chown postgres "$WORK/valgrind"
	# (the server's user must read the suppressions: a copy beside the logs)
	cp "$ROOT/test/valgrind.supp" "$WORK/valgrind.supp" && chmod 644 "$WORK/valgrind.supp"
	cat >"$WORK/postgres-valgrind" <<WRAP
#!/bin/sh
exec valgrind --quiet --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \\
	--suppressions=$WORK/valgrind.supp --num-callers=30 \\
	--log-file=$WORK/valgrind/%p.log $PGBIN/postgres "\$@"
WRAP
	chmod 755 "$WORK/postgres-valgrind"
	echo "-p $WORK/postgres-valgrind"
}

# Stop clusters and stand-ins, remove the scratch directory (kept with KEEP_WORK=1).
cleanup() {
	local d p
	[ -n "${WORK:-}" ] || return 0
	if [ -f "$WORK/clusters" ]; then
		while read -r d; do as_pg "$PGBIN/pg_ctl" -D "$d" -m fast -w stop >/dev/null 2>&1; done <"$WORK/clusters"
	fi
	if [ -f "$WORK/pids" ]; then
		while read -r p; do kill "$p" 2>/dev/null; done <"$WORK/pids"
	fi
	if [ "${KEEP_WORK:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}

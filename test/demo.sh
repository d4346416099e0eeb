#!/usr/bin/env bash
# The demo: installs what is missing, builds and installs dune_mv, starts a
# scratch cluster and the bundled stand-in Dune and Lance servers, runs
# test/demo.sql with psql (showing each statement and its rows), and stops
# everything.  Nothing leaves this machine.
set -eu
. "$(dirname "$0")/lib.sh"

ensure_packages
build_install
init_work
start_stand_ins
start_cluster data </dev/null
# Executions finish quickly on the stand-in so that the wait returns within seconds.
$DUNE_MV_CTL -q dune set pending_ms=1500 executing_ms=2500
$DUNE_MV_CTL -q lance set pending_ms=1500 executing_ms=1500 2>/dev/null || true
log "running test/demo.sql against the stand-ins (Dune on :$DUNE_MV_DUNE_PORT)"
psql -X -d postgres -v ON_ERROR_STOP=1 --echo-queries -f "$ROOT/test/demo.sql"

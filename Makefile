# PGXS build for dune_mv.  `make && make install`, then `make installcheck`
# against a running server (test/run-tests.sh does all of it).

EXTENSION = dune_mv
MODULE_big = dune_mv
OBJS = $(patsubst %.c,%.o,$(wildcard src/*.c src/*/*.c))
# Versions: the current version's script (default_version in dune_mv.control)
# is assembled from one file per concern in sql/install/.  Earlier versions'
# scripts are frozen, committed files listed in DATA (sql/dune_mv--1.0.sql).
# Every schema change adds a committed upgrade script sql/dune_mv--A--B.sql;
# the wildcard below installs each of them without any change here.
EXTVERSION = $(shell sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" dune_mv.control)
DATA_built = sql/dune_mv--$(EXTVERSION).sql
DATA = sql/dune_mv--1.0.sql $(wildcard sql/dune_mv--*--*.sql)
PGFILEDESC = "dune_mv - Dune and LanceDB materialized views from SQL"

# Every sql/*.sql except the extension scripts (sql/dune_mv--*) is a pg_regress suite, run in name order.
REGRESS = $(sort $(patsubst sql/%.sql,%,$(filter-out sql/dune_mv--%,$(wildcard sql/*.sql))))
# REGRESS_OUT: where pg_regress writes its results (test/run-tests.sh may set it).
REGRESS_OUT ?= build/regress
REGRESS_OPTS = --inputdir=. --outputdir=$(REGRESS_OUT)

PG_CPPFLAGS = -Isrc
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-clobbered
SHLIB_LINK = -lcurl -ljson-c
EXTRA_CLEAN = build results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

sql/dune_mv--$(EXTVERSION).sql: $(sort $(wildcard sql/install/*.sql))
	cat $^ > $@

# Every object depends on every header of src/ (PGXS tracks no header
# dependencies): a changed struct never leaves a stale object behind.
$(OBJS): $(wildcard src/*.h src/*/*.h)

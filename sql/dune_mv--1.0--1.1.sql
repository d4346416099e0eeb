-- dune_mv 1.0 -> 1.1.  An upgraded 1.0 install must equal a fresh 1.1 one
-- (test/suites/upgrade.sh compares them): every change made to
-- sql/install/*.sql since 1.0 is repeated here.
\echo Use "ALTER EXTENSION dune_mv UPDATE TO '1.1'" to load this file. \quit

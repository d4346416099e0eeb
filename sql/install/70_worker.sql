-- Queued calls and the background worker (src/worker/, src/functions/queued.c).

-- One row per queued call.  Inserted in the caller's transaction by the
-- *_async functions; the worker of this database sends it after that
-- transaction commits (a rolled-back row is never seen) and records the
-- outcome here and in dune_mv.calls, as the role that queued it.
CREATE SEQUENCE dune_mv.requests_id_seq;
CREATE TABLE dune_mv.requests (
	id			bigint PRIMARY KEY DEFAULT nextval('dune_mv.requests_id_seq'),
	role		name NOT NULL DEFAULT current_user,
	provider	text NOT NULL,
	operation	text NOT NULL,
	target		text NOT NULL,
	call		jsonb NOT NULL,		-- the prepared request: method, path, body, retry, view; never credentials
	after		bigint[],			-- requests that must succeed first
	state		text NOT NULL DEFAULT 'queued',
	execution_id text,
	http_status integer,
	sqlstate	text,
	message		text,
	resent_from bigint,
	queued_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	sent_at		timestamptz,
	finished_at timestamptz
);
ALTER SEQUENCE dune_mv.requests_id_seq OWNED BY dune_mv.requests.id;
CREATE INDEX requests_open_idx ON dune_mv.requests (id) WHERE state IN ('queued', 'sending');
CREATE INDEX requests_role_queued_at_idx ON dune_mv.requests (role, queued_at);
COMMENT ON TABLE dune_mv.requests IS
	'One row per queued call: sent by the background worker after the queuing transaction commits';
COMMENT ON COLUMN dune_mv.requests.id IS 'The request id the *_async function returned';
COMMENT ON COLUMN dune_mv.requests.role IS 'The role that queued it, as whom it is sent and recorded';
COMMENT ON COLUMN dune_mv.requests.provider IS '''dune'' or ''lance''';
COMMENT ON COLUMN dune_mv.requests.operation IS 'upsert, refresh or load (Dune); create or refresh (Lance)';
COMMENT ON COLUMN dune_mv.requests.target IS 'The view it is about; for a load, the local table';
COMMENT ON COLUMN dune_mv.requests.call IS
	'The prepared request (method, path, body, retry policy, the view row it changes); credentials are added at send time and never stored';
COMMENT ON COLUMN dune_mv.requests.after IS
	'Requests that must have finished successfully (their execution or job too) before this one is sent';
COMMENT ON COLUMN dune_mv.requests.state IS
	'queued, sending, done, failed, cancelled, skipped (an upstream request failed), or unknown (it may have reached the API before a crash; never resent by itself)';
COMMENT ON COLUMN dune_mv.requests.execution_id IS 'The Dune execution or Lance job it started; for a load, the execution loaded';
COMMENT ON COLUMN dune_mv.requests.http_status IS 'The HTTP status of the answer, when one came';
COMMENT ON COLUMN dune_mv.requests.sqlstate IS 'The SQLSTATE of the failure';
COMMENT ON COLUMN dune_mv.requests.message IS 'Why it failed, was skipped or is unknown; for a load done, the rows loaded';
COMMENT ON COLUMN dune_mv.requests.resent_from IS 'The request this one resends (dune_mv_request_resend)';
COMMENT ON COLUMN dune_mv.requests.queued_at IS 'When it was queued';
COMMENT ON COLUMN dune_mv.requests.sent_at IS 'When the worker began sending it';
COMMENT ON COLUMN dune_mv.requests.finished_at IS 'When it reached its final state';
COMMENT ON SEQUENCE dune_mv.requests_id_seq IS 'Ids of dune_mv.requests';
COMMENT ON INDEX dune_mv.requests_pkey IS 'One row per id';
COMMENT ON INDEX dune_mv.requests_open_idx IS 'The requests the worker still has to send or settle';
COMMENT ON INDEX dune_mv.requests_role_queued_at_idx IS 'A role''s requests by time (dune_mv_purge)';
ALTER TABLE dune_mv.requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON dune_mv.requests FOR SELECT USING (role = current_user);
COMMENT ON POLICY own_rows ON dune_mv.requests IS 'Each role reads only its own rows';
GRANT SELECT ON dune_mv.requests TO dune_mv_user;
SELECT pg_catalog.pg_extension_config_dump('dune_mv.requests', '');
SELECT pg_catalog.pg_extension_config_dump('dune_mv.requests_id_seq', '');

-- The queued variants: the same arguments and checks as the synchronous
-- functions, plus after; they return the request id.
CREATE FUNCTION dune_mv_upsert_async(name text, query_id bigint, cron text DEFAULT NULL,
									 expires_at timestamptz DEFAULT NULL,
									 is_private boolean DEFAULT NULL,
									 performance text DEFAULT NULL,
									 keep_schedule boolean DEFAULT false,
									 after bigint[] DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dune_mv_upsert_async'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_upsert_async(text, bigint, text, timestamptz, boolean, text, boolean, bigint[]) IS
	'Queue dune_mv_upsert: sent by the background worker after this transaction commits; returns the request id';

CREATE FUNCTION dune_mv_refresh_async(name text, performance text DEFAULT NULL,
									  after bigint[] DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dune_mv_refresh_async'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_refresh_async(text, text, bigint[]) IS
	'Queue dune_mv_refresh: sent by the background worker after this transaction commits; returns the request id';

CREATE FUNCTION lance_mv_create_async(id text[], kind text, source_query text, output_schema text,
									  udtf_spec jsonb DEFAULT NULL,
									  with_no_data boolean DEFAULT true,
									  auto_refresh boolean DEFAULT false,
									  delimiter text DEFAULT '$',
									  after bigint[] DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'lance_mv_create_async'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION lance_mv_create_async(text[], text, text, text, jsonb, boolean, boolean, text, bigint[]) IS
	'Queue lance_mv_create: sent by the background worker after this transaction commits; returns the request id';

CREATE FUNCTION lance_mv_refresh_async(id text[], src_version bigint DEFAULT NULL,
									   max_rows_per_fragment integer DEFAULT NULL,
									   concurrency integer DEFAULT NULL,
									   intra_applier_concurrency integer DEFAULT NULL,
									   source_task_size bigint DEFAULT NULL,
									   output_limit bigint DEFAULT NULL,
									   cluster text DEFAULT NULL,
									   manifest jsonb DEFAULT NULL,
									   delimiter text DEFAULT '$',
									   after bigint[] DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'lance_mv_refresh_async'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION lance_mv_refresh_async(text[], bigint, integer, integer, integer, bigint, bigint, text, jsonb, text, bigint[]) IS
	'Queue lance_mv_refresh: sent by the background worker after this transaction commits; returns the request id';

CREATE FUNCTION dune_mv_load_async(source text, target text, mode text DEFAULT 'replace',
								   after bigint[] DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dune_mv_load_async'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_load_async(text, text, text, bigint[]) IS
	'Queue dune_mv_load: run by the background worker after this transaction commits and once the requests of after have succeeded; returns the request id';

CREATE FUNCTION dune_mv_request_cancel(id bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dune_mv_request_cancel'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_request_cancel(bigint) IS
	'Cancel a queued request of the caller''s that has not been sent; true when it was still queued';

CREATE FUNCTION dune_mv_request_resend(id bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dune_mv_request_resend'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_request_resend(bigint) IS
	'Queue again a request of the caller''s that ended unknown or failed (deliberately: it may pay twice); returns the new request id';

CREATE FUNCTION dune_mv_worker_status(OUT database name, OUT pid integer, OUT alive boolean,
									  OUT queued bigint, OUT in_flight integer,
									  OUT rate_limited_until timestamptz, OUT last_error text,
									  OUT last_error_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'dune_mv_worker_status'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_worker_status() IS
	'The background worker of each database: alive, requests queued and in flight, rate limited until when, last error';

CREATE VIEW dune_mv.worker WITH (security_invoker = true) AS
SELECT * FROM dune_mv_worker_status() WHERE database = current_database();
COMMENT ON VIEW dune_mv.worker IS 'The background worker of this database';
COMMENT ON COLUMN dune_mv.worker.database IS 'The database it serves';
COMMENT ON COLUMN dune_mv.worker.pid IS 'Its process id (pg_stat_activity.pid)';
COMMENT ON COLUMN dune_mv.worker.alive IS 'Whether it is running';
COMMENT ON COLUMN dune_mv.worker.queued IS 'Requests queued and not yet sent, as it last counted them';
COMMENT ON COLUMN dune_mv.worker.in_flight IS 'Requests being sent now';
COMMENT ON COLUMN dune_mv.worker.rate_limited_until IS 'Until when a 429 holds the queue back, if it does';
COMMENT ON COLUMN dune_mv.worker.last_error IS 'The last error it met';
COMMENT ON COLUMN dune_mv.worker.last_error_at IS 'When';

REVOKE ALL ON FUNCTION dune_mv_upsert_async(text, bigint, text, timestamptz, boolean, text, boolean, bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION dune_mv_refresh_async(text, text, bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION lance_mv_create_async(text[], text, text, text, jsonb, boolean, boolean, text, bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION lance_mv_refresh_async(text[], bigint, integer, integer, integer, bigint, bigint, text, jsonb, text, bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION dune_mv_load_async(text, text, text, bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION dune_mv_request_cancel(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION dune_mv_request_resend(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION dune_mv_worker_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dune_mv_upsert_async(text, bigint, text, timestamptz, boolean, text, boolean, bigint[]) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION dune_mv_refresh_async(text, text, bigint[]) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION lance_mv_create_async(text[], text, text, text, jsonb, boolean, boolean, text, bigint[]) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION lance_mv_refresh_async(text[], bigint, integer, integer, integer, bigint, bigint, text, jsonb, text, bigint[]) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION dune_mv_load_async(text, text, text, bigint[]) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION dune_mv_request_cancel(bigint) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION dune_mv_request_resend(bigint) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION dune_mv_worker_status() TO dune_mv_user;
GRANT SELECT ON dune_mv.worker TO dune_mv_user;

-- Wake this database's worker when the extension is created (it starts one
-- if none runs; called at commit).
CREATE FUNCTION dune_mv_worker_start()
RETURNS boolean
AS 'MODULE_PATHNAME', 'dune_mv_worker_start'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_worker_start() IS
	'Ask the launcher to start this database''s background worker at commit (CREATE EXTENSION calls it)';
REVOKE ALL ON FUNCTION dune_mv_worker_start() FROM PUBLIC;
SELECT dune_mv_worker_start();

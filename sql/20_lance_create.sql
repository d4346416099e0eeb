-- lance_mv_create: rows, exact paths and bodies sent, headers, catalog rows.
\! $DUNE_MV_CTL -q lance reset
-- The two checked output_schema vectors of API-NOTES.md: `id int64` and `id int64, text utf8`.
\set s1 '/////3gAAAAQAAAACgAMAAgACgAEAAAADAAAABAAAAAEAAEACAAIAAAABAAIAAAABAAAAAEAAAAUAAAAEAAUAAQAEAARAAgAAAAMABAAAAAQAAAAHAAAACQAAAABAgAAAgAAAGlkAAAIAAwABAAIAAgAAABAAAAAAQAAAAAAAAA='
\set s2 '/////7gAAAAQAAAACgAMAAgACgAEAAAADAAAABAAAAAEAAEACAAIAAAABAAIAAAABAAAAAIAAAAYAAAAWAAAABAAFAAEABAAEQAIAAAADAAQAAAAEAAAABwAAAAkAAAAAQIAAAIAAABpZAAACAAMAAQACAAIAAAAQAAAAAEAAAAAAAAAEAAUAAQAEAARAAgAAAAMABAAAAAQAAAAHAAAABwAAAABBQAABAAAAHRleHQAAAQABAAAAAYAAAAAAAAA'

-- A query view: kind, source_query (passed through unchanged), output_schema and both
-- booleans; no udtf_spec, no identity; credentials only in headers.
SELECT * FROM lance_mv_create(ARRAY['analytics', 'daily_docs'], 'query',
	'{"table": "docs", "filter": "day > 0", "select": ["id"]}', :'s1');
\! $DUNE_MV_CTL lance last headers=1

-- with_no_data false: the server starts the initial refresh and answers its job id.
SELECT * FROM lance_mv_create(ARRAY['analytics', 'docs_full'], 'query', 'SELECT id, text FROM docs',
	:'s2', with_no_data => false, auto_refresh => true);
\! $DUNE_MV_CTL lance last

-- A view in the root namespace: one name.
SELECT * FROM lance_mv_create(ARRAY['top_level'], 'query', 'q', :'s1');
\! $DUNE_MV_CTL lance last

-- Names are percent-encoded one by one (space is %20, never +), then joined with "$".
SELECT * FROM lance_mv_create(ARRAY['my space', 'a/b', 'ünï', '100%', 'x+y~z', 'A-Z_0.9'],
	'query', 'q', :'s1');
\! $DUNE_MV_CTL lance last
-- "$" inside a name needs another delimiter, which is sent as ?delimiter= (percent-encoded).
SELECT * FROM lance_mv_create(ARRAY['prices$usd', 'v1'], 'query', 'q', :'s1', delimiter => '.');
\! $DUNE_MV_CTL lance last
SELECT * FROM lance_mv_create(ARRAY['ns.with.dots', 'cost$', 'q?&#'], 'query', 'q', :'s1',
	delimiter => '::');
\! $DUNE_MV_CTL lance last

-- A batch UDTF view: udtf_spec goes out unchanged; udtf_sha is the SHA-256 of the udtf text.
\set udtf 'eyJuYW1lIjogImVtYmVkX3RleHQiLCAibW9kdWxlIjogInVkdGZzLmVtYmVkIn0='
\set manifest '{"pip": ["numpy==2.1"], "python": "3.11"}'
SELECT * FROM lance_mv_create(ARRAY['analytics', 'embeddings'], 'udtf', 'SELECT id, text FROM docs', :'s2',
	udtf_spec => jsonb_build_object('kind', 'udtf', 'udtf', :'udtf',
		'udtf_sha', encode(sha256(convert_to(:'udtf', 'UTF8')), 'hex'),
		'udtf_name', 'embed_text', 'udtf_version', '1.2.0', 'input_columns', jsonb_build_array('text'),
		'partition_by', 'day', 'num_cpus', 0.5, 'num_gpus', 1, 'memory', 2147483648,
		'error_handling', '{"on_error": "skip", "retries": 2}'::jsonb,
		'manifest', :'manifest', 'manifest_checksum', encode(sha256(convert_to(:'manifest', 'UTF8')), 'hex')),
	with_no_data => false);
\! $DUNE_MV_CTL lance last
-- A chunker view (batch is for chunkers only), JSON nulls in optional fields pass through.
\set chunker 'eyJuYW1lIjogInNwbGl0X3BhZ2VzIiwgIm1vZHVsZSI6ICJ1ZHRmcy5jaHVuayJ9'
SELECT * FROM lance_mv_create(ARRAY['analytics', 'chunks'], 'chunker', 'SELECT id, text FROM docs', :'s2',
	udtf_spec => jsonb_build_object('kind', 'chunker', 'udtf', :'chunker',
		'udtf_sha', encode(sha256(convert_to(:'chunker', 'UTF8')), 'hex'),
		'udtf_name', 'split_pages', 'udtf_version', '0.1', 'batch', true, 'input_columns', NULL));
\! $DUNE_MV_CTL lance last

-- An output_schema made by lance_arrow_schema.
SELECT * FROM lance_mv_create(ARRAY['analytics', 'typed'], 'query', 'q',
	lance_arrow_schema('id bigint NOT NULL, body text, score double precision, embedding real[4]'));
SELECT request->'body'->>'output_schema' = lance_arrow_schema('id bigint NOT NULL, body text,
	score double precision, embedding real[4]') AS sent_unchanged, http_status
FROM dune_mv.calls WHERE target = 'analytics$typed';

-- Other success statuses (200, 202) and an explicit "job_id": null are fine too.
\! $DUNE_MV_CTL -q lance set create_status=200 null_job_id=1
SELECT * FROM lance_mv_create(ARRAY['analytics', 'status_200'], 'query', 'q', :'s1');
\! $DUNE_MV_CTL -q lance set create_status=202 null_job_id=0
SELECT * FROM lance_mv_create(ARRAY['analytics', 'status_202'], 'query', 'q', :'s1', with_no_data => false);
\! $DUNE_MV_CTL lance requests n=2
\! $DUNE_MV_CTL -q lance set create_status=201

-- One catalog row per call; the request holds method, path and body, never a header.
SELECT role, provider, operation, target, outcome, request->>'method' AS method,
	request->>'path' AS path, response, http_status, execution_id, version,
	duration_ms > 0 AS timed
FROM dune_mv.calls WHERE provider = 'lance' ORDER BY id;
SELECT count(*) AS requests_with_only_method_path_body FROM dune_mv.calls
WHERE provider = 'lance' AND (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(request) k) = '{body,method,path}';
SELECT (request->'body') - 'output_schema' AS body FROM dune_mv.calls
WHERE provider = 'lance' AND target = 'analytics$daily_docs';
SELECT role, provider, name, full_name, lance_id, lance_delimiter, kind, version,
	last_execution_id, (last_execution_at IS NOT NULL) = (last_execution_id IS NOT NULL) AS at_known
FROM dune_mv.views WHERE provider = 'lance' ORDER BY name;

-- Every call above was one request, all on one kept-alive connection.
\! $DUNE_MV_CTL lance stats

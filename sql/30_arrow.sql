-- Arrow IPC schema messages for LanceDB's output_schema (src/arrow_schema.c)
SET client_min_messages = warning;
CREATE SCHEMA arrow_test;
-- SQLSTATE and message of a statement, or 'ok'
CREATE FUNCTION arrow_test.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE TABLE arrow_test.vectors (name text PRIMARY KEY, b64 text);
-- the two checked vectors of API-NOTES.md (decoded by Arrow's own readers)
INSERT INTO arrow_test.vectors VALUES
('v1', '/////3gAAAAQAAAACgAMAAgACgAEAAAADAAAABAAAAAEAAEACAAIAAAABAAIAAAABAAAAAEAAAAUAAAAEAAUAAQAEAARAAgAAAAMABAAAAAQAAAAHAAAACQAAAABAgAAAgAAAGlkAAAIAAwABAAIAAgAAABAAAAAAQAAAAAAAAA='),
('v2', '/////7gAAAAQAAAACgAMAAgACgAEAAAADAAAABAAAAAEAAEACAAIAAAABAAIAAAABAAAAAIAAAAYAAAAWAAAABAAFAAEABAAEQAIAAAADAAQAAAAEAAAABwAAAAkAAAAAQIAAAIAAABpZAAACAAMAAQACAAIAAAAQAAAAAEAAAAAAAAAEAAUAAQAEAARAAgAAAAMABAAAAAQAAAAHAAAABwAAAABBQAABAAAAHRleHQAAAQABAAAAAYAAAAAAAAA');
SELECT * FROM lance_arrow_schema_describe((SELECT b64 FROM arrow_test.vectors WHERE name = 'v1'));
SELECT * FROM lance_arrow_schema_describe((SELECT b64 FROM arrow_test.vectors WHERE name = 'v2'));
-- our encoding of the same schemas describes the same
SELECT * FROM lance_arrow_schema_describe(lance_arrow_schema('id int8, text text'));
-- the message: continuation marker, metadata length, padded to 8 bytes
SELECT substr(m, 1, 4) = '\xffffffff'::bytea AS marker,
       get_byte(m, 4) + 256 * get_byte(m, 5) = length(m) - 8 AS metadata_length,
       length(m) % 8 = 0 AS padded
FROM (SELECT decode(lance_arrow_schema('id bigint NOT NULL, embedding real[768]'), 'base64') AS m) s;
-- the exact bytes (a change here changes what LanceDB receives)
SELECT lance_arrow_schema('id bigint NOT NULL');
-- every supported type, written as in CREATE TABLE
SELECT * FROM lance_arrow_schema_describe(lance_arrow_schema($$
    id bigint NOT NULL, small smallint, i integer NULL, r real, d double precision,
    flag boolean, body text, v varchar(20), c char(3), nm name, j json, jb jsonb,
    raw bytea, u uuid, day date, t time(3), ts timestamp, tstz timestamptz(0),
    price numeric(10, 2), big numeric(50, 4), whole numeric(5),
    embedding real[768], "Mixed ""Case""" int4, tags text[], grid int[3][4], ragged int[][],
    codes varchar(2) ARRAY[2]
$$));
-- domains resolve to their base type; composite types become structs
CREATE DOMAIN arrow_test.positive AS int CHECK (VALUE > 0);
CREATE DOMAIN arrow_test.vec3 AS real[];
CREATE TYPE arrow_test.pair AS (a int, b text, c arrow_test.positive[]);
SELECT * FROM lance_arrow_schema_describe(lance_arrow_schema(
    'p arrow_test.positive NOT NULL, v arrow_test.vec3, pr arrow_test.pair, prs arrow_test.pair[2]'));
-- column-list errors
SELECT c AS columns, arrow_test.err(format('SELECT lance_arrow_schema(%L)', c)) AS result
FROM (VALUES ('id interval'), ('id timetz'), ('id numeric'), ('id numeric(80, 2)'),
             ('id numeric(10, -2)'), ('id numeric(3, 5)'), ('id int,'), ('id no_such_type'),
             ('id int DEFAULT 3'), ('id int PRIMARY KEY'), ('id int NULL NOT NULL'),
             ('id int, ID int'), (''), ('  '), ('PRIMARY KEY (id)'), ('LIKE pg_class'),
             ('id int) INHERITS (pg_class'), ('id int); DROP TABLE arrow_test.vectors; CREATE TABLE y (a int'),
             ('user text'), ('"user" text'), ('id int[0]'), ('id timetz[]'), ('id record'),
             ('id text COLLATE "C"'), ('id int -- a comment'), ('"unterminated int'),
             ('id int4range'), ('id arrow_test.vectors')) v(c);
-- the table survived the attempted injection
SELECT count(*) FROM arrow_test.vectors;
-- lance_arrow_schema(regclass): non-dropped columns, attnotnull, arrays become lists
CREATE TABLE arrow_test.docs (id bigint NOT NULL, gone int, body text, emb real[],
    m int[][], p arrow_test.pair, d arrow_test.positive NOT NULL, price numeric(12, 4),
    created timestamptz NOT NULL);
ALTER TABLE arrow_test.docs DROP COLUMN gone;
SELECT * FROM lance_arrow_schema_describe(lance_arrow_schema('arrow_test.docs'::regclass));
CREATE VIEW arrow_test.docs_v AS SELECT id, body || '!' AS shout FROM arrow_test.docs;
SELECT * FROM lance_arrow_schema_describe(lance_arrow_schema('arrow_test.docs_v'::regclass));
CREATE MATERIALIZED VIEW arrow_test.docs_m AS SELECT id, created::date AS day FROM arrow_test.docs;
SELECT * FROM lance_arrow_schema_describe(lance_arrow_schema('arrow_test.docs_m'::regclass));
CREATE INDEX docs_idx ON arrow_test.docs (id);
CREATE TABLE arrow_test.nocols ();
CREATE TABLE arrow_test.badtype (id int, span interval);
SELECT r AS relation, arrow_test.err(format('SELECT lance_arrow_schema(%L::regclass)', r)) AS result
FROM (VALUES ('arrow_test.docs_idx'), ('arrow_test.nocols'), ('arrow_test.badtype')) v(r);
-- privileges: EXECUTE for dune_mv_user only; SELECT on the relation needed
CREATE ROLE regress_arrow_user;
CREATE ROLE regress_arrow_outsider;
GRANT dune_mv_user TO regress_arrow_user;
GRANT USAGE ON SCHEMA arrow_test TO regress_arrow_user, regress_arrow_outsider;
SET ROLE regress_arrow_user;
SELECT arrow_test.err($$SELECT lance_arrow_schema('arrow_test.docs'::regclass)$$) AS no_select;
SELECT name, arrow_type FROM lance_arrow_schema_describe(lance_arrow_schema('id int4'));
RESET ROLE;
GRANT SELECT ON arrow_test.docs_v TO regress_arrow_user;
SET ROLE regress_arrow_user;
SELECT count(*) FROM lance_arrow_schema_describe(lance_arrow_schema('arrow_test.docs_v'::regclass));
RESET ROLE;
SET ROLE regress_arrow_outsider;
SELECT arrow_test.err($$SELECT lance_arrow_schema('id int4')$$) AS outsider_text,
       arrow_test.err($$SELECT * FROM lance_arrow_schema_describe('AAAA')$$) AS outsider_describe;
RESET ROLE;
-- malformed output_schema values: SQLSTATE 22023 with a reason
-- (encode() breaks lines every 76 characters; output_schema must not)
CREATE FUNCTION arrow_test.b64(m bytea) RETURNS text LANGUAGE sql AS
    $$ SELECT translate(encode(m, 'base64'), E'\n', '') $$;
CREATE FUNCTION arrow_test.patch(b64 text, VARIADIC pos_val int[]) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    m bytea := decode(b64, 'base64');
BEGIN
    FOR i IN 1 .. array_length(pos_val, 1) BY 2 LOOP
        m := set_byte(m, pos_val[i], pos_val[i + 1]);
    END LOOP;
    RETURN arrow_test.b64(m);
END $$;
CREATE FUNCTION arrow_test.v(n text) RETURNS text LANGUAGE sql AS
    $$ SELECT b64 FROM arrow_test.vectors WHERE name = n $$;
SELECT what, arrow_test.err(format('SELECT * FROM lance_arrow_schema_describe(%L)', b64)) AS result
FROM (VALUES
    ('empty', ''),
    ('not base64', 'not base64!'),
    ('url-safe alphabet', '____'),
    ('bad padding', 'AA=A'),
    ('non-canonical bits', 'AB=='),
    ('line break', replace(arrow_test.v('v1'), 'AAAA', E'AAAA\n')),
    ('too short', 'AAAA'),
    ('end-of-stream marker', '/////wAAAAA='),
    ('truncated', arrow_test.b64(substr(decode(arrow_test.v('v1'), 'base64'), 1, 64))),
    ('two messages', arrow_test.b64(decode(arrow_test.v('v1'), 'base64') || decode(arrow_test.v('v1'), 'base64'))),
    ('no continuation marker', arrow_test.patch(arrow_test.v('v1'), 0, 0)),
    ('metadata length not padded', arrow_test.patch(arrow_test.v('v1'), 4, 113)),
    ('metadata length too long', arrow_test.patch(arrow_test.v('v1'), 4, 128)),
    ('trailing bytes', arrow_test.patch(arrow_test.v('v1'), 4, 112)),
    ('root offset out of range', arrow_test.patch(arrow_test.v('v1'), 11, 127)),
    ('version V10', arrow_test.patch(arrow_test.v('v1'), 32, 9)),
    ('RecordBatch header', arrow_test.patch(arrow_test.v('v1'), 34, 3)),
    ('endianness', arrow_test.patch(arrow_test.v('v1'), 40, 4)),
    ('no fields', arrow_test.patch(arrow_test.v('v1'), 52, 0)),
    ('field count too large', arrow_test.patch(arrow_test.v('v1'), 52, 200)),
    ('misaligned vtable', arrow_test.patch(arrow_test.v('v1'), 76, 17)),
    ('vtable before the buffer', arrow_test.patch(arrow_test.v('v1'), 79, 64)),
    ('children offset outside', arrow_test.patch(arrow_test.v('v1'), 88, 255)),
    ('no children vector', arrow_test.patch(arrow_test.v('v1'), 74, 0)),
    ('no type table', arrow_test.patch(arrow_test.v('v1'), 70, 0)),
    ('type NONE', arrow_test.patch(arrow_test.v('v1'), 93, 0)),
    ('type id 99', arrow_test.patch(arrow_test.v('v1'), 93, 99)),
    ('FixedSizeList without child', arrow_test.patch(arrow_test.v('v1'), 93, 16)),
    ('Int bitWidth 12', arrow_test.patch(arrow_test.v('v1'), 116, 12)),
    ('name not UTF-8', arrow_test.patch(arrow_test.v('v1'), 101, 255)),
    ('name not terminated', arrow_test.patch(arrow_test.v('v1'), 102, 65)),
    ('name length huge', arrow_test.patch(arrow_test.v('v1'), 99, 127)),
    ('empty name', arrow_test.patch(arrow_test.v('v1'), 96, 0, 100, 0)),
    ('duplicate names', arrow_test.patch(arrow_test.v('v2'), 168, 2, 172, 105, 173, 100, 174, 0)),
    ('child Int bitWidth 12', arrow_test.patch(lance_arrow_schema('e int2[2]'), 200, 12))
) v(what, b64);
-- cleanup
DROP SCHEMA arrow_test CASCADE;
DROP ROLE regress_arrow_user;
DROP ROLE regress_arrow_outsider;

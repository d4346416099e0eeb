// Cross-checks dune_mv's Arrow schema messages with Arrow's JavaScript
// implementation (npm apache-arrow), in both directions:
//  - schemas made by lance_arrow_schema(text | regclass) are decoded by
//    apache-arrow and compared field by field with what the type mapping
//    promises (names, type ids, widths, precision, units, time zone, list
//    sizes, decimal precision and scale, nullability, children);
//  - schemas written by apache-arrow are read by lance_arrow_schema_describe.
// Connects with psql (PGHOST, PGPORT, PGUSER from the environment) to
// database ARROW_CHECK_DB (default postgres), where dune_mv must exist.
// Prints one line per check and, last, "N passed, N failed".
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as A from 'apache-arrow';

const DB = process.env.ARROW_CHECK_DB || 'postgres';
const T = A.Type;
let passed = 0;
let failed = 0;

// Run SQL through psql; rows as arrays of fields (unit-separator delimited)
function sql(text) {
  const out = execFileSync('psql', ['-X', '-q', '-A', '-t', '-F', '\x1f',
    '-v', 'ON_ERROR_STOP=1', '-d', DB], {
    input: `SET client_min_messages = warning;\n${text}`, encoding: 'utf8',
  });
  return out.split('\n').filter((l) => l.length > 0).map((l) => l.split('\x1f'));
}

const lit = (s) => `'${s.replace(/'/g, "''")}'`;

// Record one check's outcome
function check(name, fn) {
  try {
    fn();
    passed++;
    console.log(`ok     ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAILED ${name}\n${String(e.message).split('\n').map((l) => '       ' + l).join('\n')}`);
  }
}

// Decode base64 as one IPC message holding a schema, checking the framing
function decodeSchema(b64) {
  const bytes = new Uint8Array(Buffer.from(b64, 'base64'));
  assert.equal(Buffer.from(bytes).toString('base64'), b64, 'canonical base64');
  assert.equal(bytes.length % 8, 0, 'message length is a multiple of 8');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(view.getUint32(0, true), 0xffffffff, 'continuation marker');
  assert.equal(view.getInt32(4, true), bytes.length - 8, 'metadata length');
  const reader = new A.MessageReader(bytes);
  const msg = reader.readMessage();
  assert.ok(msg, 'a message was read');
  assert.equal(msg.headerType, A.MessageHeader.Schema, 'header is a Schema');
  assert.equal(msg.version, A.MetadataVersion.V5, 'metadata version V5');
  assert.equal(Number(msg.bodyLength), 0, 'no body');
  assert.equal(reader.readMessage(), null, 'exactly one message');
  return A.tableFromIPC(bytes).schema;
}

// A decoded field in a comparable shape
function shapeField(f) {
  return { name: f.name, nullable: f.nullable, type: shapeType(f.type) };
}

// A decoded type in a comparable shape (only the parameters that matter)
function shapeType(t) {
  const o = { typeId: t.typeId };
  switch (t.typeId) {
    case T.Int: o.bitWidth = t.bitWidth; o.isSigned = t.isSigned; break;
    case T.Float: o.precision = t.precision; break;
    case T.Decimal: o.precision = t.precision; o.scale = t.scale; o.bitWidth = t.bitWidth; break;
    case T.Date: o.unit = t.unit; break;
    case T.Time: o.unit = t.unit; o.bitWidth = t.bitWidth; break;
    case T.Timestamp: o.unit = t.unit; o.timezone = t.timezone ?? null; break;
    case T.FixedSizeBinary: o.byteWidth = t.byteWidth; break;
    case T.FixedSizeList: o.listSize = t.listSize; break;
    default: break;
  }
  o.children = (t.children || []).map(shapeField);
  return o;
}

// Expected shapes
const F = (name, type, nullable = true) => ({ name, nullable, type });
const ty = (typeId, params = {}, children = []) => ({ typeId, ...params, children });
const int = (bits) => ty(T.Int, { bitWidth: bits, isSigned: true });
const f32 = ty(T.Float, { precision: A.Precision.SINGLE });
const f64 = ty(T.Float, { precision: A.Precision.DOUBLE });
const utf8 = ty(T.Utf8);
const bool = ty(T.Bool);
const binary = ty(T.Binary);
const uuid = ty(T.FixedSizeBinary, { byteWidth: 16 });
const date = ty(T.Date, { unit: A.DateUnit.DAY });
const time = ty(T.Time, { unit: A.TimeUnit.MICROSECOND, bitWidth: 64 });
const ts = (tz) => ty(T.Timestamp, { unit: A.TimeUnit.MICROSECOND, timezone: tz });
const dec = (p, s, bits = 128) => ty(T.Decimal, { precision: p, scale: s, bitWidth: bits });
const list = (item) => ty(T.List, {}, [F('item', item)]);
const fsl = (n, item) => ty(T.FixedSizeList, { listSize: n }, [F('item', item)]);
const struct = (...fields) => ty(T.Struct, {}, fields);

// Compare what apache-arrow decodes with the expected fields
function expectSchema(b64, fields) {
  const schema = decodeSchema(b64);
  assert.deepEqual(schema.fields.map(shapeField), fields);
}

// lance_arrow_schema(text) for one column list
const fromColumns = (cols) => sql(`SELECT lance_arrow_schema(${lit(cols)})`)[0][0];

const columnCases = [
  ['id bigint NOT NULL', [F('id', int(64), false)]],
  ['a smallint, b integer NULL, c int8', [F('a', int(16)), F('b', int(32)), F('c', int(64))]],
  ['r real, d double precision', [F('r', f32), F('d', f64)]],
  ['flag boolean NOT NULL', [F('flag', bool, false)]],
  ['tx text, vc varchar(20), ch char(3), nm name', [F('tx', utf8), F('vc', utf8), F('ch', utf8), F('nm', utf8)]],
  ['j json, jb jsonb', [F('j', utf8), F('jb', utf8)]],
  ['raw bytea', [F('raw', binary)]],
  ['u uuid', [F('u', uuid)]],
  ['day date', [F('day', date)]],
  ['t time, t3 time(3)', [F('t', time), F('t3', time)]],
  ['ts timestamp, ts0 timestamp(0)', [F('ts', ts(null)), F('ts0', ts(null))]],
  ['tz timestamptz NOT NULL, tz3 timestamp(3) with time zone', [F('tz', ts('UTC'), false), F('tz3', ts('UTC'))]],
  ['price numeric(10, 2), w numeric(5), m numeric(38, 38)', [F('price', dec(10, 2)), F('w', dec(5, 0)), F('m', dec(38, 38))]],
  ['big numeric(39, 4), max numeric(76, 10)', [F('big', dec(39, 4, 256)), F('max', dec(76, 10, 256))]],
  ['embedding real[768]', [F('embedding', fsl(768, f32))]],
  ['e8 float8[3] NOT NULL, codes varchar(2) ARRAY[2]', [F('e8', fsl(3, f64), false), F('codes', fsl(2, utf8))]],
  ['tags text[], ids bigint[]', [F('tags', list(utf8)), F('ids', list(int(64)))]],
  ['grid int[3][4]', [F('grid', fsl(3, fsl(4, int(32))))]],
  ['ragged int[][], mixed int[2][]', [F('ragged', list(list(int(32)))), F('mixed', fsl(2, list(int(32))))]],
  ['"Mixed ""Case""" int4, "ünïcode ✓" text', [F('Mixed "Case"', int(32)), F('ünïcode ✓', utf8)]],
  ['p arrow_check.positive NOT NULL, v arrow_check.vec', [F('p', int(32), false), F('v', list(f32))]],
  ['pr arrow_check.pair, prs arrow_check.pair[2]',
    [F('pr', struct(F('a', int(32)), F('b', utf8), F('c', list(int(32))))),
      F('prs', fsl(2, struct(F('a', int(32)), F('b', utf8), F('c', list(int(32))))))]],
];

// Schemas written by apache-arrow, and how lance_arrow_schema_describe renders
// them: [name, type, rendering, nullable]
const AF = (name, type, nullable = true) => new A.Field(name, type, nullable);
const jsCases = [
  ['i8', new A.Int8(), 'int8', false],
  ['u64', new A.Uint64(), 'uint64', true],
  ['h', new A.Float16(), 'float16', true],
  ['f', new A.Float32(), 'float32', true],
  ['d', new A.Float64(), 'float64', true],
  ['s', new A.Utf8(), 'utf8', true],
  ['ls', new A.LargeUtf8(), 'large_utf8', true],
  ['b', new A.Binary(), 'binary', true],
  ['lb', new A.LargeBinary(), 'large_binary', true],
  ['ok', new A.Bool(), 'bool', true],
  ['n', new A.Null(), 'null', true],
  ['dec', new A.Decimal(2, 10, 128), 'decimal128(10, 2)', true],
  ['dec256', new A.Decimal(4, 50, 256), 'decimal256(50, 4)', true],
  ['day', new A.DateDay(), 'date32[day]', true],
  ['ms', new A.DateMillisecond(), 'date64[ms]', true],
  ['t32', new A.TimeMillisecond(), 'time32[ms]', true],
  ['t64', new A.TimeNanosecond(), 'time64[ns]', true],
  ['ts', new A.TimestampMicrosecond(), 'timestamp[us]', true],
  ['tstz', new A.TimestampNanosecond('Europe/Paris'), 'timestamp[ns, tz=Europe/Paris]', true],
  ['iv', new A.IntervalDayTime(), 'day_time_interval', true],
  ['ym', new A.IntervalYearMonth(), 'month_interval', true],
  ['dur', new A.Duration(A.TimeUnit.SECOND), 'duration[s]', true],
  ['fsb', new A.FixedSizeBinary(16), 'fixed_size_binary[16]', true],
  ['emb', new A.FixedSizeList(768, AF('item', new A.Float32())), 'fixed_size_list<item: float32>[768]', true],
  ['l', new A.List(AF('item', new A.Int32(), false)), 'list<item: int32 not null>', true],
  ['st', new A.Struct([AF('a', new A.Int16()), AF('b', new A.Utf8(), false)]),
    'struct<a: int16, b: utf8 not null>', false],
  ['m', new A.Map_(AF('entries', new A.Struct([AF('key', new A.Utf8(), false), AF('value', new A.Int64())]), false)),
    'map<utf8, int64>', true],
  ['dict', new A.Dictionary(new A.Utf8(), new A.Int16()), 'dictionary<values=utf8, indices=int16>', true],
  ['un', new A.Union(A.UnionMode.Dense, [5, 7], [AF('x', new A.Int8()), AF('y', new A.Utf8(), false)]),
    'dense_union<x: int8=5, y: utf8 not null=7>', true],
];
const jsField = ([name, type, , nullable]) => AF(name, type, nullable);

// Bytes of the schema message apache-arrow writes for a schema (no EOS)
function jsSchemaMessage(schema) {
  const w = new A.RecordBatchStreamWriter();
  w.reset(undefined, schema);
  w.close();
  const bytes = w.toUint8Array(true);
  const len = new DataView(bytes.buffer, bytes.byteOffset).getInt32(4, true);
  return Buffer.from(bytes.subarray(0, 8 + len)).toString('base64');
}

// ------------------------------------------------------------------ checks
sql(`DROP SCHEMA IF EXISTS arrow_check CASCADE;
CREATE SCHEMA arrow_check;
CREATE DOMAIN arrow_check.positive AS int CHECK (VALUE > 0);
CREATE DOMAIN arrow_check.vec AS real[];
CREATE TYPE arrow_check.pair AS (a int, b text, c arrow_check.positive[]);
CREATE TABLE arrow_check.docs (id bigint NOT NULL, gone int, body text, emb real[],
    m int[][], p arrow_check.pair, d arrow_check.positive NOT NULL, price numeric(12, 4),
    created timestamptz NOT NULL, u uuid);
ALTER TABLE arrow_check.docs DROP COLUMN gone;
CREATE VIEW arrow_check.docs_v AS SELECT id, body || '!' AS shout, emb FROM arrow_check.docs;`);

try {
  const vectors = {
    'id int64': '/////3gAAAAQAAAACgAMAAgACgAEAAAADAAAABAAAAAEAAEACAAIAAAABAAIAAAABAAAAAEAAAAUAAAAEAAUAAQAEAARAAgAAAAMABAAAAAQAAAAHAAAACQAAAABAgAAAgAAAGlkAAAIAAwABAAIAAgAAABAAAAAAQAAAAAAAAA=',
    'id int64, text utf8': '/////7gAAAAQAAAACgAMAAgACgAEAAAADAAAABAAAAAEAAEACAAIAAAABAAIAAAABAAAAAIAAAAYAAAAWAAAABAAFAAEABAAEQAIAAAADAAQAAAAEAAAABwAAAAkAAAAAQIAAAIAAABpZAAACAAMAAQACAAIAAAAQAAAAAEAAAAAAAAAEAAUAAQAEAARAAgAAAAMABAAAAAQAAAAHAAAABwAAAABBQAABAAAAHRleHQAAAQABAAAAAYAAAAAAAAA',
  };
  check('reference vector "id int64" decodes like lance_arrow_schema(\'id bigint\')', () => {
    const ref = A.tableFromIPC(Buffer.from(vectors['id int64'], 'base64')).schema;
    assert.deepEqual(decodeSchema(fromColumns('id bigint')).fields.map(shapeField), ref.fields.map(shapeField));
  });
  check('reference vector "id int64, text utf8" decodes like lance_arrow_schema(\'id bigint, text text\')', () => {
    const ref = A.tableFromIPC(Buffer.from(vectors['id int64, text utf8'], 'base64')).schema;
    assert.deepEqual(decodeSchema(fromColumns('id bigint, text text')).fields.map(shapeField), ref.fields.map(shapeField));
  });
  for (const [cols, fields] of columnCases)
    check(`lance_arrow_schema(${lit(cols)})`, () => expectSchema(fromColumns(cols), fields));
  check('all column cases in one schema', () =>
    expectSchema(fromColumns(columnCases.map((c) => c[0]).join(', ')), columnCases.flatMap((c) => c[1])));
  check("lance_arrow_schema('arrow_check.docs'::regclass)", () =>
    expectSchema(sql("SELECT lance_arrow_schema('arrow_check.docs'::regclass)")[0][0], [
      F('id', int(64), false), F('body', utf8), F('emb', list(f32)), F('m', list(list(int(32)))),
      F('p', struct(F('a', int(32)), F('b', utf8), F('c', list(int(32))))),
      F('d', int(32), false), F('price', dec(12, 4)), F('created', ts('UTC'), false), F('u', uuid)]));
  check("lance_arrow_schema('arrow_check.docs_v'::regclass)", () =>
    expectSchema(sql("SELECT lance_arrow_schema('arrow_check.docs_v'::regclass)")[0][0],
      [F('id', int(64)), F('shout', utf8), F('emb', list(f32))]));
  for (const c of jsCases) {
    check(`describe of apache-arrow's ${c[2]}`, () => {
      const b64 = jsSchemaMessage(new A.Schema([jsField(c)]));
      const rows = sql(`SELECT * FROM lance_arrow_schema_describe(${lit(b64)})`);
      assert.deepEqual(rows, [[c[0], c[2], c[3] ? 't' : 'f']]);
    });
  }
  check("describe of apache-arrow's schema with every field above", () => {
    const b64 = jsSchemaMessage(new A.Schema(jsCases.map(jsField)));
    const rows = sql(`SELECT * FROM lance_arrow_schema_describe(${lit(b64)})`);
    assert.deepEqual(rows, jsCases.map(([n, , r, nl]) => [n, r, nl ? 't' : 'f']));
  });
  check('lance_arrow_schema(describe(apache-arrow schema)) round trip', () => {
    const fields = [AF('id', new A.Int64(), false), AF('v', new A.FixedSizeList(4, AF('item', new A.Float32()))),
      AF('t', new A.TimestampMicrosecond('UTC'))];
    const rows = sql(`SELECT * FROM lance_arrow_schema_describe(${lit(jsSchemaMessage(new A.Schema(fields)))})`);
    assert.deepEqual(rows, [['id', 'int64', 'f'], ['v', 'fixed_size_list<item: float32>[4]', 't'], ['t', 'timestamp[us, tz=UTC]', 't']]);
    expectSchema(fromColumns('id bigint NOT NULL, v real[4], t timestamptz'), new A.Schema(fields).fields.map(shapeField));
  });
} finally {
  sql('DROP SCHEMA IF EXISTS arrow_check CASCADE;');
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

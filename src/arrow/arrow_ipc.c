/*
 * arrow_ipc.c
 *		Decoding (and checking) of one Arrow IPC encapsulated Schema message:
 *		the prefix, the Message and Schema tables and the walk over the
 *		(nested) fields.  The type tables are read by arrow_ipc_types.c, the
 *		FlatBuffer is accessed through arrow_ipc_flatbuf.c, and the encoder
 *		is in arrow_ipc_write.c.
 *
 * Only the tables of Message.fbs and Schema.fbs that a Schema message uses
 * are known here.  Field numbers below are the vtable slots of those tables.
 *
 * Nothing in the input is trusted: every offset, vtable and vector is
 * checked against the buffer before use, scalars must be aligned as the
 * FlatBuffers verifier wants, nesting, field count and total work are
 * bounded (offsets may be shared or form loops), strings must be
 * NUL-terminated and names valid UTF-8, and each type's parameters and
 * child count must make sense.  Errors are returned as text, never raised,
 * and no PostgreSQL code is used (test/fuzz/fuzz_arrow.c fuzzes these files).
 */
#include "arrow_ipc_internal.h"

#include <string.h>

#define CONTINUATION	0xFFFFFFFFu
#define PREFIX_LEN		8		/* continuation marker + metadata length */

/* Message table slots; MessageHeader Schema = 1; MetadataVersion V4/V5 */
enum
{
	MSG_VERSION, MSG_HEADER_TYPE, MSG_HEADER, MSG_BODY_LENGTH, MSG_METADATA
};
#define HEADER_SCHEMA	1
#define VERSION_V4		3
#define VERSION_V5		4

/* Schema and Field table slots */
enum
{
	SCH_ENDIANNESS, SCH_FIELDS, SCH_METADATA, SCH_FEATURES
};
enum
{
	FLD_NAME, FLD_NULLABLE, FLD_TYPE_TYPE, FLD_TYPE, FLD_DICTIONARY,
	FLD_CHILDREN, FLD_METADATA
};

/* Names of the Type union's members, for messages */
static const char *const type_names[] = {
	"NONE", "Null", "Int", "FloatingPoint", "Binary", "Utf8", "Bool",
	"Decimal", "Date", "Time", "Timestamp", "Interval", "List", "Struct",
	"Union", "FixedSizeBinary", "FixedSizeList", "Map", "Duration",
	"LargeBinary", "LargeUtf8", "LargeList", "RunEndEncoded", "BinaryView",
	"Utf8View", "ListView", "LargeListView"
};

_Static_assert(sizeof(type_names) / sizeof(type_names[0]) == ARROW_TYPE_MAX + 1,
			   "type_names must cover every type id");

static bool read_field(Reader *r, uint64_t pos, ArrowField *f);

/* Read a vector of Field offsets into a freshly allocated array */
static bool
read_fields(Reader *r, uint64_t vec, int32_t *n_out, ArrowField **out,
			const char *what)
{
	uint64_t	first;
	uint32_t	n;
	ArrowField *fields;

	if (!ipc_get_vector(r, vec, 4, &n, &first, what))
		return false;
	if (r->depth > ARROW_MAX_DEPTH)
		return ipc_fail(r, "fields are nested more than %d levels deep", ARROW_MAX_DEPTH);
	if (n > (uint32_t) (ARROW_MAX_FIELDS - r->n_fields))
		return ipc_fail(r, "schema has more than %d fields", ARROW_MAX_FIELDS);
	if ((fields = ipc_alloc_or_fail(r, n * sizeof(ArrowField))) == NULL)
		return false;
	for (uint32_t i = 0; i < n; i++)
	{
		uint64_t	slot = first + 4 * (uint64_t) i;
		bool		ok;

		r->path[r->depth].name = NULL;
		r->path[r->depth].index = (int32_t) i;
		r->depth++;
		ok = read_field(r, slot + get_u32(r->buf + slot), &fields[i]);
		r->depth--;
		if (!ok)
			return false;
	}
	*n_out = (int32_t) n;
	*out = fields;
	return true;
}

/* Check the children a type requires */
static bool
check_children(Reader *r, const ArrowField *f)
{
	int			want = arrow_type_child_count(f->type);

	if (want >= 0 && f->n_children != want)
		return ipc_fail(r, "%s needs %d child field%s, found %d",
						type_names[f->type], want, want == 1 ? "" : "s",
						(int) f->n_children);
	if (f->type == ARROW_TYPE_MAP &&
		(f->children[0].type != ARROW_TYPE_STRUCT ||
		 f->children[0].n_children != 2))
		return ipc_fail(r, "Map entries must be a struct of two fields");
	if (f->type == ARROW_TYPE_UNION && f->n_type_ids != 0 &&
		f->n_type_ids != f->n_children)
		return ipc_fail(r, "Union has %d type ids for %d children",
						(int) f->n_type_ids, (int) f->n_children);
	if (f->type == ARROW_TYPE_RUN_END_ENCODED &&
		(f->children[0].type != ARROW_TYPE_INT || !f->children[0].is_signed ||
		 f->children[0].bit_width == 8))
		return ipc_fail(r, "run_ends must be int16, int32 or int64");
	return true;
}

/* Read one Field table (recursively with its children) */
static bool
read_field(Reader *r, uint64_t pos, ArrowField *f)
{
	Table		t;
	uint64_t	name,
				type_type,
				type,
				nullable,
				dict,
				children;

	r->n_fields++;
	if (r->n_fields > ARROW_MAX_FIELDS)
		return ipc_fail(r, "schema has more than %d fields", ARROW_MAX_FIELDS);
	if (!ipc_open_table(r, pos, &t, "Field table") ||
		!ipc_get_offset(r, &t, FLD_NAME, &name, "name"))
		return false;
	f->name = "";
	if (name != 0 && !ipc_get_string(r, name, true, &f->name, "name"))
		return false;
	r->path[r->depth - 1].name = f->name;
	if (!ipc_get_scalar(r, &t, FLD_NULLABLE, 1, 0, &nullable, "nullable") ||
		!ipc_get_scalar(r, &t, FLD_TYPE_TYPE, 1, 0, &type_type, "type_type") ||
		!ipc_get_offset(r, &t, FLD_TYPE, &type, "type") ||
		!ipc_get_offset(r, &t, FLD_DICTIONARY, &dict, "dictionary") ||
		!ipc_get_offset(r, &t, FLD_CHILDREN, &children, "children") ||
		!ipc_check_metadata(r, &t, FLD_METADATA))
		return false;
	f->nullable = nullable != 0;
	if (type_type == ARROW_TYPE_NONE)
		return ipc_fail(r, "no type (type_type is NONE)");
	if (type_type > ARROW_TYPE_MAX)
		return ipc_fail(r, "unknown Arrow type id %d", (int) type_type);
	f->type = (ArrowTypeId) type_type;
	if (type == 0)
		return ipc_fail(r, "no type table");
	if (children == 0)
		return ipc_fail(r, "no children vector");
	if (!ipc_read_type(r, type, f) ||
		(dict != 0 && !ipc_read_dictionary(r, dict, f)) ||
		!read_fields(r, children, &f->n_children, &f->children, "children vector"))
		return false;
	return check_children(r, f);
}

/* Read the Schema table */
static bool
read_schema(Reader *r, uint64_t pos, ArrowSchema *schema)
{
	Table		t;
	int64_t		endianness;
	uint64_t	fields,
				features,
				first;
	uint32_t	n;

	if (!ipc_open_table(r, pos, &t, "Schema table") ||
		!ipc_get_signed(r, &t, SCH_ENDIANNESS, 2, 0, &endianness, "endianness") ||
		!ipc_get_offset(r, &t, SCH_FIELDS, &fields, "fields") ||
		!ipc_get_offset(r, &t, SCH_FEATURES, &features, "features") ||
		!ipc_check_metadata(r, &t, SCH_METADATA))
		return false;
	if (endianness != 0)
		return ipc_fail(r, "schema endianness is %s; only little-endian is supported",
						endianness == 1 ? "big-endian" : "unknown");
	if (features != 0 && !ipc_get_vector(r, features, 8, &n, &first, "features"))
		return false;
	if (fields == 0)
		return ipc_fail(r, "schema has no fields vector");
	return read_fields(r, fields, &schema->n_fields, &schema->fields, "fields vector");
}

/* Check the 8-byte prefix and the message length */
static bool
check_prefix(Reader *r, const uint8_t *buf, size_t len)
{
	int32_t		mlen;

	if (len < PREFIX_LEN)
		return ipc_fail(r, "message is too short: only %zu bytes", len);
	if (get_u32(buf) != CONTINUATION)
		return ipc_fail(r, "message does not start with the continuation marker 0xFFFFFFFF");
	mlen = (int32_t) get_u32(buf + 4);
	if (mlen == 0)
		return ipc_fail(r, "message is an end-of-stream marker, not a schema");
	if (mlen < 0 || mlen % 8 != 0)
		return ipc_fail(r, "metadata length %d is not a positive multiple of 8", (int) mlen);
	if ((uint64_t) mlen > len - PREFIX_LEN)
		return ipc_fail(r, "message is truncated: metadata length %d, but only %zu bytes follow",
						(int) mlen, len - PREFIX_LEN);
	if ((uint64_t) mlen < len - PREFIX_LEN)
		return ipc_fail(r, "%zu bytes follow the schema message (a body or another message?)",
						len - PREFIX_LEN - mlen);
	r->buf = buf + PREFIX_LEN;
	r->len = (uint64_t) mlen;
	return true;
}

/* Decode one encapsulated Schema message */
bool
arrow_decode_schema(const uint8_t *buf, size_t len, const ArrowAllocator *mem,
					ArrowSchema *schema, ArrowError *err)
{
	Reader		r;
	Table		msg;
	int64_t		version,
				body;
	uint64_t	header_type,
				header;

	memset(&r, 0, sizeof(r));
	memset(schema, 0, sizeof(*schema));
	r.mem = mem;
	r.err = err;
	err->message[0] = '\0';
	if (!check_prefix(&r, buf, len) ||
		!ipc_check_range(&r, 0, 4, 4, "root offset") ||
		!ipc_open_table(&r, get_u32(r.buf), &msg, "Message table") ||
		!ipc_get_signed(&r, &msg, MSG_VERSION, 2, 0, &version, "version") ||
		!ipc_get_scalar(&r, &msg, MSG_HEADER_TYPE, 1, 0, &header_type, "header_type") ||
		!ipc_get_offset(&r, &msg, MSG_HEADER, &header, "header") ||
		!ipc_get_signed(&r, &msg, MSG_BODY_LENGTH, 8, 0, &body, "bodyLength") ||
		!ipc_check_metadata(&r, &msg, MSG_METADATA))
		return false;
	if (version != VERSION_V4 && version != VERSION_V5)
		return ipc_fail(&r, "unsupported metadata version V%lld (need V4 or V5)",
						(long long) version + 1);
	if (header_type != HEADER_SCHEMA)
		return ipc_fail(&r, "message header type is %d, not Schema (1)", (int) header_type);
	if (header == 0)
		return ipc_fail(&r, "message has no header");
	if (body != 0)
		return ipc_fail(&r, "schema message declares a body of %lld bytes", (long long) body);
	return read_schema(&r, header, schema);
}

/* Children a type must have, -1 when any number is fine */
int
arrow_type_child_count(ArrowTypeId type)
{
	switch (type)
	{
		case ARROW_TYPE_LIST:
		case ARROW_TYPE_LARGE_LIST:
		case ARROW_TYPE_FIXED_SIZE_LIST:
		case ARROW_TYPE_LIST_VIEW:
		case ARROW_TYPE_LARGE_LIST_VIEW:
		case ARROW_TYPE_MAP:
			return 1;
		case ARROW_TYPE_RUN_END_ENCODED:
			return 2;
		case ARROW_TYPE_STRUCT:
		case ARROW_TYPE_UNION:
			return -1;
		default:
			return 0;
	}
}

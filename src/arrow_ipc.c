/*
 * arrow_ipc.c
 *		Decoding (and checking) of one Arrow IPC encapsulated Schema message.
 *		The encoder is in arrow_ipc_write.c.
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
 * and no PostgreSQL code is used (test/fuzz/fuzz_arrow.c fuzzes this file).
 */
#include "arrow_ipc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CONTINUATION	0xFFFFFFFFu
#define PREFIX_LEN		8		/* continuation marker + metadata length */
#define MAX_WORK		(32 * 1024 * 1024)	/* scanned bytes + visited items */

/* Message table slots; MessageHeader Schema = 1; MetadataVersion V4/V5 */
enum
{
	MSG_VERSION, MSG_HEADER_TYPE, MSG_HEADER, MSG_BODY_LENGTH, MSG_METADATA
};
#define HEADER_SCHEMA	1
#define VERSION_V4		3
#define VERSION_V5		4

/* Schema, Field, DictionaryEncoding and KeyValue table slots */
enum
{
	SCH_ENDIANNESS, SCH_FIELDS, SCH_METADATA, SCH_FEATURES
};
enum
{
	FLD_NAME, FLD_NULLABLE, FLD_TYPE_TYPE, FLD_TYPE, FLD_DICTIONARY,
	FLD_CHILDREN, FLD_METADATA
};
enum
{
	DICT_ID, DICT_INDEX_TYPE, DICT_ORDERED, DICT_KIND
};

/* ---------------------------------------------------------------- reading */

typedef struct Reader
{
	const uint8_t *buf;			/* the FlatBuffer (after the 8-byte prefix) */
	uint64_t	len;
	const ArrowAllocator *mem;
	ArrowError *err;
	int32_t		n_fields;		/* fields decoded so far */
	uint64_t	work;			/* bytes scanned and items visited */
	int			depth;			/* entries used in path[] */
	struct
	{
		const char *name;		/* NULL until read */
		int32_t		index;
	}			path[ARROW_MAX_DEPTH + 2];
} Reader;

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

/* A table whose vtable has been checked */
typedef struct Table
{
	uint64_t	pos;
	uint64_t	vt;
	uint16_t	vt_size;
} Table;

/* Little-endian loads */
static uint16_t
get_u16(const uint8_t *p)
{
	return (uint16_t) (p[0] | (p[1] << 8));
}

/* Little-endian 32-bit load */
static uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) |
		((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

/* Little-endian 64-bit load */
static uint64_t
get_u64(const uint8_t *p)
{
	return (uint64_t) get_u32(p) | ((uint64_t) get_u32(p + 4) << 32);
}

/* Write the field path ("a"."b", or #N for a field not yet named) to buf */
static void
format_path(const Reader *r, char *buf, size_t size)
{
	size_t		used = 0;

	buf[0] = '\0';
	for (int i = 0; i < r->depth && used + 60 < size; i++)
	{
		const char *name = r->path[i].name;

		if (i > 0)
			buf[used++] = '.';
		if (name == NULL)
			used += snprintf(buf + used, size - used, "#%d", (int) r->path[i].index + 1);
		else
		{
			size_t		n = strlen(name);

			if (n > 48)
			{
				n = 48;
				while (n > 0 && (name[n] & 0xC0) == 0x80)
					n--;		/* do not split a UTF-8 sequence */
			}
			buf[used++] = '"';
			memcpy(buf + used, name, n);
			used += n;
			used += snprintf(buf + used, size - used, "%s\"",
							 n < strlen(name) ? "..." : "");
		}
		buf[used] = '\0';
	}
}

/* Record an error, prefixed with the field path; always returns false */
static bool
fail(Reader *r, const char *fmt,...)
__attribute__((format(printf, 2, 3)));

static bool
fail(Reader *r, const char *fmt,...)
{
	char		path[400];
	size_t		used = 0;
	va_list		ap;

	if (r->depth > 0)
	{
		format_path(r, path, sizeof(path));
		used = snprintf(r->err->message, sizeof(r->err->message),
						"field %s: ", path);
		if (used >= sizeof(r->err->message))
			used = sizeof(r->err->message) - 1;
	}
	va_start(ap, fmt);
	vsnprintf(r->err->message + used, sizeof(r->err->message) - used, fmt, ap);
	va_end(ap);
	return false;
}

/* Count work done; false once the budget is spent */
static bool
spend(Reader *r, uint64_t units)
{
	r->work += units;
	if (r->work > MAX_WORK)
		return fail(r, "schema message is too complex to decode");
	return true;
}

/* Is [pos, pos + size) inside the buffer, with pos aligned to "align"? */
static bool
check_range(Reader *r, uint64_t pos, uint64_t size, unsigned align,
			const char *what)
{
	if (pos > r->len || size > r->len - pos)
		return fail(r, "%s at offset %llu lies outside the %llu bytes of metadata",
					what, (unsigned long long) pos, (unsigned long long) r->len);
	if (pos % align != 0)
		return fail(r, "%s at offset %llu is misaligned",
					what, (unsigned long long) pos);
	return true;
}

/* Check the table at pos and its vtable */
static bool
open_table(Reader *r, uint64_t pos, Table *t, const char *what)
{
	int64_t		vt;

	if (!spend(r, 1) || !check_range(r, pos, 4, 4, what))
		return false;
	vt = (int64_t) pos - (int64_t) (int32_t) get_u32(r->buf + pos);
	if (vt < 0)
		return fail(r, "vtable of %s lies outside the metadata", what);
	if (!check_range(r, (uint64_t) vt, 4, 2, "vtable"))
		return false;
	t->pos = pos;
	t->vt = (uint64_t) vt;
	t->vt_size = get_u16(r->buf + vt);
	if (t->vt_size < 4 || t->vt_size % 2 != 0)
		return fail(r, "vtable of %s has a bad size %u", what, t->vt_size);
	return check_range(r, t->vt, t->vt_size, 2, "vtable");
}

/* Offset of slot "field" within the table, 0 when absent */
static uint16_t
slot_offset(const Reader *r, const Table *t, int field)
{
	uint64_t	entry = 4 + 2 * (uint64_t) field;

	if (entry + 2 > t->vt_size)
		return 0;
	return get_u16(r->buf + t->vt + entry);
}

/* Read an unsigned scalar of 1, 2, 4 or 8 bytes, or def when absent */
static bool
get_scalar(Reader *r, const Table *t, int field, unsigned size,
		   uint64_t def, uint64_t *value, const char *what)
{
	uint16_t	off = slot_offset(r, t, field);
	const uint8_t *p;

	*value = def;
	if (off == 0)
		return true;
	if (!check_range(r, t->pos + off, size, size, what))
		return false;
	p = r->buf + t->pos + off;
	*value = size == 1 ? p[0] : size == 2 ? get_u16(p) :
		size == 4 ? get_u32(p) : get_u64(p);
	return true;
}

/* Read a signed scalar (sign-extended) */
static bool
get_signed(Reader *r, const Table *t, int field, unsigned size,
		   int64_t def, int64_t *value, const char *what)
{
	uint64_t	raw;

	if (!get_scalar(r, t, field, size, (uint64_t) def, &raw, what))
		return false;
	if (size == 2)
		*value = (int16_t) raw;
	else if (size == 4)
		*value = (int32_t) raw;
	else
		*value = (int64_t) raw;
	return true;
}

/* Follow an offset slot; *target = 0 when the slot is absent */
static bool
get_offset(Reader *r, const Table *t, int field, uint64_t *target,
		   const char *what)
{
	uint16_t	off = slot_offset(r, t, field);
	uint64_t	pos = t->pos + off;

	*target = 0;
	if (off == 0)
		return true;
	if (!check_range(r, pos, 4, 4, what))
		return false;
	*target = pos + get_u32(r->buf + pos);
	if (*target == pos || *target >= r->len)
		return fail(r, "%s offset points outside the metadata", what);
	return true;
}

/* Check a vector header; elements start at *first */
static bool
get_vector(Reader *r, uint64_t pos, unsigned elem_size, uint32_t *n,
		   uint64_t *first, const char *what)
{
	if (!check_range(r, pos, 4, 4, what))
		return false;
	*n = get_u32(r->buf + pos);
	*first = pos + 4;
	return check_range(r, *first, (uint64_t) *n * elem_size,
					   elem_size < 4 ? 1 : elem_size, what) &&
		spend(r, *n);
}

/* Is s[0..n) valid UTF-8 without NUL bytes? */
static bool
valid_utf8(const uint8_t *s, uint64_t n)
{
	uint64_t	i = 0;

	while (i < n)
	{
		uint8_t		c = s[i];
		int			extra;
		uint32_t	cp;

		if (c == 0)
			return false;
		if (c < 0x80)
		{
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0)
			extra = 1, cp = c & 0x1F;
		else if ((c & 0xF0) == 0xE0)
			extra = 2, cp = c & 0x0F;
		else if ((c & 0xF8) == 0xF0)
			extra = 3, cp = c & 0x07;
		else
			return false;
		if (n - i <= (uint64_t) extra)
			return false;
		for (int k = 1; k <= extra; k++)
		{
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) ||
			(extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
			(cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += extra + 1;
	}
	return true;
}

/* Read a string at pos; text strings must also be valid UTF-8 */
static bool
get_string(Reader *r, uint64_t pos, bool text, const char **out,
		   const char *what)
{
	uint32_t	n;

	if (!check_range(r, pos, 4, 4, what))
		return false;
	n = get_u32(r->buf + pos);
	if (!check_range(r, pos + 4, (uint64_t) n + 1, 1, what))
		return false;
	if (r->buf[pos + 4 + n] != 0)
		return fail(r, "%s is not NUL-terminated", what);
	if (text && !spend(r, n))
		return false;
	if (text && !valid_utf8(r->buf + pos + 4, n))
		return fail(r, "%s is not valid UTF-8 or contains a NUL byte", what);
	*out = (const char *) r->buf + pos + 4;
	return true;
}

/* Check a custom_metadata vector of KeyValue tables (contents unused) */
static bool
check_metadata(Reader *r, const Table *t, int field)
{
	uint64_t	vec,
				first;
	uint32_t	n;
	const char *s;

	if (!get_offset(r, t, field, &vec, "custom_metadata"))
		return false;
	if (vec == 0)
		return true;
	if (!get_vector(r, vec, 4, &n, &first, "custom_metadata"))
		return false;
	for (uint32_t i = 0; i < n; i++)
	{
		uint64_t	slot = first + 4 * (uint64_t) i;
		uint64_t	kv = slot + get_u32(r->buf + slot);
		Table		kvt;

		if (!open_table(r, kv, &kvt, "custom_metadata entry"))
			return false;
		for (int f = 0; f < 2; f++)
		{
			uint64_t	str;

			if (!get_offset(r, &kvt, f, &str, "custom_metadata entry") ||
				(str != 0 && !get_string(r, str, false, &s, "custom_metadata entry")))
				return false;
		}
	}
	return true;
}

/* Allocate zeroed memory or fail */
static void *
alloc_or_fail(Reader *r, size_t size)
{
	void	   *p = r->mem->alloc(r->mem->ctx, size ? size : 1);

	if (p == NULL)
		fail(r, "out of memory");
	return p;
}

/* Read a unit (int16 slot 0) with its default, checking it is in 0..max */
static bool
read_unit(Reader *r, const Table *t, int64_t def, int64_t max,
		  ArrowField *f, const char *what)
{
	int64_t		unit;

	if (!get_signed(r, t, 0, 2, def, &unit, what))
		return false;
	if (unit < 0 || unit > max)
		return fail(r, "%s has an unknown unit %lld", what, (long long) unit);
	f->unit = (int16_t) unit;
	return true;
}

/* Read a Union type table's mode and typeIds */
static bool
read_union(Reader *r, const Table *t, ArrowField *f)
{
	uint64_t	vec,
				first;
	uint32_t	n;
	int32_t    *ids;

	if (!read_unit(r, t, ARROW_UNION_SPARSE, ARROW_UNION_DENSE, f, "Union mode") ||
		!get_offset(r, t, 1, &vec, "Union typeIds"))
		return false;
	if (vec == 0)
		return true;
	if (!get_vector(r, vec, 4, &n, &first, "Union typeIds"))
		return false;
	if (n > 128)
		return fail(r, "Union has %u type ids (at most 128)", n);
	if ((ids = alloc_or_fail(r, n * sizeof(int32_t))) == NULL)
		return false;
	for (uint32_t i = 0; i < n; i++)
	{
		ids[i] = (int32_t) get_u32(r->buf + first + 4 * (uint64_t) i);
		if (ids[i] < 0 || ids[i] > 127)
			return fail(r, "Union type id %d is outside 0..127", (int) ids[i]);
	}
	f->type_ids = ids;
	f->n_type_ids = (int32_t) n;
	return true;
}

/* Read an Int table (also a dictionary's indexType) */
static bool
read_int(Reader *r, const Table *t, int32_t *bits, bool *is_signed)
{
	int64_t		w;
	uint64_t	s;

	if (!get_signed(r, t, 0, 4, 0, &w, "Int bitWidth") ||
		!get_scalar(r, t, 1, 1, 0, &s, "Int is_signed"))
		return false;
	if (w != 8 && w != 16 && w != 32 && w != 64)
		return fail(r, "Int bitWidth %lld is not 8, 16, 32 or 64", (long long) w);
	*bits = (int32_t) w;
	*is_signed = s != 0;
	return true;
}

/* Read a Decimal table */
static bool
read_decimal(Reader *r, const Table *t, ArrowField *f)
{
	int64_t		p,
				s,
				w,
				max;

	if (!get_signed(r, t, 0, 4, 0, &p, "Decimal precision") ||
		!get_signed(r, t, 1, 4, 0, &s, "Decimal scale") ||
		!get_signed(r, t, 2, 4, 128, &w, "Decimal bitWidth"))
		return false;
	max = w == 32 ? 9 : w == 64 ? 18 : w == 128 ? 38 : w == 256 ? 76 : 0;
	if (max == 0)
		return fail(r, "Decimal bitWidth %lld is not 32, 64, 128 or 256", (long long) w);
	if (p < 1 || p > max)
		return fail(r, "Decimal precision %lld is outside 1..%lld", (long long) p, (long long) max);
	if (s > p || s < -128)
		return fail(r, "Decimal scale %lld is outside -128..%lld", (long long) s, (long long) p);
	f->precision = (int32_t) p;
	f->scale = (int32_t) s;
	f->bit_width = (int32_t) w;
	return true;
}

/* Read the parameters of a Time, Timestamp, Date, Duration or Interval */
static bool
read_temporal(Reader *r, const Table *t, ArrowField *f)
{
	int64_t		w;
	uint64_t	tz;

	switch (f->type)
	{
		case ARROW_TYPE_DATE:
			return read_unit(r, t, ARROW_DATE_MILLISECOND,
							 ARROW_DATE_MILLISECOND, f, "Date");
		case ARROW_TYPE_INTERVAL:
			return read_unit(r, t, ARROW_INTERVAL_YEAR_MONTH,
							 ARROW_INTERVAL_MONTH_DAY_NANO, f, "Interval");
		case ARROW_TYPE_DURATION:
			return read_unit(r, t, ARROW_TIME_MILLISECOND,
							 ARROW_TIME_NANOSECOND, f, "Duration");
		case ARROW_TYPE_TIME:
			if (!read_unit(r, t, ARROW_TIME_MILLISECOND,
						   ARROW_TIME_NANOSECOND, f, "Time") ||
				!get_signed(r, t, 1, 4, 32, &w, "Time bitWidth"))
				return false;
			if (w != (f->unit <= ARROW_TIME_MILLISECOND ? 32 : 64))
				return fail(r, "Time bitWidth %lld does not match its unit", (long long) w);
			f->bit_width = (int32_t) w;
			return true;
		default:				/* TIMESTAMP */
			if (!read_unit(r, t, ARROW_TIME_SECOND,
						   ARROW_TIME_NANOSECOND, f, "Timestamp") ||
				!get_offset(r, t, 1, &tz, "Timestamp timezone"))
				return false;
			if (tz != 0 && !get_string(r, tz, true, &f->timezone, "Timestamp timezone"))
				return false;
			if (f->timezone != NULL && f->timezone[0] == '\0')
				f->timezone = NULL;
			return true;
	}
}

/* Read the type table of field f, whose type id is already known */
static bool
read_type(Reader *r, uint64_t pos, ArrowField *f)
{
	Table		t;
	int64_t		v;
	uint64_t	u;

	if (!open_table(r, pos, &t, "type table"))
		return false;
	switch (f->type)
	{
		case ARROW_TYPE_INT:
			return read_int(r, &t, &f->bit_width, &f->is_signed);
		case ARROW_TYPE_FLOATING_POINT:
			return read_unit(r, &t, ARROW_PRECISION_HALF, ARROW_PRECISION_DOUBLE,
							 f, "FloatingPoint precision");
		case ARROW_TYPE_DECIMAL:
			return read_decimal(r, &t, f);
		case ARROW_TYPE_DATE:
		case ARROW_TYPE_TIME:
		case ARROW_TYPE_TIMESTAMP:
		case ARROW_TYPE_INTERVAL:
		case ARROW_TYPE_DURATION:
			return read_temporal(r, &t, f);
		case ARROW_TYPE_FIXED_SIZE_BINARY:
		case ARROW_TYPE_FIXED_SIZE_LIST:
			if (!get_signed(r, &t, 0, 4, 0, &v, "size"))
				return false;
			if (v < 0)
				return fail(r, "negative size %lld", (long long) v);
			f->size = (int32_t) v;
			return true;
		case ARROW_TYPE_MAP:
			if (!get_scalar(r, &t, 0, 1, 0, &u, "Map keysSorted"))
				return false;
			f->keys_sorted = u != 0;
			return true;
		case ARROW_TYPE_UNION:
			return read_union(r, &t, f);
		default:
			return true;		/* types without parameters */
	}
}

/* Read a field's optional DictionaryEncoding */
static bool
read_dictionary(Reader *r, uint64_t pos, ArrowField *f)
{
	Table		t;
	int64_t		id,
				kind;
	uint64_t	ordered,
				index;
	Table		it;

	if (!open_table(r, pos, &t, "dictionary") ||
		!get_signed(r, &t, DICT_ID, 8, 0, &id, "dictionary id") ||
		!get_offset(r, &t, DICT_INDEX_TYPE, &index, "dictionary indexType") ||
		!get_scalar(r, &t, DICT_ORDERED, 1, 0, &ordered, "dictionary isOrdered") ||
		!get_signed(r, &t, DICT_KIND, 2, 0, &kind, "dictionaryKind"))
		return false;
	if (kind != 0)
		return fail(r, "unknown dictionaryKind %lld", (long long) kind);
	f->dict = true;
	f->dict_id = id;
	f->dict_ordered = ordered != 0;
	f->dict_index_bit_width = 32;	/* Schema.fbs: absent means int32 */
	f->dict_index_signed = true;
	if (index == 0)
		return true;
	return open_table(r, index, &it, "dictionary indexType") &&
		read_int(r, &it, &f->dict_index_bit_width, &f->dict_index_signed);
}

static bool read_field(Reader *r, uint64_t pos, ArrowField *f);

/* Read a vector of Field offsets into a freshly allocated array */
static bool
read_fields(Reader *r, uint64_t vec, int32_t *n_out, ArrowField **out,
			const char *what)
{
	uint64_t	first;
	uint32_t	n;
	ArrowField *fields;

	if (!get_vector(r, vec, 4, &n, &first, what))
		return false;
	if (r->depth > ARROW_MAX_DEPTH)
		return fail(r, "fields are nested more than %d levels deep", ARROW_MAX_DEPTH);
	if (n > (uint32_t) (ARROW_MAX_FIELDS - r->n_fields))
		return fail(r, "schema has more than %d fields", ARROW_MAX_FIELDS);
	if ((fields = alloc_or_fail(r, n * sizeof(ArrowField))) == NULL)
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
		return fail(r, "%s needs %d child field%s, found %d",
					type_names[f->type], want, want == 1 ? "" : "s",
					(int) f->n_children);
	if (f->type == ARROW_TYPE_MAP &&
		(f->children[0].type != ARROW_TYPE_STRUCT ||
		 f->children[0].n_children != 2))
		return fail(r, "Map entries must be a struct of two fields");
	if (f->type == ARROW_TYPE_UNION && f->n_type_ids != 0 &&
		f->n_type_ids != f->n_children)
		return fail(r, "Union has %d type ids for %d children",
					(int) f->n_type_ids, (int) f->n_children);
	if (f->type == ARROW_TYPE_RUN_END_ENCODED &&
		(f->children[0].type != ARROW_TYPE_INT || !f->children[0].is_signed ||
		 f->children[0].bit_width == 8))
		return fail(r, "run_ends must be int16, int32 or int64");
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
		return fail(r, "schema has more than %d fields", ARROW_MAX_FIELDS);
	if (!open_table(r, pos, &t, "Field table") ||
		!get_offset(r, &t, FLD_NAME, &name, "name"))
		return false;
	f->name = "";
	if (name != 0 && !get_string(r, name, true, &f->name, "name"))
		return false;
	r->path[r->depth - 1].name = f->name;
	if (!get_scalar(r, &t, FLD_NULLABLE, 1, 0, &nullable, "nullable") ||
		!get_scalar(r, &t, FLD_TYPE_TYPE, 1, 0, &type_type, "type_type") ||
		!get_offset(r, &t, FLD_TYPE, &type, "type") ||
		!get_offset(r, &t, FLD_DICTIONARY, &dict, "dictionary") ||
		!get_offset(r, &t, FLD_CHILDREN, &children, "children") ||
		!check_metadata(r, &t, FLD_METADATA))
		return false;
	f->nullable = nullable != 0;
	if (type_type == ARROW_TYPE_NONE)
		return fail(r, "no type (type_type is NONE)");
	if (type_type > ARROW_TYPE_MAX)
		return fail(r, "unknown Arrow type id %d", (int) type_type);
	f->type = (ArrowTypeId) type_type;
	if (type == 0)
		return fail(r, "no type table");
	if (children == 0)
		return fail(r, "no children vector");
	if (!read_type(r, type, f) ||
		(dict != 0 && !read_dictionary(r, dict, f)) ||
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

	if (!open_table(r, pos, &t, "Schema table") ||
		!get_signed(r, &t, SCH_ENDIANNESS, 2, 0, &endianness, "endianness") ||
		!get_offset(r, &t, SCH_FIELDS, &fields, "fields") ||
		!get_offset(r, &t, SCH_FEATURES, &features, "features") ||
		!check_metadata(r, &t, SCH_METADATA))
		return false;
	if (endianness != 0)
		return fail(r, "schema endianness is %s; only little-endian is supported",
					endianness == 1 ? "big-endian" : "unknown");
	if (features != 0 && !get_vector(r, features, 8, &n, &first, "features"))
		return false;
	if (fields == 0)
		return fail(r, "schema has no fields vector");
	return read_fields(r, fields, &schema->n_fields, &schema->fields, "fields vector");
}

/* Check the 8-byte prefix and the message length */
static bool
check_prefix(Reader *r, const uint8_t *buf, size_t len)
{
	int32_t		mlen;

	if (len < PREFIX_LEN)
		return fail(r, "message is too short: only %zu bytes", len);
	if (get_u32(buf) != CONTINUATION)
		return fail(r, "message does not start with the continuation marker 0xFFFFFFFF");
	mlen = (int32_t) get_u32(buf + 4);
	if (mlen == 0)
		return fail(r, "message is an end-of-stream marker, not a schema");
	if (mlen < 0 || mlen % 8 != 0)
		return fail(r, "metadata length %d is not a positive multiple of 8", (int) mlen);
	if ((uint64_t) mlen > len - PREFIX_LEN)
		return fail(r, "message is truncated: metadata length %d, but only %zu bytes follow",
					(int) mlen, len - PREFIX_LEN);
	if ((uint64_t) mlen < len - PREFIX_LEN)
		return fail(r, "%zu bytes follow the schema message (a body or another message?)",
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
		!check_range(&r, 0, 4, 4, "root offset") ||
		!open_table(&r, get_u32(r.buf), &msg, "Message table") ||
		!get_signed(&r, &msg, MSG_VERSION, 2, 0, &version, "version") ||
		!get_scalar(&r, &msg, MSG_HEADER_TYPE, 1, 0, &header_type, "header_type") ||
		!get_offset(&r, &msg, MSG_HEADER, &header, "header") ||
		!get_signed(&r, &msg, MSG_BODY_LENGTH, 8, 0, &body, "bodyLength") ||
		!check_metadata(&r, &msg, MSG_METADATA))
		return false;
	if (version != VERSION_V4 && version != VERSION_V5)
		return fail(&r, "unsupported metadata version V%lld (need V4 or V5)",
					(long long) version + 1);
	if (header_type != HEADER_SCHEMA)
		return fail(&r, "message header type is %d, not Schema (1)", (int) header_type);
	if (header == 0)
		return fail(&r, "message has no header");
	if (body != 0)
		return fail(&r, "schema message declares a body of %lld bytes", (long long) body);
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

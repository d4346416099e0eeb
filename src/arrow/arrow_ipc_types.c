/*
 * arrow_ipc_types.c
 *		Readers for the type tables of Schema.fbs (Int, FloatingPoint,
 *		Decimal, Date, Time, Timestamp, Interval, Duration, FixedSizeBinary,
 *		FixedSizeList, Map, Union) and for a field's DictionaryEncoding,
 *		each checking that its parameters make sense.
 *
 * Called by arrow_ipc.c while it walks the fields; uses the checked
 * FlatBuffer access of arrow_ipc_flatbuf.c.  No PostgreSQL code.
 */
#include "arrow_ipc_internal.h"

/* DictionaryEncoding table slots */
enum
{
	DICT_ID, DICT_INDEX_TYPE, DICT_ORDERED, DICT_KIND
};

/* Read a unit (int16 slot 0) with its default, checking it is in 0..max */
static bool
read_unit(Reader *r, const Table *t, int64_t def, int64_t max,
		  ArrowField *f, const char *what)
{
	int64_t		unit;

	if (!ipc_get_signed(r, t, 0, 2, def, &unit, what))
		return false;
	if (unit < 0 || unit > max)
		return ipc_fail(r, "%s has an unknown unit %lld", what, (long long) unit);
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
		!ipc_get_offset(r, t, 1, &vec, "Union typeIds"))
		return false;
	if (vec == 0)
		return true;
	if (!ipc_get_vector(r, vec, 4, &n, &first, "Union typeIds"))
		return false;
	if (n > 128)
		return ipc_fail(r, "Union has %u type ids (at most 128)", n);
	if ((ids = ipc_alloc_or_fail(r, n * sizeof(int32_t))) == NULL)
		return false;
	for (uint32_t i = 0; i < n; i++)
	{
		ids[i] = (int32_t) get_u32(r->buf + first + 4 * (uint64_t) i);
		if (ids[i] < 0 || ids[i] > 127)
			return ipc_fail(r, "Union type id %d is outside 0..127", (int) ids[i]);
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

	if (!ipc_get_signed(r, t, 0, 4, 0, &w, "Int bitWidth") ||
		!ipc_get_scalar(r, t, 1, 1, 0, &s, "Int is_signed"))
		return false;
	if (w != 8 && w != 16 && w != 32 && w != 64)
		return ipc_fail(r, "Int bitWidth %lld is not 8, 16, 32 or 64", (long long) w);
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

	if (!ipc_get_signed(r, t, 0, 4, 0, &p, "Decimal precision") ||
		!ipc_get_signed(r, t, 1, 4, 0, &s, "Decimal scale") ||
		!ipc_get_signed(r, t, 2, 4, 128, &w, "Decimal bitWidth"))
		return false;
	max = w == 32 ? 9 : w == 64 ? 18 : w == 128 ? 38 : w == 256 ? 76 : 0;
	if (max == 0)
		return ipc_fail(r, "Decimal bitWidth %lld is not 32, 64, 128 or 256", (long long) w);
	if (p < 1 || p > max)
		return ipc_fail(r, "Decimal precision %lld is outside 1..%lld", (long long) p, (long long) max);
	if (s > p || s < -128)
		return ipc_fail(r, "Decimal scale %lld is outside -128..%lld", (long long) s, (long long) p);
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
				!ipc_get_signed(r, t, 1, 4, 32, &w, "Time bitWidth"))
				return false;
			if (w != (f->unit <= ARROW_TIME_MILLISECOND ? 32 : 64))
				return ipc_fail(r, "Time bitWidth %lld does not match its unit", (long long) w);
			f->bit_width = (int32_t) w;
			return true;
		default:				/* TIMESTAMP */
			if (!read_unit(r, t, ARROW_TIME_SECOND,
						   ARROW_TIME_NANOSECOND, f, "Timestamp") ||
				!ipc_get_offset(r, t, 1, &tz, "Timestamp timezone"))
				return false;
			if (tz != 0 && !ipc_get_string(r, tz, true, &f->timezone, "Timestamp timezone"))
				return false;
			if (f->timezone != NULL && f->timezone[0] == '\0')
				f->timezone = NULL;
			return true;
	}
}

/* Read the type table of field f, whose type id is already known */
bool
ipc_read_type(Reader *r, uint64_t pos, ArrowField *f)
{
	Table		t;
	int64_t		v;
	uint64_t	u;

	if (!ipc_open_table(r, pos, &t, "type table"))
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
			if (!ipc_get_signed(r, &t, 0, 4, 0, &v, "size"))
				return false;
			if (v < 0)
				return ipc_fail(r, "negative size %lld", (long long) v);
			f->size = (int32_t) v;
			return true;
		case ARROW_TYPE_MAP:
			if (!ipc_get_scalar(r, &t, 0, 1, 0, &u, "Map keysSorted"))
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
bool
ipc_read_dictionary(Reader *r, uint64_t pos, ArrowField *f)
{
	Table		t;
	int64_t		id,
				kind;
	uint64_t	ordered,
				index;
	Table		it;

	if (!ipc_open_table(r, pos, &t, "dictionary") ||
		!ipc_get_signed(r, &t, DICT_ID, 8, 0, &id, "dictionary id") ||
		!ipc_get_offset(r, &t, DICT_INDEX_TYPE, &index, "dictionary indexType") ||
		!ipc_get_scalar(r, &t, DICT_ORDERED, 1, 0, &ordered, "dictionary isOrdered") ||
		!ipc_get_signed(r, &t, DICT_KIND, 2, 0, &kind, "dictionaryKind"))
		return false;
	if (kind != 0)
		return ipc_fail(r, "unknown dictionaryKind %lld", (long long) kind);
	f->dict = true;
	f->dict_id = id;
	f->dict_ordered = ordered != 0;
	f->dict_index_bit_width = 32;	/* Schema.fbs: absent means int32 */
	f->dict_index_signed = true;
	if (index == 0)
		return true;
	return ipc_open_table(r, index, &it, "dictionary indexType") &&
		read_int(r, &it, &f->dict_index_bit_width, &f->dict_index_signed);
}

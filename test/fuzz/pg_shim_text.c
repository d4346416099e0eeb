/*-------------------------------------------------------------------------
 * pg_shim_text.c
 *	  Encodings (mbutils.c), text, varlena, arrays and lists.
 *	  Part of the backend stand-in of the fuzz targets (see pg_shim.c).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

#include "access/htup_details.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/elog.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "fuzz_shim.h"
#include "pg_shim_internal.h"

/* ---------------------------------------------------------------------
 * Encodings (mbutils.c; the database encoding is UTF8)
 * ---------------------------------------------------------------------
 */
int
GetDatabaseEncoding(void)
{
	return PG_UTF8;
}

const char *
GetDatabaseEncodingName(void)
{
	return "UTF8";
}

int
pg_database_encoding_max_length(void)
{
	return pg_wchar_table[PG_UTF8].maxmblen;
}

static void report_invalid_encoding_int(int encoding, const char *mbstr, int mblen,
										int len) pg_attribute_noreturn();

static void
report_invalid_encoding_int(int encoding, const char *mbstr, int mblen, int len)
{
	char		buf[8 * 5 + 1];
	char	   *p = buf;
	int			jlimit = Min(Min(mblen, len), 8);

	buf[0] = '\0';
	for (int j = 0; j < jlimit; j++)
	{
		p += sprintf(p, "0x%02x", (unsigned char) mbstr[j]);
		if (j < jlimit - 1)
			p += sprintf(p, " ");
	}
	ereport(ERROR,
			(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
			 errmsg("invalid byte sequence for encoding \"%s\": %s", "UTF8", buf)));
	pg_unreachable();
}

void
report_invalid_encoding(int encoding, const char *mbstr, int len)
{
	int			l = pg_encoding_mblen_or_incomplete(encoding, mbstr, len);

	report_invalid_encoding_int(encoding, mbstr, l, len);
}

int
pg_mblen_unbounded(const char *mbstr)
{
	return pg_wchar_table[PG_UTF8].mblen((const unsigned char *) mbstr);
}

int
pg_mblen(const char *mbstr)
{
	return pg_mblen_unbounded(mbstr);
}

int
pg_mblen_cstr(const char *mbstr)
{
	int			length = pg_mblen_unbounded(mbstr);

	for (int i = 1; i < length; ++i)
		if (unlikely(mbstr[i] == 0))
			report_invalid_encoding_int(PG_UTF8, mbstr, length, i);
	return length;
}

int
pg_mblen_range(const char *mbstr, const char *end)
{
	int			length = pg_mblen_unbounded(mbstr);

	if (end <= mbstr)
		shim_fail("pg_mblen_range: empty range");
	if (unlikely(mbstr + length > end))
		report_invalid_encoding_int(PG_UTF8, mbstr, length, end - mbstr);
	return length;
}

int
pg_mblen_with_len(const char *mbstr, int limit)
{
	int			length = pg_mblen_unbounded(mbstr);

	if (limit < 1)
		shim_fail("pg_mblen_with_len: limit %d", limit);
	if (unlikely(length > limit))
		report_invalid_encoding_int(PG_UTF8, mbstr, length, limit);
	return length;
}

int
pg_mbstrlen(const char *mbstr)
{
	int			len = 0;

	while (*mbstr)
	{
		mbstr += pg_mblen_cstr(mbstr);
		len++;
	}
	return len;
}

int
pg_mbstrlen_with_len(const char *mbstr, int limit)
{
	int			len = 0;

	while (limit > 0 && *mbstr)
	{
		int			l = pg_mblen_with_len(mbstr, limit);

		limit -= l;
		mbstr += l;
		len++;
	}
	return len;
}

int
pg_encoding_mbcliplen(int encoding, const char *mbstr, int len, int limit)
{
	mblen_converter mblen_fn;
	int			clen = 0;
	int			l;

	if (pg_encoding_max_length(encoding) == 1)
	{
		len = Min(len, limit);
		while (clen < len && mbstr[clen])
			clen++;
		return clen;
	}
	mblen_fn = pg_wchar_table[encoding].mblen;
	while (len > 0 && *mbstr)
	{
		l = (*mblen_fn) ((const unsigned char *) mbstr);
		if ((clen + l) > limit)
			break;
		clen += l;
		if (clen == limit)
			break;
		len -= l;
		mbstr += l;
	}
	return clen;
}

int
pg_mbcliplen(const char *mbstr, int len, int limit)
{
	return pg_encoding_mbcliplen(PG_UTF8, mbstr, len, limit);
}

bool
pg_verify_mbstr(int encoding, const char *mbstr, int len, bool noError)
{
	int			oklen = pg_wchar_table[encoding].mbverifystr((const unsigned char *) mbstr, len);

	if (oklen != len)
	{
		if (noError)
			return false;
		report_invalid_encoding(encoding, mbstr + oklen, len - oklen);
	}
	return true;
}

bool
pg_verifymbstr(const char *mbstr, int len, bool noError)
{
	return pg_verify_mbstr(PG_UTF8, mbstr, len, noError);
}

char *
pg_any_to_server(const char *s, int len, int encoding)
{
	if (len <= 0)
		return unconstify(char *, s);
	if (encoding == PG_UTF8 || encoding == PG_SQL_ASCII)
	{
		(void) pg_verify_mbstr(PG_UTF8, s, len, false);
		return unconstify(char *, s);
	}
	unexpected("pg_any_to_server (a conversion between encodings)");
	return NULL;
}

char *
pg_server_to_any(const char *s, int len, int encoding)
{
	if (len <= 0 || encoding == PG_UTF8 || encoding == PG_SQL_ASCII)
		return unconstify(char *, s);
	unexpected("pg_server_to_any (a conversion between encodings)");
	return NULL;
}

/* Step to the next bit of an array's null bitmap (as arrayfuncs.c does). */
static void
next_null_bit(bits8 **bitmap, int *bitmask)
{
	*bitmask <<= 1;
	if (*bitmask == 0x100)
	{
		(*bitmap)++;
		*bitmask = 1;
	}
}

/* ---------------------------------------------------------------------
 * text, varlena, arrays, lists
 * ---------------------------------------------------------------------
 */
text *
cstring_to_text_with_len(const char *s, int len)
{
	text	   *result = (text *) palloc(len + VARHDRSZ);

	SET_VARSIZE(result, len + VARHDRSZ);
	memcpy(VARDATA(result), s, len);
	return result;
}

text *
cstring_to_text(const char *s)
{
	return cstring_to_text_with_len(s, strlen(s));
}

struct varlena *
pg_detoast_datum(struct varlena *datum)
{
	if (VARATT_IS_EXTENDED(datum))
		unexpected("pg_detoast_datum of a toasted or short value");
	return datum;
}

struct varlena *
pg_detoast_datum_packed(struct varlena *datum)
{
	if (VARATT_IS_COMPRESSED(datum) || VARATT_IS_EXTERNAL(datum))
		unexpected("pg_detoast_datum_packed of a toasted value");
	return datum;
}

char *
text_to_cstring(const text *t)
{
	text	   *tunpacked = pg_detoast_datum_packed(unconstify(text *, t));
	int			len = VARSIZE_ANY_EXHDR(tunpacked);
	char	   *result = (char *) palloc(len + 1);

	memcpy(result, VARDATA_ANY(tunpacked), len);
	result[len] = '\0';
	return result;
}

int
ArrayGetNItems(int ndim, const int *dims)
{
	int64		n = 1;

	if (ndim <= 0)
		return 0;
	for (int i = 0; i < ndim; i++)
		n *= dims[i];
	if (n > (int64) MaxArraySize)
		shim_fail("array too large");
	return (int) n;
}

ArrayType *
construct_md_array(Datum *elems, bool *nulls, int ndims, int *dims, int *lbs, Oid elmtype,
				   int elmlen, bool elmbyval, char elmalign)
{
	int			nelems = ArrayGetNItems(ndims, dims);
	bool		hasnulls = false;
	int32		nbytes = 0;
	int32		dataoffset;
	ArrayType  *result;
	char	   *p;
	bits8	   *bitmap;
	int			bitmask;

	if (elmlen != -1 || elmalign != TYPALIGN_INT || ndims > 1)
		unexpected("construct_md_array of a type other than a 1-D varlena array");
	for (int i = 0; i < nelems; i++)
	{
		if (nulls && nulls[i])
		{
			hasnulls = true;
			continue;
		}
		nbytes = att_addlength_datum(nbytes, elmlen, elems[i]);
		nbytes = att_align_nominal(nbytes, elmalign);
	}
	dataoffset = hasnulls ? ARR_OVERHEAD_WITHNULLS(ndims, nelems) : 0;
	nbytes += hasnulls ? dataoffset : ARR_OVERHEAD_NONULLS(ndims);
	result = (ArrayType *) palloc0(nbytes);
	SET_VARSIZE(result, nbytes);
	result->ndim = ndims;
	result->dataoffset = dataoffset;
	result->elemtype = elmtype;
	if (ndims > 0)
	{
		memcpy(ARR_DIMS(result), dims, ndims * sizeof(int));
		memcpy(ARR_LBOUND(result), lbs, ndims * sizeof(int));
	}
	p = ARR_DATA_PTR(result);
	bitmap = ARR_NULLBITMAP(result);
	bitmask = 1;
	for (int i = 0; i < nelems; i++)
	{
		if (!(nulls && nulls[i]))
		{
			Size		len = VARSIZE_ANY(DatumGetPointer(elems[i]));

			if (bitmap)
				*bitmap |= bitmask;
			memcpy(p, DatumGetPointer(elems[i]), len);
			p += len;
			p = (char *) att_align_nominal(p, elmalign);
		}
		if (bitmap)
			next_null_bit(&bitmap, &bitmask);
	}
	return result;
}

ArrayType *
construct_array(Datum *elems, int nelems, Oid elmtype, int elmlen, bool elmbyval, char elmalign)
{
	int			dims[1] = {nelems};
	int			lbs[1] = {1};

	return construct_md_array(elems, NULL, nelems > 0 ? 1 : 0, dims, lbs, elmtype, elmlen,
							  elmbyval, elmalign);
}

void
deconstruct_array(ArrayType *array, Oid elmtype, int elmlen, bool elmbyval, char elmalign,
				  Datum **elemsp, bool **nullsp, int *nelemsp)
{
	Datum	   *elems;
	bool	   *nulls = NULL;
	int			nelems;
	char	   *p;
	bits8	   *bitmap;
	int			bitmask;

	if (ARR_ELEMTYPE(array) != elmtype)
		shim_fail("deconstruct_array: element type %u, expected %u", ARR_ELEMTYPE(array), elmtype);
	nelems = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
	*elemsp = elems = (Datum *) palloc(nelems * sizeof(Datum));
	if (nullsp)
		*nullsp = nulls = (bool *) palloc0(nelems * sizeof(bool));
	*nelemsp = nelems;
	p = ARR_DATA_PTR(array);
	bitmap = ARR_NULLBITMAP(array);
	bitmask = 1;
	for (int i = 0; i < nelems; i++)
	{
		if (bitmap && (*bitmap & bitmask) == 0)
		{
			elems[i] = (Datum) 0;
			if (nulls)
				nulls[i] = true;
			else
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("null array element not allowed in this context")));
		}
		else
		{
			elems[i] = fetch_att(p, elmbyval, elmlen);
			p = att_addlength_pointer(p, elmlen, p);
			p = (char *) att_align_nominal(p, elmalign);
		}
		if (bitmap)
			next_null_bit(&bitmap, &bitmask);
	}
}

Datum
shim_text_array(char **items, bool *nulls, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * (n > 0 ? n : 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
		elems[i] = (nulls && nulls[i]) ? (Datum) 0 : CStringGetTextDatum(items[i]);
	return PointerGetDatum(construct_md_array(elems, nulls, n > 0 ? 1 : 0, dims, lbs, TEXTOID,
											  -1, false, TYPALIGN_INT));
}

List *
lappend(List *list, void *datum)
{
	if (list == NIL)
	{
		list = palloc(offsetof(List, initial_elements) + 8 * sizeof(ListCell));
		list->type = T_List;
		list->length = 0;
		list->max_length = 8;
		list->elements = list->initial_elements;
	}
	else if (list->length >= list->max_length)
	{
		int			newmax = list->max_length * 2;

		if (list->elements == list->initial_elements)
		{
			ListCell   *cells = palloc(newmax * sizeof(ListCell));

			memcpy(cells, list->elements, list->length * sizeof(ListCell));
			list->elements = cells;
		}
		else
			list->elements = repalloc(list->elements, newmax * sizeof(ListCell));
		list->max_length = newmax;
	}
	list->elements[list->length++].ptr_value = datum;
	return list;
}

Oid
get_element_type(Oid typid)
{
	switch (typid)
	{
		case TEXTARRAYOID:
			return TEXTOID;
		case INT2ARRAYOID:
			return INT2OID;
		case INT4ARRAYOID:
			return INT4OID;
		case INT8ARRAYOID:
			return INT8OID;
		case FLOAT4ARRAYOID:
			return FLOAT4OID;
		case FLOAT8ARRAYOID:
			return FLOAT8OID;
		case BOOLARRAYOID:
			return BOOLOID;
		case NUMERICARRAYOID:
			return NUMERICOID;
		case DATEARRAYOID:
			return DATEOID;
		case TIMESTAMPARRAYOID:
			return TIMESTAMPOID;
		case TIMESTAMPTZARRAYOID:
			return TIMESTAMPTZOID;
		case BYTEAARRAYOID:
			return BYTEAOID;
		case JSONBARRAYOID:
			return JSONBOID;
		case JSONARRAYOID:
			return JSONOID;
	}
	return InvalidOid;
}

uint64
hex_encode(const char *src, size_t len, char *dst)
{
	static const char hextbl[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++)
	{
		*dst++ = hextbl[((unsigned char) src[i] >> 4) & 0xF];
		*dst++ = hextbl[(unsigned char) src[i] & 0xF];
	}
	return (uint64) len * 2;
}

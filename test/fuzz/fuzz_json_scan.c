/*-------------------------------------------------------------------------
 * fuzz_json_scan.c
 *	  libFuzzer target for the span scanner alone (src/functions/json_scan.c),
 *	  which checks results pages (megabytes of rows) without building json-c
 *	  trees.
 *
 * Input: any bytes; as read_page does, only valid UTF-8 is scanned (the
 * scanner's contract).  The text is copied into a buffer of exactly its
 * length, not NUL-terminated: the scanner works on [p, end) and must not
 * read past end.
 *
 * Checks besides memory errors:
 *	- a deep scan (jscan_value) that succeeds gives a span inside the text
 *	  of the kind its first byte says, and a shallow scan (containers
 *	  skipped) ends at the same place;
 *	- walking the value with jscan_open/jscan_member/jscan_element, and
 *	  with jscan_enter/jscan_leave as scan_page does, meets the same items,
 *	  each of which scans again to the same span, without an error;
 *	- jscan_key_is agrees with the key decoded by jscan_string;
 *	- whole-text acceptance agrees with an independent strict RFC 8259
 *	  checker (for texts without \u escapes, nested at most 60 deep).
 *-------------------------------------------------------------------------
 */
#include "fuzz_shim.h"

#include <limits.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/fmgrprotos.h"

#include "functions/json_scan.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* jsonb_in of pg_shim.c is a strict checker: used here as the reference */
static bool
reference_accepts(const char *text, size_t len)
{
	char	   *copy = pnstrdup(text, len);
	volatile bool ok = true;
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		(void) DirectFunctionCall1(jsonb_in, CStringGetDatum(copy));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

/* Deepest nesting of brackets outside strings. */
static int
nesting(const char *p, const char *end)
{
	int			depth = 0,
				max = 0;
	bool		in_string = false;

	for (; p < end; p++)
	{
		if (in_string)
		{
			if (*p == '\\')
				p++;
			else if (*p == '"')
				in_string = false;
		}
		else if (*p == '"')
			in_string = true;
		else if (*p == '[' || *p == '{')
			max = Max(max, ++depth);
		else if (*p == ']' || *p == '}')
			depth--;
	}
	return max;
}

static JsonKind
kind_of(char c)
{
	switch (c)
	{
		case '"':
			return JSON_KIND_STRING;
		case '{':
			return JSON_KIND_OBJECT;
		case '[':
			return JSON_KIND_ARRAY;
		case 't':
			return JSON_KIND_TRUE;
		case 'f':
			return JSON_KIND_FALSE;
		case 'n':
			return JSON_KIND_NULL;
	}
	return JSON_KIND_NUMBER;
}

static void check_value(const JsonSpan *v, const char *text, const char *end, int depth);

/* Scan [v->start, v->end) again: the same span, nothing left. */
static void
rescan(const JsonSpan *v)
{
	JsonScan	s = {v->start, v->end};
	JsonSpan	again;

	if (!jscan_value(&s, &again) || again.start != v->start || again.end != v->end ||
		again.kind != v->kind || !jscan_done(&s))
		shim_fail("an item does not scan again to the same span: %.*s",
				  (int) (v->end - v->start), v->start);
}

static void
check_key(const JsonSpan *key)
{
	StringInfoData decoded;

	if (key->kind != JSON_KIND_STRING)
		shim_fail("an object key that is not a string");
	initStringInfo(&decoded);
	jscan_string(key, &decoded, false);
	if (!jscan_key_is(key, decoded.data, decoded.len))
		shim_fail("jscan_key_is disagrees with jscan_string for %.*s",
				  (int) (key->end - key->start), key->start);
	if (decoded.len > 0 && jscan_key_is(key, decoded.data, decoded.len - 1))
		shim_fail("jscan_key_is matches a shorter name for %.*s",
				  (int) (key->end - key->start), key->start);
}

/* The items of a checked container, by jscan_open, then by jscan_enter. */
static void
walk(const JsonSpan *v, const char *text, const char *end, int depth)
{
	JsonScan	s;
	JsonScan	outer = {v->start, end};
	JsonScan	inner;
	JsonSpan	key,
				item,
				item2;
	bool		object = v->kind == JSON_KIND_OBJECT;
	int			n1 = 0,
				n2 = 0;

	if (!jscan_open(&s, v))
		shim_fail("jscan_open refuses a container");
	while (object ? jscan_member(&s, &key, &item) : jscan_element(&s, &item))
	{
		if (object)
			check_key(&key);
		check_value(&item, v->start, v->end, depth + 1);
		n1++;
	}
	if (s.error)
		shim_fail("walking a checked container fails: %s", s.error);

	outer.shallow = true;
	if (!jscan_enter(&outer, &inner, object ? '{' : '['))
		shim_fail("jscan_enter refuses a container");
	for (;;)
	{
		if (object)
		{
			if (!jscan_member_key(&inner, &key))
				break;
			if (!jscan_value(&inner, &item2))
				shim_fail("an entered member has no value: %s", inner.error);
		}
		else if (!jscan_element(&inner, &item2))
			break;
		n2++;
	}
	if (inner.error)
		shim_fail("walking an entered container fails: %s", inner.error);
	jscan_leave(&outer, &inner);
	if (outer.p != v->end || n1 != n2)
		shim_fail("entering and opening a container disagree (%d and %d items)", n1, n2);
}

static void
check_value(const JsonSpan *v, const char *text, const char *end, int depth)
{
	if (v->start < text || v->end > end || v->start >= v->end)
		shim_fail("a span outside its text");
	if (v->kind != kind_of(*v->start))
		shim_fail("a span of kind %d starting with '%c'", v->kind, *v->start);
	rescan(v);
	if (v->kind == JSON_KIND_STRING)
	{
		StringInfoData decoded;

		initStringInfo(&decoded);
		jscan_string(v, &decoded, false);
		if (!pg_verify_mbstr(PG_UTF8, decoded.data, decoded.len, true))
			shim_fail("a decoded string is not valid UTF-8");
	}
	if ((v->kind == JSON_KIND_OBJECT || v->kind == JSON_KIND_ARRAY) && depth < 8)
		walk(v, text, end, depth);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *text;
	const char *end;
	JsonScan	deep;
	JsonScan	shallow;
	JsonSpan	v,
				v2;
	bool		ok,
				whole;

	if (size > INT_MAX || !pg_verify_mbstr(PG_UTF8, (const char *) data, (int) size, true))
		return 0;
	shim_begin();
	text = palloc(size > 0 ? size : 1);
	memcpy(text, data, size);
	end = text + size;

	memset(&deep, 0, sizeof(deep));
	deep.p = text;
	deep.end = end;
	shallow = deep;
	shallow.shallow = true;
	ok = jscan_value(&deep, &v);
	if (!ok && deep.error == NULL)
		shim_fail("jscan_value failed without saying why");
	if (ok)
	{
		check_value(&v, text, end, 0);
		if (!jscan_value(&shallow, &v2) || v2.end != v.end || v2.kind != v.kind)
			shim_fail("the shallow scan disagrees with the deep one");
	}
	whole = ok && jscan_done(&deep);
	if (memmem(text, size, "\\u", 2) == NULL && nesting(text, end) <= 60 &&
		whole != reference_accepts(text, size))
		shim_fail("the scanner %s the text, the reference %s it",
				  whole ? "accepts" : "refuses", whole ? "refuses" : "accepts");
	shim_end();
	return 0;
}

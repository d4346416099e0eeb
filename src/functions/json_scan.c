/*-------------------------------------------------------------------------
 * json_scan.c
 *	  A validating JSON scanner that yields spans of the text instead of a
 *	  tree, for results pages (functions/results.c, functions/load.c).
 *
 * A results page can hold megabytes of rows; building json-c objects for
 * every value is slow and json-c clamps integers beyond 64 bits (uint256,
 * int256 and large decimals arrive as number literals).  The scanner checks
 * the grammar (RFC 8259: strings with valid escapes and no raw control
 * characters, numbers, literals, nesting at most JSON_SCAN_MAX_DEPTH deep)
 * and hands out each value's kind and exact text.  The text must already be
 * known to be valid UTF-8.  Errors are returned (s->error), never raised, so
 * that the caller chooses the message.  May call PostgreSQL's string
 * buffers only.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"

#include "functions/json_scan.h"

#define JSON_SCAN_MAX_DEPTH 64

static bool scan_value(JsonScan *s, JsonSpan *out, int depth);

static inline void
skip_ws(JsonScan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
		s->p++;
}

static bool
fail(JsonScan *s, const char *what)
{
	s->error = what;
	return false;
}

static inline int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string starting at s->p (a quote): checks escapes and control characters. */
static bool
scan_string(JsonScan *s, JsonSpan *out)
{
	const char *p = s->p + 1;

	out->kind = JSON_KIND_STRING;
	out->start = s->p;
	for (;;)
	{
		unsigned char c;

		/* the common case: plain bytes */
		while (p < s->end && (unsigned char) *p >= 0x20 && *p != '"' && *p != '\\')
			p++;
		if (p >= s->end)
			return fail(s, "a string is not terminated");
		c = (unsigned char) *p;
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(s, "a string holds a raw control character");
		/* an escape */
		if (p + 1 >= s->end)
			return fail(s, "a string is not terminated");
		switch (p[1])
		{
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				p += 2;
				break;
			case 'u':
				if (p + 6 > s->end || hex_value(p[2]) < 0 || hex_value(p[3]) < 0 ||
					hex_value(p[4]) < 0 || hex_value(p[5]) < 0)
					return fail(s, "a string holds a malformed \\u escape");
				p += 6;
				break;
			default:
				return fail(s, "a string holds an unknown escape");
		}
	}
	s->p = p + 1;
	out->end = s->p;
	return true;
}

/* A number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool
scan_number(JsonScan *s, JsonSpan *out)
{
	const char *p = s->p;
	const char *e = s->end;

	out->kind = JSON_KIND_NUMBER;
	out->start = p;
	if (p < e && *p == '-')
		p++;
	if (p < e && *p == '0')
		p++;
	else if (p < e && *p >= '1' && *p <= '9')
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	else
		return fail(s, p == s->p ? "an unexpected character where a value should be" :
					"a number is malformed");
	if (p < e && *p == '.')
	{
		p++;
		if (p >= e || *p < '0' || *p > '9')
			return fail(s, "a number is malformed");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E'))
	{
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			return fail(s, "a number is malformed");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	s->p = p;
	out->end = p;
	return true;
}

static bool
scan_literal(JsonScan *s, JsonSpan *out, const char *word, JsonKind kind)
{
	size_t		len = strlen(word);

	if ((size_t) (s->end - s->p) < len || memcmp(s->p, word, len) != 0)
		return fail(s, "an unexpected character where a value should be");
	out->kind = kind;
	out->start = s->p;
	s->p += len;
	out->end = s->p;
	return true;
}

/*
 * Step over an array or object starting at s->p without checking what is
 * inside (shallow mode): brackets are counted and strings skipped.  The
 * items are checked when they are read (jscan_open and the rest).
 */
static bool
skip_container(JsonScan *s, JsonSpan *out)
{
	const char *p = s->p;
	int			depth = 0;
	char		closers[JSON_SCAN_MAX_DEPTH + 1];	/* the closer each open level expects */

	out->kind = *p == '{' ? JSON_KIND_OBJECT : JSON_KIND_ARRAY;
	out->start = p;
	while (p < s->end)
	{
		char		c = *p++;

		if (c == '"')
		{
			while (p < s->end && *p != '"')
				p += *p == '\\' ? 2 : 1;
			if (p >= s->end)
				break;
			p++;
		}
		else if (c == '{' || c == '[')
		{
			if (depth >= JSON_SCAN_MAX_DEPTH)
				return fail(s, "values are nested too deeply");
			closers[depth++] = c == '{' ? '}' : ']';
		}
		else if (c == '}' || c == ']')
		{
			if (depth == 0 || closers[depth - 1] != c)
				return fail(s, "an array or object is closed by the wrong bracket");
			if (--depth == 0)
			{
				s->p = p;
				out->end = p;
				return true;
			}
		}
	}
	return fail(s, "an array or object is not closed");
}

/* The items of an array or object starting at s->p, checked recursively. */
static bool
scan_container(JsonScan *s, JsonSpan *out, int depth)
{
	bool		object = *s->p == '{';
	char		close = object ? '}' : ']';
	bool		first = true;

	if (depth >= JSON_SCAN_MAX_DEPTH)
		return fail(s, "values are nested too deeply");
	out->kind = object ? JSON_KIND_OBJECT : JSON_KIND_ARRAY;
	out->start = s->p++;
	for (;;)
	{
		JsonSpan	item;

		skip_ws(s);
		if (s->p < s->end && *s->p == close && first)
			break;
		if (!first)
		{
			if (s->p < s->end && *s->p == close)
				break;
			if (s->p >= s->end || *s->p != ',')
				return fail(s, object ? "an object misses a comma or closing brace" :
							"an array misses a comma or closing bracket");
			s->p++;
			skip_ws(s);
		}
		first = false;
		if (object)
		{
			if (s->p >= s->end || *s->p != '"' || !scan_string(s, &item))
				return s->error ? false : fail(s, "an object key is not a string");
			skip_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return fail(s, "an object key is not followed by a colon");
			s->p++;
		}
		if (!scan_value(s, &item, depth + 1))
			return false;
	}
	s->p++;
	out->end = s->p;
	return true;
}

static bool
scan_value(JsonScan *s, JsonSpan *out, int depth)
{
	skip_ws(s);
	if (s->p >= s->end)
		return fail(s, "the text ends where a value should be");
	switch (*s->p)
	{
		case '"':
			return scan_string(s, out);
		case '{':
		case '[':
			return s->shallow ? skip_container(s, out) : scan_container(s, out, depth);
		case 't':
			return scan_literal(s, out, "true", JSON_KIND_TRUE);
		case 'f':
			return scan_literal(s, out, "false", JSON_KIND_FALSE);
		case 'n':
			return scan_literal(s, out, "null", JSON_KIND_NULL);
		default:
			return scan_number(s, out);
	}
}

/* The next value at s->p, checked through and through. */
bool
jscan_value(JsonScan *s, JsonSpan *out)
{
	s->error = NULL;
	return scan_value(s, out, 0);
}

/* Nothing but white space is left. */
bool
jscan_done(const JsonScan *s)
{
	JsonScan	t = *s;

	skip_ws(&t);
	return t.p == t.end;
}

/* Position s inside a container span (already checked by jscan_value). */
bool
jscan_open(JsonScan *s, const JsonSpan *container)
{
	s->p = container->start + 1;
	s->end = container->end - 1;
	s->error = NULL;
	s->first = true;
	s->shallow = false;
	s->close = 0;
	return container->kind == JSON_KIND_OBJECT || container->kind == JSON_KIND_ARRAY;
}

/*
 * Step over the comma between items; false at the end of the container (an
 * entered one ends at its closing bracket, which is consumed).
 */
static bool
next_item(JsonScan *s)
{
	skip_ws(s);
	if (s->close != 0)
	{
		if (s->p >= s->end)
			return fail(s, "an array or object is not closed");
		if (*s->p == s->close)
		{
			s->p++;
			return false;
		}
	}
	else if (s->p >= s->end)
		return false;
	if (!s->first)
	{
		if (*s->p != ',')
			return fail(s, "items are not separated by a comma");
		s->p++;
	}
	s->first = false;
	return true;
}

/*
 * Enter the array or object (open: '[' or '{') that starts at outer's
 * position, without scanning it first: inner then yields its items, and
 * jscan_leave moves outer past it.  False (nothing consumed) when the value
 * there is something else.
 */
bool
jscan_enter(JsonScan *outer, JsonScan *inner, char open)
{
	skip_ws(outer);
	if (outer->p >= outer->end || *outer->p != open)
		return false;
	*inner = *outer;
	inner->p++;
	inner->error = NULL;
	inner->first = true;
	inner->close = open == '{' ? '}' : ']';
	return true;
}

/* Continue outer after a container entered with jscan_enter and read to its end. */
void
jscan_leave(JsonScan *outer, const JsonScan *inner)
{
	outer->p = inner->p;
}

/*
 * The key of the next member of an opened or entered object, leaving s at
 * its value; false at the object's end (or on error: s->error).
 */
bool
jscan_member_key(JsonScan *s, JsonSpan *key)
{
	if (!next_item(s))
		return false;
	skip_ws(s);
	if (s->p >= s->end || *s->p != '"')
		return fail(s, "an object key is not a string");
	if (!scan_string(s, key))
		return false;
	skip_ws(s);
	if (s->p >= s->end || *s->p != ':')
		return fail(s, "an object key is not followed by a colon");
	s->p++;
	return true;
}

/* The next member of an opened object; false at its end (or on error: s->error). */
bool
jscan_member(JsonScan *s, JsonSpan *key, JsonSpan *value)
{
	return jscan_member_key(s, key) && scan_value(s, value, 1);
}

/* The next element of an opened array; false at its end (or on error: s->error). */
bool
jscan_element(JsonScan *s, JsonSpan *value)
{
	if (!next_item(s))
		return false;
	return scan_value(s, value, 1);
}

/* Whether a key span (a string) is exactly name (UTF-8, len bytes). */
bool
jscan_key_is(const JsonSpan *key, const char *name, size_t len)
{
	const char *k = key->start + 1;
	size_t		klen = key->end - key->start - 2;

	if (memchr(k, '\\', klen) == NULL)
		return klen == len && memcmp(k, name, len) == 0;
	else
	{
		StringInfoData buf;
		bool		same;

		initStringInfo(&buf);
		jscan_string(key, &buf, false);
		same = (size_t) buf.len == len && memcmp(buf.data, name, len) == 0;
		pfree(buf.data);
		return same;
	}
}

/* Append one byte, escaped for COPY's text format when asked. */
static inline void
put_byte(StringInfo out, char c, bool copy_escape)
{
	if (copy_escape)
	{
		switch (c)
		{
			case '\\':
				appendBinaryStringInfo(out, "\\\\", 2);
				return;
			case '\n':
				appendBinaryStringInfo(out, "\\n", 2);
				return;
			case '\r':
				appendBinaryStringInfo(out, "\\r", 2);
				return;
			case '\t':
				appendBinaryStringInfo(out, "\\t", 2);
				return;
		}
	}
	appendStringInfoCharMacro(out, c);
}

/*
 * The decoded text (UTF-8) of a checked string span, appended to out; with
 * copy_escape, written as a field of COPY's text format.  JSON's \b \f \n \r
 * \t and \\ are also COPY's escapes, so they are copied as they are.  A
 * \u0000 cannot be text: for COPY it becomes the escape \000, which COPY
 * refuses as an invalid byte (naming the line and column); decoded plainly it
 * stays the six characters \u0000.
 */
void
jscan_string(const JsonSpan *str, StringInfo out, bool copy_escape)
{
	const char *p = str->start + 1;
	const char *end = str->end - 1;

	while (p < end)
	{
		const char *run = p;
		unsigned int cp;

		while (p < end && *p != '\\')
			p++;
		if (p > run)
			appendBinaryStringInfo(out, run, p - run);
		if (p >= end)
			break;
		switch (p[1])
		{
			case 'u':
				break;
			case '"':
			case '/':
				appendStringInfoChar(out, p[1]);
				p += 2;
				continue;
			default:
				if (copy_escape)
					appendBinaryStringInfo(out, p, 2);
				else
					appendStringInfoChar(out, p[1] == 'b' ? '\b' : p[1] == 'f' ? '\f' :
										 p[1] == 'n' ? '\n' : p[1] == 'r' ? '\r' :
										 p[1] == 't' ? '\t' : p[1]);
				p += 2;
				continue;
		}
		cp = (hex_value(p[2]) << 12) | (hex_value(p[3]) << 8) | (hex_value(p[4]) << 4) |
			hex_value(p[5]);
		p += 6;
		if (cp >= 0xD800 && cp <= 0xDBFF && p + 6 <= end && p[0] == '\\' && p[1] == 'u')
		{
			unsigned int lo = (hex_value(p[2]) << 12) | (hex_value(p[3]) << 8) |
				(hex_value(p[4]) << 4) | hex_value(p[5]);

			if (lo >= 0xDC00 && lo <= 0xDFFF)
			{
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				p += 6;
			}
		}
		if (cp >= 0xD800 && cp <= 0xDFFF)
			cp = 0xFFFD;		/* a lone surrogate */
		if (cp == 0)
			/* all three octal digits: "\\0" then a digit would be another byte */
			appendBinaryStringInfo(out, copy_escape ? "\\000" : "\\u0000", copy_escape ? 4 : 6);
		else if (cp < 0x80)
			put_byte(out, (char) cp, copy_escape);
		else
		{
			unsigned char utf8[4];

			unicode_to_utf8(cp, utf8);
			appendBinaryStringInfo(out, (char *) utf8, pg_utf_mblen(utf8));
		}
	}
}

/* Append text (UTF-8) escaped as a field of COPY's text format. */
void
jscan_copy_escape(const char *text, size_t len, StringInfo out)
{
	const char *p = text;
	const char *end = text + len;

	while (p < end)
	{
		const char *run = p;

		while (p < end && *p != '\\' && *p != '\n' && *p != '\r' && *p != '\t')
			p++;
		if (p > run)
			appendBinaryStringInfo(out, run, p - run);
		if (p < end)
			put_byte(out, *p++, true);
	}
}

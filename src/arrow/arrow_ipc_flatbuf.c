/*
 * arrow_ipc_flatbuf.c
 *		Checked access to the FlatBuffer of an Arrow IPC Schema message:
 *		error text with the field path, the work budget, bounds and
 *		alignment checks, tables and their vtables, scalars, offsets,
 *		vectors, strings (with UTF-8 validation) and custom_metadata.
 *
 * Nothing in the input is trusted: every offset, vtable and vector is
 * checked against the buffer before use, and scalars must be aligned as the
 * FlatBuffers verifier wants.  Used by arrow_ipc.c and arrow_ipc_types.c;
 * no PostgreSQL code (test/fuzz/fuzz_arrow.c fuzzes it).
 */
#include "arrow_ipc_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_WORK		(32 * 1024 * 1024)	/* scanned bytes + visited items */

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
bool
ipc_fail(Reader *r, const char *fmt,...)
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
bool
ipc_spend(Reader *r, uint64_t units)
{
	r->work += units;
	if (r->work > MAX_WORK)
		return ipc_fail(r, "schema message is too complex to decode");
	return true;
}

/* Is [pos, pos + size) inside the buffer, with pos aligned to "align"? */
bool
ipc_check_range(Reader *r, uint64_t pos, uint64_t size, unsigned align,
				const char *what)
{
	if (pos > r->len || size > r->len - pos)
		return ipc_fail(r, "%s at offset %llu lies outside the %llu bytes of metadata",
						what, (unsigned long long) pos, (unsigned long long) r->len);
	if (pos % align != 0)
		return ipc_fail(r, "%s at offset %llu is misaligned",
						what, (unsigned long long) pos);
	return true;
}

/* Check the table at pos and its vtable */
bool
ipc_open_table(Reader *r, uint64_t pos, Table *t, const char *what)
{
	int64_t		vt;

	if (!ipc_spend(r, 1) || !ipc_check_range(r, pos, 4, 4, what))
		return false;
	vt = (int64_t) pos - (int64_t) (int32_t) get_u32(r->buf + pos);
	if (vt < 0)
		return ipc_fail(r, "vtable of %s lies outside the metadata", what);
	if (!ipc_check_range(r, (uint64_t) vt, 4, 2, "vtable"))
		return false;
	t->pos = pos;
	t->vt = (uint64_t) vt;
	t->vt_size = get_u16(r->buf + vt);
	if (t->vt_size < 4 || t->vt_size % 2 != 0)
		return ipc_fail(r, "vtable of %s has a bad size %u", what, t->vt_size);
	return ipc_check_range(r, t->vt, t->vt_size, 2, "vtable");
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
bool
ipc_get_scalar(Reader *r, const Table *t, int field, unsigned size,
			   uint64_t def, uint64_t *value, const char *what)
{
	uint16_t	off = slot_offset(r, t, field);
	const uint8_t *p;

	*value = def;
	if (off == 0)
		return true;
	if (!ipc_check_range(r, t->pos + off, size, size, what))
		return false;
	p = r->buf + t->pos + off;
	*value = size == 1 ? p[0] : size == 2 ? get_u16(p) :
		size == 4 ? get_u32(p) : get_u64(p);
	return true;
}

/* Read a signed scalar (sign-extended) */
bool
ipc_get_signed(Reader *r, const Table *t, int field, unsigned size,
			   int64_t def, int64_t *value, const char *what)
{
	uint64_t	raw;

	if (!ipc_get_scalar(r, t, field, size, (uint64_t) def, &raw, what))
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
bool
ipc_get_offset(Reader *r, const Table *t, int field, uint64_t *target,
			   const char *what)
{
	uint16_t	off = slot_offset(r, t, field);
	uint64_t	pos = t->pos + off;

	*target = 0;
	if (off == 0)
		return true;
	if (!ipc_check_range(r, pos, 4, 4, what))
		return false;
	*target = pos + get_u32(r->buf + pos);
	if (*target == pos || *target >= r->len)
		return ipc_fail(r, "%s offset points outside the metadata", what);
	return true;
}

/* Check a vector header; elements start at *first */
bool
ipc_get_vector(Reader *r, uint64_t pos, unsigned elem_size, uint32_t *n,
			   uint64_t *first, const char *what)
{
	if (!ipc_check_range(r, pos, 4, 4, what))
		return false;
	*n = get_u32(r->buf + pos);
	*first = pos + 4;
	return ipc_check_range(r, *first, (uint64_t) *n * elem_size,
						   elem_size < 4 ? 1 : elem_size, what) &&
		ipc_spend(r, *n);
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
bool
ipc_get_string(Reader *r, uint64_t pos, bool text, const char **out,
			   const char *what)
{
	uint32_t	n;

	if (!ipc_check_range(r, pos, 4, 4, what))
		return false;
	n = get_u32(r->buf + pos);
	if (!ipc_check_range(r, pos + 4, (uint64_t) n + 1, 1, what))
		return false;
	if (r->buf[pos + 4 + n] != 0)
		return ipc_fail(r, "%s is not NUL-terminated", what);
	if (text && !ipc_spend(r, n))
		return false;
	if (text && !valid_utf8(r->buf + pos + 4, n))
		return ipc_fail(r, "%s is not valid UTF-8 or contains a NUL byte", what);
	*out = (const char *) r->buf + pos + 4;
	return true;
}

/* Check a custom_metadata vector of KeyValue tables (contents unused) */
bool
ipc_check_metadata(Reader *r, const Table *t, int field)
{
	uint64_t	vec,
				first;
	uint32_t	n;
	const char *s;

	if (!ipc_get_offset(r, t, field, &vec, "custom_metadata"))
		return false;
	if (vec == 0)
		return true;
	if (!ipc_get_vector(r, vec, 4, &n, &first, "custom_metadata"))
		return false;
	for (uint32_t i = 0; i < n; i++)
	{
		uint64_t	slot = first + 4 * (uint64_t) i;
		uint64_t	kv = slot + get_u32(r->buf + slot);
		Table		kvt;

		if (!ipc_open_table(r, kv, &kvt, "custom_metadata entry"))
			return false;
		for (int f = 0; f < 2; f++)
		{
			uint64_t	str;

			if (!ipc_get_offset(r, &kvt, f, &str, "custom_metadata entry") ||
				(str != 0 && !ipc_get_string(r, str, false, &s, "custom_metadata entry")))
				return false;
		}
	}
	return true;
}

/* Allocate zeroed memory or fail */
void *
ipc_alloc_or_fail(Reader *r, size_t size)
{
	void	   *p = r->mem->alloc(r->mem->ctx, size ? size : 1);

	if (p == NULL)
		ipc_fail(r, "out of memory");
	return p;
}

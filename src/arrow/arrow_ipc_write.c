/*
 * arrow_ipc_write.c
 *		Encode an ArrowSchema as one Arrow IPC encapsulated Schema message.
 *
 * The FlatBuffer is written front to back: for each table its vtable, then
 * the table itself (vtable offset positive), with placeholders for offset
 * slots; then each object it refers to, patching the placeholder.  Every
 * uoffset therefore points forward, as FlatBuffers requires.  Scalars are
 * written explicitly even when equal to the schema's default, and each
 * Field carries a type table and a children vector (Arrow C++ insists).
 * Alignment is relative to the message start, which keeps it relative to
 * the FlatBuffer start too (the prefix is 8 bytes).
 */
#include "arrow_ipc.h"

#include <stdio.h>
#include <string.h>

#define MAX_SLOTS	8

typedef struct Builder
{
	uint8_t    *data;
	size_t		len;
	size_t		cap;
	const ArrowAllocator *mem;
	bool		oom;
} Builder;

/* One vtable slot: absent (size 0), a scalar, or a uoffset placeholder */
typedef struct Slot
{
	uint8_t		size;			/* 0, 1, 2, 4 or 8 bytes */
	bool		is_offset;
	uint64_t	value;
	size_t		pos;			/* set by write_table */
} Slot;

/* Append n zero bytes after padding to "align"; returns their position */
static size_t
reserve(Builder *b, size_t n, size_t align)
{
	size_t		pos = (b->len + align - 1) & ~(align - 1);
	size_t		need = pos + n;

	if (b->oom)
		return 0;
	if (need > b->cap)
	{
		size_t		cap = b->cap ? b->cap : 256;
		uint8_t    *data;

		while (cap < need)
			cap *= 2;
		data = b->mem->realloc(b->mem->ctx, b->data, cap);
		if (data == NULL)
		{
			b->oom = true;
			return 0;
		}
		b->data = data;
		b->cap = cap;
	}
	memset(b->data + b->len, 0, need - b->len);
	b->len = need;
	return pos;
}

/* Store a little-endian scalar of "size" bytes at pos */
static void
put(Builder *b, size_t pos, uint64_t v, unsigned size)
{
	if (b->oom)
		return;
	for (unsigned i = 0; i < size; i++)
		b->data[pos + i] = (uint8_t) (v >> (8 * i));
}

/* Make the uoffset at slot point to target */
static void
patch(Builder *b, size_t slot, size_t target)
{
	put(b, slot, (uint64_t) (target - slot), 4);
}

/* Slot helpers */
static Slot
scalar(unsigned size, uint64_t value)
{
	Slot		s = {(uint8_t) size, false, value, 0};

	return s;
}

static Slot
offset_slot(void)
{
	Slot		s = {4, true, 0, 0};

	return s;
}

/* Write a vtable and its table; sets each present slot's pos */
static size_t
write_table(Builder *b, Slot *slots, int n)
{
	size_t		off = 4;		/* after the vtable offset */
	size_t		align = 4;
	size_t		vt,
				t;

	/* lay fields out by decreasing size so that each is aligned */
	for (unsigned size = 8; size >= 1; size /= 2)
		for (int i = 0; i < n; i++)
			if (slots[i].size == size)
			{
				off = (off + size - 1) & ~((size_t) size - 1);
				slots[i].pos = off;
				off += size;
				if (size > align)
					align = size;
			}
	vt = reserve(b, 4 + 2 * (size_t) n, 2);
	put(b, vt, 4 + 2 * (uint64_t) n, 2);
	put(b, vt + 2, off, 2);
	for (int i = 0; i < n; i++)
		put(b, vt + 4 + 2 * (size_t) i, slots[i].size ? slots[i].pos : 0, 2);
	t = reserve(b, off, align);
	put(b, t, (uint64_t) (t - vt), 4);
	for (int i = 0; i < n; i++)
	{
		if (slots[i].size == 0)
			continue;
		slots[i].pos += t;
		if (!slots[i].is_offset)
			put(b, slots[i].pos, slots[i].value, slots[i].size);
	}
	return t;
}

/* Write a string and return its position */
static size_t
write_string(Builder *b, const char *s)
{
	size_t		n = strlen(s);
	size_t		pos = reserve(b, 4 + n + 1, 4);

	put(b, pos, n, 4);
	if (!b->oom)
		memcpy(b->data + pos + 4, s, n);
	return pos;
}

/* Write an Int table */
static size_t
write_int(Builder *b, int32_t bits, bool is_signed)
{
	Slot		s[2] = {scalar(4, (uint32_t) bits), scalar(1, is_signed)};

	return write_table(b, s, 2);
}

/* Write the type table of f (an empty table for types without parameters) */
static size_t
write_type(Builder *b, const ArrowField *f)
{
	Slot		s[3] = {{0}};
	int			n = 0;
	size_t		t,
				vec;

	switch (f->type)
	{
		case ARROW_TYPE_INT:
			return write_int(b, f->bit_width, f->is_signed);
		case ARROW_TYPE_FLOATING_POINT:
		case ARROW_TYPE_DATE:
		case ARROW_TYPE_INTERVAL:
		case ARROW_TYPE_DURATION:
			s[n++] = scalar(2, (uint16_t) f->unit);
			break;
		case ARROW_TYPE_DECIMAL:
			s[n++] = scalar(4, (uint32_t) f->precision);
			s[n++] = scalar(4, (uint32_t) f->scale);
			s[n++] = scalar(4, (uint32_t) f->bit_width);
			break;
		case ARROW_TYPE_TIME:
			s[n++] = scalar(2, (uint16_t) f->unit);
			s[n++] = scalar(4, (uint32_t) f->bit_width);
			break;
		case ARROW_TYPE_TIMESTAMP:
			s[n++] = scalar(2, (uint16_t) f->unit);
			s[n++] = f->timezone ? offset_slot() : scalar(0, 0);
			t = write_table(b, s, n);
			if (f->timezone)
				patch(b, s[1].pos, write_string(b, f->timezone));
			return t;
		case ARROW_TYPE_FIXED_SIZE_BINARY:
		case ARROW_TYPE_FIXED_SIZE_LIST:
			s[n++] = scalar(4, (uint32_t) f->size);
			break;
		case ARROW_TYPE_MAP:
			s[n++] = scalar(1, f->keys_sorted);
			break;
		case ARROW_TYPE_UNION:
			s[n++] = scalar(2, (uint16_t) f->unit);
			s[n++] = f->n_type_ids > 0 ? offset_slot() : scalar(0, 0);
			t = write_table(b, s, n);
			if (f->n_type_ids > 0)
			{
				vec = reserve(b, 4 + 4 * (size_t) f->n_type_ids, 4);
				put(b, vec, (uint64_t) f->n_type_ids, 4);
				for (int i = 0; i < f->n_type_ids; i++)
					put(b, vec + 4 + 4 * (size_t) i, (uint32_t) f->type_ids[i], 4);
				patch(b, s[1].pos, vec);
			}
			return t;
		default:
			break;
	}
	return write_table(b, s, n);
}

/* Write a DictionaryEncoding table for f */
static size_t
write_dictionary(Builder *b, const ArrowField *f)
{
	Slot		s[3] = {scalar(8, (uint64_t) f->dict_id), offset_slot(),
	scalar(1, f->dict_ordered)};
	size_t		t = write_table(b, s, 3);

	patch(b, s[1].pos, write_int(b, f->dict_index_bit_width, f->dict_index_signed));
	return t;
}

static size_t write_fields(Builder *b, const ArrowField *fields, int32_t n);

/* Write one Field table and everything it refers to */
static size_t
write_field(Builder *b, const ArrowField *f)
{
	Slot		s[6] = {offset_slot(), scalar(1, f->nullable),
		scalar(1, (uint8_t) f->type), offset_slot(),
	f->dict ? offset_slot() : scalar(0, 0), offset_slot()};
	size_t		t = write_table(b, s, 6);

	patch(b, s[0].pos, write_string(b, f->name ? f->name : ""));
	patch(b, s[3].pos, write_type(b, f));
	if (f->dict)
		patch(b, s[4].pos, write_dictionary(b, f));
	patch(b, s[5].pos, write_fields(b, f->children, f->n_children));
	return t;
}

/* Write a vector of Field tables; returns the vector's position */
static size_t
write_fields(Builder *b, const ArrowField *fields, int32_t n)
{
	size_t		vec = reserve(b, 4 + 4 * (size_t) n, 4);

	put(b, vec, (uint64_t) n, 4);
	for (int32_t i = 0; i < n; i++)
		patch(b, vec + 4 + 4 * (size_t) i, write_field(b, &fields[i]));
	return vec;
}

/* Encode the schema as one encapsulated message (metadata version V5) */
bool
arrow_encode_schema(const ArrowSchema *schema, const ArrowAllocator *mem,
					uint8_t **out, size_t *out_len, ArrowError *err)
{
	Builder		b = {NULL, 0, 0, mem, false};
	Slot		msg[4] = {scalar(2, 4), scalar(1, 1), offset_slot(), scalar(8, 0)};
	Slot		sch[2] = {scalar(2, 0), offset_slot()};
	size_t		prefix = reserve(&b, 8, 8);
	size_t		root = reserve(&b, 4, 4);

	patch(&b, root, write_table(&b, msg, 4));	/* version V5, Schema */
	patch(&b, msg[2].pos, write_table(&b, sch, 2));	/* little-endian */
	patch(&b, sch[1].pos, write_fields(&b, schema->fields, schema->n_fields));
	reserve(&b, 0, 8);
	if (b.oom || b.len - 8 > INT32_MAX)
	{
		snprintf(err->message, sizeof(err->message), "out of memory");
		return false;
	}
	put(&b, prefix, 0xFFFFFFFFu, 4);
	put(&b, prefix + 4, b.len - 8, 4);
	*out = b.data;
	*out_len = b.len;
	return true;
}

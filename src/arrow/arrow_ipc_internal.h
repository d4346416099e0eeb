/*
 * arrow_ipc_internal.h
 *		Definitions shared by the three files of the Arrow schema message
 *		decoder: arrow_ipc_flatbuf.c (FlatBuffer access and bounds checks),
 *		arrow_ipc_types.c (the per-type tables) and arrow_ipc.c (message,
 *		schema and field walking).  Not for use outside them.
 *
 * Pure C (no PostgreSQL headers), like arrow_ipc.h.
 */
#ifndef DUNE_MV_ARROW_IPC_INTERNAL_H
#define DUNE_MV_ARROW_IPC_INTERNAL_H

#include "arrow_ipc.h"

/* State of one decode: the input, where errors go, and the limits' counters */
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

/* A table whose vtable has been checked */
typedef struct Table
{
	uint64_t	pos;
	uint64_t	vt;
	uint16_t	vt_size;
} Table;

/* Little-endian 16-bit load */
static inline uint16_t
get_u16(const uint8_t *p)
{
	return (uint16_t) (p[0] | (p[1] << 8));
}

/* Little-endian 32-bit load */
static inline uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) |
		((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

/* Little-endian 64-bit load */
static inline uint64_t
get_u64(const uint8_t *p)
{
	return (uint64_t) get_u32(p) | ((uint64_t) get_u32(p + 4) << 32);
}

/* arrow_ipc_flatbuf.c: checked access to the FlatBuffer (see there) */
extern bool ipc_fail(Reader *r, const char *fmt,...)
__attribute__((format(printf, 2, 3)));
extern bool ipc_spend(Reader *r, uint64_t units);
extern bool ipc_check_range(Reader *r, uint64_t pos, uint64_t size, unsigned align,
							const char *what);
extern bool ipc_open_table(Reader *r, uint64_t pos, Table *t, const char *what);
extern bool ipc_get_scalar(Reader *r, const Table *t, int field, unsigned size,
						   uint64_t def, uint64_t *value, const char *what);
extern bool ipc_get_signed(Reader *r, const Table *t, int field, unsigned size,
						   int64_t def, int64_t *value, const char *what);
extern bool ipc_get_offset(Reader *r, const Table *t, int field, uint64_t *target,
						   const char *what);
extern bool ipc_get_vector(Reader *r, uint64_t pos, unsigned elem_size, uint32_t *n,
						   uint64_t *first, const char *what);
extern bool ipc_get_string(Reader *r, uint64_t pos, bool text, const char **out,
						   const char *what);
extern bool ipc_check_metadata(Reader *r, const Table *t, int field);
extern void *ipc_alloc_or_fail(Reader *r, size_t size);

/* arrow_ipc_types.c: a field's type table and DictionaryEncoding */
extern bool ipc_read_type(Reader *r, uint64_t pos, ArrowField *f);
extern bool ipc_read_dictionary(Reader *r, uint64_t pos, ArrowField *f);

#endif							/* DUNE_MV_ARROW_IPC_INTERNAL_H */

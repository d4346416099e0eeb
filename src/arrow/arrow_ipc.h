/*
 * arrow_ipc.h
 *		Encode and decode one Arrow IPC encapsulated message holding a Schema.
 *
 * Pure C (no PostgreSQL headers): memory comes from the caller's
 * ArrowAllocator and errors are returned as text, so the decoder can be
 * fuzzed on its own (test/fuzz/fuzz_arrow.c).
 *
 * The message layout is 0xFFFFFFFF, an int32 little-endian metadata length
 * (FlatBuffer plus zero padding, a multiple of 8), then the FlatBuffer of a
 * Message table (Arrow's Message.fbs / Schema.fbs) whose header is a Schema.
 * No body follows.
 */
#ifndef DUNE_MV_ARROW_IPC_H
#define DUNE_MV_ARROW_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Members of the Arrow "Type" union (Schema.fbs) */
typedef enum ArrowTypeId
{
	ARROW_TYPE_NONE = 0,
	ARROW_TYPE_NULL = 1,
	ARROW_TYPE_INT = 2,
	ARROW_TYPE_FLOATING_POINT = 3,
	ARROW_TYPE_BINARY = 4,
	ARROW_TYPE_UTF8 = 5,
	ARROW_TYPE_BOOL = 6,
	ARROW_TYPE_DECIMAL = 7,
	ARROW_TYPE_DATE = 8,
	ARROW_TYPE_TIME = 9,
	ARROW_TYPE_TIMESTAMP = 10,
	ARROW_TYPE_INTERVAL = 11,
	ARROW_TYPE_LIST = 12,
	ARROW_TYPE_STRUCT = 13,
	ARROW_TYPE_UNION = 14,
	ARROW_TYPE_FIXED_SIZE_BINARY = 15,
	ARROW_TYPE_FIXED_SIZE_LIST = 16,
	ARROW_TYPE_MAP = 17,
	ARROW_TYPE_DURATION = 18,
	ARROW_TYPE_LARGE_BINARY = 19,
	ARROW_TYPE_LARGE_UTF8 = 20,
	ARROW_TYPE_LARGE_LIST = 21,
	ARROW_TYPE_RUN_END_ENCODED = 22,
	ARROW_TYPE_BINARY_VIEW = 23,
	ARROW_TYPE_UTF8_VIEW = 24,
	ARROW_TYPE_LIST_VIEW = 25,
	ARROW_TYPE_LARGE_LIST_VIEW = 26
} ArrowTypeId;

#define ARROW_TYPE_MAX ARROW_TYPE_LARGE_LIST_VIEW

/* Enumerations used in type tables (values as in Schema.fbs) */
#define ARROW_PRECISION_HALF	0	/* FloatingPoint.precision */
#define ARROW_PRECISION_SINGLE	1
#define ARROW_PRECISION_DOUBLE	2
#define ARROW_DATE_DAY			0	/* Date.unit */
#define ARROW_DATE_MILLISECOND	1
#define ARROW_TIME_SECOND		0	/* Time/Timestamp/Duration.unit */
#define ARROW_TIME_MILLISECOND	1
#define ARROW_TIME_MICROSECOND	2
#define ARROW_TIME_NANOSECOND	3
#define ARROW_INTERVAL_YEAR_MONTH	0	/* Interval.unit */
#define ARROW_INTERVAL_DAY_TIME		1
#define ARROW_INTERVAL_MONTH_DAY_NANO 2
#define ARROW_UNION_SPARSE		0	/* Union.mode */
#define ARROW_UNION_DENSE		1

/* Decoder limits (a FlatBuffer may share or loop offsets) */
#define ARROW_MAX_DEPTH			64		/* nesting of child fields */
#define ARROW_MAX_FIELDS		10000	/* fields in the whole schema */
#define ARROW_MAX_STRING_BYTES	(16 * 1024 * 1024)	/* names, summed */

/*
 * One Field.  Which parameters mean something depends on "type":
 *	INT: bit_width, is_signed
 *	FLOATING_POINT: unit = precision (ARROW_PRECISION_*)
 *	DECIMAL: precision, scale, bit_width
 *	DATE, INTERVAL, DURATION: unit
 *	TIME: unit, bit_width
 *	TIMESTAMP: unit, timezone (NULL when none)
 *	FIXED_SIZE_BINARY: size = byteWidth; FIXED_SIZE_LIST: size = listSize
 *	MAP: keys_sorted; UNION: unit = mode, type_ids (n_type_ids, may be 0)
 * A dictionary-encoded field has dict set (and dict_* describe the indices).
 * Strings are UTF-8 and NUL-terminated; decoded ones point into the input.
 */
typedef struct ArrowField
{
	const char *name;
	bool		nullable;
	ArrowTypeId type;
	int32_t		bit_width;
	bool		is_signed;
	int16_t		unit;
	int32_t		precision;
	int32_t		scale;
	int32_t		size;
	bool		keys_sorted;
	const char *timezone;
	int32_t		n_type_ids;
	const int32_t *type_ids;
	bool		dict;
	int64_t		dict_id;
	int32_t		dict_index_bit_width;
	bool		dict_index_signed;
	bool		dict_ordered;
	int32_t		n_children;
	struct ArrowField *children;
} ArrowField;

typedef struct ArrowSchema
{
	int32_t		n_fields;
	ArrowField *fields;
} ArrowSchema;

/* Memory for the decoder and encoder; alloc must return zeroed memory */
typedef struct ArrowAllocator
{
	void	   *(*alloc) (void *ctx, size_t size);
	void	   *(*realloc) (void *ctx, void *ptr, size_t size);
	void	   *ctx;
} ArrowAllocator;

/* Error text of a failed call (UTF-8) */
typedef struct ArrowError
{
	char		message[512];
} ArrowError;

/*
 * Decode one encapsulated Schema message of exactly "len" bytes.  Every
 * offset is bounds-checked; on failure returns false with err set.  Names
 * and time zones in the result point into "buf"; the rest comes from mem.
 */
extern bool arrow_decode_schema(const uint8_t *buf, size_t len,
								const ArrowAllocator *mem,
								ArrowSchema *schema, ArrowError *err);

/*
 * Encode "schema" as one encapsulated message (metadata version V5).  On
 * success *out (from mem) holds *out_len bytes, a multiple of 8.
 */
extern bool arrow_encode_schema(const ArrowSchema *schema,
								const ArrowAllocator *mem,
								uint8_t **out, size_t *out_len,
								ArrowError *err);

/* Number of children a type must have, or -1 when any number is fine */
extern int	arrow_type_child_count(ArrowTypeId type);

#endif							/* DUNE_MV_ARROW_IPC_H */

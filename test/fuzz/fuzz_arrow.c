/*
 * fuzz_arrow.c
 *		libFuzzer target for the Arrow schema message decoder (src/arrow/arrow_ipc.c,
 *		src/arrow/arrow_ipc_flatbuf.c, src/arrow/arrow_ipc_types.c).
 *
 * Every input is decoded; an input that decodes is re-encoded with
 * src/arrow/arrow_ipc_write.c and decoded again, and both results must be equal.
 * The arrow_ipc*.c files use no PostgreSQL code, so no shim is needed.
 *
 * Run: test/fuzz/run_arrow.sh [SECONDS] (builds with clang, writes seeds,
 * fuzzes).  By hand (clang with libFuzzer and sanitizers):
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -I src \
 *		test/fuzz/fuzz_arrow.c src/arrow/arrow_ipc.c src/arrow/arrow_ipc_flatbuf.c \
 *		src/arrow/arrow_ipc_types.c src/arrow/arrow_ipc_write.c -o /tmp/fuzz_arrow
 *	/tmp/fuzz_arrow -max_total_time=60 -max_len=8192 CORPUS_DIR
 * where CORPUS_DIR holds seed messages (run_arrow.sh writes four).
 * Without libFuzzer, build with -DFUZZ_MAIN to run the
 * target over files named on the command line:
 *	gcc -DFUZZ_MAIN -fsanitize=address,undefined -I src test/fuzz/fuzz_arrow.c \
 *		src/arrow/arrow_ipc.c src/arrow/arrow_ipc_flatbuf.c src/arrow/arrow_ipc_types.c \
 *		src/arrow/arrow_ipc_write.c -o /tmp/fuzz_arrow_main
 */
#include "arrow_ipc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Arena: every block is remembered and freed after each input */
typedef struct Block
{
	struct Block *next;
} Block;

/* Zeroed allocation from the arena */
static void *
arena_alloc(void *ctx, size_t size)
{
	Block	  **head = ctx;
	Block	   *b = calloc(1, sizeof(Block) + size);

	if (b == NULL)
		return NULL;
	b->next = *head;
	*head = b;
	return b + 1;
}

/* The decoder never reallocates; the encoder gets plain realloc */
static void *
plain_realloc(void *ctx, void *ptr, size_t size)
{
	return realloc(ptr, size);
}

/* Free the whole arena */
static void
arena_free(Block *head)
{
	while (head)
	{
		Block	   *next = head->next;

		free(head);
		head = next;
	}
}

/* Compare two optional strings */
static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Deep comparison of two decoded fields */
static int
same_field(const ArrowField *a, const ArrowField *b)
{
	if (!same_str(a->name, b->name) || a->nullable != b->nullable ||
		a->type != b->type || a->bit_width != b->bit_width ||
		a->is_signed != b->is_signed || a->unit != b->unit ||
		a->precision != b->precision || a->scale != b->scale ||
		a->size != b->size || a->keys_sorted != b->keys_sorted ||
		!same_str(a->timezone, b->timezone) ||
		a->n_type_ids != b->n_type_ids || a->dict != b->dict ||
		a->dict_id != b->dict_id ||
		a->dict_index_bit_width != b->dict_index_bit_width ||
		a->dict_index_signed != b->dict_index_signed ||
		a->dict_ordered != b->dict_ordered ||
		a->n_children != b->n_children)
		return 0;
	for (int i = 0; i < a->n_type_ids; i++)
		if (a->type_ids[i] != b->type_ids[i])
			return 0;
	for (int i = 0; i < a->n_children; i++)
		if (!same_field(&a->children[i], &b->children[i]))
			return 0;
	return 1;
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer entry point */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Block	   *arena = NULL;
	ArrowAllocator mem = {arena_alloc, plain_realloc, &arena};
	ArrowSchema s1,
				s2;
	ArrowError	err;
	uint8_t    *copy = malloc(size ? size : 1);
	uint8_t    *out = NULL;
	size_t		out_len = 0;

	/* a private copy so that reads past the end are caught by ASan */
	memcpy(copy, data, size);
	if (arrow_decode_schema(copy, size, &mem, &s1, &err))
	{
		ArrowField	root1 = {0},
					root2 = {0};

		if (!arrow_encode_schema(&s1, &mem, &out, &out_len, &err))
			abort();
		if (out_len % 8 != 0)
			abort();
		if (!arrow_decode_schema(out, out_len, &mem, &s2, &err))
		{
			fprintf(stderr, "re-encoded schema does not decode: %s\n", err.message);
			abort();
		}
		root1.n_children = s1.n_fields;
		root1.children = s1.fields;
		root2.n_children = s2.n_fields;
		root2.children = s2.fields;
		if (!same_field(&root1, &root2))
			abort();
	}
	else if (strlen(err.message) == 0)
		abort();				/* a failure must say why */
	free(out);
	free(copy);
	arena_free(arena);
	return 0;
}

#ifdef FUZZ_MAIN
#include "replay_main.h"
#endif

/*-------------------------------------------------------------------------
 * pg_shim.c
 *	  Minimal implementations of the PostgreSQL backend symbols that
 *	  dune_mv's parsers link against, so that they run in a libFuzzer
 *	  process instead of a server (see fuzz_shim.h).
 *
 * Memory contexts are lists of exactly-sized malloc blocks (a read past
 * any palloc'd block is an AddressSanitizer report, where the server's
 * allocator would round the block up); reset callbacks run as in mcxt.c.
 * ereport(ERROR) longjmps to the innermost PG_TRY (PG_exception_stack),
 * as pg_re_throw does; the error data stack, CopyErrorData and
 * FlushErrorState behave like elog.c's.  The database encoding is UTF8:
 * the encoding functions follow mbutils.c (PostgreSQL 15) over the real
 * wchar.c of libpgcommon; StringInfo and psprintf are libpgcommon's own.
 * jsonb_in and numeric_in only check their input as the server would
 * (raising its errors) and return a copy; datums that the fuzzed code
 * forms into tuples go nowhere.  Anything else of the backend that the
 * fuzzed files reference but the targets must never reach aborts.
 *
 * This file: globals and memory contexts; pg_shim_errors.c: errors and the
 * harness runtime; pg_shim_text.c: encodings, text, arrays, lists;
 * pg_shim_time.c: time, fmgr and the SQL input functions; pg_shim_rows.c:
 * rows, sets, settings, interrupts.
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
 * Globals of the backend
 * ---------------------------------------------------------------------
 */
MemoryContext CurrentMemoryContext = NULL;
MemoryContext TopMemoryContext = NULL;
MemoryContext ErrorContext = NULL;
sigjmp_buf *PG_exception_stack = NULL;
ErrorContextCallback *error_context_stack = NULL;
emit_log_hook_type emit_log_hook = NULL;
const char *debug_query_string = NULL;
bool		standard_conforming_strings = true;
volatile sig_atomic_t InterruptPending = false;
volatile sig_atomic_t QueryCancelPending = false;
volatile sig_atomic_t ProcDiePending = false;
volatile uint32 CritSectionCount = 0;
Oid			MyDatabaseId = 1;
int			MyProcPid = 1;
const int	day_tab[2][13] = {
	{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 0},
	{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 0}
};

ShimError	shim_error;

/* Abort: a harness invariant failed, or code reached what it must not. */
void
shim_fail(const char *fmt,...)
{
	va_list		ap;

	fputs("\nFUZZ INVARIANT FAILED: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

/* A backend function the fuzzed code references but must not reach here. */
void
unexpected(const char *what)
{
	shim_fail("backend function %s called: not provided by test/fuzz/pg_shim.c", what);
}

/* ---------------------------------------------------------------------
 * Memory contexts
 * ---------------------------------------------------------------------
 */

/* A block: list links, then (like PostgreSQL's chunk headers) its context just before the data. */
typedef struct ShimChunk
{
	struct ShimChunk *prev;
	struct ShimChunk *next;
	Size		size;
	MemoryContext context;
} ShimChunk;

typedef struct ShimContext
{
	MemoryContextData base;		/* first: a MemoryContext points here */
	ShimChunk  *chunks;
} ShimContext;

#define CHUNK_OF(ptr)	((ShimChunk *) ((char *) (ptr) - sizeof(ShimChunk)))
#define DATA_OF(chunk)	((void *) ((char *) (chunk) + sizeof(ShimChunk)))

MemoryContext
context_create(MemoryContext parent, const char *name)
{
	ShimContext *c = calloc(1, sizeof(ShimContext));

	if (c == NULL)
		shim_fail("out of memory creating a memory context");
	c->base.type = T_AllocSetContext;
	c->base.isReset = true;
	c->base.name = name;
	c->base.parent = parent;
	if (parent)
	{
		c->base.nextchild = parent->firstchild;
		if (parent->firstchild)
			parent->firstchild->prevchild = &c->base;
		parent->firstchild = &c->base;
	}
	return &c->base;
}

MemoryContext
AllocSetContextCreateInternal(MemoryContext parent, const char *name, Size minContextSize,
							  Size initBlockSize, Size maxBlockSize)
{
	return context_create(parent, name);
}

/* Run the reset callbacks (newest first, as mcxt.c does) and free every block. */
static void
context_reset_only(MemoryContext context)
{
	ShimContext *c = (ShimContext *) context;
	MemoryContextCallback *cb;

	while ((cb = context->reset_cbs) != NULL)
	{
		context->reset_cbs = cb->next;
		cb->func(cb->arg);
	}
	while (c->chunks)
	{
		ShimChunk  *next = c->chunks->next;

		free(c->chunks);
		c->chunks = next;
	}
	context->isReset = true;
}

void
MemoryContextDelete(MemoryContext context)
{
	if (context == NULL)
		shim_fail("MemoryContextDelete(NULL)");
	if (context == CurrentMemoryContext)
		shim_fail("MemoryContextDelete of the current memory context \"%s\"", context->name);
	while (context->firstchild)
		MemoryContextDelete(context->firstchild);
	context_reset_only(context);
	if (context->prevchild)
		context->prevchild->nextchild = context->nextchild;
	else if (context->parent)
		context->parent->firstchild = context->nextchild;
	if (context->nextchild)
		context->nextchild->prevchild = context->prevchild;
	free(context);
}

void
MemoryContextDeleteChildren(MemoryContext context)
{
	while (context->firstchild)
		MemoryContextDelete(context->firstchild);
}

void
MemoryContextReset(MemoryContext context)
{
	MemoryContextDeleteChildren(context);
	context_reset_only(context);
}

void
MemoryContextResetOnly(MemoryContext context)
{
	context_reset_only(context);
}

void
MemoryContextRegisterResetCallback(MemoryContext context, MemoryContextCallback *cb)
{
	cb->next = context->reset_cbs;
	context->reset_cbs = cb;
	context->isReset = false;
}

void *
MemoryContextAllocExtended(MemoryContext context, Size size, int flags)
{
	ShimContext *c = (ShimContext *) context;
	ShimChunk  *chunk;

	if (((flags & MCXT_ALLOC_HUGE) != 0 && !AllocHugeSizeIsValid(size)) ||
		((flags & MCXT_ALLOC_HUGE) == 0 && !AllocSizeIsValid(size)))
		elog(ERROR, "invalid memory alloc request size %zu", size);
	chunk = malloc(sizeof(ShimChunk) + size);
	if (chunk == NULL)
	{
		if (flags & MCXT_ALLOC_NO_OOM)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed on request of size %zu in memory context \"%s\".",
						   size, context->name)));
	}
	chunk->size = size;
	chunk->context = context;
	chunk->prev = NULL;
	chunk->next = c->chunks;
	if (c->chunks)
		c->chunks->prev = chunk;
	c->chunks = chunk;
	context->isReset = false;
	if (flags & MCXT_ALLOC_ZERO)
		memset(DATA_OF(chunk), 0, size);
	return DATA_OF(chunk);
}

void *
MemoryContextAlloc(MemoryContext context, Size size)
{
	return MemoryContextAllocExtended(context, size, 0);
}

void *
MemoryContextAllocZero(MemoryContext context, Size size)
{
	return MemoryContextAllocExtended(context, size, MCXT_ALLOC_ZERO);
}

void *
MemoryContextAllocZeroAligned(MemoryContext context, Size size)
{
	return MemoryContextAllocExtended(context, size, MCXT_ALLOC_ZERO);
}

void *
MemoryContextAllocHuge(MemoryContext context, Size size)
{
	return MemoryContextAllocExtended(context, size, MCXT_ALLOC_HUGE);
}

void *
palloc(Size size)
{
	return MemoryContextAllocExtended(CurrentMemoryContext, size, 0);
}

void *
palloc0(Size size)
{
	return MemoryContextAllocExtended(CurrentMemoryContext, size, MCXT_ALLOC_ZERO);
}

void *
palloc_extended(Size size, int flags)
{
	return MemoryContextAllocExtended(CurrentMemoryContext, size, flags);
}

void
pfree(void *pointer)
{
	ShimChunk  *chunk;
	ShimContext *c;

	if (pointer == NULL)
		shim_fail("pfree(NULL)");
	chunk = CHUNK_OF(pointer);
	c = (ShimContext *) chunk->context;
	if (chunk->prev)
		chunk->prev->next = chunk->next;
	else
		c->chunks = chunk->next;
	if (chunk->next)
		chunk->next->prev = chunk->prev;
	free(chunk);
}

static void *
repalloc_internal(void *pointer, Size size, bool huge)
{
	ShimChunk  *chunk;
	ShimChunk  *moved;
	ShimContext *c;

	if (pointer == NULL)
		shim_fail("repalloc(NULL)");
	if (huge ? !AllocHugeSizeIsValid(size) : !AllocSizeIsValid(size))
		elog(ERROR, "invalid memory alloc request size %zu", size);
	chunk = CHUNK_OF(pointer);
	c = (ShimContext *) chunk->context;
	moved = realloc(chunk, sizeof(ShimChunk) + size);
	if (moved == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed on request of size %zu in memory context \"%s\".",
						   size, c->base.name)));
	moved->size = size;
	if (moved->prev)
		moved->prev->next = moved;
	else
		c->chunks = moved;
	if (moved->next)
		moved->next->prev = moved;
	return DATA_OF(moved);
}

void *
repalloc(void *pointer, Size size)
{
	return repalloc_internal(pointer, size, false);
}

void *
repalloc_huge(void *pointer, Size size)
{
	return repalloc_internal(pointer, size, true);
}

char *
MemoryContextStrdup(MemoryContext context, const char *string)
{
	Size		len = strlen(string) + 1;
	char	   *nstr = MemoryContextAlloc(context, len);

	memcpy(nstr, string, len);
	return nstr;
}

char *
pstrdup(const char *in)
{
	return MemoryContextStrdup(CurrentMemoryContext, in);
}

char *
pnstrdup(const char *in, Size len)
{
	char	   *out;

	len = strnlen(in, len);
	out = palloc(len + 1);
	memcpy(out, in, len);
	out[len] = '\0';
	return out;
}


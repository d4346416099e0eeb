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
static void
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

static MemoryContext
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

/* ---------------------------------------------------------------------
 * Errors (elog.c)
 * ---------------------------------------------------------------------
 */
#define SHIM_ERRORDATA_STACK 5

static ErrorData errordata[SHIM_ERRORDATA_STACK];
static int	errordata_depth = -1;

static void
free_error_fields(ErrorData *e)
{
	free(e->message);
	free(e->detail);
	free(e->detail_log);
	free(e->hint);
	free(e->context);
	free(e->internalquery);
	memset(e, 0, sizeof(*e));
}

bool
errstart(int elevel, const char *domain)
{
	ErrorData  *e;

	if (++errordata_depth >= SHIM_ERRORDATA_STACK)
		shim_fail("ERRORDATA_STACK_SIZE exceeded (errors raised while handling errors)");
	e = &errordata[errordata_depth];
	memset(e, 0, sizeof(*e));
	e->elevel = elevel;
	e->output_to_server = true;
	e->output_to_client = true;
	e->domain = domain;
	e->sqlerrcode = elevel >= ERROR ? ERRCODE_INTERNAL_ERROR :
		elevel >= WARNING ? ERRCODE_WARNING : ERRCODE_SUCCESSFUL_COMPLETION;
	e->saved_errno = errno;
	return true;				/* every report's arguments are evaluated */
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

static ErrorData *
current_error(void)
{
	if (errordata_depth < 0)
		shim_fail("an error field was set outside errstart/errfinish");
	return &errordata[errordata_depth];
}

/* The formatted text of fmt, malloc'd (PostgreSQL's own vsnprintf: %m, %zu, ...). */
static char *
format_va(const char *fmt, va_list ap, int saved_errno)
{
	va_list		copy;
	int			n;
	char	   *out;

	errno = saved_errno;
	va_copy(copy, ap);
	n = pg_vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		shim_fail("vsnprintf failed on format \"%s\"", fmt);
	out = malloc((size_t) n + 1);
	if (out == NULL)
		shim_fail("out of memory formatting a message");
	errno = saved_errno;
	pg_vsnprintf(out, (size_t) n + 1, fmt, ap);
	return out;
}

#define SET_FIELD(field) \
	do { \
		ErrorData  *e = current_error(); \
		va_list		ap; \
		char	   *text; \
		va_start(ap, fmt); \
		text = format_va(fmt, ap, e->saved_errno); \
		va_end(ap); \
		free(e->field); \
		e->field = text; \
	} while (0)

int
errcode(int sqlerrcode)
{
	current_error()->sqlerrcode = sqlerrcode;
	return 0;
}

int
errmsg(const char *fmt,...)
{
	SET_FIELD(message);
	current_error()->message_id = fmt;
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	SET_FIELD(message);
	current_error()->message_id = fmt;
	return 0;
}

int
errmsg_plural(const char *fmt_singular, const char *fmt_plural, unsigned long n,...)
{
	ErrorData  *e = current_error();
	va_list		ap;

	va_start(ap, n);
	free(e->message);
	e->message = format_va(n == 1 ? fmt_singular : fmt_plural, ap, e->saved_errno);
	va_end(ap);
	return 0;
}

int
errdetail(const char *fmt,...)
{
	SET_FIELD(detail);
	return 0;
}

int
errdetail_internal(const char *fmt,...)
{
	SET_FIELD(detail);
	return 0;
}

int
errdetail_log(const char *fmt,...)
{
	SET_FIELD(detail_log);
	return 0;
}

int
errhint(const char *fmt,...)
{
	SET_FIELD(hint);
	return 0;
}

int
errcontext_msg(const char *fmt,...)
{
	SET_FIELD(context);
	return 0;
}

int
set_errcontext_domain(const char *domain)
{
	current_error()->context_domain = domain;
	return 0;
}

int
errhidestmt(bool hide_stmt)
{
	current_error()->hide_stmt = hide_stmt;
	return 0;
}

int
errhidecontext(bool hide_ctx)
{
	current_error()->hide_ctx = hide_ctx;
	return 0;
}

int
errposition(int cursorpos)
{
	current_error()->cursorpos = cursorpos;
	return 0;
}

void
pg_re_throw(void)
{
	if (PG_exception_stack == NULL)
		shim_fail("ERROR raised outside any PG_TRY: %s",
				  errordata_depth >= 0 && errordata[errordata_depth].message ?
				  errordata[errordata_depth].message : "(no message)");
	siglongjmp(*PG_exception_stack, 1);
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	ErrorData  *e = current_error();

	e->filename = filename;
	e->lineno = lineno;
	e->funcname = funcname;
	if (e->message == NULL)
		shim_fail("a report without a message at %s:%d (%s)", filename, lineno, funcname);
	if (e->elevel > ERROR)
		shim_fail("FATAL or PANIC report at %s:%d: %s", filename, lineno, e->message);
	if (e->elevel == ERROR)
		pg_re_throw();
	/* a NOTICE, WARNING, LOG...: reported (through the hook) and forgotten */
	if (emit_log_hook)
		emit_log_hook(e);
	free_error_fields(e);
	errordata_depth--;
}

static char *
pstrdup_or_null(const char *s)
{
	return s ? pstrdup(s) : NULL;
}

ErrorData *
CopyErrorData(void)
{
	ErrorData  *copy = palloc(sizeof(ErrorData));
	ErrorData  *e = current_error();

	*copy = *e;
	copy->message = pstrdup_or_null(e->message);
	copy->detail = pstrdup_or_null(e->detail);
	copy->detail_log = pstrdup_or_null(e->detail_log);
	copy->hint = pstrdup_or_null(e->hint);
	copy->context = pstrdup_or_null(e->context);
	copy->internalquery = pstrdup_or_null(e->internalquery);
	copy->assoc_context = CurrentMemoryContext;
	return copy;
}

void
FreeErrorData(ErrorData *edata)
{
	if (edata->message)
		pfree(edata->message);
	if (edata->detail)
		pfree(edata->detail);
	if (edata->detail_log)
		pfree(edata->detail_log);
	if (edata->hint)
		pfree(edata->hint);
	if (edata->context)
		pfree(edata->context);
	if (edata->internalquery)
		pfree(edata->internalquery);
	pfree(edata);
}

void
FlushErrorState(void)
{
	while (errordata_depth >= 0)
		free_error_fields(&errordata[errordata_depth--]);
}

void
EmitErrorReport(void)
{
	ErrorData  *e = current_error();

	if (emit_log_hook)
		emit_log_hook(e);
}

/* ---------------------------------------------------------------------
 * The harness runtime
 * ---------------------------------------------------------------------
 */
void
shim_begin(void)
{
	if (TopMemoryContext == NULL)
	{
		TopMemoryContext = context_create(NULL, "TopMemoryContext");
		ErrorContext = context_create(TopMemoryContext, "ErrorContext");
	}
	FlushErrorState();
	PG_exception_stack = NULL;
	error_context_stack = NULL;
	CurrentMemoryContext = context_create(TopMemoryContext, "fuzz input");
}

void
shim_end(void)
{
	MemoryContext input = CurrentMemoryContext;

	FlushErrorState();
	PG_exception_stack = NULL;
	/* the input's context, even if the fuzzed code left another one current */
	while (input != NULL && input->parent != TopMemoryContext)
		input = input->parent;
	CurrentMemoryContext = TopMemoryContext;
	if (input != NULL && input != TopMemoryContext)
		MemoryContextDelete(input);
	MemoryContextReset(ErrorContext);
	debug_query_string = NULL;
}

static void
clear_shim_error(void)
{
	free(shim_error.message);
	free(shim_error.detail);
	free(shim_error.hint);
	free(shim_error.context);
	memset(&shim_error, 0, sizeof(shim_error));
}

static char *
strdup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

bool
shim_try(void (*fn) (void *arg), void *arg)
{
	static int	verbose = -1;
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool ok = true;

	clear_shim_error();
	PG_TRY();
	{
		fn(arg);
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(cxt);
		e = current_error();
		if (emit_log_hook)
			emit_log_hook(e);	/* as EmitErrorReport does at the top level */
		clear_shim_error();		/* (a nested shim_try may have set it) */
		shim_error.sqlerrcode = e->sqlerrcode;
		memcpy(shim_error.sqlstate, unpack_sql_state(e->sqlerrcode), 6);
		shim_error.message = strdup_or_null(e->message);
		shim_error.detail = strdup_or_null(e->detail);
		shim_error.hint = strdup_or_null(e->hint);
		shim_error.context = strdup_or_null(e->context);
		shim_error.funcname = e->funcname;
		shim_error.filename = e->filename;
		shim_error.lineno = e->lineno;
		FlushErrorState();
		ok = false;
	}
	PG_END_TRY();
	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (verbose)
		fprintf(stderr, "fuzz: %s%s%s\n", ok ? "returned" : "ERROR ", ok ? "" : shim_error.sqlstate,
				ok ? "" : psprintf(": %s", shim_error.message));
	/* elog(ERROR) is for "cannot happen": from outside input it is a bug */
	if (!ok && shim_error.sqlerrcode == ERRCODE_INTERNAL_ERROR)
		shim_fail("internal error (XX000) at %s:%d in %s: %s", shim_error.filename,
				  shim_error.lineno, shim_error.funcname, shim_error.message);
	return ok;
}

char *
unpack_sql_state(int sql_state)
{
	static char buf[12];

	for (int i = 0; i < 5; i++)
	{
		buf[i] = PGUNSIXBIT(sql_state);
		sql_state >>= 6;
	}
	buf[5] = '\0';
	return buf;
}

char *
shim_cstring(const uint8_t *data, size_t len)
{
	char	   *s = palloc(len + 1);

	if (len > 0)
		memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

Datum
shim_text(const char *s, int len)
{
	return PointerGetDatum(cstring_to_text_with_len(s, len));
}

bool
shim_valid_text(const char *s, size_t len)
{
	return len <= INT_MAX && memchr(s, '\0', len) == NULL &&
		pg_encoding_verifymbstr(PG_UTF8, s, (int) len) == (int) len;
}

FunctionCallInfo
shim_fcinfo(int nargs)
{
	FunctionCallInfo fcinfo = palloc0(SizeForFunctionCallInfo(nargs));

	fcinfo->nargs = nargs;
	for (int i = 0; i < nargs; i++)
		fcinfo->args[i].isnull = true;
	return fcinfo;
}

void
shim_arg(FunctionCallInfo fcinfo, int n, Datum value)
{
	fcinfo->args[n].value = value;
	fcinfo->args[n].isnull = false;
}

int
shim_split(const uint8_t *data, size_t size, const char *sep, ShimPart *parts, int max)
{
	size_t		seplen = strlen(sep);
	int			n = 0;
	const uint8_t *p = data;
	const uint8_t *end = data + size;

	while (n < max)
	{
		const uint8_t *hit = NULL;

		if (n < max - 1 && (size_t) (end - p) >= seplen)
			hit = memmem(p, end - p, sep, seplen);
		parts[n].data = p;
		parts[n].len = hit ? (size_t) (hit - p) : (size_t) (end - p);
		n++;
		if (hit == NULL)
			break;
		p = hit + seplen;
	}
	return n;
}

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
		{
			bitmask <<= 1;
			if (bitmask == 0x100)
			{
				bitmap++;
				bitmask = 1;
			}
		}
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
		{
			bitmask <<= 1;
			if (bitmask == 0x100)
			{
				bitmap++;
				bitmask = 1;
			}
		}
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

/* ---------------------------------------------------------------------
 * Time (timestamp.c, datetime.c)
 * ---------------------------------------------------------------------
 */
TimestampTz
GetCurrentTimestamp(void)
{
	struct timeval tp;

	gettimeofday(&tp, NULL);
	return ((TimestampTz) tp.tv_sec -
			((POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)) * USECS_PER_SEC +
		tp.tv_usec;
}

int
date2j(int y, int m, int d)
{
	int			julian;
	int			century;

	if (m > 2)
	{
		m += 1;
		y += 4800;
	}
	else
	{
		m += 13;
		y += 4799;
	}
	century = y / 100;
	julian = y * 365 - 32167;
	julian += y / 4 - century + century / 4;
	julian += 7834 * m / 256 + d;
	return julian;
}

void
j2date(int jd, int *year, int *month, int *day)
{
	unsigned int julian;
	unsigned int quad;
	unsigned int extra;
	int			y;

	julian = jd;
	julian += 32044;
	quad = julian / 146097;
	extra = (julian - quad * 146097) * 4 + 3;
	julian += 60 + quad * 3 + extra / 146097;
	quad = julian / 1461;
	julian -= quad * 1461;
	y = julian * 4 / 1461;
	julian = ((y != 0) ? ((julian + 305) % 365) : ((julian + 306) % 366)) + 123;
	y += quad * 4;
	*year = y - 4800;
	quad = julian * 2141 / 65536;
	*day = julian - 7834 * quad / 256;
	*month = (quad + 10) % MONTHS_PER_YEAR + 1;
}

void
dt2time(Timestamp jd, int *hour, int *min, int *sec, fsec_t *fsec)
{
	TimeOffset	time = jd;

	*hour = time / USECS_PER_HOUR;
	time -= (*hour) * USECS_PER_HOUR;
	*min = time / USECS_PER_MINUTE;
	time -= (*min) * USECS_PER_MINUTE;
	*sec = time / USECS_PER_SEC;
	*fsec = time - (*sec * USECS_PER_SEC);
}

int
tm2timestamp(struct pg_tm *tm, fsec_t fsec, int *tzp, Timestamp *result)
{
	TimeOffset	date;
	TimeOffset	time;

	if (!IS_VALID_JULIAN(tm->tm_year, tm->tm_mon, tm->tm_mday))
	{
		*result = 0;
		return -1;
	}
	date = date2j(tm->tm_year, tm->tm_mon, tm->tm_mday) - POSTGRES_EPOCH_JDATE;
	time = (((((tm->tm_hour * MINS_PER_HOUR) + tm->tm_min) * SECS_PER_MINUTE) + tm->tm_sec) *
			USECS_PER_SEC) + fsec;
	*result = date * USECS_PER_DAY + time;
	if ((*result - time) / USECS_PER_DAY != date)
	{
		*result = 0;
		return -1;
	}
	if ((*result < 0 && date > 0) || (*result > 0 && date < -1))
	{
		*result = 0;
		return -1;
	}
	if (tzp != NULL)
		*result -= (-(*tzp)) * USECS_PER_SEC;	/* dt2local(*result, -(*tzp)) */
	if (!IS_VALID_TIMESTAMP(*result))
	{
		*result = 0;
		return -1;
	}
	return 0;
}

int
timestamp2tm(Timestamp dt, int *tzp, struct pg_tm *tm, fsec_t *fsec, const char **tzn,
			 pg_tz *attimezone)
{
	Timestamp	date;
	Timestamp	time;

	if (tzp != NULL)
		unexpected("timestamp2tm with a time zone");
	time = dt;
	TMODULO(time, date, USECS_PER_DAY);
	if (time < INT64CONST(0))
	{
		time += USECS_PER_DAY;
		date -= 1;
	}
	date += POSTGRES_EPOCH_JDATE;
	if (date < 0 || date > (Timestamp) INT_MAX)
		return -1;
	j2date((int) date, &tm->tm_year, &tm->tm_mon, &tm->tm_mday);
	dt2time(time, &tm->tm_hour, &tm->tm_min, &tm->tm_sec, fsec);
	tm->tm_isdst = -1;
	tm->tm_gmtoff = 0;
	tm->tm_zone = NULL;
	if (tzn != NULL)
		*tzn = NULL;
	return 0;
}

/* ---------------------------------------------------------------------
 * fmgr, and the SQL input functions the fuzzed code calls
 * ---------------------------------------------------------------------
 */
Datum
DirectFunctionCall1Coll(PGFunction func, Oid collation, Datum arg1)
{
	LOCAL_FCINFO(fcinfo, 1);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, 1, collation, NULL, NULL);
	fcinfo->args[0].value = arg1;
	fcinfo->args[0].isnull = false;
	result = (*func) (fcinfo);
	if (fcinfo->isnull)
		elog(ERROR, "function %p returned NULL", (void *) func);
	return result;
}

Datum
DirectFunctionCall2Coll(PGFunction func, Oid collation, Datum arg1, Datum arg2)
{
	LOCAL_FCINFO(fcinfo, 2);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, 2, collation, NULL, NULL);
	fcinfo->args[0].value = arg1;
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = arg2;
	fcinfo->args[1].isnull = false;
	result = (*func) (fcinfo);
	if (fcinfo->isnull)
		elog(ERROR, "function %p returned NULL", (void *) func);
	return result;
}

Datum
DirectFunctionCall3Coll(PGFunction func, Oid collation, Datum arg1, Datum arg2, Datum arg3)
{
	LOCAL_FCINFO(fcinfo, 3);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, 3, collation, NULL, NULL);
	fcinfo->args[0].value = arg1;
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = arg2;
	fcinfo->args[1].isnull = false;
	fcinfo->args[2].value = arg3;
	fcinfo->args[2].isnull = false;
	result = (*func) (fcinfo);
	if (fcinfo->isnull)
		elog(ERROR, "function %p returned NULL", (void *) func);
	return result;
}

/* A strict JSON checker, to raise what jsonb_in would: one value, nothing after it. */
typedef struct JsonCheck
{
	const char *p;
	const char *end;
	const char *error;
} JsonCheck;

static void
jc_ws(JsonCheck *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int
jc_hex4(const char *p)
{
	int			v = 0;

	for (int i = 0; i < 4; i++)
	{
		char		ch = p[i];

		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			v |= ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			v |= ch - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static bool
jc_string(JsonCheck *c)
{
	c->p++;
	while (c->p < c->end && *c->p != '"')
	{
		unsigned char ch = (unsigned char) *c->p;

		if (ch < 0x20)
			return (c->error = "Character with value 0x.. must be escaped."), false;
		if (ch != '\\')
		{
			c->p++;
			continue;
		}
		if (c->end - c->p < 2)
			return (c->error = "The input string ended unexpectedly."), false;
		if (c->p[1] == 'u')
		{
			int			cp;

			if (c->end - c->p < 6 || (cp = jc_hex4(c->p + 2)) < 0)
				return (c->error = "\"\\u\" must be followed by four hexadecimal digits."), false;
			c->p += 6;
			if (cp == 0)
				return (c->error = "\\u0000 cannot be converted to text."), false;
			if (cp >= 0xD800 && cp <= 0xDBFF)
			{
				int			lo;

				if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' ||
					(lo = jc_hex4(c->p + 2)) < 0 || lo < 0xDC00 || lo > 0xDFFF)
					return (c->error = "Unicode high surrogate must not follow a high surrogate."), false;
				c->p += 6;
			}
			else if (cp >= 0xDC00 && cp <= 0xDFFF)
				return (c->error = "Unicode low surrogate must follow a high surrogate."), false;
			continue;
		}
		if (strchr("\"\\/bfnrt", c->p[1]) == NULL || c->p[1] == '\0')
			return (c->error = "Escape sequence is invalid."), false;
		c->p += 2;
	}
	if (c->p >= c->end)
		return (c->error = "The input string ended unexpectedly."), false;
	c->p++;
	return true;
}

static bool
jc_value(JsonCheck *c, int depth)
{
	jc_ws(c);
	if (c->p >= c->end)
		return (c->error = "The input string ended unexpectedly."), false;
	if (depth > 6400)
		return (c->error = "stack depth limit exceeded"), false;
	switch (*c->p)
	{
		case '"':
			return jc_string(c);
		case '{':
		case '[':
			{
				char		close = *c->p == '{' ? '}' : ']';
				bool		object = close == '}';

				c->p++;
				jc_ws(c);
				if (c->p < c->end && *c->p == close)
				{
					c->p++;
					return true;
				}
				for (;;)
				{
					if (object)
					{
						jc_ws(c);
						if (c->p >= c->end || *c->p != '"' || !jc_string(c))
							return (c->error = c->error ? c->error : "Expected string."), false;
						jc_ws(c);
						if (c->p >= c->end || *c->p != ':')
							return (c->error = "Expected \":\"."), false;
						c->p++;
					}
					if (!jc_value(c, depth + 1))
						return false;
					jc_ws(c);
					if (c->p < c->end && *c->p == ',')
					{
						c->p++;
						continue;
					}
					if (c->p < c->end && *c->p == close)
					{
						c->p++;
						return true;
					}
					return (c->error = "Expected \",\" or closing bracket."), false;
				}
			}
		case 't':
		case 'f':
		case 'n':
			{
				const char *word = *c->p == 't' ? "true" : *c->p == 'f' ? "false" : "null";
				size_t		len = strlen(word);

				if ((size_t) (c->end - c->p) < len || memcmp(c->p, word, len) != 0 ||
					((size_t) (c->end - c->p) > len && (isalnum((unsigned char) c->p[len]) ||
														c->p[len] == '_')))
					return (c->error = "Token is invalid."), false;
				c->p += len;
				return true;
			}
		default:
			{
				const char *p = c->p;

				if (p < c->end && *p == '-')
					p++;
				if (p < c->end && *p == '0')
					p++;
				else if (p < c->end && *p >= '1' && *p <= '9')
					while (p < c->end && isdigit((unsigned char) *p))
						p++;
				else
					return (c->error = "Token is invalid."), false;
				if (p < c->end && *p == '.')
				{
					p++;
					if (p >= c->end || !isdigit((unsigned char) *p))
						return (c->error = "Token is invalid."), false;
					while (p < c->end && isdigit((unsigned char) *p))
						p++;
				}
				if (p < c->end && (*p == 'e' || *p == 'E'))
				{
					p++;
					if (p < c->end && (*p == '+' || *p == '-'))
						p++;
					if (p >= c->end || !isdigit((unsigned char) *p))
						return (c->error = "Token is invalid."), false;
					while (p < c->end && isdigit((unsigned char) *p))
						p++;
				}
				if (p < c->end && (isalnum((unsigned char) *p) || *p == '_' || *p == '.'))
					return (c->error = "Token is invalid."), false;
				c->p = p;
				return true;
			}
	}
}

/* jsonb_in: raises as the server would for text that is not one JSON value; returns a copy. */
Datum
jsonb_in(PG_FUNCTION_ARGS)
{
	char	   *text = PG_GETARG_CSTRING(0);
	size_t		len = strlen(text);
	JsonCheck	c = {text, text + len, NULL};

	(void) pg_verify_mbstr(PG_UTF8, text, (int) len, false);
	if (!jc_value(&c, 0) || (jc_ws(&c), c.p != c.end))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s", "json"),
				 errdetail("%s", c.error ? c.error : "Expected end of input.")));
	PG_RETURN_POINTER(cstring_to_text_with_len(text, len));
}

/* numeric_in: raises as the server would for text that is not a number; returns a copy. */
Datum
numeric_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	const char *p = str;
	bool		digits = false;

	while (isspace((unsigned char) *p))
		p++;
	if (pg_strncasecmp(p, "NaN", 3) == 0)
		p += 3, digits = true;
	else if ((*p == '+' || *p == '-') && pg_strncasecmp(p + 1, "Infinity", 8) == 0)
		p += 9, digits = true;
	else if (pg_strncasecmp(p, "Infinity", 8) == 0)
		p += 8, digits = true;
	else if ((*p == '+' || *p == '-') && pg_strncasecmp(p + 1, "inf", 3) == 0)
		p += 4, digits = true;
	else if (pg_strncasecmp(p, "inf", 3) == 0)
		p += 3, digits = true;
	else
	{
		if (*p == '+' || *p == '-')
			p++;
		while (isdigit((unsigned char) *p))
			p++, digits = true;
		if (*p == '.')
		{
			p++;
			while (isdigit((unsigned char) *p))
				p++, digits = true;
		}
		if (digits && (*p == 'e' || *p == 'E'))
		{
			const char *q = p + 1;

			if (*q == '+' || *q == '-')
				q++;
			if (isdigit((unsigned char) *q))
			{
				while (isdigit((unsigned char) *q))
					q++;
				p = q;
			}
		}
	}
	while (isspace((unsigned char) *p))
		p++;
	if (!digits || *p != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", "numeric", str)));
	PG_RETURN_POINTER(cstring_to_text(str));
}

Datum
jsonb_out(PG_FUNCTION_ARGS)
{
	unexpected("jsonb_out");
	PG_RETURN_NULL();
}

/* interval_out: months, days and microseconds (not PostgreSQL's IntervalStyle). */
Datum
interval_out(PG_FUNCTION_ARGS)
{
	Interval   *span = PG_GETARG_INTERVAL_P(0);

	PG_RETURN_CSTRING(psprintf("%d mons %d days " INT64_FORMAT " us", span->month, span->day,
							   span->time));
}

/* timestamptz + interval, for intervals of days and time (no months). */
Datum
timestamptz_pl_interval(PG_FUNCTION_ARGS)
{
	TimestampTz ts = PG_GETARG_TIMESTAMPTZ(0);
	Interval   *span = PG_GETARG_INTERVAL_P(1);

	if (span->month != 0)
		unexpected("timestamptz_pl_interval with months");
	if (TIMESTAMP_NOT_FINITE(ts))
		PG_RETURN_TIMESTAMPTZ(ts);
	PG_RETURN_TIMESTAMPTZ(ts + span->day * USECS_PER_DAY + span->time);
}

Datum
timestamptz_mi_interval(PG_FUNCTION_ARGS)
{
	unexpected("timestamptz_mi_interval");
	PG_RETURN_NULL();
}

/* ---------------------------------------------------------------------
 * Rows and sets: formed, then dropped
 * ---------------------------------------------------------------------
 */
TypeFuncClass
get_call_result_type(FunctionCallInfo fcinfo, Oid *resultTypeId, TupleDesc *resultTupleDesc)
{
	if (resultTypeId)
		*resultTypeId = RECORDOID;
	if (resultTupleDesc)
		*resultTupleDesc = NULL;
	return TYPEFUNC_COMPOSITE;
}

TupleDesc
BlessTupleDesc(TupleDesc tupdesc)
{
	return tupdesc;
}

HeapTuple
heap_form_tuple(TupleDesc tupleDescriptor, Datum *values, bool *isnull)
{
	HeapTuple	tuple = palloc0(HEAPTUPLESIZE + sizeof(HeapTupleHeaderData));

	tuple->t_data = (HeapTupleHeader) ((char *) tuple + HEAPTUPLESIZE);
	return tuple;
}

Datum
HeapTupleHeaderGetDatum(HeapTupleHeader tuple)
{
	return PointerGetDatum(tuple);
}

void
InitMaterializedSRF(FunctionCallInfo fcinfo, bits32 flags)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo))
		shim_fail("InitMaterializedSRF without a ReturnSetInfo");
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = (Tuplestorestate *) palloc0(16);
	rsinfo->setDesc = NULL;
}

int			shim_tuplestore_rows = 0;

void
tuplestore_putvalues(Tuplestorestate *state, TupleDesc tdesc, Datum *values, bool *isnull)
{
	if (state == NULL)
		shim_fail("tuplestore_putvalues without a tuplestore");
	shim_tuplestore_rows++;
}

FuncCallContext *
init_MultiFuncCall(PG_FUNCTION_ARGS)
{
	unexpected("init_MultiFuncCall");
	return NULL;
}

FuncCallContext *
per_MultiFuncCall(PG_FUNCTION_ARGS)
{
	unexpected("per_MultiFuncCall");
	return NULL;
}

void
end_MultiFuncCall(PG_FUNCTION_ARGS, FuncCallContext *funcctx)
{
	unexpected("end_MultiFuncCall");
}

/* ---------------------------------------------------------------------
 * The rest: settings, interrupts, recovery
 * ---------------------------------------------------------------------
 */
void
DefineCustomIntVariable(const char *name, const char *short_desc, const char *long_desc,
						int *valueAddr, int bootValue, int minValue, int maxValue,
						GucContext context, int flags, GucIntCheckHook check_hook,
						GucIntAssignHook assign_hook, GucShowHook show_hook)
{
	*valueAddr = bootValue;
}

void
ProcessInterrupts(void)
{
	InterruptPending = false;
}

bool
RecoveryInProgress(void)
{
	return false;
}

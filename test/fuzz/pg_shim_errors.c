/*-------------------------------------------------------------------------
 * pg_shim_errors.c
 *	  Errors (elog.c) and the harness runtime.
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

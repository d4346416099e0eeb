/*-------------------------------------------------------------------------
 * fuzz_shim.h
 *	  What the libFuzzer targets that run dune_mv's PostgreSQL code outside
 *	  a server share: the backend runtime of pg_shim.c (memory contexts,
 *	  ereport caught with sigsetjmp as PG_TRY does, text and arrays) and the
 *	  stand-ins of dune_mv_stubs.c (a scripted HTTP exchange instead of
 *	  libcurl, a catalog that records nothing but reads every field).
 *
 * Each input runs between shim_begin() and shim_end(): every palloc of the
 * input is freed (memory-context reset callbacks included, so json-c
 * objects are put) and LeakSanitizer sees no leak.  Every palloc is an
 * exactly-sized malloc, so AddressSanitizer sees a read one byte past any
 * allocation (the server's allocator would round it up and hide it).
 *-------------------------------------------------------------------------
 */
#ifndef FUZZ_SHIM_H
#define FUZZ_SHIM_H

#include "postgres.h"

#include <stdint.h>

#include "fmgr.h"

/* ---- the runtime (pg_shim.c) ---- */

/* Start one input: a fresh memory context, no pending error. */
extern void shim_begin(void);

/* End it: free everything it allocated. */
extern void shim_end(void);

/*
 * Run fn(arg) as under PG_TRY: true when it returned, false when it raised
 * an ERROR, whose SQLSTATE and texts are then in shim_error (until the next
 * shim_try).  The error passes through emit_log_hook first, as when the
 * server reports it.
 */
typedef struct ShimError
{
	int			sqlerrcode;
	char		sqlstate[6];
	char	   *message;
	char	   *detail;
	char	   *hint;
	char	   *context;
	const char *funcname;
	const char *filename;
	int			lineno;
} ShimError;

extern ShimError shim_error;
extern bool shim_try(void (*fn) (void *arg), void *arg);

/* Abort with a message (an invariant of the target does not hold). */
extern void shim_fail(const char *fmt,...) pg_attribute_printf(1, 2) pg_attribute_noreturn();

/* A palloc'd NUL-terminated copy of len bytes (exactly len + 1 bytes). */
extern char *shim_cstring(const uint8_t *data, size_t len);

/* A text Datum holding len bytes. */
extern Datum shim_text(const char *s, int len);

/* A one-dimensional text[] of n elements (nulls[i]: NULL element; nulls may be NULL). */
extern Datum shim_text_array(char **items, bool *nulls, int n);

/* A FunctionCallInfo with nargs arguments, all NULL until set. */
extern FunctionCallInfo shim_fcinfo(int nargs);
extern void shim_arg(FunctionCallInfo fcinfo, int n, Datum value);

/* Whether s (len bytes) is valid UTF-8 without NUL, as every text of the server is. */
extern bool shim_valid_text(const char *s, size_t len);

/* Split data at every occurrence of sep; returns the number of parts (at most max). */
typedef struct ShimPart
{
	const uint8_t *data;
	size_t		len;
} ShimPart;
extern int	shim_split(const uint8_t *data, size_t size, const char *sep, ShimPart *parts, int max);

/* ---- the extension's modules left out (dune_mv_stubs.c) ---- */

/* The scripted answers of http_perform, in order; none left: a connection failure. */
#define SHIM_MAX_RESPONSES 16
extern void shim_script_reset(void);
extern void shim_script_add(long status, const uint8_t *body, size_t len, long retry_after_ms);

/*
 * Add the responses written in parts: each "NNN body" (a 3-digit status, a
 * space), "NNN@MS body" (with a Retry-After of MS milliseconds) or just
 * "body" (status 200).
 */
extern void shim_script_parts(const ShimPart *parts, int n);
extern int	shim_script_sent(void);

/* The keys and tokens the providers are configured with (all secret). */
#define SHIM_DUNE_KEY		"dk_fuzz0123456789abcdefDUNE"
#define SHIM_LANCE_KEY		"lk_fuzz0123456789abcdefLANCE"
#define SHIM_LANCE_TOKEN	"lt_fuzz0123456789abcdefTOKEN"
#define SHIM_FILE_KEY		"fk_fuzz0123456789abcdefFILE"

/* Configure base URLs and credentials once (idempotent). */
extern void shim_configure_providers(void);

/* The value credential_file_value returns for the Dune key (NULL: none). */
extern const char *shim_dune_file_value;

/* What catalog_record saw of the last call it recorded (0: none). */
extern int	shim_records;

/* Whether catalog_find_view finds a recorded view, and its names. */
extern bool shim_catalog_has_view;

#endif

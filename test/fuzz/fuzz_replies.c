/*-------------------------------------------------------------------------
 * fuzz_replies.c
 *	  libFuzzer target for the reply readers of both APIs, reached the way a
 *	  user reaches them: through the SQL functions, with the transport
 *	  replaced by scripted answers (test/fuzz/dune_mv_stubs.c).
 *
 *	  Dune (src/functions/dune_views.c, results_source.c, follow.c):
 *		upsert (dune_read_upsert; with keep_schedule: the list pages, the
 *		next_offset paging, the view read and its schedule), refresh
 *		(dune_read_refresh), get (read_get, read_schedule, the view row),
 *		list (list_page, next_offset), delete, cancel ("success"), wait
 *		(status polls until finished; a 429 waits its Retry-After), and the
 *		latest successful execution of a view (latest_from_api: the view's
 *		last_execution_ids, then a status read of each).
 *	  Lance (src/functions/lance_views.c, lance_tables.c):
 *		create (lance_read_create: version, job_id), refresh
 *		(lance_read_refresh), describe (read_describe), exists, drop, list
 *		(page_token paging), wait (job status polls).
 *	  Each call goes through api_call (src/core/call.c): a status that is
 *	  not 2xx goes to remote_error_raise, a 2xx body to json_parse_owned and
 *	  the reader, then to catalog_record, whose stand-in converts every
 *	  field as record.c does (a NULL where record.c needs a text aborts).
 *
 * Input: a first line naming the operation and options, then the answers
 * separated by a line "--8<--":
 *		get [bare] [catalog] [keep] [expires]\n{"id": ...}\n--8<--\n404 {"error": ...}
 * An answer is "NNN body" (status NNN), "NNN@MS body" (with a Retry-After
 * of MS milliseconds) or just a body (200).  An unknown
 * operation name picks one by the first byte.  Options: bare (a bare view
 * name instead of dune.team.result_...), catalog (the catalog knows the
 * view), keep (upsert with keep_schedule), expires (upsert with cron and
 * expires_at), root (lance list of the root namespace), dot (Lance
 * delimiter "." instead of "$").
 *
 * Any ERROR is an acceptable outcome (a malformed reply is 08P01, a remote
 * error its class); an internal error (XX000), a crash, a sanitizer report
 * or a broken catalog record is not.
 *-------------------------------------------------------------------------
 */
#include "fuzz_shim.h"

#include "core/json_util.h"

#include "funcapi.h"
#include "nodes/execnodes.h"
#include "utils/timestamp.h"
#include "datatype/timestamp.h"

#include "functions/results.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern Datum dune_mv_upsert(PG_FUNCTION_ARGS);
extern Datum dune_mv_refresh(PG_FUNCTION_ARGS);
extern Datum dune_mv_get(PG_FUNCTION_ARGS);
extern Datum dune_mv_list(PG_FUNCTION_ARGS);
extern Datum dune_mv_delete(PG_FUNCTION_ARGS);
extern Datum dune_mv_cancel(PG_FUNCTION_ARGS);
extern Datum dune_mv_wait(PG_FUNCTION_ARGS);
extern Datum lance_mv_wait(PG_FUNCTION_ARGS);
extern Datum lance_mv_create(PG_FUNCTION_ARGS);
extern Datum lance_mv_refresh(PG_FUNCTION_ARGS);
extern Datum lance_mv_describe(PG_FUNCTION_ARGS);
extern Datum lance_mv_exists(PG_FUNCTION_ARGS);
extern Datum lance_mv_drop(PG_FUNCTION_ARGS);
extern Datum lance_mv_list(PG_FUNCTION_ARGS);

#define SEPARATOR "\n--8<--\n"
#define FULL_NAME "dune.team.result_fuzz_view"
#define BARE_NAME "result_fuzz_view"
#define EXECUTION_ID "01HZ065JVE23C23FM2HKWQP2RT"
/* lance_arrow_schema('id bigint'), a checked vector of API-NOTES.md */
#define OUTPUT_SCHEMA "/////3gAAAAQAAAACgAMAAgACgAEAAAADAAAABAAAAAEAAEACAAIAAAABAAIAAAABAAAAAEAAAAUAAAAEAAUAAQAEAARAAgAAAAMABAAAAAQAAAAHAAAACQAAAABAgAAAgAAAGlkAAAIAAwABAAIAAgAAABAAAAAAQAAAAAAAAA="

typedef struct Options
{
	bool		bare;
	bool		keep;
	bool		expires;
	bool		root;
	bool		dot;
} Options;

static Options opt;

static Datum
view_name(void)
{
	return CStringGetTextDatum(opt.bare ? BARE_NAME : FULL_NAME);
}

static Datum
lance_id(bool is_namespace)
{
	static char *names[] = {"analytics", "daily_docs"};

	if (is_namespace && opt.root)
		return shim_text_array(names, NULL, 0);
	return shim_text_array(names, NULL, is_namespace ? 1 : 2);
}

static Datum
delimiter(void)
{
	return CStringGetTextDatum(opt.dot ? "." : "$");
}

static FunctionCallInfo
srf_fcinfo(int nargs)
{
	FunctionCallInfo fcinfo = shim_fcinfo(nargs);
	ReturnSetInfo *rsinfo = palloc0(sizeof(ReturnSetInfo));

	rsinfo->type = T_ReturnSetInfo;
	rsinfo->allowedModes = SFRM_Materialize | SFRM_ValuePerCall;
	fcinfo->resultinfo = (fmNodePtr) rsinfo;
	return fcinfo;
}

static void
op_upsert(void *arg)
{
	FunctionCallInfo fcinfo = shim_fcinfo(7);

	shim_arg(fcinfo, 0, CStringGetTextDatum(BARE_NAME));
	shim_arg(fcinfo, 1, Int64GetDatum(4242));
	if (opt.expires)
	{
		shim_arg(fcinfo, 2, CStringGetTextDatum("0 3 * * 1"));
		shim_arg(fcinfo, 3, TimestampTzGetDatum(GetCurrentTimestamp() + USECS_PER_DAY * 30));
		shim_arg(fcinfo, 5, CStringGetTextDatum("large"));
	}
	shim_arg(fcinfo, 4, BoolGetDatum(true));
	if (opt.keep)
		shim_arg(fcinfo, 6, BoolGetDatum(true));
	(void) dune_mv_upsert(fcinfo);
}

static void
op_refresh(void *arg)
{
	FunctionCallInfo fcinfo = shim_fcinfo(2);

	shim_arg(fcinfo, 0, view_name());
	(void) dune_mv_refresh(fcinfo);
}

static void
op_get(void *arg)
{
	FunctionCallInfo fcinfo = shim_fcinfo(1);

	shim_arg(fcinfo, 0, view_name());
	(void) dune_mv_get(fcinfo);
}

static void
op_list(void *arg)
{
	(void) dune_mv_list(srf_fcinfo(0));
}

static void
op_delete(void *arg)
{
	FunctionCallInfo fcinfo = shim_fcinfo(1);

	shim_arg(fcinfo, 0, view_name());
	(void) dune_mv_delete(fcinfo);
}

static void
op_cancel(void *arg)
{
	FunctionCallInfo fcinfo = shim_fcinfo(1);

	shim_arg(fcinfo, 0, CStringGetTextDatum(EXECUTION_ID));
	(void) dune_mv_cancel(fcinfo);
}

/* wait(id, '1 hour'): polls until finished; a tolerated 429 waits its Retry-After */
static void
wait_op(PGFunction fn, const char *id)
{
	FunctionCallInfo fcinfo = shim_fcinfo(2);
	Interval   *hour = palloc0(sizeof(Interval));

	hour->time = USECS_PER_HOUR;
	shim_arg(fcinfo, 0, CStringGetTextDatum(id));
	shim_arg(fcinfo, 1, IntervalPGetDatum(hour));
	(void) fn(fcinfo);
}

static void
op_wait(void *arg)
{
	wait_op(dune_mv_wait, EXECUTION_ID);
}

static void
op_lance_wait(void *arg)
{
	wait_op(lance_mv_wait, "job-7f3a");
}

static void
op_latest(void *arg)
{
	char	   *id = results_resolve_source(opt.bare ? BARE_NAME : FULL_NAME);

	if (id == NULL || !shim_valid_text(id, strlen(id)))
		shim_fail("results_resolve_source returned no valid execution id");
}

static void
op_lance_create(void *arg)
{
	FunctionCallInfo fcinfo = shim_fcinfo(8);

	shim_arg(fcinfo, 0, lance_id(false));
	shim_arg(fcinfo, 1, CStringGetTextDatum("query"));
	shim_arg(fcinfo, 2, CStringGetTextDatum("{\"table\": \"docs\"}"));
	shim_arg(fcinfo, 3, CStringGetTextDatum(OUTPUT_SCHEMA));
	shim_arg(fcinfo, 5, BoolGetDatum(false));
	shim_arg(fcinfo, 6, BoolGetDatum(false));
	shim_arg(fcinfo, 7, delimiter());
	(void) lance_mv_create(fcinfo);
}

static void
op_lance_refresh(void *arg)
{
	FunctionCallInfo fcinfo = shim_fcinfo(10);

	shim_arg(fcinfo, 0, lance_id(false));
	shim_arg(fcinfo, 2, Int32GetDatum(1000));
	shim_arg(fcinfo, 7, CStringGetTextDatum("gpu-pool"));
	shim_arg(fcinfo, 9, delimiter());
	(void) lance_mv_refresh(fcinfo);
}

static void
lance_table_op(PGFunction fn)
{
	FunctionCallInfo fcinfo = shim_fcinfo(2);

	shim_arg(fcinfo, 0, lance_id(false));
	shim_arg(fcinfo, 1, delimiter());
	(void) fn(fcinfo);
}

static void
op_lance_describe(void *arg)
{
	lance_table_op(lance_mv_describe);
}

static void
op_lance_exists(void *arg)
{
	lance_table_op(lance_mv_exists);
}

static void
op_lance_drop(void *arg)
{
	lance_table_op(lance_mv_drop);
}

static void
op_lance_list(void *arg)
{
	FunctionCallInfo fcinfo = srf_fcinfo(2);

	shim_arg(fcinfo, 0, lance_id(true));
	shim_arg(fcinfo, 1, delimiter());
	(void) lance_mv_list(fcinfo);
}

static const struct
{
	const char *name;
	void		(*fn) (void *arg);
}			OPS[] = {
	{"upsert", op_upsert},
	{"refresh", op_refresh},
	{"get", op_get},
	{"list", op_list},
	{"delete", op_delete},
	{"cancel", op_cancel},
	{"wait", op_wait},
	{"latest", op_latest},
	{"lance_create", op_lance_create},
	{"lance_refresh", op_lance_refresh},
	{"lance_describe", op_lance_describe},
	{"lance_exists", op_lance_exists},
	{"lance_drop", op_lance_drop},
	{"lance_list", op_lance_list},
	{"lance_wait", op_lance_wait},
};

static bool
has_word(const char *line, const char *word)
{
	size_t		len = strlen(word);

	for (const char *p = strstr(line, word); p; p = strstr(p + 1, word))
		if ((p == line || p[-1] == ' ') && (p[len] == '\0' || p[len] == ' '))
			return true;
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t		head_len = nl ? (size_t) (nl - data) : size;
	ShimPart	parts[SHIM_MAX_RESPONSES];
	int			nparts = 0;
	char	   *head;
	size_t		op = 0;
	size_t		name_len;

	if (size == 0)
		return 0;
	shim_configure_providers();
	shim_begin();
	head = shim_cstring(data, head_len);
	name_len = strcspn(head, " ");
	op = data[0] % lengthof(OPS);
	for (size_t i = 0; i < lengthof(OPS); i++)
		if (strlen(OPS[i].name) == name_len && strncmp(head, OPS[i].name, name_len) == 0)
			op = i;
	opt.bare = has_word(head, "bare");
	opt.keep = has_word(head, "keep");
	opt.expires = has_word(head, "expires");
	opt.root = has_word(head, "root");
	opt.dot = has_word(head, "dot");
	shim_catalog_has_view = has_word(head, "catalog");

	if (nl)
		nparts = shim_split(nl + 1, size - head_len - 1, SEPARATOR, parts, SHIM_MAX_RESPONSES);
	shim_script_reset();
	shim_script_parts(parts, nparts);
	shim_records = 0;
	if (shim_try(OPS[op].fn, NULL) && shim_script_sent() == 0)
		shim_fail("%s succeeded without a request", OPS[op].name);
	shim_end();
	return 0;
}

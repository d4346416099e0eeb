/*-------------------------------------------------------------------------
 * fuzz_status.c
 *	  libFuzzer target for status replies: status_parse_time() and the reply
 *	  reader of status_prepare() (src/core/status.c), for Dune executions
 *	  (GET /v1/execution/{id}/status) and Lance jobs (POST /v1/jobs/describe),
 *	  then the status row of dune_mv_status and lance_mv_job_status
 *	  (src/functions/follow.c).
 *
 * Input: the whole input is used three ways: as an RFC 3339 time (up to a
 * NUL), as a Dune status reply and as a Lance job reply (HTTP 200 bodies).
 *
 * Checks besides memory errors:
 *	- status_parse_time agrees with an independent parser written from
 *	  RFC 3339 and the file's header (which times it accepts, and the
 *	  instant), and a time it accepts survives format_rfc3339 and back;
 *	- a reply read without error has a state, "finished" follows the
 *	  provider's rule (Dune: is_execution_finished, or a state other than
 *	  PENDING/EXECUTING; Lance: DONE, FAILED, CANCELLED, TIMED_OUT), and
 *	  each time is known exactly when its field is readable, with that value.
 *-------------------------------------------------------------------------
 */
#include "fuzz_shim.h"

#include "core/json_util.h"

#include "core/call.h"
#include "core/status.h"
#include "functions/validate.h"
#include "providers/dune.h"
#include "providers/lance.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The SQL functions of src/functions/follow.c. */
extern Datum dune_mv_status(PG_FUNCTION_ARGS);
extern Datum lance_mv_job_status(PG_FUNCTION_ARGS);

#define DUNE_ID		"01HZ065JVE23C23FM2HKWQP2RT"
#define LANCE_ID	"job-7f3a"

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (H. Hinnant's days_from_civil). */
static int64
days_from_civil(int64 y, int m, int d)
{
	int64		era;
	int64		yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool
digits(const char *s, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		*out = *out * 10 + (s[i] - '0');
	}
	return true;
}

/*
 * RFC 3339 date-time (time-secfrac of any length, truncated to
 * microseconds; t and z in either case; second 60 allowed), years 0001 to
 * 9999: microseconds since 2000-01-01 UTC.
 */
static bool
reference_time(const char *s, int64 *usec)
{
	int			y, mo, d, h, mi, sec, tzh = 0, tzm = 0, sign = 0;
	int64		frac = 0;
	int			nfrac = 0;
	const char *p;
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool		leap;

	if (s == NULL)
		return false;
	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
		!digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
		s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
		return false;
	p = s + 19;
	if (*p == '.')
	{
		p++;
		while (*p >= '0' && *p <= '9')
		{
			if (nfrac < 6)
				frac = frac * 10 + (*p - '0');
			nfrac++;
			p++;
		}
		if (nfrac == 0)
			return false;
		for (int i = nfrac; i < 6; i++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-')
	{
		sign = *p == '+' ? 1 : -1;
		if (!digits(p + 1, 2, &tzh) || p[3] != ':' || !digits(p + 4, 2, &tzm))
			return false;
		p += 6;
	}
	else
		return false;
	if (*p != '\0')
		return false;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap) ||
		h > 23 || mi > 59 || sec > 60 || tzh > 23 || tzm > 59)
		return false;
	*usec = (days_from_civil(y, mo, d) - days_from_civil(2000, 1, 1)) * INT64CONST(86400000000) +
		((int64) (h * 60 + mi) * 60 + sec) * 1000000 + frac -
		(int64) sign * (tzh * 3600 + tzm * 60) * 1000000;
	return true;
}

/* status_parse_time against the reference, and through format_rfc3339 and back. */
static void
check_time(const char *text)
{
	TrackedTime t;
	TrackedTime back;
	int64		expected;
	bool		ok = status_parse_time(text, &t);
	bool		ref = reference_time(text, &expected);

	if (ok != t.known)
		shim_fail("status_parse_time returned %d but known is %d", ok, t.known);
	if (ok != ref)
		shim_fail("status_parse_time %s \"%s\", the reference %s it", ok ? "accepts" : "refuses",
				  text, ref ? "accepts" : "refuses");
	if (!ok)
		return;
	if (t.value != expected)
		shim_fail("\"%s\" read as " INT64_FORMAT ", expected " INT64_FORMAT, text, t.value,
				  expected);
	if (!status_parse_time(format_rfc3339(t.value), &back) || back.value != t.value)
		shim_fail("\"%s\" does not survive format_rfc3339 (\"%s\")", text,
				  format_rfc3339(t.value));
}

typedef struct StatusRead
{
	const Provider *provider;
	const char *id;
	ApiCall		call;
	TrackedExecution exec;
	PGFunction	sql_fn;
} StatusRead;

static void
read_status(void *arg)
{
	StatusRead *s = arg;

	status_prepare(&s->call, s->provider, s->id, &s->exec);
	(void) api_call(&s->call);
}

static void
sql_status(void *arg)
{
	StatusRead *s = arg;
	FunctionCallInfo fcinfo = shim_fcinfo(1);

	shim_arg(fcinfo, 0, CStringGetTextDatum(s->id));
	(void) s->sql_fn(fcinfo);
}

static bool
in_list(const char *s, const char *const *list)
{
	for (; list && *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* A time field of the reply as the provider writes it, and what the reader made of it. */
static void
check_time_field(const StatusRead *s, const char *key, const TrackedTime *t)
{
	const ProviderStatus *st = s->provider->status;
	json_object *v;
	bool		present = key != NULL && json_object_object_get_ex(s->call.reply, key, &v);
	int64		expected = 0;
	bool		known = false;

	if (present && st->time_format == STATUS_TIME_RFC3339 &&
		json_object_is_type(v, json_type_string))
		known = reference_time(json_object_get_string(v), &expected);
	else if (present && st->time_format == STATUS_TIME_EPOCH_MS &&
			 json_object_is_type(v, json_type_int))
	{
		/*
		 * Milliseconds since 1970; a timestamptz holds 4714-11-24 BC to
		 * 294276 AD.  status.c also refuses what would overflow int64 as
		 * microseconds since 1970 (after 292277 AD): accepted here as well.
		 */
		int64		ms = json_object_get_int64(v);
		__int128	us = (__int128) ms * 1000 - INT64CONST(946684800000000);

		known = ms < PG_INT64_MAX / 1000 && us >= MIN_TIMESTAMP && us < END_TIMESTAMP;
		expected = known ? (int64) us : 0;
	}
	if (t->known != known || (known && t->value != expected))
		shim_fail("%s \"%s\": known %d value " INT64_FORMAT ", expected known %d value " INT64_FORMAT,
				  s->provider->name, key, t->known, t->value, known, expected);
}

static void
check_read(StatusRead *s)
{
	const ProviderStatus *st = s->provider->status;
	const TrackedExecution *e = &s->exec;
	json_object *reply = s->call.reply;
	json_object *flag;
	bool		finished;

	if (reply == NULL || e->state == NULL || e->reply != reply || e->remote_id == NULL ||
		strcmp(e->remote_id, s->id) != 0)
		shim_fail("%s status read without a state, reply or id", s->provider->name);
	finished = st->final_states ? in_list(e->state, st->final_states) :
		!in_list(e->state, st->running_states);
	if (st->finished_flag_key && json_object_object_get_ex(reply, st->finished_flag_key, &flag) &&
		json_object_is_type(flag, json_type_boolean) && json_object_get_boolean(flag))
		finished = true;
	if (e->is_finished != finished)
		shim_fail("%s state \"%s\": finished %d, expected %d", s->provider->name, e->state,
				  e->is_finished, finished);
	check_time_field(s, st->submitted_key, &e->submitted_at);
	check_time_field(s, st->started_key, &e->started_at);
	check_time_field(s, st->ended_key, &e->ended_at);
	check_time_field(s, st->cancelled_key, &e->cancelled_at);
	if (status_succeeded(st, e) != (finished && in_list(e->state, st->success_states)))
		shim_fail("status_succeeded disagrees for \"%s\"", e->state);
}

static void
run_provider(const Provider *provider, const char *id, PGFunction sql_fn,
			 const uint8_t *data, size_t size)
{
	StatusRead *s = palloc0(sizeof(StatusRead));

	s->provider = provider;
	s->id = id;
	s->sql_fn = sql_fn;
	shim_script_reset();
	shim_script_add(200, data, size, -1);
	if (shim_try(read_status, s))
		check_read(s);
	shim_script_reset();
	shim_script_add(200, data, size, -1);
	(void) shim_try(sql_status, s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	shim_configure_providers();
	shim_begin();
	check_time(shim_cstring(data, size));
	run_provider(&dune_provider, DUNE_ID, dune_mv_status, data, size);
	run_provider(&lance_provider, LANCE_ID, lance_mv_job_status, data, size);
	shim_end();
	return 0;
}

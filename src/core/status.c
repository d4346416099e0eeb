/*-------------------------------------------------------------------------
 * status.c
 *	  Executions and jobs, read the same way for every provider: the status
 *	  request, the reply read into a TrackedExecution, and the finished and
 *	  success rules, all driven by the provider's ProviderStatus.
 *
 * Only the state is required in a reply; a timestamp that cannot be read
 * is unknown (the raw reply keeps it).  RFC 3339 times may have up to 9
 * fractional digits and are truncated to microseconds.  May call core/
 * only.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/json_util.h"

#include <ctype.h>

#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "core/call.h"
#include "core/status.h"

/* True when s is one of the NULL-terminated list. */
static bool
in_list(const char *s, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* Read n decimal digits at s into *out; false unless all n are digits. */
static bool
read_digits(const char *s, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++)
	{
		if (!isdigit((unsigned char) s[i]))
			return false;
		*out = *out * 10 + (s[i] - '0');
	}
	return true;
}

/*
 * Parse RFC 3339 (YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)); the
 * fraction may have any number of digits and is truncated to microseconds.
 * Returns false, leaving out->known false, for NULL or anything else.
 */
bool
status_parse_time(const char *text, TrackedTime *out)
{
	int			year, mon, mday, hour, min, sec, tzh = 0, tzm = 0;
	int			tz = 0;
	fsec_t		fsec = 0;
	const char *p;
	struct pg_tm tm;
	Timestamp	ts;

	out->known = false;
	if (text == NULL || strlen(text) < 20 ||
		!read_digits(text, 4, &year) || text[4] != '-' ||
		!read_digits(text + 5, 2, &mon) || text[7] != '-' ||
		!read_digits(text + 8, 2, &mday) || (text[10] != 'T' && text[10] != 't') ||
		!read_digits(text + 11, 2, &hour) || text[13] != ':' ||
		!read_digits(text + 14, 2, &min) || text[16] != ':' ||
		!read_digits(text + 17, 2, &sec))
		return false;
	p = text + 19;
	if (*p == '.')
	{
		int			digits = 0;

		for (p++; isdigit((unsigned char) *p); p++, digits++)
			if (digits < 6)
				fsec = fsec * 10 + (*p - '0');
		if (digits == 0)
			return false;
		for (; digits < 6; digits++)
			fsec *= 10;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if ((*p == '+' || *p == '-') && read_digits(p + 1, 2, &tzh) &&
			 p[3] == ':' && read_digits(p + 4, 2, &tzm))
	{
		tz = (tzh * 3600 + tzm * 60) * (*p == '+' ? -1 : 1);	/* seconds west */
		p += 6;
	}
	else
		return false;
	if (*p != '\0' || year < 1 || mon < 1 || mon > 12 || mday < 1 ||
		mday > day_tab[isleap(year)][mon - 1] || hour > 23 || min > 59 ||
		sec > 60 || tzh > 23 || tzm > 59)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year;
	tm.tm_mon = mon;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	if (tm2timestamp(&tm, fsec, &tz, &ts) != 0)
		return false;
	out->known = true;
	out->value = ts;
	return true;
}

/* Milliseconds since 1970 as a timestamp; unknown when out of range. */
static void
parse_epoch_ms(int64 ms, TrackedTime *out)
{
	const int64 shift = (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;

	out->known = ms > (PG_INT64_MIN + shift) / 1000 && ms < PG_INT64_MAX / 1000;
	if (out->known)
	{
		out->value = ms * 1000 - shift;
		out->known = IS_VALID_TIMESTAMP(out->value);
	}
}

/* Read obj[key] as a time in the given format; unknown when absent or unreadable. */
static void
read_time(json_object *obj, const char *key, StatusTimeFormat format, TrackedTime *out)
{
	int64		ms;

	out->known = false;
	if (key == NULL)
		return;
	if (format == STATUS_TIME_RFC3339)
		(void) status_parse_time(json_string_field(obj, key), out);
	else if (json_int64_field(obj, key, &ms))
		parse_epoch_ms(ms, out);
}

/* The text of a JSON number field (as received), or NULL. */
static const char *
json_number_text(json_object *obj, const char *key)
{
	json_object *v;

	if (key == NULL || obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
		!(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return NULL;
	return json_object_get_string(v);
}

/* Whether a state read is final: by the flag, the final states, or "not running". */
static bool
is_final(const ProviderStatus *st, const char *state, json_object *reply)
{
	bool		flag = false;

	if (st->finished_flag_key && json_bool_field(reply, st->finished_flag_key, &flag) && flag)
		return true;
	if (st->final_states != NULL)
		return in_list(state, st->final_states);
	return !in_list(state, st->running_states);
}

/* True when a finished execution or job ended in success. */
bool
status_succeeded(const ProviderStatus *st, const TrackedExecution *exec)
{
	return exec->is_finished && exec->state != NULL && in_list(exec->state, st->success_states);
}

/*
 * CallReadFn of a status read: read the reply into call->seen (which the
 * catalog then records); only the state is required.
 */
static void
read_status(ApiCall *call)
{
	const ProviderStatus *st = call->provider->status;
	TrackedExecution *exec = call->seen;
	json_object *reply = call->reply;
	json_object *err;

	exec->remote_id = call->remote_id;
	exec->state = api_reply_string(call, st->state_key, true);
	exec->is_finished = is_final(st, exec->state, reply);
	read_time(reply, st->submitted_key, st->time_format, &exec->submitted_at);
	read_time(reply, st->started_key, st->time_format, &exec->started_at);
	read_time(reply, st->ended_key, st->time_format, &exec->ended_at);
	read_time(reply, st->cancelled_key, st->time_format, &exec->cancelled_at);
	exec->cost_credits = json_number_text(reply, st->cost_key);
	if (st->error_key && json_object_object_get_ex(reply, st->error_key, &err))
	{
		if (json_object_is_type(err, json_type_object))
		{
			exec->error = err;
			exec->error_type = json_string_field(err, st->error_type_key);
			exec->error_message = json_string_field(err, st->error_message_key);
		}
		else if (json_object_is_type(err, json_type_string))
			exec->error_message = json_string_value(err);
	}
	exec->reply = reply;
}

/*
 * Prepare the status read of execution or job id into *exec: a read,
 * retried as one, recorded with the state it reads.
 */
void
status_prepare(ApiCall *call, const Provider *provider, const char *id,
			   TrackedExecution *exec)
{
	const ProviderStatus *st = provider->status;

	memset(exec, 0, sizeof(*exec));
	api_prepare(call, provider, st->operation, id, st->method,
				psprintf(st->path, http_escape_segment(id)), HTTP_RETRY_IDEMPOTENT);
	if (st->body_id_key)
	{
		call->body = json_new_object();
		json_add_string(call->body, st->body_id_key, id);
	}
	call->remote_id = id;
	call->seen = exec;
	call->read_reply = read_status;
}

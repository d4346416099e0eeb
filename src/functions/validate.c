/*-------------------------------------------------------------------------
 * validate.c
 *	  Input checks made before any network call.  Every failure is SQLSTATE
 *	  22023 (invalid_parameter_value) with a hint saying what is accepted.
 *
 *	  Also how a message quotes input (validate_quote): the first
 *	  MESSAGE_INPUT_MAX characters, "..." marking a cut, control characters
 *	  escaped (\r, \n, \t, \xNN) and known secrets masked, so that no input
 *	  makes a message (and its line in the server log) long or breaks it.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/datetime.h"

#include "core/redact.h"
#include "cron/cron.h"
#include "functions/validate.h"

#define DUNE_NAME_MIN 8
#define DUNE_NAME_MAX 128
#define DUNE_REF_MAX 255
#define CRON_MIN_GAP_MINUTES 15
#define CRON_MAX_GAP_MINUTES (7 * 24 * 60)

/*
 * text as a message may show it: at most max_chars characters, then "..."
 * when there is more; control characters written \r, \n, \t or \xNN, and so
 * is each byte of an invalid or cut multibyte sequence.  text is in the
 * server encoding.
 */
char *
validate_message_text(const char *text, int max_chars)
{
	StringInfoData buf;
	int			chars = 0;

	initStringInfo(&buf);
	for (const char *p = text; *p; chars++)
	{
		unsigned char c = (unsigned char) *p;

		if (chars == max_chars)
		{
			appendStringInfoString(&buf, "...");
			break;
		}
		if (c == '\r')
			appendStringInfoString(&buf, "\\r");
		else if (c == '\n')
			appendStringInfoString(&buf, "\\n");
		else if (c == '\t')
			appendStringInfoString(&buf, "\\t");
		else if (c < 0x20 || c == 0x7f)
			appendStringInfo(&buf, "\\x%02X", c);
		else
		{
			int			len = pg_mblen_unbounded(p);

			/* a sequence cut short or invalid (a clipped text) shows as bytes */
			if (strnlen(p, len) < (size_t) len ||
				!pg_verify_mbstr(GetDatabaseEncoding(), p, len, true))
				appendStringInfo(&buf, "\\x%02X", c);
			else
			{
				appendBinaryStringInfo(&buf, p, len);
				p += len;
				continue;
			}
		}
		p++;
	}
	return buf.data;
}

/*
 * An input as a message quotes it (between the message's own quotes):
 * known secrets masked first, so that a cut never leaves part of a key,
 * then validate_message_text's limit and escapes.
 */
char *
validate_quote(const char *input)
{
	char	   *copy = pstrdup(input);

	redact_secrets(copy);
	return validate_message_text(copy, MESSAGE_INPUT_MAX);
}

/* A required argument must not be NULL. */
void
validate_required(bool isnull, const char *argname)
{
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be NULL", argname)));
}

/* True when c may appear inside a bare Dune view name. */
static bool
dune_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* Explain why name is not a bare Dune view name, or return NULL. */
static const char *
dune_name_problem(const char *name)
{
	size_t		len = strlen(name);

	if (strncmp(name, "result_", 7) != 0)
		return "it must start with \"result_\"";
	if (len < DUNE_NAME_MIN || len > DUNE_NAME_MAX)
		return psprintf("it must be %d to %d characters long", DUNE_NAME_MIN, DUNE_NAME_MAX);
	for (const char *p = name; *p; p++)
		if (!dune_name_char(*p))
			return psprintf("character \"%s\" is not allowed",
							validate_message_text(pnstrdup(p, pg_mblen_cstr(p)), 1));
	if (name[len - 1] == '_')
		return "it must not end with an underscore";
	return NULL;
}

/* A bare view name as upsert takes it: ^result_([a-z0-9_]*[a-z0-9])?$, 8 to 128 characters. */
void
validate_dune_name(const char *name)
{
	const char *problem = dune_name_problem(name);

	if (problem)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid materialized view name \"%s\": %s", validate_quote(name), problem),
				 errhint("Names are the bare part without \"dune.<team>.\": \"result_\" followed by lower-case letters, digits and underscores, 8 to 128 characters, not ending in \"_\".")));
}

/* A view as refresh, get and delete take it: bare, or fully qualified "dune.team.result_x". */
void
validate_dune_view_ref(const char *name)
{
	const char *last = strrchr(name, '.');
	const char *problem = NULL;

	if (strlen(name) > DUNE_REF_MAX)
		problem = psprintf("it is longer than %d characters", DUNE_REF_MAX);
	else if (last != NULL)
	{
		for (const char *p = name; p < last && !problem; p++)
			if (!(dune_name_char(*p) || *p == '-' || *p == '.') || (*p == '.' && p[1] == '.'))
				problem = "the namespace part may hold only lower-case letters, digits, \"_\", \"-\" and single dots";
		if (!problem && name[0] == '.')
			problem = "it must not start with a dot";
	}
	if (!problem)
		problem = dune_name_problem(last ? last + 1 : name);
	if (problem)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid materialized view name \"%s\": %s", validate_quote(name), problem),
				 errhint("Pass the fully qualified name that dune_mv_upsert returned (\"dune.<team>.result_...\"), or the bare \"result_...\" name of a view upserted from this database.")));
}

/* A Dune execution id or a Lance job id: non-empty, printable, bounded, not a dot segment. */
void
validate_remote_id(const char *id, const char *what)
{
	size_t		len = strlen(id);

	if (len == 0 || len > 128)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s: it must be 1 to 128 characters long", what)));
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s \"%s\"", what, validate_quote(id))));
	for (const unsigned char *p = (const unsigned char *) id; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid %s \"%s\": it must not contain spaces or control characters",
							what, validate_quote(id))));
}

/* A query id is a positive integer. */
void
validate_query_id(int64 query_id)
{
	if (query_id <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid query_id " INT64_FORMAT ": it must be greater than zero", query_id),
				 errhint("Use the id of a saved, non-temporary Dune query without parameters.")));
}

/* performance, when given, is one of small, medium, large. */
void
validate_performance(const char *performance)
{
	if (performance == NULL)
		return;
	if (strcmp(performance, "small") != 0 && strcmp(performance, "medium") != 0 &&
		strcmp(performance, "large") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid performance \"%s\"", validate_quote(performance)),
				 errhint("Use small, medium or large, or NULL for the server's default.")));
}

/* A cron schedule: 5 valid fields, runs 15 minutes to 7 days apart. */
void
validate_cron(const char *cron)
{
	CronCheck	check;

	cron_check(cron, CRON_MIN_GAP_MINUTES, CRON_MAX_GAP_MINUTES, &check);
	if (!check.ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid cron expression \"%s\": %s", validate_quote(cron),
						validate_message_text(check.message, sizeof(check.message))),
				 errhint("%s", check.hint[0] ? check.hint :
						 "Use 5 fields (minute hour day-of-month month day-of-week, UTC) with runs at least 15 minutes and at most 7 days apart, e.g. \"*/15 * * * *\" or \"0 3 * * 1\".")));
}

/* expires_at ends a schedule: only with cron, and in the future. */
void
validate_expires_at(TimestampTz expires_at, bool have_cron)
{
	if (!have_cron)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expires_at needs a cron schedule"),
				 errhint("expires_at ends the schedule given by cron; pass both, or neither.")));
	if (TIMESTAMP_NOT_FINITE(expires_at) || expires_at <= GetCurrentTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expires_at must be in the future"),
				 errhint("Pass a finite timestamptz later than now().")));
}

/* RFC 3339 in UTC, e.g. 2026-09-11T23:59:59Z (microseconds only when present). */
char *
format_rfc3339(TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(ts) || timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	if (fsec != 0)
		return psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year, tm.tm_mon,
						tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int) fsec);
	return psprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year, tm.tm_mon,
					tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Text argument n as a remote id (execution_id, job_id): required and checked. */
char *
validate_id_arg(FunctionCallInfo fcinfo, int n, const char *what)
{
	char	   *id;

	validate_required(PG_ARGISNULL(n), what);
	id = text_to_cstring(PG_GETARG_TEXT_PP(n));
	validate_remote_id(id, what);
	return id;
}

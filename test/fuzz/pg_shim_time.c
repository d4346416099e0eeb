/*-------------------------------------------------------------------------
 * pg_shim_time.c
 *	  Time (timestamp.c, datetime.c), fmgr and the SQL input functions.
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

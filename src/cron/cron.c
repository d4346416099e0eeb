/*-------------------------------------------------------------------------
 *
 * cron.c
 *	  Parse a 5-field cron expression; the gaps between its runs are
 *	  checked in cron_gaps.c.
 *
 * Syntax (vixie cron): exactly 5 whitespace-separated fields
 *
 *	  minute (0-59)  hour (0-23)  day-of-month (1-31)  month (1-12, JAN-DEC)
 *	  day-of-week (0-7, 0 and 7 = Sunday, SUN-SAT)
 *
 * each a comma list of "*", "N", "A-B", optionally followed by "/step";
 * "N/step" means "N-max/step".  Names are case-insensitive.  Day matching
 * follows vixie cron: when both day fields are restricted (neither starts
 * with '*'), a day matches if either matches; otherwise both must match.
 * @macros, seconds/year fields and Quartz forms (?, L, W, #) are refused.
 *
 * Pure C99 and libc only: no PostgreSQL headers and no allocation, so the
 * file can be unit-tested and fuzzed standalone.
 *
 *-------------------------------------------------------------------------
 */
#include "cron_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Description of one field of the expression. */
typedef struct CronField
{
	const char *name;			/* for messages, e.g. "day-of-month" */
	int			lo;				/* smallest value */
	int			hi;				/* largest value */
	int			step_max;		/* largest step accepted */
	const char *const *names;	/* three-letter names, or NULL */
	int			name_base;		/* value of names[0] */
	const char *name_hint;		/* how names are spelled */
} CronField;

static const char *const month_names[] = {
	"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
	"JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL
};

static const char *const dow_names[] = {
	"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL
};

static const CronField cron_fields[CRON_NFIELDS] = {
	{"minute", 0, 59, 60, NULL, 0, NULL},
	{"hour", 0, 23, 24, NULL, 0, NULL},
	{"day-of-month", 1, 31, 31, NULL, 0, NULL},
	{"month", 1, 12, 12, month_names, 1,
	"use 1-12 or JAN, FEB, MAR, APR, MAY, JUN, JUL, AUG, SEP, OCT, NOV, DEC"},
	{"day-of-week", 0, 7, 7, dow_names, 0,
	"use 0-7 (0 and 7 are Sunday) or SUN, MON, TUE, WED, THU, FRI, SAT"},
};

/* ASCII-only character classes, independent of the locale */
#define IS_DIGIT(c)		((c) >= '0' && (c) <= '9')
#define IS_ALPHA(c)		(((c) >= 'A' && (c) <= 'Z') || ((c) >= 'a' && (c) <= 'z'))
#define IS_BLANK(c)		((c) == ' ' || (c) == '\t')
#define TO_UPPER(c)		(((c) >= 'a' && (c) <= 'z') ? (char) ((c) - 'a' + 'A') : (c))

static const char *const five_fields_hint =
"write 5 fields (minute hour day-of-month month day-of-week), e.g. \"0 3 * * *\"";

/* Format a message or hint into buf. */
void
cron_set_text(char *buf, size_t size, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

/* Case-insensitive comparison of a word of length len with a NUL-terminated name. */
static bool
word_equals(const char *word, size_t len, const char *name)
{
	size_t		i;

	if (strlen(name) != len)
		return false;
	for (i = 0; i < len; i++)
		if (TO_UPPER(word[i]) != name[i])
			return false;
	return true;
}

/* Report a character that has no place at this point of a field. */
static void
unexpected_char(const CronField *f, const char *item, size_t len, char c,
				CronCheck *r)
{
	if (c == '?')
	{
		set_message(r, "%s field: '?' is not supported (Quartz syntax)", f->name);
		set_hint(r, "use '*' instead of '?'");
	}
	else if (c == '#')
	{
		set_message(r, "%s field: '#' (n-th weekday of the month) is not supported",
					f->name);
		set_hint(r, "standard cron has no n-th weekday form; list weekdays such as \"1\" (Monday) instead");
	}
	else
	{
		set_message(r, "%s field: unexpected character '%c' in \"%.*s\"",
					f->name, c, (int) (len > 40 ? 40 : len), item);
		set_hint(r, "each field is a comma list of *, N, A-B, */S, A-B/S or N/S");
	}
}

/* Report Quartz 'L'/'W' forms in the day fields. */
static void
quartz_letter(const CronField *f, CronCheck *r)
{
	if (f == &cron_fields[FIELD_DOM])
	{
		set_message(r, "%s field: 'L' (last day) and 'W' (nearest weekday) are not supported (Quartz syntax)",
					f->name);
		set_hint(r, "use plain days, ranges and lists, e.g. \"28-31\" or \"1,15\"");
	}
	else
	{
		set_message(r, "%s field: 'L' (last weekday of the month) is not supported (Quartz syntax)",
					f->name);
		set_hint(r, "use plain weekdays, ranges and lists, e.g. \"5\" or \"MON-FRI\"");
	}
}

/* Parse one number or name at item[*pos]; false (with the error set) on failure. */
static bool
parse_value(const CronField *f, const char *item, size_t len, size_t *pos,
			int *value, CronCheck *r)
{
	size_t		start = *pos;
	size_t		i = start;
	bool		day_field = (f == &cron_fields[FIELD_DOM] ||
							 f == &cron_fields[FIELD_DOW]);

	if (i >= len)
	{
		set_message(r, "%s field: a value is missing in \"%.*s\"",
					f->name, (int) (len > 40 ? 40 : len), item);
		set_hint(r, "ranges are written A-B and steps */S, A-B/S or N/S");
		return false;
	}

	if (IS_DIGIT(item[i]))
	{
		long		v = 0;

		while (i < len && IS_DIGIT(item[i]))
		{
			if (v < 100000)
				v = v * 10 + (item[i] - '0');
			i++;
		}
		if (day_field && i < len &&
			(TO_UPPER(item[i]) == 'L' || TO_UPPER(item[i]) == 'W'))
		{
			quartz_letter(f, r);
			return false;
		}
		if (v < f->lo || v > f->hi)
		{
			set_message(r, "%s field: value %.*s is out of range %d-%d",
						f->name, (int) ((i - start) > 20 ? 20 : (i - start)),
						item + start, f->lo, f->hi);
			set_hint(r, "%s values go from %d to %d%s", f->name, f->lo, f->hi,
					 f == &cron_fields[FIELD_DOW] ? " (0 and 7 are Sunday)" : "");
			return false;
		}
		*value = (int) v;
		*pos = i;
		return true;
	}

	if (IS_ALPHA(item[i]))
	{
		size_t		wlen;
		int			k;

		while (i < len && IS_ALPHA(item[i]))
			i++;
		wlen = i - start;
		for (k = 0; f->names != NULL && f->names[k] != NULL; k++)
		{
			if (word_equals(item + start, wlen, f->names[k]))
			{
				*value = f->name_base + k;
				*pos = i;
				return true;
			}
		}
		if (day_field && (word_equals(item + start, wlen, "L") ||
						  word_equals(item + start, wlen, "W") ||
						  word_equals(item + start, wlen, "LW")))
		{
			quartz_letter(f, r);
			return false;
		}
		if (f->names == NULL)
		{
			set_message(r, "%s field: \"%.*s\" is not a number",
						f->name, (int) (wlen > 20 ? 20 : wlen), item + start);
			set_hint(r, "names are only allowed in the month (JAN-DEC) and day-of-week (SUN-SAT) fields");
		}
		else
		{
			set_message(r, "%s field: unknown name \"%.*s\"",
						f->name, (int) (wlen > 20 ? 20 : wlen), item + start);
			set_hint(r, "%s", f->name_hint);
		}
		return false;
	}

	unexpected_char(f, item, len, item[i], r);
	return false;
}

/* Parse one list element (*, N, A-B, with optional /step) into *mask. */
static bool
parse_item(const CronField *f, const char *item, size_t len, uint64_t *mask,
		   CronCheck *r)
{
	size_t		pos = 0;
	int			a;
	int			b;
	int			v;
	int			step = 1;
	bool		single = false;

	if (len == 0)
	{
		set_message(r, "%s field: empty list element", f->name);
		set_hint(r, "separate list elements with single commas, e.g. \"0,30\"");
		return false;
	}

	if (item[0] == '*')
	{
		a = f->lo;
		b = f->hi;
		pos = 1;
	}
	else
	{
		if (!parse_value(f, item, len, &pos, &a, r))
			return false;
		if (pos < len && item[pos] == '-')
		{
			pos++;
			if (!parse_value(f, item, len, &pos, &b, r))
				return false;
			if (a > b)
			{
				set_message(r, "%s field: range \"%.*s\" is reversed (%d is greater than %d)",
							f->name, (int) (pos > 40 ? 40 : pos), item, a, b);
				set_hint(r, "ranges do not wrap around: write the smaller value first, or split it into two ranges, e.g. \"22-23,0-2\"");
				return false;
			}
		}
		else
		{
			b = a;
			single = true;
		}
	}

	if (pos < len && item[pos] == '/')
	{
		size_t		start = ++pos;
		long		s = 0;

		if (pos >= len || !IS_DIGIT(item[pos]))
		{
			set_message(r, "%s field: the step after '/' must be a number in \"%.*s\"",
						f->name, (int) (len > 40 ? 40 : len), item);
			set_hint(r, "write steps as */S, A-B/S or N/S, e.g. \"*/15\"");
			return false;
		}
		while (pos < len && IS_DIGIT(item[pos]))
		{
			if (s < 100000)
				s = s * 10 + (item[pos] - '0');
			pos++;
		}
		if (s == 0)
		{
			set_message(r, "%s field: step 0 is not allowed", f->name);
			set_hint(r, "use a step of at least 1, e.g. \"*/15\"");
			return false;
		}
		if (s > f->step_max)
		{
			set_message(r, "%s field: step %.*s is out of range 1-%d", f->name,
						(int) ((pos - start) > 20 ? 20 : (pos - start)),
						item + start, f->step_max);
			set_hint(r, "a %s step can be at most %d", f->name, f->step_max);
			return false;
		}
		step = (int) s;
		if (single)
			b = f->hi;
	}

	if (pos < len)
	{
		unexpected_char(f, item, len, item[pos], r);
		return false;
	}

	for (v = a; v <= b; v += step)
		*mask |= UINT64_C(1) << v;
	return true;
}

/* Parse a comma list for field f into *mask. */
static bool
parse_field(const CronField *f, const char *text, size_t len, uint64_t *mask,
			CronCheck *r)
{
	size_t		start = 0;
	size_t		i;

	*mask = 0;
	for (i = 0; i <= len; i++)
	{
		if (i == len || text[i] == ',')
		{
			if (!parse_item(f, text + start, i - start, mask, r))
				return false;
			start = i + 1;
		}
	}
	return true;
}

/* Refuse an @macro, suggesting its 5-field form where one exists. */
static void
report_macro(CronCheck *r, const char *word, size_t len)
{
	const char *equiv = NULL;

	set_message(r, "macros such as \"%.*s\" are not supported",
				(int) (len > 20 ? 20 : len), word);
	if (word_equals(word, len, "@HOURLY"))
		equiv = "0 * * * *";
	else if (word_equals(word, len, "@DAILY") || word_equals(word, len, "@MIDNIGHT"))
		equiv = "0 0 * * *";
	else if (word_equals(word, len, "@WEEKLY"))
		equiv = "0 0 * * 0";
	if (equiv)
		set_hint(r, "write the 5 fields instead: \"%s\"", equiv);
	else
		set_hint(r, "%s", five_fields_hint);
}

/* Check presence, length and characters; false (with the error set) if bad. */
static bool
check_text(const char *expr, size_t *len, CronCheck *r)
{
	size_t		i;

	if (expr == NULL)
	{
		set_message(r, "cron expression is missing");
		set_hint(r, "%s", five_fields_hint);
		return false;
	}
	for (i = 0; i <= CRON_MAX_LENGTH && expr[i] != '\0'; i++)
	{
		unsigned char c = (unsigned char) expr[i];

		if (c >= 0x80)
		{
			set_message(r, "cron expression contains a non-ASCII character (byte 0x%02X at position %d)",
						c, (int) i + 1);
			set_hint(r, "use only digits, the names JAN-DEC and SUN-SAT, and the characters * , - /");
			return false;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
		{
			set_message(r, "cron expression contains a control character (0x%02X at position %d)",
						c, (int) i + 1);
			set_hint(r, "separate the 5 fields with spaces");
			return false;
		}
	}
	if (i > CRON_MAX_LENGTH)
	{
		set_message(r, "cron expression is too long (more than %d characters)",
					CRON_MAX_LENGTH);
		set_hint(r, "%s", five_fields_hint);
		return false;
	}
	*len = i;
	return true;
}

/*
 * Split into blank-separated fields (remembering the first 5); returns the
 * number of fields, or -1 (with the error set) for an @macro.
 */
static int
split_fields(const char *expr, size_t len, const char **start, size_t *flen,
			 CronCheck *r)
{
	int			nfields = 0;
	size_t		i = 0;

	while (i < len)
	{
		size_t		s;

		while (i < len && IS_BLANK(expr[i]))
			i++;
		if (i >= len)
			break;
		s = i;
		while (i < len && !IS_BLANK(expr[i]))
			i++;
		if (nfields == 0 && expr[s] == '@')
		{
			report_macro(r, expr + s, i - s);
			return -1;
		}
		if (nfields < CRON_NFIELDS)
		{
			start[nfields] = expr + s;
			flen[nfields] = i - s;
		}
		nfields++;
	}
	return nfields;
}

/*
 * Parse a 5-field cron expression and check the gaps between its
 * consecutive fire times (see cron.h).
 */
void
cron_check(const char *expr, int min_gap_minutes, int max_gap_minutes,
		   CronCheck *result)
{
	const char *start[CRON_NFIELDS];
	size_t		flen[CRON_NFIELDS];
	int			nfields;
	size_t		len;
	int			i;
	CronSchedule sched;

	memset(result, 0, sizeof(*result));
	result->ok = false;

	if (!check_text(expr, &len, result))
		return;
	nfields = split_fields(expr, len, start, flen, result);
	if (nfields < 0)
		return;
	if (nfields == 0)
	{
		set_message(result, "cron expression is empty");
		set_hint(result, "%s", five_fields_hint);
		return;
	}
	if (nfields != CRON_NFIELDS)
	{
		set_message(result, "expected 5 fields (minute hour day-of-month month day-of-week), found %d",
					nfields);
		if (nfields > CRON_NFIELDS)
			set_hint(result, "seconds and year fields are not supported; remove them");
		else
			set_hint(result, "write all 5 fields, e.g. \"0 3 * * *\" runs at 03:00 UTC every day");
		return;
	}

	memset(&sched, 0, sizeof(sched));
	for (i = 0; i < CRON_NFIELDS; i++)
	{
		if (!parse_field(&cron_fields[i], start[i], flen[i], &sched.mask[i], result))
			return;
	}
	/* 7 is another name for Sunday */
	if (sched.mask[FIELD_DOW] & (UINT64_C(1) << 7))
		sched.mask[FIELD_DOW] = (sched.mask[FIELD_DOW] & ~(UINT64_C(1) << 7)) | 1;
	sched.dom_star = (start[FIELD_DOM][0] == '*');
	sched.dow_star = (start[FIELD_DOW][0] == '*');

	cron_check_gaps(&sched, min_gap_minutes, max_gap_minutes, result);
}

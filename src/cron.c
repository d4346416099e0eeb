/*-------------------------------------------------------------------------
 *
 * cron.c
 *	  Parse a 5-field cron expression and check the gaps between its runs.
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
 * All times are UTC (no DST).  The gap check computes the real fire times:
 * the times of day are the same on every matching day, so it is enough to
 * know the set of matching days, which is walked day by day over one full
 * Gregorian cycle (see day_gaps).
 *
 * Pure C99 and libc only: no PostgreSQL headers and no allocation, so the
 * file can be unit-tested and fuzzed standalone.
 *
 *-------------------------------------------------------------------------
 */
#include "cron.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CRON_NFIELDS		5
#define MINUTES_PER_DAY		1440
#define MINUTES_PER_WEEK	(7 * MINUTES_PER_DAY)

/*
 * The Gregorian calendar repeats exactly every 400 years: 400 years have
 * 97 leap days, so 146097 days, which is 20871 whole weeks.  Dates, month
 * lengths (leap years including the century rules) and weekdays are
 * therefore periodic with this period, and so is the set of days a cron
 * expression matches.  A shorter span (4 or 28 years) is not exact: it
 * misses the non-leap century years (2100, 2200, 2300), which change both
 * the Feb 29 cases and the weekday/date alignment.
 */
#define CYCLE_YEARS			400
#define CYCLE_DAYS			146097
#define CYCLE_START_YEAR	2000
#define CYCLE_START_DOW		6	/* 2000-01-01 was a Saturday */

#define FIELD_MINUTE		0
#define FIELD_HOUR			1
#define FIELD_DOM			2
#define FIELD_MONTH			3
#define FIELD_DOW			4

#if defined(__GNUC__) || defined(__clang__)
#define CRON_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CRON_PRINTF(f, a)
#endif

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

/* Parsed expression: one bit per allowed value. */
typedef struct CronSchedule
{
	uint64_t	mask[CRON_NFIELDS];
	bool		dom_star;		/* day-of-month field starts with '*' */
	bool		dow_star;		/* day-of-week field starts with '*' */
} CronSchedule;

static const int month_days[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

/* ASCII-only character classes, independent of the locale */
#define IS_DIGIT(c)		((c) >= '0' && (c) <= '9')
#define IS_ALPHA(c)		(((c) >= 'A' && (c) <= 'Z') || ((c) >= 'a' && (c) <= 'z'))
#define IS_BLANK(c)		((c) == ' ' || (c) == '\t')
#define TO_UPPER(c)		(((c) >= 'a' && (c) <= 'z') ? (char) ((c) - 'a' + 'A') : (c))

/* set_message(r, fmt, ...) and set_hint(r, fmt, ...) */
#define set_message(r, ...) set_text((r)->message, sizeof((r)->message), __VA_ARGS__)
#define set_hint(r, ...)	set_text((r)->hint, sizeof((r)->hint), __VA_ARGS__)

static const char *const five_fields_hint =
"write 5 fields (minute hour day-of-month month day-of-week), e.g. \"0 3 * * *\"";

static void set_text(char *buf, size_t size, const char *fmt,...) CRON_PRINTF(3, 4);

/* Format a message or hint into buf. */
static void
set_text(char *buf, size_t size, const char *fmt,...)
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

/* Format a number of minutes as "2 days 3 hours 5 minutes". */
static void
format_duration(char *buf, size_t size, int minutes)
{
	int			d = minutes / MINUTES_PER_DAY;
	int			h = (minutes % MINUTES_PER_DAY) / 60;
	int			m = minutes % 60;
	size_t		used = 0;

	buf[0] = '\0';
	if (minutes < 0)
	{
		snprintf(buf, size, "%d minutes", minutes);
		return;
	}
	if (d > 0)
		used += snprintf(buf + used, size - used, "%d day%s", d, d == 1 ? "" : "s");
	if (h > 0 && used < size)
		used += snprintf(buf + used, size - used, "%s%d hour%s",
						 used ? " " : "", h, h == 1 ? "" : "s");
	if ((m > 0 || minutes == 0) && used < size)
		snprintf(buf + used, size - used, "%s%d minute%s",
				 used ? " " : "", m, m == 1 ? "" : "s");
}

/* True if the given Gregorian year is a leap year. */
static bool
is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/*
 * Smallest and largest distance in days between consecutive matching days,
 * over one full 400-year cycle starting 2000-01-01 plus the wrap from the
 * cycle's last matching day to the first one of the next cycle (which is
 * the same as the first day + CYCLE_DAYS, by periodicity).  About 146000
 * cheap iterations at most; months not in the month mask are skipped whole.
 * Returns false if no day ever matches.
 */
static bool
day_gaps(const CronSchedule *s, int *min_days, int *max_days)
{
	uint64_t	doms = s->mask[FIELD_DOM];
	uint64_t	dows = s->mask[FIELD_DOW];
	uint64_t	months = s->mask[FIELD_MONTH];
	bool		both = !s->dom_star && !s->dow_star;
	int			day = 0;
	int			dow = CYCLE_START_DOW;
	int			first = -1;
	int			prev = -1;
	int			y;

	*min_days = INT_MAX;
	*max_days = 0;
	for (y = 0; y < CYCLE_YEARS; y++)
	{
		bool		leap = is_leap(CYCLE_START_YEAR + y);
		int			mon;

		for (mon = 1; mon <= 12; mon++)
		{
			int			ndays = month_days[mon] + ((mon == 2 && leap) ? 1 : 0);
			int			d;

			if (!(months & (UINT64_C(1) << mon)))
			{
				day += ndays;
				dow = (dow + ndays) % 7;
				continue;
			}
			for (d = 1; d <= ndays; d++)
			{
				bool		dom_hit = (doms >> d) & 1;
				bool		dow_hit = (dows >> dow) & 1;

				if (both ? (dom_hit || dow_hit) : (dom_hit && dow_hit))
				{
					if (prev >= 0)
					{
						int			g = day - prev;

						if (g < *min_days)
							*min_days = g;
						if (g > *max_days)
							*max_days = g;
					}
					else
						first = day;
					prev = day;
				}
				day++;
				dow = (dow == 6) ? 0 : dow + 1;
			}
		}
	}

	if (prev < 0)
		return false;

	/* wrap: last match of this cycle to the first match of the next one */
	{
		int			g = first + CYCLE_DAYS - prev;

		if (g < *min_days)
			*min_days = g;
		if (g > *max_days)
			*max_days = g;
	}
	return true;
}

/*
 * Compute the smallest and largest gap in minutes between consecutive fire
 * times; false if the expression never fires.
 */
static bool
compute_gaps(const CronSchedule *s, int *min_gap, int *max_gap)
{
	int			first_t = -1;
	int			last_t = -1;
	int			min_intra = INT_MAX;
	int			max_intra = 0;
	int			min_days;
	int			max_days;
	int			h;
	int			m;

	/* times of day: the same on every matching day */
	for (h = 0; h < 24; h++)
	{
		if (!((s->mask[FIELD_HOUR] >> h) & 1))
			continue;
		for (m = 0; m < 60; m++)
		{
			int			t = h * 60 + m;

			if (!((s->mask[FIELD_MINUTE] >> m) & 1))
				continue;
			if (last_t >= 0)
			{
				if (t - last_t < min_intra)
					min_intra = t - last_t;
				if (t - last_t > max_intra)
					max_intra = t - last_t;
			}
			else
				first_t = t;
			last_t = t;
		}
	}
	if (first_t < 0 || !day_gaps(s, &min_days, &max_days))
		return false;

	/* from the last time of one matching day to the first of the next */
	*min_gap = min_days * MINUTES_PER_DAY + first_t - last_t;
	*max_gap = max_days * MINUTES_PER_DAY + first_t - last_t;
	if (min_intra < *min_gap)
		*min_gap = min_intra;
	if (max_intra > *max_gap)
		*max_gap = max_intra;
	return true;
}

/* Report a gap below the minimum. */
static void
report_min_gap(CronCheck *r, int found, int limit)
{
	char		f[64];
	char		l[64];

	format_duration(f, sizeof(f), found);
	format_duration(l, sizeof(l), limit);
	set_message(r, "consecutive runs are only %s apart; the minimum is %s", f, l);
	if (limit > 1 && limit < 60 && 60 % limit == 0)
		set_hint(r, "runs must be at least %s apart; \"*/%d * * * *\" is the most frequent schedule allowed",
				 l, limit);
	else if (limit == 60)
		set_hint(r, "runs must be at least %s apart; \"0 * * * *\" is the most frequent schedule allowed", l);
	else if (limit > 60 && limit < MINUTES_PER_DAY && limit % 60 == 0 &&
			 MINUTES_PER_DAY % limit == 0)
		set_hint(r, "runs must be at least %s apart; \"0 */%d * * *\" is the most frequent schedule allowed",
				 l, limit / 60);
	else
		set_hint(r, "runs must be at least %s apart; use fewer minute or hour values", l);
}

/* Report a gap above the maximum. */
static void
report_max_gap(CronCheck *r, int found, int limit)
{
	char		f[64];
	char		l[64];

	format_duration(f, sizeof(f), found);
	format_duration(l, sizeof(l), limit);
	set_message(r, "consecutive runs are up to %s apart; the maximum is %s", f, l);
	if (limit >= MINUTES_PER_WEEK)
		set_hint(r, "runs must be at most %s apart%s; a weekly schedule such as \"0 0 * * 1\" is allowed",
				 l, limit < 28 * MINUTES_PER_DAY ? " (monthly and yearly schedules are refused)" : "");
	else if (limit >= MINUTES_PER_DAY)
		set_hint(r, "runs must be at most %s apart; a daily schedule such as \"0 0 * * *\" is allowed", l);
	else if (limit >= 60)
		set_hint(r, "runs must be at most %s apart; an hourly schedule such as \"0 * * * *\" is allowed", l);
	else
		set_hint(r, "runs must be at most %s apart; add more minute or hour values", l);
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
	int			min_gap;
	int			max_gap;

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

	if (!compute_gaps(&sched, &min_gap, &max_gap))
	{
		set_message(result, "the schedule never runs: the day-of-month never occurs in the selected months");
		set_hint(result, "pick days that exist in those months (e.g. February has no 30th, April no 31st)");
		return;
	}
	result->min_gap_minutes = min_gap;
	result->max_gap_minutes = max_gap;

	if (min_gap < min_gap_minutes)
		report_min_gap(result, min_gap, min_gap_minutes);
	else if (max_gap > max_gap_minutes)
		report_max_gap(result, max_gap, max_gap_minutes);
	else
		result->ok = true;
}

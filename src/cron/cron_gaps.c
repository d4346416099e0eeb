/*-------------------------------------------------------------------------
 *
 * cron_gaps.c
 *	  The smallest and largest gap between consecutive fire times of a
 *	  parsed cron schedule (cron.c parses it), and the errors reported when
 *	  they break the limits.
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
#include "cron_internal.h"

#include <limits.h>
#include <stdio.h>

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

static const int month_days[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

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

/* Set the message about a gap found beyond limit; l (64 bytes) gets the limit's text. */
static void
gap_message(CronCheck *r, const char *format, int found, int limit, char *l)
{
	char		f[64];

	format_duration(f, sizeof(f), found);
	format_duration(l, 64, limit);
	set_message(r, format, f, l);
}

/* Report a gap below the minimum. */
static void
report_min_gap(CronCheck *r, int found, int limit)
{
	char		l[64];

	gap_message(r, "consecutive runs are only %s apart; the minimum is %s", found, limit, l);
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
	char		l[64];

	gap_message(r, "consecutive runs are up to %s apart; the maximum is %s", found, limit, l);
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

/*
 * Compute the gaps of a parsed schedule and check them against the limits
 * (see cron_internal.h).
 */
void
cron_check_gaps(const CronSchedule *s, int min_gap_minutes,
				int max_gap_minutes, CronCheck *result)
{
	int			min_gap;
	int			max_gap;

	if (!compute_gaps(s, &min_gap, &max_gap))
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

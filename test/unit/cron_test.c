/*-------------------------------------------------------------------------
 *
 * cron_test.c
 *	  Table-driven unit tests for src/cron/cron.c and src/cron/cron_gaps.c
 *	  (standalone, no PostgreSQL).
 *
 * Build and run:
 *	  cc -std=c99 -Wall -Wextra -Werror -I src/cron test/unit/cron_test.c \
 *		  src/cron/cron.c src/cron/cron_gaps.c -o cron_test
 *	  ./cron_test
 *
 * Each table row (and each special test) is one case made of several
 * checks.  Prints each failed check and ends with the line
 * "N passed, N failed" (cases); exits non-zero when any check failed.
 *
 *-------------------------------------------------------------------------
 */
#include "cron.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define MIN_GAP		15
#define WEEK		(7 * 24 * 60)
#define DEF			MIN_GAP, WEEK	/* the limits dune_mv uses */
#define ANY			-1			/* do not check this gap */
#define DAY			1440

/* One expectation: limits, outcome, gaps and substrings of message/hint. */
typedef struct CronCase
{
	const char *expr;
	int			min_limit;
	int			max_limit;
	int			ok;
	int			min_gap;		/* ANY: not checked */
	int			max_gap;		/* ANY: not checked */
	const char *message;		/* substring of the message, or NULL */
	const char *hint;			/* substring of the hint, or NULL */
} CronCase;

static const CronCase cases[] = {
	/* the examples of the specification */
	{"*/5 * * * *", DEF, 0, 5, 5, "only 5 minutes apart", "\"*/15 * * * *\" is the most frequent schedule allowed"},
	{"0 0 1 * *", DEF, 0, 28 * DAY, 31 * DAY, "up to 31 days apart", "at most 7 days"},
	{"*/15 * * * *", DEF, 1, 15, 15, NULL, NULL},
	{"0 3 * * 1", DEF, 1, WEEK, WEEK, NULL, NULL},
	{"0 */6 * * *", DEF, 1, 360, 360, NULL, NULL},
	{"30 2 * * MON-FRI", DEF, 1, DAY, 3 * DAY, NULL, NULL},
	{"0 0 * * 1,4", DEF, 1, 3 * DAY, 4 * DAY, NULL, NULL},
	{"0,10 * * * *", DEF, 0, 10, 50, "only 10 minutes apart", "at least 15 minutes"},
	{"0 0 1-7 * 1", DEF, 1, DAY, WEEK, NULL, NULL},
	{"0 0 29 2 *", DEF, 0, 1461 * DAY, 2921 * DAY, "up to 2921 days apart", NULL},

	/* exact gaps */
	{"* * * * *", DEF, 0, 1, 1, "only 1 minute apart", NULL},
	{"0 0 * * *", DEF, 1, DAY, DAY, NULL, NULL},
	{"0 * * * *", DEF, 1, 60, 60, NULL, NULL},
	{"0,15,30,45 * * * *", DEF, 1, 15, 15, NULL, NULL},
	{"0,15 * * * *", DEF, 1, 15, 45, NULL, NULL},
	{"0,14 * * * *", DEF, 0, 14, 46, "only 14 minutes apart", NULL},
	{"*/60 * * * *", DEF, 1, 60, 60, NULL, NULL},
	{"*/20 * * * *", DEF, 1, 20, 20, NULL, NULL},
	{"10-50/20 * * * *", DEF, 1, 20, 20, NULL, NULL},
	{"5/15 * * * *", DEF, 1, 15, 15, NULL, NULL},
	{"*/15 0 * * *", DEF, 1, 15, 1395, NULL, NULL},
	{"30 23 * * *", DEF, 1, DAY, DAY, NULL, NULL},
	{"0 0,12 * * *", DEF, 1, 720, 720, NULL, NULL},
	{"0 0/12 * * *", DEF, 1, 720, 720, NULL, NULL},
	{"0 1-23/2 * * *", DEF, 1, 120, 120, NULL, NULL},
	{"5 */7 * * *", DEF, 1, 180, 420, NULL, NULL},
	{"0 9-17 * * 1-5", DEF, 1, 60, 3840, NULL, NULL},
	{"*/20 9-17 * * 1-5", DEF, 1, 20, 3800, NULL, NULL},
	{"0 0 * * Mon,Wed,Fri", DEF, 1, 2 * DAY, 3 * DAY, NULL, NULL},
	{"15 10 * * 6,0", DEF, 1, DAY, 6 * DAY, NULL, NULL},
	{"0 0 * * 1/2", DEF, 1, DAY, 2 * DAY, NULL, NULL},	/* 1,3,5,7=Sun */
	{"0 0 * * */2", DEF, 1, DAY, 2 * DAY, NULL, NULL},	/* 0,2,4,6 */
	{"0 0 */2 * *", DEF, 1, DAY, 2 * DAY, NULL, NULL},
	{"0 0 1,15 * *", DEF, 0, 14 * DAY, 17 * DAY, "up to 17 days apart", NULL},
	{"0 0 1,8,15,22 * *", DEF, 0, 7 * DAY, 10 * DAY, "up to 10 days apart", NULL},
	{"0 0 1,8,15,22,29 * *", DEF, 1, DAY, WEEK, NULL, NULL},	/* Feb 29 -> Mar 1 */
	{"0 0 28-31 * *", DEF, 0, DAY, 28 * DAY, "up to 28 days apart", NULL},
	{"0 0 8-14 * *", DEF, 0, DAY, 25 * DAY, "up to 25 days apart", NULL},
	{"0 0 31 * *", DEF, 0, 31 * DAY, 61 * DAY, "up to 61 days apart", NULL},
	{"0 0 * 1-11 *", DEF, 0, DAY, 32 * DAY, "up to 32 days apart", NULL},
	{"0 0 * 2 *", DEF, 0, DAY, 338 * DAY, "up to 338 days apart", NULL},
	{"0 0 * JAN,Jul *", DEF, 0, DAY, 154 * DAY, "up to 154 days apart", NULL},
	{"59 23 31 12 *", DEF, 0, 365 * DAY, 366 * DAY, "up to 366 days apart", NULL},
	{"0 0 * jan-dec sun-sat", DEF, 1, DAY, DAY, NULL, NULL},
	{"0 0 * * 0-7", DEF, 1, DAY, DAY, NULL, NULL},
	{"00 03 * * *", DEF, 1, DAY, DAY, NULL, NULL},

	/* vixie day matching: OR when both day fields are restricted */
	{"0 0 1-31/2 * 1", DEF, 1, DAY, 2 * DAY, NULL, NULL},
	{"0 0 */2 * 1", DEF, 0, WEEK, 3 * WEEK, "up to 21 days apart", NULL},	/* '*' prefix: AND */
	{"0 0 1-7 * MON", DEF, 1, DAY, WEEK, NULL, NULL},
	{"0 0 29 * 1", DEF, 1, DAY, WEEK, NULL, NULL},
	{"0 0 13 * 5", DEF, 1, DAY, WEEK, NULL, NULL},
	{"0 0 * * 1-5", DEF, 1, DAY, 3 * DAY, NULL, NULL},
	{"59 23 31 12 7", DEF, 0, DAY, 342 * DAY, "up to 342 days apart", NULL},
	{"0 0 1 * *", 15, 60 * DAY, 1, 28 * DAY, 31 * DAY, NULL, NULL},

	/* never fires */
	{"0 0 30 2 *", DEF, 0, 0, 0, "never runs", "February has no 30th"},
	{"0 0 31 4 *", DEF, 0, 0, 0, "never runs", NULL},
	{"0 0 30,31 2 *", DEF, 0, 0, 0, "never runs", NULL},
	{"0 0 31 2,4,6,9,11 *", DEF, 0, 0, 0, "never runs", NULL},
	{"0 0 31 4 MON", DEF, 0, WEEK, ANY, "apart", NULL},	/* OR: Mondays of April */

	/* limits given by the caller */
	{"*/15 * * * *", 16, WEEK, 0, 15, 15, "the minimum is 16 minutes", "use fewer minute or hour values"},
	{"0 0 * * 1", 15, WEEK - 1, 0, WEEK, WEEK, "up to 7 days apart; the maximum is 6 days 23 hours 59 minutes", NULL},
	{"0 0 * * 1", 15, WEEK, 1, WEEK, WEEK, NULL, NULL},
	{"0 * * * *", 60, WEEK, 1, 60, 60, NULL, NULL},
	{"*/30 * * * *", 60, WEEK, 0, 30, 30, "the minimum is 1 hour", "\"0 * * * *\" is the most frequent"},
	{"0 * * * *", 120, WEEK, 0, 60, 60, "the minimum is 2 hours", "\"0 */2 * * *\""},
	{"*/5 * * * *", 10, WEEK, 0, 5, 5, NULL, "\"*/10 * * * *\""},
	{"0 0 * * *", 15, 1439, 0, DAY, DAY, "up to 1 day apart", "hourly"},
	{"0 0 * * 1", 15, 3 * DAY, 0, WEEK, WEEK, "the maximum is 3 days", "daily"},
	{"0 0 * * *", 15, 30, 0, DAY, DAY, "the maximum is 30 minutes", "add more minute or hour values"},
	{"* * * * *", 0, WEEK, 1, 1, 1, NULL, NULL},
	{"0 0 1 * *", 15, 30 * DAY, 0, 28 * DAY, 31 * DAY, "up to 31 days apart; the maximum is 30 days", "weekly"},
	{"0 0 1 * *", 15, 20 * DAY, 0, 28 * DAY, 31 * DAY, NULL, "monthly and yearly schedules are refused"},

	/* whitespace */
	{"0\t0\t*\t*\t*", DEF, 1, DAY, DAY, NULL, NULL},
	{"  0   0 * *  *  ", DEF, 1, DAY, DAY, NULL, NULL},
	{"0 0 * * * ", DEF, 1, DAY, DAY, NULL, NULL},

	/* missing, empty, length, characters */
	{"", DEF, 0, 0, 0, "cron expression is empty", "5 fields"},
	{"   \t ", DEF, 0, 0, 0, "cron expression is empty", NULL},
	{"0\n0 * * *", DEF, 0, 0, 0, "control character (0x0A at position 2)", NULL},
	{"0 0 * * *\r", DEF, 0, 0, 0, "control character", NULL},
	{"0 0 * * \x7f", DEF, 0, 0, 0, "control character", NULL},
	{"0 0 * * M\xc3\x96N", DEF, 0, 0, 0, "non-ASCII character (byte 0xC3 at position 10)", NULL},

	/* macros and field counts */
	{"@daily", DEF, 0, 0, 0, "macros such as \"@daily\" are not supported", "\"0 0 * * *\""},
	{"@midnight", DEF, 0, 0, 0, "not supported", "\"0 0 * * *\""},
	{"@hourly", DEF, 0, 0, 0, "not supported", "\"0 * * * *\""},
	{"  @WEEKLY", DEF, 0, 0, 0, "\"@WEEKLY\" are not supported", "\"0 0 * * 0\""},
	{"@monthly", DEF, 0, 0, 0, "not supported", "5 fields"},
	{"@reboot", DEF, 0, 0, 0, "not supported", NULL},
	{"@every 5m", DEF, 0, 0, 0, "not supported", NULL},
	{"0 0 0 * * *", DEF, 0, 0, 0, "expected 5 fields (minute hour day-of-month month day-of-week), found 6", "seconds and year"},
	{"0 0 * * * 2024", DEF, 0, 0, 0, "found 6", NULL},
	{"0 0 12 * * ? 2024", DEF, 0, 0, 0, "found 7", NULL},
	{"0 0 * *", DEF, 0, 0, 0, "found 4", "write all 5 fields"},
	{"*", DEF, 0, 0, 0, "found 1", NULL},

	/* Quartz forms */
	{"0 0 ? * MON", DEF, 0, 0, 0, "day-of-month field: '?' is not supported", "'*' instead of '?'"},
	{"0 0 * * ?", DEF, 0, 0, 0, "day-of-week field: '?' is not supported", NULL},
	{"0 0 L * *", DEF, 0, 0, 0, "day-of-month field: 'L' (last day)", NULL},
	{"0 0 l * *", DEF, 0, 0, 0, "'L' (last day)", NULL},
	{"0 0 LW * *", DEF, 0, 0, 0, "'W' (nearest weekday)", NULL},
	{"0 0 15W * *", DEF, 0, 0, 0, "'W' (nearest weekday)", NULL},
	{"0 0 W * *", DEF, 0, 0, 0, "Quartz", NULL},
	{"0 0 * * 5L", DEF, 0, 0, 0, "day-of-week field: 'L' (last weekday of the month)", "MON-FRI"},
	{"0 0 * * L", DEF, 0, 0, 0, "'L' (last weekday", NULL},
	{"0 0 * * 6#3", DEF, 0, 0, 0, "day-of-week field: '#' (n-th weekday of the month) is not supported", NULL},
	{"0 0 * * FRI#2", DEF, 0, 0, 0, "'#'", NULL},

	/* bounds */
	{"0 0 1 1 0", DEF, 0, ANY, ANY, "apart", NULL},
	{"59 23 31 12 7", DEF, 0, ANY, ANY, "apart", NULL},
	{"60 * * * *", DEF, 0, 0, 0, "minute field: value 60 is out of range 0-59", "minute values go from 0 to 59"},
	{"61 * * * *", DEF, 0, 0, 0, "minute field: value 61 is out of range 0-59", NULL},
	{"0 24 * * *", DEF, 0, 0, 0, "hour field: value 24 is out of range 0-23", NULL},
	{"0 0 0 * *", DEF, 0, 0, 0, "day-of-month field: value 0 is out of range 1-31", NULL},
	{"0 0 32 * *", DEF, 0, 0, 0, "day-of-month field: value 32 is out of range 1-31", NULL},
	{"0 0 * 0 *", DEF, 0, 0, 0, "month field: value 0 is out of range 1-12", NULL},
	{"0 0 * 13 *", DEF, 0, 0, 0, "month field: value 13 is out of range 1-12", NULL},
	{"0 0 * * 8", DEF, 0, 0, 0, "day-of-week field: value 8 is out of range 0-7", "0 and 7 are Sunday"},
	{"0 0 * * 1-8", DEF, 0, 0, 0, "value 8 is out of range 0-7", NULL},
	{"0-60 * * * *", DEF, 0, 0, 0, "value 60 is out of range", NULL},
	{"99999999999999999999999 * * * *", DEF, 0, 0, 0, "value 99999999999999999999 is out of range 0-59", NULL},
	{"-1 * * * *", DEF, 0, 0, 0, "minute field: unexpected character '-' in \"-1\"", NULL},

	/* names */
	{"0 0 * jan,FEB,Mar,apr,MAY,jun,JUL,aug,SEP,oct,NOV,dec *", DEF, 1, DAY, DAY, NULL, NULL},
	{"0 0 * * sun,mon,TUE,Wed,thu,FRI,sat", DEF, 1, DAY, DAY, NULL, NULL},
	{"0 0 * JANUARY *", DEF, 0, 0, 0, "month field: unknown name \"JANUARY\"", "JAN, FEB"},
	{"0 0 * * MONDAY", DEF, 0, 0, 0, "day-of-week field: unknown name \"MONDAY\"", "SUN, MON"},
	{"0 0 * FOO *", DEF, 0, 0, 0, "unknown name \"FOO\"", NULL},
	{"0 0 * MON *", DEF, 0, 0, 0, "month field: unknown name \"MON\"", NULL},
	{"0 0 * * JAN", DEF, 0, 0, 0, "day-of-week field: unknown name \"JAN\"", NULL},
	{"jan * * * *", DEF, 0, 0, 0, "minute field: \"jan\" is not a number", "only allowed in the month"},
	{"0 MON * * *", DEF, 0, 0, 0, "hour field: \"MON\" is not a number", NULL},
	{"0 0 MON * *", DEF, 0, 0, 0, "day-of-month field: \"MON\" is not a number", NULL},

	/* ranges */
	{"5-2 * * * *", DEF, 0, 0, 0, "minute field: range \"5-2\" is reversed (5 is greater than 2)", "22-23,0-2"},
	{"0 22-2 * * *", DEF, 0, 0, 0, "hour field: range \"22-2\" is reversed", NULL},
	{"0 0 * DEC-JAN *", DEF, 0, 0, 0, "range \"DEC-JAN\" is reversed (12 is greater than 1)", NULL},
	{"0 0 * * SAT-SUN", DEF, 0, 0, 0, "range \"SAT-SUN\" is reversed", NULL},
	{"0 0 * * 5-1/2", DEF, 0, 0, 0, "range \"5-1\" is reversed", NULL},
	{"0 0 * * 6-7", DEF, 1, DAY, 6 * DAY, NULL, NULL},
	{"0 0 * * 3-3", DEF, 1, WEEK, WEEK, NULL, NULL},
	{"0 0 * * MON-", DEF, 0, 0, 0, "day-of-week field: a value is missing in \"MON-\"", NULL},
	{"1-2-3 * * * *", DEF, 0, 0, 0, "unexpected character '-' in \"1-2-3\"", NULL},
	{"*-5 * * * *", DEF, 0, 0, 0, "unexpected character '-' in \"*-5\"", NULL},
	{"** * * * *", DEF, 0, 0, 0, "unexpected character '*'", NULL},

	/* steps */
	{"*/0 * * * *", DEF, 0, 0, 0, "minute field: step 0 is not allowed", "at least 1"},
	{"0 1-5/0 * * *", DEF, 0, 0, 0, "hour field: step 0 is not allowed", NULL},
	{"*/00 * * * *", DEF, 0, 0, 0, "step 0 is not allowed", NULL},
	{"*/61 * * * *", DEF, 0, 0, 0, "minute field: step 61 is out of range 1-60", NULL},
	{"0 */25 * * *", DEF, 0, 0, 0, "hour field: step 25 is out of range 1-24", NULL},
	{"0 0 * */13 *", DEF, 0, 0, 0, "month field: step 13 is out of range 1-12", NULL},
	{"0 0 * * */8", DEF, 0, 0, 0, "day-of-week field: step 8 is out of range 1-7", NULL},
	{"*/ * * * *", DEF, 0, 0, 0, "minute field: the step after '/' must be a number in \"*/\"", NULL},
	{"*/a * * * *", DEF, 0, 0, 0, "step after '/' must be a number", NULL},
	{"1/ * * * *", DEF, 0, 0, 0, "step after '/' must be a number", NULL},
	{"*/5/2 * * * *", DEF, 0, 0, 0, "unexpected character '/'", NULL},
	{"*/-5 * * * *", DEF, 0, 0, 0, "step after '/' must be a number", NULL},
	{"/5 * * * *", DEF, 0, 0, 0, "unexpected character '/'", NULL},
	{"*/15 * * * MON/2", DEF, 1, 15, DAY + 15, NULL, NULL},	/* Mon,Wed,Fri,Sun */
	{"0 0 * * MON/2", DEF, 1, DAY, 2 * DAY, NULL, NULL},	/* 1,3,5,7 */
	{"0 0 * JAN/3 *", DEF, 0, DAY, 62 * DAY, NULL, NULL},	/* Jan, Apr, Jul, Oct */

	/* lists */
	{"1,,2 * * * *", DEF, 0, 0, 0, "minute field: empty list element", "single commas"},
	{",1 * * * *", DEF, 0, 0, 0, "empty list element", NULL},
	{"1, * * * *", DEF, 0, 0, 0, "empty list element", NULL},
	{"0 0 * * 1, 3", DEF, 0, 0, 0, "found 6", NULL},
	{"0,20,40 * * * *", DEF, 1, 20, 20, NULL, NULL},
	{"0-10/5,30,45-50/5 * * * *", DEF, 0, 5, 20, "only 5 minutes apart", NULL},
	{"0 0 1,1,1 * *", DEF, 0, 28 * DAY, 31 * DAY, NULL, NULL},
	{"0 0 * * 0,7", DEF, 1, WEEK, WEEK, NULL, NULL},

	/* other characters */
	{"0 0 * * 1.5", DEF, 0, 0, 0, "unexpected character '.'", NULL},
	{"0x10 * * * *", DEF, 0, 0, 0, "unexpected character 'x'", NULL},
	{"0 0 * * +1", DEF, 0, 0, 0, "unexpected character '+'", NULL},
	{"0 0 * * 1;", DEF, 0, 0, 0, "unexpected character ';'", NULL},
	{"0 0 H * *", DEF, 0, 0, 0, "\"H\" is not a number", NULL},
};

/* Pairs of expressions that must give the same result. */
static const char *const same[][2] = {
	{"0 0 * * 0", "0 0 * * 7"},
	{"0 0 * * 0", "0 0 * * SUN"},
	{"0 0 * * 7", "0 0 * * sun"},
	{"30 2 * * MON-FRI", "30 2 * * 1-5"},
	{"30 2 * * mon-fri", "30 2 * * 1,2,3,4,5"},
	{"0 0 * JAN-DEC *", "0 0 * * *"},
	{"0 0 * 1-12 *", "0 0 1-31 * *"},
	{"*/15 * * * *", "0-59/15 * * * *"},
	{"*/15 * * * *", "0/15 * * * *"},
	{"*/15 * * * *", "0,15,30,45 * * * *"},
	{"0 */6 * * *", "0 0,6,12,18 * * *"},
	{"0 0 * * */2", "0 0 * * 0,2,4,6"},
	{"0 0 * * 1/2", "0 0 * * 0,1,3,5"},
	{"0 0 1-7 * 1", "0 0 1,2,3,4,5,6,7 * MON"},
	{"0 0 * * 1-7", "0 0 * * *"},
	{"0 0 1-31/2 * *", "0 0 */2 * *"},
	{"00 03 * * *", "0 3 * * *"},
	{"0 0 * * 1", "0\t0\t*\t*\t1"},
};

static int	passed = 0;
static int	failed = 0;
static int	checks = 0;
static int	case_failed = 0;

/* Record one check of the current case and print it when it failed. */
static void
expect(int cond, const char *expr, const char *what)
{
	checks++;
	if (!cond)
	{
		case_failed = 1;
		printf("FAIL: \"%s\": %s\n", expr, what);
	}
}

/* Count the current case as passed or failed and start the next one. */
static void
end_case(void)
{
	if (case_failed)
		failed++;
	else
		passed++;
	case_failed = 0;
}

/* True if the string is NUL-terminated within its buffer. */
static int
terminated(const char *buf, size_t size)
{
	return memchr(buf, '\0', size) != NULL;
}

/* Run one table case. */
static void
run_case(const CronCase *c)
{
	CronCheck	r;
	char		what[512];

	memset(&r, 'x', sizeof(r));	/* cron_check must reset everything */
	cron_check(c->expr, c->min_limit, c->max_limit, &r);

	expect(terminated(r.message, sizeof(r.message)) &&
		   terminated(r.hint, sizeof(r.hint)), c->expr, "message/hint not terminated");
	if (!terminated(r.message, sizeof(r.message)) || !terminated(r.hint, sizeof(r.hint)))
		return;

	snprintf(what, sizeof(what), "ok = %d, expected %d (message: %s)", (int) r.ok, c->ok, r.message);
	expect((int) r.ok == c->ok, c->expr, what);
	if (r.ok)
		expect(r.message[0] == '\0' && r.hint[0] == '\0', c->expr, "message or hint set on success");
	else
		expect(r.message[0] != '\0' && r.hint[0] != '\0', c->expr, "message or hint empty on failure");
	if (c->min_gap != ANY)
	{
		snprintf(what, sizeof(what), "min gap %d, expected %d", r.min_gap_minutes, c->min_gap);
		expect(r.min_gap_minutes == c->min_gap, c->expr, what);
	}
	if (c->max_gap != ANY)
	{
		snprintf(what, sizeof(what), "max gap %d, expected %d", r.max_gap_minutes, c->max_gap);
		expect(r.max_gap_minutes == c->max_gap, c->expr, what);
	}
	if (c->message)
	{
		snprintf(what, sizeof(what), "message \"%s\" lacks \"%s\"", r.message, c->message);
		expect(strstr(r.message, c->message) != NULL, c->expr, what);
	}
	if (c->hint)
	{
		snprintf(what, sizeof(what), "hint \"%s\" lacks \"%s\"", r.hint, c->hint);
		expect(strstr(r.hint, c->hint) != NULL, c->expr, what);
	}
}

/* Two expressions that must check the same. */
static void
run_same(const char *a, const char *b)
{
	CronCheck	ra;
	CronCheck	rb;
	char		what[256];

	cron_check(a, MIN_GAP, WEEK, &ra);
	cron_check(b, MIN_GAP, WEEK, &rb);
	snprintf(what, sizeof(what), "differs from \"%s\" (%d %d-%d vs %d %d-%d)", b,
			 (int) ra.ok, ra.min_gap_minutes, ra.max_gap_minutes,
			 (int) rb.ok, rb.min_gap_minutes, rb.max_gap_minutes);
	expect(ra.ok == rb.ok && ra.min_gap_minutes == rb.min_gap_minutes &&
		   ra.max_gap_minutes == rb.max_gap_minutes &&
		   strcmp(ra.message, rb.message) == 0, a, what);
}

/* NULL input, the length cap and an oversized list at the cap. */
static void
run_special(void)
{
	CronCheck	r;
	char		buf[CRON_MAX_LENGTH + 64];
	size_t		n;

	cron_check(NULL, MIN_GAP, WEEK, &r);
	expect(!r.ok && strstr(r.message, "missing") != NULL, "(NULL)", "NULL not refused as missing");
	end_case();

	/* "0,0,0,...,0 * * * *" of exactly CRON_MAX_LENGTH characters is fine */
	strcpy(buf, "0");
	while (strlen(buf) + 2 + strlen(" * * * *") <= CRON_MAX_LENGTH)
		strcat(buf, ",0");
	strcat(buf, " * * * *");
	n = strlen(buf);
	while (n < CRON_MAX_LENGTH)
		buf[n++] = ' ';
	buf[n] = '\0';
	cron_check(buf, MIN_GAP, WEEK, &r);
	expect(strlen(buf) == CRON_MAX_LENGTH && r.ok && r.min_gap_minutes == 60,
		   "(200 characters)", "expression at the length cap refused");
	end_case();

	buf[n++] = ' ';
	buf[n] = '\0';
	cron_check(buf, MIN_GAP, WEEK, &r);
	expect(!r.ok && strstr(r.message, "too long (more than 200 characters)") != NULL,
		   "(201 characters)", "expression over the length cap accepted");
	end_case();
}

/* Every check must be fast, also for the slowest inputs (one full 400-year cycle). */
static void
run_timing(void)
{
	static const char *const slow[] = {
		"* * * * *", "0 0 1-7 * 1", "0 0 */2 * 1", "0 0 30 2 *",
		"0-59 0-23 1-31 1-12 0-7"
	};
	clock_t		start;
	double		ms;
	int			i;
	int			k;
	CronCheck	r;

	for (k = 0; k < (int) (sizeof(slow) / sizeof(slow[0])); k++)
	{
		start = clock();
		for (i = 0; i < 50; i++)
			cron_check(slow[k], MIN_GAP, WEEK, &r);
		ms = (double) (clock() - start) * 1000.0 / CLOCKS_PER_SEC / 50;
		expect(ms < 5.0, slow[k], "slower than 5 ms per check");
		end_case();
	}
}

/* Run every table and print the summary line. */
int
main(void)
{
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		run_case(&cases[i]);
		end_case();
	}
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++)
	{
		run_same(same[i][0], same[i][1]);
		end_case();
	}
	run_special();
	run_timing();

	printf("(%d checks)\n", checks);
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}

/*-------------------------------------------------------------------------
 *
 * fuzz_cron.c
 *	  libFuzzer target for cron_check() (src/cron/cron.c, src/cron/cron_gaps.c).
 *
 * Build and run (from the repository root):
 *	  clang -g -O1 -fsanitize=fuzzer,address,undefined -I src/cron \
 *		  test/fuzz/fuzz_cron.c src/cron/cron.c src/cron/cron_gaps.c -o /tmp/fuzz_cron
 *	  mkdir -p /tmp/cron_corpus && /tmp/fuzz_cron -max_total_time=60 /tmp/cron_corpus
 *
 * (the minimal form is: clang -fsanitize=fuzzer,address -I src
 * test/fuzz/fuzz_cron.c src/cron/cron.c src/cron/cron_gaps.c).  Without libFuzzer,
 * build with -DFUZZ_STANDALONE to replay input files given as arguments.
 *
 * Besides memory errors, it aborts when a result breaks an invariant:
 * terminated buffers, message/hint set exactly on failure, consistent gaps,
 * determinism, and the same verdict with and without surrounding blanks.
 *
 *-------------------------------------------------------------------------
 */
#include "cron.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_GAP		15
#define WEEK		(7 * 24 * 60)
#define FUZZ_MAX_INPUT	512
#define CYCLE_MINUTES (146097 * 1440)

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort with a description of the broken invariant. */
static void
fail(const char *what, const char *expr)
{
	fprintf(stderr, "invariant broken: %s for \"%s\"\n", what, expr);
	abort();
}

/* Check the invariants every single result must hold. */
static void
check_result(const CronCheck *r, const char *expr, int min_limit, int max_limit)
{
	if (memchr(r->message, '\0', sizeof(r->message)) == NULL ||
		memchr(r->hint, '\0', sizeof(r->hint)) == NULL)
		fail("unterminated message or hint", expr);
	if (r->ok)
	{
		if (r->message[0] != '\0' || r->hint[0] != '\0')
			fail("message or hint on success", expr);
		if (r->min_gap_minutes < 1 || r->min_gap_minutes > r->max_gap_minutes)
			fail("bad gaps on success", expr);
		if (r->min_gap_minutes < min_limit || r->max_gap_minutes > max_limit)
			fail("accepted outside the limits", expr);
	}
	else
	{
		if (r->message[0] == '\0' || r->hint[0] == '\0')
			fail("failure without message or hint", expr);
	}
	if (r->min_gap_minutes < 0 || r->max_gap_minutes < 0 ||
		r->min_gap_minutes > r->max_gap_minutes ||
		r->max_gap_minutes > CYCLE_MINUTES)
		fail("gaps out of range", expr);
	if ((r->min_gap_minutes == 0) != (r->max_gap_minutes == 0))
		fail("only one gap set", expr);
}

/* Fuzz entry point: the input is the expression. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		expr[FUZZ_MAX_INPUT + 1];
	char		padded[FUZZ_MAX_INPUT + 8];
	CronCheck	a;
	CronCheck	b;
	CronCheck	c;
	CronCheck	d;

	if (size > FUZZ_MAX_INPUT)
		size = FUZZ_MAX_INPUT;
	memcpy(expr, data, size);
	expr[size] = '\0';

	cron_check(expr, MIN_GAP, WEEK, &a);
	check_result(&a, expr, MIN_GAP, WEEK);

	/* deterministic, and independent of what the buffer held before */
	memset(&b, 0x5a, sizeof(b));
	cron_check(expr, MIN_GAP, WEEK, &b);
	if (a.ok != b.ok || a.min_gap_minutes != b.min_gap_minutes ||
		a.max_gap_minutes != b.max_gap_minutes ||
		strcmp(a.message, b.message) != 0 || strcmp(a.hint, b.hint) != 0)
		fail("not deterministic", expr);

	/* with no gap limits, it passes exactly when it parses and fires */
	cron_check(expr, 0, INT_MAX, &c);
	check_result(&c, expr, 0, INT_MAX);
	if (a.min_gap_minutes != 0 &&
		(!c.ok || c.min_gap_minutes != a.min_gap_minutes ||
		 c.max_gap_minutes != a.max_gap_minutes))
		fail("gap result depends on the limits", expr);
	if (a.ok && !c.ok)
		fail("accepted with limits but refused without", expr);

	/* blanks around a short enough expression change nothing */
	if (size + 2 <= CRON_MAX_LENGTH && strlen(expr) == size)
	{
		snprintf(padded, sizeof(padded), " %s\t", expr);
		cron_check(padded, MIN_GAP, WEEK, &d);
		if (d.ok != a.ok || d.min_gap_minutes != a.min_gap_minutes ||
			d.max_gap_minutes != a.max_gap_minutes)
			fail("surrounding blanks change the verdict", expr);
	}
	return 0;
}

#ifdef FUZZ_STANDALONE
#include "replay_main.h"
#endif

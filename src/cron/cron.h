/*-------------------------------------------------------------------------
 *
 * cron.h
 *	  Parse a 5-field cron expression and check the gaps between its runs.
 *
 * Pure C99 and libc only (no PostgreSQL headers, no allocation), so that
 * it can be unit-tested and fuzzed outside the server.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_CRON_H
#define DUNE_MV_CRON_H

#include <stdbool.h>

/* Longest expression accepted, in bytes. */
#define CRON_MAX_LENGTH 200

/*
 * Result of checking a cron expression; message and hint are written into
 * these buffers (empty strings when ok).  min_gap_minutes/max_gap_minutes
 * hold the smallest and largest gap between consecutive fire times whenever
 * the expression parsed and fires at all, and 0 otherwise.
 */
typedef struct CronCheck
{
	bool		ok;
	char		message[256];	/* what is wrong */
	char		hint[256];		/* how to fix it */
	int			min_gap_minutes;	/* smallest gap between consecutive fire times */
	int			max_gap_minutes;	/* largest gap between consecutive fire times */
} CronCheck;

/*
 * Parse a 5-field cron expression (UTC) and check that consecutive fire
 * times are at least min_gap_minutes and at most max_gap_minutes apart.
 */
extern void cron_check(const char *expr, int min_gap_minutes,
					   int max_gap_minutes, CronCheck *result);

#endif							/* DUNE_MV_CRON_H */

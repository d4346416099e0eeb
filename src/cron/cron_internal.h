/*-------------------------------------------------------------------------
 *
 * cron_internal.h
 *	  Definitions shared by cron.c (parsing) and cron_gaps.c (the gaps
 *	  between fire times, and their error reports).
 *
 * Pure C99 and libc only, like cron.h; not for use outside these two files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_CRON_INTERNAL_H
#define DUNE_MV_CRON_INTERNAL_H

#include "cron.h"

#include <stddef.h>
#include <stdint.h>

#define CRON_NFIELDS		5

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

/* Parsed expression: one bit per allowed value. */
typedef struct CronSchedule
{
	uint64_t	mask[CRON_NFIELDS];
	bool		dom_star;		/* day-of-month field starts with '*' */
	bool		dow_star;		/* day-of-week field starts with '*' */
} CronSchedule;

/* set_message(r, fmt, ...) and set_hint(r, fmt, ...) */
#define set_message(r, ...) cron_set_text((r)->message, sizeof((r)->message), __VA_ARGS__)
#define set_hint(r, ...)	cron_set_text((r)->hint, sizeof((r)->hint), __VA_ARGS__)

/* Format a message or hint into buf (cron.c). */
extern void cron_set_text(char *buf, size_t size, const char *fmt,...) CRON_PRINTF(3, 4);

/*
 * Compute the gaps between the fire times of a parsed schedule, store them
 * in result and set ok, or the error when they break the limits or the
 * schedule never fires (cron_gaps.c).
 */
extern void cron_check_gaps(const CronSchedule *s, int min_gap_minutes,
							int max_gap_minutes, CronCheck *result);

#endif							/* DUNE_MV_CRON_INTERNAL_H */

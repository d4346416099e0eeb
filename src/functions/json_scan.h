/*-------------------------------------------------------------------------
 * json_scan.h
 *	  A validating JSON scanner over UTF-8 text held in memory: spans, not
 *	  trees (results pages, see functions/results.c).
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_JSON_SCAN_H
#define DUNE_MV_JSON_SCAN_H

#include "lib/stringinfo.h"

typedef enum JsonKind
{
	JSON_KIND_NULL,
	JSON_KIND_FALSE,
	JSON_KIND_TRUE,
	JSON_KIND_NUMBER,
	JSON_KIND_STRING,
	JSON_KIND_ARRAY,
	JSON_KIND_OBJECT
} JsonKind;

/* One value: its kind and its text (a string's with its quotes). */
typedef struct JsonSpan
{
	JsonKind	kind;
	const char *start;
	const char *end;			/* one past the last byte */
} JsonSpan;

/* A position inside a text; error says what went wrong when a call returns false. */
typedef struct JsonScan
{
	const char *p;
	const char *end;
	const char *error;
	bool		first;			/* inside a container: before its first item */
	bool		shallow;		/* containers are skipped, not checked inside */
	char		close;			/* entered container: its closing bracket ends it */
} JsonScan;

extern bool jscan_value(JsonScan *s, JsonSpan *out);
extern bool jscan_open(JsonScan *s, const JsonSpan *container);
extern bool jscan_enter(JsonScan *outer, JsonScan *inner, char open);
extern void jscan_leave(JsonScan *outer, const JsonScan *inner);
extern bool jscan_member_key(JsonScan *s, JsonSpan *key);
extern bool jscan_member(JsonScan *s, JsonSpan *key, JsonSpan *value);
extern bool jscan_element(JsonScan *s, JsonSpan *value);
extern bool jscan_done(const JsonScan *s);
extern bool jscan_key_is(const JsonSpan *key, const char *name, size_t len);
extern void jscan_string(const JsonSpan *str, StringInfo out, bool copy_escape);
extern void jscan_copy_escape(const char *text, size_t len, StringInfo out);

#endif

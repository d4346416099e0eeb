/*-------------------------------------------------------------------------
 * validate.h
 *	  Input checks made before any network call (SQLSTATE 22023).
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_VALIDATE_H
#define DUNE_MV_VALIDATE_H

#include "datatype/timestamp.h"
#include "fmgr.h"

/* characters of an input that a message quotes (validate_quote) */
#define MESSAGE_INPUT_MAX 64

extern char *validate_message_text(const char *text, int max_chars);
extern char *validate_quote(const char *input);
extern void validate_required(bool isnull, const char *argname);
extern void validate_dune_name(const char *name);
extern void validate_dune_view_ref(const char *name);
extern void validate_remote_id(const char *id, const char *what);
extern char *validate_id_arg(FunctionCallInfo fcinfo, int n, const char *what);
extern void validate_query_id(int64 query_id);
extern void validate_performance(const char *performance);
extern void validate_cron(const char *cron);
extern void validate_expires_at(TimestampTz expires_at, bool have_cron);
extern char *format_rfc3339(TimestampTz ts);

#endif

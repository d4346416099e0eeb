/*-------------------------------------------------------------------------
 * dune_mv.c
 *	  Module entry point of the dune_mv extension.
 *
 * Where things are (README.md, "Architecture", has the whole tree):
 *	  core/			the call lifecycle (call.c: api_call), provider registry,
 *					settings, credentials, redaction, status, the overlap guard
 *	  transport/	libcurl: a backend's exchange (http.c), the worker's
 *					(multi.c), error mapping, URL encoding
 *	  providers/	one file per remote API: its descriptor and request builders
 *	  catalog/		every statement on a dune_mv.* table; record.c records calls
 *	  functions/	the SQL-facing functions
 *	  worker/		the launcher, the database workers, the journal, queued loads
 *	  arrow/, cron/	Arrow IPC schemas; the cron parser
 * _PG_init defines the settings (the providers', the results', the
 * guard's, the worker's), installs the log redaction, and registers the launcher.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "transport/http.h"
#include "core/guard.h"
#include "core/redact.h"
#include "core/settings.h"
#include "worker/worker.h"
#include "functions/results.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Define the settings and prepare the transport. */
void
_PG_init(void)
{
	settings_init();
	results_define_settings();
	guard_define_settings();
	redact_init();
	worker_init();
	settings_reserve_prefix();
}

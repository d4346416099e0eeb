/*-------------------------------------------------------------------------
 * dune_mv.c
 *	  Module entry point of the dune_mv extension.
 *
 * Where things are:
 *	  settings.c		configuration parameters (URLs, keys, timeouts)
 *	  redact.c			keeps keys out of messages and the server log
 *	  http.c			the libcurl transport: one handle per backend, retries,
 *						timeouts, cancellation
 *	  remote_error.c	HTTP failures to SQLSTATEs and messages
 *	  json_util.c		json-c objects owned by memory contexts
 *	  validate.c, cron.c, cron_gaps.c	input checks made before any network call
 *	  catalog.c			writes to the dune_mv.* tables
 *	  tracking.c		executions and jobs (dune_mv.executions), purge
 *	  guard.c			the overlap guard of refreshes
 *	  dune_api.c		Dune requests; dune_*.c the SQL functions built on them
 *	  lance_api.c		Lance requests; lance_*.c the SQL functions
 *	  arrow_*.c			Arrow IPC schema encoding and decoding
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "transport/http.h"
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
	redact_init();
	worker_init();
	settings_reserve_prefix();
}

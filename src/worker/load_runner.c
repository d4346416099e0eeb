/*-------------------------------------------------------------------------
 * load_runner.c
 *	  Queued loads (dune_mv_load_async): the database worker claims a load
 *	  request like any other, once its upstream requests have succeeded,
 *	  and starts a runner for it, a short-lived background worker that
 *	  runs the same load as dune_mv_load (functions/load.c), as the role
 *	  that queued it, in one transaction of its own.
 *
 * A load reads many pages and writes many rows: it runs beside the worker,
 * never in its loop, so sends and status reads go on meanwhile.  The
 * runner settles its request ('done' with the execution loaded, or
 * 'failed' with the error) in the transaction that holds the load, so the
 * table and the request agree.  A runner that stops before settling
 * (terminated, crashed) leaves its transaction rolled back and the table as
 * it was; the worker, told by the postmaster that it stopped, marks the
 * request 'failed'.  At most MAX_LOADS run at once per database.
 * May call catalog/, functions/load.h and worker/worker.c's helpers.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/json_util.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/memutils.h"

#include "catalog/catalog.h"
#include "functions/load.h"
#include "providers/dune.h"
#include "worker/worker_internal.h"

#define MAX_LOADS	4			/* runners at once, per database */

PGDLLEXPORT void dune_mv_load_main(Datum arg);

/* What a runner is told besides its request id (bgw_extra). */
typedef struct RunnerArgs
{
	Oid			dboid;
	Oid			role;
} RunnerArgs;

/* A runner: claimed (handle NULL until launched after the claim commits) or started. */
typedef struct Runner
{
	bool		used;
	int64		request_id;
	Oid			role;
	BackgroundWorkerHandle *handle;
} Runner;

static Runner runners[MAX_LOADS];

/* How many loads are claimed or running. */
int
loads_running(void)
{
	int			n = 0;

	for (int i = 0; i < MAX_LOADS; i++)
		if (runners[i].used)
			n++;
	return n;
}

/*
 * Take a claimed load request (in the claiming transaction); false when
 * MAX_LOADS are running.  It is launched by loads_launch once the claim
 * has committed, so that the runner finds it 'sending'.
 */
bool
load_claim(int64 request_id, Oid role)
{
	for (int i = 0; i < MAX_LOADS; i++)
		if (!runners[i].used)
		{
			runners[i].used = true;
			runners[i].request_id = request_id;
			runners[i].role = role;
			runners[i].handle = NULL;
			return true;
		}
	return false;
}

/* Start a runner for one claimed load; false when no background worker slot is free. */
static bool
launch(Runner *r)
{
	BackgroundWorker w;
	RunnerArgs	args = {MyDatabaseId, r->role};
	MemoryContext old;
	bool		ok;

	worker_describe(&w, "dune_mv load", "dune_mv_load_main", Int64GetDatum(r->request_id));
	snprintf(w.bgw_name, BGW_MAXLEN, "dune_mv load of request " INT64_FORMAT, r->request_id);
	memcpy(w.bgw_extra, &args, sizeof(args));
	old = MemoryContextSwitchTo(TopMemoryContext);
	ok = RegisterDynamicBackgroundWorker(&w, &r->handle);
	MemoryContextSwitchTo(old);
	return ok;
}

/*
 * Launch the loads claimed by the committed claim; one that cannot start
 * (no background worker slot) goes back to 'queued', after a pause.
 */
void
loads_launch(void)
{
	bool		requeue = false;

	for (int i = 0; i < MAX_LOADS; i++)
		if (runners[i].used && runners[i].handle == NULL && !launch(&runners[i]))
			requeue = true;
	if (!requeue)
		return;
	begin_work();
	for (int i = 0; i < MAX_LOADS; i++)
		if (runners[i].used && runners[i].handle == NULL)
		{
			catalog_finish_request(runners[i].request_id, "queued", NULL, 0, NULL, NULL);
			runners[i].used = false;
		}
	end_work();
	hold_back(&dune_provider, 1000);
	note_error("no background worker slot was free for a queued load (max_worker_processes)");
}

/*
 * Forget the runners that stopped; a request one left 'sending' (it was
 * terminated or crashed: its transaction, load included, rolled back) is
 * failed.
 */
void
loads_reap(void)
{
	bool		stopped[MAX_LOADS] = {false};
	bool		any = false;

	for (int i = 0; i < MAX_LOADS; i++)
	{
		pid_t		pid;

		stopped[i] = runners[i].used && runners[i].handle != NULL &&
			GetBackgroundWorkerPid(runners[i].handle, &pid) == BGWH_STOPPED;
		any |= stopped[i];
	}
	if (!any)
		return;
	begin_work();
	for (int i = 0; i < MAX_LOADS; i++)
		if (stopped[i] &&
			catalog_fail_sending(runners[i].request_id, "57P01",
								 "the load stopped before it finished; the table is as it was"))
			note_error("a queued load stopped before it finished");
	end_work();
	for (int i = 0; i < MAX_LOADS; i++)
		if (stopped[i])
		{
			pfree(runners[i].handle);
			runners[i].handle = NULL;
			runners[i].used = false;
		}
}

/* Stop every runner (the worker is stopping) and wait until they have. */
void
loads_stop(void)
{
	for (int i = 0; i < MAX_LOADS; i++)
		if (runners[i].handle != NULL)
			TerminateBackgroundWorker(runners[i].handle);
	for (int i = 0; i < MAX_LOADS; i++)
		if (runners[i].handle != NULL)
			(void) WaitForBackgroundWorkerShutdown(runners[i].handle);
}

/* What a load request runs: its stored call's fields, and the outcome. */
typedef struct LoadJob
{
	const char *source;
	const char *target;
	const char *mode;
	int64		rows;
	char	   *execution_id;
} LoadJob;

/* run_as body: the load itself. */
static void
run_load(void *arg)
{
	LoadJob    *job = (LoadJob *) arg;

	job->rows = load_run(job->source, job->target, job->mode, &job->execution_id);
}

/*
 * A runner (bgw_main_arg: its request id; bgw_extra: the database and the
 * role): runs the load and settles the request in one transaction.
 */
void
dune_mv_load_main(Datum arg)
{
	int64		request_id = DatumGetInt64(arg);
	RunnerArgs	args;
	LoadJob		job = {0};
	char	   *role_name;
	char	   *call_json;
	char	   *sqlstate = NULL;
	char	   *message = NULL;
	json_object *stored;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(args.dboid, InvalidOid, 0);
	pgstat_report_appname("dune_mv load");

	begin_work();
	if (!catalog_sending_request(request_id, &role_name, &call_json))
	{
		end_work();
		proc_exit(0);			/* cancelled or settled meanwhile */
	}
	stored = json_parse_owned(call_json, strlen(call_json));
	job.source = stored ? json_string_field(stored, "source") : NULL;
	job.target = stored ? json_string_field(stored, "target") : NULL;
	job.mode = stored ? json_string_field(stored, "mode") : NULL;
	pgstat_report_activity(STATE_RUNNING,
						   psprintf("loading request " INT64_FORMAT " into %s", request_id,
									job.target ? job.target : "?"));
	if (job.source == NULL || job.target == NULL || job.mode == NULL)
		catalog_finish_request(request_id, "failed", NULL, 0, "XX000",
							   "the stored load request cannot be read");
	else if (run_as(args.role, run_load, &job, &sqlstate, &message))
		catalog_finish_request(request_id, "done", job.execution_id, 0, NULL,
							   psprintf(INT64_FORMAT " rows loaded", job.rows));
	else
		catalog_finish_request(request_id, "failed", NULL, 0, sqlstate, message);
	end_work();
	pgstat_report_activity(STATE_IDLE, NULL);
	proc_exit(0);
}

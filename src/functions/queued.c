/*-------------------------------------------------------------------------
 * queued.c
 *	  Queued calls from SQL: dune_mv_upsert_async, dune_mv_refresh_async,
 *	  lance_mv_create_async, lance_mv_refresh_async, dune_mv_load_async,
 *	  dune_mv_request_cancel,
 *	  dune_mv_request_resend, dune_mv_worker_status and dune_mv_worker_start.
 *
 * A queued function prepares its call exactly as the synchronous one does
 * (the same *_prepare function, so the same checks, all before anything is
 * queued), then stores the prepared request (method, path, body, retry
 * policy, the view row it will change; never a credential) in
 * dune_mv.requests in the caller's transaction, and asks for this
 * database's worker to be woken when that transaction commits.  The worker
 * restores the call with queued_call_restore and drives the same lifecycle
 * (core/call.c).  May call core/, catalog/ and worker/shmem.h.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/json_util.h"

#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "catalog/catalog.h"
#include "core/guard.h"
#include "functions/load.h"
#include "functions/queued.h"
#include "functions/validate.h"
#include "providers/dune.h"
#include "worker/worker.h"

PG_FUNCTION_INFO_V1(dune_mv_upsert_async);
PG_FUNCTION_INFO_V1(dune_mv_refresh_async);
PG_FUNCTION_INFO_V1(lance_mv_create_async);
PG_FUNCTION_INFO_V1(lance_mv_refresh_async);
PG_FUNCTION_INFO_V1(dune_mv_load_async);
PG_FUNCTION_INFO_V1(dune_mv_request_cancel);
PG_FUNCTION_INFO_V1(dune_mv_request_resend);
PG_FUNCTION_INFO_V1(dune_mv_worker_status);
PG_FUNCTION_INFO_V1(dune_mv_worker_start);

/* The operations that can be queued, and the reply check of each. */
typedef struct QueuedOperation
{
	const char *provider;
	const char *operation;
	CallReadFn	read_reply;
} QueuedOperation;

static const QueuedOperation queued_operations[] = {
	{"dune", "upsert", dune_read_upsert},
	{"dune", "refresh", dune_read_refresh},
	{"lance", "create", lance_read_create},
	{"lance", "refresh", lance_read_refresh},
};

/* A string field of a stored call, or NULL. */
static const char *
stored_string(json_object *obj, const char *key)
{
	return json_string_field(obj, key);
}

/* The stored form of a prepared call: what the worker needs to restore it. */
static json_object *
call_to_json(const ApiCall *call)
{
	json_object *obj = json_new_object();
	json_object *view = json_object_new_object();

	json_add_string(obj, "method", call->req.method);
	json_add_string(obj, "path", call->req.path);
	json_add_child(obj, "retry", json_object_new_int(call->req.retry));
	json_add_child(obj, "writes_remote", json_object_new_boolean(call->writes_remote));
	/* asked to refresh even while running (dune_mv.refresh_while_running): no guard */
	if (call->guard_key && !dune_mv_refresh_while_running)
		json_add_string(obj, "guard_key", call->guard_key);
	if (call->body)
		json_add_child(obj, "body", json_object_get(call->body));
	json_add_child(obj, "view", view);
	json_add_child(view, "change", json_object_new_int(call->view.change));
	if (call->view.name)
		json_add_string(view, "name", call->view.name);
	if (call->view.full_name)
		json_add_string(view, "full_name", call->view.full_name);
	if (call->view.ident)
		json_add_string(view, "ident", call->view.ident);
	if (call->view.definition)
		json_add_child(view, "definition", json_object_get(call->view.definition));
	if (call->view.updates)
		json_add_child(view, "updates", json_object_get(call->view.updates));
	return obj;
}

/* A child object of a stored call, or NULL. */
static json_object *
stored_object(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

/* Restore a queued call (as call_to_json stored it) for the worker to send. */
void
queued_call_restore(ApiCall *call, const char *provider_name, const char *call_json)
{
	json_object *obj = json_parse_owned(call_json, strlen(call_json));
	json_object *view;
	const Provider *provider = NULL;
	const char *operation;
	int64		retry = 0;
	int64		change = 0;
	bool		writes = true;

	foreach_provider(p)
		if (strcmp(p->name, provider_name) == 0)
			provider = p;
	if (obj == NULL || provider == NULL)
		elog(ERROR, "stored request of provider \"%s\" cannot be read", provider_name);
	operation = stored_string(obj, "operation");
	(void) json_int64_field(obj, "retry", &retry);
	api_prepare(call, provider, operation, stored_string(obj, "target"),
				stored_string(obj, "method"), stored_string(obj, "path"),
				(HttpRetryPolicy) retry);
	if (json_bool_field(obj, "writes_remote", &writes))
		call->writes_remote = writes;
	call->guard_key = stored_string(obj, "guard_key");
	call->body = stored_object(obj, "body");
	view = stored_object(obj, "view");
	(void) json_int64_field(view, "change", &change);
	call->view.change = (ViewChange) change;
	call->view.name = stored_string(view, "name");
	call->view.full_name = stored_string(view, "full_name");
	call->view.ident = stored_string(view, "ident");
	call->view.definition = stored_object(view, "definition");
	call->view.updates = stored_object(view, "updates");
	for (size_t i = 0; i < lengthof(queued_operations); i++)
		if (strcmp(queued_operations[i].provider, provider_name) == 0 &&
			strcmp(queued_operations[i].operation, operation) == 0)
			call->read_reply = queued_operations[i].read_reply;
}

/* for catalog_upstream_states: count the upstream requests found. */
static void
count_found(int64 id, const char *state, const char *provider, const char *execution_state,
			bool finished, void *arg)
{
	(*(int *) arg)++;
}

/* The after argument: NULL, or a one-dimensional bigint[] of existing requests. */
static Datum
after_arg(FunctionCallInfo fcinfo, int n)
{
	ArrayType  *after;
	int			nitems;
	int			found = 0;

	if (PG_ARGISNULL(n))
		return (Datum) 0;
	after = PG_GETARG_ARRAYTYPE_P(n);
	nitems = ArrayGetNItems(ARR_NDIM(after), ARR_DIMS(after));
	if (nitems == 0)
		return (Datum) 0;
	if (ARR_NDIM(after) != 1 || array_contains_nulls(after))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("after must be a one-dimensional array of request ids without NULLs")));
	catalog_upstream_states(PointerGetDatum(after), count_found, &found);
	if (found != nitems)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("after names %d request(s) that do not exist", nitems - found),
				 errhint("Pass ids that the *_async functions returned.")));
	return PointerGetDatum(after);
}

/*
 * Queue a stored request (provider, operation, target, what to run) with
 * the after argument n; returns its request id.  The worker is woken when
 * this transaction commits.
 */
static Datum
enqueue_stored(FunctionCallInfo fcinfo, const char *provider, const char *operation,
			   const char *target, json_object *stored, int after_argno)
{
	Datum		after = after_arg(fcinfo, after_argno);
	int64		id;

	json_add_string(stored, "operation", operation);
	json_add_string(stored, "target", target);
	id = catalog_queue_request(provider, operation, target, json_text(stored), after);
	worker_wake_at_commit();
	if (!worker_running(MyDatabaseId))
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("no dune_mv worker serves database \"%s\" now",
						get_database_name(MyDatabaseId)),
				 errdetail("Request " INT64_FORMAT " stays queued and is sent when the worker starts.", id),
				 errhint("The worker starts with the server when dune_mv is in shared_preload_libraries; see SELECT * FROM dune_mv.worker.")));
	PG_RETURN_INT64(id);
}

/* Queue a prepared call with the after argument n; returns its request id. */
static Datum
enqueue(FunctionCallInfo fcinfo, ApiCall *call, int after_argno)
{
	return enqueue_stored(fcinfo, call->provider->name, call->operation, call->target,
						  call_to_json(call), after_argno);
}

/*
 * name(..., after): a synchronous function queued; prepare fills call as the
 * synchronous function does, after is argument after_argno.
 */
#define QUEUED_FUNCTION(name, prepare, after_argno) \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	ApiCall		call; \
\
	prepare; \
	return enqueue(fcinfo, &call, after_argno); \
}

QUEUED_FUNCTION(dune_mv_upsert_async, dune_upsert_prepare(fcinfo, true, &call), 7)
QUEUED_FUNCTION(dune_mv_refresh_async, dune_refresh_prepare(fcinfo, &call), 2)
QUEUED_FUNCTION(lance_mv_create_async, lance_create_prepare(fcinfo, &call), 8)
QUEUED_FUNCTION(lance_mv_refresh_async, lance_refresh_prepare(fcinfo, &call), 10)

/*
 * dune_mv_load_async(source, target, mode, after): dune_mv_load, queued;
 * run by a runner the worker starts (worker/load_runner.c) once the
 * requests of after have succeeded.
 */
Datum
dune_mv_load_async(PG_FUNCTION_ARGS)
{
	char	   *source;
	char	   *target;
	char	   *mode;
	RangeVar   *rv;
	json_object *stored = json_new_object();

	load_args(fcinfo, &source, &target, &mode);
	(void) load_check(source, target, mode, &rv);
	json_add_string(stored, "source", source);
	json_add_string(stored, "mode", mode);
	return enqueue_stored(fcinfo, dune_provider.name, "load", target, stored, 3);
}

/* dune_mv_request_cancel(id): a queued request of the caller's is not sent. */
Datum
dune_mv_request_cancel(PG_FUNCTION_ARGS)
{
	validate_required(PG_ARGISNULL(0), "id");
	PG_RETURN_BOOL(catalog_cancel_request(PG_GETARG_INT64(0)));
}

/*
 * dune_mv_request_resend(id): queue again a request of the caller's that
 * ended unknown, failed, skipped or cancelled; returns the new request id.
 */
Datum
dune_mv_request_resend(PG_FUNCTION_ARGS)
{
	int64		id;

	validate_required(PG_ARGISNULL(0), "id");
	id = catalog_resend_request(PG_GETARG_INT64(0));
	if (id == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("request " INT64_FORMAT " cannot be resent", PG_GETARG_INT64(0)),
				 errdetail("Only a request of yours that ended unknown, failed, skipped or cancelled can be resent.")));
	worker_wake_at_commit();
	PG_RETURN_INT64(id);
}

/* dune_mv_worker_status(): one row per database slot of the shared state. */
Datum
dune_mv_worker_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	WorkerSlotView slots[WORKER_STATUS_MAX];
	int			n;

	InitMaterializedSRF(fcinfo, 0);
	n = worker_status(slots, WORKER_STATUS_MAX);
	for (int i = 0; i < n; i++)
	{
		char	   *dbname = get_database_name(slots[i].dboid);
		Datum		values[8];
		bool		nulls[8] = {false, false, false, false, false, false, false, false};

		if (dbname == NULL)
			continue;
		values[0] = CStringGetDatum(dbname);
		values[0] = DirectFunctionCall1(namein, values[0]);
		values[1] = Int32GetDatum(slots[i].pid);
		nulls[1] = slots[i].pid == 0;
		values[2] = BoolGetDatum(slots[i].pid != 0);
		values[3] = Int64GetDatum(slots[i].queued);
		values[4] = Int32GetDatum(slots[i].in_flight);
		values[5] = TimestampTzGetDatum(slots[i].rate_limited_until);
		nulls[5] = slots[i].rate_limited_until == 0;
		values[6] = CStringGetTextDatum(slots[i].last_error);
		nulls[6] = slots[i].last_error[0] == '\0';
		values[7] = TimestampTzGetDatum(slots[i].last_error_at);
		nulls[7] = slots[i].last_error_at == 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* dune_mv_worker_start(): this database's worker starts when the transaction commits. */
Datum
dune_mv_worker_start(PG_FUNCTION_ARGS)
{
	worker_start_at_commit();
	PG_RETURN_BOOL(true);
}

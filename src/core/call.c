/*-------------------------------------------------------------------------
 * call.c
 *	  The lifecycle of one call to a remote API: api_call().
 *
 * Prepared by a SQL function (or the worker) with api_prepare and its
 * provider's request builders, a call goes through these steps, here and
 * nowhere else:
 *	  0. a call that changes remote state is refused, before any request,
 *		 where its record could not be written (a read-only transaction, a
 *		 standby): SQLSTATE 25006;
 *	  1. the overlap guard, for a refresh (core/guard.c): a refresh of a view
 *		 that is being refreshed is recorded as skipped and not sent;
 *	  2. the credential headers, built from the provider's descriptor at send
 *		 time and wiped afterwards;
 *	  3. the exchange (transport/http.c), bounded by the call's time budget;
 *	  4. classification: a status that is not 2xx raises the remote error
 *		 (transport/remote_error.c) unless the call tolerates it; a 2xx body
 *		 must be a JSON object;
 *	  5. read_reply: the caller's check of the reply, which fills in what the
 *		 call started and changed;
 *	  6. one catalog record of all of it (catalog_record).
 * It takes no FunctionCallInfo; errors are ordinary ereports that a caller
 * may catch.  May call core/, transport/ and catalog/.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/json_util.h"

#include "access/xact.h"
#include "access/xlog.h"

#include "catalog/catalog.h"
#include "core/call.h"
#include "core/credentials.h"
#include "core/guard.h"
#include "transport/remote_error.h"
#include "worker/journal.h"

/* Raise the error for a provider none of whose authenticating credentials is set. */
static void
raise_no_credentials(const Provider *provider)
{
	const char *names[CALL_MAX_HEADERS] = {0};
	int			n = 0;

	for (int i = 0; i < provider->ncredentials; i++)
		if (provider->credentials[i].authenticates)
			names[n++] = provider->credentials[i].setting;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 n == 1 ? errmsg("%s is not set", names[0]) :
			 errmsg("neither %s nor %s is set", names[0], names[n - 1]),
			 errhint(n == 1 ?
					 "A superuser sets it in postgresql.conf or with ALTER SYSTEM, then reloads the configuration." :
					 "A superuser sets one of them in postgresql.conf or with ALTER SYSTEM, then reloads the configuration.")));
}

/*
 * prefix + value in a buffer of exactly the right size (psprintf may leave a
 * partial copy of a secret in a buffer it outgrew and freed).
 */
static char *
header_line(const char *prefix, const char *value)
{
	size_t		plen = strlen(prefix);
	size_t		vlen = strlen(value);
	char	   *line = palloc(plen + vlen + 1);

	memcpy(line, prefix, plen);
	memcpy(line + plen, value, vlen + 1);
	return line;
}

/*
 * Build the provider's credential headers into the call; they exist only
 * for the exchange, and call_wipe_headers wipes them on every path.
 */
static void
build_credential_headers(ApiCall *call)
{
	const Provider *provider = call->provider;
	bool		authenticated = false;

	Assert(provider->ncredentials <= CALL_MAX_HEADERS);
	for (int i = 0; i < provider->ncredentials; i++)
	{
		const ProviderCredential *cred = &provider->credentials[i];
		char	   *value = credential_read(cred);

		if (value == NULL)
			continue;
		authenticated |= cred->authenticates;
		call->header_lines[call->req.nheaders] = header_line(cred->header, value);
		call->req.nheaders++;
		credential_wipe(value);
	}
	call->req.headers = (const char *const *) call->header_lines;
	if (!authenticated)
		raise_no_credentials(provider);
}

/* Wipe and free the credential headers of a call (after its exchange, or on error). */
void
api_call_wipe_headers(ApiCall *call)
{
	for (int i = 0; i < call->req.nheaders; i++)
	{
		credential_wipe(call->header_lines[i]);
		call->header_lines[i] = NULL;
	}
	call->req.headers = NULL;
	call->req.nheaders = 0;
}

/* True when the call tolerates (returns rather than raises) this status. */
static bool
tolerated(const ApiCall *call, long status)
{
	for (const long *s = call->tolerate; s != NULL && *s != 0; s++)
		if (*s == status)
			return true;
	return false;
}

/* Fill in the parts of a call that every request has (the body is set by the caller). */
void
api_prepare(ApiCall *call, const Provider *provider, const char *operation,
			const char *target, const char *method, const char *path,
			HttpRetryPolicy retry)
{
	memset(call, 0, sizeof(*call));
	call->provider = provider;
	call->operation = operation;
	call->target = target;
	call->req.service = provider->service;
	call->req.url_setting = provider->url_setting;
	call->req.base_url = *provider->url;
	call->req.method = method;
	call->req.path = path;
	call->req.retry = retry;
	/* a write retried as an idempotent one (a delete) sets writes_remote itself */
	call->writes_remote = retry != HTTP_RETRY_IDEMPOTENT;
}

/*
 * Refuse a call that changes remote state where its record could not be
 * written: the remote work would happen and its record fail afterwards.
 */
static void
refuse_unrecordable_write(const ApiCall *call)
{
	if (!call->writes_remote || !catalog_read_only())
		return;
	ereport(ERROR,
			(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
			 errmsg("cannot %s on the %s API in a read-only transaction",
					call->operation, call->provider->service),
			 errdetail("The call would change remote state, and its record in the catalog could not be written."),
			 errhint(RecoveryInProgress() ? "Run it on the primary server." :
					 "Run it in a read-write transaction.")));
}

/*
 * The steps before the exchange: the read-only check, the overlap guard
 * (false: skipped, and recorded so), the body's text and the credential
 * headers (the caller wipes them with api_call_wipe_headers on every path).
 */
bool
api_call_begin(ApiCall *call)
{
	refuse_unrecordable_write(call);
	if (call->guard_key != NULL && !guard_enter(call))
	{
		call->outcome = CALL_SKIPPED;
		catalog_record(call);
		return false;
	}
	call->req.body = call->body ? json_text(call->body) : NULL;
	build_credential_headers(call);
	return true;
}

/*
 * The steps after the exchange (call->resp filled in): classification, the
 * reply's checks (read_reply) and the record.  Returns CALL_OK or
 * CALL_TOLERATED (recorded only with record_tolerated); raises the remote
 * error of any other status.
 */
CallOutcome
api_call_finish(ApiCall *call)
{
	if (!http_status_ok(call->resp.status))
	{
		if (!tolerated(call, call->resp.status))
			remote_error_raise(call->provider, &call->req, &call->resp);
		call->outcome = CALL_TOLERATED;
		if (call->record_tolerated)
			catalog_record(call);
		return CALL_TOLERATED;
	}

	call->reply = NULL;
	if (call->resp.body_len > 0 && !call->raw_reply)
	{
		call->reply = json_parse_owned(call->resp.body, call->resp.body_len);
		if (call->reply == NULL)
			api_bad_reply(call, "the body is not a JSON object");
	}
	if (call->read_reply)
		call->read_reply(call);
	call->outcome = CALL_OK;
	catalog_record(call);
	return CALL_OK;
}

/* Open the journal entry of a call that changes remote state (-1: none). */
static int
journal_call(const ApiCall *call)
{
	JournalEntry entry;

	if (!call->writes_remote)
		return -1;
	memset(&entry, 0, sizeof(entry));
	strlcpy(entry.provider, call->provider->name, sizeof(entry.provider));
	strlcpy(entry.operation, call->operation, sizeof(entry.operation));
	strlcpy(entry.target, call->target, sizeof(entry.target));
	strlcpy(entry.method, call->req.method, sizeof(entry.method));
	strlcpy(entry.path, call->req.path, sizeof(entry.path));
	if (call->guard_key)
		strlcpy(entry.guard, call->guard_key, sizeof(entry.guard));
	return journal_open(&entry);
}

/* In a PG_CATCH: note the error in the journal entry, then re-throw it. */
static void
journal_error_rethrow(int entry, const ApiCall *call, MemoryContext cxt)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	journal_answer(entry, (int) call->resp.status, call->remote_id, call->starts_execution,
				   edata->message);
	FreeErrorData(edata);
	PG_RE_THROW();
}

/*
 * Run a prepared call through its whole lifecycle (see the file header),
 * the exchange being the backend's synchronous one.  A call that changes
 * remote state is journaled first (worker/journal.c), so that its record
 * survives whatever follows the request.  Returns CALL_OK, CALL_TOLERATED
 * or CALL_SKIPPED; every failure is raised.
 */
CallOutcome
api_call(ApiCall *call)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile int entry;
	volatile CallOutcome outcome = CALL_OK;

	if (!api_call_begin(call))
		return CALL_SKIPPED;
	entry = -1;
	PG_TRY();
	{
		entry = journal_call(call);
		guard_release();		/* the journal entry now shows the refresh to others */
		http_perform(&call->req, &call->resp);
	}
	PG_CATCH();
	{
		api_call_wipe_headers(call);
		journal_error_rethrow(entry, call, cxt);
	}
	PG_END_TRY();
	api_call_wipe_headers(call);
	PG_TRY();
	{
		outcome = api_call_finish(call);
	}
	PG_CATCH();
	{
		journal_error_rethrow(entry, call, cxt);
	}
	PG_END_TRY();
	journal_answer(entry, (int) call->resp.status, call->remote_id, call->starts_execution, NULL);
	return outcome;
}

/* A string field of the reply; a missing required one is a malformed response. */const char *
api_reply_string(ApiCall *call, const char *field, bool required)
{
	const char *value = json_string_field(call->reply, field);

	if (value == NULL && required)
		api_bad_reply(call, psprintf("no string \"%s\" in the reply", field));
	return value;
}

/* Raise the error for a 2xx reply that does not have the expected shape. */
void
api_bad_reply(ApiCall *call, const char *what)
{
	remote_error_bad_response(&call->req, &call->resp, what);
}

/* What the catalog records of the request: method, path and body, never headers. */
char *
api_request_json(const ApiCall *call)
{
	json_object *obj = json_new_object();

	json_add_string(obj, "method", call->req.method);
	json_add_string(obj, "path", call->req.path);
	if (call->body)
		json_add_child(obj, "body", json_object_get(call->body));
	return json_text(obj);
}

/*-------------------------------------------------------------------------
 * dune_mv_stubs.c
 *	  Stand-ins for the parts of dune_mv that the fuzz targets do not link:
 *	  the libcurl transport (http.c) becomes a scripted exchange, the catalog
 *	  (catalog/) records nothing but converts every field it would write as
 *	  record.c does, and the guard, journal, credentials, settings, worker
 *	  and ownership checks answer as on a plain primary, keys set in
 *	  settings, for the owner of every view.
 *
 * The scripted http_perform checks what a request builder made: a method
 * the transport knows, a path of URL characters only, a JSON body.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/json_util.h"

#include "mb/pg_wchar.h"

#include "arrow/arrow_schema.h"
#include "catalog/catalog.h"
#include "core/call.h"
#include "core/credentials.h"
#include "core/guard.h"
#include "core/settings.h"
#include "functions/ownership.h"
#include "providers/dune.h"
#include "providers/lance.h"
#include "transport/http.h"
#include "worker/journal.h"
#include "worker/worker.h"

#include "fuzz_shim.h"

/* ---- settings (core/settings.c) ---- */
int			dune_mv_max_response_size = 8 * 1024 * 1024;
int			dune_mv_poll_interval_min = 5000;
int			dune_mv_poll_interval_max = 30000;
int			dune_mv_purge_after = 30 * 24 * 3600;
bool		dune_mv_preloaded = true;
bool		dune_mv_worker_follow = false;

int
settings_connect_timeout_ms(void)
{
	return 5000;
}

int
settings_total_timeout_ms(void)
{
	return 30000;
}

void
settings_require_preload(void)
{
}

/* ---- providers: base URLs and keys, as the settings would hold them ---- */
const char *shim_dune_file_value = NULL;

void
shim_configure_providers(void)
{
	static char dune_url[] = "http://127.0.0.1:9/api";
	static char lance_url[] = "http://127.0.0.1:9";
	static char dune_key[] = SHIM_DUNE_KEY;
	static char lance_key[] = SHIM_LANCE_KEY;
	static char lance_token[] = SHIM_LANCE_TOKEN;
	static char lance_db[] = "fuzzdb";

	*dune_provider.url = dune_url;
	*lance_provider.url = lance_url;
	*dune_provider.credentials[0].value = dune_key;
	for (int i = 0; i < lance_provider.ncredentials; i++)
	{
		const ProviderCredential *cred = &lance_provider.credentials[i];

		*cred->value = strcmp(cred->setting, "dune_mv.lance_api_key") == 0 ? lance_key :
			strcmp(cred->setting, "dune_mv.lance_bearer_token") == 0 ? lance_token : lance_db;
	}
}

/* ---- credentials (core/credentials.c): settings only, no files ---- */
char *
credential_read(const ProviderCredential *cred)
{
	const char *value = *cred->value;

	return value == NULL || value[0] == '\0' ? NULL : pstrdup(value);
}

void
credential_wipe(char *value)
{
	if (value == NULL)
		return;
	explicit_bzero(value, strlen(value));
	pfree(value);
}

const char *
credential_file_value(const ProviderCredential *cred)
{
	return strcmp(cred->setting, "dune_mv.dune_api_key") == 0 ? shim_dune_file_value : NULL;
}

/* ---- the transport (transport/http.c): a scripted exchange ---- */
typedef struct ScriptedResponse
{
	long		status;
	const uint8_t *body;
	size_t		len;
	long		retry_after_ms;
} ScriptedResponse;

static ScriptedResponse script[SHIM_MAX_RESPONSES];
static int	script_len = 0;
static int	script_next = 0;

void
shim_script_reset(void)
{
	script_len = script_next = 0;
}

void
shim_script_add(long status, const uint8_t *body, size_t len, long retry_after_ms)
{
	if (script_len == SHIM_MAX_RESPONSES)
		return;
	script[script_len].status = status;
	script[script_len].body = body;
	script[script_len].len = len;
	script[script_len].retry_after_ms = retry_after_ms;
	script_len++;
}

void
shim_script_parts(const ShimPart *parts, int n)
{
	for (int i = 0; i < n; i++)
	{
		const uint8_t *p = parts[i].data;
		size_t		len = parts[i].len;

		size_t		at = 3;
		long		retry_after_ms = -1;

		/* "NNN body", or "NNN@MS body" for a Retry-After of MS milliseconds */
		if (len >= 4 && p[0] >= '1' && p[0] <= '5' && isdigit(p[1]) && isdigit(p[2]) &&
			p[3] == '@')
		{
			retry_after_ms = 0;
			for (at = 4; at < len && at < 13 && isdigit(p[at]); at++)
				retry_after_ms = retry_after_ms * 10 + (p[at] - '0');
		}
		if (at < len && len >= 4 && p[0] >= '1' && p[0] <= '5' && isdigit(p[1]) &&
			isdigit(p[2]) && p[at] == ' ')
			shim_script_add((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'), p + at + 1,
							len - at - 1, retry_after_ms);
		else
			shim_script_add(200, p, len, -1);
	}
}

int
shim_script_sent(void)
{
	return script_next;
}

/* A path as the transport sends it: "/" then URL characters only (RFC 3986). */
static void
check_path(const char *path)
{
	if (path == NULL || path[0] != '/')
		shim_fail("request path does not start with '/': %s", path ? path : "(null)");
	for (const unsigned char *p = (const unsigned char *) path; *p; p++)
	{
		if (*p == '%')
		{
			if (!isxdigit(p[1]) || !isxdigit(p[2]))
				shim_fail("request path has a bad percent-escape: %s", path);
			continue;
		}
		if (!(isalnum(*p) || strchr("-._~!$&'()*+,;=:@/?", *p) != NULL))
			shim_fail("request path has the raw byte 0x%02x: %s", *p, path);
	}
}

void
http_perform(const HttpRequest *req, HttpResponse *resp)
{
	ScriptedResponse *r;

	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0 &&
		strcmp(req->method, "DELETE") != 0)
		shim_fail("request method %s", req->method);
	check_path(req->path);
	if (req->body != NULL)
	{
		json_tokener *tok = json_tokener_new();
		json_object *obj = json_tokener_parse_ex(tok, req->body, (int) strlen(req->body));

		if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success)
			shim_fail("request body is not JSON: %s", req->body);
		json_object_put(obj);
		json_tokener_free(tok);
	}
	for (int i = 0; i < req->nheaders; i++)
		for (const char *h = req->headers[i]; *h; h++)
			if ((unsigned char) *h < 0x20 || *h == 0x7f)
				shim_fail("a request header line holds a control character");
	if (script_next >= script_len)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("connection to the %s API failed: no more scripted responses",
						req->service),
				 errdetail("%s %s", req->method, req->path)));
	r = &script[script_next++];
	memset(resp, 0, sizeof(*resp));
	resp->status = r->status;
	/* as transfer_response: exactly len + 1 bytes, NUL-terminated */
	resp->body = shim_cstring(r->body, r->len);
	resp->body_len = r->len;
	resp->retry_after_ms = r->retry_after_ms;
	resp->duration_ms = 1.0;
	resp->attempts = 1;
	strlcpy(resp->content_type, "application/json", sizeof(resp->content_type));
}

bool
http_status_ok(long status)
{
	return status >= 200 && status <= 299;
}

void
http_sleep_ms(long ms)
{
}

/* ---- the guard (core/guard.c), the journal, the worker ---- */
bool		dune_mv_refresh_while_running = false;

bool
guard_enter(const struct ApiCall *call)
{
	return true;
}

void
guard_release(void)
{
}

int
journal_open(const JournalEntry *entry)
{
	return -1;
}

void
journal_answer(int index, int http_status, const char *remote_id, bool started,
			   const char *error)
{
	if (remote_id)
		(void) strlen(remote_id);
	if (error)
		(void) strlen(error);
}

bool
worker_running(Oid dboid)
{
	return false;
}

/* ---- the catalog (catalog/) ---- */
int			shim_records = 0;
bool		shim_catalog_has_view = false;

bool
catalog_read_only(void)
{
	return false;
}

bool
catalog_find_view(const Provider *provider, const char *ident, FoundView *found)
{
	if (!shim_catalog_has_view)
		return false;
	found->name = pstrdup(ident);
	found->full_name = psprintf("dune.team.%s", ident);
	found->definition = json_new_object();
	return true;
}

char *
catalog_latest_success(const Provider *provider, const char *name, const char *ident)
{
	return NULL;
}

bool
catalog_read_execution(const Provider *provider, const char *remote_id,
					   TrackedExecution *exec, bool *followed)
{
	return false;
}

/*
 * A text parameter as record.c passes it: a text datum.  SPI does not check
 * parameters, so text that is not valid in the server encoding would be
 * stored as it is: every reader must have checked what it keeps.
 */
static void
text_param(const char *what, const char *s, bool nullable)
{
	if (s == NULL)
	{
		if (!nullable)
			shim_fail("catalog_record: %s is NULL where record.c makes it a text", what);
		return;
	}
	if (!pg_verify_mbstr(PG_UTF8, s, strlen(s), true))
		shim_fail("catalog_record: %s is not valid UTF-8: \"%s\"", what, s);
	(void) CStringGetTextDatum(s);
}

/* A jsonb parameter: json_jsonb, as record.c makes it. */
static void
jsonb_param(json_object *obj)
{
	if (obj != NULL)
		(void) json_jsonb(obj);
}

static void
time_param(const char *what, const TrackedTime *t)
{
	if (t->known && !IS_VALID_TIMESTAMP(t->value))
		shim_fail("catalog_record: %s is known but not a valid timestamp", what);
}

/*
 * catalog_record (catalog/record.c): every parameter record.c would bind,
 * converted as it converts them; nothing is written.
 */
void
catalog_record(const ApiCall *call)
{
	const ViewRecord *view = &call->view;
	bool		sent = call->outcome != CALL_SKIPPED;

	shim_records++;
	text_param("provider", call->provider->name, false);
	text_param("operation", call->operation, false);
	text_param("target", call->target, false);
	if (sent)
		(void) json_text_jsonb(api_request_json(call));
	jsonb_param(call->reply);
	text_param("remote_id", call->remote_id, true);
	text_param("error_text", call->error_text, true);
	if (call->outcome == CALL_OK && !http_status_ok(call->resp.status))
		shim_fail("catalog_record: outcome ok with HTTP %ld", call->resp.status);
	if (call->outcome != CALL_OK)
		return;
	if (call->starts_execution && call->remote_id != NULL)
		text_param("execution_view", call->execution_view, true);
	if (call->seen != NULL)
	{
		const TrackedExecution *exec = call->seen;

		text_param("seen remote_id", exec->remote_id, false);
		text_param("seen view_name", exec->view_name, true);
		text_param("seen state", exec->state, true);
		time_param("submitted_at", &exec->submitted_at);
		time_param("started_at", &exec->started_at);
		time_param("ended_at", &exec->ended_at);
		time_param("cancelled_at", &exec->cancelled_at);
		if (exec->cost_credits != NULL)
			(void) DirectFunctionCall3(numeric_in, CStringGetDatum(exec->cost_credits),
									   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
		text_param("seen error_type", exec->error_type, true);
		text_param("seen error_message", exec->error_message, true);
		jsonb_param(exec->reply);
	}
	switch (view->change)
	{
		case VIEW_UNCHANGED:
			break;
		case VIEW_DEFINE:
		case VIEW_ACTIVITY:
			text_param("view name", view->name, false);
			text_param("view full_name", view->full_name, false);
			text_param("view ident", view->ident, false);
			jsonb_param(view->definition);
			text_param("view last_execution_id", view->last_execution_id, true);
			jsonb_param(view->updates);
			break;
		case VIEW_UPDATE:
			text_param("view ident", view->ident, false);
			if (view->updates == NULL)
				shim_fail("catalog_record: VIEW_UPDATE without updates");
			jsonb_param(view->updates);
			break;
		case VIEW_FORGET:
			text_param("view ident", view->ident, false);
			text_param("view full_name", view->full_name, true);
			break;
	}
}

void
catalog_purge(TimestampTz cutoff, int64 *calls, int64 *executions, int64 *execution_states,
			  int64 *requests)
{
	shim_fail("catalog_purge called");
}

/* ---- ownership (functions/ownership.c, catalog reads): the caller owns everything ---- */
void
require_view_owner(const Provider *provider, const char *full_name, const char *ident,
				   const char *shown, const char *action, bool unknown_ok)
{
}

void
require_execution_owner(const Provider *provider, const char *id)
{
}

/* ---- the Arrow schema check (arrow/arrow_schema.c): the harness passes a valid one ---- */
void
lance_check_output_schema(const char *output_schema)
{
	(void) strlen(output_schema);
}

/*-------------------------------------------------------------------------
 * remote_error.c
 *	  Turn an unsuccessful HTTP response into an ERROR with a SQLSTATE per
 *	  class, the status, and the API's own error text.
 *
 * Dune answers {"error": "..."}; Lance answers {code, error, detail, ...},
 * RFC 7807 problem documents or plain text.  All are read leniently here,
 * falling back to the HTTP status alone.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "json_util.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "redact.h"
#include "remote_error.h"

#define MAX_API_TEXT 500

/* Names of the Lance error codes, indexed by code. */
static const char *const lance_code_names[] = {
	"Unsupported", "NamespaceNotFound", "NamespaceAlreadyExists", "NamespaceNotEmpty",
	"TableNotFound", "TableAlreadyExists", "TableIndexNotFound", "TableIndexAlreadyExists",
	"TableTagNotFound", "TableTagAlreadyExists", "TransactionNotFound",
	"TableVersionNotFound", "TableColumnNotFound", "InvalidInput",
	"ConcurrentModification", "PermissionDenied", "Unauthenticated",
	"ServiceUnavailable", "Internal", "InvalidTableState", "TableSchemaValidationError",
	"Throttling"
};

/* The SQLSTATE for an HTTP status that is not 2xx. */
int
remote_errcode_for_status(long status)
{
	switch (status)
	{
		case 401:
			return REMOTE_ERRCODE_AUTH;
		case 402:
			return REMOTE_ERRCODE_BILLING;
		case 403:
			return REMOTE_ERRCODE_PERMISSION;
		case 404:
			return REMOTE_ERRCODE_NOT_FOUND;
		case 409:
			return REMOTE_ERRCODE_CONFLICT;
		case 429:
			return REMOTE_ERRCODE_RATE_LIMIT;
	}
	if (status >= 500)
		return REMOTE_ERRCODE_SERVER;
	if (status >= 400)
		return REMOTE_ERRCODE_BAD_REQUEST;
	return REMOTE_ERRCODE_BAD_RESPONSE;
}

/* A hint for the class of failure, or NULL. */
static const char *
hint_for_status(const HttpRequest *req, long status)
{
	bool		dune = strcmp(req->service, "Dune") == 0;

	switch (status)
	{
		case 401:
			return dune ? "Check dune_mv.dune_api_key (a superuser sets it in postgresql.conf or with ALTER SYSTEM)."
				: "Check dune_mv.lance_api_key, dune_mv.lance_bearer_token and dune_mv.lance_database.";
		case 402:
			return "The account's billing limit was reached.";
		case 403:
			return "The key lacks the scope or ownership this operation needs.";
		case 429:
			return "The API is rate limiting this key; calls wait out Retry-After and retry only while it fits within dune_mv.timeout.";
	}
	return NULL;
}

/* Trim the API's text to a bounded, secret-free string. */
static char *
clean_api_text(const char *text)
{
	char	   *out = pstrdup(text);
	size_t		len;

	redact_secrets(out);		/* before clipping: a clipped key would no longer match */
	len = pg_mbcliplen(out, strlen(out), MAX_API_TEXT);
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r' || out[len - 1] == ' '))
		len--;
	out[len] = '\0';
	return out;
}

/* Pull the API's message (and Lance code) out of an error body. */
static char *
api_error_text(const HttpResponse *resp, int *lance_code)
{
	json_object *obj = json_parse_owned(resp->body, resp->body_len);
	static const char *const keys[] = {"error", "title", "message", "detail"};
	StringInfoData buf;

	*lance_code = -1;
	if (obj == NULL)
		return resp->body_len > 0 ? clean_api_text(resp->body) : NULL;

	initStringInfo(&buf);
	for (size_t i = 0; i < lengthof(keys); i++)
	{
		const char *s = json_string_field(obj, keys[i]);

		if (s != NULL && s[0] != '\0' && strstr(buf.data, s) == NULL)
			appendStringInfo(&buf, "%s%s", buf.len ? ": " : "", s);
	}
	{
		int64		code;

		if (json_int64_field(obj, "code", &code) && code >= 0 &&
			code < (int64) lengthof(lance_code_names))
			*lance_code = (int) code;
	}
	return buf.len ? clean_api_text(buf.data) : NULL;
}

/* Raise the error for a response whose status is not 2xx. */
void
remote_error_raise(const HttpRequest *req, const HttpResponse *resp)
{
	int			lance_code;
	char	   *text = api_error_text(resp, &lance_code);
	const char *hint = hint_for_status(req, resp->status);
	char	   *code_note = "";

	if (lance_code >= 0)
		code_note = psprintf(" (%s, code %d)", lance_code_names[lance_code], lance_code);

	ereport(ERROR,
			(errcode(remote_errcode_for_status(resp->status)),
			 errmsg("%s API returned HTTP %ld%s: %s", req->service, resp->status,
					code_note, text ? text : "no error text"),
			 errdetail("%s %s (%d attempt%s)", req->method, req->path,
					   resp->attempts, resp->attempts == 1 ? "" : "s"),
			 hint ? errhint("%s", hint) : 0));
	pg_unreachable();
}

/* Raise the error for a 2xx response that does not have the expected shape. */
void
remote_error_bad_response(const HttpRequest *req, const HttpResponse *resp,
						  const char *what)
{
	ereport(ERROR,
			(errcode(REMOTE_ERRCODE_BAD_RESPONSE),
			 errmsg("%s API returned a malformed response: %s", req->service, what),
			 errdetail("%s %s answered HTTP %ld with %zu bytes.", req->method,
					   req->path, resp->status, resp->body_len)));
	pg_unreachable();
}

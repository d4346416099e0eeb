/*-------------------------------------------------------------------------
 * remote_error.c
 *	  Turn an unsuccessful HTTP response into an ERROR with a SQLSTATE per
 *	  class, the status, and the API's own error text.
 *
 * How an error body is read comes from the provider's descriptor: the keys
 * whose strings make up the text (joined with ": "), and a numeric code with
 * its names.  Bodies that are not JSON (plain text, HTML) are used as they
 * are, cleaned and clipped; none at all falls back to the status alone.
 * May call core/redact.c and core/json_util.c only.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/json_util.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "core/redact.h"
#include "transport/remote_error.h"

#define MAX_API_TEXT 500

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
hint_for_status(const Provider *provider, long status)
{
	switch (status)
	{
		case 401:
			return provider->auth_hint;
		case 402:
			return "The account's billing limit was reached.";
		case 403:
			return "The key lacks the scope or ownership this operation needs.";
		case 429:
			return "The API is rate limiting this key; calls wait out Retry-After and retry only while it fits within dune_mv.timeout.";
	}
	return NULL;
}

/*
 * The API's text (len bytes, UTF-8 by the APIs' contract but not trusted:
 * any bytes, NULs included) as a bounded, secret-free, valid string of the
 * server encoding: control characters become spaces, an invalid or
 * truncated sequence becomes '?', and so does any non-ASCII character
 * when the server encoding is not UTF-8.
 */
static char *
clean_api_text(const char *text, size_t len)
{
	StringInfoData buf;
	const char *p = text;
	const char *end = text + len;
	bool		utf8 = GetDatabaseEncoding() == PG_UTF8;
	size_t		keep;

	initStringInfo(&buf);
	while (p < end && buf.len < MAX_API_TEXT * 4)
	{
		unsigned char c = (unsigned char) *p;
		int			l;

		if (c < 0x80)
		{
			appendStringInfoChar(&buf, (c < 0x20 || c == 0x7f) ? ' ' : (char) c);
			p++;
			continue;
		}
		l = pg_encoding_verifymbchar(PG_UTF8, p, end - p);
		if (l > 0 && utf8)
			appendBinaryStringInfo(&buf, p, l);
		else
			appendStringInfoChar(&buf, '?');
		p += l > 0 ? l : 1;
	}
	redact_secrets(buf.data);	/* before clipping: a clipped key would no longer match */
	keep = pg_mbcliplen(buf.data, strlen(buf.data), MAX_API_TEXT);
	while (keep > 0 && buf.data[keep - 1] == ' ')
		keep--;
	buf.data[keep] = '\0';
	return buf.data;
}

/*
 * Pull the API's message out of an error body, the keys the provider names
 * in order (each text once); *code gets the index of its named code, or -1.
 */
static char *
api_error_text(const Provider *provider, const HttpResponse *resp, int *code)
{
	json_object *obj = json_parse_owned(resp->body, resp->body_len);
	StringInfoData buf;
	int64		n;

	*code = -1;
	if (obj == NULL)
		return resp->body_len > 0 ? clean_api_text(resp->body, resp->body_len) : NULL;

	initStringInfo(&buf);
	for (const char *const *key = provider->error_text_keys; *key != NULL; key++)
	{
		const char *s = json_string_field(obj, *key);

		if (s != NULL && s[0] != '\0' && strstr(buf.data, s) == NULL)
			appendStringInfo(&buf, "%s%s", buf.len ? ": " : "", s);
	}
	if (provider->error_code_key != NULL &&
		json_int64_field(obj, provider->error_code_key, &n) &&
		n >= 0 && n < provider->nerror_code_names)
		*code = (int) n;
	return buf.len ? clean_api_text(buf.data, buf.len) : NULL;
}

/* Raise the error for a response whose status is not 2xx. */
void
remote_error_raise(const Provider *provider, const HttpRequest *req, const HttpResponse *resp)
{
	int			code;
	char	   *text = api_error_text(provider, resp, &code);
	const char *hint = hint_for_status(provider, resp->status);
	char	   *code_note = "";

	if (code >= 0)
		code_note = psprintf(" (%s, code %d)", provider->error_code_names[code], code);
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

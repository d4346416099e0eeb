/*-------------------------------------------------------------------------
 * api.c
 *	  Send one API call and check its reply; shared by Dune and Lance.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "json_util.h"

#include "api.h"
#include "remote_error.h"

/* A credential setting: set (non-empty) or not; a control character (header injection) is refused. */
bool
api_credential_set(const char *value, const char *setting)
{
	if (value == NULL || value[0] == '\0')
		return false;
	for (const unsigned char *p = (const unsigned char *) value; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("%s contains a control character", setting),
					 errhint("A superuser sets it again in postgresql.conf or with ALTER SYSTEM.")));
	return true;
}

/*
 * prefix + secret (e.g. "x-api-key: " + key) in a buffer of exactly the
 * right size (psprintf may leave a partial copy in a buffer it outgrew and
 * freed); the caller wipes it with api_wipe after the request.
 */
char *
api_secret_header(const char *prefix, const char *secret)
{
	size_t		plen = strlen(prefix);
	size_t		slen = strlen(secret);
	char	   *line = palloc(plen + slen + 1);

	memcpy(line, prefix, plen);
	memcpy(line + plen, secret, slen + 1);
	return line;
}

/* Overwrite a string holding a secret, then free it. */
void
api_wipe(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	pfree(s);
}

/* Fill in the parts of a call that every request has (the body is set by the caller). */
void
api_prepare(ApiCall *call, const char *provider, const char *service,
			const char *operation, const char *target, const char *method,
			const char *path, HttpRetryPolicy retry)
{
	memset(call, 0, sizeof(*call));
	call->provider = provider;
	call->operation = operation;
	call->target = target;
	call->req.service = service;
	call->req.method = method;
	call->req.path = path;
	call->req.retry = retry;
}

/*
 * Serialize the body, send the request, raise on any status but 2xx, and
 * parse a non-empty reply, which must be a JSON object.
 */
void
api_send(ApiCall *call)
{
	call->req.body = call->body ? json_text(call->body) : NULL;
	http_perform(&call->req, &call->resp);
	if (!http_status_ok(call->resp.status))
		remote_error_raise(&call->req, &call->resp);
	call->reply = NULL;
	if (call->resp.body_len > 0)
	{
		call->reply = json_parse_owned(call->resp.body, call->resp.body_len);
		if (call->reply == NULL)
			remote_error_bad_response(&call->req, &call->resp, "the body is not a JSON object");
	}
}

/* A string field of the reply; a missing required one is a malformed response. */
const char *
api_reply_string(ApiCall *call, const char *field, bool required)
{
	const char *value = json_string_field(call->reply, field);

	if (value == NULL && required)
		remote_error_bad_response(&call->req, &call->resp,
								  psprintf("no string \"%s\" in the reply", field));
	return value;
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

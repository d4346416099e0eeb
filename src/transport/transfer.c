/*-------------------------------------------------------------------------
 * transfer.c
 *	  One HTTP transfer on an easy handle: its options, the callbacks that
 *	  fill its TransferState, how it ended, its response, and the error of a
 *	  transfer that got none.  Shared by the synchronous path (http.c) and
 *	  the worker's concurrent one (multi.c).
 *
 * Callbacks only copy bytes into malloc'd memory and set flags; they never
 * palloc or raise.  The header list holds secrets: transfer_end wipes and
 * frees it on every path.  May call core/settings.c only.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"

#include "core/settings.h"
#include "transport/curl_check.h"
#include "transport/remote_error.h"
#include "transport/transfer.h"

#define DUNE_MV_USER_AGENT	"dune_mv/1.0"
#define KEPT_BUFFER_SIZE	(256 * 1024)	/* larger buffers are freed after use */

/* libcurl write callback: append to the buffer (malloc, never palloc), abort beyond the cap. */
static size_t
write_cb(char *data, size_t size, size_t nmemb, void *userdata)
{
	TransferState *st = (TransferState *) userdata;
	size_t		n = size * nmemb;

	if (n > st->cap - st->len)
	{
		st->overflow = true;
		return 0;
	}
	if (st->len + n > st->size)
	{
		size_t		want = Max(st->size * 2, st->len + n);
		char	   *grown;

		want = Min(Max(want, (size_t) 16384), st->cap);
		grown = realloc(st->buf, want);
		if (grown == NULL)
		{
			st->no_memory = true;
			return 0;
		}
		st->buf = grown;
		st->size = want;
	}
	memcpy(st->buf + st->len, data, n);
	st->len += n;
	return n;
}

/*
 * libcurl read callback: the request body, from memory.  There is no seek
 * callback on purpose: libcurl cannot rewind the body, so it cannot resend
 * a request it has already sent on a reused connection that turned out
 * dead (it would silently pay twice); the transfer fails instead
 * (CURLE_SEND_FAIL_REWIND) and is classified as possibly delivered.
 */
static size_t
read_cb(char *buffer, size_t size, size_t nitems, void *userdata)
{
	TransferState *st = (TransferState *) userdata;
	size_t		n = Min(size * nitems, st->upload_len - st->upload_pos);

	memcpy(buffer, st->upload + st->upload_pos, n);
	st->upload_pos += n;
	return n;
}

/* Copy the value of header line `line` into dst when its name is `name`. */
static void
copy_header_value(const char *line, size_t len, const char *name,
				  char *dst, size_t dstlen)
{
	size_t		namelen = strlen(name);

	if (len <= namelen || line[namelen] != ':' ||
		pg_strncasecmp(line, name, namelen) != 0)
		return;
	line += namelen + 1;
	len -= namelen + 1;
	while (len > 0 && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' ||
					   line[len - 1] == ' '))
		len--;
	if (len >= dstlen)
		len = dstlen - 1;
	memcpy(dst, line, len);
	dst[len] = '\0';
}

/* libcurl header callback: keep Retry-After and Content-Type of the last response. */
static size_t
header_cb(char *data, size_t size, size_t nitems, void *userdata)
{
	TransferState *st = (TransferState *) userdata;
	size_t		n = size * nitems;

	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0)
	{
		st->retry_after[0] = '\0';
		st->content_type[0] = '\0';
		st->len = 0;
	}
	copy_header_value(data, n, "retry-after", st->retry_after,
					  sizeof(st->retry_after));
	copy_header_value(data, n, "content-type", st->content_type,
					  sizeof(st->content_type));
	return n;
}

/* libcurl progress callback: abort when a cancel or terminate is pending. */
static int
progress_cb(void *p, curl_off_t dltotal, curl_off_t dlnow,
			curl_off_t ultotal, curl_off_t ulnow)
{
	return (QueryCancelPending || ProcDiePending) ? 1 : 0;
}

/* Append one header line, raising (without losing the list) when out of memory. */
static void
append_header(TransferState *st, const char *line)
{
	struct curl_slist *next = curl_slist_append(st->headers, line);

	if (next == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory building request headers")));
	st->headers = next;
}

/* Set every option of one attempt on the (reset) easy handle. */
static void
set_options(CURL *h, TransferState *st, const HttpRequest *req, const char *url,
			long timeout_ms)
{
	curl_easy_reset(h);
	CURL_SETOPT(h, CURLOPT_URL, url);
	CURL_SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	CURL_SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
	CURL_SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	CURL_SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	CURL_SETOPT(h, CURLOPT_PATH_AS_IS, 1L);	/* never squash "." / ".." segments */
	CURL_SETOPT(h, CURLOPT_TCP_KEEPALIVE, 1L);
	CURL_SETOPT(h, CURLOPT_USERAGENT, DUNE_MV_USER_AGENT);
	CURL_SETOPT(h, CURLOPT_HTTPHEADER, st->headers);
	CURL_SETOPT(h, CURLOPT_ERRORBUFFER, st->errbuf);
	CURL_SETOPT(h, CURLOPT_WRITEFUNCTION, write_cb);
	CURL_SETOPT(h, CURLOPT_WRITEDATA, st);
	CURL_SETOPT(h, CURLOPT_HEADERFUNCTION, header_cb);
	CURL_SETOPT(h, CURLOPT_HEADERDATA, st);
	CURL_SETOPT(h, CURLOPT_XFERINFOFUNCTION, progress_cb);
	CURL_SETOPT(h, CURLOPT_NOPROGRESS, 0L);
	CURL_SETOPT(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	CURL_SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS,
				Min(timeout_ms, (long) settings_connect_timeout_ms()));
	if (strcmp(req->method, "GET") == 0)
		CURL_SETOPT(h, CURLOPT_HTTPGET, 1L);
	else
	{
		st->upload = req->body ? req->body : "";
		st->upload_len = strlen(st->upload);
		st->upload_pos = 0;
		CURL_SETOPT(h, CURLOPT_POST, 1L);
		CURL_SETOPT(h, CURLOPT_READFUNCTION, read_cb);
		CURL_SETOPT(h, CURLOPT_READDATA, st);
		CURL_SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) st->upload_len);
		if (strcmp(req->method, "POST") != 0)
			CURL_SETOPT(h, CURLOPT_CUSTOMREQUEST, req->method);
		/*
		 * With no body there is nothing that libcurl would have to rewind,
		 * so it would resend such a request on a reused connection found
		 * dead: a call that may not go out twice takes a new connection.
		 */
		if (st->upload_len == 0 && req->retry != HTTP_RETRY_IDEMPOTENT)
			CURL_SETOPT(h, CURLOPT_FRESH_CONNECT, 1L);
	}
}

/* Initialize libcurl once per process (curl_global_init), raising when it cannot be. */
void
transfer_global_init(void)
{
	static bool done = false;

	if (done)
		return;
	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not initialize libcurl")));
	done = true;
}

/*
 * The request's URL: its provider's base URL (checked) and its path.  Raises
 * before anything is sent when the base URL is missing or not http(s).
 */
char *
transfer_url(const HttpRequest *req)
{
	char	   *url;

	settings_require_preload();
	if (req->base_url == NULL || req->base_url[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no base URL is configured for the %s API", req->service),
				 errhint("A superuser sets it, e.g. ALTER SYSTEM SET %s = 'https://...'.",
						 req->url_setting)));
	if (pg_strncasecmp(req->base_url, "http://", 7) != 0 &&
		pg_strncasecmp(req->base_url, "https://", 8) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the %s API base URL must start with http:// or https://", req->service)));
	url = psprintf("%s%s", req->base_url, req->path);
	if (url[strlen(req->base_url) - 1] == '/' && req->path[0] == '/')
		url = psprintf("%.*s%s", (int) strlen(req->base_url) - 1, req->base_url, req->path);
	return url;
}

/*
 * Get an easy handle ready for one attempt of req: state reset, header list
 * built (the caller ends it with transfer_end on every path), every option
 * set.
 */
void
transfer_begin(CURL *h, TransferState *st, const HttpRequest *req, const char *url,
			   long timeout_ms)
{
	st->len = 0;
	st->cap = (size_t) dune_mv_max_response_size;
	st->overflow = false;
	st->no_memory = false;
	st->retry_after[0] = '\0';
	st->content_type[0] = '\0';
	st->errbuf[0] = '\0';
	Assert(st->headers == NULL);
	append_header(st, "Accept: application/json");
	if (strcmp(req->method, "GET") != 0)
		append_header(st, "Content-Type: application/json");
	append_header(st, "Expect:");
	for (int i = 0; i < req->nheaders; i++)
		append_header(st, req->headers[i]);
	set_options(h, st, req, url, timeout_ms);
}

/* Unhook, wipe (the copies of keys in) and free the header list; never raises. */
void
transfer_end(CURL *h, TransferState *st)
{
	CURLcode	rc = curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);

	CURL_CHECK_WARN(rc == CURLE_OK, "curl_easy_setopt(CURLOPT_HTTPHEADER)",
					curl_easy_strerror(rc));
	for (struct curl_slist *l = st->headers; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(st->headers);
	st->headers = NULL;
}

/* Classify a finished transfer. */
AttemptOutcome
transfer_classify(CURL *h, TransferState *st, CURLcode rc)
{
	if (rc == CURLE_OK)
		return ATTEMPT_RESPONSE;
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return ATTEMPT_INTERRUPTED;
	if (rc == CURLE_WRITE_ERROR && st->overflow)
		return ATTEMPT_OVERSIZED;
	if (rc == CURLE_WRITE_ERROR && st->no_memory)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory reading a response")));
	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
		rc == CURLE_COULDNT_RESOLVE_PROXY)
		return ATTEMPT_UNSENT;
	if (rc == CURLE_SEND_FAIL_REWIND)
		strlcpy(st->errbuf, "the kept-alive connection closed after the request was sent, with no answer",
				sizeof(st->errbuf));
	if (rc == CURLE_OPERATION_TIMEDOUT)
	{
		long		sent = 0;

		CURL_GETINFO(h, CURLINFO_REQUEST_SIZE, &sent);
		return sent == 0 ? ATTEMPT_UNSENT : ATTEMPT_TIMEOUT;
	}
	return ATTEMPT_BROKEN;
}

/* Milliseconds that a Retry-After header asks for, or -1 when absent or unreadable. */
long
transfer_retry_after_ms(const TransferState *st)
{
	char	   *end;
	double		seconds;
	time_t		when;

	if (st->retry_after[0] == '\0')
		return -1;
	seconds = strtod(st->retry_after, &end);
	if (end != st->retry_after && *end == '\0' && seconds >= 0)
		return seconds >= INT_MAX / 1000.0 ? (long) INT_MAX : (long) (seconds * 1000.0);
	when = curl_getdate(st->retry_after, NULL);
	if (when < 0)
		return -1;
	if (when - time(NULL) >= INT_MAX / 1000)
		return INT_MAX;
	return Max(0, (long) (when - time(NULL)) * 1000L);
}

/* Copy the finished transfer's response into resp (palloc'd), and shrink a large buffer. */
void
transfer_response(CURL *h, TransferState *st, HttpResponse *resp)
{
	CURL_GETINFO(h, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->body = palloc(st->len + 1);
	if (st->len > 0)
		memcpy(resp->body, st->buf, st->len);
	resp->body[st->len] = '\0';
	resp->body_len = st->len;
	strlcpy(resp->content_type, st->content_type, sizeof(resp->content_type));
	resp->retry_after_ms = transfer_retry_after_ms(st);
	transfer_release(st);
}

/* Free a transfer's body buffer unless it is small enough to keep. */
void
transfer_release(TransferState *st)
{
	if (st->size > KEPT_BUFFER_SIZE)
	{
		free(st->buf);
		st->buf = NULL;
		st->size = 0;
	}
}

/* Raise the error for an attempt that produced no usable response. */
void
transfer_raise(const HttpRequest *req, const TransferState *st, AttemptOutcome outcome,
			   int attempts, double ms)
{
	const char *why = st->errbuf[0] ? st->errbuf : "unknown error";

	switch (outcome)
	{
		case ATTEMPT_INTERRUPTED:
			CHECK_FOR_INTERRUPTS();
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("canceling %s API request", req->service)));
			break;
		case ATTEMPT_OVERSIZED:
			ereport(ERROR,
					(errcode(REMOTE_ERRCODE_TOO_LARGE),
					 errmsg("%s API response exceeds dune_mv.max_response_size (%d bytes)",
							req->service, dune_mv_max_response_size),
					 errdetail("%s %s", req->method, req->path)));
			break;
		case ATTEMPT_TIMEOUT:
			ereport(ERROR,
					(errcode(REMOTE_ERRCODE_TIMEOUT),
					 errmsg("%s API request timed out after %.0f ms", req->service, ms),
					 errdetail("%s %s: %s", req->method, req->path, why),
					 errhint("dune_mv.timeout is %d ms.", settings_total_timeout_ms())));
			break;
		case ATTEMPT_UNSENT:
			ereport(ERROR,
					(errcode(REMOTE_ERRCODE_CONNECT),
					 errmsg("could not connect to the %s API after %d attempts: %s",
							req->service, attempts, why),
					 errdetail("%s %s", req->method, req->path)));
			break;
		default:
			ereport(ERROR,
					(errcode(REMOTE_ERRCODE_TRANSPORT),
					 errmsg("connection to the %s API failed: %s", req->service, why),
					 errdetail("%s %s", req->method, req->path),
					 req->retry == HTTP_RETRY_IDEMPOTENT ? 0 :
					 errhint("The request may have reached the server; it was not retried because it may have started remote work.")));
			break;
	}
}


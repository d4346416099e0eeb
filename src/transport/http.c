/*-------------------------------------------------------------------------
 * http.c
 *	  The libcurl transport: sends one request and returns its final HTTP
 *	  response, or raises the error of a request that got none.  It knows no
 *	  provider: the caller (core/call.c) passes the base URL, the headers and
 *	  the names used in messages.  It may call transport/remote_error.c and
 *	  core/settings.c (timeouts, the response cap) only.
 *
 * One easy handle and one multi handle live for the whole backend, so that
 * consecutive calls reuse one keep-alive connection; options are reset before
 * every request.  The transfer runs in our own loop over curl_multi_poll() in
 * short slices, so that statement_timeout and pg_cancel_backend end a call
 * within a fraction of a second: the progress callback aborts the transfer
 * when a cancel or terminate is pending, and the loop runs
 * CHECK_FOR_INTERRUPTS() between slices.  Callbacks only copy bytes into a
 * buffer allocated beforehand and set flags; errors are raised after curl
 * returns.
 *
 * Retries (see HttpRetryPolicy): a 429 is retried after its Retry-After, a
 * failure to connect (the request never left) with backoff; idempotent
 * requests are also retried on connection errors and 502/503/504.  Every
 * retry and wait is bounded by the call's total timeout.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/wait_event.h"

#include "core/settings.h"
#include "transport/curl_check.h"
#include "transport/http.h"
#include "transport/remote_error.h"

#define DUNE_MV_USER_AGENT	"dune_mv/1.0"
#define MAX_ATTEMPTS		5
#define POLL_SLICE_MS		50
#define FIRST_BACKOFF_MS	250
#define KEPT_BUFFER_SIZE	(256 * 1024)	/* larger buffers are freed after use */

/*
 * What the callbacks of one transfer write into.  The body buffer is plain
 * malloc memory (never palloc: callbacks must not be able to throw), grown
 * by the write callback up to the cap, kept between requests while small.
 */
typedef struct TransferState
{
	char	   *buf;			/* response body, malloc'd */
	size_t		size;			/* allocated size of buf */
	size_t		cap;			/* dune_mv.max_response_size for this request */
	size_t		len;
	bool		overflow;		/* body larger than cap: transfer aborted */
	bool		no_memory;		/* malloc failed: transfer aborted */
	char		retry_after[64];
	char		content_type[128];
} TransferState;

/* How one attempt ended. */
typedef enum AttemptOutcome
{
	ATTEMPT_RESPONSE,			/* an HTTP status was received */
	ATTEMPT_UNSENT,				/* failed before the request left */
	ATTEMPT_BROKEN,				/* connection failed after sending */
	ATTEMPT_TIMEOUT,
	ATTEMPT_OVERSIZED,
	ATTEMPT_INTERRUPTED
} AttemptOutcome;

static CURLM *multi_handle = NULL;
static CURL *easy_handle = NULL;
static TransferState xfer;
static char curl_errbuf[CURL_ERROR_SIZE];

/* Free the handles when the backend exits. */
static void
http_cleanup(int code, Datum arg)
{
	free(xfer.buf);
	xfer.buf = NULL;
	if (easy_handle)
		curl_easy_cleanup(easy_handle);
	if (multi_handle)
	{
		CURLMcode	rc = curl_multi_cleanup(multi_handle);

		CURL_CHECK_WARN(rc == CURLM_OK, "curl_multi_cleanup", curl_multi_strerror(rc));
	}
	easy_handle = NULL;
	multi_handle = NULL;
	curl_global_cleanup();
}

/* Create the backend's handles on first use (both, or neither). */
static void
ensure_handles(void)
{
	CURLM	   *multi;
	CURL	   *easy;

	if (multi_handle != NULL)
		return;
	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not initialize libcurl")));
	multi = curl_multi_init();
	easy = curl_easy_init();
	if (multi == NULL || easy == NULL)
	{
		if (easy)
			curl_easy_cleanup(easy);
		if (multi)
			curl_multi_cleanup(multi);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not create a libcurl handle")));
	}
	multi_handle = multi;
	easy_handle = easy;
	on_proc_exit(http_cleanup, (Datum) 0);
}

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

/* Milliseconds since start. */
static double
elapsed_ms(instr_time start)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, start);
	return INSTR_TIME_GET_MILLISEC(now);
}

/* Sleep on the latch for ms milliseconds; cancellable at once. */
void
http_sleep_ms(long ms)
{
	instr_time	start;
	long		left;

	INSTR_TIME_SET_CURRENT(start);
	while ((left = ms - (long) elapsed_ms(start)) > 0)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Min(left, (long) INT_MAX), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* Set every option of one attempt on the (reset) easy handle. */
static void
set_options(const HttpRequest *req, const char *url, struct curl_slist *headers,
			long timeout_ms)
{
	CURL	   *h = easy_handle;

	curl_easy_reset(h);
	CURL_SETOPT(h, CURLOPT_URL, url);
	CURL_SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	CURL_SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
	CURL_SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	CURL_SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	CURL_SETOPT(h, CURLOPT_PATH_AS_IS, 1L);	/* never squash "." / ".." segments */
	CURL_SETOPT(h, CURLOPT_TCP_KEEPALIVE, 1L);
	CURL_SETOPT(h, CURLOPT_USERAGENT, DUNE_MV_USER_AGENT);
	CURL_SETOPT(h, CURLOPT_HTTPHEADER, headers);
	CURL_SETOPT(h, CURLOPT_ERRORBUFFER, curl_errbuf);
	CURL_SETOPT(h, CURLOPT_WRITEFUNCTION, write_cb);
	CURL_SETOPT(h, CURLOPT_WRITEDATA, &xfer);
	CURL_SETOPT(h, CURLOPT_HEADERFUNCTION, header_cb);
	CURL_SETOPT(h, CURLOPT_HEADERDATA, &xfer);
	CURL_SETOPT(h, CURLOPT_XFERINFOFUNCTION, progress_cb);
	CURL_SETOPT(h, CURLOPT_NOPROGRESS, 0L);
	CURL_SETOPT(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	CURL_SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS,
				Min(timeout_ms, (long) settings_connect_timeout_ms()));
	if (strcmp(req->method, "GET") == 0)
		CURL_SETOPT(h, CURLOPT_HTTPGET, 1L);
	else
	{
		const char *body = req->body ? req->body : "";

		CURL_SETOPT(h, CURLOPT_POSTFIELDS, body);
		CURL_SETOPT(h, CURLOPT_POSTFIELDSIZE, (long) strlen(body));
		if (strcmp(req->method, "POST") != 0)
			CURL_SETOPT(h, CURLOPT_CUSTOMREQUEST, req->method);
	}
}

/* Run the transfer in slices, checking for interrupts between them. */
static CURLcode
run_transfer(void)
{
	volatile CURLcode result = CURLE_OK;

	CURL_MULTI_CHECK(curl_multi_add_handle(multi_handle, easy_handle),
					 "curl_multi_add_handle");
	PG_TRY();
	{
		for (;;)
		{
			int			running = 0;
			int			queued;
			CURLMsg    *msg;
			bool		done = false;

			CURL_MULTI_CHECK(curl_multi_perform(multi_handle, &running),
							 "curl_multi_perform");
			while ((msg = curl_multi_info_read(multi_handle, &queued)) != NULL)
			{
				if (msg->msg == CURLMSG_DONE)
				{
					result = msg->data.result;
					done = true;
				}
			}
			if (done || running == 0)
				break;
			CHECK_FOR_INTERRUPTS();
			CURL_MULTI_CHECK(curl_multi_poll(multi_handle, NULL, 0, POLL_SLICE_MS, NULL),
							 "curl_multi_poll");
		}
	}
	PG_FINALLY();
	{
		CURLMcode	rc = curl_multi_remove_handle(multi_handle, easy_handle);

		CURL_CHECK_WARN(rc == CURLM_OK, "curl_multi_remove_handle", curl_multi_strerror(rc));
	}
	PG_END_TRY();
	return result;
}

/* Classify a finished transfer. */
static AttemptOutcome
classify(CURLcode rc)
{
	if (rc == CURLE_OK)
		return ATTEMPT_RESPONSE;
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return ATTEMPT_INTERRUPTED;
	if (rc == CURLE_WRITE_ERROR && xfer.overflow)
		return ATTEMPT_OVERSIZED;
	if (rc == CURLE_WRITE_ERROR && xfer.no_memory)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory reading a response")));
	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
		rc == CURLE_COULDNT_RESOLVE_PROXY)
		return ATTEMPT_UNSENT;
	if (rc == CURLE_OPERATION_TIMEDOUT)
	{
		long		sent = 0;

		CURL_GETINFO(easy_handle, CURLINFO_REQUEST_SIZE, &sent);
		return sent == 0 ? ATTEMPT_UNSENT : ATTEMPT_TIMEOUT;
	}
	return ATTEMPT_BROKEN;
}

/* Append one header line, raising (without losing the list) when out of memory. */
static void
append_header(struct curl_slist *volatile *list, const char *line)
{
	struct curl_slist *next = curl_slist_append(*list, line);

	if (next == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory building request headers")));
	*list = next;
}

/* Wipe (the copies of keys in) a header list, then free it. */
static void
free_headers(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

/* Run one attempt with a fresh header list, wiped and freed on every path. */
static AttemptOutcome
attempt_once(const HttpRequest *req, const char *url, long timeout_ms,
			 size_t cap)
{
	struct curl_slist *volatile headers = NULL;
	volatile CURLcode rc = CURLE_OK;

	xfer.len = 0;
	xfer.cap = cap;
	xfer.overflow = false;
	xfer.no_memory = false;
	xfer.retry_after[0] = '\0';
	xfer.content_type[0] = '\0';
	curl_errbuf[0] = '\0';

	PG_TRY();
	{
		append_header(&headers, "Accept: application/json");
		if (strcmp(req->method, "GET") != 0)
			append_header(&headers, "Content-Type: application/json");
		append_header(&headers, "Expect:");
		for (int i = 0; i < req->nheaders; i++)
			append_header(&headers, req->headers[i]);
		set_options(req, url, headers, timeout_ms);
		rc = run_transfer();
	}
	PG_FINALLY();
	{
		/* no pointer to the list may outlive it */
		CURLcode	rc_unset = curl_easy_setopt(easy_handle, CURLOPT_HTTPHEADER, NULL);

		CURL_CHECK_WARN(rc_unset == CURLE_OK, "curl_easy_setopt(CURLOPT_HTTPHEADER)",
						curl_easy_strerror(rc_unset));
		free_headers(headers);
	}
	PG_END_TRY();
	return classify(rc);
}

/* Milliseconds that a Retry-After header asks for, or -1 when absent or unreadable. */
static long
retry_after_ms(void)
{
	char	   *end;
	double		seconds;
	time_t		when;

	if (xfer.retry_after[0] == '\0')
		return -1;
	seconds = strtod(xfer.retry_after, &end);
	if (end != xfer.retry_after && *end == '\0' && seconds >= 0)
		return seconds >= INT_MAX / 1000.0 ? (long) INT_MAX : (long) (seconds * 1000.0);
	when = curl_getdate(xfer.retry_after, NULL);
	if (when < 0)
		return -1;
	if (when - time(NULL) >= INT_MAX / 1000)
		return INT_MAX;
	return Max(0, (long) (when - time(NULL)) * 1000L);
}

/*
 * How long to wait before retrying a response with this status, or -1 when
 * the policy does not allow retrying it.
 */
static long
status_retry_wait(const HttpRequest *req, long status, long backoff)
{
	long		wait = retry_after_ms();

	if (status == 429)
		return wait >= 0 ? wait : backoff;
	if (status == 503 && wait >= 0 && req->retry != HTTP_RETRY_PAID_WRITE)
		return wait;
	if (req->retry == HTTP_RETRY_IDEMPOTENT &&
		(status == 502 || status == 503 || status == 504))
		return wait >= 0 ? wait : backoff;
	return -1;
}

/* Raise the error for an attempt that produced no usable response. */
static void
raise_transport_error(const HttpRequest *req, AttemptOutcome outcome,
					  int attempts, double ms)
{
	const char *why = curl_errbuf[0] ? curl_errbuf : "unknown error";

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

/*
 * Send a request, retrying as its policy allows, and return the final HTTP
 * response whatever its status.  Failures without a response raise errors.
 */
void
http_perform(const HttpRequest *req, HttpResponse *resp)
{
	instr_time	start;
	long		total_ms = req->timeout_ms > 0 ? req->timeout_ms : settings_total_timeout_ms();
	long		backoff = FIRST_BACKOFF_MS;
	char	   *url;
	int			attempt;

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
	ensure_handles();
	url = psprintf("%s%s", req->base_url, req->path);
	if (url[strlen(req->base_url) - 1] == '/' && req->path[0] == '/')
		url = psprintf("%.*s%s", (int) strlen(req->base_url) - 1, req->base_url, req->path);

	INSTR_TIME_SET_CURRENT(start);
	for (attempt = 1;; attempt++)
	{
		long		remaining = total_ms - (long) elapsed_ms(start);
		long		wait = -1;
		AttemptOutcome outcome;

		if (remaining <= 0)
			raise_transport_error(req, ATTEMPT_TIMEOUT, attempt, elapsed_ms(start));
		outcome = attempt_once(req, url, remaining, (size_t) dune_mv_max_response_size);
		if (outcome == ATTEMPT_RESPONSE)
		{
			CURL_GETINFO(easy_handle, CURLINFO_RESPONSE_CODE, &resp->status);
			wait = status_retry_wait(req, resp->status, backoff);
		}
		else if (outcome == ATTEMPT_UNSENT ||
				 (outcome == ATTEMPT_BROKEN && req->retry == HTTP_RETRY_IDEMPOTENT))
			wait = backoff;

		remaining = total_ms - (long) elapsed_ms(start);
		if (wait < 0 || attempt >= MAX_ATTEMPTS || wait >= remaining)
		{
			if (outcome != ATTEMPT_RESPONSE)
				raise_transport_error(req, outcome, attempt, elapsed_ms(start));
			break;
		}
		http_sleep_ms(wait);
		backoff *= 2;
	}

	resp->body = palloc(xfer.len + 1);
	if (xfer.len > 0)
		memcpy(resp->body, xfer.buf, xfer.len);
	resp->body[xfer.len] = '\0';
	if (xfer.size > KEPT_BUFFER_SIZE)
	{
		free(xfer.buf);
		xfer.buf = NULL;
		xfer.size = 0;
	}
	resp->body_len = xfer.len;
	strlcpy(resp->content_type, xfer.content_type, sizeof(resp->content_type));
	resp->retry_after_ms = retry_after_ms();
	resp->attempts = attempt;
	resp->duration_ms = elapsed_ms(start);
}

/* True for a 2xx status. */
bool
http_status_ok(long status)
{
	return status >= 200 && status <= 299;
}

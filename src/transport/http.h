/*-------------------------------------------------------------------------
 * http.h
 *	  The libcurl transport: one request, its retries, timeouts and
 *	  cancellation.  It knows no provider: the caller passes the base URL,
 *	  the headers and the names used in messages.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_HTTP_H
#define DUNE_MV_HTTP_H

/* Which failures a request may be retried on (see http.c). */
typedef enum HttpRetryPolicy
{
	HTTP_RETRY_PAID_WRITE,		/* 429, and failures before the request left */
	HTTP_RETRY_WRITE_503,		/* as above, plus 503 carrying Retry-After */
	HTTP_RETRY_IDEMPOTENT		/* also connection errors, 502, 503, 504 */
} HttpRetryPolicy;

typedef struct HttpRequest
{
	const char *service;		/* the provider's service name, for messages */
	const char *url_setting;	/* the setting that holds base_url, for hints */
	const char *method;			/* GET, POST, DELETE */
	const char *base_url;		/* from a superuser-only setting */
	const char *path;			/* already percent-encoded, starts with / */
	const char *body;			/* JSON text, or NULL for none */
	const char *const *headers; /* "Name: value" lines, may hold secrets */
	int			nheaders;
	HttpRetryPolicy retry;
	long		timeout_ms;		/* the whole call's budget; 0: dune_mv.timeout */
} HttpRequest;

typedef struct HttpResponse
{
	long		status;
	char	   *body;			/* palloc'd, NUL-terminated */
	size_t		body_len;
	char		content_type[128];
	long		retry_after_ms;	/* Retry-After of the final response, or -1 */
	double		duration_ms;	/* the whole call, retries included */
	int			attempts;
} HttpResponse;

extern void http_perform(const HttpRequest *req, HttpResponse *resp);
extern char *http_escape_segment(const char *segment);
extern bool http_status_ok(long status);
extern void http_sleep_ms(long ms);

#endif

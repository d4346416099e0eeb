/*-------------------------------------------------------------------------
 * transfer.h
 *	  One HTTP transfer on an easy handle (inside transport/ only).
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_TRANSFER_H
#define DUNE_MV_TRANSFER_H

#include <curl/curl.h>

#include "transport/http.h"

/*
 * What the callbacks of one transfer write into.  The body buffer is plain
 * malloc memory (never palloc: callbacks must not be able to throw), grown
 * by the write callback up to the cap, kept between requests while small.
 * One per easy handle: the synchronous path has one, the worker one per
 * request in flight.
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
	char		errbuf[CURL_ERROR_SIZE];
	struct curl_slist *headers; /* the request's header lines (may hold secrets) */
	const char *upload;			/* the request body, read by read_cb (never rewound) */
	size_t		upload_len;
	size_t		upload_pos;
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

extern void transfer_global_init(void);
extern char *transfer_url(const HttpRequest *req);
extern void transfer_begin(CURL *h, TransferState *st, const HttpRequest *req,
						   const char *url, long timeout_ms);
extern void transfer_end(CURL *h, TransferState *st);
extern AttemptOutcome transfer_classify(CURL *h, TransferState *st, CURLcode rc);
extern long transfer_retry_after_ms(const TransferState *st);
extern void transfer_response(CURL *h, TransferState *st, HttpResponse *resp);
extern void transfer_release(TransferState *st);
extern void transfer_raise(const HttpRequest *req, const TransferState *st,
						   AttemptOutcome outcome, int attempts, double ms) pg_attribute_noreturn();

#endif

/*-------------------------------------------------------------------------
 * http.c
 *	  The libcurl transport: sends one request and returns its final HTTP
 *	  response, or raises the error of a request that got none.  It knows no
 *	  provider: the caller (core/call.c) passes the base URL, the headers and
 *	  the names used in messages.  Each attempt is a transfer (transfer.c);
 *	  this file owns the backend's handles, the slicing loop and retries.
 *	  May call transport/transfer.c and core/settings.c only.
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
#include "transport/transfer.h"

#define MAX_ATTEMPTS		5
#define POLL_SLICE_MS		50
#define FIRST_BACKOFF_MS	250

static CURLM *multi_handle = NULL;
static CURL *easy_handle = NULL;
static TransferState xfer;

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
	transfer_global_init();
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

/* Run one attempt with a fresh header list, wiped and freed on every path. */
static AttemptOutcome
attempt_once(const HttpRequest *req, const char *url, long timeout_ms)
{
	volatile CURLcode rc = CURLE_OK;

	PG_TRY();
	{
		transfer_begin(easy_handle, &xfer, req, url, timeout_ms);
		rc = run_transfer();
	}
	PG_FINALLY();
	{
		transfer_end(easy_handle, &xfer);
	}
	PG_END_TRY();
	return transfer_classify(easy_handle, &xfer, rc);
}

/*
 * How long to wait before retrying a response with this status, or -1 when
 * the policy does not allow retrying it.
 */
static long
status_retry_wait(const HttpRequest *req, long status, long backoff)
{
	long		wait = transfer_retry_after_ms(&xfer);

	if (status == 429)
		return wait >= 0 ? wait : backoff;
	if (status == 503 && wait >= 0 && req->retry != HTTP_RETRY_PAID_WRITE)
		return wait;
	if (req->retry == HTTP_RETRY_IDEMPOTENT &&
		(status == 502 || status == 503 || status == 504))
		return wait >= 0 ? wait : backoff;
	return -1;
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

	url = transfer_url(req);
	ensure_handles();

	INSTR_TIME_SET_CURRENT(start);
	for (attempt = 1;; attempt++)
	{
		long		remaining = total_ms - (long) elapsed_ms(start);
		long		wait = -1;
		AttemptOutcome outcome;

		if (remaining <= 0)
			transfer_raise(req, &xfer, ATTEMPT_TIMEOUT, attempt, elapsed_ms(start));
		outcome = attempt_once(req, url, remaining);
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
			{
				/* an oversized answer did come: its status is part of the record */
				if (outcome == ATTEMPT_OVERSIZED)
					CURL_GETINFO(easy_handle, CURLINFO_RESPONSE_CODE, &resp->status);
				transfer_release(&xfer);
				transfer_raise(req, &xfer, outcome, attempt, elapsed_ms(start));
			}
			break;
		}
		http_sleep_ms(wait);
		backoff *= 2;
	}

	transfer_response(easy_handle, &xfer, resp);
	resp->attempts = attempt;
	resp->duration_ms = elapsed_ms(start);
}

/* True for a 2xx status. */
bool
http_status_ok(long status)
{
	return status >= 200 && status <= 299;
}

/*-------------------------------------------------------------------------
 * multi.c
 *	  Many transfers at once on one libcurl multi handle: the background
 *	  worker's transport.  Connections are pooled by the multi handle, so
 *	  requests to one API reuse kept-alive connections.
 *
 * A MultiTransfer is started with its request, advanced by multi_run in
 * short slices (the caller checks for interrupts and its latch between
 * them), and ended by multi_finish (its outcome and response) or
 * multi_abort; both wipe and free its header list.  It knows no provider.
 * May call transport/transfer.c only.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"

#include "transport/curl_check.h"
#include "transport/multi.h"

static CURLM *multi = NULL;

/* Free the multi handle when the process exits. */
static void
multi_cleanup(int code, Datum arg)
{
	if (multi != NULL)
		curl_multi_cleanup(multi);
	multi = NULL;
}

/* Create the process's multi handle on first use. */
static void
ensure_multi(void)
{
	if (multi != NULL)
		return;
	transfer_global_init();
	multi = curl_multi_init();
	if (multi == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not create a libcurl multi handle")));
	on_proc_exit(multi_cleanup, (Datum) 0);
}

/* Start sending req on t (its easy handle is made on first use and kept). */
void
multi_start(MultiTransfer *t, const HttpRequest *req, long timeout_ms)
{
	char	   *url = transfer_url(req);

	ensure_multi();
	if (t->easy == NULL)
	{
		t->easy = curl_easy_init();
		if (t->easy == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not create a libcurl handle")));
	}
	t->done = false;
	t->rc = CURLE_OK;
	INSTR_TIME_SET_CURRENT(t->start);
	PG_TRY();
	{
		transfer_begin(t->easy, &t->st, req, url, timeout_ms);
		CURL_EASY_CHECK(curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t),
						"curl_easy_setopt(CURLOPT_PRIVATE)");
		CURL_MULTI_CHECK(curl_multi_add_handle(multi, t->easy), "curl_multi_add_handle");
	}
	PG_CATCH();
	{
		transfer_end(t->easy, &t->st);
		PG_RE_THROW();
	}
	PG_END_TRY();
	pfree(url);
}

/*
 * Advance every transfer for at most timeout_ms; the transfers that ended
 * are marked done.  Returns how many are still running.
 */
int
multi_run(long timeout_ms)
{
	int			running = 0;
	int			queued;
	CURLMsg    *msg;

	if (multi == NULL)
		return 0;
	CURL_MULTI_CHECK(curl_multi_perform(multi, &running), "curl_multi_perform");
	if (running > 0 && timeout_ms > 0)
	{
		CURL_MULTI_CHECK(curl_multi_poll(multi, NULL, 0, (int) timeout_ms, NULL),
						 "curl_multi_poll");
		CURL_MULTI_CHECK(curl_multi_perform(multi, &running), "curl_multi_perform");
	}
	while ((msg = curl_multi_info_read(multi, &queued)) != NULL)
	{
		MultiTransfer *t = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL_GETINFO(msg->easy_handle, CURLINFO_PRIVATE, (char **) &t);
		t->done = true;
		t->rc = msg->data.result;
	}
	return running;
}

/* Take t off the multi handle and wipe its headers; never raises. */
static void
multi_detach(MultiTransfer *t)
{
	CURLMcode	rc = curl_multi_remove_handle(multi, t->easy);

	CURL_CHECK_WARN(rc == CURLM_OK, "curl_multi_remove_handle", curl_multi_strerror(rc));
	transfer_end(t->easy, &t->st);
}

/* End a done transfer: its outcome, and its response when it got one. */
AttemptOutcome
multi_finish(MultiTransfer *t, HttpResponse *resp)
{
	AttemptOutcome outcome;
	instr_time	now;

	multi_detach(t);
	outcome = transfer_classify(t->easy, &t->st, t->rc);
	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, t->start);
	if (outcome == ATTEMPT_RESPONSE)
		transfer_response(t->easy, &t->st, resp);
	else
		transfer_release(&t->st);
	resp->attempts = 1;
	resp->duration_ms = INSTR_TIME_GET_MILLISEC(now);
	return outcome;
}

/* Abandon a transfer that has not ended (shutdown); never raises. */
void
multi_abort(MultiTransfer *t)
{
	if (t->easy != NULL)
		multi_detach(t);
	transfer_release(&t->st);
}

/* Free a transfer's easy handle and buffer (it must not be running). */
void
multi_free(MultiTransfer *t)
{
	if (t->easy != NULL)
		curl_easy_cleanup(t->easy);
	free(t->st.buf);
	memset(t, 0, sizeof(*t));
}

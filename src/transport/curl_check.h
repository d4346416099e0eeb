/*-------------------------------------------------------------------------
 * curl_check.h
 *	  Checked libcurl calls: every curl_easy_setopt, curl_easy_getinfo and
 *	  curl_multi_* result is tested, and a failure raises an error with the
 *	  call, the option and curl's own text (SQLSTATE XX000 for options that
 *	  this build of libcurl should always accept, 53200 when out of memory).
 *
 * CURL_CHECK_WARN is for cleanup paths (PG_FINALLY, proc exit), where an
 * error must not be raised: it logs a WARNING instead.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_CURL_CHECK_H
#define DUNE_MV_CURL_CHECK_H

#include <curl/curl.h>

/* Raise the error for a failed libcurl call (what: the call and option). */
#define curl_check_failed(what, text, out_of_memory) \
	ereport(ERROR, \
			(errcode((out_of_memory) ? ERRCODE_OUT_OF_MEMORY : ERRCODE_INTERNAL_ERROR), \
			 errmsg("libcurl call %s failed: %s", (what), (text))))

#define CURL_EASY_CHECK(call, what) \
	do { \
		CURLcode	curl_rc_ = (call); \
		if (curl_rc_ != CURLE_OK) \
			curl_check_failed((what), curl_easy_strerror(curl_rc_), \
							  curl_rc_ == CURLE_OUT_OF_MEMORY); \
	} while (0)

#define CURL_MULTI_CHECK(call, what) \
	do { \
		CURLMcode	curl_rc_ = (call); \
		if (curl_rc_ != CURLM_OK) \
			curl_check_failed((what), curl_multi_strerror(curl_rc_), \
							  curl_rc_ == CURLM_OUT_OF_MEMORY); \
	} while (0)

#define CURL_SETOPT(h, opt, value) \
	CURL_EASY_CHECK(curl_easy_setopt((h), (opt), (value)), "curl_easy_setopt(" #opt ")")

#define CURL_GETINFO(h, info, out) \
	CURL_EASY_CHECK(curl_easy_getinfo((h), (info), (out)), "curl_easy_getinfo(" #info ")")

/* For cleanup paths: log a failure as a WARNING, never raise. */
#define CURL_CHECK_WARN(ok, what, text) \
	do { \
		if (!(ok)) \
			ereport(WARNING, \
					(errcode(ERRCODE_INTERNAL_ERROR), \
					 errmsg("libcurl call %s failed: %s", (what), (text)))); \
	} while (0)

#endif

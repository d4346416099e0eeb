/*
 * curl_loop.c
 *	  The baseline of the refresh benchmark (test/bench/run.sh): plain libcurl,
 *	  one easy handle set up once and reused (keep-alive), sending the request
 *	  that dune_mv_refresh sends, N times in a row.
 *
 * Usage: DUNE_MV_DUNE_KEY=... curl_loop URL N [WARMUP]
 *	  Sends WARMUP (default 100) untimed requests, then N timed ones, and
 *	  prints "us_per_call <wall> cpu_us_per_call <cpu> runq_us_per_call <wait>":
 *	  wall-clock microseconds per call, and (from /proc/self/schedstat, -1
 *	  when unreadable) the time on a CPU and waiting for one.
 *	  Exits non-zero when any call fails or does not answer 200.
 *
 * The request: POST, body {}, headers Accept: application/json,
 * Content-Type: application/json, an empty Expect:, X-Dune-Api-Key and
 * User-Agent dune_mv/1.0 -- what src/http.c builds.  The body is received
 * into a small buffer and dropped.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t received;

/* Count and drop the response body. */
static size_t
sink(char *data, size_t size, size_t nmemb, void *userdata)
{
	(void) data;
	(void) userdata;
	received += size * nmemb;
	return size * nmemb;
}

/* Nanoseconds on a CPU and waiting for one (Linux schedstat); -1 when unknown. */
static void
sched_times(double *run_ns, double *wait_ns)
{
	FILE	   *f = fopen("/proc/self/schedstat", "r");

	*run_ns = *wait_ns = -1;
	if (f == NULL)
		return;
	if (fscanf(f, "%lf %lf", run_ns, wait_ns) != 2)
		*run_ns = *wait_ns = -1;
	fclose(f);
}

/* One call; returns 0 on a 200. */
static int
call(CURL *h)
{
	long		status = 0;
	CURLcode	rc = curl_easy_perform(h);

	if (rc != CURLE_OK)
	{
		fprintf(stderr, "curl_loop: %s\n", curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
	{
		fprintf(stderr, "curl_loop: HTTP %ld\n", status);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *key = getenv("DUNE_MV_DUNE_KEY");
	char		key_header[512];
	struct curl_slist *headers = NULL;
	struct timespec t0,
				t1;
	CURL	   *h;
	long		n,
				warmup = 100;
	double		us,
				run0,
				wait0,
				run1,
				wait1;

	if (argc < 3 || argc > 4 || (n = strtol(argv[2], NULL, 10)) <= 0 ||
		(argc == 4 && (warmup = strtol(argv[3], NULL, 10)) < 1))
	{
		fprintf(stderr, "usage: DUNE_MV_DUNE_KEY=... %s URL N [WARMUP]\n", argv[0]);
		return 2;
	}
	snprintf(key_header, sizeof(key_header), "X-Dune-Api-Key: %s", key ? key : "");

	curl_global_init(CURL_GLOBAL_ALL);
	h = curl_easy_init();
	headers = curl_slist_append(headers, "Accept: application/json");
	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, "Expect:");
	headers = curl_slist_append(headers, key_header);
	curl_easy_setopt(h, CURLOPT_URL, argv[1]);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "dune_mv/1.0");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{}");
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 2L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);

	for (long i = 0; i < warmup; i++)
		if (call(h) != 0)
			return 1;
	sched_times(&run0, &wait0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++)
		if (call(h) != 0)
			return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sched_times(&run1, &wait1);

	us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / n;
	printf("us_per_call %.2f cpu_us_per_call %.2f runq_us_per_call %.2f\n", us,
		   run0 < 0 || run1 < 0 ? -1 : (run1 - run0) / 1e3 / n,
		   wait0 < 0 || wait1 < 0 ? -1 : (wait1 - wait0) / 1e3 / n);
	curl_slist_free_all(headers);
	curl_easy_cleanup(h);
	curl_global_cleanup();
	return 0;
}

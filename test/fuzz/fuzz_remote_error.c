/*-------------------------------------------------------------------------
 * fuzz_remote_error.c
 *	  libFuzzer target for the error-body cleaner: remote_error_raise()
 *	  (src/transport/remote_error.c), which turns a response that is not 2xx
 *	  into an ERROR with the API's own text (JSON error keys, or a plain-text
 *	  or HTML body cleaned and clipped).
 *
 * Input: byte 0 chooses the provider (bit 0: Dune or Lance) and the status
 * (the other bits index STATUSES); the rest is the body, any bytes (NULs,
 * truncated UTF-8 sequences...).  The body is copied into a buffer of
 * exactly body_len + 1 bytes, NUL-terminated, as transfer_response() hands
 * it over (transport/http.h: "palloc'd, NUL-terminated"): a read past the
 * body is an AddressSanitizer report.
 *
 * Besides memory errors it aborts when the raised error breaks what the
 * README promises: the SQLSTATE of the status class, a message that names
 * the service and status, at most 500 bytes of API text, valid UTF-8 without
 * control characters, and none of the configured keys in any part of it.
 *
 * Build and run: test/fuzz/build.sh DIR remote_error; DIR/fuzz_remote_error
 * CORPUS test/fuzz/corpus/remote_error (test/suites/fuzz.sh does both).
 *-------------------------------------------------------------------------
 */
#include "fuzz_shim.h"

#include "core/provider.h"
#include "providers/dune.h"
#include "providers/lance.h"
#include "transport/http.h"
#include "transport/remote_error.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const long STATUSES[] = {400, 401, 402, 403, 404, 409, 422, 429, 500, 502, 503, 418,
	406, 504, 301, 100, 599, 0, -1, 200};

#define MAX_API_TEXT 500

typedef struct Raise
{
	const Provider *provider;
	HttpRequest req;
	HttpResponse resp;
} Raise;

static void
raise_it(void *arg)
{
	Raise	   *r = arg;

	remote_error_raise(r->provider, &r->req, &r->resp);
	shim_fail("remote_error_raise returned");
}

static void
check_clean(const char *what, const char *s)
{
	size_t		len;

	if (s == NULL)
		return;
	len = strlen(s);
	if (!shim_valid_text(s, len))
		shim_fail("%s is not valid UTF-8: %s", what, s);
	if (strstr(s, SHIM_DUNE_KEY) || strstr(s, SHIM_LANCE_KEY) ||
		strstr(s, SHIM_LANCE_TOKEN) || strstr(s, SHIM_FILE_KEY))
		shim_fail("%s shows a key: %s", what, s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Raise		r;
	char		prefix[64];
	const char *text;

	if (size < 1)
		return 0;
	shim_configure_providers();
	shim_dune_file_value = SHIM_FILE_KEY;
	shim_begin();

	memset(&r, 0, sizeof(r));
	r.provider = (data[0] & 1) ? &lance_provider : &dune_provider;
	r.req.service = r.provider->service;
	r.req.method = "POST";
	r.req.path = "/v1/materialized-views";
	r.resp.status = STATUSES[(data[0] >> 1) % lengthof(STATUSES)];
	r.resp.body = shim_cstring(data + 1, size - 1);
	r.resp.body_len = size - 1;
	r.resp.attempts = 1;
	r.resp.retry_after_ms = -1;

	if (shim_try(raise_it, &r))
		shim_fail("no error raised");
	if (shim_error.sqlerrcode != remote_errcode_for_status(r.resp.status))
		shim_fail("SQLSTATE %s for HTTP %ld (the class of the status is lost): %s",
				  shim_error.sqlstate, r.resp.status, shim_error.message);
	snprintf(prefix, sizeof(prefix), "%s API returned HTTP %ld", r.provider->service,
			 r.resp.status);
	if (strncmp(shim_error.message, prefix, strlen(prefix)) != 0)
		shim_fail("message \"%s\" does not start with \"%s\"", shim_error.message, prefix);

	/* after "HTTP nnn" comes an optional " (CodeName, code n)", then ": " and the text */
	text = strstr(shim_error.message + strlen(prefix), ": ");
	if (text == NULL)
		shim_fail("no API text in \"%s\"", shim_error.message);
	text += 2;
	if (strlen(text) > MAX_API_TEXT)
		shim_fail("API text of %zu bytes (at most %d)", strlen(text), MAX_API_TEXT);
	for (const char *p = text; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			shim_fail("API text holds the control character 0x%02x: \"%s\"",
					  (unsigned char) *p, text);
	check_clean("the message", shim_error.message);
	check_clean("the detail", shim_error.detail);
	check_clean("the hint", shim_error.hint);

	shim_end();
	return 0;
}

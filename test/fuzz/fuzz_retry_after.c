/*-------------------------------------------------------------------------
 * fuzz_retry_after.c
 *	  libFuzzer target for the Retry-After parser: transfer_retry_after_ms()
 *	  (src/transport/transfer.c), which reads the header value kept by the
 *	  header callback as delay-seconds (a decimal number, as strtod reads it)
 *	  or an HTTP-date (curl_getdate).
 *
 * Input: the header value, as the header callback keeps it: at most 63
 * bytes (TransferState.retry_after), NUL-terminated, cut at a NUL.  The
 * callback itself (header_cb, copy_header_value: the header name, the
 * trimming) is static in transfer.c and not reached here.
 *
 * Checks besides memory errors (and undefined behaviour in the
 * conversions): the result is -1 (absent or unreadable) or 0 to INT_MAX
 * milliseconds; a value of decimal digits alone (at most 9) is exactly that
 * many seconds; an HTTP-date in the past is 0, one far in the future is
 * INT_MAX.
 *-------------------------------------------------------------------------
 */
#include "fuzz_shim.h"

#include <limits.h>
#include <time.h>

#include "transport/transfer.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	TransferState st;
	size_t		len = Min(size, sizeof(st.retry_after) - 1);
	long		ms;
	size_t		digits;

	memset(&st, 0, sizeof(st));
	memcpy(st.retry_after, data, len);
	st.retry_after[len] = '\0';
	len = strlen(st.retry_after);

	ms = transfer_retry_after_ms(&st);
	if (ms != -1 && (ms < 0 || ms > INT_MAX))
		shim_fail("Retry-After \"%s\" gives %ld ms", st.retry_after, ms);
	if (len == 0 && ms != -1)
		shim_fail("an empty Retry-After gives %ld ms", ms);

	digits = strspn(st.retry_after, "0123456789");
	if (len > 0 && digits == len && len <= 9 &&
		ms != Min((long) INT_MAX, strtol(st.retry_after, NULL, 10) * 1000L))
		shim_fail("Retry-After \"%s\" gives %ld ms", st.retry_after, ms);

	/* an HTTP-date (RFC 9110 IMF-fixdate) in the past or far ahead */
	if (len > 0 && curl_getdate(st.retry_after, NULL) >= 0 && digits == 0 &&
		strchr(st.retry_after, ',') != NULL)
	{
		time_t		when = curl_getdate(st.retry_after, NULL);
		time_t		now = time(NULL);

		if (when < now - 5 && ms != 0)
			shim_fail("Retry-After \"%s\" (past) gives %ld ms", st.retry_after, ms);
		if (when > now + 3 * 365 * 86400L && ms != INT_MAX)
			shim_fail("Retry-After \"%s\" (far ahead) gives %ld ms", st.retry_after, ms);
	}
	return 0;
}

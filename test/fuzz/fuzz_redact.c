/*-------------------------------------------------------------------------
 * fuzz_redact.c
 *	  libFuzzer target for the log redaction (src/core/redact.c):
 *	  redact_secrets() on a text, and the emit_log_hook that redact_init()
 *	  installs, on a whole report (message, detail, hint, context, internal
 *	  query) with the statement being run in debug_query_string.
 *
 * Input: byte 0 is a set of flags (bit 0: standard_conforming_strings off;
 * bit 1: the Dune key was last read from a file too); the rest is split at
 * NUL bytes into: the message, the statement, the detail, the hint, the
 * context, and a Dune API key (used when it is 4 to 64 characters of
 * [A-Za-z0-9_], else the fixed one).
 *
 * Checks besides memory errors, for every text part:
 *	- the length is kept, and a byte is only ever replaced by '*', never a
 *	  blank (masks keep white space);
 *	- every byte of every occurrence of a configured secret (the keys and
 *	  token, and the value last read from the key file) is masked: no key
 *	  is left whole, and none partly (of the overlapping occurrences of a
 *	  periodic key such as "abab...", the leftmost non-overlapping ones; an
 *	  occurrence that overlaps another secret's is not checked: the mask of
 *	  the one masked first leaves the rest of the other visible, a known
 *	  limit of masking one secret after the other);
 *	- when the statement holds a key, or names a key setting, its text is
 *	  kept out of the log (hide_stmt).
 *-------------------------------------------------------------------------
 */
#include "fuzz_shim.h"

#include "tcop/tcopprot.h"
#include "utils/elog.h"

#include "core/provider.h"
#include "core/redact.h"
#include "providers/dune.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern PGDLLIMPORT bool standard_conforming_strings;

#define NPARTS 6

static char dune_key[80];

static const char *
secrets(int i)
{
	switch (i)
	{
		case 0:
			return dune_key;
		case 1:
			return SHIM_LANCE_KEY;
		case 2:
			return SHIM_LANCE_TOKEN;
		case 3:
			return shim_dune_file_value;
	}
	return NULL;
}

/* Whether [at, at + n) overlaps an occurrence in text of a secret other than number i. */
static bool
overlaps_other(const char *text, const char *at, size_t n, int i)
{
	for (int j = 0; j < 4; j++)
	{
		const char *s = secrets(j);
		size_t		m;

		if (j == i || s == NULL || (m = strlen(s)) < 4)
			continue;
		for (const char *p = strstr(text, s); p; p = strstr(p + 1, s))
			if (p < at + n && at < p + m)
				return true;
	}
	return false;
}

/*
 * Mark in masked[] every byte of every occurrence of a secret in text: the
 * leftmost occurrences that do not overlap each other (for a key such as
 * "abab..."), and only where no other secret's occurrence overlaps it (then
 * the one masked first hides the other from its own mask: a known limit).
 */
static void
mark_secrets(const char *text, bool *masked)
{
	for (int i = 0; i < 4; i++)
	{
		const char *s = secrets(i);
		size_t		n;

		if (s == NULL || (n = strlen(s)) < 4)
			continue;
		for (const char *p = strstr(text, s); p; p = strstr(p + n, s))
			if (!overlaps_other(text, p, n, i))
				memset(masked + (p - text), true, n);
	}
}

static bool
contains_secret(const char *text)
{
	for (int i = 0; i < 4; i++)
	{
		const char *s = secrets(i);

		if (s != NULL && strlen(s) >= 4 && strstr(text, s) != NULL)
			return true;
	}
	return false;
}

static bool
word_byte(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* Whether text names a secret setting (its name without "dune_mv.", as a whole word, any case). */
static bool
names_secret(const char *text)
{
	static const char *const names[] = {"dune_api_key", "lance_api_key", "lance_bearer_token"};

	for (size_t i = 0; i < lengthof(names); i++)
	{
		size_t		n = strlen(names[i]);

		for (const char *p = text; *p; p++)
			if (pg_strncasecmp(p, names[i], n) == 0 &&
				(p == text || !word_byte((unsigned char) p[-1])) &&
				!word_byte((unsigned char) p[n]))
				return true;
	}
	return false;
}

/* The checks of the file's header, on one part: before, and after redaction. */
static void
check_part(const char *what, const char *before, const char *after)
{
	size_t		len;
	bool	   *masked;

	if (before == NULL)
		return;
	len = strlen(before);
	if (after == NULL || strlen(after) != len)
		shim_fail("%s changed length: \"%s\" became \"%s\"", what, before, after ? after : "NULL");
	masked = palloc0(len + 1);
	mark_secrets(before, masked);
	for (size_t i = 0; i < len; i++)
	{
		if (after[i] != before[i] && (after[i] != '*' || isspace((unsigned char) before[i])))
			shim_fail("%s: byte %zu 0x%02x became 0x%02x", what, i, (unsigned char) before[i],
					  (unsigned char) after[i]);
		if (masked[i] && after[i] != '*')
			shim_fail("%s: a key is left (partly) visible at byte %zu: \"%s\" became \"%s\"",
					  what, i, before, after);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool initialized = false;
	ShimPart	parts[NPARTS];
	const char *text[NPARTS] = {0};
	char	   *copy;
	ErrorData	edata;
	int			n;

	if (size < 1)
		return 0;
	shim_configure_providers();
	if (!initialized)
	{
		redact_init();
		initialized = true;
	}
	shim_begin();
	standard_conforming_strings = (data[0] & 1) == 0;
	shim_dune_file_value = (data[0] & 2) ? SHIM_FILE_KEY : NULL;

	n = 0;
	{
		const uint8_t *p = data + 1;
		const uint8_t *end = data + size;

		while (n < NPARTS && p <= end)
		{
			const uint8_t *nul = memchr(p, '\0', end - p);

			parts[n].data = p;
			parts[n].len = nul ? (size_t) (nul - p) : (size_t) (end - p);
			n++;
			if (nul == NULL)
				break;
			p = nul + 1;
		}
	}
	for (int i = 0; i < n; i++)
		text[i] = shim_cstring(parts[i].data, parts[i].len);

	/* the Dune key: from the input when it looks like a key */
	strcpy(dune_key, SHIM_DUNE_KEY);
	if (n > 5 && parts[5].len >= 4 && parts[5].len <= 64 &&
		strspn(text[5], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
		parts[5].len)
		strcpy(dune_key, text[5]);
	*dune_provider.credentials[0].value = dune_key;

	/* redact_secrets on the message alone */
	copy = pstrdup(text[0]);
	redact_secrets(copy);
	check_part("redact_secrets", text[0], copy);

	/* the hook on a whole report */
	memset(&edata, 0, sizeof(edata));
	edata.elevel = LOG;
	edata.output_to_server = true;
	edata.message = pstrdup(text[0]);
	edata.detail = text[2] ? pstrdup(text[2]) : NULL;
	edata.hint = text[3] ? pstrdup(text[3]) : NULL;
	edata.context = text[4] ? pstrdup(text[4]) : NULL;
	edata.internalquery = text[1] ? pstrdup(text[1]) : NULL;
	debug_query_string = text[1];
	if (emit_log_hook == NULL)
		shim_fail("redact_init installed no emit_log_hook");
	emit_log_hook(&edata);
	check_part("message", text[0], edata.message);
	check_part("detail", text[2], edata.detail);
	check_part("hint", text[3], edata.hint);
	check_part("context", text[4], edata.context);
	check_part("internal query", text[1], edata.internalquery);
	if (text[1] && (contains_secret(text[1]) || names_secret(text[1])) && !edata.hide_stmt)
		shim_fail("the statement \"%s\" holds or names a key but is not hidden", text[1]);

	debug_query_string = NULL;
	shim_end();
	return 0;
}

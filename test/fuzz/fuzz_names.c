/*-------------------------------------------------------------------------
 * fuzz_names.c
 *	  libFuzzer target for the id and name encoders and validators:
 *	  http_escape_segment (src/transport/url.c); validate_dune_name,
 *	  validate_dune_view_ref, validate_remote_id (src/functions/validate.c)
 *	  with dune_view_path and dune_short_name (src/providers/dune.c); and
 *	  Lance ids: lance_id_arg (check_delimiter, check_name, splits_back,
 *	  id_build) and lance_path/lance_path_query (src/providers/lance.c).
 *
 * Input: byte 0 is a set of flags (bit 0: the Lance id is a namespace;
 * bit 1: the first part is the delimiter, else "$"); the rest is split at
 * newlines into parts, the names of the Lance id, each also given to the
 * Dune validators.  A part that is the single byte 0xFF is a NULL element.
 * As in the server, only valid UTF-8 without NUL is passed as text.
 *
 * Checks besides memory errors:
 *	- http_escape_segment writes unreserved characters and %XX only, and
 *	  decodes back to its input;
 *	- each validator accepts exactly what an independent checker written
 *	  from the README accepts, and refuses with SQLSTATE 22023;
 *	- an accepted id's path segment holds URL path characters only, is not
 *	  a dot segment, and split at the delimiter then percent-decoded gives
 *	  back the names (and lance_id_arg accepts exactly those ids whose
 *	  segment does, all other rules holding); the paths built from it keep
 *	  the segment whole and carry the delimiter when it is not "$".
 *-------------------------------------------------------------------------
 */
#include "fuzz_shim.h"

#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "functions/validate.h"
#include "providers/dune.h"
#include "providers/lance.h"
#include "transport/http.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PARTS 70

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 :
		c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode s[0, len) into out; false when a % is not followed by two hex digits. */
static bool
percent_decode(const char *s, size_t len, StringInfo out)
{
	for (size_t i = 0; i < len; i++)
	{
		if (s[i] != '%')
		{
			appendStringInfoChar(out, s[i]);
			continue;
		}
		if (i + 2 >= len || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
			return false;
		appendStringInfoChar(out, (char) (hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
		i += 2;
	}
	return true;
}

static bool
unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static bool
pchar(unsigned char c)
{
	return isalnum(c) || (c != '\0' && strchr("-._~!$&'()*+,;=:@", c) != NULL);
}

static void
check_escape(const char *s)
{
	char	   *e = http_escape_segment(s);
	StringInfoData back;

	for (const char *p = e; *p; p++)
		if (!unreserved((unsigned char) *p) &&
			!(*p == '%' && isxdigit((unsigned char) p[1]) && isxdigit((unsigned char) p[2]) &&
			  !islower((unsigned char) p[1]) && !islower((unsigned char) p[2])))
			shim_fail("http_escape_segment(\"%s\") = \"%s\" holds '%c'", s, e, *p);
	initStringInfo(&back);
	if (!percent_decode(e, strlen(e), &back) || strcmp(back.data, s) != 0)
		shim_fail("http_escape_segment(\"%s\") = \"%s\" does not decode back", s, e);
}

/* A path as the transport sends it: "/" and URL characters only. */
static void
check_url_path(const char *path)
{
	if (path[0] != '/')
		shim_fail("path \"%s\" does not start with /", path);
	for (const unsigned char *p = (const unsigned char *) path; *p; p++)
		if (!(pchar(*p) || *p == '/' || *p == '?' ||
			  (*p == '%' && isxdigit(p[1]) && isxdigit(p[2]))))
			shim_fail("path \"%s\" holds the byte 0x%02x", path, *p);
}

/* ---- the Dune validators ---- */

static bool
bare_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* ^result_([a-z0-9_]*[a-z0-9])?$, 8 to 128 characters */
static bool
ref_bare_name(const char *s)
{
	size_t		len = strlen(s);

	if (len < 8 || len > 128 || strncmp(s, "result_", 7) != 0 || s[len - 1] == '_')
		return false;
	for (const char *p = s; *p; p++)
		if (!bare_char(*p))
			return false;
	return true;
}

/* a bare name, or "<namespace>.<bare name>": lower-case letters, digits, _, - and single dots */
static bool
ref_view_ref(const char *s)
{
	const char *last = strrchr(s, '.');

	if (strlen(s) > 255)
		return false;
	if (last == NULL)
		return ref_bare_name(s);
	if (s[0] == '.' || strstr(s, "..") != NULL)
		return false;
	for (const char *p = s; p < last; p++)
		if (!(bare_char(*p) || *p == '-' || *p == '.'))
			return false;
	return ref_bare_name(last + 1);
}

static bool
ref_remote_id(const char *s)
{
	size_t		len = strlen(s);

	if (len == 0 || len > 128 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

typedef struct Validate
{
	int			which;
	const char *s;
} Validate;

static void
run_validator(void *arg)
{
	Validate   *v = arg;

	switch (v->which)
	{
		case 0:
			validate_dune_name(v->s);
			break;
		case 1:
			validate_dune_view_ref(v->s);
			break;
		case 2:
			validate_remote_id(v->s, "execution id");
			break;
	}
}

static void
check_validators(const char *s)
{
	static const char *const names[] = {"validate_dune_name", "validate_dune_view_ref",
	"validate_remote_id"};

	for (int which = 0; which < 3; which++)
	{
		Validate	v = {which, s};
		bool		ok = shim_try(run_validator, &v);
		bool		ref = which == 0 ? ref_bare_name(s) : which == 1 ? ref_view_ref(s) :
			ref_remote_id(s);

		if (ok != ref)
			shim_fail("%s %s \"%s\", the reference %s it", names[which],
					  ok ? "accepts" : "refuses", s, ref ? "accepts" : "refuses");
		if (!ok && shim_error.sqlerrcode != ERRCODE_INVALID_PARAMETER_VALUE)
			shim_fail("%s(\"%s\") raised %s, not 22023: %s", names[which], s,
					  shim_error.sqlstate, shim_error.message);
		if (ok && which == 1)
		{
			const char *bare = dune_short_name(s);

			check_url_path(dune_view_path(s, "/refresh"));
			if (!ref_bare_name(bare))
				shim_fail("dune_short_name(\"%s\") = \"%s\"", s, bare);
		}
		if (ok && which == 2)
			check_url_path(psprintf("/v1/execution/%s/status", http_escape_segment(s)));
	}
}

/* ---- Lance ids ---- */

typedef struct IdArgs
{
	char	  **names;
	bool	   *nulls;
	int			n;
	const char *delimiter;
	bool		is_namespace;
	LanceId		id;
} IdArgs;

static void
build_id(void *arg)
{
	IdArgs	   *a = arg;
	FunctionCallInfo fcinfo = shim_fcinfo(2);

	shim_arg(fcinfo, 0, shim_text_array(a->names, a->nulls, a->n));
	shim_arg(fcinfo, 1, CStringGetTextDatum(a->delimiter));
	lance_id_arg(fcinfo, 0, 1, a->is_namespace, &a->id);
}

static bool
ref_delimiter(const char *d)
{
	size_t		len = strlen(d);

	if (len == 0 || len > 8)
		return false;
	for (const char *p = d; *p; p++)
		if (!pchar((unsigned char) *p))
			return false;
	return true;
}

/* Every rule but the unambiguous split. */
static bool
ref_id_rules(const IdArgs *a)
{
	if (!ref_delimiter(a->delimiter))
		return false;
	if (a->n < (a->is_namespace ? 0 : 1) || a->n > 64)
		return false;
	if (a->n == 0 && (strcmp(a->delimiter, ".") == 0 || strcmp(a->delimiter, "..") == 0))
		return false;
	for (int i = 0; i < a->n; i++)
	{
		const char *name = a->names[i];

		if (a->nulls[i] || name[0] == '\0' || strcmp(name, ".") == 0 ||
			strcmp(name, "..") == 0 || strlen(name) > 256 || strstr(name, a->delimiter) != NULL)
			return false;
		for (const unsigned char *p = (const unsigned char *) name; *p; p++)
			if (*p < 0x20 || *p == 0x7f)
				return false;
	}
	return true;
}

/* The segment, split at the delimiter left to right and decoded, is the names. */
static bool
splits_to_names(const char *segment, const IdArgs *a)
{
	const char *p = segment;
	size_t		dlen = strlen(a->delimiter);

	for (int i = 0; i < a->n; i++)
	{
		const char *next = strstr(p, a->delimiter);
		size_t		len = next ? (size_t) (next - p) : strlen(p);
		StringInfoData name;

		initStringInfo(&name);
		if (!percent_decode(p, len, &name) || strcmp(name.data, a->names[i]) != 0)
			return false;
		if (next == NULL)
			return i == a->n - 1;
		p = next + dlen;
	}
	return false;
}

static void
check_lance_id(IdArgs *a)
{
	bool		ok = shim_try(build_id, a);
	bool		rules = ref_id_rules(a);
	LanceId    *id = &a->id;
	StringInfoData joined;
	StringInfoData segment;
	char	   *path;
	const char *seg_in_path;

	if (!ok)
	{
		if (shim_error.sqlerrcode != ERRCODE_INVALID_PARAMETER_VALUE)
			shim_fail("lance_id_arg raised %s, not 22023: %s", shim_error.sqlstate,
					  shim_error.message);
		if (rules && a->n > 0)
		{
			/* refused for an ambiguous split only: check that it is one */
			initStringInfo(&segment);
			for (int i = 0; i < a->n; i++)
				appendStringInfo(&segment, "%s%s", i ? a->delimiter : "",
								 http_escape_segment(a->names[i]));
			if (splits_to_names(segment.data, a))
				shim_fail("lance_id_arg refuses an id that splits back: \"%s\" (%s)",
						  segment.data, shim_error.message);
		}
		else if (rules)
			shim_fail("lance_id_arg refuses the root namespace with delimiter \"%s\": %s",
					  a->delimiter, shim_error.message);
		return;
	}
	if (!rules)
		shim_fail("lance_id_arg accepts an id that breaks a rule (delimiter \"%s\", %d names)",
				  a->delimiter, a->n);
	if (id->nnames != a->n)
		shim_fail("lance_id_arg read %d names of %d", id->nnames, a->n);
	for (const unsigned char *p = (const unsigned char *) id->segment; *p; p++)
		if (!(pchar(*p) || (*p == '%' && isxdigit(p[1]) && isxdigit(p[2]))))
			shim_fail("segment \"%s\" holds the byte 0x%02x", id->segment, *p);
	if (strcmp(id->segment, ".") == 0 || strcmp(id->segment, "..") == 0)
		shim_fail("segment \"%s\" is a dot segment", id->segment);
	if (a->n == 0 ? strcmp(id->segment, a->delimiter) != 0 : !splits_to_names(id->segment, a))
		shim_fail("segment \"%s\" does not give back the names", id->segment);
	initStringInfo(&joined);
	for (int i = 0; i < a->n; i++)
	{
		if (strcmp(id->names[i], a->names[i]) != 0)
			shim_fail("name %d read as \"%s\"", i + 1, id->names[i]);
		appendStringInfo(&joined, "%s%s", i ? a->delimiter : "", a->names[i]);
	}
	if (strcmp(id->joined, joined.data) != 0)
		shim_fail("joined \"%s\", expected \"%s\"", id->joined, joined.data);

	path = lance_path_query(id, "table", "describe", "load_detailed_metadata=true");
	check_url_path(path);
	seg_in_path = path + strlen("/v1/table/");
	if (strncmp(seg_in_path, id->segment, strlen(id->segment)) != 0 ||
		strncmp(seg_in_path + strlen(id->segment), "/describe?load_detailed_metadata=true",
				strlen("/describe?load_detailed_metadata=true")) != 0)
		shim_fail("path \"%s\" does not hold segment \"%s\" whole", path, id->segment);
	if (strcmp(a->delimiter, "$") != 0)
	{
		const char *q = strstr(path, "&delimiter=");
		StringInfoData d;

		initStringInfo(&d);
		if (q == NULL || !percent_decode(q + 11, strlen(q + 11), &d) ||
			strcmp(d.data, a->delimiter) != 0)
			shim_fail("path \"%s\" does not carry the delimiter \"%s\"", path, a->delimiter);
	}
	else if (strstr(path, "delimiter=") != NULL)
		shim_fail("path \"%s\" names the default delimiter", path);
	check_url_path(lance_path(id, "materialized_view", "create"));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ShimPart	parts[MAX_PARTS];
	int			n;
	IdArgs		a;
	bool		valid = true;
	int			first;

	if (size < 1)
		return 0;
	shim_configure_providers();
	shim_begin();
	check_escape(shim_cstring(data, size));

	/* nothing after the flags: no names at all (the root namespace) */
	n = size > 1 ? shim_split(data + 1, size - 1, "\n", parts, MAX_PARTS) : 0;
	memset(&a, 0, sizeof(a));
	a.is_namespace = data[0] & 1;
	a.delimiter = "$";
	first = 0;
	if ((data[0] & 2) && n > 0)
	{
		if (!shim_valid_text((const char *) parts[0].data, parts[0].len))
			valid = false;
		a.delimiter = shim_cstring(parts[0].data, parts[0].len);
		first = 1;
	}
	a.names = palloc(sizeof(char *) * MAX_PARTS);
	a.nulls = palloc0(sizeof(bool) * MAX_PARTS);
	for (int i = first; i < n; i++)
	{
		char	   *s = shim_cstring(parts[i].data, parts[i].len);

		if (parts[i].len == 1 && parts[i].data[0] == 0xFF)
			a.nulls[a.n] = true;
		else if (!shim_valid_text(s, parts[i].len))
			valid = false;
		else
			check_validators(s);
		a.names[a.n++] = s;
	}
	if (valid)
		check_lance_id(&a);
	shim_end();
	return 0;
}

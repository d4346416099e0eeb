/*-------------------------------------------------------------------------
 * lance_api.c
 *	  Requests to the Lance Namespace (LanceDB) API: identifiers, paths, the
 *	  credential headers.
 *
 * Every path is under dune_mv.lance_url: /v1/<collection>/<id>/<action>.
 * An id is a list of names (namespace path, then the object's name); in the
 * URL each name is percent-encoded on its own (RFC 3986) and the results are
 * joined with the delimiter, "$" unless the caller chose another, which is
 * then sent as ?delimiter=.  Credentials travel only in headers (x-api-key,
 * Authorization: Bearer, x-lancedb-database), never in a body's "identity";
 * the header strings are wiped after the request and never recorded.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "json_util.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"

#include "lance_api.h"
#include "settings.h"

#define LANCE_ID_MAX_NAMES	64
#define LANCE_NAME_MAX		256		/* bytes */
#define LANCE_DELIMITER_MAX 8

#define ID_HINT "An id is a text[] of 1 to 64 names, the namespace path then the view's name, " \
	"e.g. ARRAY['analytics', 'daily_docs']; each name is 1 to 256 bytes, not \".\" or \"..\", " \
	"without control characters or the delimiter."
#define DELIMITER_HINT "Use a name-free delimiter of 1 to 8 characters among letters, digits and " \
	"- . _ ~ ! $ & ' ( ) * + , ; = : @ (the default is \"$\"), e.g. delimiter => '.'."

/* True when c may appear unencoded in a URL path segment (RFC 3986 pchar, no %). */
static bool
is_pchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=:@", c) != NULL;
}

/* True when s holds a control character (C0 or DEL). */
static bool
has_control_char(const char *s)
{
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

/* A delimiter: 1 to 8 characters that may stand unencoded in a path segment. */
static void
check_delimiter(const char *delimiter)
{
	size_t		len = strlen(delimiter);
	const char *problem = NULL;

	if (len == 0)
		problem = "it is empty";
	else if (len > LANCE_DELIMITER_MAX)
		problem = psprintf("it is longer than %d characters", LANCE_DELIMITER_MAX);
	else
		for (const unsigned char *p = (const unsigned char *) delimiter; *p && !problem; p++)
			if (!is_pchar(*p))
				problem = psprintf("character %d cannot stand unencoded in a URL path",
								   (int) (p - (const unsigned char *) delimiter) + 1);
	if (problem)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid delimiter: %s", problem),
				 errhint(DELIMITER_HINT)));
}

static void bad_name(int n, const char *problem, const char *hint) pg_attribute_noreturn();

/* Raise the error for name n (1-based) of an id. */
static void
bad_name(int n, const char *problem, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid id: name %d %s", n, problem),
			 errhint("%s", hint)));
}

/* One name of an id: non-empty, not . or .., bounded, no control characters or delimiter. */
static void
check_name(int n, const char *name, const char *delimiter)
{
	if (name[0] == '\0')
		bad_name(n, "is empty", ID_HINT);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		bad_name(n, psprintf("is \"%s\", which cannot name a namespace or view", name), ID_HINT);
	if (strlen(name) > LANCE_NAME_MAX)
		bad_name(n, psprintf("is longer than %d bytes", LANCE_NAME_MAX), ID_HINT);
	if (has_control_char(name))
		bad_name(n, "contains a control character", ID_HINT);
	if (strstr(name, delimiter) != NULL)
		bad_name(n, psprintf("(\"%s\") contains the delimiter \"%s\"", name, delimiter),
				 DELIMITER_HINT);
}

/*
 * True when splitting segment on the delimiter, left to right as a server
 * does, gives back exactly the n encoded names.  It fails when a name's
 * percent-encoding holds the delimiter (say "A" in "%C3%A9") or when a name
 * and the delimiter overlap ("xa" then "aa").
 */
static bool
splits_back(const char *segment, const char *delimiter, char **encoded, int n)
{
	const char *p = segment;
	size_t		dlen = strlen(delimiter);

	for (int i = 0; i < n; i++)
	{
		const char *next = strstr(p, delimiter);
		size_t		len = next ? (size_t) (next - p) : strlen(p);

		if (strlen(encoded[i]) != len || strncmp(p, encoded[i], len) != 0)
			return false;
		if (next == NULL)
			return i == n - 1;
		p = next + dlen;
	}
	return false;
}

/*
 * Check an id (a text[]) and its delimiter, raising 22023 on any problem,
 * and fill in its joined form and URL path segment.
 */
void
lance_id_build(LanceId *id, Datum array, const char *delimiter)
{
	ArrayType  *arr = DatumGetArrayTypeP(array);
	Datum	   *elems;
	bool	   *nulls;
	char	  **encoded;
	StringInfoData joined;
	StringInfoData segment;
	StringInfoData key;

	check_delimiter(delimiter);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid id: it must be a one-dimensional array"),
				 errhint(ID_HINT)));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &id->nnames);
	if (id->nnames < 1 || id->nnames > LANCE_ID_MAX_NAMES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid id: it has %d names, it needs 1 to %d",
						id->nnames, LANCE_ID_MAX_NAMES),
				 errhint(ID_HINT)));

	id->array = PointerGetDatum(arr);
	id->delimiter = delimiter;
	id->names = palloc(sizeof(char *) * id->nnames);
	encoded = palloc(sizeof(char *) * id->nnames);
	initStringInfo(&joined);
	initStringInfo(&segment);
	initStringInfo(&key);
	for (int i = 0; i < id->nnames; i++)
	{
		char	   *name;

		if (nulls[i])
			bad_name(i + 1, "is NULL", ID_HINT);
		name = TextDatumGetCString(elems[i]);
		check_name(i + 1, name, delimiter);
		id->names[i] = name;
		encoded[i] = http_escape_segment(pg_server_to_any(name, strlen(name), PG_UTF8));
		appendStringInfo(&joined, "%s%s", i ? delimiter : "", name);
		appendStringInfo(&segment, "%s%s", i ? delimiter : "", encoded[i]);
		appendStringInfo(&key, "%s%s", i ? "\x1f" : "", name);
	}
	if (!splits_back(segment.data, delimiter, encoded, id->nnames))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid id: it cannot be written unambiguously with the delimiter \"%s\"",
						delimiter),
				 errdetail("The path segment \"%s\" would not split back into the same names.",
						   segment.data),
				 errhint(DELIMITER_HINT)));
	id->joined = joined.data;
	id->segment = segment.data;
	id->key = key.data;
}

/* /v1/<collection>/<id segment>/<action>[?delimiter=<encoded delimiter>] */
char *
lance_path(const LanceId *id, const char *collection, const char *action)
{
	if (strcmp(id->delimiter, "$") == 0)
		return psprintf("/v1/%s/%s/%s", collection, id->segment, action);
	return psprintf("/v1/%s/%s/%s?delimiter=%s", collection, id->segment, action,
					http_escape_segment(id->delimiter));
}

/* Fill in the request of a Lance call (the body is set by the caller). */
void
lance_prepare(ApiCall *call, const char *operation, const char *target,
			  const char *method, const char *path, HttpRetryPolicy retry)
{
	memset(call, 0, sizeof(*call));
	call->provider = "lance";
	call->operation = operation;
	call->target = target;
	call->req.service = "Lance";
	call->req.method = method;
	call->req.path = path;
	call->req.retry = retry;
}

/* A credential setting: set (non-empty) or not; a control character is refused. */
static bool
credential_set(const char *value, const char *setting)
{
	if (value == NULL || value[0] == '\0')
		return false;
	if (has_control_char(value))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s contains a control character", setting),
				 errhint("A superuser sets it again in postgresql.conf or with ALTER SYSTEM.")));
	return true;
}

/*
 * Send a prepared Lance call with the credential headers, wiping them
 * afterwards.  At least one of the API key and the bearer token is needed;
 * the database header goes along when dune_mv.lance_database is set.
 */
void
lance_send(ApiCall *call)
{
	char	   *volatile lines[3] = {NULL, NULL, NULL};
	const char *headers[3];
	bool		key = credential_set(dune_mv_lance_api_key, "dune_mv.lance_api_key");
	bool		token = credential_set(dune_mv_lance_bearer_token, "dune_mv.lance_bearer_token");
	bool		database = credential_set(dune_mv_lance_database, "dune_mv.lance_database");

	if (!key && !token)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("neither dune_mv.lance_api_key nor dune_mv.lance_bearer_token is set"),
				 errhint("A superuser sets one of them in postgresql.conf or with ALTER SYSTEM, then reloads the configuration.")));
	call->req.base_url = dune_mv_lance_url;
	PG_TRY();
	{
		int			n = 0;

		if (key)
			lines[0] = psprintf("x-api-key: %s", dune_mv_lance_api_key);
		if (token)
			lines[1] = psprintf("Authorization: Bearer %s", dune_mv_lance_bearer_token);
		if (database)
			lines[2] = psprintf("x-lancedb-database: %s", dune_mv_lance_database);
		for (int i = 0; i < 3; i++)
			if (lines[i])
				headers[n++] = lines[i];
		call->req.headers = headers;
		call->req.nheaders = n;
		api_send(call);
	}
	PG_FINALLY();
	{
		for (int i = 0; i < 3; i++)
			if (lines[i])
				explicit_bzero(lines[i], strlen(lines[i]));
		call->req.headers = NULL;
		call->req.nheaders = 0;
	}
	PG_END_TRY();
}

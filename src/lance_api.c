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
 * A namespace id may have no name at all: the root namespace, written as the
 * delimiter alone.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "json_util.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"

#include "catalog.h"
#include "lance_api.h"
#include "settings.h"
#include "validate.h"

#define LANCE_ID_MAX_NAMES	64
#define LANCE_NAME_MAX		256		/* bytes */
#define LANCE_DELIMITER_MAX 8

#define ID_HINT "An id is a text[] of 1 to 64 names, the namespace path then the view's name, " \
	"e.g. ARRAY['analytics', 'daily_docs']; each name is 1 to 256 bytes, not \".\" or \"..\", " \
	"without control characters or the delimiter."
#define NAMESPACE_HINT "A namespace is a text[] of 0 to 64 names, e.g. ARRAY['analytics']; " \
	"ARRAY[]::text[] is the root namespace."
#define DELIMITER_HINT "Use a name-free delimiter of 1 to 8 characters among letters, digits and " \
	"- . _ ~ ! $ & ' ( ) * + , ; = : @ (the default is \"$\"), e.g. delimiter => '.'."

/* The caller's catalog row for a Lance id, whatever delimiter named it. */
static CatalogStatement lookup_lance_view = {
	"SELECT name, kind FROM dune_mv.views WHERE role = $1 AND provider = 'lance'"
	" AND lance_id = $2 ORDER BY updated_at DESC LIMIT 1",
	2, {NAMEOID, TEXTARRAYOID}
};

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

static void bad_name(const char *what, int n, const char *problem,
					 const char *hint) pg_attribute_noreturn();

/* Raise the error for name n (1-based) of an id or namespace (what). */
static void
bad_name(const char *what, int n, const char *problem, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid %s: name %d %s", what, n, problem),
			 errhint("%s", hint)));
}

/* One name of an id: non-empty, not . or .., bounded, no control characters or delimiter. */
static void
check_name(const char *what, const char *hint, int n, const char *name, const char *delimiter)
{
	if (name[0] == '\0')
		bad_name(what, n, "is empty", hint);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		bad_name(what, n, psprintf("is \"%s\", which cannot name a namespace or view", name),
				 hint);
	if (strlen(name) > LANCE_NAME_MAX)
		bad_name(what, n, psprintf("is longer than %d bytes", LANCE_NAME_MAX), hint);
	if (has_control_char(name))
		bad_name(what, n, "contains a control character", hint);
	if (strstr(name, delimiter) != NULL)
		bad_name(what, n, psprintf("(\"%s\") contains the delimiter \"%s\"", name, delimiter),
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
 * and fill in its joined form and URL path segment.  A namespace may have
 * no name (the root, whose segment is the delimiter alone); an object's id
 * needs at least one.
 */
static void
id_build(LanceId *id, Datum array, const char *delimiter, bool is_namespace)
{
	const char *what = is_namespace ? "namespace" : "id";
	const char *hint = is_namespace ? NAMESPACE_HINT : ID_HINT;
	int			min_names = is_namespace ? 0 : 1;
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
				 errmsg("invalid %s: it must be a one-dimensional array", what),
				 errhint("%s", hint)));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &id->nnames);
	if (id->nnames < min_names || id->nnames > LANCE_ID_MAX_NAMES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s: it has %d names, it needs %d to %d",
						what, id->nnames, min_names, LANCE_ID_MAX_NAMES),
				 errhint("%s", hint)));

	/*
	 * The root's segment is the delimiter alone: "." or ".." would be a dot
	 * segment, which clients and servers remove from a path (RFC 3986 5.2.4).
	 */
	if (id->nnames == 0 && (strcmp(delimiter, ".") == 0 || strcmp(delimiter, "..") == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the delimiter \"%s\" cannot name the root namespace", delimiter),
				 errdetail("The root namespace is written as the delimiter alone, and \"%s\" is a dot segment of a URL path.",
						   delimiter),
				 errhint("Use the default delimiter \"$\" to list the root namespace.")));

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
			bad_name(what, i + 1, "is NULL", hint);
		name = TextDatumGetCString(elems[i]);
		check_name(what, hint, i + 1, name, delimiter);
		id->names[i] = name;
		encoded[i] = http_escape_segment(pg_server_to_any(name, strlen(name), PG_UTF8));
		appendStringInfo(&joined, "%s%s", i ? delimiter : "", name);
		appendStringInfo(&segment, "%s%s", i ? delimiter : "", encoded[i]);
		appendStringInfo(&key, "%s%s", i ? "\x1f" : "", name);
	}
	if (id->nnames == 0)
		appendStringInfoString(&segment, delimiter);
	else if (!splits_back(segment.data, delimiter, encoded, id->nnames))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s: it cannot be written unambiguously with the delimiter \"%s\"",
						what, delimiter),
				 errdetail("The path segment \"%s\" would not split back into the same names.",
						   segment.data),
				 errhint(DELIMITER_HINT)));
	id->joined = joined.data;
	id->segment = segment.data;
	id->key = key.data;
}

/*
 * The id argument idarg (a namespace when is_namespace) with the delimiter
 * argument delimarg, both required, checked and built.
 */
void
lance_id_arg(FunctionCallInfo fcinfo, int idarg, int delimarg, bool is_namespace, LanceId *id)
{
	validate_required(PG_ARGISNULL(idarg), is_namespace ? "namespace" : "id");
	validate_required(PG_ARGISNULL(delimarg), "delimiter");
	id_build(id, PG_GETARG_DATUM(idarg), text_to_cstring(PG_GETARG_TEXT_PP(delimarg)),
			 is_namespace);
}

/*
 * The name the caller's catalog knows a view by (whatever delimiter named
 * it), or the id joined with its delimiter when unknown; *kind gets the
 * recorded kind, or NULL.
 */
char *
lance_view_target(const LanceId *id, char **kind)
{
	CatalogScope scope;
	Datum		values[2];
	MemoryContext outer = CurrentMemoryContext;
	char	   *name = id->joined;

	*kind = NULL;
	catalog_enter(&scope);
	values[0] = NameGetDatum(&scope.role);
	values[1] = id->array;
	catalog_exec(&lookup_lance_view, values, NULL);
	if (SPI_processed > 0)
	{
		MemoryContext old = MemoryContextSwitchTo(outer);

		name = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		*kind = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
		MemoryContextSwitchTo(old);
	}
	catalog_leave(&scope);
	return name;
}

/* /v1/<collection>/<id segment>/<action>[?delimiter=<encoded delimiter>] */
char *
lance_path(const LanceId *id, const char *collection, const char *action)
{
	return lance_path_query(id, collection, action, NULL);
}

/*
 * As lance_path, with query (already encoded "name=value&..." text, or NULL)
 * before the delimiter parameter.
 */
char *
lance_path_query(const LanceId *id, const char *collection, const char *action,
				 const char *query)
{
	StringInfoData path;
	char		sep = '?';

	initStringInfo(&path);
	appendStringInfo(&path, "/v1/%s/%s/%s", collection, id->segment, action);
	if (query != NULL && query[0] != '\0')
	{
		appendStringInfo(&path, "?%s", query);
		sep = '&';
	}
	if (strcmp(id->delimiter, "$") != 0)
		appendStringInfo(&path, "%cdelimiter=%s", sep, http_escape_segment(id->delimiter));
	return path.data;
}

/* Fill in the request of a Lance call (the body is set by the caller). */
void
lance_prepare(ApiCall *call, const char *operation, const char *target,
			  const char *method, const char *path, HttpRetryPolicy retry)
{
	api_prepare(call, "lance", "Lance", operation, target, method, path, retry);
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
	bool		key = api_credential_set(dune_mv_lance_api_key, "dune_mv.lance_api_key");
	bool		token = api_credential_set(dune_mv_lance_bearer_token, "dune_mv.lance_bearer_token");
	bool		database = api_credential_set(dune_mv_lance_database, "dune_mv.lance_database");

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
			lines[0] = api_secret_header("x-api-key: ", dune_mv_lance_api_key);
		if (token)
			lines[1] = api_secret_header("Authorization: Bearer ", dune_mv_lance_bearer_token);
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
			api_wipe(lines[i]);
		call->req.headers = NULL;
		call->req.nheaders = 0;
	}
	PG_END_TRY();
}

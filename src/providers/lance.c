/*-------------------------------------------------------------------------
 * lance.c
 *	  The Lance Namespace (LanceDB) API as a provider: its descriptor
 *	  (settings, credentials, error bodies, jobs), identifiers and paths.
 *
 * Every path is under dune_mv.lance_url: /v1/<collection>/<id>/<action>.
 * An id is a list of names (namespace path, then the object's name); in the
 * URL each name is percent-encoded on its own (RFC 3986) and the results are
 * joined with the delimiter, "$" unless the caller chose another, which is
 * then sent as ?delimiter=.  Credentials travel only in headers (x-api-key,
 * Authorization: Bearer, x-lancedb-database), never in a body's "identity".
 * At least one of the API key and the bearer token is needed.
 * A namespace id may have no name at all: the root namespace, written as the
 * delimiter alone.
 *
 * Job status is LanceDB Enterprise's POST /v1/jobs/describe (outside the
 * namespace spec), body {"job_id"}, answering {job_id, job_type, job_state,
 * creation_ms, failure?: {phase, message, retryable}}.  A job is finished in
 * DONE, FAILED, CANCELLED or TIMED_OUT; IN_PROGRESS and any state the API
 * adds later mean it still runs.  Knows nothing of the catalog.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "functions/validate.h"
#include "providers/lance.h"
#include "transport/http.h"

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

static char *lance_url = NULL;
static char *lance_api_key = NULL;
static char *lance_bearer_token = NULL;
static char *lance_database = NULL;

static const ProviderCredential lance_credentials[] = {
	{"dune_mv.lance_api_key", "LanceDB API key (sent as x-api-key).",
	"x-api-key: ", true, true, &lance_api_key},
	{"dune_mv.lance_bearer_token", "LanceDB bearer token (sent as Authorization: Bearer).",
	"Authorization: Bearer ", true, true, &lance_bearer_token},
	{"dune_mv.lance_database", "LanceDB database name (sent as x-lancedb-database).",
	"x-lancedb-database: ", false, false, &lance_database},
};

static const char *const lance_error_keys[] = {"error", "title", "message", "detail", NULL};

/* Names of the Lance error codes, indexed by code. */
static const char *const lance_code_names[] = {
	"Unsupported", "NamespaceNotFound", "NamespaceAlreadyExists", "NamespaceNotEmpty",
	"TableNotFound", "TableAlreadyExists", "TableIndexNotFound", "TableIndexAlreadyExists",
	"TableTagNotFound", "TableTagAlreadyExists", "TransactionNotFound",
	"TableVersionNotFound", "TableColumnNotFound", "InvalidInput",
	"ConcurrentModification", "PermissionDenied", "Unauthenticated",
	"ServiceUnavailable", "Internal", "InvalidTableState", "TableSchemaValidationError",
	"Throttling"
};

static const char *const lance_final[] = {"DONE", "FAILED", "CANCELLED", "TIMED_OUT", NULL};
static const char *const lance_success[] = {"DONE", NULL};

/* POST /v1/jobs/describe {"job_id"}; the row of dune_mv.lance_job_status. */
static const ProviderStatus lance_status = {
	.what = "Lance job",
	.id_arg = "job_id",
	.operation = "job_status",
	.method = "POST",
	.path = "/v1/jobs/describe",
	.body_id_key = "job_id",
	.timeout_hint = "The job goes on: call lance_mv_wait or lance_mv_job_status again later.",
	.state_key = "job_state",
	.final_states = lance_final,
	.success_states = lance_success,
	.time_format = STATUS_TIME_EPOCH_MS,
	.submitted_key = "creation_ms",
	.error_key = "failure",
	.error_type_key = "phase",
	.error_message_key = "message",
	.columns = {
		{STATUS_COL_ID}, {STATUS_COL_REPLY_TEXT, "job_type"}, {STATUS_COL_STATE},
		{STATUS_COL_FINISHED}, {STATUS_COL_SUBMITTED}, {STATUS_COL_ERROR_TYPE},
		{STATUS_COL_ERROR_MESSAGE}, {STATUS_COL_ERROR_BOOL, "retryable"}, {STATUS_COL_REPLY}
	},
	.ncolumns = 9,
};

const Provider lance_provider = {
	.name = "lance",
	.service = "Lance",
	.url_setting = "dune_mv.lance_url",
	.url_description = "Base URL of the Lance namespace (LanceDB) API.",
	.url_default = "",
	.url = &lance_url,
	.credentials = lance_credentials,
	.ncredentials = lengthof(lance_credentials),
	.error_text_keys = lance_error_keys,
	.error_code_key = "code",
	.error_code_names = lance_code_names,
	.nerror_code_names = lengthof(lance_code_names),
	.auth_hint = "Check dune_mv.lance_api_key, dune_mv.lance_bearer_token and dune_mv.lance_database.",
	.status = &lance_status,
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
		bad_name(what, n, psprintf("(\"%s\") contains the delimiter \"%s\"",
								   validate_quote(name), delimiter),
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
						   validate_quote(segment.data)),
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

/*-------------------------------------------------------------------------
 * lance_matviews.c
 *	  SQL functions on LanceDB materialized views: create and refresh.
 *
 * Each function validates every argument before any network call, prepares
 * one request with the Lance provider (providers/lance.c) and runs it
 * through api_call() (core/call.c), which records the call, the job it
 * started and the view's new state, before returning the API's answer as a
 * row.  lance_view_target and lance_view_prepare are shared with
 * lance_tables.c.
 * Field names and types follow lance-namespace-spec.yaml (v0.11.1):
 * CreateMaterializedViewRequest, MaterializedViewUdtfEntry and
 * RefreshMaterializedViewRequest.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/json_util.h"

#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "arrow/arrow_schema.h"
#include "catalog/catalog.h"
#include "core/call.h"
#include "functions/lance_views.h"
#include "functions/ownership.h"
#include "functions/queued.h"
#include "functions/rows.h"
#include "functions/validate.h"

PG_FUNCTION_INFO_V1(lance_mv_create);
PG_FUNCTION_INFO_V1(lance_mv_refresh);

/*
 * The name the caller's catalog knows a view by (whatever delimiter named
 * it), or the id joined with its delimiter when unknown; *kind gets the
 * recorded kind, or NULL.
 */
char *
lance_view_target(const LanceId *id, char **kind)
{
	FoundView	found;
	const char *recorded;

	*kind = NULL;
	if (!catalog_find_view(&lance_provider, id->key, &found))
		return id->joined;
	recorded = json_string_field(found.definition, "kind");
	*kind = recorded ? pstrdup(recorded) : NULL;
	return found.name;
}

/*
 * Prepare a Lance call on view id recorded under target, its catalog row
 * identified by the id's names whatever the delimiter.
 */
void
lance_view_prepare(ApiCall *call, const LanceId *id, const char *operation,
				   const char *target, const char *path, HttpRetryPolicy retry)
{
	api_prepare(call, &lance_provider, operation, target, "POST", path, retry);
	call->view.name = target;
	call->view.full_name = target;
	call->view.ident = id->key;
	call->view.definition = json_new_object();
	json_add_child(call->view.definition, "id", json_string_array(id->names, id->nnames));
	json_add_string(call->view.definition, "delimiter", id->delimiter);
}

/* JSON types of udtf_spec fields; strings are never empty, numbers never negative. */
typedef enum UdtfFieldType
{
	UDTF_STRING,
	UDTF_STRINGS,
	UDTF_NUMBER,
	UDTF_INTEGER,
	UDTF_BOOLEAN,
	UDTF_OBJECT
} UdtfFieldType;

static const char *const udtf_type_names[] = {
	"a non-empty string", "an array of non-empty strings", "a non-negative number",
	"a non-negative integer", "a boolean", "a JSON object"
};

/* One field of MaterializedViewUdtfEntry. */
typedef struct UdtfField
{
	const char *name;
	UdtfFieldType type;
	bool		required;
	const char *only_kind;		/* the one view kind it applies to, or NULL */
} UdtfField;

static const UdtfField udtf_fields[] = {
	{"kind", UDTF_STRING, true, NULL},
	{"udtf", UDTF_STRING, true, NULL},
	{"udtf_sha", UDTF_STRING, true, NULL},
	{"udtf_name", UDTF_STRING, true, NULL},
	{"udtf_version", UDTF_STRING, true, NULL},
	{"input_columns", UDTF_STRINGS, false, NULL},
	{"partition_by", UDTF_STRING, false, "udtf"},
	{"partition_by_indexed_column", UDTF_STRING, false, "udtf"},
	{"num_cpus", UDTF_NUMBER, false, NULL},
	{"num_gpus", UDTF_NUMBER, false, NULL},
	{"memory", UDTF_INTEGER, false, NULL},
	{"error_handling", UDTF_OBJECT, false, "udtf"},
	{"batch", UDTF_BOOLEAN, false, "chunker"},
	{"manifest", UDTF_STRING, false, NULL},
	{"manifest_checksum", UDTF_STRING, false, NULL},
};

#define UDTF_SPEC_HINT "udtf_spec is a JSON object with kind, udtf, udtf_sha, udtf_name and " \
	"udtf_version, and optionally input_columns, partition_by, partition_by_indexed_column, " \
	"num_cpus, num_gpus, memory, error_handling, batch, manifest and manifest_checksum."
#define SHA_HINT "A checksum is the lowercase hex SHA-256 of the text it covers, " \
	"e.g. encode(sha256(convert_to(udtf, 'UTF8')), 'hex')."

/* Integer options of refresh: argument number, body field, smallest value. */
typedef struct RefreshInt
{
	int			argno;
	const char *field;
	int64		min;
	bool		is_int4;
} RefreshInt;

static const RefreshInt refresh_ints[] = {
	{1, "src_version", 0, false},
	{2, "max_rows_per_fragment", 1, true},
	{3, "concurrency", 1, true},
	{4, "intra_applier_concurrency", 1, true},
	{5, "source_task_size", 1, false},
	{6, "output_limit", 1, false},
};

#define REFRESH_ARG_OUTPUT_LIMIT 6
#define REFRESH_ARG_CLUSTER 7
#define REFRESH_ARG_MANIFEST 8
#define REFRESH_ARG_DELIMITER 9

static void bad_udtf_spec(const char *problem, const char *hint) pg_attribute_noreturn();

/* Raise 22023 about udtf_spec. */
static void
bad_udtf_spec(const char *problem, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid udtf_spec: %s", problem),
			 errhint("%s", hint)));
	pg_unreachable();
}

/* Lowercase hex SHA-256 of len bytes at data. */
static char *
sha256_hex(const char *data, size_t len)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *hex = palloc(PG_SHA256_DIGEST_STRING_LENGTH);

	if (ctx == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) data, len) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
	{
		char	   *why = pstrdup(pg_cryptohash_error(ctx));

		pg_cryptohash_free(ctx);
		elog(ERROR, "could not compute a SHA-256 digest: %s", why);
	}
	pg_cryptohash_free(ctx);
	hex[hex_encode((const char *) digest, sizeof(digest), hex)] = '\0';
	return hex;
}

/* True for standard base64 (A-Z a-z 0-9 + /) padded with = to a multiple of 4. */
static bool
is_standard_base64(const char *s)
{
	size_t		len = strlen(s);
	size_t		pad;

	if (len == 0 || len % 4 != 0)
		return false;
	pad = (s[len - 1] == '=') + (s[len - 1] == '=' && s[len - 2] == '=');
	for (size_t i = 0; i < len - pad; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
			  (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '/'))
			return false;
	return true;
}

/* True when v (not JSON null) has the type t. */
static bool
udtf_value_ok(json_object *v, UdtfFieldType t)
{
	switch (t)
	{
		case UDTF_STRING:
			return json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0;
		case UDTF_STRINGS:
			if (!json_object_is_type(v, json_type_array))
				return false;
			for (size_t i = 0; i < json_object_array_length(v); i++)
				if (!udtf_value_ok(json_object_array_get_idx(v, i), UDTF_STRING))
					return false;
			return true;
		case UDTF_NUMBER:
			return (json_object_is_type(v, json_type_int) ||
					json_object_is_type(v, json_type_double)) && json_object_get_double(v) >= 0;
		case UDTF_INTEGER:
			return json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0;
		case UDTF_BOOLEAN:
			return json_object_is_type(v, json_type_boolean);
		case UDTF_OBJECT:
			return json_object_is_type(v, json_type_object);
	}
	return false;
}

/* The udtf_fields entry named key, or NULL. */
static const UdtfField *
udtf_field(const char *key)
{
	for (size_t i = 0; i < lengthof(udtf_fields); i++)
		if (strcmp(udtf_fields[i].name, key) == 0)
			return &udtf_fields[i];
	return NULL;
}

/*
 * A checksum field: lowercase hex SHA-256 of the text of field `of`, as it
 * is sent: the UTF-8 bytes json-c holds (in the server encoding they differ
 * for any non-ASCII character unless the database is UTF-8).
 */
static void
check_checksum(json_object *spec, const char *field, const char *of)
{
	const char *sum = json_string_field(spec, field);
	json_object *text;

	if (sum == NULL)
		return;
	if (!json_object_object_get_ex(spec, of, &text) ||
		!json_object_is_type(text, json_type_string))
		bad_udtf_spec(psprintf("field \"%s\" is given without \"%s\"", field, of), UDTF_SPEC_HINT);
	if (strlen(sum) != 64 || strspn(sum, "0123456789abcdef") != 64)
		bad_udtf_spec(psprintf("field \"%s\" is not 64 lowercase hex digits", field), SHA_HINT);
	if (strcmp(sum, sha256_hex(json_object_get_string(text),
							   json_object_get_string_len(text))) != 0)
		bad_udtf_spec(psprintf("field \"%s\" is not the SHA-256 of \"%s\"", field, of), SHA_HINT);
}

/*
 * Check udtf_spec against MaterializedViewUdtfEntry and the view's kind;
 * returns it as a json-c object to send unchanged.
 */
static json_object *
check_udtf_spec(Datum spec_datum, const char *kind)
{
	json_object *spec;
	struct json_object_iterator it;
	struct json_object_iterator end;

	if (strcmp(kind, "query") == 0)
		bad_udtf_spec("it must be NULL when kind is \"query\"",
					  "A query view runs no UDTF: leave udtf_spec out.");
	if (!JB_ROOT_IS_OBJECT(DatumGetJsonbP(spec_datum)))
		bad_udtf_spec("it must be a JSON object", UDTF_SPEC_HINT);
	spec = json_from_jsonb_arg(spec_datum, "udtf_spec");
	it = json_object_iter_begin(spec);
	end = json_object_iter_end(spec);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
	{
		const char *name = json_object_iter_peek_name(&it);

		if (udtf_field(name) == NULL)
			bad_udtf_spec(psprintf("unknown field \"%s\"",
								   validate_quote(pg_any_to_server(name, strlen(name), PG_UTF8))),
						  UDTF_SPEC_HINT);
	}
	for (size_t i = 0; i < lengthof(udtf_fields); i++)
	{
		const UdtfField *f = &udtf_fields[i];
		json_object *v = NULL;

		if (!json_object_object_get_ex(spec, f->name, &v) || v == NULL)
		{
			if (f->required)
				bad_udtf_spec(psprintf("field \"%s\" is required", f->name), UDTF_SPEC_HINT);
			continue;
		}
		if (!udtf_value_ok(v, f->type))
			bad_udtf_spec(psprintf("field \"%s\" must be %s", f->name,
								   udtf_type_names[f->type]), UDTF_SPEC_HINT);
		/* "kind" comes first in udtf_fields: a mismatch is reported before the rest */
		if (strcmp(f->name, "kind") == 0 && strcmp(json_object_get_string(v), kind) != 0)
			bad_udtf_spec(psprintf("field \"kind\" is \"%s\" but the view's kind is \"%s\"",
								   validate_quote(json_string_value(v)), kind),
						  "udtf_spec's own kind must equal the kind argument (udtf or chunker).");
		if (f->only_kind && strcmp(f->only_kind, kind) != 0)
			bad_udtf_spec(psprintf("field \"%s\" applies to kind \"%s\" only, not \"%s\"",
								   f->name, f->only_kind, kind), UDTF_SPEC_HINT);
	}
	if (json_string_field(spec, "partition_by") &&
		json_string_field(spec, "partition_by_indexed_column"))
		bad_udtf_spec("fields \"partition_by\" and \"partition_by_indexed_column\" exclude each other",
					  "Partition by a field's values or by an indexed column, not both.");
	if (!is_standard_base64(json_string_field(spec, "udtf")))
		bad_udtf_spec("field \"udtf\" is not standard base64",
					  "udtf is the base64 (A-Z a-z 0-9 + /, padded with =) of the UDTF's JSON envelope.");
	check_checksum(spec, "udtf_sha", "udtf");
	check_checksum(spec, "manifest_checksum", "manifest");
	return spec;
}

/* lance_check_output_schema, with a hint added to its 22023 error when it has none. */
static void
check_output_schema(const char *output_schema)
{
	MemoryContext mcxt = CurrentMemoryContext;

	PG_TRY();
	{
		lance_check_output_schema(output_schema);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(mcxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_INVALID_PARAMETER_VALUE || edata->hint != NULL)
			PG_RE_THROW();
		FlushErrorState();
		ereport(ERROR,
				(errcode(edata->sqlerrcode),
				 errmsg_internal("%s", edata->message),
				 edata->detail ? errdetail_internal("%s", edata->detail) : 0,
				 errhint("output_schema is the standard base64 of an Arrow IPC Schema message; "
						 "lance_arrow_schema('id bigint, body text') makes one.")));
	}
	PG_END_TRY();
}

/* A required text argument that must not be empty either. */
static char *
required_text(FunctionCallInfo fcinfo, int n, const char *argname)
{
	char	   *value;

	validate_required(PG_ARGISNULL(n), argname);
	value = text_to_cstring(PG_GETARG_TEXT_PP(n));
	if (value[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", argname)));
	return value;
}

/* read_reply of create: the version made, and the job that fills it (or none). */
void
lance_read_create(ApiCall *call)
{
	json_object *job;

	if (!json_int64_field(call->reply, "version", &call->version) || call->version < 0)
		api_bad_reply(call, "no non-negative integer \"version\" in the reply");
	if (json_object_object_get_ex(call->reply, "job_id", &job) && job != NULL &&
		!json_object_is_type(job, json_type_string))
		api_bad_reply(call, "\"job_id\" in the reply is neither a string nor null");
	call->has_version = true;
	call->remote_id = json_string_field(call->reply, "job_id");
	call->starts_execution = true;
	call->execution_view = call->view.full_name;
	call->view.last_execution_id = call->remote_id;
	json_add_child(call->view.definition, "version", json_object_new_int64(call->version));
}

/*
 * lance_mv_create(id, kind, source_query, output_schema, udtf_spec,
 *				   with_no_data, auto_refresh, delimiter)
 *	  POST /v1/materialized_view/{id}/create; returns (version, job_id).
 */
void
lance_create_prepare(FunctionCallInfo fcinfo, ApiCall *call)
{
	LanceId		id;
	char	   *kind;
	char	   *source_query;
	char	   *output_schema;
	json_object *spec = NULL;
	json_object *body;

	lance_id_arg(fcinfo, 0, 7, false, &id);
	kind = required_text(fcinfo, 1, "kind");
	if (strcmp(kind, "query") != 0 && strcmp(kind, "udtf") != 0 && strcmp(kind, "chunker") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid kind \"%s\"", validate_quote(kind)),
				 errhint("Use query (a query-backed view), udtf (a batch UDTF) or chunker (a 1:N chunker).")));
	source_query = required_text(fcinfo, 2, "source_query");
	validate_required(PG_ARGISNULL(3), "output_schema");
	output_schema = text_to_cstring(PG_GETARG_TEXT_PP(3));
	check_output_schema(output_schema);
	if (!PG_ARGISNULL(4))
		spec = check_udtf_spec(PG_GETARG_DATUM(4), kind);
	else if (strcmp(kind, "query") != 0)
		bad_udtf_spec(psprintf("it is required when kind is \"%s\"", kind), UDTF_SPEC_HINT);
	validate_required(PG_ARGISNULL(5), "with_no_data");
	validate_required(PG_ARGISNULL(6), "auto_refresh");

	body = json_new_object();
	json_add_string(body, "kind", kind);
	json_add_string(body, "source_query", source_query);
	json_add_string(body, "output_schema", output_schema);
	if (spec)
		json_add_child(body, "udtf_spec", json_object_get(spec));

	/*
	 * Both booleans go out even though the spec gives them defaults (true,
	 * false): the recorded request then states what was asked, and the view
	 * does not change meaning if a server's defaults differ from the spec.
	 */
	json_add_child(body, "with_no_data", json_object_new_boolean(PG_GETARG_BOOL(5)));
	json_add_child(body, "auto_refresh", json_object_new_boolean(PG_GETARG_BOOL(6)));

	require_view_owner(&lance_provider, NULL, id.key, id.joined, "replace", true);
	lance_view_prepare(call, &id, "create", id.joined,
					   lance_path(&id, "materialized_view", "create"), HTTP_RETRY_WRITE_503);
	call->body = body;
	call->read_reply = lance_read_create;
	call->view.change = VIEW_DEFINE;
	json_add_string(call->view.definition, "kind", kind);
}

/* lance_mv_create(...): sent now; returns (version, job_id). */
Datum
lance_mv_create(PG_FUNCTION_ARGS)
{
	ApiCall		call;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	lance_create_prepare(fcinfo, &call);
	(void) api_call(&call);
	values[0] = Int64GetDatum(call.version);
	values[1] = rows_text_or_null(call.remote_id, &nulls[1]);
	return rows_form(fcinfo, values, nulls);
}

/* The refresh body: only the options given; {} when none is. */
static json_object *
refresh_body(FunctionCallInfo fcinfo)
{
	json_object *body = json_new_object();
	char	   *cluster = rows_text_arg(fcinfo, REFRESH_ARG_CLUSTER);

	for (size_t i = 0; i < lengthof(refresh_ints); i++)
	{
		const RefreshInt *o = &refresh_ints[i];
		int64		value;

		if (PG_ARGISNULL(o->argno))
			continue;
		value = o->is_int4 ? PG_GETARG_INT32(o->argno) : PG_GETARG_INT64(o->argno);
		if (value < o->min)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must be %s, not " INT64_FORMAT, o->field,
							o->min == 0 ? "zero or more" : "positive", value),
					 errhint("Leave it NULL for the server's default.")));
		json_add_child(body, o->field, json_object_new_int64(value));
	}
	if (cluster)
	{
		if (cluster[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cluster must not be empty"),
					 errhint("Name a cluster of the deployment, or leave it NULL.")));
		json_add_string(body, "cluster", cluster);
	}

	/*
	 * The spec types manifest as string|null, "inline JSON-serialized
	 * GenevaManifest": the jsonb object is sent as its compact JSON text.
	 */
	if (!PG_ARGISNULL(REFRESH_ARG_MANIFEST))
	{
		if (!JB_ROOT_IS_OBJECT(PG_GETARG_JSONB_P(REFRESH_ARG_MANIFEST)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("manifest must be a JSON object"),
					 errhint("Pass the GenevaManifest itself as jsonb; it is sent as a JSON string holding it, as the API requires.")));
		json_add_string(body, "manifest",
						json_text(json_from_jsonb_arg(PG_GETARG_DATUM(REFRESH_ARG_MANIFEST),
													  "manifest")));
	}
	return body;
}

/* read_reply of refresh: the job started. */
void
lance_read_refresh(ApiCall *call)
{
	call->remote_id = api_reply_string(call, "job_id", true);
	call->starts_execution = true;
	call->execution_view = call->view.full_name;
	call->view.last_execution_id = call->remote_id;
}

/*
 * lance_mv_refresh(id, src_version, max_rows_per_fragment, concurrency,
 *					intra_applier_concurrency, source_task_size, output_limit,
 *					cluster, manifest, delimiter)
 *	  POST /v1/materialized_view/{id}/refresh with the options given; returns
 *	  (job_id).  While another session refreshes the same view, the call is
 *	  skipped (core/guard.c) and returns a row with a NULL job_id.
 */
void
lance_refresh_prepare(FunctionCallInfo fcinfo, ApiCall *call)
{
	LanceId		id;
	json_object *body;
	char	   *target;
	char	   *kind;

	lance_id_arg(fcinfo, 0, REFRESH_ARG_DELIMITER, false, &id);
	body = refresh_body(fcinfo);

	/*
	 * A view known to the catalog keeps its catalog name even when refreshed
	 * with another delimiter.  output_limit is for chunker views only:
	 * refused here when the catalog knows the view's kind; otherwise (a view
	 * created elsewhere, or dropped from the catalog) the server decides.
	 */
	target = lance_view_target(&id, &kind);
	if (!PG_ARGISNULL(REFRESH_ARG_OUTPUT_LIMIT) && kind != NULL && strcmp(kind, "chunker") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("output_limit is valid for chunker views only"),
				 errdetail("The catalog records \"%s\" as a view of kind \"%s\".",
						   validate_quote(target), validate_quote(kind)),
				 errhint("Leave output_limit NULL for query and udtf views.")));

	lance_view_prepare(call, &id, "refresh", target,
					   lance_path(&id, "materialized_view", "refresh"), HTTP_RETRY_WRITE_503);
	call->body = body;
	/* the view whatever the delimiter; its jobs are found by execution_view */
	call->guard_key = pstrdup(id.key);
	call->read_reply = lance_read_refresh;
	call->view.change = VIEW_ACTIVITY;
}

/* lance_mv_refresh(...): sent now; a skipped refresh returns a NULL job_id. */
Datum
lance_mv_refresh(PG_FUNCTION_ARGS)
{
	ApiCall		call;
	const char *job_id;
	Datum		value;
	bool		isnull;

	lance_refresh_prepare(fcinfo, &call);
	job_id = api_call(&call) == CALL_SKIPPED ? NULL : call.remote_id;
	value = rows_text_or_null(job_id, &isnull);
	return rows_form(fcinfo, &value, &isnull);
}

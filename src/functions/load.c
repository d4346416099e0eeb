/*-------------------------------------------------------------------------
 * load.c
 *	  dune_mv_load: a Dune execution's result into a local table.
 *
 * The result is read page by page (functions/results.c) and fed to
 * PostgreSQL's COPY FROM machinery (BeginCopyFrom with a data source
 * callback, then CopyFrom), so rows go in through the bulk path: batched
 * multi-inserts, indexes, constraints, triggers and partitions handled as
 * COPY handles them.  Each row becomes one line of COPY's text format,
 * written by functions/dune_types.c for the type of the column it goes
 * into; at most one page and 64 kB of COPY text are held at a time.
 *
 * A missing table is created from metadata.column_types (the mapping is in
 * dune_types.c; an unknown type becomes text, named in a NOTICE).  An
 * existing table keeps its definition: every result column must be one of
 * its columns (matched by name), the others get their defaults.
 *
 * replace: the table is locked in SHARE ROW EXCLUSIVE mode (no concurrent
 * writer or load; readers go on), its rows are deleted, the new ones copied
 * in, all in the caller's transaction.  DELETE rather than TRUNCATE: it is
 * MVCC-safe, so a reader sees the old rows until the transaction commits
 * and the new rows after, never a mix or an empty table, and is never
 * blocked (a TRUNCATE would block readers, and a reader whose snapshot
 * predates it would then see an empty table).  append: rows are added.
 * Any error (a page, a value, the cap, a cancel) aborts the caller's
 * transaction, which leaves the table exactly as it was (or absent).
 *
 * May call core/, catalog/ (dune_mv.loads), functions/results.c,
 * functions/dune_types.c and PostgreSQL's COPY.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/json_util.h"

#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/copy.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_relation.h"
#include "parser/scansup.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/timestamp.h"

#include "catalog/catalog.h"
#include "functions/dune_types.h"
#include "functions/load.h"
#include "functions/results.h"
#include "functions/validate.h"
#include "providers/dune.h"

#define COPY_CHUNK	65536		/* COPY text produced at a time */

PG_FUNCTION_INFO_V1(dune_mv_load);

/* One load in progress: what the COPY data source callback reads from. */
typedef struct LoadState
{
	ResultReader reader;
	LoadColumn *cols;			/* one per result column */
	JsonSpan   *values;			/* the row being written */
	StringInfoData buf;			/* COPY text not yet handed to COPY */
	int			pos;
	StringInfoData scratch;
	MemoryContext scratch_cxt;	/* reset for every chunk */
} LoadState;

/* The load the data source callback serves (COPY's callback takes no argument). */
static LoadState *current_load = NULL;

/* Write the next rows (about COPY_CHUNK bytes of COPY text) into st->buf. */
static void
refill(LoadState *st)
{
	MemoryContext old;
	JsonSpan	row;
	int			n = st->reader.ncolumns;

	MemoryContextReset(st->scratch_cxt);
	old = MemoryContextSwitchTo(st->scratch_cxt);
	resetStringInfo(&st->buf);
	st->pos = 0;
	while (st->buf.len < COPY_CHUNK && results_next_row(&st->reader, &row))
	{
		results_split_row(&st->reader, &row, st->values);
		for (int c = 0; c < n; c++)
		{
			if (c > 0)
				appendStringInfoChar(&st->buf, '\t');
			dune_copy_value(&st->cols[c], &st->values[c], &st->buf, &st->scratch);
		}
		appendStringInfoChar(&st->buf, '\n');
	}
	MemoryContextSwitchTo(old);
}

/* COPY's data source: the result as COPY text; 0 at its end. */
static int
load_read(void *outbuf, int minread, int maxread)
{
	LoadState  *st = current_load;
	int			n;

	if (st->pos >= st->buf.len)
		refill(st);
	n = Min(maxread, st->buf.len - st->pos);
	memcpy(outbuf, st->buf.data + st->pos, n);
	st->pos += n;
	return n;
}

/* The table's qualified, quoted name. */
static char *
qualified_name(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/* A column name as the table has it (identifiers longer than NAMEDATALEN-1 are cut). */
static char *
column_name(const char *name)
{
	char	   *n = pstrdup(name);

	truncate_identifier(n, strlen(n), false);
	return n;
}

/*
 * Checks on an existing target made before any network call: a table the
 * caller may insert into (and delete from, to replace), without row-level
 * security (which COPY FROM does not apply).
 */
static void
check_table(Oid relid, bool replace)
{
	char		relkind = get_rel_relkind(relid);
	AclMode		need = ACL_INSERT | (replace ? ACL_DELETE : 0);

	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", get_rel_name(relid)),
				 errhint("dune_mv_load loads into a table, or creates it when it does not exist.")));
	if (pg_class_aclmask(relid, GetUserId(), need, ACLMASK_ALL) != need)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, get_rel_name(relid));
	if (check_enable_rls(relid, InvalidOid, false) == RLS_ENABLED)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("dune_mv_load cannot load into \"%s\": it has row-level security",
						get_rel_name(relid)),
				 errhint("Load into a table without row-level security, then INSERT ... SELECT from it.")));
}

/* CREATE TABLE target with the result's columns, as the caller; returns its oid. */
static Oid
create_table(RangeVar *rv, ResultReader *r)
{
	StringInfoData sql;
	Oid			nsp = RangeVarGetCreationNamespace(rv);
	Oid			relid;

	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE TABLE %s (",
					 quote_qualified_identifier(get_namespace_name(nsp), rv->relname));
	for (int c = 0; c < r->ncolumns; c++)
	{
		bool		known;
		char	   *type = dune_type_to_pg(r->types[c], &known);

		if (!known)
			ereport(NOTICE,
					(errcode(ERRCODE_WARNING),
					 errmsg("column \"%s\" has the Dune type \"%s\", which is loaded as text",
							validate_quote(r->names[c]), validate_quote(r->types[c]))));
		appendStringInfo(&sql, "%s%s %s", c ? ", " : "", quote_identifier(r->names[c]), type);
	}
	appendStringInfoChar(&sql, ')');
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(sql.data, false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not create the target table");
	SPI_finish();
	relid = get_relname_relid(rv->relname, nsp);
	if (!OidIsValid(relid))
		elog(ERROR, "the table created for the result is not found");
	return relid;
}

/* DELETE every row of the table, as the caller (replace). */
static void
delete_rows(Oid relid)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(psprintf("DELETE FROM %s", qualified_name(relid)), false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not delete the rows of the target table");
	SPI_finish();
}

/* Match the result's columns to the table's; returns COPY's column list. */
static List *
match_columns(LoadState *st, Oid relid)
{
	ResultReader *r = &st->reader;
	List	   *names = NIL;

	st->cols = palloc(sizeof(LoadColumn) * r->ncolumns);
	for (int c = 0; c < r->ncolumns; c++)
	{
		char	   *name = column_name(r->names[c]);
		AttrNumber	att = get_attnum(relid, name);

		if (att == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of the result is not a column of table \"%s\"",
							validate_quote(r->names[c]), get_rel_name(relid)),
					 errhint("Add the column, or load into a new table (dune_mv_load creates it).")));
		dune_column_init(&st->cols[c], name, r->types[c], get_atttype(relid, att));
		names = lappend(names, makeString(name));
	}
	return names;
}

/* COPY the result into rel (opened and locked); returns the rows loaded. */
static uint64
copy_result(LoadState *st, Relation rel, List *attnames)
{
	ParseState *pstate = make_parsestate(NULL);
	ParseNamespaceItem *nsitem;
	CopyFromState cstate;
	List	   *options;
	LoadState  *outer;
	uint64		rows;

	nsitem = addRangeTableEntryForRelation(pstate, rel, RowExclusiveLock, NULL, false, false);
	nsitem->p_rte->requiredPerms = ACL_INSERT;
	for (int c = 0; c < st->reader.ncolumns; c++)
		nsitem->p_rte->insertedCols =
			bms_add_member(nsitem->p_rte->insertedCols,
						   get_attnum(RelationGetRelid(rel), st->cols[c].name) -
						   FirstLowInvalidHeapAttributeNumber);
	(void) ExecCheckRTPerms(pstate->p_rtable, true);

	options = list_make1(makeDefElem("encoding", (Node *) makeString("UTF8"), -1));
	outer = current_load;		/* a load run by a trigger of another load */
	current_load = st;
	cstate = BeginCopyFrom(pstate, rel, NULL, NULL, false, load_read, attnames, options);
	rows = CopyFrom(cstate);
	EndCopyFrom(cstate);
	current_load = outer;
	return rows;
}

/* The columns as dune_mv.loads records them: [{name, dune_type, column_type}]. */
static json_object *
columns_record(LoadState *st, Oid relid)
{
	json_object *arr = json_owned(json_object_new_array());

	for (int c = 0; c < st->reader.ncolumns; c++)
	{
		json_object *col = json_object_new_object();

		json_object_array_add(arr, col);
		json_add_string(col, "name", st->cols[c].name);
		json_add_string(col, "dune_type", st->cols[c].dune_type);
		json_add_string(col, "column_type",
						format_type_be(get_atttype(relid, get_attnum(relid, st->cols[c].name))));
	}
	return arr;
}

/*
 * Check a load's arguments and the caller's rights on its target, before
 * any network call (dune_mv_load and dune_mv_load_async alike); returns
 * the target's oid, or InvalidOid when it is to be created.
 */
Oid
load_check(const char *source, const char *target, const char *mode, RangeVar **rv)
{
	Oid			relid;
	Oid			nsp;

	results_check_source(source);
	if (strcmp(mode, "replace") != 0 && strcmp(mode, "append") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid mode \"%s\"", validate_quote(mode)),
				 errhint("mode is replace (the default) or append.")));
	*rv = makeRangeVarFromNameList(stringToQualifiedNameList(target));
	relid = RangeVarGetRelid(*rv, NoLock, true);
	if (OidIsValid(relid))
	{
		check_table(relid, mode[0] == 'r');
		return relid;
	}
	nsp = RangeVarGetCreationNamespace(*rv);
	if (pg_namespace_aclcheck(nsp, GetUserId(), ACL_CREATE) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_SCHEMA, get_namespace_name(nsp));
	return InvalidOid;
}

/*
 * Load source's result (an execution, or a view's latest successful one)
 * into table target; records the load and returns the rows loaded, with
 * the execution in *execution_id.  Used by dune_mv_load and by the queued
 * load's runner (worker/load_runner.c).
 */
int64
load_run(const char *source, const char *target, const char *mode, char **execution_id)
{
	bool		replace = mode[0] == 'r';
	RangeVar   *rv;
	Oid			relid = load_check(source, target, mode, &rv);
	LoadState  *st;
	Relation	rel;
	List	   *attnames;
	uint64		rows;
	TimestampTz start = GetCurrentTimestamp();
	LoadRecord	record;

	st = palloc0(sizeof(LoadState));
	st->reader.limit = -1;
	results_begin(&st->reader, results_resolve_source(source));
	if (!OidIsValid(relid))
		relid = create_table(rv, &st->reader);
	rel = table_open(relid, replace ? ShareRowExclusiveLock : RowExclusiveLock);
	attnames = match_columns(st, relid);
	if (replace)
		delete_rows(relid);

	st->values = palloc(sizeof(JsonSpan) * st->reader.ncolumns);
	initStringInfo(&st->buf);
	initStringInfo(&st->scratch);
	st->scratch_cxt = AllocSetContextCreate(CurrentMemoryContext, "dune_mv load rows",
											ALLOCSET_DEFAULT_SIZES);
	rows = copy_result(st, rel, attnames);
	table_close(rel, NoLock);

	memset(&record, 0, sizeof(record));
	record.provider = &dune_provider;
	record.target = qualified_name(relid);
	record.relid = relid;
	record.source = source;
	record.execution_id = st->reader.execution_id;
	record.mode = mode;
	record.rows = (int64) rows;
	record.pages = st->reader.pages;
	record.columns = columns_record(st, relid);
	record.duration_ms = (double) (GetCurrentTimestamp() - start) / 1000.0;
	catalog_record_load(&record);
	*execution_id = st->reader.execution_id;
	return (int64) rows;
}

/* The (source, target, mode) arguments of dune_mv_load and dune_mv_load_async, none NULL. */
void
load_args(FunctionCallInfo fcinfo, char **source, char **target, char **mode)
{
	validate_required(PG_ARGISNULL(0), "source");
	validate_required(PG_ARGISNULL(1), "target");
	validate_required(PG_ARGISNULL(2), "mode");
	*source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	*target = text_to_cstring(PG_GETARG_TEXT_PP(1));
	*mode = text_to_cstring(PG_GETARG_TEXT_PP(2));
}

/*
 * dune_mv_load(source, target, mode)
 *	  Load an execution's result (or a view's latest successful one) into
 *	  table target; returns the rows loaded and the execution.
 */
Datum
dune_mv_load(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *source;
	char	   *target;
	char	   *mode;
	char	   *execution_id;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	load_args(fcinfo, &source, &target, &mode);
	InitMaterializedSRF(fcinfo, 0);
	values[0] = Int64GetDatum(load_run(source, target, mode, &execution_id));
	values[1] = CStringGetTextDatum(execution_id);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

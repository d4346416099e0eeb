/*-------------------------------------------------------------------------
 * pg_shim_rows.c
 *	  Rows and sets, settings, interrupts, recovery.
 *	  Part of the backend stand-in of the fuzz targets (see pg_shim.c).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

#include "access/htup_details.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/elog.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "fuzz_shim.h"
#include "pg_shim_internal.h"

/* ---------------------------------------------------------------------
 * Rows and sets: formed, then dropped
 * ---------------------------------------------------------------------
 */
TypeFuncClass
get_call_result_type(FunctionCallInfo fcinfo, Oid *resultTypeId, TupleDesc *resultTupleDesc)
{
	if (resultTypeId)
		*resultTypeId = RECORDOID;
	if (resultTupleDesc)
		*resultTupleDesc = NULL;
	return TYPEFUNC_COMPOSITE;
}

TupleDesc
BlessTupleDesc(TupleDesc tupdesc)
{
	return tupdesc;
}

HeapTuple
heap_form_tuple(TupleDesc tupleDescriptor, Datum *values, bool *isnull)
{
	HeapTuple	tuple = palloc0(HEAPTUPLESIZE + sizeof(HeapTupleHeaderData));

	tuple->t_data = (HeapTupleHeader) ((char *) tuple + HEAPTUPLESIZE);
	return tuple;
}

Datum
HeapTupleHeaderGetDatum(HeapTupleHeader tuple)
{
	return PointerGetDatum(tuple);
}

void
InitMaterializedSRF(FunctionCallInfo fcinfo, bits32 flags)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo))
		shim_fail("InitMaterializedSRF without a ReturnSetInfo");
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = (Tuplestorestate *) palloc0(16);
	rsinfo->setDesc = NULL;
}

int			shim_tuplestore_rows = 0;

void
tuplestore_putvalues(Tuplestorestate *state, TupleDesc tdesc, Datum *values, bool *isnull)
{
	if (state == NULL)
		shim_fail("tuplestore_putvalues without a tuplestore");
	shim_tuplestore_rows++;
}

FuncCallContext *
init_MultiFuncCall(PG_FUNCTION_ARGS)
{
	unexpected("init_MultiFuncCall");
	return NULL;
}

FuncCallContext *
per_MultiFuncCall(PG_FUNCTION_ARGS)
{
	unexpected("per_MultiFuncCall");
	return NULL;
}

void
end_MultiFuncCall(PG_FUNCTION_ARGS, FuncCallContext *funcctx)
{
	unexpected("end_MultiFuncCall");
}

/* ---------------------------------------------------------------------
 * The rest: settings, interrupts, recovery
 * ---------------------------------------------------------------------
 */
void
DefineCustomIntVariable(const char *name, const char *short_desc, const char *long_desc,
						int *valueAddr, int bootValue, int minValue, int maxValue,
						GucContext context, int flags, GucIntCheckHook check_hook,
						GucIntAssignHook assign_hook, GucShowHook show_hook)
{
	*valueAddr = bootValue;
}

void
ProcessInterrupts(void)
{
	InterruptPending = false;
}

bool
RecoveryInProgress(void)
{
	return false;
}

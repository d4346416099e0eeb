/*-------------------------------------------------------------------------
 * multi.h
 *	  Many transfers at once (the background worker's transport).
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_MULTI_H
#define DUNE_MV_MULTI_H

#include "portability/instr_time.h"

#include "transport/transfer.h"

typedef struct MultiTransfer
{
	CURL	   *easy;
	TransferState st;
	instr_time	start;
	bool		done;
	CURLcode	rc;
} MultiTransfer;

extern void multi_start(MultiTransfer *t, const HttpRequest *req, long timeout_ms);
extern int	multi_run(long timeout_ms);
extern AttemptOutcome multi_finish(MultiTransfer *t, HttpResponse *resp);
extern void multi_abort(MultiTransfer *t);
extern void multi_free(MultiTransfer *t);

#endif

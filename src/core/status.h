/*-------------------------------------------------------------------------
 * status.h
 *	  Executions and jobs read the same way for every provider.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_STATUS_H
#define DUNE_MV_STATUS_H

#include "core/call.h"

extern void status_prepare(ApiCall *call, const Provider *provider, const char *id,
						   TrackedExecution *exec);
extern bool status_succeeded(const ProviderStatus *st, const TrackedExecution *exec);
extern bool status_parse_time(const char *text, TrackedTime *out);

#endif

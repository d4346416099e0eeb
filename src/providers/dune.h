/*-------------------------------------------------------------------------
 * dune.h
 *	  The Dune API: its descriptor and request builders.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_DUNE_H
#define DUNE_MV_DUNE_H

#include "core/provider.h"

extern const Provider dune_provider;

extern char *dune_view_path(const char *name, const char *suffix);
extern const char *dune_short_name(const char *full_name);

#endif

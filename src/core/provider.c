/*-------------------------------------------------------------------------
 * provider.c
 *	  The registry of remote APIs: one line per provider descriptor.
 *
 * Adding a provider: its descriptor and request builders in one file under
 * src/providers/, its line here, its SQL in sql/install/ (see the README's
 * architecture section).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/provider.h"
#include "providers/dune.h"
#include "providers/lance.h"

const Provider *const provider_registry[] = {
	&dune_provider,
	&lance_provider,
	NULL
};

/*
 * The last dotted part of a view's name: the bare name of a Dune view named
 * fully (dune.<team>.<name>), the name itself when it has no dot.
 */
const char *
view_last_part(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot ? dot + 1 : name;
}

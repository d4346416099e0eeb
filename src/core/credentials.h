/*-------------------------------------------------------------------------
 * credentials.h
 *	  Reading a provider's credential at send time.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_CREDENTIALS_H
#define DUNE_MV_CREDENTIALS_H

#include "core/provider.h"

extern char *credential_read(const ProviderCredential *cred);
extern void credential_wipe(char *value);

#endif

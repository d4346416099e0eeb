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
extern char **credential_file_variable(const ProviderCredential *cred);
extern const char *credential_file_value(const ProviderCredential *cred);

#endif

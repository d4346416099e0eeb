/*-------------------------------------------------------------------------
 * credentials.c
 *	  Reading a provider's credential (an API key, a token, a database name)
 *	  at send time, and wiping the copies made of it.
 *
 * A credential comes from its setting (postgresql.conf or ALTER SYSTEM).
 * A value holding a control character is refused (it would inject a
 * header).  Callers wipe the copy they get with credential_wipe.  May call
 * nothing outside core/.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/credentials.h"

/*
 * A palloc'd copy of the credential's value, or NULL when it is not set;
 * a control character is refused.
 */
char *
credential_read(const ProviderCredential *cred)
{
	const char *value = *cred->value;

	if (value == NULL || value[0] == '\0')
		return NULL;
	for (const unsigned char *p = (const unsigned char *) value; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("%s contains a control character", cred->setting),
					 errhint("A superuser sets it again in postgresql.conf or with ALTER SYSTEM.")));
	return pstrdup(value);
}

/* Overwrite a string that may hold a secret, then free it. */
void
credential_wipe(char *value)
{
	if (value == NULL)
		return;
	explicit_bzero(value, strlen(value));
	pfree(value);
}

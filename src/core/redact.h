/*-------------------------------------------------------------------------
 * redact.h
 *	  Keeping API keys out of messages and the server log.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_REDACT_H
#define DUNE_MV_REDACT_H

extern void redact_init(void);
extern void redact_secrets(char *text);

#endif

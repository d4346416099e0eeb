/*-------------------------------------------------------------------------
 * redact.c
 *	  Keeping API keys out of messages and the server log.
 *
 * PostgreSQL itself can write a setting's value to the log: on reload it
 * logs 'parameter "x" changed to "value"' at LOG, and log_statement logs an
 * ALTER SYSTEM SET of a key setting = '...' verbatim.  An emit_log_hook,
 * installed when the library is preloaded (so in the postmaster and every
 * backend), masks in every message: the current values of the secret
 * settings, and the literal assigned to any of them in statement text.  The
 * secret settings are the providers' credentials marked secret.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "tcop/tcopprot.h"
#include "utils/elog.h"

#include "core/provider.h"
#include "core/redact.h"

#define MIN_SECRET_LEN 4

static emit_log_hook_type prev_emit_log_hook = NULL;

/* Loop over every secret credential of every provider. */
#define foreach_secret(cred) \
	foreach_provider(provider_) \
		for (const ProviderCredential *cred = provider_->credentials; \
			 cred < provider_->credentials + provider_->ncredentials; cred++) \
			if (cred->secret)

/* The setting's name without "dune_mv.", as statements may spell it after a dot. */
static const char *
setting_suffix(const char *setting)
{
	const char *dot = strchr(setting, '.');

	return dot ? dot + 1 : setting;
}

/* Overwrite every occurrence of secret in text with asterisks. */
static void
mask_value(char *text, const char *secret)
{
	size_t		n;
	char	   *p;

	if (secret == NULL || (n = strlen(secret)) < MIN_SECRET_LEN)
		return;
	while ((p = strstr(text, secret)) != NULL)
		memset(p, '*', n);
}

/*
 * Mask what follows a secret setting's name up to the end of the statement
 * or line, whatever the quoting ('...', E'...', $$...$$, set_config(...)):
 * a value being assigned is not yet the current one, so mask_value cannot
 * find it.
 */
static void
mask_assignment(char *text, const char *setting)
{
	char	   *p = text;

	while ((p = strstr(p, setting)) != NULL)
	{
		p += strlen(setting);
		for (; *p && *p != ';' && *p != '\n'; p++)
			if (*p != ' ')
				*p = '*';
	}
}

/* Mask every secret (current values, and literals assigned to them) in text. */
void
redact_secrets(char *text)
{
	if (text == NULL)
		return;
	foreach_secret(cred)
		mask_value(text, *cred->value);
	foreach_secret(cred)
		mask_assignment(text, setting_suffix(cred->setting));
}

/* True when secret is set (long enough to matter) and occurs in text. */
static bool
contains_value(const char *text, const char *secret)
{
	return secret != NULL && strlen(secret) >= MIN_SECRET_LEN && strstr(text, secret) != NULL;
}

/*
 * True when the statement being run names a secret setting or holds a
 * secret's value.  Allocates nothing: it runs while an error is reported.
 */
static bool
statement_mentions_secret(void)
{
	const char *stmt = debug_query_string;

	if (stmt == NULL)
		return false;
	foreach_secret(cred)
		if (strstr(stmt, setting_suffix(cred->setting)) != NULL ||
			contains_value(stmt, *cred->value))
			return true;
	return false;
}

/*
 * emit_log_hook: redact every text part of the report, and keep the
 * statement text (logged as STATEMENT: from debug_query_string, which the
 * hook cannot edit) out of the log when it names a secret; then chain.
 */
static void
redact_log_hook(ErrorData *edata)
{
	if (statement_mentions_secret())
		edata->hide_stmt = true;
	redact_secrets(edata->message);
	redact_secrets(edata->detail);
	redact_secrets(edata->detail_log);
	redact_secrets(edata->hint);
	redact_secrets(edata->context);
	redact_secrets(edata->internalquery);
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

/* Install the log hook; called from _PG_init. */
void
redact_init(void)
{
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = redact_log_hook;
}

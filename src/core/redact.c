/*-------------------------------------------------------------------------
 * redact.c
 *	  Keeping API keys out of messages and the server log.
 *
 * PostgreSQL itself can write a setting's value to the log: on reload it
 * logs 'parameter "x" changed to "value"' at LOG, and log_statement logs an
 * ALTER SYSTEM SET of a key setting = '...' verbatim.  An emit_log_hook,
 * installed when the library is preloaded (so in the postmaster and every
 * backend), masks in every message the current values of the secret settings
 * (and the values last read from their files), and the values assigned to
 * any of them in statement text.  The secret settings are the providers'
 * credentials marked secret.
 *
 * Values in text are found by scanning it as SQL: quoted strings ('', E'',
 * U&'', $tag$...$tag$, ""), comments and the end of a statement (';' outside
 * quotes) are understood.  A secret setting is named when its name without
 * "dune_mv." appears, in any case, as a whole word or inside a quoted string
 * or comment.  From there to the end of the statement, every quoted string
 * and comment is masked, and after "=" or "TO" every bare word too.  When
 * the name is inside a longer quoted string or comment (a DO body, a
 * function body, a CONTEXT line quoting a statement), everything after the
 * name to the end of the text is masked.  Setting
 * names, keywords and punctuation stay as they are, so a message that merely
 * names a setting reads as written.  When the statement being run or a
 * message names a secret, the message's other parts (detail, context, ...)
 * are scanned as if named from their start (a bound parameter's value is
 * logged in the DETAIL), and the STATEMENT: line is left out.  Masks keep the
 * length of what they replace.  Names written with Unicode escapes
 * (U&"dune\005fapi\005fkey") or computed at run time ('dune_mv.dune_' ||
 * 'api_key') are not recognised: give keys through files.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "parser/parser.h"
#include "tcop/tcopprot.h"
#include "utils/elog.h"

#include "core/credentials.h"
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

typedef enum TokenKind
{
	TOKEN_SPACE,
	TOKEN_WORD,					/* letters, digits, _, $ and non-ASCII bytes */
	TOKEN_QUOTED,				/* a quoted string or identifier */
	TOKEN_COMMENT,
	TOKEN_SEMICOLON,
	TOKEN_OTHER					/* one punctuation character */
} TokenKind;

/* One token of a text scanned as SQL; inner is what quotes or comment marks enclose. */
typedef struct Token
{
	TokenKind	kind;
	char	   *start;
	char	   *end;
	char	   *inner;
	char	   *inner_end;
} Token;

/* True for a byte that continues an SQL identifier. */
static bool
is_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
}

/* True for SQL whitespace. */
static bool
is_space_byte(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The setting's name without "dune_mv.", as statements may spell it after a dot. */
static const char *
setting_suffix(const char *setting)
{
	const char *dot = strchr(setting, '.');

	return dot ? dot + 1 : setting;
}

/*
 * Where the first secret setting's name in [p, end) ends, or NULL: a name in
 * any case, not inside a longer word.
 */
static char *
find_secret_name(char *p, char *end)
{
	for (char *at = p; at < end; at++)
	{
		if (at > p && is_word_byte((unsigned char) at[-1]))
			continue;
		foreach_secret(cred)
		{
			const char *name = setting_suffix(cred->setting);
			size_t		len = strlen(name);

			if ((size_t) (end - at) >= len && pg_strncasecmp(at, name, len) == 0 &&
				(at + len == end || !is_word_byte((unsigned char) at[len])))
				return at + len;
		}
	}
	return NULL;
}

/* Overwrite [p, end) with asterisks, keeping whitespace. */
static void
mask_span(char *p, char *end)
{
	for (; p < end; p++)
		if (!is_space_byte((unsigned char) *p))
			*p = '*';
}

/* The end of a quoted run opened before p and closed by quote (doubled inside). */
static char *
skip_quoted(char *p, char *end, char quote, bool backslash, char **inner_end)
{
	while (p < end)
	{
		if (backslash && *p == '\\' && p + 1 < end)
			p += 2;
		else if (*p == quote && p + 1 < end && p[1] == quote)
			p += 2;
		else if (*p == quote)
		{
			*inner_end = p;
			return p + 1;
		}
		else
			p++;
	}
	*inner_end = end;
	return end;
}

/* If p starts a dollar quote ($$ or $tag$), the length of its delimiter; else 0. */
static size_t
dollar_delimiter(const char *p, const char *end)
{
	const char *q = p + 1;

	if (q < end && !(*q >= '0' && *q <= '9'))
		while (q < end && *q != '$' && is_word_byte((unsigned char) *q))
			q++;
	return (q < end && *q == '$') ? (size_t) (q - p + 1) : 0;
}

/* Read the token at p (p < end) into tok; returns where the next one starts. */
static char *
next_token(char *p, char *end, Token *tok)
{
	size_t		delim;

	tok->start = tok->inner = p;
	tok->kind = TOKEN_OTHER;
	tok->end = tok->inner_end = p + 1;
	if (is_space_byte((unsigned char) *p))
	{
		tok->kind = TOKEN_SPACE;
		while (tok->end < end && is_space_byte((unsigned char) *tok->end))
			tok->end++;
	}
	else if (*p == ';')
		tok->kind = TOKEN_SEMICOLON;
	else if (*p == '-' && p + 1 < end && p[1] == '-')
	{
		char	   *eol = memchr(p, '\n', end - p);

		tok->kind = TOKEN_COMMENT;
		tok->inner = p + 2;
		tok->end = tok->inner_end = eol ? eol : end;
	}
	else if (*p == '/' && p + 1 < end && p[1] == '*')
	{
		int			depth = 1;
		char	   *q = p + 2;

		tok->kind = TOKEN_COMMENT;
		tok->inner = q;
		while (q < end && depth > 0)
		{
			if (*q == '/' && q + 1 < end && q[1] == '*')
			{
				depth++;
				q++;
			}
			else if (*q == '*' && q + 1 < end && q[1] == '/')
			{
				depth--;
				q++;
			}
			q++;
		}
		tok->end = q;
		tok->inner_end = depth > 0 ? end : q - 2;
	}
	else if (*p == '\'' || *p == '"')
	{
		tok->kind = TOKEN_QUOTED;
		tok->inner = p + 1;
		tok->end = skip_quoted(p + 1, end, *p, *p == '\'' && !standard_conforming_strings,
							   &tok->inner_end);
	}
	else if (*p == '$' && (delim = dollar_delimiter(p, end)) > 0)
	{
		char	   *q = p + delim;

		tok->kind = TOKEN_QUOTED;
		tok->inner = q;
		while (q < end && !((size_t) (end - q) >= delim && memcmp(q, p, delim) == 0))
			q++;
		tok->inner_end = q;
		tok->end = q < end ? q + delim : end;
	}
	else if (is_word_byte((unsigned char) *p))
	{
		tok->kind = TOKEN_WORD;
		while (tok->end < end && is_word_byte((unsigned char) *tok->end))
			tok->end++;
		/* E'...' takes backslash escapes; U&'...' and U&"..." are quoted too */
		if (tok->end - p == 1 && (*p == 'E' || *p == 'e') && tok->end < end && *tok->end == '\'')
		{
			tok->kind = TOKEN_QUOTED;
			tok->inner = p + 2;
			tok->end = skip_quoted(p + 2, end, '\'', true, &tok->inner_end);
		}
		else if (tok->end - p == 1 && (*p == 'U' || *p == 'u') && end - tok->end >= 2 &&
				 tok->end[0] == '&' && (tok->end[1] == '\'' || tok->end[1] == '"'))
		{
			tok->kind = TOKEN_QUOTED;
			tok->inner = p + 3;
			tok->end = skip_quoted(p + 3, end, p[2], false, &tok->inner_end);
		}
	}
	return tok->end;
}

/*
 * Mask the values assigned to secret settings in text, scanned as SQL (see
 * the file's header).  named: the text comes after a secret's name already.
 */
static void
mask_assignments(char *text, bool named)
{
	char	   *p = text;
	char	   *end = text + strlen(text);
	bool		after_name = false; /* only spaces and comments since the name */
	bool		assigning = false;	/* after "name =" or "name TO" */
	Token		tok;

	while (p < end)
	{
		char	   *name_end;

		p = next_token(p, end, &tok);
		switch (tok.kind)
		{
			case TOKEN_SPACE:
				break;
			case TOKEN_SEMICOLON:
				named = after_name = assigning = false;
				break;
			case TOKEN_QUOTED:
			case TOKEN_COMMENT:
				if ((name_end = find_secret_name(tok.inner, tok.inner_end)) != NULL)
				{
					if (name_end < tok.inner_end)
					{
						/* a body or quoted statement that names a key */
						mask_span(name_end, end);
						return;
					}
					named = after_name = true;
					break;
				}
				if (named)
					mask_span(tok.inner, tok.inner_end);
				if (tok.kind == TOKEN_QUOTED)
					after_name = false;
				break;
			case TOKEN_WORD:
				if (find_secret_name(tok.start, tok.end) != NULL)
				{
					named = after_name = true;
					break;
				}
				if (after_name && tok.end - tok.start == 2 && pg_strncasecmp(tok.start, "to", 2) == 0)
					assigning = true;
				else if (assigning)
					mask_span(tok.start, tok.end);
				after_name = false;
				break;
			case TOKEN_OTHER:
				if (after_name && *tok.start == '=')
					assigning = true;
				after_name = false;
				break;
		}
	}
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

/* Mask the known values of every secret, then the values assigned in text. */
static void
redact_text(char *text, bool named)
{
	if (text == NULL)
		return;
	mask_assignments(text, named);
	foreach_secret(cred)
	{
		mask_value(text, *cred->value);
		mask_value(text, credential_file_value(cred));
	}
}

/* Mask every secret (known values, and values assigned to them) in text. */
void
redact_secrets(char *text)
{
	redact_text(text, false);
}

/* True when secret is set (long enough to matter) and occurs in text. */
static bool
contains_value(const char *text, const char *secret)
{
	return secret != NULL && strlen(secret) >= MIN_SECRET_LEN && strstr(text, secret) != NULL;
}

/* True when text names a secret setting.  Allocates nothing. */
static bool
names_secret(const char *text)
{
	return text != NULL && find_secret_name((char *) text, (char *) text + strlen(text)) != NULL;
}

/*
 * True when text names a secret setting or holds a known secret value.
 * Allocates nothing: it runs while an error is reported.
 */
static bool
mentions_secret(const char *text)
{
	if (text == NULL)
		return false;
	if (names_secret(text))
		return true;
	foreach_secret(cred)
		if (contains_value(text, *cred->value) ||
			contains_value(text, credential_file_value(cred)))
			return true;
	return false;
}

/*
 * emit_log_hook: redact every text part of the report, and keep the
 * statement text (logged as STATEMENT: from debug_query_string, which the
 * hook cannot edit) out of the log when it names a secret; then chain.  When
 * the statement names a secret, a message that does not (a syntax error
 * quoting part of a value) is masked as if it came after the name; when the
 * statement or the message does, so are the other parts.
 */
static void
redact_log_hook(ErrorData *edata)
{
	bool		in_statement = mentions_secret(debug_query_string);
	bool		named = in_statement || mentions_secret(edata->message);

	if (in_statement)
		edata->hide_stmt = true;
	redact_text(edata->message, in_statement && !names_secret(edata->message));
	redact_text(edata->detail, named);
	redact_text(edata->detail_log, named);
	redact_text(edata->hint, named);
	redact_text(edata->context, named);
	redact_text(edata->internalquery, named);
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

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
 * credentials marked secret.  Only values are masked: a message that holds
 * none reads exactly as written.
 *
 * Values in text are found by scanning it as SQL: quoted strings ('', E'',
 * U&'', $tag$...$tag$, ""), comments and the end of a statement (';' outside
 * quotes) are understood.  A secret setting is named when its name without
 * "dune_mv." appears, in any case, as a whole word or inside a quoted string
 * or comment.  From there to the end of the statement, every quoted string
 * and comment is masked, and after "=" or "TO" every bare word too.  When
 * the name is inside a longer quoted string or comment that may hold a value
 * after it (a DO body, a function body, a CONTEXT line quoting a statement:
 * anything after the name but letters, digits, "_", "." and ";"),
 * everything after the name to the end of the text is masked; a quoted
 * name followed by such characters only (unrecognized configuration
 * parameter "dune_mv.dune_api_key.x") is a name, not a body.  Setting
 * names, keywords and punctuation stay as they are.  Masks keep the length
 * of what they replace.
 *
 * Each part of a report (message, detail, hint, context, ...) is scanned so
 * on its own, reading the part as it was (a copy) and masking the part.
 * When the statement being run names a secret or holds a known value, its
 * values (masked in a copy of the statement the same way, known values
 * included) are masked where a part repeats them: where the part holds the
 * statement (log_statement's line), and in each quoted string of the part
 * found in the statement over a masked value (a syntax error quoting a
 * piece of a value); other quoted strings, and so messages about anything
 * else, are left alone.  When the statement or a part names a secret, the
 * values bound to parameters ("parameters: $1 = '...'") are masked too, and
 * when the statement names a secret or holds a known value, the STATEMENT:
 * line is left out.  Names written with Unicode escapes
 * (U&"dune\005fapi\005fkey") or computed at run time ('dune_mv.dune_' ||
 * 'api_key') are not recognised: give keys through files.
 *
 * The hook allocates copies of the texts it scans, without raising on a
 * failure: a part that cannot be copied is masked whole (but its white
 * space), and a statement that cannot be copied makes every quoted string
 * of every part masked.
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

/*
 * Bytes compared while looking for a part's quoted strings in the statement
 * (per report); beyond it, every remaining quoted string is masked.
 */
#define FRAGMENT_WORK_MAX ((size_t) 64 * 1024 * 1024)

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
	const char *start;
	const char *end;
	const char *inner;
	const char *inner_end;
} Token;

/*
 * A text being redacted: src is the text as it was, which is scanned; dst
 * is the text itself, where masks go (at the same offsets).  They are the
 * same buffer only when no copy could be made.
 */
typedef struct Masker
{
	const char *src;
	char	   *dst;
} Masker;

/*
 * The statement being run, when it names a secret or holds a known value:
 * masked is a copy with the values masked (known ones, and those assigned).
 */
typedef struct Statement
{
	const char *text;
	size_t		len;
	char	   *masked;			/* NULL when it could not be copied */
	size_t		work_left;		/* FRAGMENT_WORK_MAX, spent by repeats_value */
} Statement;

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
static const char *
find_secret_name(const char *p, const char *end)
{
	for (const char *at = p; at < end; at++)
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

/*
 * True when [p, end), what follows a secret's name inside a quoted string or
 * comment, may hold a value: anything but letters, digits, "_", "." and ";"
 * (what a quoted name such as "dune_mv.dune_api_key.x" goes on with).
 */
static bool
may_hold_value(const char *p, const char *end)
{
	for (; p < end; p++)
		if (!((is_word_byte((unsigned char) *p) && *p != '$') || *p == '.' || *p == ';'))
			return true;
	return false;
}

/* Mask [p, end) of the scanned text, keeping whitespace. */
static void
mask_span(const Masker *m, const char *p, const char *end)
{
	for (; p < end; p++)
		if (!is_space_byte((unsigned char) *p))
			m->dst[p - m->src] = '*';
}

/* The end of a quoted run opened before p and closed by quote (doubled inside). */
static const char *
skip_quoted(const char *p, const char *end, char quote, bool backslash, const char **inner_end)
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
static const char *
next_token(const char *p, const char *end, Token *tok)
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
		const char *eol = memchr(p, '\n', end - p);

		tok->kind = TOKEN_COMMENT;
		tok->inner = p + 2;
		tok->end = tok->inner_end = eol ? eol : end;
	}
	else if (*p == '/' && p + 1 < end && p[1] == '*')
	{
		int			depth = 1;
		const char *q = p + 2;

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
		const char *q = p + delim;

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
 * Mask the values assigned to secret settings in [text, end) of m's text,
 * scanned as SQL (see the file's header).  named: the text comes after a
 * secret's name already.
 */
static void
mask_assignments(const Masker *m, const char *text, const char *end, bool named)
{
	const char *p = text;
	bool		after_name = false; /* only spaces and comments since the name */
	bool		assigning = false;	/* after "name =" or "name TO" */
	Token		tok;

	while (p < end)
	{
		const char *name_end;

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
					if (may_hold_value(name_end, tok.inner_end))
					{
						/* a body or quoted statement that names a key */
						mask_span(m, name_end, end);
						return;
					}
					named = after_name = true;
					break;
				}
				if (named)
					mask_span(m, tok.inner, tok.inner_end);
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
					mask_span(m, tok.start, tok.end);
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

/* Mask every occurrence of secret (overlapping ones too) in m's text, whole. */
static void
mask_value(const Masker *m, const char *secret)
{
	size_t		n;

	if (secret == NULL || (n = strlen(secret)) < MIN_SECRET_LEN)
		return;
	for (const char *p = strstr(m->src, secret); p != NULL; p = strstr(p + 1, secret))
		memset(m->dst + (p - m->src), '*', n);
}

/* Mask the known values of every secret in m's text. */
static void
mask_known_values(const Masker *m)
{
	foreach_secret(cred)
	{
		mask_value(m, *cred->value);
		mask_value(m, credential_file_value(cred));
	}
}

/*
 * Mask the values bound to parameters that a report lists after
 * "parameters: " (log_statement's DETAIL, a portal's CONTEXT): every quoted
 * string from there to the end of the statement.
 */
static void
mask_bound_parameters(const Masker *m, const char *end)
{
	static const char marker[] = "parameters: ";

	for (const char *p = strstr(m->src, marker); p != NULL; p = strstr(p + 1, marker))
		mask_assignments(m, p + sizeof(marker) - 1, end, true);
}

/* True when the n bytes at s occur in the statement over one of its masked values. */
static bool
repeats_value(Statement *stmt, const char *s, size_t n)
{
	const char *end = stmt->text + stmt->len;

	for (const char *at = stmt->text; (size_t) (end - at) >= n; at++)
	{
		size_t		cost = (end - at) + n;

		if (stmt->work_left < cost)
			return true;		/* too long to tell: mask it */
		stmt->work_left -= cost;
		at = memmem(at, end - at, s, n);
		if (at == NULL)
			return false;
		if (memcmp(stmt->masked + (at - stmt->text), at, n) != 0)
			return true;
	}
	return false;
}

/*
 * Mask, in m's text, what repeats a value of the statement (which names a
 * secret or holds a known value): the statement's masks where the text holds
 * the statement, and each quoted string or comment found in the statement
 * over a masked value.
 */
static void
mask_statement_values(const Masker *m, const char *end, Statement *stmt)
{
	const char *p = m->src;
	const char *copy;			/* the next copy of the statement in the text */
	Token		tok;

	if (stmt->len == 0)
		return;
	for (const char *at = m->src; (at = memmem(at, end - at, stmt->text, stmt->len)) != NULL;
		 at += stmt->len)
		for (size_t i = 0; i < stmt->len; i++)
			if (stmt->masked[i] != stmt->text[i])
				m->dst[(at - m->src) + i] = '*';
	copy = memmem(m->src, end - m->src, stmt->text, stmt->len);
	while (p < end)
	{
		p = next_token(p, end, &tok);
		while (copy != NULL && tok.start >= copy + stmt->len)
			copy = memmem(copy + stmt->len, end - (copy + stmt->len), stmt->text, stmt->len);
		/* within a copy of the statement, its own masks (above) are the answer */
		if (copy != NULL && tok.start >= copy && tok.end <= copy + stmt->len)
			continue;
		if ((tok.kind == TOKEN_QUOTED || tok.kind == TOKEN_COMMENT) && tok.inner < tok.inner_end &&
			repeats_value(stmt, tok.inner, tok.inner_end - tok.inner))
			mask_span(m, tok.inner, tok.inner_end);
	}
}

/*
 * Redact one text: the values it assigns to secrets itself, the values bound
 * to parameters when the report names a secret (bound), what repeats the
 * values of the statement (stmt, when it names a secret or holds a known
 * value), and the known values of every secret.
 */
static void
redact_part(char *text, bool bound, Statement *stmt)
{
	size_t		len;
	char	   *copy;
	Masker		m;

	if (text == NULL)
		return;
	len = strlen(text);
	copy = palloc_extended(len + 1, MCXT_ALLOC_NO_OOM);
	if (copy == NULL)
	{
		/* no room to scan it: show nothing of it */
		m.src = m.dst = text;
		mask_span(&m, text, text + len);
		return;
	}
	memcpy(copy, text, len + 1);
	m.src = copy;
	m.dst = text;
	mask_assignments(&m, copy, copy + len, false);
	if (bound)
		mask_bound_parameters(&m, copy + len);
	if (stmt != NULL && stmt->masked != NULL)
		mask_statement_values(&m, copy + len, stmt);
	else if (stmt != NULL)
		mask_assignments(&m, copy, copy + len, true);	/* as if after the name */
	mask_known_values(&m);
	pfree(copy);
}

/* Mask every secret (known values, and values assigned to them) in text. */
void
redact_secrets(char *text)
{
	redact_part(text, false, NULL);
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
	return text != NULL && find_secret_name(text, text + strlen(text)) != NULL;
}

/* True when text holds a known secret value.  Allocates nothing. */
static bool
holds_secret_value(const char *text)
{
	if (text == NULL)
		return false;
	foreach_secret(cred)
		if (contains_value(text, *cred->value) ||
			contains_value(text, credential_file_value(cred)))
			return true;
	return false;
}

/*
 * emit_log_hook: redact every text part of the report (see the file's
 * header), and keep the statement text (logged as STATEMENT: from
 * debug_query_string, which the hook cannot edit) out of the log when it
 * names a secret or holds a known value; then chain.
 */
static void
redact_log_hook(ErrorData *edata)
{
	const char *query = debug_query_string;
	bool		query_names = names_secret(query);
	bool		query_secret = query_names || holds_secret_value(query);
	char	   *parts[] = {edata->message, edata->detail, edata->detail_log, edata->hint,
	edata->context, edata->internalquery};
	bool		bound = query_names;
	Statement	stmt;

	for (size_t i = 0; i < lengthof(parts) && !bound; i++)
		bound = names_secret(parts[i]);
	if (query_secret)
	{
		edata->hide_stmt = true;
		stmt.text = query;
		stmt.len = strlen(query);
		stmt.work_left = FRAGMENT_WORK_MAX;
		stmt.masked = palloc_extended(stmt.len + 1, MCXT_ALLOC_NO_OOM);
		if (stmt.masked != NULL)
		{
			Masker		m = {query, stmt.masked};

			memcpy(stmt.masked, query, stmt.len + 1);
			mask_known_values(&m);
			mask_assignments(&m, query, query + stmt.len, false);
		}
	}
	for (size_t i = 0; i < lengthof(parts); i++)
		redact_part(parts[i], bound, query_secret ? &stmt : NULL);
	if (query_secret && stmt.masked != NULL)
		pfree(stmt.masked);
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

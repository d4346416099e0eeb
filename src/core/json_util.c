/*-------------------------------------------------------------------------
 * json_util.c
 *	  json-c objects owned by PostgreSQL memory contexts.
 *
 * Strings inside json-c objects are UTF-8 (what the APIs speak): text goes in
 * through json_add_string and json_from_jsonb, converted from the server
 * encoding, and comes out through json_string_value, json_string_field and
 * json_jsonb, converted back.  A jsonb argument goes in through
 * json_from_jsonb_arg, which refuses an integer json-c would change (it
 * clamps those below -2^63 or above 2^64 - 1 to the bound).
 *
 * Every json-c object the extension creates or parses is registered with a
 * reset callback on CurrentMemoryContext, so it is released when that context
 * is reset or deleted: after the call, and also on every error path.  Objects
 * added to another object are owned by it (json-c reference counting), so
 * only the root needs registering.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "core/json_util.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "mb/pg_wchar.h"
#include "utils/jsonb.h"

#define JSON_MAX_DEPTH 64

/* Memory-context reset callback: drop our reference. */
static void
json_release(void *arg)
{
	json_object_put((json_object *) arg);
}

/* Register obj to be released with CurrentMemoryContext; returns obj. */
json_object *
json_owned(json_object *obj)
{
	MemoryContextCallback *cb;

	if (obj == NULL)
		return NULL;
	cb = MemoryContextAllocExtended(CurrentMemoryContext, sizeof(*cb), MCXT_ALLOC_NO_OOM);
	if (cb == NULL)
	{
		json_object_put(obj);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	cb->func = json_release;
	cb->arg = obj;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);
	return obj;
}

/* A new, owned, empty JSON object. */
json_object *
json_new_object(void)
{
	json_object *obj = json_object_new_object();

	if (obj == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	return json_owned(obj);
}

/*
 * True when JSON text holds what json-c accepts and jsonb refuses: a bare
 * word other than true, false and null (NaN, Infinity), or a \u0000 escape.
 */
bool
json_refused_by_jsonb(const char *text, size_t len)
{
	bool		in_string = false;

	for (size_t i = 0; i < len; i++)
	{
		char		c = text[i];

		if (in_string)
		{
			if (c == '"')
				in_string = false;
			else if (c == '\\' && i + 1 < len)
			{
				if (len - i >= 6 && strncmp(text + i + 1, "u0000", 5) == 0)
					return true;
				i++;
			}
		}
		else if (c == '"')
			in_string = true;
		else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		{
			size_t		start = i;
			size_t		n;

			while (i + 1 < len && ((text[i + 1] >= 'a' && text[i + 1] <= 'z') ||
								   (text[i + 1] >= 'A' && text[i + 1] <= 'Z')))
				i++;
			n = i - start + 1;
			if (!(n == 1 && (c == 'e' || c == 'E')) &&	/* an exponent */
				!(n == 4 && strncmp(text + start, "true", 4) == 0) &&
				!(n == 5 && strncmp(text + start, "false", 5) == 0) &&
				!(n == 4 && strncmp(text + start, "null", 4) == 0))
				return true;
		}
	}
	return false;
}

/* Parse text as a JSON object; NULL when it is not exactly one JSON object (strict JSON
 * that jsonb accepts). */
json_object *
json_parse_owned(const char *text, size_t len)
{
	json_tokener *tok;
	json_object *obj;
	bool		complete;

	if (len == 0 || len > INT_MAX || json_refused_by_jsonb(text, len))
		return NULL;
	tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	if (tok == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	/* strict JSON, valid UTF-8: what jsonb will accept when the reply is recorded */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, text, (int) len);
	complete = json_tokener_get_error(tok) == json_tokener_success &&
		json_tokener_get_parse_end(tok) == len;
	json_tokener_free(tok);
	if (obj != NULL && (!complete || !json_object_is_type(obj, json_type_object)))
	{
		json_object_put(obj);
		obj = NULL;
	}
	return json_owned(obj);
}

/* An owned json-c object parsed from jsonb_out's text (server encoding). */
static json_object *
json_from_jsonb_text(char *text)
{
	json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	json_object *obj;

	if (tok == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	text = pg_server_to_any(text, strlen(text), PG_UTF8);
	obj = json_tokener_parse_ex(tok, text, (int) strlen(text));
	json_tokener_free(tok);
	if (obj == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("could not convert jsonb value")));
	return json_owned(obj);
}

/* An owned json-c copy of a jsonb value. */
json_object *
json_from_jsonb(Datum jsonb)
{
	return json_from_jsonb_text(DatumGetCString(DirectFunctionCall1(jsonb_out, jsonb)));
}

/*
 * The first integer in JSON text (as jsonb_out writes it) that json-c cannot
 * hold: below the int64 range or above the uint64 one, where json-c would
 * silently store the nearest bound (strtoll's or strtoull's clamping) and
 * send that instead.  Returns its start and sets *len, or returns NULL.
 * Numbers with a fraction or an exponent are kept by json-c as written.
 */
static const char *
json_int64_overflow(const char *text, size_t *len)
{
	bool		in_string = false;

	for (const char *p = text; *p; p++)
	{
		if (in_string)
		{
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				in_string = false;
		}
		else if (*p == '"')
			in_string = true;
		else if (*p == '-' || (*p >= '0' && *p <= '9'))
		{
			const char *start = p;
			bool		integer = true;
			char	   *end;

			while (p[1] == '-' || p[1] == '+' || p[1] == '.' || p[1] == 'e' ||
				   p[1] == 'E' || (p[1] >= '0' && p[1] <= '9'))
			{
				p++;
				if (*p == '.' || *p == 'e' || *p == 'E')
					integer = false;
			}
			if (!integer)
				continue;
			errno = 0;
			if (*start == '-')
				(void) strtoi64(start, &end, 10);
			else
				(void) strtou64(start, &end, 10);
			if (errno == ERANGE)
			{
				*len = p - start + 1;
				return start;
			}
		}
	}
	return NULL;
}

/*
 * An owned json-c copy of a jsonb argument, refused (22023, naming the
 * argument) when it holds an integer json-c cannot hold (below -2^63 or
 * above 2^64 - 1): json-c would change it to the nearest bound, and the
 * changed value would be sent.
 */
json_object *
json_from_jsonb_arg(Datum jsonb, const char *argname)
{
	char	   *text = DatumGetCString(DirectFunctionCall1(jsonb_out, jsonb));
	size_t		len;
	const char *big = json_int64_overflow(text, &len);

	if (big != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s holds the integer %s, which cannot be sent exactly",
						argname, len > 40 ? psprintf("%.40s...", big) : pnstrdup(big, len)),
				 errhint("Integers from -9223372036854775808 to 18446744073709551615 are sent as written; pass a larger one as a string.")));
	return json_from_jsonb_text(text);
}

/* A JSON string value as text in the server encoding. */
char *
json_string_value(json_object *v)
{
	return pg_any_to_server(json_object_get_string(v), json_object_get_string_len(v),
							PG_UTF8);
}

/* The string value of obj[key] (server encoding), or NULL when missing or not a string. */
const char *
json_string_field(json_object *obj, const char *key)
{
	json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
		!json_object_is_type(v, json_type_string))
		return NULL;
	return json_string_value(v);
}

/* Read obj[key] as an integer; false when missing or not an integer. */
bool
json_int64_field(json_object *obj, const char *key, int64 *out)
{
	json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
		!json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

/* Read obj[key] as a boolean; false when missing or not a boolean. */
bool
json_bool_field(json_object *obj, const char *key, bool *out)
{
	json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
		!json_object_is_type(v, json_type_boolean))
		return false;
	*out = json_object_get_boolean(v);
	return true;
}

/* obj[key] = value (a string in the server encoding, stored as UTF-8). */
void
json_add_string(json_object *obj, const char *key, const char *value)
{
	json_add_child(obj, key, json_object_new_string(pg_server_to_any(value, strlen(value),
																	 PG_UTF8)));
}

/* obj[key] = child; obj takes over the reference to child. */
void
json_add_child(json_object *obj, const char *key, json_object *child)
{
	if (child == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	if (json_object_object_add(obj, key, child) != 0)
	{
		json_object_put(child);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
}

/* A new JSON array of n strings (server encoding, stored as UTF-8), to add to an owned object. */
json_object *
json_string_array(char **items, int n)
{
	json_object *arr = json_object_new_array_ext(n);

	if (arr == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	for (int i = 0; i < n; i++)
	{
		json_object *item = json_object_new_string(pg_server_to_any(items[i], strlen(items[i]),
																	PG_UTF8));

		if (item == NULL || json_object_array_add(arr, item) != 0)
		{
			json_object_put(item);
			json_object_put(arr);
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		}
	}
	return arr;
}

/* A text[] of the string elements of a JSON array; NULL when not an array. */
Datum
json_text_array_field(json_object *obj, const char *key, bool *isnull)
{
	json_object *arr;
	Datum	   *elems;
	int			n = 0;
	size_t		len;

	*isnull = !json_object_object_get_ex(obj, key, &arr) ||
		!json_object_is_type(arr, json_type_array);
	if (*isnull)
		return (Datum) 0;
	len = json_object_array_length(arr);
	elems = palloc(sizeof(Datum) * (len + 1));
	for (size_t i = 0; i < len; i++)
	{
		json_object *e = json_object_array_get_idx(arr, i);

		if (json_object_is_type(e, json_type_string))
			elems[n++] = CStringGetTextDatum(json_string_value(e));
	}
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* Compact JSON text of obj, palloc'd. */
char *
json_text(json_object *obj)
{
	return pstrdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
												  JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* obj as a jsonb Datum. */
Datum
json_jsonb(json_object *obj)
{
	return json_text_jsonb(json_text(obj));
}

/* JSON text (UTF-8, as json_text makes it) as a jsonb Datum. */
Datum
json_text_jsonb(const char *text)
{
	return DirectFunctionCall1(jsonb_in,
							   CStringGetDatum(pg_any_to_server(text, strlen(text), PG_UTF8)));
}

/*-------------------------------------------------------------------------
 * json_util.h
 *	  json-c objects owned by PostgreSQL memory contexts.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_JSON_UTIL_H
#define DUNE_MV_JSON_UTIL_H

/*
 * PostgreSQL declares a SQL function json_object() in fmgrprotos.h, which
 * clashes with json-c's json_object type.  Files that use json-c include this
 * header right after postgres.h, so that the builtins are seen under another
 * name first and json-c's type wins.
 */
#define json_object pg_builtin_json_object
#include "utils/builtins.h"
#undef json_object

#include <json-c/json.h>

extern json_object *json_owned(json_object *obj);
extern json_object *json_new_object(void);
extern bool json_refused_by_jsonb(const char *text, size_t len);
extern json_object *json_parse_owned(const char *text, size_t len);
extern json_object *json_from_jsonb(Datum jsonb);
extern json_object *json_from_jsonb_arg(Datum jsonb, const char *argname);
extern char *json_string_value(json_object *v);
extern const char *json_string_field(json_object *obj, const char *key);
extern bool json_int64_field(json_object *obj, const char *key, int64 *out);
extern bool json_bool_field(json_object *obj, const char *key, bool *out);
extern void json_add_string(json_object *obj, const char *key, const char *value);
extern void json_add_child(json_object *obj, const char *key, json_object *child);
extern json_object *json_string_array(char **items, int n);
extern Datum json_text_array_field(json_object *obj, const char *key, bool *isnull);
extern char *json_text(json_object *obj);
extern Datum json_jsonb(json_object *obj);
extern Datum json_text_jsonb(const char *text);

#endif

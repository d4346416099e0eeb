/*-------------------------------------------------------------------------
 * provider.h
 *	  What the extension knows of one remote API, as one constant descriptor.
 *
 * A provider (Dune, Lance, the next one) is a Provider value defined in its
 * own file under src/providers/ and listed in provider_registry
 * (core/provider.c).  Everything generic loops over that list instead of
 * naming a provider: the settings (base URL, credentials), the credential
 * headers and the check that they are set (core/call.c), the log redaction
 * (core/redact.c), the reading of error bodies and the hints of remote errors
 * (transport/remote_error.c), and status, wait and the finished-state rule
 * of executions or jobs (core/status.c, functions/follow.c).
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_PROVIDER_H
#define DUNE_MV_PROVIDER_H

/* One credential setting and the header it becomes. */
typedef struct ProviderCredential
{
	const char *setting;		/* "dune_mv.dune_api_key" */
	const char *description;
	const char *header;			/* header line prefix, e.g. "X-Dune-Api-Key: " */
	bool		secret;			/* hidden from non-superusers, masked in the log */
	bool		authenticates;	/* one authenticating credential must be set */
	char	  **value;			/* the setting's variable */
} ProviderCredential;

/* How a timestamp of a status reply is written. */
typedef enum StatusTimeFormat
{
	STATUS_TIME_RFC3339,		/* "2026-09-11T23:59:59.123Z" */
	STATUS_TIME_EPOCH_MS		/* milliseconds since 1970 */
} StatusTimeFormat;

/* What a column of a status row holds (see functions/follow.c). */
typedef enum StatusColumnKind
{
	STATUS_COL_ID,
	STATUS_COL_STATE,
	STATUS_COL_FINISHED,
	STATUS_COL_SUBMITTED,
	STATUS_COL_STARTED,
	STATUS_COL_ENDED,
	STATUS_COL_CANCELLED,
	STATUS_COL_COST,
	STATUS_COL_ERROR_TYPE,
	STATUS_COL_ERROR_MESSAGE,
	STATUS_COL_REPLY_TEXT,		/* reply[key] as text */
	STATUS_COL_ERROR_BOOL,		/* the error object's [key] as boolean */
	STATUS_COL_REPLY			/* the whole reply as jsonb */
} StatusColumnKind;

typedef struct StatusColumn
{
	StatusColumnKind kind;
	const char *key;			/* for REPLY_TEXT and ERROR_BOOL */
} StatusColumn;

#define STATUS_MAX_COLUMNS 16

/*
 * Executions (Dune) or jobs (Lance): how one is read, what its reply says,
 * and the row that status and wait return.
 */
typedef struct ProviderStatus
{
	const char *what;			/* "Dune execution": for messages */
	const char *id_arg;			/* "execution_id": the SQL argument's name */
	const char *operation;		/* recorded operation of a status read */
	const char *method;			/* the status request */
	const char *path;			/* a format with one %s: the encoded id */
	const char *body_id_key;	/* the id goes in the body under this key, or NULL */
	const char *timeout_hint;
	const char *cancel_path;	/* POST, a format with one %s; NULL: cannot cancel */

	/* the reply */
	const char *state_key;
	const char *finished_flag_key;	/* a boolean that says finished, or NULL */
	const char *const *running_states;	/* NULL-terminated: any other is final */
	const char *const *final_states;	/* NULL-terminated, or NULL: see above */
	const char *const *success_states;	/* the final states that are a success */
	StatusTimeFormat time_format;
	const char *submitted_key;
	const char *started_key;
	const char *ended_key;
	const char *cancelled_key;
	const char *cost_key;		/* a number, or NULL */
	const char *error_key;		/* an object, or a string (its message) */
	const char *error_type_key;
	const char *error_message_key;

	/* the composite row of status and wait, column by column */
	StatusColumn columns[STATUS_MAX_COLUMNS];
	int			ncolumns;
} ProviderStatus;

typedef struct Provider
{
	const char *name;			/* "dune": in catalog rows */
	const char *service;		/* "Dune": in messages */

	/* settings */
	const char *url_setting;
	const char *url_description;
	const char *url_default;
	char	  **url;
	const ProviderCredential *credentials;
	int			ncredentials;

	/* remote errors */
	const char *const *error_text_keys; /* NULL-terminated, joined with ": " */
	const char *error_code_key; /* a numeric code, named by error_code_names */
	const char *const *error_code_names;
	int			nerror_code_names;
	const char *auth_hint;		/* hint of a 401 */

	const ProviderStatus *status;
} Provider;

extern const Provider *const provider_registry[];

extern const char *view_last_part(const char *name);

#define foreach_provider(p) \
	for (const Provider *const *p##_it = provider_registry, *p; (p = *p##_it) != NULL; p##_it++)

#endif

/*-------------------------------------------------------------------------
 * settings.c
 *	  Configuration parameters (GUCs) of dune_mv.
 *
 * Each provider's base URL and credentials are defined from its descriptor
 * (core/provider.h), and for each secret credential a <setting>_file setting
 * naming a file that holds it (read at send time by core/credentials.c, so
 * the key never passes through SQL); the rest are the extension's own.
 * Base URLs are superuser-only: otherwise a user could point the extension,
 * and the API key it sends, at a host of their own.  Keys and tokens are
 * PGC_SIGHUP (postgresql.conf or ALTER SYSTEM only, so they never sit in SQL
 * that users or jobs run), GUC_SUPERUSER_ONLY (hidden from SHOW and
 * pg_settings for other roles) and GUC_NO_SHOW_ALL.
 *
 * The poll intervals of the wait functions are the users' own, but a
 * non-superuser may not go below POLL_FLOOR_MS (1 s) in SQL (SET,
 * set_config, a function's SET clause, connection options, and, checked when
 * they are stored, ALTER ROLE / DATABASE ... SET): a session polling every
 * few milliseconds would load the remote API and the catalog for nothing.
 * postgresql.conf, ALTER SYSTEM and superusers may set less (the suites poll
 * every 100 ms).
 *
 * A custom setting read from postgresql.conf is visible to every role as a
 * placeholder in a backend that has not loaded the library yet.  The library
 * therefore has to be in shared_preload_libraries: then the definitions below
 * exist in every backend from its start, and the functions refuse to run
 * without it.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/parallel.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "core/credentials.h"
#include "core/provider.h"
#include "core/settings.h"

int			dune_mv_max_response_size = 8 * 1024 * 1024;
int			dune_mv_poll_interval_min = 5000;
int			dune_mv_poll_interval_max = 30000;
int			dune_mv_purge_after = 30 * 24 * 3600;
bool		dune_mv_preloaded = false;

static int	connect_timeout_ms = 5000;
static int	max_connect_timeout_ms = 30000;
static int	total_timeout_ms = 30000;
static int	max_total_timeout_ms = 300000;

#define SECRET_FLAGS (GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE)

/*
 * Define a credential setting: reload-time only; a secret one is hidden from
 * non-superusers, a plain one (a database name) is superuser-set.
 */
static void
define_credential(const ProviderCredential *cred)
{
	if (cred->secret)
		DefineCustomStringVariable(cred->setting, cred->description,
								   "Set it in postgresql.conf or with ALTER SYSTEM; better, name a file "
								   "holding it in the setting of the same name ending in _file.",
								   cred->value, "", PGC_SIGHUP, SECRET_FLAGS,
								   NULL, NULL, NULL);
	else
		DefineCustomStringVariable(cred->setting, cred->description, NULL,
								   cred->value, "", PGC_SUSET, 0, NULL, NULL, NULL);
}

/*
 * Define the <setting>_file setting of a secret credential: the path of a
 * file that holds it, superuser-only and reload-time like the key.  Its name
 * and description live as long as the process (GUC keeps the pointer to the
 * description).
 */
static void
define_credential_file(const ProviderCredential *cred)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	char	   *name = psprintf("%s_file", cred->setting);
	char	   *description = psprintf("File holding %s, read at each call; wins over %s.",
									   cred->setting, cred->setting);

	MemoryContextSwitchTo(old);
	DefineCustomStringVariable(name, description,
							   "A regular file readable by the server's operating system user only (chmod 600); "
							   "a relative path is relative to the data directory.",
							   credential_file_variable(cred), "", PGC_SIGHUP,
							   GUC_SUPERUSER_ONLY | GUC_NOT_IN_SAMPLE, NULL, NULL, NULL);
}

/* Define a provider's superuser-only base URL and its credentials. */
static void
define_provider(const Provider *provider)
{
	DefineCustomStringVariable(provider->url_setting, provider->url_description, NULL,
							   provider->url, provider->url_default, PGC_SUSET, 0,
							   NULL, NULL, NULL);
	for (int i = 0; i < provider->ncredentials; i++)
	{
		define_credential(&provider->credentials[i]);
		if (provider->credentials[i].secret)
			define_credential_file(&provider->credentials[i]);
	}
}

/* Smallest poll interval a non-superuser may set in SQL (see the header). */
#define POLL_FLOOR_MS 1000

/*
 * Check hook of the poll intervals: below POLL_FLOOR_MS only from the
 * configuration files, ALTER SYSTEM, role or database settings (stored only
 * after this same check, with PGC_S_TEST) or a superuser.  A parallel worker
 * takes its leader's values as they are.
 */
static bool
check_poll_interval(int *newval, void **extra, GucSource source)
{
	if (*newval >= POLL_FLOOR_MS || source < PGC_S_CLIENT || InitializingParallelWorker ||
		superuser())
		return true;
	GUC_check_errdetail("A poll interval below %d ms may be set only by a superuser, in postgresql.conf or with ALTER SYSTEM.",
						POLL_FLOOR_MS);
	GUC_check_errhint("Set 1s or more.");
	return false;
}

/* A duration setting in milliseconds. */
typedef struct DurationSetting
{
	const char *name;
	const char *description;
	int		   *variable;
	int			default_value;
	int			min_value;
	GucContext	context;
	GucIntCheckHook check_hook;
} DurationSetting;

static const DurationSetting durations[] = {
	{"dune_mv.connect_timeout", "Connect timeout of one request.", &connect_timeout_ms, 5000, 1, PGC_USERSET, NULL},
	{"dune_mv.max_connect_timeout", "Ceiling on dune_mv.connect_timeout that users cannot raise.", &max_connect_timeout_ms, 30000, 1, PGC_SUSET, NULL},
	{"dune_mv.timeout", "Total time one call may take, retries and Retry-After waits included.", &total_timeout_ms, 30000, 1, PGC_USERSET, NULL},
	{"dune_mv.max_timeout", "Ceiling on dune_mv.timeout that users cannot raise.", &max_total_timeout_ms, 300000, 1, PGC_SUSET, NULL},
	{"dune_mv.poll_interval_min", "First interval between status polls of the wait functions.", &dune_mv_poll_interval_min, 5000, 10, PGC_USERSET, check_poll_interval},
	{"dune_mv.poll_interval_max", "Longest interval between status polls of the wait functions.", &dune_mv_poll_interval_max, 30000, 10, PGC_USERSET, check_poll_interval},
};

/* Register every dune_mv.* setting; called from _PG_init. */
void
settings_init(void)
{
	dune_mv_preloaded = process_shared_preload_libraries_in_progress;

	foreach_provider(provider)
		define_provider(provider);

	for (size_t i = 0; i < lengthof(durations); i++)
		DefineCustomIntVariable(durations[i].name, durations[i].description, NULL,
								durations[i].variable, durations[i].default_value,
								durations[i].min_value, INT_MAX, durations[i].context,
								GUC_UNIT_MS, durations[i].check_hook, NULL, NULL);
	DefineCustomIntVariable("dune_mv.max_response_size",
							"Largest response body accepted, in bytes.",
							NULL, &dune_mv_max_response_size, 8 * 1024 * 1024,
							1024, 256 * 1024 * 1024, PGC_SUSET, GUC_UNIT_BYTE,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dune_mv.purge_after",
							"Default age of catalog rows that dune_mv_purge deletes.",
							NULL, &dune_mv_purge_after, 30 * 24 * 3600, 60, INT_MAX,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);

}

/*
 * Reserve the dune_mv. prefix, once every module has defined its settings
 * (called last in _PG_init): a misspelled dune_mv.* setting is then
 * reported, and a defined one keeps its value from postgresql.conf.
 */
void
settings_reserve_prefix(void)
{
	MarkGUCPrefixReserved("dune_mv");
}

/* The connect timeout in effect: the user's, capped by the superuser's ceiling. */
int
settings_connect_timeout_ms(void)
{
	return Min(connect_timeout_ms, max_connect_timeout_ms);
}

/* The total timeout in effect: the user's, capped by the superuser's ceiling. */
int
settings_total_timeout_ms(void)
{
	return Min(total_timeout_ms, max_total_timeout_ms);
}

/* Refuse to talk to a remote API unless loaded at server start (see above). */
void
settings_require_preload(void)
{
	if (!dune_mv_preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dune_mv must be loaded through shared_preload_libraries"),
				 errhint("Add dune_mv to shared_preload_libraries in postgresql.conf and restart the server, so that API keys stay hidden from other roles.")));
}

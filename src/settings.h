/*-------------------------------------------------------------------------
 * settings.h
 *	  Configuration parameters (GUCs) of dune_mv.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_SETTINGS_H
#define DUNE_MV_SETTINGS_H

extern char *dune_mv_dune_url;
extern char *dune_mv_dune_api_key;
extern char *dune_mv_lance_url;
extern char *dune_mv_lance_api_key;
extern char *dune_mv_lance_bearer_token;
extern char *dune_mv_lance_database;
extern int	dune_mv_max_response_size;
extern int	dune_mv_poll_interval_min;
extern int	dune_mv_poll_interval_max;
extern int	dune_mv_purge_after;
extern bool dune_mv_preloaded;

extern void settings_init(void);
extern int	settings_connect_timeout_ms(void);
extern int	settings_total_timeout_ms(void);
extern void settings_require_preload(void);

#endif

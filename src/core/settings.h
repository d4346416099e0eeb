/*-------------------------------------------------------------------------
 * settings.h
 *	  Configuration parameters (GUCs) of dune_mv.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_SETTINGS_H
#define DUNE_MV_SETTINGS_H

extern int	dune_mv_max_response_size;
extern int	dune_mv_poll_interval_min;
extern int	dune_mv_poll_interval_max;
extern int	dune_mv_purge_after;
extern bool dune_mv_preloaded;

extern void settings_init(void);
extern void settings_reserve_prefix(void);
extern int	settings_connect_timeout_ms(void);
extern int	settings_total_timeout_ms(void);
extern void settings_require_preload(void);

#endif

/*-------------------------------------------------------------------------
 * pg_shim_internal.h
 *	  What the files of the fuzz targets' backend stand-in share.
 *-------------------------------------------------------------------------
 */
#ifndef PG_SHIM_INTERNAL_H
#define PG_SHIM_INTERNAL_H

extern void unexpected(const char *what);
extern MemoryContext context_create(MemoryContext parent, const char *name);

#endif

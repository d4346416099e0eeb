/*-------------------------------------------------------------------------
 * url.c
 *	  Percent-encoding of the names and ids that go into request paths and
 *	  query strings (RFC 3986).  Calls nothing.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "transport/http.h"

/* Percent-encode one path segment or query value (RFC 3986: unreserved characters stay). */
char *
http_escape_segment(const char *segment)
{
	static const char hex[] = "0123456789ABCDEF";
	StringInfoData out;

	initStringInfo(&out);
	for (const unsigned char *p = (const unsigned char *) segment; *p; p++)
	{
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			(*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
			*p == '_' || *p == '~')
			appendStringInfoChar(&out, (char) *p);
		else
		{
			appendStringInfoChar(&out, '%');
			appendStringInfoChar(&out, hex[*p >> 4]);
			appendStringInfoChar(&out, hex[*p & 15]);
		}
	}
	return out.data;
}

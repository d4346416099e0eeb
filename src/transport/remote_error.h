/*-------------------------------------------------------------------------
 * remote_error.h
 *	  SQLSTATEs for remote failures, and raising them from HTTP responses.
 *
 * The mapping (also in the README):
 *	  400, 406, 422, other 4xx  22000 data_exception		(bad request)
 *	  401					28000 invalid_authorization_specification
 *	  402					53400 configuration_limit_exceeded (billing limit)
 *	  403					42501 insufficient_privilege
 *	  404					42704 undefined_object
 *	  409					42710 duplicate_object		(conflict)
 *	  429					53000 insufficient_resources	(rate limited)
 *	  5xx					58000 system_error			(server error)
 *	  could not connect		08001 sqlclient_unable_to_establish_sqlconnection
 *	  connection broken		08006 connection_failure
 *	  timeout				58030 io_error
 *	  malformed response	08P01 protocol_violation
 *	  response too large	54000 program_limit_exceeded
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_REMOTE_ERROR_H
#define DUNE_MV_REMOTE_ERROR_H

#include "core/provider.h"
#include "transport/http.h"

#define REMOTE_ERRCODE_BAD_REQUEST	ERRCODE_DATA_EXCEPTION
#define REMOTE_ERRCODE_AUTH			ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION
#define REMOTE_ERRCODE_BILLING		ERRCODE_CONFIGURATION_LIMIT_EXCEEDED
#define REMOTE_ERRCODE_PERMISSION	ERRCODE_INSUFFICIENT_PRIVILEGE
#define REMOTE_ERRCODE_NOT_FOUND	ERRCODE_UNDEFINED_OBJECT
#define REMOTE_ERRCODE_CONFLICT		ERRCODE_DUPLICATE_OBJECT
#define REMOTE_ERRCODE_RATE_LIMIT	ERRCODE_INSUFFICIENT_RESOURCES
#define REMOTE_ERRCODE_SERVER		ERRCODE_SYSTEM_ERROR
#define REMOTE_ERRCODE_CONNECT		ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION
#define REMOTE_ERRCODE_TRANSPORT	ERRCODE_CONNECTION_FAILURE
#define REMOTE_ERRCODE_TIMEOUT		ERRCODE_IO_ERROR
#define REMOTE_ERRCODE_BAD_RESPONSE ERRCODE_PROTOCOL_VIOLATION
#define REMOTE_ERRCODE_TOO_LARGE	ERRCODE_PROGRAM_LIMIT_EXCEEDED

extern int	remote_errcode_for_status(long status);
extern void remote_error_raise(const Provider *provider, const HttpRequest *req, const HttpResponse *resp) pg_attribute_noreturn();
extern void remote_error_bad_response(const HttpRequest *req, const HttpResponse *resp,
									  const char *what) pg_attribute_noreturn();

#endif

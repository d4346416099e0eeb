/*-------------------------------------------------------------------------
 * ownership.c
 *	  Who may change a remote view: the role that created it through the
 *	  extension, a role it was granted to, or a member of dune_mv_admin.
 *
 * Every member of dune_mv_user may read a view's state and refresh it.
 * Replacing (upsert), deleting or dropping a view, and cancelling an
 * execution or job, need one of the roles above; a view or execution the
 * catalog does not know (created outside the extension) only a member of
 * dune_mv_admin (or a superuser) may change, except that upsert and create
 * may make a view the catalog does not know (it then belongs to the
 * caller).  Checked before any request.  May call catalog/ only.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/json_util.h"

#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"

#include "catalog/catalog.h"
#include "functions/ownership.h"

#define ADMIN_ROLE "dune_mv_admin"

/* True for a superuser or a member of dune_mv_admin. */
static bool
is_admin(void)
{
	Oid			admin = get_role_oid(ADMIN_ROLE, true);

	return superuser() || (OidIsValid(admin) && has_privs_of_role(GetUserId(), admin));
}

/* True when the caller has the privileges of one of the n roles. */
static bool
acts_for_one_of(const Oid *roles, int n)
{
	for (int i = 0; i < n; i++)
		if (has_privs_of_role(GetUserId(), roles[i]))
			return true;
	return false;
}

/* The name of role, or its OID when it was dropped. */
static char *
role_name(Oid role)
{
	char	   *name = GetUserNameFromId(role, true);

	return name ? name : psprintf("%u", role);
}

/*
 * Refuse (42501) to `action` (replace, delete, drop) view `shown` unless the
 * caller may: full_name (or, when not known, ident) finds its owner;
 * unknown_ok lets anyone act on a view the catalog does not know.
 */
void
require_view_owner(const Provider *provider, const char *full_name, const char *ident,
				   const char *shown, const char *action, bool unknown_ok)
{
	int			n;
	Oid		   *owners;

	if (is_admin())
		return;
	owners = catalog_view_owners(provider->name, full_name, ident, &n);
	if (n == 0 && unknown_ok)
		return;
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s %s view \"%s\"", action, provider->service,
						shown),
				 errdetail("It was not created through dune_mv, so it has no owner here."),
				 errhint("Members of %s may act on views the catalog does not know.", ADMIN_ROLE)));
	if (!acts_for_one_of(owners, n))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s %s view \"%s\"", action, provider->service,
						shown),
				 errdetail("It belongs to role \"%s\".", role_name(owners[0])),
				 errhint("Its owner can GRANT \"%s\" TO you; members of %s may act on any view.",
						 role_name(owners[0]), ADMIN_ROLE)));
}

/* Refuse (42501) to cancel execution or job id unless the caller may (see the header). */
void
require_execution_owner(const Provider *provider, const char *id)
{
	int			n;
	Oid		   *owners;

	if (is_admin())
		return;
	owners = catalog_execution_owners(provider->name, id, &n);
	if (acts_for_one_of(owners, n))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to cancel %s \"%s\"", provider->status->what, id),
			 n == 0 ? errdetail("It was not started through dune_mv, so it has no owner here.") :
			 errdetail("It was started by role \"%s\".", role_name(owners[0])),
			 errhint("Its owner can GRANT their role TO you; members of %s may cancel any.",
					 ADMIN_ROLE)));
}

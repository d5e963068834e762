/* Dropping root: lookupd started as root binds its ports, reads its keys
 * and opens the tree, then runs as 'user' and 'group' (config keys) with
 * no supplementary groups, and checks that it can no longer get root
 * back. Without 'user' it refuses to serve as root unless allow_root.
 *
 * Under systemd, DynamicUser= (or User=) starts lookupd as that user
 * already: nothing is dropped and 'user' may stay unset. Keys, PINs and
 * passphrases handed over with LoadCredential= are files under
 * $CREDENTIALS_DIRECTORY, readable by the service's user: give their paths
 * as any other (key = /run/credentials/ocsp-lookupd.service/signer.key),
 * or through the environment in the unit (Environment= with
 * %d/signer.key). A SIGHUP reload after the drop reads every file as the
 * dropped user: keys only root may read load at start and then fail at
 * reload (logged; the running configuration stays). Credentials, or keys
 * owned by the service user, reload fine. */
#ifndef LOOKUPD_PRIVDROP_H
#define LOOKUPD_PRIVDROP_H

#include <sys/types.h>

#include "ocsp/err.h"

#define PRIVDROP_NAME_MAX 64

struct privdrop {
	int drop;			/* 1: started as root, drop to uid/gid */
	uid_t uid;
	gid_t gid;
	char user[PRIVDROP_NAME_MAX + 1], group[PRIVDROP_NAME_MAX + 1];	/* for the log */
};

/* Decides what to drop to, before anything is bound: user and group are
 * the configuration's (names or numbers; group NULL: the user's own).
 * Started as root: user given (and not root itself, unless allow_root) ->
 * drop; no user -> an error unless allow_root. Not started as root:
 * nothing to drop; a user other than the current one is an error, since it
 * cannot be become. */
int privdrop_plan(const char *user, const char *group, int allow_root, struct privdrop *p,
    struct err *e);

/* For --check, as any user: that user and group exist (names or numbers). */
int privdrop_check(const char *user, const char *group, struct err *e);

/* Drops to p (no-op when p->drop is 0): no supplementary groups, then the
 * group, then the user, and checks the result (real, effective and saved
 * ids; setuid(0) must fail). In a threaded process glibc applies each
 * change to every thread. -1 with e: lookupd must not serve. */
int privdrop_apply(const struct privdrop *p, struct err *e);

#endif

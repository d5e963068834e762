#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* getpwnam_r's buffer: glibc's usual size is 1 KiB; entries with long
 * member lists need more, and more than this is not a user to run as. */
#define PW_BUF_MAX 65536
/* uid_t and gid_t are 32 bits on Linux; (uid_t)-1 means "unchanged". */
#define ID_MAX 4294967294UL

/* A number as is, else NULL: so that "65534" works without an entry in
 * /etc/passwd (systemd's DynamicUser= ids often have none). */
static int parse_id(const char *s, unsigned long *out)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *out <= ID_MAX ? 0 : -1;
}

static int find_user(const char *name, uid_t *uid, gid_t *gid, struct err *e)
{
	static char buf[PW_BUF_MAX];
	struct passwd pw, *res = NULL;
	unsigned long n;
	int r;

	if (parse_id(name, &n) == 0) {
		*uid = (uid_t)n;
		/* A bare number may have no entry: its own group number then. */
		r = getpwuid_r(*uid, &pw, buf, sizeof(buf), &res);
		*gid = r == 0 && res != NULL ? res->pw_gid : (gid_t)n;
		return 0;
	}
	r = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	if (r != 0)
		return err_set(e, "user: cannot look up '%s': %s", name, strerror(r));
	if (res == NULL)
		return err_set(e, "user: no user '%s' on this system", name);
	*uid = res->pw_uid;
	*gid = res->pw_gid;
	return 0;
}

static int find_group(const char *name, gid_t *gid, struct err *e)
{
	static char buf[PW_BUF_MAX];
	struct group gr, *res = NULL;
	unsigned long n;
	int r;

	if (parse_id(name, &n) == 0) {
		*gid = (gid_t)n;
		return 0;
	}
	r = getgrnam_r(name, &gr, buf, sizeof(buf), &res);
	if (r != 0)
		return err_set(e, "group: cannot look up '%s': %s", name, strerror(r));
	if (res == NULL)
		return err_set(e, "group: no group '%s' on this system", name);
	*gid = res->gr_gid;
	return 0;
}

static void copy_name(char out[PRIVDROP_NAME_MAX + 1], const char *in)
{
	size_t n = strlen(in);

	if (n > PRIVDROP_NAME_MAX)
		n = PRIVDROP_NAME_MAX;
	memcpy(out, in, n);
	out[n] = '\0';
}

int privdrop_plan(const char *user, const char *group, int allow_root, struct privdrop *p,
    struct err *e)
{
	int has_user = user != NULL && user[0] != '\0';

	memset(p, 0, sizeof(*p));
	if (!has_user && group != NULL && group[0] != '\0')
		return err_set(e, "group: given without 'user'");
	if (!has_user) {
		if (geteuid() == 0 && !allow_root)
			return err_set(e, "refusing to serve as root: set 'user' (and 'group') in "
			    "[lookupd] to run as once the ports are bound, or allow_root = yes");
		return 0;
	}
	if (find_user(user, &p->uid, &p->gid, e) != 0 ||
	    (group != NULL && group[0] != '\0' && find_group(group, &p->gid, e) != 0))
		return -1;
	copy_name(p->user, user);
	copy_name(p->group, group != NULL && group[0] != '\0' ? group : user);
	if (p->uid == 0 && !allow_root)
		return err_set(e, "user: '%s' is root; refusing to serve as root unless "
		    "allow_root = yes", user);
	if (geteuid() != 0) {
		/* DynamicUser= or User=: the service manager dropped already. */
		if (getuid() != p->uid || geteuid() != p->uid)
			return err_set(e, "user: not started as root, so cannot become '%s' "
			    "(running as uid %lu); drop 'user' or start as root", user,
			    (unsigned long)geteuid());
		return 0;
	}
	p->drop = p->uid != 0 || p->gid != 0;
	return 0;
}

int privdrop_check(const char *user, const char *group, struct err *e)
{
	uid_t uid;
	gid_t gid;

	if ((user == NULL || user[0] == '\0') && group != NULL && group[0] != '\0')
		return err_set(e, "group: given without 'user'");
	if (user != NULL && user[0] != '\0' && find_user(user, &uid, &gid, e) != 0)
		return -1;
	if (group != NULL && group[0] != '\0' && find_group(group, &gid, e) != 0)
		return -1;
	return 0;
}

/* After the drop: nothing of root may be left, and root may not be had
 * back (a saved set-user-id of 0 would allow it). */
static int verify(const struct privdrop *p, struct err *e)
{
	if (getuid() != p->uid || geteuid() != p->uid || getgid() != p->gid ||
	    getegid() != p->gid)
		return err_set(e, "after dropping to %s:%s the process runs as uid %lu/%lu, "
		    "gid %lu/%lu", p->user, p->group, (unsigned long)getuid(),
		    (unsigned long)geteuid(), (unsigned long)getgid(), (unsigned long)getegid());
	if (getgroups(0, NULL) != 0)
		return err_set(e, "after dropping to %s:%s supplementary groups are left",
		    p->user, p->group);
	if (p->uid != 0 && setuid(0) == 0)
		return err_set(e, "after dropping to %s:%s root could be regained", p->user,
		    p->group);
	return 0;
}

int privdrop_apply(const struct privdrop *p, struct err *e)
{
	if (!p->drop)
		return 0;
	/* Groups first: without root, neither could be changed any more. */
	if (setgroups(0, NULL) != 0)
		return err_set(e, "cannot drop the supplementary groups: %s", strerror(errno));
	if (setgid(p->gid) != 0)
		return err_set(e, "cannot change to group %s (%lu): %s", p->group,
		    (unsigned long)p->gid, strerror(errno));
	if (setuid(p->uid) != 0)
		return err_set(e, "cannot change to user %s (%lu): %s", p->user,
		    (unsigned long)p->uid, strerror(errno));
	return verify(p, e);
}

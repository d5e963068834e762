/* lookupd's listening sockets as descriptors: civetweb binds them and
 * does not say which descriptors they are, cannot stop accepting without
 * also ending the requests in flight, and cannot take a socket it did not
 * bind (socket activation). These work under it, on the descriptors:
 * found by their ports once civetweb has bound them, replaced by a quiet
 * pipe at a stop, replaced by the service manager's sockets at start,
 * while civetweb's master thread does not accept yet (http.c's gate). No
 * civetweb here. */
#ifndef LOOKUPD_LISTENERS_H
#define LOOKUPD_LISTENERS_H

#include <stddef.h>

#include "ocsp/err.h"

#define LISTENERS_MAX 32

struct listeners {
	int fd[LISTENERS_MAX];
	size_t n;
	size_t inherited;	/* sockets from the service manager, 0: none */
	int quiet[2];		/* the pipe put in their place; -1: none */
};

/* Empty, nothing inherited. */
void listeners_init(struct listeners *l);
/* Closes the quiet pipe (after civetweb has stopped and closed its
 * descriptors). */
void listeners_fini(struct listeners *l);

/* Records the listening stream sockets bound to one of ports (nports of
 * them), e.g. those of mg_get_server_ports: the first descriptors. */
void listeners_find(struct listeners *l, const int *ports, int nports);

/* Stops accepting: each listener is shut down (new connections are
 * refused; not an inherited one, whose service manager keeps listening
 * on its copy) and its descriptor replaced by the read end of a pipe
 * nothing writes to, which civetweb then polls in vain and closes at its
 * stop. -1 with e when some could not be replaced. */
int listeners_quiesce(struct listeners *l, struct err *e);

/* Socket activation (sd_listen_fds(3)): how many sockets the service
 * manager passed (LISTEN_PID must be this process), each checked to be a
 * listening TCP socket, IPv6 only when ipv6 is set. */
int listeners_passed(size_t *n, int ipv6, struct err *e);
/* The listen list civetweb binds in their stead: n loopback placeholders
 * ("127.0.0.1:0,..."), malloc'd. */
char *listeners_placeholders(size_t n);
/* Replaces the placeholders listeners_find recorded by the passed sockets
 * and clears LISTEN_*; l->inherited then says how many. */
int listeners_inherit(struct listeners *l, size_t n, struct err *e);
/* "ADDR:PORT, ..." of the descriptors themselves, for the start line. */
void listeners_describe(const struct listeners *l, char *out, size_t size);

#endif

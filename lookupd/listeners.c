#include "listeners.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* civetweb binds its listeners first thing: they are among the first
 * descriptors. */
#define LISTENER_FD_SCAN 1024
/* sd_listen_fds(3): passed sockets start at descriptor 3. */
#define SD_LISTEN_FDS_START 3

/* ThreadSanitizer builds: civetweb is compiled without instrumentation
 * (its stop flag is a plain int, civetweb.cmake), so the order between a
 * descriptor replaced here before mg_stop and civetweb's master thread
 * closing it after seeing the stop flag is invisible to TSan, which takes
 * the close for a race with the dup2. It is the same unseen handshake. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LISTENERS_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define LISTENERS_TSAN 1
#endif
#ifdef LISTENERS_TSAN
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
	return "race:close_all_listening_sockets\n";
}
#endif

void listeners_init(struct listeners *l)
{
	memset(l, 0, sizeof(*l));
	l->quiet[0] = l->quiet[1] = -1;
}

void listeners_fini(struct listeners *l)
{
	if (l->quiet[0] >= 0) {
		close(l->quiet[0]);
		close(l->quiet[1]);
	}
	l->quiet[0] = l->quiet[1] = -1;
}

static int port_of_fd(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

static int is_listening_stream(int fd)
{
	int on = 0, type = 0;
	socklen_t len = sizeof(on), tlen = sizeof(type);

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on &&
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 && type == SOCK_STREAM;
}

/* Only sockets on civetweb's ports: an inherited listening socket on
 * another port is not touched. */
void listeners_find(struct listeners *l, const int *ports, int nports)
{
	for (int fd = 0; fd < LISTENER_FD_SCAN && l->n < LISTENERS_MAX; fd++) {
		int port;
		if (!is_listening_stream(fd) || (port = port_of_fd(fd)) < 0)
			continue;
		for (int i = 0; i < nports; i++)
			if (ports[i] == port) {
				l->fd[l->n++] = fd;
				break;
			}
	}
}

/* The pipe's write end stays open, so its read end never reports POLLHUP
 * (civetweb's master would spin on it). shutdown comes first: the
 * master's poll holds the socket open until it returns, and the kernel
 * would queue connections on it meanwhile; a socket shut down listens no
 * more, and its queue is reset. */
int listeners_quiesce(struct listeners *l, struct err *e)
{
	size_t done = 0;

	if (l->quiet[0] >= 0)
		return 0;
	if (pipe(l->quiet) != 0) {
		l->quiet[0] = l->quiet[1] = -1;
		return err_set(e, "cannot stop accepting: pipe: %s", strerror(errno));
	}
	for (size_t i = 0; i < l->n; i++)
		if ((l->inherited > 0 || shutdown(l->fd[i], SHUT_RDWR) == 0) &&
		    dup2(l->quiet[0], l->fd[i]) == l->fd[i]) {
			fcntl(l->fd[i], F_SETFD, FD_CLOEXEC);
			done++;
		}
	if (done < l->n || l->n == 0)
		return err_set(e, "stopped accepting on %zu of %zu listening sockets", done, l->n);
	return 0;
}

/* ---- socket activation ---- */

static int passed_count(size_t *n, struct err *e)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	unsigned long p, k;
	char *end;

	if (pid == NULL || fds == NULL)
		return err_set(e, "listen = systemd, but no socket was passed (LISTEN_PID and "
		    "LISTEN_FDS are not set: start lookupd from its .socket unit)");
	errno = 0;
	p = strtoul(pid, &end, 10);
	if (errno != 0 || *end != '\0' || p != (unsigned long)getpid())
		return err_set(e, "listen = systemd: LISTEN_PID is %s, not this process", pid);
	k = strtoul(fds, &end, 10);
	if (errno != 0 || *end != '\0' || k < 1 || k > LISTENERS_MAX)
		return err_set(e, "listen = systemd: LISTEN_FDS is '%s', not 1 to %d", fds,
		    LISTENERS_MAX);
	*n = k;
	return 0;
}

/* An IPv6 socket only with an IPv6 civetweb: the system library's
 * address buffers have no room for one. */
static int passed_check(int fd, int ipv6, struct err *e)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (!is_listening_stream(fd) || getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return err_set(e, "listen = systemd: descriptor %d is not a listening stream "
		    "socket (ListenStream= in the .socket unit)", fd);
	if (ss.ss_family == AF_INET6 && !ipv6)
		return err_set(e, "listen = systemd: descriptor %d is IPv6, which this "
		    "lookupd's civetweb cannot serve (the system library)", fd);
	if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
		return err_set(e, "listen = systemd: descriptor %d is not an IP socket", fd);
	return 0;
}

int listeners_passed(size_t *n, int ipv6, struct err *e)
{
	if (passed_count(n, e) != 0)
		return -1;
	for (size_t i = 0; i < *n; i++)
		if (passed_check(SD_LISTEN_FDS_START + (int)i, ipv6, e) != 0)
			return -1;
	return 0;
}

char *listeners_placeholders(size_t n)
{
	static const char one[] = "127.0.0.1:0";
	char *list = malloc(n * sizeof(one));

	if (list == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		memcpy(list + i * sizeof(one), one, sizeof(one) - 1);
		list[i * sizeof(one) + sizeof(one) - 1] = i + 1 < n ? ',' : '\0';
	}
	return list;
}

int listeners_inherit(struct listeners *l, size_t n, struct err *e)
{
	if (l->n != n)
		return err_set(e, "listen = systemd: civetweb bound %zu placeholders for %zu "
		    "sockets", l->n, n);
	for (size_t i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + (int)i;
		if (dup2(fd, l->fd[i]) != l->fd[i])
			return err_set(e, "listen = systemd: dup2: %s", strerror(errno));
		fcntl(l->fd[i], F_SETFD, FD_CLOEXEC);
		close(fd);
	}
	l->inherited = n;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return 0;
}

void listeners_describe(const struct listeners *l, char *out, size_t size)
{
	size_t o = 0;

	if (size == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < l->n && o < size; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char addr[INET6_ADDRSTRLEN] = "?";
		int v6, w;
		if (getsockname(l->fd[i], (struct sockaddr *)&ss, &len) != 0)
			continue;
		v6 = ss.ss_family == AF_INET6;
		inet_ntop(ss.ss_family, v6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr :
		    (void *)&((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof(addr));
		w = snprintf(out + o, size - o, "%s%s%s%s:%d", o ? ", " : "", v6 ? "[" : "", addr,
		    v6 ? "]" : "", port_of_fd(l->fd[i]));
		if (w < 0 || (size_t)w >= size - o)
			break;
		o += (size_t)w;
	}
}

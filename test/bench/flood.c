/* Benchmark load tool: holds hostile connections to an HTTP server and
 * measures, meanwhile, how long fresh clients wait for an answer. One
 * process, one epoll loop, every socket nonblocking, every buffer bounded.
 * Usage: flood --help. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PER_KIND 100000	/* hostile connections of one kind */
#define MAX_PROBES 100000
#define MAX_PROBE_CONC 10000
#define MAX_PATH 4096		/* a request target */
#define MAX_POST_DER 65536	/* the --post-file request */
#define RESP_HDR_MAX 8192	/* a response's status line and headers */
#define RESP_BODY_MAX (1L << 20)
#define SLOW_STREAM_MAX 8192	/* a slowloris never sends more (hours of bytes) */
#define SLOW_BODY_LEN 100	/* the Content-Length a slow body announces */
#define NOREAD_PIPELINE 16384	/* GETs a never-reading connection sends */
#define EVENTS_MAX 256
#define READS_PER_EVENT 8	/* then the next connection's turn */
#define SPARE_FDS 16		/* stdio, epoll, the post file */
#define CHURN_US 100000		/* closed sooner than this after connecting: back off */
#define BACKOFF_MIN_MS 20
#define BACKOFF_MAX_MS 2000

enum kind { K_SLOWLORIS, K_IDLE, K_SLOW_BODY, K_NO_READ, K_PROBE, K_COUNT };
#define K_HOSTILE K_PROBE	/* the kinds before it are held, probes are not */
static const char *const kind_name[K_COUNT] = {
	"slowloris", "idle", "slow_body", "no_read", "probe"
};

enum state { ST_DOWN, ST_CONNECTING, ST_OPEN };
enum outcome { P_OK, P_TIMEOUT, P_ERROR, P_STATUS, P_OUTCOMES };

/* A response being read: headers kept (bounded), the body only counted. */
struct resp {
	char hdr[RESP_HDR_MAX];
	size_t hdr_len;
	int status;		/* 0 until the headers are complete */
	long body_left;		/* -1: the body ends when the server closes */
	int done;
};

struct conn {
	int fd;
	uint32_t gen;		/* tells a stale epoll event from a newer socket's */
	enum kind kind;
	enum state state;
	uint32_t watching;	/* epoll mask registered, 0: not registered */
	size_t sent, limit;	/* octets of the stream sent, and allowed so far */
	int64_t due;		/* timer, µs, while heap_pos != 0 */
	size_t heap_pos;	/* 1 + index in the timer heap, 0: no timer */
	int64_t opened;		/* established at, µs */
	int64_t started;	/* probe: connect() called at, µs */
	unsigned backoff_ms;
	int answered;		/* idle: its GET has been answered */
	struct resp *resp;	/* idle and probe connections only */
};

/* What a kind sends: buf repeated; the first octets go at once, the rest
 * at the trickle rate for slowloris and slow-body connections. */
struct msg {
	char *buf;
	size_t len, total, first;
};

struct opts {
	unsigned long count[K_HOSTILE];
	double slow_interval, warmup, probe_timeout, probe_rate;
	unsigned long probes, probe_conc;
	const char *path, *post_path, *post_file;
	struct sockaddr_in addr;
	char host[32];		/* "a.b.c.d:port", the Host header */
};

enum otype { O_COUNT, O_REAL, O_STR };
struct optdef {
	const char *name;
	enum otype type;
	double min, max;	/* O_STR: bounds of its length */
	const char *def;	/* parsed like an argument; NULL: unset */
	size_t off;
	const char *arg, *help;
};

#define OFF(f) offsetof(struct opts, f)
static const struct optdef optdefs[] = {
	{ "slowloris", O_COUNT, 0, MAX_PER_KIND, "0", OFF(count[K_SLOWLORIS]), "N",
	  "GETs trickling headers, never ending" },
	{ "idle", O_COUNT, 0, MAX_PER_KIND, "0", OFF(count[K_IDLE]), "N",
	  "keep-alive clients idle after one answer" },
	{ "slow-body", O_COUNT, 0, MAX_PER_KIND, "0", OFF(count[K_SLOW_BODY]), "N",
	  "POSTs trickling a 100-octet body" },
	{ "no-read", O_COUNT, 0, MAX_PER_KIND, "0", OFF(count[K_NO_READ]), "N",
	  "clients pipelining GETs, never reading" },
	{ "slow-interval", O_REAL, 0.001, 3600, "2", OFF(slow_interval), "S",
	  "seconds between two trickled bytes" },
	{ "path", O_STR, 1, MAX_PATH, "/", OFF(path), "PATH",
	  "target of every GET" },
	{ "post-path", O_STR, 1, MAX_PATH, "/", OFF(post_path), "PATH",
	  "target of every POST" },
	{ "warmup", O_REAL, 0, 3600, "2", OFF(warmup), "S",
	  "seconds of holding before the probes" },
	{ "probes", O_COUNT, 1, MAX_PROBES, "200", OFF(probes), "K",
	  "fresh clients measured, one request each" },
	{ "probe-concurrency", O_COUNT, 1, MAX_PROBE_CONC, "1", OFF(probe_conc), "C",
	  "probes in flight at once" },
	{ "probe-rate", O_REAL, 0, 1000000, "0", OFF(probe_rate), "R",
	  "probes started per second, 0: no limit" },
	{ "probe-timeout", O_REAL, 0.001, 600, "5", OFF(probe_timeout), "S",
	  "seconds for a whole answer, from connect()" },
	{ "post-file", O_STR, 1, 4096, NULL, OFF(post_file), "DER",
	  "probes POST this OCSP request to --post-path" },
};
#define NOPTS (sizeof(optdefs) / sizeof(optdefs[0]))

/* The whole run's state: one tool, one loop. */
static struct {
	struct opts o;
	int ep;
	struct conn *conns;
	size_t nconns, nhostile;
	struct conn **heap;
	size_t heap_len;
	size_t *free_probes, nfree_probes;
	struct msg msg[K_COUNT];
	unsigned held[K_HOSTILE], held_at_probe[K_HOSTILE];
	unsigned answered, answered_at_probe;
	unsigned long reconnects, connect_fails;
	unsigned long outcome[P_OUTCOMES];
	double *lat_ms;
	unsigned long started, done, inflight;
	double fastest_ms;	/* of the probes answered 200, 0 if none */
} F;

static char scratch[65536];
static volatile sig_atomic_t stop;

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void usage(FILE *to)
{
	size_t i;

	fprintf(to, "usage: flood [options] HOST:PORT\n"
	    "Holds hostile connections to the HTTP server on IPv4 HOST:PORT and, after the\n"
	    "warm-up, measures fresh clients from connect() to the last octet of the answer.\n"
	    "A closed hostile connection is reopened at once (after a backoff when it failed\n"
	    "to connect or was closed within 0.1 s). One line on standard output:\n"
	    "  held slowloris=N idle=N idle_answered=N slow_body=N no_read=N probes=K ok=N\n"
	    "  fail=N timeout=N error=N bad_status=N p50_ms=X p99_ms=X max_ms=X\n"
	    "  reconnects=N connect_fail=N\n"
	    "held: connections open when the probes start. A probe fails on its timeout, a\n"
	    "connection error or a status other than 200; in the percentiles a failed probe\n"
	    "counts as the probe timeout. Trickling sends one octet per --slow-interval; a\n"
	    "never-reading client sends 16384 GETs. Exit status: 0 when every probe ran, 1\n"
	    "when the run could not be made or was interrupted, 2 for a usage error.\n");
	for (i = 0; i < NOPTS; i++) {
		const struct optdef *d = &optdefs[i];
		char left[40];

		snprintf(left, sizeof(left), "--%s %s", d->name, d->arg);
		fprintf(to, "  %-22s %s", left, d->help);
		if (d->def != NULL)
			fprintf(to, " (default %s)", d->def);
		fputc('\n', to);
	}
}

static int opt_set(struct opts *o, const struct optdef *d, const char *v)
{
	char *end;
	void *at = (char *)o + d->off;
	double x;

	if (d->type == O_STR) {
		size_t n = strlen(v);

		if (n < d->min || n > d->max) {
			fprintf(stderr, "flood: --%s: %zu characters, want %.0f to %.0f\n",
			    d->name, n, d->min, d->max);
			return -1;
		}
		*(const char **)at = v;
		return 0;
	}
	errno = 0;
	if (d->type == O_COUNT) {
		unsigned long u = strtoul(v, &end, 10);

		x = (double)u;
		if (strchr(v, '-') != NULL)
			end = (char *)v;
	} else {
		x = strtod(v, &end);
	}
	if (errno != 0 || end == v || *end != '\0' || !(x >= d->min && x <= d->max)) {
		fprintf(stderr, "flood: --%s %s: want a number from %g to %g\n", d->name, v,
		    d->min, d->max);
		return -1;
	}
	if (d->type == O_COUNT)
		*(unsigned long *)at = (unsigned long)x;
	else
		*(double *)at = x;
	return 0;
}

static const struct optdef *opt_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (strlen(optdefs[i].name) == len && strncmp(optdefs[i].name, name, len) == 0)
			return &optdefs[i];
	return NULL;
}

/* A request target is sent as it is: printable ASCII, no spaces. */
static int target_ok(const char *what, const char *p)
{
	if (p[0] != '/') {
		fprintf(stderr, "flood: %s must start with '/'\n", what);
		return -1;
	}
	for (; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			fprintf(stderr, "flood: %s: only printable ASCII without spaces\n", what);
			return -1;
		}
	return 0;
}

static int addr_parse(struct opts *o, const char *hp)
{
	char ip[16], *end;
	const char *colon = strrchr(hp, ':');
	unsigned long port;

	if (colon == NULL || (size_t)(colon - hp) >= sizeof(ip)) {
		fprintf(stderr, "flood: %s: want an IPv4 HOST:PORT\n", hp);
		return -1;
	}
	memcpy(ip, hp, (size_t)(colon - hp));
	ip[colon - hp] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	memset(&o->addr, 0, sizeof(o->addr));
	o->addr.sin_family = AF_INET;
	if (errno != 0 || end == colon + 1 || *end != '\0' || port < 1 || port > 65535 ||
	    inet_pton(AF_INET, ip, &o->addr.sin_addr) != 1) {
		fprintf(stderr, "flood: %s: want an IPv4 HOST:PORT\n", hp);
		return -1;
	}
	o->addr.sin_port = htons((uint16_t)port);
	snprintf(o->host, sizeof(o->host), "%s:%lu", ip, port);
	return 0;
}

/* Returns 0, 1 after --help, -1 on a usage error (with a message). */
static int opts_parse(struct opts *o, int argc, char **argv)
{
	const char *target = NULL;
	size_t i;
	int a;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < NOPTS; i++)
		if (optdefs[i].def != NULL && opt_set(o, &optdefs[i], optdefs[i].def) < 0)
			abort();
	for (a = 1; a < argc; a++) {
		const char *arg = argv[a], *eq, *v;
		const struct optdef *d;

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
			return 1;
		if (strncmp(arg, "--", 2) != 0) {
			if (target != NULL) {
				fprintf(stderr, "flood: one HOST:PORT only\n");
				return -1;
			}
			target = arg;
			continue;
		}
		eq = strchr(arg + 2, '=');
		d = opt_find(arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2));
		if (d == NULL) {
			fprintf(stderr, "flood: unknown option %s\n", arg);
			return -1;
		}
		if (eq == NULL && a + 1 >= argc) {
			fprintf(stderr, "flood: --%s needs %s\n", d->name, d->arg);
			return -1;
		}
		v = eq ? eq + 1 : argv[++a];
		if (opt_set(o, d, v) < 0)
			return -1;
	}
	if (target == NULL) {
		fprintf(stderr, "flood: no HOST:PORT\n");
		return -1;
	}
	if (target_ok("--path", o->path) < 0 || target_ok("--post-path", o->post_path) < 0)
		return -1;
	return addr_parse(o, target);
}

/* ---- requests ---- */

/* A bounded string builder: overflow is sticky and checked once. */
struct sb {
	char *p;
	size_t len, cap;
	int over;
};

static void sb_add(struct sb *b, const void *s, size_t n)
{
	if (b->over || n > b->cap - b->len) {
		b->over = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_head(struct sb *b, const char *method, const char *target, const char *host)
{
	sb_str(b, method);
	sb_str(b, " ");
	sb_str(b, target);
	sb_str(b, " HTTP/1.1\r\nHost: ");
	sb_str(b, host);
	sb_str(b, "\r\nUser-Agent: flood\r\n");
}

/* Reads the --post-file request into scratch; returns its length, or 0. */
static size_t read_der(const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "flood: %s: %s\n", path, strerror(errno));
		return 0;
	}
	n = fread(scratch, 1, MAX_POST_DER + 1, f);
	if (ferror(f)) {
		fprintf(stderr, "flood: %s: read error\n", path);
		n = 0;
	} else if (n == 0 || n > MAX_POST_DER) {
		fprintf(stderr, "flood: %s: want 1 to %d octets\n", path, MAX_POST_DER);
		n = 0;
	}
	fclose(f);
	return n;
}

/* The probe's request: a GET of --path, or a POST of --post-file. */
static int msg_probe(const struct opts *o, struct sb *b)
{
	char cl[32];
	size_t n;

	if (o->post_file == NULL) {
		sb_head(b, "GET", o->path, o->host);
		sb_str(b, "Connection: close\r\n\r\n");
		return 0;
	}
	if ((n = read_der(o->post_file)) == 0)
		return -1;
	snprintf(cl, sizeof(cl), "%zu", n);
	sb_head(b, "POST", o->post_path, o->host);
	sb_str(b, "Content-Type: application/ocsp-request\r\nContent-Length: ");
	sb_str(b, cl);
	sb_str(b, "\r\nConnection: close\r\n\r\n");
	sb_add(b, scratch, n);
	return 0;
}

static int msg_build(const struct opts *o, enum kind k, struct msg *m)
{
	size_t cap = k == K_PROBE ? MAX_PATH + MAX_POST_DER + 1024 : MAX_PATH + SLOW_STREAM_MAX;
	struct sb b = { malloc(cap), 0, cap, 0 };
	size_t i;

	if (b.p == NULL) {
		fprintf(stderr, "flood: out of memory\n");
		return -1;
	}
	m->buf = b.p;
	m->first = 0;
	switch (k) {
	case K_SLOWLORIS:
		sb_head(&b, "GET", o->path, o->host);
		/* More header lines, never the blank line that would end them. */
		while (b.len + 12 <= SLOW_STREAM_MAX)
			sb_str(&b, "X-Flood: 1\r\n");
		m->first = 1;
		break;
	case K_SLOW_BODY:
		sb_head(&b, "POST", o->post_path, o->host);
		sb_str(&b, "Content-Type: application/ocsp-request\r\nContent-Length: 100\r\n\r\n");
		m->first = b.len;
		for (i = 0; i < SLOW_BODY_LEN; i++)
			sb_str(&b, "0");
		break;
	case K_IDLE:
	case K_NO_READ:
		sb_head(&b, "GET", o->path, o->host);
		sb_str(&b, "\r\n");
		break;
	case K_PROBE:
		if (msg_probe(o, &b) < 0)
			return -1;
		break;
	default:
		abort();
	}
	if (b.over) {
		fprintf(stderr, "flood: the %s request is too long\n", kind_name[k]);
		return -1;
	}
	m->len = b.len;
	m->total = k == K_NO_READ ? b.len * NOREAD_PIPELINE : b.len;
	if (m->first == 0)
		m->first = m->total;
	return 0;
}

/* ---- responses ---- */

static void resp_reset(struct resp *r)
{
	r->hdr_len = 0;
	r->status = 0;
	r->body_left = -1;
	r->done = 0;
}

/* The headers are complete in r->hdr (hdr_len octets, NUL-terminated). */
static int resp_headers(struct resp *r)
{
	const char *p = r->hdr, *line;
	char *end;
	unsigned long v;

	if (strncmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ')
		return -1;
	errno = 0;
	v = strtoul(p + 9, &end, 10);
	if (errno != 0 || end != p + 12 || v < 100 || v > 999)
		return -1;
	r->status = (int)v;
	for (line = strstr(p, "\r\n"); line != NULL; line = strstr(line + 2, "\r\n")) {
		if (strncasecmp(line + 2, "Content-Length:", 15) != 0)
			continue;
		errno = 0;
		v = strtoul(line + 17, &end, 10);
		if (errno != 0 || end == line + 17 || v > (unsigned long)RESP_BODY_MAX)
			return -1;
		r->body_left = (long)v;
	}
	return 0;
}

/* Feeds n octets read; returns -1 on a response it cannot read. */
static int resp_feed(struct resp *r, const char *d, size_t n)
{
	if (r->done)
		return 0;
	if (r->status == 0) {
		size_t from = r->hdr_len > 3 ? r->hdr_len - 3 : 0, take, i;
		char *eoh;

		take = n < RESP_HDR_MAX - 1 - r->hdr_len ? n : RESP_HDR_MAX - 1 - r->hdr_len;
		memcpy(r->hdr + r->hdr_len, d, take);
		r->hdr_len += take;
		r->hdr[r->hdr_len] = '\0';
		eoh = strstr(r->hdr + from, "\r\n\r\n");
		if (eoh == NULL)
			return r->hdr_len >= RESP_HDR_MAX - 1 ? -1 : 0;
		i = (size_t)(eoh + 4 - r->hdr);
		eoh[2] = '\0';		/* the header scan stops before the body */
		if (resp_headers(r) < 0)
			return -1;
		/* What followed the headers in this read is body. */
		n = r->hdr_len - i + (n - take);
	}
	if (r->body_left >= 0) {
		r->body_left -= (long)n < r->body_left ? (long)n : r->body_left;
		if (r->body_left == 0)
			r->done = 1;
	}
	return 0;
}

/* ---- timers: a binary min-heap of connections by due time ---- */

static void heap_place(size_t i, struct conn *c)
{
	F.heap[i] = c;
	c->heap_pos = i + 1;
}

static void heap_up(size_t i)
{
	struct conn *c = F.heap[i];

	while (i > 0 && F.heap[(i - 1) / 2]->due > c->due) {
		heap_place(i, F.heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_place(i, c);
}

static void heap_down(size_t i)
{
	struct conn *c = F.heap[i];

	for (;;) {
		size_t k = 2 * i + 1;

		if (k >= F.heap_len)
			break;
		if (k + 1 < F.heap_len && F.heap[k + 1]->due < F.heap[k]->due)
			k++;
		if (F.heap[k]->due >= c->due)
			break;
		heap_place(i, F.heap[k]);
		i = k;
	}
	heap_place(i, c);
}

static void timer_clear(struct conn *c)
{
	size_t i = c->heap_pos;
	struct conn *last;

	if (i == 0)
		return;
	c->heap_pos = 0;
	last = F.heap[--F.heap_len];
	if (last == c)
		return;
	heap_place(i - 1, last);
	heap_up(i - 1);
	heap_down(last->heap_pos - 1);
}

static void timer_set(struct conn *c, int64_t due)
{
	timer_clear(c);
	c->due = due;
	heap_place(F.heap_len++, c);
	heap_up(F.heap_len - 1);
}

/* ---- connections ---- */

static int kind_reads(enum kind k)
{
	return k != K_NO_READ;
}

static int kind_trickles(enum kind k)
{
	return k == K_SLOWLORIS || k == K_SLOW_BODY;
}

static int64_t interval_us(void)
{
	return (int64_t)(F.o.slow_interval * 1e6);
}

static void conn_watch(struct conn *c, uint32_t ev)
{
	struct epoll_event e;

	if (ev == c->watching)
		return;
	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.u64 = (uint64_t)c->gen << 32 | (uint64_t)(c - F.conns);
	if (epoll_ctl(F.ep, c->watching ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &e) != 0) {
		fprintf(stderr, "flood: epoll_ctl: %s\n", strerror(errno));
		exit(1);
	}
	c->watching = ev;
}

/* Closes the socket; a hostile one with a reset, so that thousands of
 * them closed at the end leave no TIME_WAIT ports behind. */
static void conn_close(struct conn *c, int reset)
{
	struct linger lg = { 1, 0 };

	if (c->fd >= 0) {
		if (reset)
			setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c->fd);
	}
	if (c->state == ST_OPEN && c->kind < K_HOSTILE)
		F.held[c->kind]--;
	if (c->answered)
		F.answered--;
	c->fd = -1;
	c->gen++;
	c->watching = 0;
	c->answered = 0;
	c->state = ST_DOWN;
}

static void probe_finish(struct conn *c, enum outcome out, int64_t now)
{
	double ms = out == P_OK ? (double)(now - c->started) / 1000.0 : F.o.probe_timeout * 1000.0;

	timer_clear(c);
	conn_close(c, 0);
	if (out == P_OK && (F.fastest_ms == 0 || ms < F.fastest_ms))
		F.fastest_ms = ms;
	F.lat_ms[F.done++] = ms;
	F.outcome[out]++;
	F.inflight--;
	F.free_probes[F.nfree_probes++] = (size_t)(c - F.conns);
}

static void conn_open(struct conn *c, int64_t now);

static void backoff(struct conn *c, int64_t now)
{
	c->backoff_ms = c->backoff_ms ? 2 * c->backoff_ms : BACKOFF_MIN_MS;
	if (c->backoff_ms > BACKOFF_MAX_MS)
		c->backoff_ms = BACKOFF_MAX_MS;
	timer_set(c, now + (int64_t)c->backoff_ms * 1000);
}

static void connect_failed(struct conn *c, int64_t now)
{
	F.connect_fails++;
	if (c->kind == K_PROBE) {
		probe_finish(c, P_ERROR, now);
		return;
	}
	conn_close(c, 0);
	backoff(c, now);
}

/* The server closed (or reset) an open connection. */
static void conn_lost(struct conn *c, int64_t now)
{
	int quick = now - c->opened < CHURN_US;

	if (c->kind == K_PROBE) {
		probe_finish(c, c->resp->done || (c->resp->status != 0 && c->resp->body_left < 0) ?
		    (c->resp->status == 200 ? P_OK : P_STATUS) : P_ERROR, now);
		return;
	}
	timer_clear(c);
	conn_close(c, 0);
	F.reconnects++;
	if (quick) {
		backoff(c, now);
		return;
	}
	c->backoff_ms = 0;
	conn_open(c, now);
}

static uint32_t conn_mask(const struct conn *c)
{
	const struct msg *m = &F.msg[c->kind];
	size_t want = c->limit < m->total ? c->limit : m->total;
	uint32_t ev = EPOLLRDHUP;

	if (kind_reads(c->kind))
		ev |= EPOLLIN;
	if (c->sent < want)
		ev |= EPOLLOUT;
	return ev;
}

/* Sends what the stream allows so far; returns -1 when the connection
 * was lost (and c may already be a new one). */
static int conn_flush(struct conn *c, int64_t now)
{
	const struct msg *m = &F.msg[c->kind];
	size_t want = c->limit < m->total ? c->limit : m->total;

	while (c->sent < want) {
		size_t off = c->sent % m->len, n = m->len - off;
		ssize_t w;

		if (n > want - c->sent)
			n = want - c->sent;
		w = send(c->fd, m->buf + off, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (w < 0) {
			conn_lost(c, now);
			return -1;
		}
		c->sent += (size_t)w;
	}
	conn_watch(c, conn_mask(c));
	return 0;
}

static void conn_established(struct conn *c, int64_t now)
{
	c->state = ST_OPEN;
	c->opened = now;
	c->sent = 0;
	c->limit = F.msg[c->kind].first;
	if (c->kind < K_HOSTILE)
		F.held[c->kind]++;
	if (c->resp != NULL)
		resp_reset(c->resp);
	if (conn_flush(c, now) < 0)
		return;
	if (kind_trickles(c->kind) && c->sent < F.msg[c->kind].total)
		timer_set(c, now + interval_us());
}

static void conn_open(struct conn *c, int64_t now)
{
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		connect_failed(c, now);
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (const struct sockaddr *)&F.o.addr, sizeof(F.o.addr)) == 0) {
		conn_established(c, now);
		return;
	}
	if (errno != EINPROGRESS) {
		connect_failed(c, now);
		return;
	}
	c->state = ST_CONNECTING;
	conn_watch(c, EPOLLOUT);
}

static void on_connected(struct conn *c, int64_t now)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
		connect_failed(c, now);
		return;
	}
	conn_established(c, now);
}

/* Reads what arrived; returns -1 when the connection is gone (the server
 * closed it, or a probe finished). */
static int conn_read(struct conn *c, int64_t now)
{
	int i;

	for (i = 0; i < READS_PER_EVENT; i++) {
		ssize_t n = recv(c->fd, scratch, sizeof(scratch), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0) {
			conn_lost(c, now);
			return -1;
		}
		if (c->resp == NULL || c->resp->done)
			continue;
		if (resp_feed(c->resp, scratch, (size_t)n) < 0) {
			if (c->kind == K_PROBE) {
				probe_finish(c, P_ERROR, now);
				return -1;
			}
			conn_lost(c, now);
			return -1;
		}
		if (c->resp->done && c->kind == K_PROBE) {
			probe_finish(c, c->resp->status == 200 ? P_OK : P_STATUS, now);
			return -1;
		}
		if (c->resp->done && !c->answered) {
			c->answered = 1;
			F.answered++;
		}
	}
	return 0;
}

static void on_event(struct conn *c, uint32_t ev, int64_t now)
{
	if (c->state == ST_CONNECTING) {
		on_connected(c, now);
		return;
	}
	if (c->state != ST_OPEN)
		return;
	if (kind_reads(c->kind) && (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
		if (conn_read(c, now) < 0)
			return;
	} else if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		conn_lost(c, now);
		return;
	}
	if (ev & EPOLLOUT)
		conn_flush(c, now);
}

static void on_timer(struct conn *c, int64_t now)
{
	int64_t next;

	if (c->kind == K_PROBE) {
		probe_finish(c, P_TIMEOUT, now);
		return;
	}
	if (c->state == ST_DOWN) {
		conn_open(c, now);
		return;
	}
	/* A trickling connection: one more octet. */
	next = c->due + interval_us();
	c->limit++;
	if (conn_flush(c, now) < 0)
		return;
	if (c->sent < F.msg[c->kind].total)
		timer_set(c, next > now ? next : now);
}

static void run_timers(int64_t now)
{
	while (F.heap_len > 0 && F.heap[0]->due <= now) {
		struct conn *c = F.heap[0];

		timer_clear(c);
		on_timer(c, now);
	}
}

/* ---- the run ---- */

static void probe_start(void)
{
	struct conn *c = &F.conns[F.free_probes[--F.nfree_probes]];

	F.started++;
	F.inflight++;
	c->started = now_us();
	timer_set(c, c->started + (int64_t)(F.o.probe_timeout * 1e6));
	conn_open(c, c->started);
}

/* Starts the probes that are due; returns when the next one is due (µs),
 * or INT64_MAX. */
static int64_t probes_due(int64_t t0, int64_t now)
{
	while (F.started < F.o.probes && F.nfree_probes > 0) {
		int64_t at = F.o.probe_rate > 0 ? t0 + (int64_t)((double)F.started * 1e6 / F.o.probe_rate) : now;

		if (at > now)
			return at;
		probe_start();
	}
	return INT64_MAX;
}

static int wait_ms(int64_t now, int64_t until)
{
	int64_t d;

	if (F.heap_len > 0 && F.heap[0]->due < until)
		until = F.heap[0]->due;
	if (until <= now)
		return 0;
	d = (until - now + 999) / 1000;
	return d > 1000 ? 1000 : (int)d;
}

static void dispatch(const struct epoll_event *evs, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		uint32_t idx = (uint32_t)evs[i].data.u64, gen = (uint32_t)(evs[i].data.u64 >> 32);

		if (idx < F.nconns && F.conns[idx].gen == gen && F.conns[idx].fd >= 0)
			on_event(&F.conns[idx], evs[i].events, now_us());
	}
}

static void held_snapshot(void)
{
	memcpy(F.held_at_probe, F.held, sizeof(F.held));
	F.answered_at_probe = F.answered;
}

/* Opens the hostile connections one kind after the other in turn, so that
 * a server's short backlog is shared among the kinds. */
static void open_hostile(int64_t now)
{
	size_t base[K_HOSTILE], i, most = 0;
	int k;

	for (k = 0, base[0] = 0; k < K_HOSTILE; k++) {
		if (k > 0)
			base[k] = base[k - 1] + F.o.count[k - 1];
		if (F.o.count[k] > most)
			most = F.o.count[k];
	}
	for (i = 0; i < most; i++)
		for (k = 0; k < K_HOSTILE; k++)
			if (i < F.o.count[k])
				conn_open(&F.conns[base[k] + i], now);
}

/* Holds for the warm-up, then probes; returns 0, or -1 if interrupted. */
static int run(void)
{
	struct epoll_event evs[EVENTS_MAX];
	int64_t now = now_us(), hold_end = now + (int64_t)(F.o.warmup * 1e6), probe_t0 = 0;
	int probing = 0;

	open_hostile(now);
	while (!stop) {
		int64_t until;
		int n;

		now = now_us();
		run_timers(now);
		if (!probing && now >= hold_end) {
			probing = 1;
			probe_t0 = now;
			held_snapshot();
		}
		if (probing && F.done == F.o.probes)
			return 0;
		until = probing ? probes_due(probe_t0, now) : hold_end;
		n = epoll_wait(F.ep, evs, EVENTS_MAX, wait_ms(now, until));
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "flood: epoll_wait: %s\n", strerror(errno));
			return -1;
		}
		if (n > 0)
			dispatch(evs, n);
	}
	if (!probing)
		held_snapshot();
	return -1;
}

/* Raises the soft limit on descriptors to the hard one and checks that
 * every connection fits. */
static int fd_budget(size_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		fprintf(stderr, "flood: getrlimit: %s\n", strerror(errno));
		return -1;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && need + SPARE_FDS > rl.rlim_cur) {
		fprintf(stderr, "flood: %zu connections need %zu descriptors, the limit is %llu "
		    "(ulimit -n)\n", need, need + SPARE_FDS, (unsigned long long)rl.rlim_cur);
		return -1;
	}
	return 0;
}

static int setup(void)
{
	size_t nprobe = F.o.probe_conc < F.o.probes ? F.o.probe_conc : F.o.probes, i, n = 0;
	int k;

	for (k = 0; k < K_HOSTILE; k++)
		F.nhostile += F.o.count[k];
	F.nconns = F.nhostile + nprobe;
	if (fd_budget(F.nconns) < 0)
		return -1;
	for (k = 0; k < K_COUNT; k++)
		if (msg_build(&F.o, (enum kind)k, &F.msg[k]) < 0)
			return -1;
	F.conns = calloc(F.nconns, sizeof(*F.conns));
	F.heap = calloc(F.nconns, sizeof(*F.heap));
	F.free_probes = calloc(nprobe, sizeof(*F.free_probes));
	F.lat_ms = calloc(F.o.probes, sizeof(*F.lat_ms));
	if (F.conns == NULL || F.heap == NULL || F.free_probes == NULL || F.lat_ms == NULL)
		goto nomem;
	for (k = 0; k <= K_HOSTILE; k++) {
		size_t count = k == K_PROBE ? nprobe : F.o.count[k];

		for (i = 0; i < count; i++, n++) {
			struct conn *c = &F.conns[n];

			c->fd = -1;
			c->kind = (enum kind)k;
			if (k == K_IDLE || k == K_PROBE) {
				if ((c->resp = malloc(sizeof(*c->resp))) == NULL)
					goto nomem;
				resp_reset(c->resp);
			}
			if (k == K_PROBE)
				F.free_probes[F.nfree_probes++] = n;
		}
	}
	if ((F.ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		fprintf(stderr, "flood: epoll_create1: %s\n", strerror(errno));
		return -1;
	}
	return 0;
nomem:
	fprintf(stderr, "flood: out of memory\n");
	return -1;
}

static void teardown(void)
{
	size_t i;
	int k;

	for (i = 0; i < F.nconns && F.conns != NULL; i++) {
		conn_close(&F.conns[i], F.conns[i].kind < K_HOSTILE);
		free(F.conns[i].resp);
	}
	if (F.ep >= 0)
		close(F.ep);
	for (k = 0; k < K_COUNT; k++)
		free(F.msg[k].buf);
	free(F.conns);
	free(F.heap);
	free(F.free_probes);
	free(F.lat_ms);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least pct% of them at or below. */
static double pctl(const double *sorted, size_t n, unsigned pct)
{
	size_t rank = (pct * n + 99) / 100;

	return n == 0 ? 0 : sorted[rank > 0 ? rank - 1 : 0];
}

static void report(void)
{
	size_t n = F.done;
	unsigned long fail = n - F.outcome[P_OK];

	qsort(F.lat_ms, n, sizeof(*F.lat_ms), cmp_double);
	printf("held slowloris=%u idle=%u idle_answered=%u slow_body=%u no_read=%u "
	    "probes=%zu ok=%lu fail=%lu timeout=%lu error=%lu bad_status=%lu "
	    "p50_ms=%.2f p99_ms=%.2f max_ms=%.2f reconnects=%lu connect_fail=%lu\n",
	    F.held_at_probe[K_SLOWLORIS], F.held_at_probe[K_IDLE], F.answered_at_probe,
	    F.held_at_probe[K_SLOW_BODY], F.held_at_probe[K_NO_READ], n, F.outcome[P_OK], fail,
	    F.outcome[P_TIMEOUT], F.outcome[P_ERROR], F.outcome[P_STATUS],
	    pctl(F.lat_ms, n, 50), pctl(F.lat_ms, n, 99), n ? F.lat_ms[n - 1] : 0.0,
	    F.reconnects, F.connect_fails);
	fflush(stdout);
	fprintf(stderr, "flood: %zu of %zu hostile connections held when the probes started, "
	    "%u/%u/%u/%u at the end; %lu of %zu probes answered 200 within %g s",
	    (size_t)F.held_at_probe[0] + F.held_at_probe[1] + F.held_at_probe[2] +
	    F.held_at_probe[3], F.nhostile, F.held[0], F.held[1], F.held[2], F.held[3],
	    F.outcome[P_OK], n, F.o.probe_timeout);
	if (F.outcome[P_OK] > 0)
		fprintf(stderr, ", the fastest in %.2f ms", F.fastest_ms);
	fputc('\n', stderr);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	int rc;

	rc = opts_parse(&F.o, argc, argv);
	if (rc > 0) {
		usage(stdout);
		return 0;
	}
	if (rc < 0) {
		fprintf(stderr, "usage: flood [options] HOST:PORT (flood --help)\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	F.ep = -1;
	rc = setup() < 0 ? 1 : 0;
	if (rc == 0) {
		rc = run() < 0 ? 1 : 0;
		report();
	}
	teardown();
	return rc;
}

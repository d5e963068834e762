#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 50 us to 1 s: a cached GET takes tens of microseconds, an online
 * signature with an HSM milliseconds, a slow client up to header_timeout. */
const uint64_t metrics_bucket_us[METRICS_BUCKETS] = {
	50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
	500000, 1000000,
};

/* The statuses http.c sends, in slot order; the last slot is "other". */
static const int codes[METRICS_CODES - 1] = {
	200, 304, 400, 404, 405, 408, 413, 415, 431, 500, 503,
};

struct metrics {
	struct metrics_shard *shards;	/* nshards + 1: the last is shared */
	size_t nshards;
	atomic_size_t taken;
};

static void bump(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t get(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

int metrics_new(size_t nshards, struct metrics **out, struct err *e)
{
	struct metrics *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (m == NULL)
		return err_set(e, "out of memory");
	/* Zeroed memory is what every _Atomic counter starts from; calloc of
	 * this size comes from untouched pages, so a shard costs memory only
	 * once its worker counts something. */
	m->shards = aligned_alloc(64, (nshards + 1) * sizeof(*m->shards));
	if (m->shards == NULL) {
		free(m);
		return err_set(e, "out of memory for %zu metrics shards", nshards);
	}
	memset(m->shards, 0, (nshards + 1) * sizeof(*m->shards));
	m->nshards = nshards;
	atomic_init(&m->taken, 0);
	*out = m;
	return 0;
}

void metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	free(m->shards);
	free(m);
}

struct metrics_shard *metrics_shard_take(struct metrics *m)
{
	size_t i = atomic_fetch_add_explicit(&m->taken, 1, memory_order_relaxed);

	return &m->shards[i < m->nshards ? i : m->nshards];
}

uint64_t metrics_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static size_t code_slot(int code)
{
	for (size_t i = 0; i < METRICS_CODES - 1; i++)
		if (codes[i] == code)
			return i;
	return METRICS_CODES - 1;
}

static void hist_add(struct metrics_hist *h, uint64_t us)
{
	size_t i = 0;

	while (i < METRICS_BUCKETS && us > metrics_bucket_us[i])
		i++;
	bump(&h->bucket[i], 1);
	bump(&h->sum_us, us);
}

void metrics_count_request(struct metrics_shard *s, const struct metrics_request *r)
{
	unsigned m = r->method < METRICS_METHODS ? r->method : METRICS_OTHER;
	unsigned o = r->ocsp < METRICS_OCSPS ? r->ocsp : METRICS_OCSP_NONE;

	bump(&s->requests[m][code_slot(r->code)][o], 1);
	if (o != METRICS_OCSP_NONE && r->source < METRICS_SOURCES)
		bump(&s->sources[r->source], 1);
	hist_add(&s->latency, r->duration_us);
	bump(&s->bytes, r->bytes);
	if (r->refusal >= 0 && r->refusal < METRICS_REFUSALS) {
		bump(&s->refused[r->refusal], 1);
		if (r->refusal == METRICS_REFUSED_BODY_TIMEOUT)
			bump(&s->timed_out, 1);
	}
	if (r->signed_online) {
		bump(&s->signatures, 1);
		hist_add(&s->sign_latency, r->sign_us);
	}
	if (r->sign_error)
		bump(&s->sign_errors, 1);
	if (r->status_unavailable)
		bump(&s->status_unavailable, 1);
}

void metrics_count_connection(struct metrics_shard *s, int64_t requests)
{
	bump(&s->connections, 1);
	/* civetweb closes a connection whose request head did not arrive in
	 * header_timeout without asking lookupd: no request on it is the
	 * sign of that (or of a client that gave up). */
	if (requests == 0)
		bump(&s->timed_out, 1);
}

/* ---- the text format ---- */

void metrics_text_init(struct metrics_text *t)
{
	memset(t, 0, sizeof(*t));
}

void metrics_text_fini(struct metrics_text *t)
{
	free(t->p);
	memset(t, 0, sizeof(*t));
}

static int text_room(struct metrics_text *t, size_t n)
{
	size_t cap;
	char *p;

	if (t->failed)
		return 0;
	if (n <= t->cap - t->len)
		return 1;
	if (n > METRICS_TEXT_MAX - t->len) {
		t->failed = 1;
		return 0;
	}
	cap = t->cap ? t->cap : 4096;
	while (cap - t->len < n)
		cap *= 2;
	if (cap > METRICS_TEXT_MAX)
		cap = METRICS_TEXT_MAX;
	if ((p = realloc(t->p, cap)) == NULL) {
		t->failed = 1;
		return 0;
	}
	t->p = p;
	t->cap = cap;
	return 1;
}

void metrics_text_add(struct metrics_text *t, const char *s, size_t n)
{
	if (n == 0 || !text_room(t, n))
		return;
	memcpy(t->p + t->len, s, n);
	t->len += n;
}

void metrics_text_str(struct metrics_text *t, const char *s)
{
	metrics_text_add(t, s, strlen(s));
}

/* The format's escapes: \\ and \n everywhere, \" in label values. */
static void text_escaped(struct metrics_text *t, const char *s, int quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			metrics_text_add(t, "\\\\", 2);
		else if (*s == '\n')
			metrics_text_add(t, "\\n", 2);
		else if (*s == '"' && quote)
			metrics_text_add(t, "\\\"", 2);
		else
			metrics_text_add(t, s, 1);
	}
}

void metrics_text_family(struct metrics_text *t, const char *name, const char *type,
    const char *help)
{
	metrics_text_str(t, "# HELP ");
	metrics_text_str(t, name);
	metrics_text_str(t, " ");
	text_escaped(t, help, 0);
	metrics_text_str(t, "\n# TYPE ");
	metrics_text_str(t, name);
	metrics_text_str(t, " ");
	metrics_text_str(t, type);
	metrics_text_str(t, "\n");
}

static void text_sample_head(struct metrics_text *t, const char *name,
    const char *const *labels)
{
	metrics_text_str(t, name);
	if (labels != NULL && labels[0] != NULL) {
		metrics_text_str(t, "{");
		for (size_t i = 0; labels[i] != NULL && labels[i + 1] != NULL; i += 2) {
			if (i > 0)
				metrics_text_str(t, ",");
			metrics_text_str(t, labels[i]);
			metrics_text_str(t, "=\"");
			text_escaped(t, labels[i + 1], 1);
			metrics_text_str(t, "\"");
		}
		metrics_text_str(t, "}");
	}
	metrics_text_str(t, " ");
}

static void text_value(struct metrics_text *t, const char *fmt_out, int n)
{
	if (n < 0 || n >= 32) {
		t->failed = 1;
		return;
	}
	metrics_text_add(t, fmt_out, (size_t)n);
	metrics_text_str(t, "\n");
}

void metrics_text_u64(struct metrics_text *t, const char *name, const char *const *labels,
    uint64_t v)
{
	char num[32];

	text_sample_head(t, name, labels);
	text_value(t, num, snprintf(num, sizeof(num), "%llu", (unsigned long long)v));
}

void metrics_text_i64(struct metrics_text *t, const char *name, const char *const *labels,
    int64_t v)
{
	char num[32];

	text_sample_head(t, name, labels);
	text_value(t, num, snprintf(num, sizeof(num), "%lld", (long long)v));
}

void metrics_text_us(struct metrics_text *t, const char *name, const char *const *labels,
    uint64_t us)
{
	char num[32];

	text_sample_head(t, name, labels);
	text_value(t, num, snprintf(num, sizeof(num), "%llu.%06llu",
	    (unsigned long long)(us / 1000000), (unsigned long long)(us % 1000000)));
}

/* A bound in seconds as the le label: "0.00005", "1". */
static void bound_name(char *out, size_t size, uint64_t us)
{
	int n = snprintf(out, size, "%llu.%06llu", (unsigned long long)(us / 1000000),
	    (unsigned long long)(us % 1000000));

	if (n <= 0 || (size_t)n >= size)
		return;
	while (n > 1 && out[n - 1] == '0')
		out[--n] = '\0';
	if (out[n - 1] == '.')
		out[n - 1] = '\0';
}

void metrics_text_histogram(struct metrics_text *t, const char *name, const char *help,
    const uint64_t *bucket, uint64_t sum_us)
{
	char series[128], le[32];
	uint64_t cum = 0;
	const char *labels[] = { "le", le, NULL };

	metrics_text_family(t, name, "histogram", help);
	snprintf(series, sizeof(series), "%s_bucket", name);
	for (size_t i = 0; i < METRICS_BUCKETS; i++) {
		cum += bucket[i];
		bound_name(le, sizeof(le), metrics_bucket_us[i]);
		metrics_text_u64(t, series, labels, cum);
	}
	cum += bucket[METRICS_BUCKETS];
	snprintf(le, sizeof(le), "+Inf");
	metrics_text_u64(t, series, labels, cum);
	snprintf(series, sizeof(series), "%s_sum", name);
	metrics_text_us(t, series, NULL, sum_us);
	snprintf(series, sizeof(series), "%s_count", name);
	metrics_text_u64(t, series, NULL, cum);
}

/* ---- summing and writing the counters ---- */

const char *metrics_method_name(enum metrics_method m)
{
	static const char *const names[] = { "GET", "HEAD", "POST", "other" };

	return m < METRICS_METHODS ? names[m] : "other";
}

const char *metrics_ocsp_name(enum metrics_ocsp o)
{
	static const char *const names[] = { "none", "successful", "malformedRequest",
		"internalError", "tryLater", "sigRequired", "unauthorized" };

	return o < METRICS_OCSPS ? names[o] : "none";
}

const char *metrics_source_name(enum metrics_source s)
{
	static const char *const names[] = { "none", "tree", "online", "online_cache",
		"not_found", "stale" };

	return s < METRICS_SOURCES ? names[s] : "none";
}

static const char *refusal_name(unsigned r)
{
	static const char *const names[] = { "bad_request", "headers_too_large",
		"body_too_large", "body_timeout" };

	return r < METRICS_REFUSALS ? names[r] : "other";
}

/* A plain sum of one counter over every shard (the shared one included),
 * by its offset in a shard: FIELD for a counter, AT for the i-th of an
 * array of them. */
#define FIELD(f) offsetof(struct metrics_shard, f)
#define AT(f, i) (FIELD(f) + (size_t)(i) * sizeof(_Atomic uint64_t))
#define SUM(m, off) sum_field((m), (off))

static uint64_t sum_field(struct metrics *m, size_t offset)
{
	uint64_t v = 0;

	for (size_t i = 0; i <= m->nshards; i++)
		v += get((_Atomic uint64_t *)((char *)&m->shards[i] + offset));
	return v;
}

static void render_requests(struct metrics *m, struct metrics_text *t)
{
	char code[8];
	const char *labels[] = { "method", NULL, "code", code, "ocsp_status", NULL, NULL };

	metrics_text_family(t, "ocsp_lookupd_requests_total", "counter",
	    "Requests answered, by method, HTTP status and OCSP responseStatus "
	    "(none: not an OCSP reply).");
	for (unsigned me = 0; me < METRICS_METHODS; me++)
		for (unsigned c = 0; c < METRICS_CODES; c++)
			for (unsigned o = 0; o < METRICS_OCSPS; o++) {
				uint64_t v = SUM(m, AT(requests,
				    (me * METRICS_CODES + c) * METRICS_OCSPS + o));
				/* Only combinations that happened: most never do. */
				if (v == 0)
					continue;
				labels[1] = metrics_method_name(me);
				if (c < METRICS_CODES - 1)
					snprintf(code, sizeof(code), "%d", codes[c]);
				else
					snprintf(code, sizeof(code), "other");
				labels[5] = metrics_ocsp_name(o);
				metrics_text_u64(t, "ocsp_lookupd_requests_total", labels, v);
			}
}

static void render_hist(struct metrics *m, struct metrics_text *t, const char *name,
    const char *help, size_t offset)
{
	uint64_t b[METRICS_BUCKETS + 1];

	for (size_t i = 0; i <= METRICS_BUCKETS; i++)
		b[i] = sum_field(m, offset + offsetof(struct metrics_hist, bucket) +
		    i * sizeof(_Atomic uint64_t));
	metrics_text_histogram(t, name, help, b,
	    sum_field(m, offset + offsetof(struct metrics_hist, sum_us)));
}

static void render_counter(struct metrics_text *t, const char *name, const char *help,
    uint64_t v)
{
	metrics_text_family(t, name, "counter", help);
	metrics_text_u64(t, name, NULL, v);
}

void metrics_render(struct metrics *m, struct metrics_text *t)
{
	const char *labels[] = { NULL, NULL, NULL };

	render_requests(m, t);
	metrics_text_family(t, "ocsp_lookupd_answers_total", "counter",
	    "OCSP answers by where they came from: tree, online (signed now), online_cache, "
	    "not_found (nothing for it), stale (tree past nextUpdate, tryLater), none.");
	labels[0] = "source";
	for (unsigned s = 0; s < METRICS_SOURCES; s++) {
		labels[1] = metrics_source_name(s);
		metrics_text_u64(t, "ocsp_lookupd_answers_total", labels,
		    SUM(m, AT(sources, s)));
	}
	render_hist(m, t, "ocsp_lookupd_request_duration_seconds",
	    "Time from a parsed request head to the reply written.",
	    FIELD(latency));
	render_counter(t, "ocsp_lookupd_sent_bytes_total", "Bytes of replies written "
	    "(heads and bodies).", SUM(m, FIELD(bytes)));
	render_counter(t, "ocsp_lookupd_connections_total", "Connections served and closed.",
	    SUM(m, FIELD(connections)));
	metrics_text_family(t, "ocsp_lookupd_connections_refused_total", "counter",
	    "Requests refused before an answer (the connection is closed), by reason.");
	labels[0] = "reason";
	for (unsigned r = 0; r < METRICS_REFUSALS; r++) {
		labels[1] = refusal_name(r);
		metrics_text_u64(t, "ocsp_lookupd_connections_refused_total", labels,
		    SUM(m, AT(refused, r)));
	}
	render_counter(t, "ocsp_lookupd_connections_timed_out_total", "Connections closed "
	    "before a whole request arrived (header_timeout, or the client left) or whose "
	    "body took longer than body_timeout.", SUM(m, FIELD(timed_out)));
	render_counter(t, "ocsp_lookupd_online_signatures_total", "Answers signed online.",
	    SUM(m, FIELD(signatures)));
	render_hist(m, t, "ocsp_lookupd_online_signature_duration_seconds",
	    "Time to build and sign one online answer.",
	    FIELD(sign_latency));
	render_counter(t, "ocsp_lookupd_online_signature_errors_total", "Online signatures "
	    "that failed (a token gone, a key refused).", SUM(m, FIELD(sign_errors)));
	render_counter(t, "ocsp_lookupd_status_unavailable_total", "Online answers refused "
	    "(tryLater) because no status data was loaded or the live source was down.",
	    SUM(m, FIELD(status_unavailable)));
}

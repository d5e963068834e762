/* lookupd's metrics: the text format as Prometheus reads it (escapes in
 * HELP and label values, seconds from microseconds, histogram buckets
 * cumulative up to +Inf), counts summed over worker shards exactly, the
 * shared shard beyond the workers, and a text that runs out of room
 * failing as a whole. */
#include "metrics.h"

#include <pthread.h>

#include "check.h"
#include "health.h"

static const char *text_of(struct metrics_text *t)
{
	static char buf[1 << 16];
	size_t n = t->len < sizeof(buf) - 1 ? t->len : sizeof(buf) - 1;

	memcpy(buf, t->p ? t->p : "", n);
	buf[n] = '\0';
	return buf;
}

static void test_samples(void)
{
	static const struct { const char *value, *want; } labels[] = {
		{ "plain", "x{k=\"plain\"} 1\n" },
		{ "a\"b", "x{k=\"a\\\"b\"} 1\n" },
		{ "back\\slash", "x{k=\"back\\\\slash\"} 1\n" },
		{ "two\nlines", "x{k=\"two\\nlines\"} 1\n" },
		{ "", "x{k=\"\"} 1\n" },
	};
	struct metrics_text t;

	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		const char *l[] = { "k", labels[i].value, NULL };
		check_case("label %zu", i);
		metrics_text_init(&t);
		metrics_text_u64(&t, "x", l, 1);
		CHECK(!t.failed);
		CHECK_STR(text_of(&t), labels[i].want);
		metrics_text_fini(&t);
	}
	check_case_clear();
	metrics_text_init(&t);
	metrics_text_family(&t, "y", "counter", "a \\ and a\nnewline, \"quotes\" kept");
	metrics_text_u64(&t, "y", NULL, 18446744073709551615ull);
	metrics_text_i64(&t, "z", NULL, -5);
	metrics_text_us(&t, "s", NULL, 1234567);
	metrics_text_us(&t, "s0", NULL, 7);
	{
		const char *two[] = { "a", "1", "b", "2", NULL };
		metrics_text_u64(&t, "w", two, 0);
	}
	CHECK_STR(text_of(&t),
	    "# HELP y a \\\\ and a\\nnewline, \"quotes\" kept\n# TYPE y counter\n"
	    "y 18446744073709551615\nz -5\ns 1.234567\ns0 0.000007\nw{a=\"1\",b=\"2\"} 0\n");
	metrics_text_fini(&t);
}

static void test_histogram(void)
{
	uint64_t b[METRICS_BUCKETS + 1] = { 0 };
	struct metrics_text t;
	const char *s;

	b[0] = 2;			/* <= 50 us */
	b[4] = 1;			/* <= 1 ms */
	b[METRICS_BUCKETS] = 3;		/* over 1 s */
	metrics_text_init(&t);
	metrics_text_histogram(&t, "h", "help", b, 4500000);
	s = text_of(&t);
	CHECK_CONTAINS(s, "# TYPE h histogram\n");
	CHECK_CONTAINS(s, "h_bucket{le=\"0.00005\"} 2\n");
	CHECK_CONTAINS(s, "h_bucket{le=\"0.0005\"} 2\n");
	CHECK_CONTAINS(s, "h_bucket{le=\"0.001\"} 3\n");
	CHECK_CONTAINS(s, "h_bucket{le=\"1\"} 3\n");
	CHECK_CONTAINS(s, "h_bucket{le=\"+Inf\"} 6\n");
	CHECK_CONTAINS(s, "h_sum 4.500000\nh_count 6\n");
	/* +Inf is last and the buckets come in increasing order. */
	CHECK(strstr(s, "le=\"1\"") < strstr(s, "le=\"+Inf\""));
	CHECK(strstr(s, "le=\"0.0025\"") < strstr(s, "le=\"0.005\""));
	metrics_text_fini(&t);
}

struct worker_arg {
	struct metrics *m;
	int n;
};

static void *worker(void *p)
{
	struct worker_arg *a = p;
	struct metrics_shard *s = metrics_shard_take(a->m);
	struct metrics_request r = { .method = METRICS_GET, .code = 200,
	    .ocsp = METRICS_OCSP_SUCCESSFUL, .source = METRICS_SRC_TREE, .duration_us = 60,
	    .bytes = 10, .refusal = -1 };

	for (int i = 0; i < a->n; i++)
		metrics_count_request(s, &r);
	metrics_count_connection(s, a->n);
	return NULL;
}

/* Eight threads on four shards: four share the last one, and no count is
 * lost either way. */
static void test_counts(void)
{
	struct metrics *m = NULL;
	struct metrics_text t;
	struct err e;
	pthread_t th[8];
	struct worker_arg a;
	const char *s;

	CHECK_EQ(metrics_new(4, &m, &e), 0);
	a.m = m;
	a.n = 10000;
	for (int i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, worker, &a);
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	{
		struct metrics_shard *sh = metrics_shard_take(m);
		struct metrics_request r = { .method = METRICS_POST, .code = 413,
		    .ocsp = METRICS_OCSP_NONE, .source = METRICS_SRC_NONE, .duration_us = 5000000,
		    .bytes = 3, .refusal = METRICS_REFUSED_BODY_TIMEOUT, .signed_online = 1,
		    .sign_us = 700 };
		metrics_count_request(sh, &r);
		r.code = 299;		/* a status not in the table */
		r.refusal = -1;
		r.signed_online = 0;
		metrics_count_request(sh, &r);
		metrics_count_connection(sh, 0);
	}
	metrics_text_init(&t);
	metrics_render(m, &t);
	CHECK(!t.failed);
	s = text_of(&t);
	CHECK_CONTAINS(s, "ocsp_lookupd_requests_total{method=\"GET\",code=\"200\","
	    "ocsp_status=\"successful\"} 80000\n");
	CHECK_CONTAINS(s, "ocsp_lookupd_requests_total{method=\"POST\",code=\"413\","
	    "ocsp_status=\"none\"} 1\n");
	CHECK_CONTAINS(s, "ocsp_lookupd_requests_total{method=\"POST\",code=\"other\","
	    "ocsp_status=\"none\"} 1\n");
	/* Only OCSP replies have a source. */
	CHECK_CONTAINS(s, "ocsp_lookupd_answers_total{source=\"tree\"} 80000\n");
	CHECK_CONTAINS(s, "ocsp_lookupd_answers_total{source=\"none\"} 0\n");
	CHECK_CONTAINS(s, "ocsp_lookupd_request_duration_seconds_bucket{le=\"0.0001\"} 80000\n");
	CHECK_CONTAINS(s, "ocsp_lookupd_request_duration_seconds_bucket{le=\"1\"} 80000\n");
	CHECK_CONTAINS(s, "ocsp_lookupd_request_duration_seconds_bucket{le=\"+Inf\"} 80002\n");
	CHECK_CONTAINS(s, "ocsp_lookupd_request_duration_seconds_sum 14.800000\n");
	CHECK_CONTAINS(s, "ocsp_lookupd_sent_bytes_total 800006\n");
	CHECK_CONTAINS(s, "ocsp_lookupd_connections_total 9\n");
	CHECK_CONTAINS(s, "ocsp_lookupd_connections_refused_total{reason=\"body_timeout\"} 1\n");
	/* One connection without a request, one body too slow. */
	CHECK_CONTAINS(s, "ocsp_lookupd_connections_timed_out_total 2\n");
	CHECK_CONTAINS(s, "ocsp_lookupd_online_signatures_total 1\n");
	CHECK_CONTAINS(s, "ocsp_lookupd_online_signature_duration_seconds_bucket{le=\"0.0005\"} 0\n");
	CHECK_CONTAINS(s, "ocsp_lookupd_online_signature_duration_seconds_bucket{le=\"0.001\"} 1\n");
	metrics_text_fini(&t);
	metrics_free(m);
	metrics_free(NULL);
}

/* A text over METRICS_TEXT_MAX fails as a whole, never sent cut. */
static void test_overflow(void)
{
	static char chunk[1 << 16];
	struct metrics_text t;

	memset(chunk, 'a', sizeof(chunk));
	metrics_text_init(&t);
	for (size_t i = 0; i <= METRICS_TEXT_MAX / sizeof(chunk); i++)
		metrics_text_add(&t, chunk, sizeof(chunk));
	CHECK(t.failed);
	CHECK(t.len <= METRICS_TEXT_MAX);
	metrics_text_fini(&t);
}

static void test_json(void)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "plain", "plain" },
		{ "q\"b\\", "q\\\"b\\\\" },
		{ "nl\n\x01", "nl\\u000a\\u0001" },
		{ "\xc3\xa9", "\\u00c3\\u00a9" },
	};
	struct metrics_text t;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_case("json %zu", i);
		metrics_text_init(&t);
		health_json_escape(&t, cases[i].in);
		CHECK_STR(text_of(&t), cases[i].want);
		metrics_text_fini(&t);
	}
	check_case_clear();
}

int main(void)
{
	test_samples();
	test_histogram();
	test_counts();
	test_overflow();
	test_json();
	return check_done();
}

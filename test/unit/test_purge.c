/* purge.h: the tags (purge_tag, purge_tags) and judging a provider's
 * answer by the body its documentation gives (purge_answer_ok,
 * purge_json_member). */
#include <string.h>

#include "check.h"
#include "ocsp/purge.h"

static void test_tags(void)
{
	uint8_t key[HASH_MAX_LEN];
	struct serial s;
	struct err e;
	char out[PURGE_TAGS_MAX + 1];

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	CHECK_EQ(serial_from_hex(&s, "01AB", 4, &e), 0);
	check_case("sha1, comma");
	CHECK(purge_tags(out, sizeof(out), ',', HASH_SHA1, key, &s) > 0);
	CHECK_STR(out, "ocsp-000102030405060708090a0b0c0d0e0f10111213,"
	    "ocsp-000102030405060708090a0b0c0d0e0f10111213-01AB");
	check_case("sha1, space");
	CHECK(purge_tags(out, sizeof(out), ' ', HASH_SHA1, key, &s) > 0);
	CHECK_STR(out, "ocsp-000102030405060708090a0b0c0d0e0f10111213 "
	    "ocsp-000102030405060708090a0b0c0d0e0f10111213-01AB");
	check_case("the length returned");
	CHECK_EQ(purge_tags(out, sizeof(out), ',', HASH_SHA256, key, &s), (int)strlen(out));
	check_case("short buffers");
	for (size_t cap = 0; cap <= strlen(out); cap++) {
		char small[PURGE_TAGS_MAX + 1];
		CHECK_EQ(purge_tags(small, cap, ',', HASH_SHA256, key, &s), -1);
	}
	check_case("sha512, the longest serial: fits PURGE_TAGS_MAX");
	s.len = SERIAL_MAX;
	memset(s.b, 0x7f, s.len);
	CHECK(purge_tags(out, sizeof(out), ',', HASH_SHA512, key, &s) > 0);
	check_case_clear();
}

static const char *const fastly_items[] = { "ocsp-aa", "ocsp-aa-01" };

static const struct {
	enum purge_preset preset;
	long status;
	const char *body;
	int want;
	const char *why;	/* part of the reason when not ok */
} answers[] = {
	/* generic: the status alone (Varnish answers HTML) */
	{ PURGE_GENERIC, 200, "<html>Purged</html>", 1, NULL },
	{ PURGE_GENERIC, 204, "", 1, NULL },
	{ PURGE_GENERIC, 404, "", 0, "HTTP status 404" },
	/* Cloudflare: 200 both ways, the body says */
	{ PURGE_CLOUDFLARE, 200, "{\"success\":true,\"errors\":[],\"messages\":[],"
	    "\"result\":{\"id\":\"023e105f\"}}", 1, NULL },
	{ PURGE_CLOUDFLARE, 200, " {\n \"result\" : {\"success\":false, \"x\":[1,{\"a\":\"}\"}]},"
	    "\t\"success\" : true }", 1, NULL },
	{ PURGE_CLOUDFLARE, 200, "{\"success\":false,\"errors\":[{\"code\":1134,"
	    "\"message\":\"Invalid url\"}],\"messages\":[],\"result\":null}", 0,
	    "\"success\" is not true" },
	{ PURGE_CLOUDFLARE, 200, "{\"errors\":[],\"result\":{\"success\":true}}", 0,
	    "\"success\" is not true" },	/* only a nested one */
	{ PURGE_CLOUDFLARE, 200, "{\"success\":\"true\"}", 0, "is not true" },
	{ PURGE_CLOUDFLARE, 200, "{\"success\":truex}", 0, "is not true" },
	{ PURGE_CLOUDFLARE, 200, "{\"message\":\"success\\\":true\"}", 0, "is not true" },
	{ PURGE_CLOUDFLARE, 200, "", 0, "not JSON" },
	{ PURGE_CLOUDFLARE, 200, "[{\"success\":true}]", 0, "not JSON" },
	{ PURGE_CLOUDFLARE, 200, "{\"a\":\"unterminated, \"success\":true}", 0, "not JSON" },
	{ PURGE_CLOUDFLARE, 200, "{\"a\" 1, \"success\":true}", 0, "not JSON" },
	{ PURGE_CLOUDFLARE, 500, "{\"success\":true}", 0, "HTTP status 500" },
	/* Fastly: "status": "ok", or a purge id per key of the batch */
	{ PURGE_FASTLY, 200, "{\"status\":\"ok\",\"id\":\"108-1391560174-974124\"}", 1, NULL },
	{ PURGE_FASTLY, 200, "{\"ocsp-aa\":\"108-1\",\"ocsp-aa-01\":\"108-2\"}", 1, NULL },
	{ PURGE_FASTLY, 200, "{\"ocsp-aa\":\"108-1\"}", 0, "a purge id per key" },
	{ PURGE_FASTLY, 200, "{\"ocsp-aa\":\"108-1\",\"ocsp-aa-01\":null}", 0, "per key" },
	{ PURGE_FASTLY, 200, "{\"status\":\"error\",\"ocsp-aa\":\"1\",\"ocsp-aa-01\":\"2\"}", 0,
	    "per key" },
	{ PURGE_FASTLY, 200, "{\"msg\":\"Bad request\",\"detail\":\"x\"}", 0, "per key" },
	{ PURGE_FASTLY, 401, "{\"msg\":\"Provided credentials are missing or invalid\"}", 0,
	    "HTTP status 401" },
	/* Akamai Fast Purge v3: 201 and "httpStatus": 201 */
	{ PURGE_AKAMAI, 201, "{\"httpStatus\": 201, \"detail\": \"Request accepted\", "
	    "\"estimatedSeconds\": 5, \"purgeId\": \"e535071c\", \"supportId\": \"17PY\"}", 1,
	    NULL },
	{ PURGE_AKAMAI, 201, "{\"httpStatus\": 400, \"detail\": \"x\"}", 0,
	    "\"httpStatus\" is not 201" },
	{ PURGE_AKAMAI, 200, "{\"httpStatus\": 201}", 0, "not 201" },
	{ PURGE_AKAMAI, 201, "{\"httpStatus\": 2010}", 0, "is not 201" },
	{ PURGE_AKAMAI, 201, "{\"httpStatus\":", 0, "not JSON" },
};

static void test_answers(void)
{
	char why[128];

	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		check_case("answer %zu: %s", i, answers[i].body);
		CHECK_EQ(purge_answer_ok(answers[i].preset, answers[i].status, answers[i].body,
		    strlen(answers[i].body), fastly_items, 2, why, sizeof(why)), answers[i].want);
		if (answers[i].why != NULL)
			CHECK_CONTAINS(why, answers[i].why);
	}
	check_case("an answer past PURGE_ANSWER_BODY_MAX is no success");
	CHECK_EQ(purge_answer_ok(PURGE_GENERIC, 200, "", PURGE_ANSWER_BODY_MAX + 1, NULL, 0, why,
	    sizeof(why)), 0);
	check_case("the body is read only to len: the member past it is not seen");
	CHECK_EQ(purge_answer_ok(PURGE_CLOUDFLARE, 200, "{\"success\":true}", 11, NULL, 0, why,
	    sizeof(why)), 0);
	check_case_clear();
}

static void test_member(void)
{
	char deep[4 * PURGE_JSON_DEPTH_MAX + 64];
	const char *v;
	size_t n = 0, o = 0;

	CHECK_EQ(purge_json_member("{\"a\":[1,2],\"b\":\"x\\\"y\"}", 22, "b", &v, &n), 1);
	CHECK_MEM(v, n, "\"x\\\"y\"", 6);
	CHECK_EQ(purge_json_member("{}", 2, "a", &v, &n), 0);
	CHECK_EQ(purge_json_member("{\"a\":1}", 7, "b", &v, &n), 0);
	CHECK_EQ(purge_json_member("{\"a\":1", 6, "b", &v, &n), -1);
	CHECK_EQ(purge_json_member("{\"a\":}", 6, "a", &v, &n), -1);
	/* nesting past the cap is refused, not followed */
	o += (size_t)snprintf(deep + o, sizeof(deep) - o, "{\"a\":");
	for (int i = 0; i < PURGE_JSON_DEPTH_MAX + 1; i++)
		deep[o++] = '[';
	for (int i = 0; i < PURGE_JSON_DEPTH_MAX + 1; i++)
		deep[o++] = ']';
	o += (size_t)snprintf(deep + o, sizeof(deep) - o, ",\"b\":true}");
	CHECK_EQ(purge_json_member(deep, o, "b", &v, &n), -1);
}

int main(void)
{
	test_tags();
	test_answers();
	test_member();
	return check_done();
}

/* The parts of fetch.h that need no server: URL redaction, option checks
 * and the persistent cache's files. test/integration/test_fetch.sh
 * fetches from a real nginx. */
#include "ocsp/fetch.h"

#include <sys/stat.h>

#include <openssl/evp.h>

#include "check.h"

/* The cache file's path for url, as fetch.h names it, registered for
 * removal at exit (under "cache", made before it). */
static const char *cache_file(const char *url)
{
	uint8_t md[32];
	char name[128];
	int o;

	EVP_Digest(url, strlen(url), md, NULL, EVP_sha256(), NULL);
	o = snprintf(name, sizeof(name), "cache/fetch-");
	for (size_t i = 0; i < sizeof(md); i++)
		o += snprintf(name + o, sizeof(name) - (size_t)o, "%02x", md[i]);
	return check_tmp_path(name);
}

static void overwrite(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static const struct {
	const char *url, *shown;
} redact[] = {
	{ "http://host/crl", "http://host/crl" },
	{ "https://user:pw@host/crl", "https://user@host/crl" },
	{ "https://user:p:w@host:8443/c", "https://user@host:8443/c" },
	{ "https://user@host/crl", "https://user@host/crl" },
	{ "https://:pw@host/", "https://@host/" },
	{ "http://u:p@w@host/x", "http://u@host/x" },	/* the last '@' ends it */
	{ "http://host/path@x:y", "http://host/path@x:y" },	/* '@' in the path */
	{ "http://host?q=a:b@c", "http://host?q=a:b@c" },
	{ "http://host:80", "http://host:80" },
	{ "not a url", "not a url" },
	{ "http://u:p@h/\n\x01", "http://u@h/\\x0a\\x01" },
};

static void test_redact(void)
{
	char out[128], small[12];

	for (size_t i = 0; i < sizeof(redact) / sizeof(redact[0]); i++) {
		check_case("%s", redact[i].shown);
		CHECK_STR(fetch_url_redact(redact[i].url, out, sizeof(out)), redact[i].shown);
	}
	check_case_clear();
	CHECK_STR(fetch_url_redact("https://u:secret@host/crl", small, sizeof(small)),
	    "https://u@h");
}

static void test_opts(void)
{
	struct fetch_opts o = { .url = "http://127.0.0.1:1/x", .max_bytes = 10 };
	struct fetch_result r;
	struct err e = { "" };

	fetch_result_init(&r);
	o.url = "ftp://host/crl";
	CHECK_EQ(fetch_get(&o, &r, &e), -1);
	CHECK_CONTAINS(e.msg, "only http:// and https://");
	o.url = "https://u:pw@host/crl";
	o.max_bytes = 0;
	CHECK_EQ(fetch_get(&o, &r, &e), -1);
	CHECK_CONTAINS(e.msg, "https://u@host/crl: size limit");
	CHECK(strstr(e.msg, "pw") == NULL);
	o.max_bytes = 10;
	o.timeout = -1;
	CHECK_EQ(fetch_get(&o, &r, &e), -1);
	CHECK_CONTAINS(e.msg, "timeout out of range");
	o.timeout = 0;
	o.etag = "\"a\"\r\nX: y";
	CHECK_EQ(fetch_get(&o, &r, &e), -1);
	CHECK_CONTAINS(e.msg, "control characters");
	o.etag = "";
	CHECK_EQ(fetch_get(&o, &r, &e), -1);
	o.etag = NULL;
	o.url = NULL;
	CHECK_EQ(fetch_get(&o, &r, &e), -1);
	CHECK(r.body == NULL);
	fetch_result_fini(&r);
}

static void test_cache(void)
{
	const char *dir = check_tmp_path("cache");
	const char *url = "https://user:pw@crl.example/ca.crl";
	static const uint8_t body[] = { 0x30, 0x82, 0x00, 0x0a, 0x0a, 0x00, 0xff, 'x' };
	struct fetch_result r, got;
	struct err e = { "" };
	struct stat st;
	char path[600];
	const char *file = "";
	FILE *f;

	fetch_result_init(&r);
	fetch_result_init(&got);
	/* nothing cached yet, not even the directory */
	CHECK_EQ(fetch_cache_load(dir, url, 100, &got, &e), 0);
	r.body = (uint8_t *)body;
	r.len = sizeof(body);
	r.etag = "W/\"5f3a-1b2\"";
	r.last_modified = "Tue, 01 Oct 2024 10:00:00 GMT";
	r.date = 1727776800;
	CHECK_EQ(fetch_cache_store(dir, url, &r, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
	file = cache_file(url);
	CHECK(stat(file, &st) == 0 && S_ISREG(st.st_mode));
	CHECK_EQ(fetch_cache_load(dir, url, 100, &got, &e), 1);
	CHECK_MEM(got.body, got.len, body, sizeof(body));
	CHECK(got.body != NULL && got.body[got.len] == '\0');
	CHECK_STR(got.etag, r.etag);
	CHECK_STR(got.last_modified, r.last_modified);
	CHECK_EQ(got.date, 1727776800);
	/* another URL (even the same without a password) is another file */
	CHECK_EQ(fetch_cache_load(dir, "https://crl.example/ca.crl", 100, &got, &e), 0);
	CHECK(got.body == NULL);
	/* a cap below the cached body: refused, named */
	CHECK_EQ(fetch_cache_load(dir, url, 4, &got, &e), -1);
	CHECK_CONTAINS(e.msg, "larger than 4 bytes");
	CHECK(got.body == NULL);

	/* without validators, and an empty body */
	r.etag = r.last_modified = NULL;
	r.len = 0;
	r.date = 0;
	CHECK_EQ(fetch_cache_store(dir, url, &r, &e), 0);
	CHECK_EQ(fetch_cache_load(dir, url, 100, &got, &e), 1);
	CHECK_EQ(got.len, 0);
	CHECK(got.etag == NULL && got.last_modified == NULL);
	fetch_result_fini(&got);

	/* a validator that would break its line is not stored */
	r.etag = "\"a\"\nlength 0";
	CHECK_EQ(fetch_cache_store(dir, url, &r, &e), -1);
	CHECK_CONTAINS(e.msg, "control characters");
	r.etag = NULL;

	/* damaged files: each refused, none crashes */
	static const char *const damaged[] = {
		"",
		"ocsp-fetch-cache 2\n",
		"ocsp-fetch-cache 1\nurl x\ndate 1\nlength 3\n\nab",
		"ocsp-fetch-cache 1\nurl x\ndate 1\nlength 1\n\nab",
		"ocsp-fetch-cache 1\nurl x\ndate -1\nlength 0\n\n",
		"ocsp-fetch-cache 1\nurl x\ndate 1\nlength 99999999999999999999\n\n",
		"ocsp-fetch-cache 1\nurl x\netag \ndate 1\nlength 0\n\n",
		"ocsp-fetch-cache 1\nurl x\ndate 1\nlength 0\n",
		"ocsp-fetch-cache 1\ndate 1\nlength 0\n\n",
	};
	for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
		check_case("damaged %zu", i);
		overwrite(file, damaged[i]);
		CHECK_EQ(fetch_cache_load(dir, url, 100, &got, &e), -1);
		CHECK_CONTAINS(e.msg, file);
		CHECK_CONTAINS(e.msg, "damaged");
		CHECK(got.body == NULL);
	}
	check_case_clear();
	/* a directory that cannot be made */
	f = fopen(check_tmp_path("plainfile"), "w");
	CHECK(f != NULL);
	if (f != NULL)
		fclose(f);
	snprintf(path, sizeof(path), "%s/sub", check_tmp_path("plainfile"));
	r.body = (uint8_t *)body;
	r.len = sizeof(body);
	CHECK_EQ(fetch_cache_store(path, url, &r, &e), -1);
	CHECK_CONTAINS(e.msg, "fetch cache");
}

int main(void)
{
	test_redact();
	test_opts();
	test_cache();
	return check_done();
}

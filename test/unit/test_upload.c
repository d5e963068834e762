/* The uploader's parsers: target URLs, the canonical query of SigV4,
 * credentials files and the manifest (layout/include/ocsp/upload.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ocsp/upload.h"

static void test_s3_url(void)
{
	static const struct { const char *url; int ok; const char *bucket, *prefix; } cases[] = {
		{ "s3://bkt", 1, "bkt", "" },
		{ "s3://bkt/", 1, "bkt", "" },
		{ "s3://my.bucket-1/ocsp/v1/", 1, "my.bucket-1", "ocsp/v1/" },
		{ "s3://bkt/a_b~c", 1, "bkt", "a_b~c/" },
		{ "s3://ab/x", 0, NULL, NULL },
		{ "s3://BKT/x", 0, NULL, NULL },
		{ "s3://bkt//x", 0, NULL, NULL },
		{ "s3://bkt/a/../b", 0, NULL, NULL },
		{ "s3://bkt/a/./b", 0, NULL, NULL },
		{ "s3://bkt/a b", 0, NULL, NULL },
		{ "s3://bkt/a%2F", 0, NULL, NULL },
		{ "https://bkt/x", 0, NULL, NULL },
	};
	char b[64], p[600];
	struct err e;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_case("s3 url %s", cases[i].url);
		int r = upload_s3_url_parse(cases[i].url, b, sizeof(b), p, sizeof(p), &e);
		CHECK_EQ(r == 0, cases[i].ok);
		if (r == 0 && cases[i].ok) {
			CHECK_STR(b, cases[i].bucket);
			CHECK_STR(p, cases[i].prefix);
		}
	}
}

static void test_query(void)
{
	const char *n[] = { "prefix", "list-type", "continuation-token", "a" };
	const char *v[] = { "ocsp/ab", "2", "x+y=z", "" };
	char out[256];

	check_case("canonical query");
	CHECK_EQ(upload_s3_query(n, v, 4, out, sizeof(out)), 60);
	CHECK_STR(out, "a=&continuation-token=x%2By%3Dz&list-type=2&prefix=ocsp%2Fab");
	CHECK_EQ(upload_s3_query(n, v, 4, out, 20), -1);
}

static void test_target(void)
{
	struct upload_opts o = { 0 };
	struct upload_target t;
	struct err e;

	setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SECRET", 1);
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	check_case("IP endpoint: path-style");
	o.url = "s3://bkt/p";
	o.s3_endpoint = "http://127.0.0.1:9000";
	CHECK_EQ(upload_target_open(&o, &t, &e), 0);
	CHECK_STR(t.base, "http://127.0.0.1:9000/bkt/p/");
	CHECK_STR(t.bucket_url, "http://127.0.0.1:9000/bkt");
	CHECK_STR(t.prefix, "p/");
	CHECK_STR(t.region, "us-east-1");
	CHECK_STR(t.secret, "SECRET");
	upload_target_fini(&t);
	CHECK_EQ(t.secret[0], 0);
	check_case("name endpoint: virtual host, unless s3_path_style");
	o.s3_endpoint = "https://s3.example.net";
	CHECK_EQ(upload_target_open(&o, &t, &e), 0);
	CHECK_STR(t.base, "https://bkt.s3.example.net/p/");
	CHECK_STR(t.bucket_url, "https://bkt.s3.example.net/");
	upload_target_fini(&t);
	o.s3_path_style = 1;
	CHECK_EQ(upload_target_open(&o, &t, &e), 0);
	CHECK_STR(t.base, "https://s3.example.net/bkt/p/");
	upload_target_fini(&t);
	check_case("default endpoint from the region");
	o.s3_endpoint = NULL;
	o.s3_path_style = 0;
	setenv("AWS_REGION", "eu-west-3", 1);
	CHECK_EQ(upload_target_open(&o, &t, &e), 0);
	CHECK_STR(t.base, "https://bkt.s3.eu-west-3.amazonaws.com/p/");
	upload_target_fini(&t);
	check_case("no credentials in the endpoint");
	o.s3_endpoint = "http://u:pw@127.0.0.1:1";
	CHECK_EQ(upload_target_open(&o, &t, &e), -1);
	CHECK(strstr(e.msg, "pw") == NULL);
	upload_target_fini(&t);
	check_case("WebDAV base gets its slash, the password is not shown");
	o.url = "https://u:pw@origin.example/ocsp";
	CHECK_EQ(upload_target_open(&o, &t, &e), 0);
	CHECK_STR(t.base, "https://u:pw@origin.example/ocsp/");
	CHECK_STR(t.shown, "https://u@origin.example/ocsp/");
	upload_target_fini(&t);
}

static void test_creds(void)
{
	static const char text[] =
	    "# comment\n[default]\naws_access_key_id = A1\n"
	    "[profile ocsp]\r\n aws_access_key_id=K2 \r\naws_secret_access_key = S2\r\n"
	    "aws_session_token = T2\r\nregion = x\n";
	struct upload_target t;
	struct err e;

	memset(&t, 0, sizeof(t));
	check_case("profile ocsp");
	CHECK_EQ(upload_creds_parse(text, strlen(text), "ocsp", &t, &e), 0);
	CHECK_STR(t.key_id, "K2");
	CHECK_STR(t.secret, "S2");
	CHECK_STR(t.token, "T2");
	check_case("default lacks a secret");
	CHECK_EQ(upload_creds_parse(text, strlen(text), "default", &t, &e), -1);
	check_case("no such profile");
	CHECK_EQ(upload_creds_parse(text, strlen(text), "nope", &t, &e), -1);
	check_case("a value with a space is refused without echoing it");
	CHECK_EQ(upload_creds_parse("[default]\naws_secret_access_key = ab cd\n", 39, "default",
	    &t, &e), -1);
	CHECK(strstr(e.msg, "ab cd") == NULL);
}

static void test_manifest(void)
{
	static const char good[] =
	    "ocsp-upload-manifest 1 s3://b/\n"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 12 "
	    "0123456789abcdef0123456789abcdef01234567/0A\n"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 3 generation\n";
	struct upload_manifest m;
	struct err e;
	char *text = NULL;
	size_t len = 0;

	upload_manifest_init(&m);
	check_case("manifest round trip");
	CHECK_EQ(upload_manifest_parse(good, strlen(good), &m, &e), 0);
	CHECK_EQ(m.n, 2);
	CHECK(upload_manifest_find(&m, "generation") != NULL);
	CHECK(upload_manifest_find(&m, "nope") == NULL);
	CHECK_EQ(upload_manifest_format(&m, "s3://b/", &text, &len, &e), 0);
	CHECK_EQ(len, strlen(good));
	CHECK(text != NULL && memcmp(text, good, len) == 0);
	free(text);
	check_case("a cut manifest is refused");
	CHECK_EQ(upload_manifest_parse(good, strlen(good) - 1, &m, &e), -1);
	CHECK_EQ(m.n, 0);
	check_case("names");
	CHECK(upload_name_valid("0123456789abcdef0123456789abcdef01234567/sha256/0A"));
	CHECK(!upload_name_valid("0123456789abcdef0123456789abcdef01234567/sha1/0A"));
	CHECK(!upload_name_valid("0123456789abcdef0123456789abcdef01234567/status.idx"));
	CHECK(!upload_name_valid("../generation"));
	check_case("GET key names: raw, '//', a '/' at the end, '+' as a space");
	CHECK(upload_name_valid("get/MEMwQTA/MD0wOzAJBgUrDgMCGgUABBQ9U5RZ+Vv68A=="));
	CHECK(upload_name_valid("get/MEkwRzBF//////9F"));
	CHECK(upload_name_valid("get/MGQwYjBg+//////"
	    "//"));
	CHECK(upload_name_valid("get/MGIwYDBe ubHR 4IKE"));
	CHECK(!upload_name_valid("get/not-a-key"));
	CHECK(!upload_name_valid("get/"));
	CHECK(!upload_name_valid("get/M\n"));
	CHECK(!upload_name_valid("get/M%2F"));
	{
		char longk[UPLOAD_NAME_MAX + 8];
		memcpy(longk, "get/", 4);
		memset(longk + 4, 'M', GET_KEY_B64_MAX);
		longk[4 + GET_KEY_B64_MAX] = '\0';
		CHECK(upload_name_valid(longk));
		longk[4 + GET_KEY_B64_MAX] = 'M';
		longk[5 + GET_KEY_B64_MAX] = '\0';
		CHECK(!upload_name_valid(longk));
	}
	check_case("a manifest with GET keys round-trips; the old format still parses");
	{
		static const char keys[] =
		    "ocsp-upload-manifest 1 s3://b/\n"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 12 "
		    "generation\n"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 12 "
		    "get/MEkw RzBF//////9F\n"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 12 "
		    "get/MEkw+RzBF//////9F/\n";
		CHECK_EQ(upload_manifest_parse(keys, strlen(keys), &m, &e), 0);
		CHECK_EQ(m.n, 3);
		CHECK(upload_manifest_find(&m, "get/MEkw RzBF//////9F") != NULL);
		CHECK_EQ(upload_manifest_format(&m, "s3://b/", &text, &len, &e), 0);
		CHECK(len == strlen(keys) && memcmp(text, keys, len) == 0);
		free(text);
		CHECK_EQ(upload_manifest_parse(good, strlen(good), &m, &e), 0);
		CHECK_EQ(m.n, 2);
	}
	upload_manifest_fini(&m);
}

struct got {
	size_t n;
	char keys[4][UPLOAD_S3_KEY_MAX + 1];
	char etags[4][UPLOAD_ETAG_MAX + 1];
	uint64_t sizes[4];
};

static int collect(void *arg, const struct upload_list_item *it, struct err *e)
{
	struct got *g = arg;

	(void)e;
	if (g->n < 4) {
		memcpy(g->keys[g->n], it->key, it->key_len + 1);
		memcpy(g->etags[g->n], it->etag, strlen(it->etag) + 1);
		g->sizes[g->n] = it->size;
	}
	g->n++;
	return 0;
}

static void test_list(void)
{
	static const char page[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	    "<Name>b</Name><Prefix>keys/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>"
	    "<IsTruncated>true</IsTruncated>"
	    "<Contents><Key>keys/get/MEkw RzBF//////9F/</Key>"
	    "<LastModified>2026-12-02T03:00:00.000Z</LastModified>"
	    "<ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag><Size>1234</Size>"
	    "<StorageClass>STANDARD</StorageClass></Contents>"
	    "<Contents><Key>keys/a&amp;b&lt;&#x263A;&#65;</Key><ETag>\"x-2\"</ETag><Size>0</Size>"
	    "</Contents>"
	    "<NextContinuationToken>1ab/+c=</NextContinuationToken></ListBucketResult>";
	struct upload_list_page pg;
	struct got g = { 0 };
	struct err e;

	check_case("a ListObjectsV2 page");
	CHECK_EQ(upload_s3_list_parse(page, strlen(page), &pg, collect, &g, &e), 0);
	CHECK_EQ(g.n, 2);
	CHECK_EQ(pg.n, 2);
	CHECK_STR(g.keys[0], "keys/get/MEkw RzBF//////9F/");
	CHECK_STR(g.etags[0], "0123456789abcdef0123456789abcdef");
	CHECK_EQ(g.sizes[0], 1234);
	CHECK_STR(g.keys[1], "keys/a&b<\xe2\x98\xba" "A");
	CHECK_STR(g.etags[1], "x-2");
	CHECK_EQ(pg.truncated, 1);
	CHECK_STR(pg.token, "1ab/+c=");
	check_case("listing errors");
	static const char *bad[] = {
		"<Error><Code>AccessDenied</Code></Error>",
		"<ListBucketResult><Contents><Key>a",
		"<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a&#0;</Key></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a&bogus;</Key></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a&#xD800;</Key></Contents></ListBucketResult>",
		"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><Size>-1</Size></Contents></ListBucketResult>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		check_case("bad listing %zu", i);
		CHECK_EQ(upload_s3_list_parse(bad[i], strlen(bad[i]), &pg, collect, &g, &e), -1);
	}
	check_case("a key longer than S3's 1024 bytes");
	{
		static char big[UPLOAD_S3_KEY_MAX + 200];
		size_t o = 0;
		o += (size_t)snprintf(big, sizeof(big), "<ListBucketResult><Contents><Key>");
		memset(big + o, 'k', UPLOAD_S3_KEY_MAX + 1);
		o += UPLOAD_S3_KEY_MAX + 1;
		snprintf(big + o, sizeof(big) - o, "</Key></Contents></ListBucketResult>");
		CHECK_EQ(upload_s3_list_parse(big, strlen(big), &pg, collect, &g, &e), -1);
	}
}

int main(void)
{
	test_s3_url();
	test_query();
	test_target();
	test_creds();
	test_manifest();
	test_list();
	return check_done();
}

/* Test tool: checks that every response file in a tree is a complete,
 * valid OCSP response for the serial its name says. Used after a publisher
 * run is killed, to show the tree never holds a torn file. Prints the
 * number of responses; exits 1 on the first bad one. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ocsp.h>

static int check_file(const char *path, const char *name)
{
	FILE *f = fopen(path, "rb");
	unsigned char buf[65536];
	const unsigned char *p = buf;
	size_t n;
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *basic = NULL;
	ASN1_INTEGER *serial = NULL;
	BIGNUM *bn = NULL;
	char *hex = NULL;
	int ok = 0;

	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)n);
	if (resp == NULL || (size_t)(p - buf) != n ||
	    OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL)
		goto out;
	basic = OCSP_response_get1_basic(resp);
	if (basic == NULL || OCSP_resp_count(basic) != 1)
		goto out;
	OCSP_id_get0_info(NULL, NULL, NULL, &serial,
	    (OCSP_CERTID *)OCSP_SINGLERESP_get0_id(OCSP_resp_get0(basic, 0)));
	bn = ASN1_INTEGER_to_BN(serial, NULL);
	hex = bn ? BN_bn2hex(bn) : NULL;
	/* BN_bn2hex drops a leading zero nibble; the tree keeps whole octets. */
	ok = hex && (strcmp(hex, name) == 0 || (name[0] == '0' && strcmp(hex, name + 1) == 0));
out:
	if (!ok)
		fprintf(stderr, "bad response file %s\n", path);
	OPENSSL_free(hex);
	BN_free(bn);
	OCSP_BASICRESP_free(basic);
	OCSP_RESPONSE_free(resp);
	return ok;
}

int main(int argc, char **argv)
{
	DIR *root, *d;
	struct dirent *a, *b;
	char path[4096];
	long count = 0;

	if (argc != 2 || (root = opendir(argv[1])) == NULL) {
		fprintf(stderr, "usage: tree_check TREE\n");
		return 2;
	}
	while ((a = readdir(root)) != NULL) {
		if (strlen(a->d_name) != 40)
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], a->d_name);
		if ((d = opendir(path)) == NULL)
			continue;
		while ((b = readdir(d)) != NULL) {
			if (b->d_name[0] == '.' || strchr(b->d_name, '.') || strcmp(b->d_name, "sha256") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", argv[1], a->d_name, b->d_name);
			if (!check_file(path, b->d_name))
				return 1;
			count++;
		}
		closedir(d);
	}
	closedir(root);
	printf("%ld\n", count);
	return 0;
}

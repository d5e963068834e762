#include "signer_p11.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libp11.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ocsp/hex.h"
#include "ocsp/pkcs11_uri.h"
#include "signer_int.h"

/* A URI as it appears in messages (path attributes only, never the PIN). */
#define URI_DESC_MAX 160
#define KEY_DESC_MAX 400
/* The tokens or keys listed in a "none matches" message. */
#define LIST_MAX 200
#define PIN_SALT 16

/* One token logged in: a salted digest of its PIN, so that a second key on
 * it with a different PIN is refused rather than silently let in. */
struct p11_login {
	int done;
	uint8_t salt[PIN_SALT];
	uint8_t digest[EVP_MAX_MD_SIZE];
};

/* One loaded module and its slots, enumerated once: enumerating again would
 * give each key its own slot objects, and releasing those closes every
 * session of the token (C_CloseAllSessions), the other keys' included. */
struct p11_module {
	struct p11_module *next;
	char path[PATH_MAX];
	PKCS11_CTX *ctx;
	int loaded;			/* PKCS11_CTX_load succeeded */
	PKCS11_SLOT *slots;
	unsigned int nslots;
	struct p11_login *logins;	/* one per slot */
	unsigned refs;
};

struct p11_key {
	struct p11_module *mod;
	EVP_PKEY *pkey;
	char desc[KEY_DESC_MAX];
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct p11_module *modules;

/* PKCS#11 return values worth a word of their own (libp11.h does not
 * export pkcs11.h). */
static const struct {
	unsigned long rv;
	const char *text;
} ckr_texts[] = {
	{ 0x005, "general error (CKR_GENERAL_ERROR)" },
	{ 0x006, "function failed (CKR_FUNCTION_FAILED)" },
	{ 0x030, "device error (CKR_DEVICE_ERROR)" },
	{ 0x031, "device out of memory (CKR_DEVICE_MEMORY)" },
	{ 0x032, "device removed (CKR_DEVICE_REMOVED)" },
	{ 0x0a0, "wrong PIN (CKR_PIN_INCORRECT)" },
	{ 0x0a1, "invalid PIN (CKR_PIN_INVALID)" },
	{ 0x0a2, "PIN of the wrong length (CKR_PIN_LEN_RANGE)" },
	{ 0x0a3, "PIN expired (CKR_PIN_EXPIRED)" },
	{ 0x0a4, "PIN locked (CKR_PIN_LOCKED)" },
	{ 0x0e0, "token not present (CKR_TOKEN_NOT_PRESENT)" },
	{ 0x0e1, "token not recognized (CKR_TOKEN_NOT_RECOGNIZED)" },
	{ 0x101, "user not logged in (CKR_USER_NOT_LOGGED_IN)" },
	{ 0x102, "PIN not initialised (CKR_USER_PIN_NOT_INITIALIZED)" },
	{ 0x190, "module already initialised (CKR_CRYPTOKI_ALREADY_INITIALIZED)" },
};

/* Why the last libp11 call failed, from OpenSSL's error queue (which it
 * then clears): a PKCS#11 return value when there is one. */
static void p11_reason(char *out, size_t size)
{
	int ckr_lib = ERR_get_CKR_code();
	unsigned long code, rv = 0, first = 0;

	while ((code = ERR_get_error()) != 0) {
		if (first == 0)
			first = code;
		if (rv == 0 && ckr_lib != 0 && ERR_GET_LIB(code) == ckr_lib)
			rv = (unsigned long)ERR_GET_REASON(code);
	}
	if (rv != 0) {
		for (size_t i = 0; i < sizeof(ckr_texts) / sizeof(ckr_texts[0]); i++) {
			if (ckr_texts[i].rv == rv) {
				snprintf(out, size, "%s", ckr_texts[i].text);
				return;
			}
		}
		snprintf(out, size, "PKCS#11 error 0x%lx", rv);
	} else if (first != 0) {
		const char *r = ERR_reason_error_string(first);
		snprintf(out, size, "%s", r != NULL ? r : "unknown error");
	} else {
		snprintf(out, size, "unknown error");
	}
}

static void module_free(struct p11_module *m)
{
	if (m == NULL)
		return;
	if (m->slots != NULL)
		PKCS11_release_all_slots(m->ctx, m->slots, m->nslots);
	/* unload only what was loaded: libp11 would call a NULL C_Finalize */
	if (m->loaded)
		PKCS11_CTX_unload(m->ctx);
	if (m->ctx != NULL)
		PKCS11_CTX_free(m->ctx);
	if (m->logins != NULL)
		OPENSSL_clear_free(m->logins, (m->nslots ? m->nslots : 1) * sizeof(*m->logins));
	free(m);
}

/* The loaded module at path, loading it on first use. Called locked. */
static int module_get(const char *path, struct p11_module **out, struct err *e)
{
	char canon[PATH_MAX], reason[160];
	struct p11_module *m;
	void *probe = NULL;

	if (strchr(path, '/') != NULL) {
		if (realpath(path, canon) == NULL)
			return err_set(e, "PKCS#11 module '%s': %s", path, strerror(errno));
	} else if (snprintf(canon, sizeof(canon), "%s", path) >= (int)sizeof(canon)) {
		return err_set(e, "PKCS#11 module '%.64s...': name too long", path);
	}
	for (m = modules; m != NULL; m = m->next) {
		if (strcmp(m->path, canon) == 0) {
			m->refs++;
			*out = m;
			return 0;
		}
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return err_set(e, "PKCS#11 module '%s': out of memory", path);
	memcpy(m->path, canon, sizeof(m->path));
	/* Loaded here first, because libp11 prints dlerror() on stderr where
	 * this can put it in the message; libp11's dlopen then finds it loaded. */
	probe = dlopen(canon, RTLD_LAZY | RTLD_LOCAL);
	if (probe == NULL) {
		const char *why = dlerror();
		err_set(e, "PKCS#11 module '%s' could not be loaded: %s", path,
		    why != NULL ? why : "unknown error");
		goto fail;
	}
	if (dlsym(probe, "C_GetFunctionList") == NULL) {
		err_set(e, "'%s' is not a PKCS#11 module (no C_GetFunctionList)", path);
		goto fail;
	}
	ERR_clear_error();
	m->ctx = PKCS11_CTX_new();
	if (m->ctx == NULL) {
		err_set(e, "PKCS#11 module '%s': out of memory", path);
		goto fail;
	}
	if (PKCS11_CTX_load(m->ctx, canon) != 0) {
		p11_reason(reason, sizeof(reason));
		err_set(e, "PKCS#11 module '%s' could not be loaded: %s", path, reason);
		goto fail;
	}
	m->loaded = 1;
	if (PKCS11_enumerate_slots(m->ctx, &m->slots, &m->nslots) != 0) {
		p11_reason(reason, sizeof(reason));
		err_set(e, "PKCS#11 module '%s': listing its slots failed: %s", path, reason);
		m->slots = NULL;
		goto fail;
	}
	m->logins = OPENSSL_zalloc((m->nslots ? m->nslots : 1) * sizeof(*m->logins));
	if (m->logins == NULL) {
		err_set(e, "PKCS#11 module '%s': out of memory", path);
		goto fail;
	}
	m->refs = 1;
	m->next = modules;
	modules = m;
	*out = m;
	dlclose(probe);
	return 0;
fail:
	module_free(m);
	if (probe != NULL)
		dlclose(probe);
	return -1;
}

/* Drops a reference; the last one unloads the module. Called locked. */
static void module_put(struct p11_module *m)
{
	if (m == NULL || --m->refs > 0)
		return;
	for (struct p11_module **pp = &modules; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	module_free(m);
}

static int str_eq(const char *want, const char *have)
{
	return want[0] == '\0' || (have != NULL && strcmp(want, have) == 0);
}

/* Appends ", item" (quoted when quote) or "..." to a list for messages. */
static void list_add(char *list, size_t size, const char *item, int quote)
{
	size_t used = strlen(list);
	int n;

	if (used + 4 >= size)
		return;
	n = snprintf(list + used, size - used, "%s%s%s%s", used ? ", " : "",
	    quote ? "'" : "", item != NULL ? item : "", quote ? "'" : "");
	if (n < 0 || (size_t)n >= size - used)
		memcpy(list + size - 4, "...", 4);
}

/* The one initialised token that matches u. */
static int token_find(struct p11_module *m, const char *module, const struct pkcs11_uri *u,
    const char *udesc, unsigned *idx, struct err *e)
{
	char seen[LIST_MAX] = "", serials[LIST_MAX] = "";
	unsigned found = 0;

	for (unsigned i = 0; i < m->nslots; i++) {
		const PKCS11_TOKEN *t = m->slots[i].token;
		if (t == NULL || !t->initialized)
			continue;
		list_add(seen, sizeof(seen), t->label, 1);
		if (!str_eq(u->token, t->label) || !str_eq(u->serial, t->serialnr) ||
		    !str_eq(u->manufacturer, t->manufacturer) || !str_eq(u->model, t->model))
			continue;
		list_add(serials, sizeof(serials), t->serialnr, 0);
		if (found++ == 0)
			*idx = i;
	}
	if (found == 1)
		return 0;
	if (found > 1)
		return err_set(e, "several tokens match '%s' in PKCS#11 module '%s'; add "
		    "serial= (serials %s)", udesc, module, serials);
	return err_set(e, "no token matches '%s' in PKCS#11 module '%s' (%s%s)", udesc,
	    module, seen[0] ? "tokens: " : "no initialised token", seen);
}

static int pin_digest(const struct p11_login *l, const char *pin, uint8_t *out)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, l->salt, sizeof(l->salt)) == 1 &&
	    EVP_DigestUpdate(md, pin, strlen(pin)) == 1 &&
	    EVP_DigestFinal_ex(md, out, NULL) == 1;

	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

/* Logs in to the token of slot idx once; later keys must bring the same PIN. */
static int token_login(struct p11_module *m, unsigned idx, const char *pin, struct err *e)
{
	PKCS11_SLOT *slot = &m->slots[idx];
	struct p11_login *l = &m->logins[idx];
	const char *label = slot->token->label;
	uint8_t digest[EVP_MAX_MD_SIZE];
	char reason[160];
	int ret = -1;

	if (!slot->token->loginRequired)
		return 0;
	if (pin == NULL)
		return err_set(e, "token '%s' needs a PIN: give a PIN file or "
		    "pin-source=file:PATH in the key URI", label);
	if (l->done) {
		if (pin_digest(l, pin, digest) != 0) {
			err_ssl(e, "token '%s': hashing the PIN failed", label);
			goto out;
		}
		if (CRYPTO_memcmp(digest, l->digest, 32) != 0) {
			err_set(e, "token '%s' is already logged in for another key, with a "
			    "different PIN", label);
			goto out;
		}
		ret = 0;
		goto out;
	}
	ERR_clear_error();
	if (PKCS11_login(slot, 0, pin) != 0) {
		p11_reason(reason, sizeof(reason));
		err_set(e, "login to token '%s' failed: %s", label, reason);
		goto out;
	}
	if (RAND_bytes(l->salt, sizeof(l->salt)) != 1 || pin_digest(l, pin, l->digest) != 0) {
		err_ssl(e, "token '%s': hashing the PIN failed", label);
		goto out;
	}
	l->done = 1;
	ret = 0;
out:
	OPENSSL_cleanse(digest, sizeof(digest));
	return ret;
}

static int key_matches(const PKCS11_KEY *k, const struct pkcs11_uri *u)
{
	if (u->object[0] != '\0' && (k->label == NULL || strcmp(k->label, u->object) != 0))
		return 0;
	if (u->have_id && (k->id_len != u->id_len || memcmp(k->id, u->id, u->id_len) != 0))
		return 0;
	return 1;
}

/* "'label' id 01" for messages. */
static void key_name(const PKCS11_KEY *k, char *out, size_t size)
{
	char id[2 * 32 + 1];
	size_t n = k->id_len > 32 ? 32 : k->id_len;

	hex_lower(id, k->id, n);
	snprintf(out, size, "'%s' id %s%s", k->label ? k->label : "", n ? id : "(none)",
	    k->id_len > 32 ? "..." : "");
}

/* The one private key on the token of slot idx that matches u. */
static int key_find(struct p11_module *m, unsigned idx, const struct pkcs11_uri *u,
    const char *udesc, struct p11_key *k, struct err *e)
{
	PKCS11_TOKEN *t = m->slots[idx].token;
	PKCS11_KEY *keys = NULL, *key = NULL;
	unsigned int nkeys = 0, found = 0;
	char seen[LIST_MAX] = "", name[128], reason[160];
	int type;

	ERR_clear_error();
	if (PKCS11_enumerate_keys(t, &keys, &nkeys) != 0) {
		p11_reason(reason, sizeof(reason));
		return err_set(e, "token '%s': listing its private keys failed: %s", t->label,
		    reason);
	}
	for (unsigned i = 0; i < nkeys; i++) {
		key_name(&keys[i], name, sizeof(name));
		list_add(seen, sizeof(seen), name, 0);
		if (keys[i].isPrivate && key_matches(&keys[i], u) && found++ == 0)
			key = &keys[i];
	}
	if (found == 0)
		return err_set(e, "no private key matches '%s' on token '%s' (%s%s)", udesc,
		    t->label, seen[0] ? "keys: " : "no private keys", seen);
	if (found > 1)
		return err_set(e, "several private keys match '%s' on token '%s'; add %s",
		    udesc, t->label, u->have_id ? "object=" : "id=");
	type = PKCS11_get_key_type(key);
	if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC)
		return err_set(e, "key '%s' on token '%s' is neither RSA nor EC", udesc, t->label);
	k->pkey = PKCS11_get_private_key(key);
	if (k->pkey == NULL) {
		p11_reason(reason, sizeof(reason));
		return err_set(e, "key '%s' on token '%s' could not be loaded: %s", udesc,
		    t->label, reason);
	}
	if (key->label != NULL && key->label[0] != '\0')
		snprintf(k->desc, sizeof(k->desc), "PKCS#11 token '%s', key '%s'", t->label,
		    key->label);
	else
		snprintf(k->desc, sizeof(k->desc), "PKCS#11 token '%s', key %s", t->label, name);
	return 0;
}

/* The PIN to log in with, by the order p11_key_open documents; *have is 0
 * when there is none. */
static int pin_get(const struct pkcs11_uri *u, const char *pin_file, char *pin, int *have,
    char *warning, size_t warning_size, struct err *e)
{
	const char *uri_file = pkcs11_uri_pin_file(u);
	int from_file = 1;

	*have = 0;
	if (pin_file != NULL && pin_file[0] != '\0') {
		if (secret_read("PIN file", pin_file, pin, P11_PIN_MAX, e) < 0)
			return -1;
	} else if (uri_file != NULL) {
		if (secret_read("PIN file", uri_file, pin, P11_PIN_MAX, e) < 0)
			return err_prefix(e, "pin-source");
	} else if (u->pin_value[0] != '\0') {
		/* both are bounded by P11_PIN_MAX */
		memcpy(pin, u->pin_value, strlen(u->pin_value) + 1);
		from_file = 0;
	} else {
		return 0;
	}
	*have = 1;
	if (u->pin_value[0] != '\0' && warning != NULL && warning_size > 0)
		snprintf(warning, warning_size, from_file ?
		    "the key URI holds a PIN (pin-value=), ignored since the PIN comes from a "
		    "file: remove it from the configuration" :
		    "the key URI holds a PIN (pin-value=): put the PIN in a file readable only "
		    "by this program and use pin-source=file:PATH");
	return 0;
}

int p11_key_open(const char *uri, const char *pin_file, const char *module,
    struct p11_key **out, char *warning, size_t warning_size, struct err *e)
{
	struct pkcs11_uri u;
	struct p11_key *k = NULL;
	char pin[P11_PIN_MAX + 3], udesc[URI_DESC_MAX];
	const char *path;
	unsigned idx = 0;
	int have_pin = 0, locked = 0, ret = -1;

	*out = NULL;
	if (warning != NULL && warning_size > 0)
		warning[0] = '\0';
	if (pkcs11_uri_parse(uri, &u, e) != 0)
		return -1;
	pkcs11_uri_describe(&u, udesc, sizeof(udesc));
	if (u.type[0] != '\0' && strcmp(u.type, "private") != 0) {
		err_set(e, "'%s' names a %s object, not a private key (type=private)", udesc,
		    u.type);
		goto out;
	}
	if (u.object[0] == '\0' && !u.have_id) {
		err_set(e, "'%s' does not say which key: add object= or id=", udesc);
		goto out;
	}
	if (u.module_name[0] != '\0' && u.module_path[0] == '\0') {
		err_set(e, "pkcs11 URI: module-name is not supported; give module-path=");
		goto out;
	}
	path = u.module_path[0] ? u.module_path :
	    module != NULL && module[0] ? module : P11_DEFAULT_MODULE;
	if (pin_get(&u, pin_file, pin, &have_pin, warning, warning_size, e) != 0)
		goto out;
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	pthread_mutex_lock(&registry_lock);
	locked = 1;
	if (module_get(path, &k->mod, e) != 0 ||
	    token_find(k->mod, path, &u, udesc, &idx, e) != 0 ||
	    token_login(k->mod, idx, have_pin ? pin : NULL, e) != 0 ||
	    key_find(k->mod, idx, &u, udesc, k, e) != 0)
		goto out;
	*out = k;
	k = NULL;
	ret = 0;
out:
	if (k != NULL) {
		EVP_PKEY_free(k->pkey);
		module_put(k->mod);
		free(k);
	}
	if (locked)
		pthread_mutex_unlock(&registry_lock);
	ERR_clear_error();
	OPENSSL_cleanse(pin, sizeof(pin));
	pkcs11_uri_wipe(&u);
	return ret;
}

EVP_PKEY *p11_key_pkey(const struct p11_key *k)
{
	return k->pkey;
}

const char *p11_key_desc(const struct p11_key *k)
{
	return k->desc;
}

void p11_key_close(struct p11_key *k)
{
	if (k == NULL)
		return;
	pthread_mutex_lock(&registry_lock);
	/* the key holds a reference to its slot: free it before the slots */
	EVP_PKEY_free(k->pkey);
	module_put(k->mod);
	pthread_mutex_unlock(&registry_lock);
	free(k);
}

unsigned p11_modules_loaded(void)
{
	unsigned n = 0;

	pthread_mutex_lock(&registry_lock);
	for (const struct p11_module *m = modules; m != NULL; m = m->next)
		n++;
	pthread_mutex_unlock(&registry_lock);
	return n;
}

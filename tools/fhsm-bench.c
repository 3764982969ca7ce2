/* fhsm-bench: PKCS#11 benchmarks against any module, side by side.
 *
 *   fhsm-bench --module A.so [--vs B.so] [--seconds S] [--objects 1000,10000]
 *   fhsm-bench --fabric [--fmax MHZ]     (the simulated fabric: cycles per job, bench_fabric.c)
 *
 * Each module is dlopened and set up as an application would: a token is initialized
 * in its free slot (the token directory comes from the module's own configuration:
 * FHSM_CONF, SOFTHSM2_CONF, ...). With --vs every row runs on A, then at once on B,
 * and the ratio A/B is printed: both at the same moment on the same machine, which is
 * what makes the figures comparable on a shared, noisy host. */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include "bench_raw.h"
#include "bench_fabric.h"
#include <time.h>

#define CRYPTOKI_COMPAT 1
#include <p11-kit/pkcs11.h>

#define SO_PIN "bench-so-pin"
#define USER_PIN "bench-user-pin"
#define MAX_OBJECTS 1000000

struct module {
	const char *path, *name;
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE *objs;
	size_t nobjs;
	double rss_per_object; /* growth of resident memory per object created, last create row */
	double scaling;        /* last two-thread row: its ops/s over one thread's, interleaved */
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const struct module *m, const char *what, CK_RV rv)
{
	fprintf(stderr, "fhsm-bench: %s: %s failed: 0x%lx\n", m->name, what, rv);
	exit(1);
}

#define CHECK(m, call) \
	do { \
		CK_RV rv_ = (call); \
		if (rv_ != CKR_OK) \
			die((m), #call, rv_); \
	} while (0)

static void pad(CK_UTF8CHAR *dst, size_t n, const char *s)
{
	memset(dst, ' ', n);
	memcpy(dst, s, strlen(s) < n ? strlen(s) : n);
}

static void setup(struct module *m)
{
	CK_C_GetFunctionList get;
	CK_C_INITIALIZE_ARGS args = {0};
	m->dl = dlopen(m->path, RTLD_NOW | RTLD_LOCAL);
	if (!m->dl) {
		fprintf(stderr, "fhsm-bench: %s\n", dlerror());
		exit(1);
	}
	const char *slash = strrchr(m->path, '/');
	m->name = slash ? slash + 1 : m->path;
	*(void **)&get = dlsym(m->dl, "C_GetFunctionList");
	if (!get || get(&m->f) != CKR_OK) {
		fprintf(stderr, "fhsm-bench: %s: no C_GetFunctionList\n", m->path);
		exit(1);
	}
	args.flags = CKF_OS_LOCKING_OK;
	CHECK(m, m->f->C_Initialize(&args));

	/* The free slot: the one whose token is not initialized. */
	CK_SLOT_ID ids[256];
	CK_ULONG n = 256;
	CHECK(m, m->f->C_GetSlotList(CK_TRUE, ids, &n));
	bool found = false;
	for (CK_ULONG i = 0; i < n && !found; i++) {
		CK_TOKEN_INFO ti;
		if (m->f->C_GetTokenInfo(ids[i], &ti) == CKR_OK && !(ti.flags & CKF_TOKEN_INITIALIZED)) {
			m->slot = ids[i];
			found = true;
		}
	}
	if (!found) {
		fprintf(stderr, "fhsm-bench: %s: no free slot\n", m->name);
		exit(1);
	}
	CK_UTF8CHAR label[32];
	pad(label, sizeof(label), "fhsm-bench");
	CHECK(m, m->f->C_InitToken(m->slot, (CK_UTF8CHAR_PTR)SO_PIN, strlen(SO_PIN), label));
	/* SoftHSM gives the initialized token a new slot ID: find it by label. */
	n = 256;
	CHECK(m, m->f->C_GetSlotList(CK_TRUE, ids, &n));
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		if (m->f->C_GetTokenInfo(ids[i], &ti) == CKR_OK && (ti.flags & CKF_TOKEN_INITIALIZED) &&
		    !memcmp(ti.label, label, 32))
			m->slot = ids[i];
	}
	CHECK(m, m->f->C_OpenSession(m->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &m->h));
	CHECK(m, m->f->C_Login(m->h, CKU_SO, (CK_UTF8CHAR_PTR)SO_PIN, strlen(SO_PIN)));
	CHECK(m, m->f->C_InitPIN(m->h, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN)));
	CHECK(m, m->f->C_Logout(m->h));
	CHECK(m, m->f->C_Login(m->h, CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN)));
	m->objs = calloc(MAX_OBJECTS, sizeof(*m->objs));
}

static void teardown(struct module *m)
{
	m->f->C_CloseAllSessions(m->slot);
	m->f->C_Finalize(NULL);
	free(m->objs);
}

/* ---- rows: each returns operations per second ---- */
struct row {
	const char *name;
	double (*run)(struct module *m, double seconds, size_t arg);
	size_t arg;
	enum raw_op raw; /* the same work on the host layer alone (--raw) */
};

static double session_open_close(struct module *m, double seconds, size_t arg)
{
	size_t ops = 0;
	double t0 = now(), t;
	do {
		CK_SESSION_HANDLE h;
		CHECK(m, m->f->C_OpenSession(m->slot, CKF_SERIAL_SESSION, NULL, NULL, &h));
		CHECK(m, m->f->C_CloseSession(h));
		ops++;
	} while ((t = now()) - t0 < seconds);
	return ops / (t - t0);
}

/* Resident memory of this process, in bytes. */
static long rss_bytes(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * 4096;
}

static void object_label(char *buf, size_t n, size_t i)
{
	snprintf(buf, n, "bench-object-%zu", i);
}

/* Creates token data objects until the module holds `target` of them. */
static double create_objects(struct module *m, double seconds, size_t target)
{
	static const CK_OBJECT_CLASS cls = CKO_DATA;
	static const CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	static const char value[] = "thirty-two bytes of object data";
	size_t start = m->nobjs;
	long rss0 = rss_bytes();
	double t0 = now();
	for (; m->nobjs < target; m->nobjs++) {
		char label[48];
		object_label(label, sizeof(label), m->nobjs);
		CK_ATTRIBUTE t[] = {
			{CKA_CLASS, (void *)&cls, sizeof(cls)},
			{CKA_TOKEN, (void *)&yes, sizeof(yes)},
			{CKA_PRIVATE, (void *)&no, sizeof(no)},
			{CKA_LABEL, label, strlen(label)},
			{CKA_VALUE, (void *)value, sizeof(value) - 1},
		};
		CHECK(m, m->f->C_CreateObject(m->h, t, sizeof(t) / sizeof(t[0]), &m->objs[m->nobjs]));
	}
	double dt = now() - t0;
	if (m->nobjs > start)
		m->rss_per_object = (double)(rss_bytes() - rss0) / (double)(m->nobjs - start);
	return (m->nobjs - start) / (dt > 0 ? dt : 1e-9);
}

static double find_by_label(struct module *m, double seconds, size_t arg)
{
	size_t ops = 0;
	double t0 = now(), t;
	do {
		char label[48];
		object_label(label, sizeof(label), (ops * 7919) % m->nobjs);
		CK_ATTRIBUTE t1[] = {{CKA_LABEL, label, strlen(label)}};
		CK_OBJECT_HANDLE found[2];
		CK_ULONG n = 0;
		CHECK(m, m->f->C_FindObjectsInit(m->h, t1, 1));
		CHECK(m, m->f->C_FindObjects(m->h, found, 2, &n));
		CHECK(m, m->f->C_FindObjectsFinal(m->h));
		if (n != 1) {
			fprintf(stderr, "fhsm-bench: %s: found %lu objects labelled %s\n", m->name, n, label);
			exit(1);
		}
		ops++;
	} while ((t = now()) - t0 < seconds);
	return ops / (t - t0);
}

static double destroy_objects(struct module *m, double seconds, size_t arg)
{
	size_t n = m->nobjs;
	double t0 = now();
	while (m->nobjs > 0)
		CHECK(m, m->f->C_DestroyObject(m->h, m->objs[--m->nobjs]));
	double dt = now() - t0;
	return n / (dt > 0 ? dt : 1e-9);
}


/* ---- crypto rows ---- */
struct keys {
	CK_OBJECT_HANDLE aes, hmac, rsa_pub, rsa_priv, ec_pub, ec_priv, ed_pub, ed_priv;
	bool have_ed;
	uint8_t oaep_ct[256]; /* a ciphertext to decrypt, made at setup */
	CK_ULONG oaep_len;
	uint8_t sig[2][256]; /* signatures to verify (RSA, ECDSA), made at setup */
	CK_ULONG sig_len[2];
	uint8_t peer[65]; /* an ECDH peer's P-256 point, 04 || X || Y */
};
static struct keys keys[2];
static uint8_t *big; /* 1 MiB of data */
static const uint8_t msg32[32] = "a message of thirty-two bytes..";
#define MIB (1u << 20)

static int mod_index(const struct module *m);

/* Runs op until `seconds` pass; returns ops/s. */
static double timed(struct module *m, double seconds, CK_RV (*op)(struct module *m, size_t arg), size_t arg)
{
	size_t ops = 0;
	double t0 = now(), t;
	do {
		CK_RV rv = op(m, arg);
		if (rv != CKR_OK)
			die(m, "benchmark operation", rv);
		ops++;
	} while ((t = now()) - t0 < seconds);
	return ops / (t - t0);
}

static CK_RV op_random(struct module *m, size_t len)
{
	return m->f->C_GenerateRandom(m->h, big, len);
}

static CK_RV op_digest(struct module *m, size_t arg)
{
	CK_MECHANISM mech = {arg >> 32 ? CKM_SHA512 : CKM_SHA256, NULL, 0};
	CK_BYTE out[64];
	CK_ULONG n = sizeof(out);
	CK_RV rv = m->f->C_DigestInit(m->h, &mech);
	return rv ? rv : m->f->C_Digest(m->h, big, arg & 0xFFFFFFFF, out, &n);
}

static CK_RV op_keygen(struct module *m, size_t token)
{
	static const CK_ULONG len = 32;
	CK_BBOOL tok = token ? CK_TRUE : CK_FALSE;
	CK_ATTRIBUTE t[] = {{CKA_VALUE_LEN, (void *)&len, sizeof(len)}, {CKA_TOKEN, &tok, 1}};
	CK_MECHANISM mech = {CKM_AES_KEY_GEN, NULL, 0};
	CK_OBJECT_HANDLE k;
	CK_RV rv = m->f->C_GenerateKey(m->h, &mech, t, 2, &k);
	return rv ? rv : m->f->C_DestroyObject(m->h, k);
}

/* arg: mechanism << 32 | length | multi-part flag (bit 31). */
static uint8_t outbuf[MIB + 64];
static CK_RV op_aes(struct module *m, size_t arg)
{
	static uint8_t iv[16];
	CK_GCM_PARAMS gcm = {iv, 12, 96, NULL, 0, 128};
	CK_AES_CTR_PARAMS ctr = {128, {0}};
	CK_MECHANISM_TYPE t = arg >> 32;
	CK_MECHANISM mech = {t, iv, 16};
	if (t == CKM_AES_GCM)
		mech = (CK_MECHANISM){t, &gcm, sizeof(gcm)};
	else if (t == CKM_AES_CTR)
		mech = (CK_MECHANISM){t, &ctr, sizeof(ctr)};
	size_t len = arg & (RAW_MULTI_PART - 1);
	CK_ULONG n = sizeof(outbuf);
	CK_RV rv = m->f->C_EncryptInit(m->h, &mech, keys[mod_index(m)].aes);
	if (rv)
		return rv;
	if (!(arg & RAW_MULTI_PART))
		return m->f->C_Encrypt(m->h, big, len, outbuf, &n);
	size_t done = 0, part = len / 4;
	for (int i = 0; i < 4 && rv == CKR_OK; i++) {
		n = sizeof(outbuf) - done;
		rv = m->f->C_EncryptUpdate(m->h, big + i * part, part, outbuf + done, &n);
		done += n;
	}
	n = sizeof(outbuf) - done;
	return rv ? rv : m->f->C_EncryptFinal(m->h, outbuf + done, &n);
}

static CK_RV op_hmac(struct module *m, size_t len)
{
	CK_MECHANISM mech = {CKM_SHA256_HMAC, NULL, 0};
	CK_BYTE out[32];
	CK_ULONG n = sizeof(out);
	CK_RV rv = m->f->C_SignInit(m->h, &mech, keys[mod_index(m)].hmac);
	return rv ? rv : m->f->C_Sign(m->h, big, len, out, &n);
}

static CK_RV op_sign(struct module *m, size_t which)
{
	CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA256, CKG_MGF1_SHA256, 32};
	struct keys *k = &keys[mod_index(m)];
	CK_MECHANISM mech = {CKM_SHA256_RSA_PKCS, NULL, 0};
	CK_OBJECT_HANDLE key = k->rsa_priv;
	if (which == 1)
		mech = (CK_MECHANISM){CKM_SHA256_RSA_PKCS_PSS, &pss, sizeof(pss)};
	else if (which == 2) /* CKM_ECDSA over a SHA-256-sized digest: SoftHSM 2.6.1 has no CKM_ECDSA_SHA256 */
		mech.mechanism = CKM_ECDSA, key = k->ec_priv;
	else if (which == 3)
		mech.mechanism = CKM_EDDSA, key = k->ed_priv;
	CK_BYTE sig[512];
	CK_ULONG n = sizeof(sig);
	CK_RV rv = m->f->C_SignInit(m->h, &mech, key);
	return rv ? rv : m->f->C_Sign(m->h, (CK_BYTE_PTR)msg32, sizeof(msg32), sig, &n);
}

/* ec: CKM_ECDSA over a 32-byte digest, else CKM_SHA256_RSA_PKCS; sign: at setup, the
 * signature the rows then verify. */
static CK_RV op_verify(struct module *m, size_t ec, bool sign)
{
	struct keys *k = &keys[mod_index(m)];
	CK_MECHANISM mech = {ec ? CKM_ECDSA : CKM_SHA256_RSA_PKCS, NULL, 0};
	CK_RV rv;
	if (sign) {
		k->sig_len[ec] = sizeof(k->sig[ec]);
		rv = m->f->C_SignInit(m->h, &mech, ec ? k->ec_priv : k->rsa_priv);
		return rv ? rv : m->f->C_Sign(m->h, (CK_BYTE_PTR)msg32, sizeof(msg32), k->sig[ec], &k->sig_len[ec]);
	}
	rv = m->f->C_VerifyInit(m->h, &mech, ec ? k->ec_pub : k->rsa_pub);
	return rv ? rv : m->f->C_Verify(m->h, (CK_BYTE_PTR)msg32, sizeof(msg32), k->sig[ec], k->sig_len[ec]);
}

static CK_RV op_verify_only(struct module *m, size_t ec)
{
	return op_verify(m, ec, false);
}

/* CKM_ECDH1_DERIVE (no KDF) with the peer point made at setup, into a 32-byte
 * generic secret that is destroyed again. */
static CK_RV op_ecdh(struct module *m, size_t arg)
{
	(void)arg;
	static const CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	static const CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	static const CK_ULONG len = 32;
	struct keys *k = &keys[mod_index(m)];
	CK_ECDH1_DERIVE_PARAMS p = {CKD_NULL, 0, NULL, sizeof(k->peer), k->peer};
	CK_MECHANISM mech = {CKM_ECDH1_DERIVE, &p, sizeof(p)};
	CK_ATTRIBUTE t[] = {{CKA_CLASS, (void *)&cls, sizeof(cls)},
			    {CKA_KEY_TYPE, (void *)&kt, sizeof(kt)},
			    {CKA_VALUE_LEN, (void *)&len, sizeof(len)}};
	CK_OBJECT_HANDLE out;
	CK_RV rv = m->f->C_DeriveKey(m->h, &mech, k->ec_priv, t, 3, &out);
	return rv ? rv : m->f->C_DestroyObject(m->h, out);
}

static CK_RV op_oaep(struct module *m, size_t arg)
{
	/* SHA-1: SoftHSM 2.6.1 has OAEP with nothing else. */
	CK_RSA_PKCS_OAEP_PARAMS p = {CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0};
	CK_MECHANISM mech = {CKM_RSA_PKCS_OAEP, &p, sizeof(p)};
	struct keys *k = &keys[mod_index(m)];
	CK_RV rv = CKR_OK;
	if (arg) { /* setup: one ciphertext */
		k->oaep_len = sizeof(k->oaep_ct);
		rv = m->f->C_EncryptInit(m->h, &mech, k->rsa_pub);
		return rv ? rv : m->f->C_Encrypt(m->h, (CK_BYTE_PTR)msg32, sizeof(msg32), k->oaep_ct, &k->oaep_len);
	}
	CK_BYTE out[256];
	CK_ULONG n = sizeof(out);
	rv = m->f->C_DecryptInit(m->h, &mech, k->rsa_priv);
	return rv ? rv : m->f->C_Decrypt(m->h, k->oaep_ct, k->oaep_len, out, &n);
}

static CK_RV op_keypair(struct module *m, size_t ec)
{
	static const CK_ULONG bits = 2048;
	static const uint8_t p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
	CK_ATTRIBUTE rsa[] = {{CKA_MODULUS_BITS, (void *)&bits, sizeof(bits)}};
	CK_ATTRIBUTE ecp[] = {{CKA_EC_PARAMS, (void *)p256, sizeof(p256)}};
	CK_MECHANISM mech = {ec ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
	CK_OBJECT_HANDLE pu, pr;
	CK_RV rv = m->f->C_GenerateKeyPair(m->h, &mech, ec ? ecp : rsa, 1, NULL, 0, &pu, &pr);
	if (!rv)
		rv = m->f->C_DestroyObject(m->h, pu);
	return rv ? rv : m->f->C_DestroyObject(m->h, pr);
}

static void crypto_setup(struct module *m)
{
	static const CK_ULONG len32 = 32, bits = 2048;
	static const uint8_t p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
	static const uint8_t ed25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
	CK_BBOOL yes = CK_TRUE;
	struct keys *k = &keys[mod_index(m)];
	if (!big && !(big = calloc(1, MIB)))
		exit(1);
	CK_MECHANISM aes = {CKM_AES_KEY_GEN, NULL, 0}, gen = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
	CK_ATTRIBUTE t[] = {{CKA_VALUE_LEN, (void *)&len32, sizeof(len32)}, {CKA_ENCRYPT, &yes, 1}, {CKA_SIGN, &yes, 1}};
	CHECK(m, m->f->C_GenerateKey(m->h, &aes, t, 2, &k->aes));
	CK_ATTRIBUTE th[] = {{CKA_VALUE_LEN, (void *)&len32, sizeof(len32)}, {CKA_SIGN, &yes, 1}};
	CHECK(m, m->f->C_GenerateKey(m->h, &gen, th, 2, &k->hmac));
	CK_MECHANISM rsa = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0}, ec = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	CK_ATTRIBUTE tr[] = {{CKA_MODULUS_BITS, (void *)&bits, sizeof(bits)}, {CKA_ENCRYPT, &yes, 1}, {CKA_VERIFY, &yes, 1}};
	CK_ATTRIBUTE tp[] = {{CKA_SIGN, &yes, 1}, {CKA_DECRYPT, &yes, 1}};
	CHECK(m, m->f->C_GenerateKeyPair(m->h, &rsa, tr, 3, tp, 2, &k->rsa_pub, &k->rsa_priv));
	CK_ATTRIBUTE te[] = {{CKA_EC_PARAMS, (void *)p256, sizeof(p256)}, {CKA_VERIFY, &yes, 1}};
	CHECK(m, m->f->C_GenerateKeyPair(m->h, &ec, te, 2, tp, 1, &k->ec_pub, &k->ec_priv));
	CK_MECHANISM ed = {CKM_EC_EDWARDS_KEY_PAIR_GEN, NULL, 0};
	CK_ATTRIBUTE td[] = {{CKA_EC_PARAMS, (void *)ed25519, sizeof(ed25519)}, {CKA_VERIFY, &yes, 1}};
	k->have_ed = m->f->C_GenerateKeyPair(m->h, &ed, td, 2, tp, 1, &k->ed_pub, &k->ed_priv) == CKR_OK;
	CHECK(m, op_oaep(m, 1));
	CHECK(m, op_verify(m, 0, true));
	CHECK(m, op_verify(m, 1, true));
	/* The peer: another P-256 key pair, its CKA_EC_POINT (DER OCTET STRING 04 41 ...) unwrapped. */
	CK_OBJECT_HANDLE peer_pub, peer_priv;
	uint8_t der[2 + sizeof(k->peer)];
	CK_ATTRIBUTE pt = {CKA_EC_POINT, der, sizeof(der)};
	CHECK(m, m->f->C_GenerateKeyPair(m->h, &ec, te, 1, NULL, 0, &peer_pub, &peer_priv));
	CHECK(m, m->f->C_GetAttributeValue(m->h, peer_pub, &pt, 1));
	if (pt.ulValueLen != sizeof(der) || der[0] != 0x04 || der[1] != sizeof(k->peer)) {
		fprintf(stderr, "fhsm-bench: %s: unexpected CKA_EC_POINT encoding\n", m->name);
		exit(1);
	}
	memcpy(k->peer, der + 2, sizeof(k->peer));
	tp[1].type = CKA_DERIVE; /* the private key derives */
	CHECK(m, m->f->C_DestroyObject(m->h, k->ec_priv));
	CHECK(m, m->f->C_DestroyObject(m->h, k->ec_pub));
	CHECK(m, m->f->C_GenerateKeyPair(m->h, &ec, te, 2, tp, 2, &k->ec_pub, &k->ec_priv));
	CHECK(m, op_verify(m, 1, true));
}

#define ROW_CRYPTO(fn) \
	static double row_##fn(struct module *m, double seconds, size_t arg) \
	{ \
		return timed(m, seconds, op_##fn, arg); \
	}
ROW_CRYPTO(random)
ROW_CRYPTO(digest)
ROW_CRYPTO(keygen)
ROW_CRYPTO(aes)
ROW_CRYPTO(hmac)
ROW_CRYPTO(sign)
ROW_CRYPTO(verify_only)
ROW_CRYPTO(ecdh)
ROW_CRYPTO(oaep)
ROW_CRYPTO(keypair)

static double row_ed25519(struct module *m, double seconds, size_t arg)
{
	return keys[mod_index(m)].have_ed ? timed(m, seconds, op_sign, arg) : 0;
}

/* Two threads, each with its own session, on the same operation. */
struct thread_arg {
	struct module m;
	double seconds, result;
	CK_RV (*op)(struct module *, size_t);
	size_t arg;
};

static void *thread_main(void *p)
{
	struct thread_arg *t = p;
	CHECK(&t->m, t->m.f->C_OpenSession(t->m.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &t->m.h));
	t->result = timed(&t->m, t->seconds, t->op, t->arg);
	t->m.f->C_CloseSession(t->m.h);
	return NULL;
}

/* Two threads against one, measured in alternating rounds (one thread, then two)
 * so that a shared machine's drift between rows does not pass for scaling; the
 * row's ops/s is the two-thread rounds', m->scaling their ratio to the others. */
static double two_threads(struct module *m, double seconds, CK_RV (*op)(struct module *, size_t), size_t arg)
{
	enum { ROUNDS = 4 };
	double ops1 = 0, ops2 = 0, slice = seconds / (2 * ROUNDS);
	for (int r = 0; r < ROUNDS; r++) {
		ops1 += timed(m, slice, op, arg);
		struct thread_arg t[2];
		pthread_t th[2];
		for (int i = 0; i < 2; i++) {
			t[i] = (struct thread_arg){*m, slice, 0, op, arg};
			pthread_create(&th[i], NULL, thread_main, &t[i]);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		ops2 += t[0].result + t[1].result;
	}
	m->scaling = ops2 / ops1;
	return ops2 / ROUNDS;
}

static double row_ecdsa_2t(struct module *m, double seconds, size_t arg)
{
	return two_threads(m, seconds, op_sign, 2);
}

static double row_rsa_2t(struct module *m, double seconds, size_t arg)
{
	return two_threads(m, seconds, op_sign, 0);
}

static double row_gcm_2t(struct module *m, double seconds, size_t arg)
{
	return two_threads(m, seconds, op_aes, (size_t)CKM_AES_GCM << 32 | 4096);
}

static struct module *mods_base;
static int mod_index(const struct module *m)
{
	/* Thread copies carry the same function list: match on it. */
	return m->f == mods_base[0].f ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"module", required_argument, NULL, 'm'}, {"vs", required_argument, NULL, 'v'},
		{"seconds", required_argument, NULL, 's'}, {"objects", required_argument, NULL, 'o'},
		{"no-crypto", no_argument, NULL, 'n'}, {"raw", no_argument, NULL, 'r'}, {"help", no_argument, NULL, 'h'},
		{"fabric", no_argument, NULL, 'f'}, {"fmax", required_argument, NULL, 'F'},
		{"rows", required_argument, NULL, 'w'}, {NULL, 0, NULL, 0},
	};
	struct module mods[2] = {{0}};
	int nmods = 0, c;
	double seconds = 2.0;
	size_t counts[8] = {1000, 10000};
	int ncounts = 2;
	bool crypto = true, raw = false, fabric = false;
	const char *only = NULL; /* --rows: only rows whose name contains this */
	bool objects_given = false;
	/* nextpnr's Fmax of the fabric top with one engine of each kind on UP5K (rtl/README.md). */
	double fmax = FABRIC_FMAX_UP5K_MHZ;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': mods[0].path = optarg; break;
		case 'v': mods[1].path = optarg; break;
		case 's': seconds = atof(optarg); break;
		case 'n': crypto = false; break;
		case 'r': raw = true; break;
		case 'f': fabric = true; break;
		case 'F': fmax = atof(optarg); break;
		case 'w': only = optarg; break;
		case 'o':
			objects_given = true;
			ncounts = 0;
			for (char *tok = strtok(optarg, ","); tok && ncounts < 8; tok = strtok(NULL, ","))
				counts[ncounts++] = strtoul(tok, NULL, 10);
			break;
		default:
			printf("usage: fhsm-bench --module A.so [--vs B.so] [--seconds S] [--objects N,N] [--no-crypto] [--raw]\n"
			       "                  [--rows TEXT]  (only the rows whose name contains TEXT; object rows with --objects)\n"
			       "       fhsm-bench --fabric [--fmax MHZ]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (fabric)
		return fmax > 0 ? fabric_bench(fmax) : 2;
	if (!mods[0].path || seconds <= 0) {
		fprintf(stderr, "fhsm-bench: --module is required (see --help)\n");
		return 2;
	}
	nmods = mods[1].path ? 2 : 1;
	mods_base = mods;
	for (int i = 0; i < nmods; i++) {
		setup(&mods[i]);
		if (crypto)
			crypto_setup(&mods[i]);
	}

	struct row rows[64];
	int nrows = 0;
	char names[16][64];
	rows[nrows++] = (struct row){"session open+close", session_open_close, 0};
	if (crypto) {
		size_t M = MIB, multi = RAW_MULTI_PART;
		struct row cr[] = {
			{"random 32 B", row_random, 32, RAW_RANDOM},
			{"random 1 MiB", row_random, M, RAW_RANDOM},
			{"SHA-256 64 B", row_digest, 64, RAW_DIGEST},
			{"SHA-256 4 KiB", row_digest, 4096, RAW_DIGEST},
			{"SHA-256 1 MiB", row_digest, M, RAW_DIGEST},
			{"SHA-512 1 MiB", row_digest, (size_t)1 << 32 | M, RAW_DIGEST},
			{"AES-256 key generation (session)", row_keygen, 0},
			{"AES-256 key generation (token)", row_keygen, 1},
			{"AES-256-CBC-PAD 4 KiB", row_aes, (size_t)CKM_AES_CBC_PAD << 32 | 4096, RAW_AES_CBC_PAD},
			{"AES-256-CBC-PAD 1 MiB", row_aes, (size_t)CKM_AES_CBC_PAD << 32 | M, RAW_AES_CBC_PAD},
			{"AES-256-CBC-PAD 4 KiB multi-part", row_aes, (size_t)CKM_AES_CBC_PAD << 32 | multi | 4096, RAW_AES_CBC_PAD},
			{"AES-256-CBC-PAD 1 MiB multi-part", row_aes, (size_t)CKM_AES_CBC_PAD << 32 | multi | M, RAW_AES_CBC_PAD},
			{"AES-256-GCM 4 KiB", row_aes, (size_t)CKM_AES_GCM << 32 | 4096, RAW_AES_GCM},
			{"AES-256-GCM 1 MiB", row_aes, (size_t)CKM_AES_GCM << 32 | M, RAW_AES_GCM},
			{"AES-256-GCM 4 KiB multi-part", row_aes, (size_t)CKM_AES_GCM << 32 | multi | 4096, RAW_AES_GCM},
			{"AES-256-GCM 1 MiB multi-part", row_aes, (size_t)CKM_AES_GCM << 32 | multi | M, RAW_AES_GCM},
			{"AES-256-CTR 4 KiB", row_aes, (size_t)CKM_AES_CTR << 32 | 4096, RAW_AES_CTR},
			{"AES-256-CTR 1 MiB", row_aes, (size_t)CKM_AES_CTR << 32 | M, RAW_AES_CTR},
			{"AES-256-CTR 4 KiB multi-part", row_aes, (size_t)CKM_AES_CTR << 32 | multi | 4096, RAW_AES_CTR},
			{"AES-256-CTR 1 MiB multi-part", row_aes, (size_t)CKM_AES_CTR << 32 | multi | M, RAW_AES_CTR},
			{"HMAC-SHA256 64 B", row_hmac, 64, RAW_HMAC},
			{"HMAC-SHA256 1 MiB", row_hmac, M, RAW_HMAC},
			{"RSA-2048 key-pair generation", row_keypair, 0},
			{"RSA-2048 SHA256-RSA-PKCS sign", row_sign, 0, RAW_SIGN},
			{"RSA-2048 SHA256-RSA-PKCS-PSS sign", row_sign, 1, RAW_SIGN},
			{"RSA-2048 SHA256-RSA-PKCS verify", row_verify_only, 0, RAW_VERIFY},
			{"RSA-2048 OAEP-SHA1 decrypt", row_oaep, 0, RAW_OAEP},
			{"EC P-256 key-pair generation", row_keypair, 1},
			{"ECDSA P-256 sign (32-byte digest)", row_sign, 2, RAW_SIGN},
			{"ECDSA P-256 verify (32-byte digest)", row_verify_only, 1, RAW_VERIFY},
			{"ECDH P-256 derive", row_ecdh, 0, RAW_ECDH},
			{"Ed25519 sign", row_ed25519, 3, RAW_SIGN},
			{"2 threads: RSA-2048 SHA256-RSA-PKCS sign", row_rsa_2t, 0},
			{"2 threads: ECDSA P-256 sign", row_ecdsa_2t, 0},
			{"2 threads: AES-256-GCM 4 KiB", row_gcm_2t, 0},
		};
		for (size_t i = 0; i < sizeof(cr) / sizeof(cr[0]); i++)
			rows[nrows++] = cr[i];
	}
	/* --rows filters the rows above; the object rows build on each other and
	 * run whole, unless a filter is given without --objects. */
	int nfiltered = nrows;
	if (only && !objects_given)
		ncounts = -1;
	for (int i = 0; i < ncounts; i++) {
		if (counts[i] > MAX_OBJECTS)
			counts[i] = MAX_OBJECTS;
		snprintf(names[2 * i], 64, "create token data objects to %zu", counts[i]);
		snprintf(names[2 * i + 1], 64, "find 1 by label among %zu", counts[i]);
		rows[nrows++] = (struct row){names[2 * i], create_objects, counts[i]};
		rows[nrows++] = (struct row){names[2 * i + 1], find_by_label, 0};
	}
	if (ncounts >= 0)
		rows[nrows++] = (struct row){"destroy token data objects", destroy_objects, 0};

	printf("%-40s %14s", "row (ops/s)", mods[0].name);
	if (nmods == 2)
		printf(" %14s %10s", mods[1].name, "ratio");
	if (raw)
		printf(" %14s %9s", "host layer", "overhead");
	printf("\n");
	for (int r = 0; r < nrows; r++) {
		if (only && r < nfiltered && !strstr(rows[r].name, only))
			continue;
		double v[2];
		for (int i = 0; i < nmods; i++) {
			mods[i].scaling = 0;
			v[i] = rows[r].run(&mods[i], seconds, rows[r].arg);
		}
		printf("%-40s %14.1f", rows[r].name, v[0]);
		if (nmods == 2)
			printf(" %14.1f %9.2fx", v[1], v[1] > 0 ? v[0] / v[1] : 0);
		if (raw && rows[r].raw != RAW_NONE) {
			/* The module's work over the host layer's: the PKCS#11 layer's share. */
			double base = raw_row(rows[r].raw, rows[r].arg, seconds);
			printf(" %14.1f %8.1f%%", base, base > 0 ? 100.0 * (base / v[0] - 1) : 0);
		}
		if (mods[0].scaling > 0) {
			printf("   2 threads/1: %.2fx", mods[0].scaling);
			if (nmods == 2)
				printf(" (%s %.2fx)", mods[1].name, mods[1].scaling);
		}
		printf("\n");
		if (rows[r].run == create_objects) {
			printf("%-40s %14.0f", "  resident memory per object (bytes)", mods[0].rss_per_object);
			if (nmods == 2)
				printf(" %14.0f", mods[1].rss_per_object);
			printf("\n");
		}
		fflush(stdout);
	}
	for (int i = 0; i < nmods; i++)
		teardown(&mods[i]);
	return 0;
}

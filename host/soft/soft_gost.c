/* GOST R 34.11-94 (hash and HMAC) and GOST R 34.10-2001 (signatures) on libgcrypt:
 * LibTomCrypt has no GOST. Like the rest of the soft provider, every function checks
 * its arguments before libgcrypt sees them.
 *
 * libgcrypt is set up once per process, and only if nobody did it before us: an
 * application that uses libgcrypt itself (or a library it loaded before this module)
 * has made its own choices, and libgcrypt accepts them only once. When we are first,
 * secure memory is turned on (without its warnings: an unlocked pool is still wiped),
 * so that the S-expressions that carry a private key are wiped when released; when the
 * application set libgcrypt up without secure memory, our key MPIs are still wiped
 * (libgcrypt wipes every MPI it frees), their S-expression copies are not. */
#include <gcrypt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "soft.h"
#include "fhsm/pk.h"

#define NEED_LIBGCRYPT "1.8.0" /* GOST2001 curves, GOSTR3411_CP, GCRYCTL_AUTO_EXPAND_SECMEM */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool ready;

static void setup(void)
{
	if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) { /* someone else's setup */
		ready = gcry_check_version(NEED_LIBGCRYPT) != NULL;
		return;
	}
	if (!gcry_check_version(NEED_LIBGCRYPT))
		return;
	gcry_control(GCRYCTL_DISABLE_SECMEM_WARN);
	gcry_control(GCRYCTL_INIT_SECMEM, 65536, 0);
	/* Grow rather than run out (libgcrypt aborts when secure memory is exhausted). */
	gcry_control(GCRYCTL_AUTO_EXPAND_SECMEM, 65536, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	ready = true;
}

static bool init(void)
{
	pthread_once(&once, setup);
	return ready;
}

static fhsm_err err_of(gcry_error_t rc)
{
	if (!rc)
		return FHSM_OK;
	return gcry_err_code(rc) == GPG_ERR_ENOMEM ? FHSM_ERR_NOMEM : FHSM_ERR_PROVIDER;
}

/* ---- GOST R 34.11-94 ---- */
struct soft_gost_md {
	gcry_md_hd_t h;
	int algo;
	pthread_mutex_t lock; /* a prepared HMAC key is copied by many threads at once */
};

bool soft_hash_is_gost(fhsm_hash_alg alg)
{
	return alg == FHSM_HASH_GOSTR3411 || alg == FHSM_HASH_GOSTR3411_TEST;
}

static fhsm_err md_alloc(int algo, bool keyed, struct soft_gost_md **out)
{
	struct soft_gost_md *md = calloc(1, sizeof(*md));
	if (!md)
		return FHSM_ERR_NOMEM;
	md->algo = algo;
	pthread_mutex_init(&md->lock, NULL);
	fhsm_err err = err_of(gcry_md_open(&md->h, algo, keyed ? GCRY_MD_FLAG_HMAC | GCRY_MD_FLAG_SECURE : 0));
	if (err != FHSM_OK) {
		md->h = NULL;
		soft_gost_md_free(md);
		return err;
	}
	*out = md;
	return FHSM_OK;
}

fhsm_err soft_gost_md_new(fhsm_hash_alg alg, const uint8_t *key, size_t key_len, struct soft_gost_md **out)
{
	if (!soft_hash_is_gost(alg) || !out || (!key && key_len))
		return FHSM_ERR_ARGS;
	if (!init())
		return FHSM_ERR_PROVIDER;
	int algo = alg == FHSM_HASH_GOSTR3411 ? GCRY_MD_GOSTR3411_CP : GCRY_MD_GOSTR3411_94;
	struct soft_gost_md *md;
	fhsm_err err = md_alloc(algo, key != NULL, &md);
	if (err != FHSM_OK)
		return err;
	if (key) {
		/* gcry_md_setkey wants a key; HMAC with the empty one is HMAC with 32 zeros. */
		static const uint8_t zeros[32];
		err = err_of(gcry_md_setkey(md->h, key_len ? key : zeros, key_len ? key_len : sizeof zeros));
		if (err != FHSM_OK) {
			soft_gost_md_free(md);
			return err;
		}
	}
	*out = md;
	return FHSM_OK;
}

fhsm_err soft_gost_md_copy(const struct soft_gost_md *src, struct soft_gost_md **out)
{
	if (!src || !out)
		return FHSM_ERR_ARGS;
	struct soft_gost_md *md = calloc(1, sizeof(*md)), *s = (struct soft_gost_md *)src;
	if (!md)
		return FHSM_ERR_NOMEM;
	md->algo = src->algo;
	pthread_mutex_init(&md->lock, NULL);
	pthread_mutex_lock(&s->lock);
	gcry_error_t rc = gcry_md_copy(&md->h, s->h);
	pthread_mutex_unlock(&s->lock);
	if (rc) {
		md->h = NULL;
		soft_gost_md_free(md);
		return err_of(rc);
	}
	*out = md;
	return FHSM_OK;
}

fhsm_err soft_gost_md_update(struct soft_gost_md *md, const void *data, size_t len)
{
	if (!md || (!data && len))
		return FHSM_ERR_ARGS;
	if (len)
		gcry_md_write(md->h, data, len);
	return FHSM_OK;
}

fhsm_err soft_gost_md_final(struct soft_gost_md *md, uint8_t out[32])
{
	if (!md || !out)
		return FHSM_ERR_ARGS;
	const unsigned char *d = gcry_md_read(md->h, md->algo);
	if (!d)
		return FHSM_ERR_PROVIDER;
	memcpy(out, d, 32);
	return FHSM_OK;
}

void soft_gost_md_free(struct soft_gost_md *md)
{
	if (!md)
		return;
	gcry_md_close(md->h); /* wipes its contexts, the HMAC pads included */
	pthread_mutex_destroy(&md->lock);
	free(md);
}

/* ---- GOST R 34.10-2001 ---- */
static const char *const curve_names[FHSM_GOST_COUNT] = {
	[FHSM_GOST_TEST] = "GOST2001-test",
	[FHSM_GOST_CP_A] = "GOST2001-CryptoPro-A",
	[FHSM_GOST_CP_B] = "GOST2001-CryptoPro-B",
	[FHSM_GOST_CP_C] = "GOST2001-CryptoPro-C",
	[FHSM_GOST_CP_XCHA] = "GOST2001-CryptoPro-XchA",
	[FHSM_GOST_CP_XCHB] = "GOST2001-CryptoPro-XchB",
};

static const char *curve_name(fhsm_gost_paramset ps)
{
	return (unsigned)ps < FHSM_GOST_COUNT ? curve_names[ps] : NULL;
}

static void reverse(uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[n - 1 - i];
}

/* n bytes big-endian, left-padded; FHSM_ERR_PROVIDER if it does not fit. */
static fhsm_err mpi_to_be(gcry_mpi_t m, uint8_t *out, size_t n)
{
	size_t len = 0;
	if (!m || gcry_mpi_print(GCRYMPI_FMT_USG, NULL, 0, &len, m) || len > n)
		return FHSM_ERR_PROVIDER;
	memset(out, 0, n);
	return gcry_mpi_print(GCRYMPI_FMT_USG, out + (n - len), len, NULL, m) ? FHSM_ERR_PROVIDER : FHSM_OK;
}

/* The private key as a secure MPI (wiped when freed), from its little-endian bytes. */
static fhsm_err secret_mpi(const uint8_t le[32], gcry_mpi_t *out)
{
	uint8_t *be = gcry_malloc_secure(32); /* gcry_mpi_scan makes a secure MPI of a secure buffer */
	if (!be)
		return FHSM_ERR_NOMEM;
	reverse(be, le, 32);
	gcry_error_t rc = gcry_mpi_scan(out, GCRYMPI_FMT_USG, be, 32, NULL);
	fhsm_wipe(be, 32);
	gcry_free(be);
	return err_of(rc);
}

/* 1 <= d < q, checked here: libgcrypt would sign with d = 0 or d >= q. */
static fhsm_err check_private(gcry_ctx_t ctx, gcry_mpi_t d)
{
	gcry_mpi_t q = gcry_mpi_ec_get_mpi("n", ctx, 1);
	if (!q)
		return FHSM_ERR_PROVIDER;
	bool ok = gcry_mpi_cmp_ui(d, 0) > 0 && gcry_mpi_cmp(d, q) < 0;
	gcry_mpi_release(q);
	return ok ? FHSM_OK : FHSM_ERR_ARGS;
}

/* pub (X || Y little-endian) = d * G. */
static fhsm_err public_of(gcry_ctx_t ctx, gcry_mpi_t d, uint8_t pub[64])
{
	uint8_t be[32];
	gcry_mpi_t x = gcry_mpi_new(0), y = gcry_mpi_new(0);
	gcry_mpi_point_t g = gcry_mpi_ec_get_point("g", ctx, 1), q = gcry_mpi_point_new(0);
	fhsm_err err = FHSM_ERR_PROVIDER;
	if (x && y && g && q) {
		gcry_mpi_ec_mul(q, d, g, ctx);
		if (!gcry_mpi_ec_get_affine(x, y, q, ctx) && (err = mpi_to_be(x, be, 32)) == FHSM_OK) {
			reverse(pub, be, 32);
			if ((err = mpi_to_be(y, be, 32)) == FHSM_OK)
				reverse(pub + 32, be, 32);
		} else if (err == FHSM_OK) {
			err = FHSM_ERR_PROVIDER;
		}
	}
	gcry_mpi_release(x);
	gcry_mpi_release(y);
	gcry_mpi_point_release(g);
	gcry_mpi_point_release(q);
	return err;
}

fhsm_err fhsm_gost_generate(fhsm_gost_paramset ps, uint8_t priv[32], uint8_t pub[64])
{
	const char *name = curve_name(ps);
	if (!name || !priv || !pub)
		return FHSM_ERR_ARGS;
	if (!init())
		return FHSM_ERR_PROVIDER;
	gcry_ctx_t ctx;
	fhsm_err err = err_of(gcry_mpi_ec_new(&ctx, NULL, name));
	if (err != FHSM_OK)
		return err;
	/* d uniform in [1, q-1] by rejection: q is above 2^255 for every parameter set. */
	gcry_mpi_t d = NULL;
	for (int tries = 0; tries < 128; tries++) {
		gcry_mpi_release(d);
		d = NULL;
		if ((err = fhsm_random(priv, 32)) != FHSM_OK || (err = secret_mpi(priv, &d)) != FHSM_OK)
			break;
		if ((err = check_private(ctx, d)) != FHSM_ERR_ARGS)
			break;
	}
	if (err == FHSM_ERR_ARGS)
		err = FHSM_ERR_RNG; /* 128 rejections: the generator is broken */
	if (err == FHSM_OK)
		err = public_of(ctx, d, pub);
	gcry_mpi_release(d);
	gcry_ctx_release(ctx);
	if (err != FHSM_OK) {
		fhsm_wipe(priv, 32);
		fhsm_wipe(pub, 64);
	}
	return err;
}

/* (data (flags gost) (value e)) with e the hash read little-endian. */
static fhsm_err data_sexp(const uint8_t hash[32], gcry_sexp_t *out)
{
	uint8_t be[32];
	reverse(be, hash, 32);
	gcry_error_t rc = gcry_sexp_build(out, NULL, "(data(flags gost)(value %b))", 32, be);
	return err_of(rc);
}

fhsm_err fhsm_gost_sign(fhsm_gost_paramset ps, const uint8_t priv[32], const uint8_t hash[32], uint8_t sig[64])
{
	const char *name = curve_name(ps);
	if (!name || !priv || !hash || !sig)
		return FHSM_ERR_ARGS;
	if (!init())
		return FHSM_ERR_PROVIDER;
	gcry_ctx_t ctx = NULL;
	gcry_mpi_t d = NULL, r = NULL, s = NULL;
	gcry_sexp_t key = NULL, data = NULL, out = NULL, rs = NULL, ss = NULL;
	fhsm_err err = err_of(gcry_mpi_ec_new(&ctx, NULL, name));
	if (err == FHSM_OK)
		err = secret_mpi(priv, &d);
	if (err == FHSM_OK)
		err = check_private(ctx, d);
	if (err == FHSM_OK) /* a secure MPI makes a secure S-expression, wiped when released */
		err = err_of(gcry_sexp_build(&key, NULL, "(private-key(ecc(curve %s)(d %m)))", name, d));
	if (err == FHSM_OK)
		err = data_sexp(hash, &data);
	if (err == FHSM_OK)
		err = err_of(gcry_pk_sign(&out, data, key));
	if (err == FHSM_OK) {
		rs = gcry_sexp_find_token(out, "r", 0);
		ss = gcry_sexp_find_token(out, "s", 0);
		r = rs ? gcry_sexp_nth_mpi(rs, 1, GCRYMPI_FMT_USG) : NULL;
		s = ss ? gcry_sexp_nth_mpi(ss, 1, GCRYMPI_FMT_USG) : NULL;
		err = mpi_to_be(s, sig, 32); /* s || r (PKCS#11, RFC 4491) */
		if (err == FHSM_OK)
			err = mpi_to_be(r, sig + 32, 32);
	}
	gcry_mpi_release(d);
	gcry_mpi_release(r);
	gcry_mpi_release(s);
	gcry_sexp_release(key);
	gcry_sexp_release(data);
	gcry_sexp_release(out);
	gcry_sexp_release(rs);
	gcry_sexp_release(ss);
	gcry_ctx_release(ctx);
	if (err != FHSM_OK)
		fhsm_wipe(sig, 64);
	return err;
}

fhsm_err fhsm_gost_verify(fhsm_gost_paramset ps, const uint8_t pub[64], const uint8_t hash[32],
			  const uint8_t sig[64])
{
	const char *name = curve_name(ps);
	if (!name || !pub || !hash || !sig)
		return FHSM_ERR_ARGS;
	if (!init())
		return FHSM_ERR_PROVIDER;
	uint8_t q[65];
	q[0] = 0x04; /* uncompressed, big-endian X and Y */
	reverse(q + 1, pub, 32);
	reverse(q + 33, pub + 32, 32);
	gcry_sexp_t key = NULL, data = NULL, s = NULL;
	fhsm_err err = err_of(gcry_sexp_build(&key, NULL, "(public-key(ecc(curve %s)(q %b)))", name, 65, q));
	if (err == FHSM_OK)
		err = data_sexp(hash, &data);
	if (err == FHSM_OK)
		err = err_of(gcry_sexp_build(&s, NULL, "(sig-val(gost(r %b)(s %b)))", 32, sig + 32, 32, sig));
	if (err == FHSM_OK) {
		/* A bad signature, r or s out of range, a point off the curve: all "invalid". */
		gcry_error_t rc = gcry_pk_verify(s, data, key);
		err = !rc ? FHSM_OK : gcry_err_code(rc) == GPG_ERR_ENOMEM ? FHSM_ERR_NOMEM : FHSM_ERR_AUTH;
	}
	gcry_sexp_release(key);
	gcry_sexp_release(data);
	gcry_sexp_release(s);
	return err;
}

/* RSA on LibTomCrypt's keys and GMP math: public operations by rsa_exptmod, private
 * ones by soft_rsa_crt (CRT, blinding from fhsm_random, the halves by OpenSSL's
 * constant-time exponentiation in soft_rsa_halves.c, checked; LibTomCrypt's own uses
 * mpz_powm and GMP's fixed-seed mpz_random, docs/benchmarks.md). The paddings are ours too:
 * LibTomCrypt 1.18 ties MGF1's hash to the PSS/OAEP hash, its OAEP/v1.5 decoders are
 * not constant time, and it cannot sign a bare DigestInfo. Each encoder follows
 * RFC 8017; each check re-encodes or scans without secret-dependent branches. */
#include <gmp.h>
/* The mp_* macros over ltc_mp are only declared for LibTomCrypt's own sources. */
#define LTC_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "soft_pk.h"
#include "fhsm/fabric.h"
#include "../fabric/rsa_fabric.h"

struct fhsm_rsa_key {
	rsa_key k;
	size_t bits, bytes;
	struct soft_rsa_halves *halves; /* private keys: the CRT halves' prepared state */
};

/* ---- the PRNG LibTomCrypt sees, and big-number helpers (shared by soft_ec.c) ---- */

prng_state soft_pk_prng_state;

static int prng_start(prng_state *s) { (void)s; return CRYPT_OK; }
static int prng_add(const unsigned char *in, unsigned long len, prng_state *s)
{
	(void)s;
	return fhsm_random_mix(in, len) == FHSM_OK ? CRYPT_OK : CRYPT_ERROR;
}
static int prng_ready(prng_state *s) { (void)s; return CRYPT_OK; }
/* A short read tells LibTomCrypt the PRNG failed: it then fails the operation. */
static unsigned long prng_read(unsigned char *out, unsigned long len, prng_state *s)
{
	(void)s;
	return fhsm_random(out, len) == FHSM_OK ? len : 0;
}
static int prng_done(prng_state *s) { (void)s; return CRYPT_OK; }
static int prng_export(unsigned char *out, unsigned long *len, prng_state *s)
{
	(void)out; (void)s;
	*len = 0;
	return CRYPT_OK;
}
static int prng_import(const unsigned char *in, unsigned long len, prng_state *s)
{
	(void)in; (void)len; (void)s;
	return CRYPT_OK;
}
static int prng_test(void) { return CRYPT_OK; }

static const struct ltc_prng_descriptor fhsm_prng_desc = {
	"fhsm_getrandom", 0, prng_start, prng_add, prng_ready, prng_read,
	prng_done, prng_export, prng_import, prng_test,
};

static pthread_once_t pk_once = PTHREAD_ONCE_INIT;
static int prng_idx = -1;

static void pk_register(void)
{
	soft_init();
	prng_idx = register_prng(&fhsm_prng_desc);
}

int soft_pk_init(void)
{
	pthread_once(&pk_once, pk_register);
	return prng_idx;
}

void soft_mp_wipe(void *a)
{
	/* soft_init() installs gmp_desc: the numbers are mpz_t. */
	mpz_ptr z = a;
	if (z && z->_mp_d && z->_mp_alloc > 0)
		fhsm_wipe(z->_mp_d, (size_t)z->_mp_alloc * sizeof(mp_limb_t));
}

void soft_mp_free(void *a)
{
	if (!a)
		return;
	soft_mp_wipe(a);
	mp_clear(a);
}

fhsm_err soft_mp_to_bytes(void *a, struct fhsm_bytes *out)
{
	size_t n = mp_unsigned_bin_size(a);
	size_t len = n ? n : 1;
	out->p = calloc(1, len);
	if (!out->p)
		return FHSM_ERR_NOMEM;
	out->len = len;
	if (n && mp_to_unsigned_bin(a, out->p) != CRYPT_OK) {
		fhsm_bytes_free(out);
		return FHSM_ERR_PROVIDER;
	}
	return FHSM_OK;
}

fhsm_err soft_mp_to_fixed(void *a, uint8_t *out, size_t len)
{
	size_t n = mp_unsigned_bin_size(a);
	if (n > len)
		return FHSM_ERR_ARGS;
	memset(out, 0, len - n);
	if (n && mp_to_unsigned_bin(a, out + (len - n)) != CRYPT_OK)
		return FHSM_ERR_PROVIDER;
	return FHSM_OK;
}

/* Reads a big-endian string (empty is zero) into a fresh number. */
static fhsm_err mp_from(void **a, const uint8_t *p, size_t len)
{
	if (mp_init(a) != CRYPT_OK)
		return FHSM_ERR_NOMEM;
	if (len && mp_read_unsigned_bin(*a, (unsigned char *)p, (unsigned long)len) != CRYPT_OK) {
		soft_mp_free(*a);
		*a = NULL;
		return FHSM_ERR_NOMEM;
	}
	return FHSM_OK;
}

void fhsm_bytes_free(struct fhsm_bytes *b)
{
	if (!b)
		return;
	if (b->p) {
		fhsm_wipe(b->p, b->len);
		free(b->p);
	}
	b->p = NULL;
	b->len = 0;
}

/* ---- keys ---- */

static void key_clear(rsa_key *k)
{
	void **v[] = {&k->e, &k->d, &k->N, &k->p, &k->q, &k->qP, &k->dP, &k->dQ};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		soft_mp_free(*v[i]);
		*v[i] = NULL;
	}
}

void fhsm_rsa_free(fhsm_rsa_key *k)
{
	if (!k)
		return;
	soft_rsa_halves_free(k->halves);
	key_clear(&k->k);
	fhsm_wipe(k, sizeof *k);
	free(k);
}

static fhsm_err key_alloc(fhsm_rsa_key **out)
{
	fhsm_rsa_key *k = calloc(1, sizeof *k);
	if (!k)
		return FHSM_ERR_NOMEM;
	if (mp_init_multi(&k->k.e, &k->k.d, &k->k.N, &k->k.p, &k->k.q, &k->k.qP, &k->k.dP, &k->k.dQ,
			  NULL) != CRYPT_OK) {
		free(k);
		return FHSM_ERR_NOMEM;
	}
	k->k.type = PK_PUBLIC;
	*out = k;
	return FHSM_OK;
}

#define MP(call) do { if ((call) != CRYPT_OK) { err = FHSM_ERR_PROVIDER; goto out; } } while (0)

/* With N, e, d, p, q set: checks e*d = 1 mod p-1 and mod q-1, computes the CRT
 * parameters and marks the key private. */
static fhsm_err key_finish_private(fhsm_rsa_key *key)
{
	rsa_key *k = &key->k;
	void *pm1 = NULL, *qm1 = NULL, *t = NULL;
	fhsm_err err = FHSM_OK;
	if (mp_init_multi(&pm1, &qm1, &t, NULL) != CRYPT_OK)
		return FHSM_ERR_NOMEM;
	MP(mp_mul(k->p, k->q, t));
	if (mp_cmp(t, k->N) != LTC_MP_EQ || mp_cmp_d(k->p, 1) != LTC_MP_GT || mp_cmp_d(k->q, 1) != LTC_MP_GT) {
		err = FHSM_ERR_ARGS;
		goto out;
	}
	MP(mp_sub_d(k->p, 1, pm1));
	MP(mp_sub_d(k->q, 1, qm1));
	MP(mp_mod(k->d, pm1, k->dP));
	MP(mp_mod(k->d, qm1, k->dQ));
	MP(mp_mulmod(k->e, k->dP, pm1, t));
	if (mp_cmp_d(t, 1) != LTC_MP_EQ) {
		err = FHSM_ERR_ARGS;
		goto out;
	}
	MP(mp_mulmod(k->e, k->dQ, qm1, t));
	if (mp_cmp_d(t, 1) != LTC_MP_EQ) {
		err = FHSM_ERR_ARGS;
		goto out;
	}
	if (mp_invmod(k->q, k->p, k->qP) != CRYPT_OK) {
		err = FHSM_ERR_ARGS;
		goto out;
	}
	soft_rsa_halves_free(key->halves);
	key->halves = NULL;
	if ((err = soft_rsa_halves_new(k, &key->halves)) != FHSM_OK)
		goto out;
	k->type = PK_PRIVATE;
out:
	soft_mp_free(pm1);
	soft_mp_free(qm1);
	soft_mp_free(t);
	return err;
}

/* Factors N from (N, e, d) (NIST SP 800-56B rev. 2, appendix C.2): with k = e*d - 1 =
 * 2^t * r, some g^(r*2^i) is a non-trivial square root of 1 for most g, and
 * gcd(that - 1, N) is a factor. Runs only on import, so it need not be constant time. */
static fhsm_err recover_factors(rsa_key *k)
{
	void *kk = NULL, *r = NULL, *y = NULL, *x = NULL, *nm1 = NULL, *g = NULL;
	fhsm_err err = FHSM_ERR_ARGS;
	int t = 0;
	if (mp_init_multi(&kk, &r, &y, &x, &nm1, &g, NULL) != CRYPT_OK)
		return FHSM_ERR_NOMEM;
	MP(mp_mul(k->e, k->d, kk));
	MP(mp_sub_d(kk, 1, kk));
	MP(mp_sub_d(k->N, 1, nm1));
	if (mp_iszero(kk) == LTC_MP_YES || mp_isodd(kk) == LTC_MP_YES)
		goto out;
	MP(mp_copy(kk, r));
	while (mp_isodd(r) == LTC_MP_NO) {
		MP(mp_div_2(r, r));
		t++;
	}
	for (unsigned long gi = 2; gi < 200; gi++) {
		MP(mp_set_int(g, gi));
		MP(mp_exptmod(g, r, k->N, y));
		if (mp_cmp_d(y, 1) == LTC_MP_EQ || mp_cmp(y, nm1) == LTC_MP_EQ)
			continue;
		for (int i = 0; i < t; i++) {
			MP(mp_sqrmod(y, k->N, x));
			if (mp_cmp_d(x, 1) == LTC_MP_EQ) {
				MP(mp_sub_d(y, 1, y));
				MP(mp_gcd(y, k->N, k->p));
				MP(mp_div(k->N, k->p, k->q, x));
				err = mp_iszero(x) == LTC_MP_YES && mp_cmp_d(k->q, 1) == LTC_MP_GT ? FHSM_OK
												  : FHSM_ERR_ARGS;
				goto out;
			}
			if (mp_cmp(x, nm1) == LTC_MP_EQ)
				break;
			mp_exch(x, y);
		}
	}
out:
	soft_mp_free(kk);
	soft_mp_free(r);
	soft_mp_free(y);
	soft_mp_free(x);
	soft_mp_free(nm1);
	soft_mp_free(g);
	return err;
}

static void key_set_size(fhsm_rsa_key *key)
{
	key->bits = (size_t)mp_count_bits(key->k.N);
	key->bytes = (key->bits + 7) / 8;
}

static bool present(const struct fhsm_bytes *b)
{
	for (size_t i = 0; b->p && i < b->len; i++)
		if (b->p[i])
			return true;
	return false;
}

fhsm_err fhsm_rsa_from_parts(const struct fhsm_rsa_parts *parts, fhsm_rsa_key **out)
{
	if (!parts || !out)
		return FHSM_ERR_ARGS;
	*out = NULL;
	const struct fhsm_bytes *all[] = {&parts->n, &parts->e, &parts->d, &parts->p, &parts->q,
					  &parts->dp, &parts->dq, &parts->qinv};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (all[i]->len && !all[i]->p)
			return FHSM_ERR_ARGS;
	if (!present(&parts->n) || !present(&parts->e))
		return FHSM_ERR_ARGS;
	soft_pk_init();
	fhsm_rsa_key *key;
	fhsm_err err = key_alloc(&key);
	if (err)
		return err;
	rsa_key *k = &key->k;
	void **dst[] = {&k->N, &k->e, &k->d, &k->p, &k->q};
	for (size_t i = 0; i < 5; i++) {
		soft_mp_free(*dst[i]);
		*dst[i] = NULL;
		if ((err = mp_from(dst[i], all[i]->p, all[i]->len)) != FHSM_OK)
			goto fail;
	}
	key_set_size(key);
	err = FHSM_ERR_ARGS;
	if (key->bits < 512 || key->bits > 2 * FHSM_RSA_MAX_BITS || mp_isodd(k->N) == LTC_MP_NO)
		goto fail;
	if (mp_isodd(k->e) == LTC_MP_NO || mp_cmp_d(k->e, 3) == LTC_MP_LT || mp_cmp(k->e, k->N) != LTC_MP_LT)
		goto fail;
	if (!present(&parts->d)) {
		*out = key;
		return FHSM_OK;
	}
	if (mp_cmp(k->d, k->N) != LTC_MP_LT)
		goto fail;
	bool has_p = present(&parts->p), has_q = present(&parts->q);
	if (has_p != has_q) {
		/* One factor given: the other is N divided by it. */
		void *rem = NULL;
		if (mp_init(&rem) != CRYPT_OK) {
			err = FHSM_ERR_NOMEM;
			goto fail;
		}
		int rc = has_p ? mp_div(k->N, k->p, k->q, rem) : mp_div(k->N, k->q, k->p, rem);
		bool exact = rc == CRYPT_OK && mp_iszero(rem) == LTC_MP_YES;
		soft_mp_free(rem);
		if (!exact)
			goto fail;
	} else if (!has_p && (err = recover_factors(k)) != FHSM_OK) {
		goto fail;
	}
	if ((err = key_finish_private(key)) != FHSM_OK)
		goto fail;
	*out = key;
	return FHSM_OK;
fail:
	fhsm_rsa_free(key);
	return err;
}

fhsm_err fhsm_rsa_to_parts(const fhsm_rsa_key *key, struct fhsm_rsa_parts *out)
{
	if (!key || !out)
		return FHSM_ERR_ARGS;
	memset(out, 0, sizeof *out);
	const rsa_key *k = &key->k;
	void *src[] = {k->N, k->e, k->d, k->p, k->q, k->dP, k->dQ, k->qP};
	struct fhsm_bytes *dst[] = {&out->n, &out->e, &out->d, &out->p, &out->q, &out->dp, &out->dq, &out->qinv};
	size_t count = k->type == PK_PRIVATE ? 8 : 2;
	for (size_t i = 0; i < count; i++) {
		fhsm_err err = soft_mp_to_bytes(src[i], dst[i]);
		if (err) {
			for (size_t j = 0; j < i; j++)
				fhsm_bytes_free(dst[j]);
			return err;
		}
	}
	return FHSM_OK;
}

size_t fhsm_rsa_modulus_bytes(const fhsm_rsa_key *k) { return k ? k->bytes : 0; }
size_t fhsm_rsa_modulus_bits(const fhsm_rsa_key *k) { return k ? k->bits : 0; }
bool fhsm_rsa_is_private(const fhsm_rsa_key *k) { return k && k->k.type == PK_PRIVATE; }

/* A random prime of exactly `bits` bits with its two top bits set (so that two of them
 * multiply to exactly the sum of their sizes) and gcd(p - 1, e) = 1. */
static fhsm_err gen_prime(void *p, unsigned bits, void *e)
{
	size_t len = (bits + 7) / 8;
	uint8_t buf[FHSM_RSA_MAX_BITS / 8];
	void *t = NULL;
	fhsm_err err = FHSM_OK;
	unsigned top = (bits - 1) % 8; /* bit index of the top bit within buf[0] */
	if (mp_init(&t) != CRYPT_OK)
		return FHSM_ERR_NOMEM;
	for (;;) {
		if ((err = fhsm_random(buf, len)) != FHSM_OK)
			goto out;
		buf[0] &= (uint8_t)((2u << top) - 1);
		buf[0] |= (uint8_t)(1u << top);
		if (top)
			buf[0] |= (uint8_t)(1u << (top - 1));
		else
			buf[1] |= 0x80;
		buf[len - 1] |= 1;
		MP(mp_read_unsigned_bin(p, buf, (unsigned long)len));
		int prime = LTC_MP_NO;
		MP(mp_prime_is_prime(p, 40, &prime));
		if (prime != LTC_MP_YES)
			continue;
		MP(mp_sub_d(p, 1, t));
		MP(mp_gcd(t, e, t));
		if (mp_cmp_d(t, 1) == LTC_MP_EQ)
			break;
	}
out:
	fhsm_wipe(buf, sizeof buf);
	soft_mp_free(t);
	return err;
}

fhsm_err fhsm_rsa_generate(unsigned bits, const uint8_t *e, size_t e_len, fhsm_rsa_key **out)
{
	static const uint8_t f4[] = {0x01, 0x00, 0x01};
	if (!out || bits < FHSM_RSA_MIN_BITS || bits > FHSM_RSA_MAX_BITS || (e_len && !e))
		return FHSM_ERR_ARGS;
	*out = NULL;
	if (!e_len) {
		e = f4;
		e_len = sizeof f4;
	}
	while (e_len && !e[0]) {
		e++;
		e_len--;
	}
	if (e_len == 0 || e_len > 8 || !(e[e_len - 1] & 1) || (e_len == 1 && e[0] < 3))
		return FHSM_ERR_ARGS;
	soft_pk_init();
	fhsm_rsa_key *key;
	fhsm_err err = key_alloc(&key);
	if (err)
		return err;
	rsa_key *k = &key->k;
	void *pm1 = NULL, *qm1 = NULL, *l = NULL;
	if (mp_init_multi(&pm1, &qm1, &l, NULL) != CRYPT_OK) {
		fhsm_rsa_free(key);
		return FHSM_ERR_NOMEM;
	}
	MP(mp_read_unsigned_bin(k->e, (unsigned char *)e, (unsigned long)e_len));
	for (;;) {
		if ((err = gen_prime(k->p, (bits + 1) / 2, k->e)) != FHSM_OK ||
		    (err = gen_prime(k->q, bits / 2, k->e)) != FHSM_OK)
			goto out;
		/* FIPS 186-4 B.3.1: |p - q| > 2^(bits/2 - 100). */
		MP(mp_sub(k->p, k->q, l));
		if ((unsigned)mp_count_bits(l) <= bits / 2 - 100)
			continue;
		MP(mp_mul(k->p, k->q, k->N));
		MP(mp_sub_d(k->p, 1, pm1));
		MP(mp_sub_d(k->q, 1, qm1));
		MP(mp_lcm(pm1, qm1, l));
		MP(mp_invmod(k->e, l, k->d));
		/* ... and d > 2^(bits/2). */
		if ((unsigned)mp_count_bits(k->d) > bits / 2)
			break;
	}
	key_set_size(key);
	if (key->bits != bits) {
		err = FHSM_ERR_PROVIDER;
		goto out;
	}
	err = key_finish_private(key);
out:
	soft_mp_free(pm1);
	soft_mp_free(qm1);
	soft_mp_free(l);
	if (err) {
		fhsm_rsa_free(key);
		return err;
	}
	*out = key;
	return FHSM_OK;
}

/* ---- the raw operation ---- */

fhsm_err soft_rsa_crt(const rsa_key *k, size_t bytes, const uint8_t *in, uint8_t *out, soft_rsa_halves_fn halves,
		      void *arg)
{
	void *c = NULL, *r = NULL, *rinv = NULL, *cb = NULL, *a = NULL, *b = NULL, *h = NULL;
	uint8_t rb[2 * FHSM_RSA_MAX_BITS / 8]; /* keys made elsewhere may be larger than ours */
	fhsm_err err = FHSM_OK;
	if (bytes > sizeof rb)
		return FHSM_ERR_ARGS;
	if (mp_init_multi(&c, &r, &rinv, &cb, &a, &b, &h, NULL) != CRYPT_OK)
		return FHSM_ERR_NOMEM;
	MP(mp_read_unsigned_bin(c, (unsigned char *)in, (unsigned long)bytes));
	/* Blinding: cb = c * r^e mod N, r uniform enough (bytes of N, reduced) and
	 * invertible. LibTomCrypt's rsa_exptmod draws r from GMP's mpz_random, whose
	 * state has a fixed seed: the same factors in every process. */
	for (int tries = 0;; tries++) {
		if (tries == 8 || fhsm_random(rb, bytes) != FHSM_OK) {
			err = FHSM_ERR_RNG;
			goto out;
		}
		MP(mp_read_unsigned_bin(r, rb, (unsigned long)bytes));
		MP(mp_mod(r, k->N, r));
		if (mp_cmp_d(r, 1) == LTC_MP_GT && mp_invmod(r, k->N, rinv) == CRYPT_OK)
			break;
	}
	MP(mp_exptmod(r, k->e, k->N, cb));
	MP(mp_mulmod(c, cb, k->N, cb));
	MP(mp_mod(cb, k->p, a));
	MP(mp_mod(cb, k->q, b));
	if ((err = halves(k, a, b, arg)) != FHSM_OK)
		goto out;
	/* Garner: m = b + q * (qInv * (a - b) mod p). */
	MP(mp_sub(a, b, h));
	MP(mp_mulmod(h, k->qP, k->p, h));
	MP(mp_mul(h, k->q, h));
	MP(mp_add(h, b, a));
	/* The check, before unblinding: a^e must give back cb. */
	MP(mp_exptmod(a, k->e, k->N, h));
	if (mp_cmp(h, cb) != LTC_MP_EQ) {
		err = FHSM_ERR_PROVIDER;
		goto out;
	}
	MP(mp_mulmod(a, rinv, k->N, a));
	err = soft_mp_to_fixed(a, out, bytes);
out:
	fhsm_wipe(rb, sizeof rb);
	void *all[] = { c, r, rinv, cb, a, b, h };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		soft_mp_free(all[i]);
	return err;
}

/* out (k->bytes) = in^d or in^e mod N; `in` is k->bytes long. FHSM_ERR_ARGS when in >= N. */
static fhsm_err rsa_op(const fhsm_rsa_key *key, const uint8_t *in, uint8_t *out, int which)
{
	void *x = NULL;
	fhsm_err err = mp_from(&x, in, key->bytes);
	if (err)
		return err;
	bool in_range = mp_cmp(x, key->k.N) == LTC_MP_LT;
	soft_mp_free(x);
	if (!in_range)
		return FHSM_ERR_ARGS;
	/* The fabric's modexp engines when a device serves; any failure there
	 * (device down, a wrong answer caught by the check) ends up here, soft. */
	if (fhsm_fabric_attached() &&
	    fabric_rsa_op(&key->k, key->bytes, in, out, which == PK_PRIVATE) == FHSM_OK)
		return FHSM_OK;
	if (which == PK_PRIVATE)
		return soft_rsa_crt(&key->k, key->bytes, in, out, soft_rsa_halves_run, key->halves);
	unsigned long len = (unsigned long)key->bytes;
	int rc = rsa_exptmod(in, len, out, &len, which, (rsa_key *)&key->k);
	if (rc != CRYPT_OK || len != key->bytes) {
		fhsm_wipe(out, key->bytes);
		return FHSM_ERR_PROVIDER;
	}
	return FHSM_OK;
}

/* ---- padding helpers ---- */

static const struct ltc_hash_descriptor *hash_of(int alg)
{
	return alg >= 0 && alg < FHSM_HASH_COUNT ? soft_hash_desc((fhsm_hash_alg)alg) : NULL;
}

/* out ^= MGF1(seed) */
static void mgf1_xor(const struct ltc_hash_descriptor *h, const uint8_t *seed, size_t seed_len,
		     uint8_t *out, size_t len)
{
	uint8_t block[FHSM_HASH_MAX_SIZE];
	hash_state st;
	for (uint32_t c = 0; len; c++) {
		uint8_t cnt[4] = {(uint8_t)(c >> 24), (uint8_t)(c >> 16), (uint8_t)(c >> 8), (uint8_t)c};
		h->init(&st);
		h->process(&st, seed, (unsigned long)seed_len);
		h->process(&st, cnt, 4);
		h->done(&st, block);
		size_t n = len < h->hashsize ? len : h->hashsize;
		for (size_t i = 0; i < n; i++)
			out[i] ^= block[i];
		out += n;
		len -= n;
	}
	fhsm_wipe(block, sizeof block);
	fhsm_wipe(&st, sizeof st);
}

/* Hash of the concatenation of up to three pieces. */
static void hash3(const struct ltc_hash_descriptor *h, const uint8_t *a, size_t al, const uint8_t *b,
		  size_t bl, const uint8_t *c, size_t cl, uint8_t *out)
{
	hash_state st;
	h->init(&st);
	if (al)
		h->process(&st, a, (unsigned long)al);
	if (bl)
		h->process(&st, b, (unsigned long)bl);
	if (cl)
		h->process(&st, c, (unsigned long)cl);
	h->done(&st, out);
	fhsm_wipe(&st, sizeof st);
}

/* DigestInfo prefixes (RFC 8017 section 9.2, note 1). */
static const struct {
	uint8_t len;
	uint8_t der[19];
} digest_info[FHSM_HASH_COUNT] = {
	[FHSM_HASH_MD5] = {18, {0x30, 0x20, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05, 0x05, 0x00, 0x04, 0x10}},
	[FHSM_HASH_SHA1] = {15, {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14}},
	[FHSM_HASH_SHA224] = {19, {0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c}},
	[FHSM_HASH_SHA256] = {19, {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}},
	[FHSM_HASH_SHA384] = {19, {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30}},
	[FHSM_HASH_SHA512] = {19, {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40}},
};

/* EMSA-PKCS1-v1_5 into em (emlen bytes): 00 01 FF.. 00 [DigestInfo] in. */
static fhsm_err emsa_pkcs1(int hash, const uint8_t *in, size_t in_len, uint8_t *em, size_t emlen)
{
	size_t pre = 0;
	if (hash != -1) {
		if (!hash_of(hash) || in_len != hash_of(hash)->hashsize)
			return FHSM_ERR_ARGS;
		pre = digest_info[hash].len;
	}
	size_t t = pre + in_len;
	if (t + 11 > emlen)
		return FHSM_ERR_ARGS;
	em[0] = 0x00;
	em[1] = 0x01;
	memset(em + 2, 0xff, emlen - t - 3);
	em[emlen - t - 1] = 0x00;
	memcpy(em + emlen - t, digest_info[hash < 0 ? 0 : hash].der, pre);
	memcpy(em + emlen - in_len, in, in_len);
	return FHSM_OK;
}

/* The lengths EMSA-PSS encoding and verification share (RFC 8017 9.1.1 steps
 * 1-3, 9.1.2 steps 1-3): emBits = modBits - 1, the hashes, DB's length. */
struct pss_dims {
	const struct ltc_hash_descriptor *h, *mgf;
	size_t embits, emlen, hlen, dblen;
};

static fhsm_err pss_dims(const fhsm_rsa_key *key, const struct fhsm_rsa_params *p, size_t mlen, struct pss_dims *d)
{
	d->h = hash_of(p->hash);
	d->mgf = hash_of(p->mgf_hash);
	if (!d->h || !d->mgf || mlen != d->h->hashsize)
		return FHSM_ERR_ARGS;
	d->embits = key->bits - 1;
	d->emlen = (d->embits + 7) / 8;
	d->hlen = d->h->hashsize;
	if (p->salt_len > d->emlen || d->emlen < d->hlen + p->salt_len + 2)
		return FHSM_ERR_ARGS;
	d->dblen = d->emlen - d->hlen - 1;
	return FHSM_OK;
}

/* EMSA-PSS-ENCODE (RFC 8017 9.1.1) into em of key->bytes, right-aligned. */
static fhsm_err emsa_pss_encode(const fhsm_rsa_key *key, const struct fhsm_rsa_params *p,
				const uint8_t *mhash, size_t mlen, uint8_t *em)
{
	struct pss_dims d;
	fhsm_err err = pss_dims(key, p, mlen, &d);
	if (err != FHSM_OK)
		return err;
	static const uint8_t zeros[8];
	uint8_t *e = em + (key->bytes - d.emlen);
	memset(em, 0, key->bytes);
	uint8_t *salt = e + d.dblen - p->salt_len;
	if (p->salt_len && fhsm_random(salt, p->salt_len) != FHSM_OK)
		return FHSM_ERR_RNG;
	/* H = Hash(0^8 || mHash || salt), written after DB */
	hash3(d.h, zeros, 8, mhash, mlen, salt, p->salt_len, e + d.dblen);
	e[d.dblen - p->salt_len - 1] = 0x01;
	mgf1_xor(d.mgf, e + d.dblen, d.hlen, e, d.dblen);
	e[0] &= (uint8_t)(0xff >> (8 * d.emlen - d.embits));
	e[d.emlen - 1] = 0xbc;
	return FHSM_OK;
}

/* EMSA-PSS-VERIFY (RFC 8017 9.1.2) on em of key->bytes (public data). */
static fhsm_err emsa_pss_verify(const fhsm_rsa_key *key, const struct fhsm_rsa_params *p,
				const uint8_t *mhash, size_t mlen, uint8_t *em)
{
	struct pss_dims d;
	fhsm_err err = pss_dims(key, p, mlen, &d);
	if (err != FHSM_OK)
		return err;
	static const uint8_t zeros[8];
	uint8_t hh[FHSM_HASH_MAX_SIZE];
	uint8_t *e = em + (key->bytes - d.emlen);
	size_t ps = d.dblen - p->salt_len - 1;
	unsigned bad = 0;
	for (uint8_t *z = em; z < e; z++)
		bad |= *z;
	bad |= e[d.emlen - 1] ^ 0xbcu;
	uint8_t topmask = (uint8_t)(0xff >> (8 * d.emlen - d.embits));
	bad |= e[0] & (uint8_t)~topmask;
	mgf1_xor(d.mgf, e + d.dblen, d.hlen, e, d.dblen);
	e[0] &= topmask;
	for (size_t i = 0; i < ps; i++)
		bad |= e[i];
	bad |= e[ps] ^ 0x01u;
	hash3(d.h, zeros, 8, mhash, mlen, e + d.dblen - p->salt_len, p->salt_len, hh);
	if (!fhsm_ct_equal(hh, e + d.dblen, d.hlen))
		bad = 1;
	return bad ? FHSM_ERR_AUTH : FHSM_OK;
}

static fhsm_err check_key_params(const fhsm_rsa_key *k, const struct fhsm_rsa_params *p, const uint8_t *in,
				 size_t in_len, const void *out, const size_t *out_len)
{
	if (!k || !p || (!in && in_len) || !out || !out_len)
		return FHSM_ERR_ARGS;
	return FHSM_OK;
}

/* ---- sign / verify ---- */

fhsm_err fhsm_rsa_sign(const fhsm_rsa_key *k, const struct fhsm_rsa_params *p, const uint8_t *in, size_t in_len,
		       uint8_t *sig, size_t *sig_len)
{
	fhsm_err err = check_key_params(k, p, in, in_len, sig, sig_len);
	if (err)
		return err;
	if (k->k.type != PK_PRIVATE)
		return FHSM_ERR_ARGS;
	if (*sig_len < k->bytes) {
		*sig_len = k->bytes;
		return FHSM_ERR_BUFFER;
	}
	uint8_t *em = calloc(1, k->bytes);
	if (!em)
		return FHSM_ERR_NOMEM;
	switch (p->pad) {
	case FHSM_RSA_RAW:
		if (in_len > k->bytes) {
			err = FHSM_ERR_ARGS;
			break;
		}
		memcpy(em + k->bytes - in_len, in, in_len);
		break;
	case FHSM_RSA_PKCS1:
		err = emsa_pkcs1(p->hash, in, in_len, em, k->bytes);
		break;
	case FHSM_RSA_PSS:
		err = emsa_pss_encode(k, p, in, in_len, em);
		break;
	default:
		err = FHSM_ERR_ARGS;
	}
	if (!err)
		err = rsa_op(k, em, sig, PK_PRIVATE);
	if (!err)
		*sig_len = k->bytes;
	fhsm_wipe(em, k->bytes);
	free(em);
	return err;
}

fhsm_err fhsm_rsa_verify(const fhsm_rsa_key *k, const struct fhsm_rsa_params *p, const uint8_t *in,
			 size_t in_len, const uint8_t *sig, size_t sig_len)
{
	if (!k || !p || (!in && in_len) || (!sig && sig_len))
		return FHSM_ERR_ARGS;
	if (p->pad != FHSM_RSA_RAW && p->pad != FHSM_RSA_PKCS1 && p->pad != FHSM_RSA_PSS)
		return FHSM_ERR_ARGS;
	if (p->pad == FHSM_RSA_RAW && in_len > k->bytes)
		return FHSM_ERR_ARGS;
	if (sig_len != k->bytes)
		return FHSM_ERR_AUTH;
	uint8_t *em = calloc(2, k->bytes);
	if (!em)
		return FHSM_ERR_NOMEM;
	uint8_t *want = em + k->bytes;
	fhsm_err err = rsa_op(k, sig, em, PK_PUBLIC);
	if (err == FHSM_ERR_ARGS) /* signature >= N */
		err = FHSM_ERR_AUTH;
	if (!err) {
		switch (p->pad) {
		case FHSM_RSA_RAW:
			memcpy(want + k->bytes - in_len, in, in_len);
			err = fhsm_ct_equal(em, want, k->bytes) ? FHSM_OK : FHSM_ERR_AUTH;
			break;
		case FHSM_RSA_PKCS1:
			/* Re-encode and compare: no parser for an attacker to confuse. */
			err = emsa_pkcs1(p->hash, in, in_len, want, k->bytes);
			if (!err)
				err = fhsm_ct_equal(em, want, k->bytes) ? FHSM_OK : FHSM_ERR_AUTH;
			break;
		default:
			err = emsa_pss_verify(k, p, in, in_len, em);
		}
	}
	fhsm_wipe(em, 2 * k->bytes);
	free(em);
	return err;
}

/* ---- encrypt / decrypt ---- */

fhsm_err fhsm_rsa_encrypt(const fhsm_rsa_key *k, const struct fhsm_rsa_params *p, const uint8_t *in,
			  size_t in_len, uint8_t *out, size_t *out_len)
{
	fhsm_err err = check_key_params(k, p, in, in_len, out, out_len);
	if (err)
		return err;
	size_t n = k->bytes;
	const struct ltc_hash_descriptor *h = NULL, *mgf = NULL;
	switch (p->pad) {
	case FHSM_RSA_RAW:
		if (in_len > n)
			return FHSM_ERR_ARGS;
		break;
	case FHSM_RSA_PKCS1:
		if (in_len + 11 > n)
			return FHSM_ERR_ARGS;
		break;
	case FHSM_RSA_OAEP:
		h = hash_of(p->hash);
		mgf = hash_of(p->mgf_hash);
		if (!h || !mgf || (p->label_len && !p->label) || n < 2 * h->hashsize + 2 ||
		    in_len > n - 2 * h->hashsize - 2)
			return FHSM_ERR_ARGS;
		break;
	default:
		return FHSM_ERR_ARGS;
	}
	if (*out_len < n) {
		*out_len = n;
		return FHSM_ERR_BUFFER;
	}
	uint8_t *em = calloc(1, n);
	if (!em)
		return FHSM_ERR_NOMEM;
	if (p->pad == FHSM_RSA_RAW) {
		memcpy(em + n - in_len, in, in_len);
	} else if (p->pad == FHSM_RSA_PKCS1) {
		/* 00 02 PS (non-zero random, n - in_len - 3 bytes) 00 M */
		size_t ps = n - in_len - 3;
		em[1] = 0x02;
		if ((err = fhsm_random(em + 2, ps)) != FHSM_OK)
			goto out;
		for (size_t i = 0; i < ps; i++)
			while (em[2 + i] == 0)
				if ((err = fhsm_random(em + 2 + i, 1)) != FHSM_OK)
					goto out;
		memcpy(em + n - in_len, in, in_len);
	} else {
		/* 00 || maskedSeed || maskedDB, DB = lHash || PS || 01 || M */
		size_t hlen = h->hashsize, dblen = n - hlen - 1;
		uint8_t *seed = em + 1, *db = em + 1 + hlen;
		hash3(h, p->label, p->label_len, NULL, 0, NULL, 0, db);
		db[dblen - in_len - 1] = 0x01;
		memcpy(db + dblen - in_len, in, in_len);
		if ((err = fhsm_random(seed, hlen)) != FHSM_OK)
			goto out;
		mgf1_xor(mgf, seed, hlen, db, dblen);
		mgf1_xor(mgf, db, dblen, seed, hlen);
	}
	err = rsa_op(k, em, out, PK_PUBLIC);
	if (!err)
		*out_len = n;
out:
	fhsm_wipe(em, n);
	free(em);
	return err;
}

/* Constant-time helpers over 32-bit words: all-ones when the condition holds. */
static inline uint32_t ct_mask_nz(uint32_t x) { return 0u - ((x | (0u - x)) >> 31); }
static inline uint32_t ct_mask_eq(uint32_t a, uint32_t b) { return ~ct_mask_nz(a ^ b); }

fhsm_err fhsm_rsa_decrypt(const fhsm_rsa_key *k, const struct fhsm_rsa_params *p, const uint8_t *in,
			  size_t in_len, uint8_t *out, size_t *out_len)
{
	fhsm_err err = check_key_params(k, p, in, in_len, out, out_len);
	if (err)
		return err;
	size_t n = k->bytes;
	const struct ltc_hash_descriptor *h = NULL, *mgf = NULL;
	if (k->k.type != PK_PRIVATE || in_len != n)
		return FHSM_ERR_ARGS;
	if (p->pad == FHSM_RSA_OAEP) {
		h = hash_of(p->hash);
		mgf = hash_of(p->mgf_hash);
		if (!h || !mgf || (p->label_len && !p->label) || n < 2 * h->hashsize + 2)
			return FHSM_ERR_ARGS;
	} else if (p->pad != FHSM_RSA_RAW && p->pad != FHSM_RSA_PKCS1) {
		return FHSM_ERR_ARGS;
	}
	if (p->pad == FHSM_RSA_RAW && *out_len < n) {
		*out_len = n;
		return FHSM_ERR_BUFFER;
	}
	uint8_t *em = calloc(1, n);
	if (!em)
		return FHSM_ERR_NOMEM;
	if ((err = rsa_op(k, in, em, PK_PRIVATE)) != FHSM_OK)
		goto out;
	if (p->pad == FHSM_RSA_RAW) {
		memcpy(out, em, n);
		*out_len = n;
		goto out;
	}
	/* Scan for the separator in constant time: good is all-ones when the padding is
	 * valid, start is the message offset. */
	uint32_t good, start = 0, found = 0;
	size_t from;
	if (p->pad == FHSM_RSA_PKCS1) {
		/* 00 02 PS(>= 8 non-zero) 00 M */
		good = ct_mask_eq(em[0], 0) & ct_mask_eq(em[1], 2);
		from = 2;
		for (size_t i = from; i < n; i++) {
			uint32_t zero = ct_mask_eq(em[i], 0), first = zero & ~found;
			start |= first & (uint32_t)(i + 1);
			found |= zero;
		}
		/* PS at least 8 bytes: separator at index >= 10 */
		good &= found & ~ct_mask_nz((uint32_t)((start - 11) >> 31) & 1);
	} else {
		size_t hlen = h->hashsize, dblen = n - hlen - 1;
		uint8_t lhash[FHSM_HASH_MAX_SIZE];
		uint8_t *seed = em + 1, *db = em + 1 + hlen;
		mgf1_xor(mgf, db, dblen, seed, hlen);
		mgf1_xor(mgf, seed, hlen, db, dblen);
		hash3(h, p->label, p->label_len, NULL, 0, NULL, 0, lhash);
		good = ct_mask_eq(em[0], 0) & (fhsm_ct_equal(lhash, db, hlen) ? ~0u : 0u);
		uint32_t bad = 0;
		for (size_t i = hlen; i < dblen; i++) {
			uint32_t one = ct_mask_eq(db[i], 1), zero = ct_mask_eq(db[i], 0);
			start |= one & ~found & (uint32_t)(1 + hlen + i + 1);
			bad |= ~found & ~one & ~zero;
			found |= one;
		}
		good &= found & ~bad;
	}
	if (!good) {
		err = FHSM_ERR_AUTH;
		goto out;
	}
	size_t mlen = n - start;
	if (*out_len < mlen) {
		*out_len = mlen;
		err = FHSM_ERR_BUFFER;
		goto out;
	}
	memcpy(out, em + start, mlen);
	*out_len = mlen;
out:
	fhsm_wipe(em, n);
	free(em);
	return err;
}

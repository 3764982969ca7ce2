/* ECDSA and ECDH over P-256, P-384, P-521 on LibTomCrypt's point arithmetic
 * (ltc_ecc_mulmod: a Montgomery ladder when LTC_ECC_TIMING_RESISTANT, as Debian
 * builds it; ltc_ecc_mul2add for verification).
 *
 * ECDSA itself is written here rather than taken from ecc_sign_hash/ecc_verify_hash:
 * their hash truncation differs between 1.18 releases (verify did not truncate at all
 * in some), and ecc_make_key's nonce is 66 random bytes reduced mod a 521-bit order,
 * a 1-in-128 bias on P-521 nonces. Our scalars are drawn uniformly in [1, n-1] by
 * rejection. The nonce inverse is blinded and the ladder's length fixed (point_mul);
 * the GMP arithmetic below it is not constant time (a limitation shared with
 * LibTomCrypt's own ECC). */
/* The mp_* macros over ltc_mp are only declared for LibTomCrypt's own sources. */
#define LTC_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "soft_pk.h"

struct curve {
	const ltc_ecc_set_type *set;
	size_t bytes, order_bits;
	void *p, *n, *b, *gx, *gy;
};

static struct curve curves[3];
static const char *const curve_names[3] = {"ECC-256", "ECC-384", "ECC-521"};
static pthread_once_t ec_once = PTHREAD_ONCE_INIT;
static bool ec_ready;

static void ec_setup(void)
{
	soft_pk_init();
	for (int c = 0; c < 3; c++) {
		struct curve *cv = &curves[c];
		for (int i = 0; ltc_ecc_sets[i].size; i++)
			if (!strcmp(ltc_ecc_sets[i].name, curve_names[c]))
				cv->set = &ltc_ecc_sets[i];
		if (!cv->set || mp_init_multi(&cv->p, &cv->n, &cv->b, &cv->gx, &cv->gy, NULL) != CRYPT_OK)
			return;
		if (mp_read_radix(cv->p, cv->set->prime, 16) != CRYPT_OK ||
		    mp_read_radix(cv->n, cv->set->order, 16) != CRYPT_OK ||
		    mp_read_radix(cv->b, cv->set->B, 16) != CRYPT_OK ||
		    mp_read_radix(cv->gx, cv->set->Gx, 16) != CRYPT_OK ||
		    mp_read_radix(cv->gy, cv->set->Gy, 16) != CRYPT_OK)
			return;
		cv->bytes = (size_t)cv->set->size;
		cv->order_bits = (size_t)mp_count_bits(cv->n);
	}
	ec_ready = true;
}

static const struct curve *curve_get(fhsm_ec_curve c)
{
	if ((unsigned)c > FHSM_EC_P521)
		return NULL;
	pthread_once(&ec_once, ec_setup);
	return ec_ready ? &curves[c] : NULL;
}

size_t fhsm_ec_scalar_bytes(fhsm_ec_curve c)
{
	static const size_t sizes[] = {32, 48, 66};
	return (unsigned)c <= FHSM_EC_P521 ? sizes[c] : 0;
}

#define MP(call) do { if ((call) != CRYPT_OK) { err = FHSM_ERR_PROVIDER; goto out; } } while (0)

/* Reads a private scalar; FHSM_ERR_ARGS unless 1 <= d < n and it has at most
 * cv->bytes bytes. */
static fhsm_err scalar_read(const struct curve *cv, const uint8_t *priv, size_t len, void **d)
{
	if (!priv || len == 0 || len > cv->bytes)
		return FHSM_ERR_ARGS;
	if (mp_init(d) != CRYPT_OK)
		return FHSM_ERR_NOMEM;
	if (mp_read_unsigned_bin(*d, (unsigned char *)priv, (unsigned long)len) != CRYPT_OK) {
		soft_mp_free(*d);
		return FHSM_ERR_NOMEM;
	}
	if (mp_iszero(*d) == LTC_MP_YES || mp_cmp(*d, cv->n) != LTC_MP_LT) {
		soft_mp_free(*d);
		return FHSM_ERR_ARGS;
	}
	return FHSM_OK;
}

/* Uniform in [1, n-1]: order_bits random bits, rejected until in range. */
static fhsm_err scalar_random(const struct curve *cv, void *k)
{
	uint8_t buf[FHSM_EC_MAX_SCALAR];
	size_t len = (cv->order_bits + 7) / 8;
	fhsm_err err = FHSM_OK;
	unsigned extra = (unsigned)(8 * len - cv->order_bits);
	for (;;) {
		if ((err = fhsm_random(buf, len)) != FHSM_OK)
			break;
		buf[0] &= (uint8_t)(0xff >> extra);
		MP(mp_read_unsigned_bin(k, buf, (unsigned long)len));
		if (mp_iszero(k) == LTC_MP_NO && mp_cmp(k, cv->n) == LTC_MP_LT)
			break;
	}
out:
	fhsm_wipe(buf, sizeof buf);
	return err;
}

static ecc_point *point_new(void)
{
	return ltc_ecc_new_point();
}

static void point_free(ecc_point *pt)
{
	if (!pt)
		return;
	soft_mp_wipe(pt->x);
	soft_mp_wipe(pt->y);
	soft_mp_wipe(pt->z);
	ltc_ecc_del_point(pt);
}

/* R = k * P (affine), P affine and in the group, 0 < k < n. LibTomCrypt's ladder
 * steps over every bit of k's top limb down, so it runs 64 steps fewer when k's top
 * limb is zero: for P-521's 9-bit top limb one nonce in 512, whose leading zeros its
 * time would tell (the Minerva class of attacks recovers the key from such nonces).
 * The ladder gets k + n, or k + 2n when that is still short: the same point (nP is
 * the identity), a fixed bit length (order_bits + 1), so a fixed step count. */
static fhsm_err point_mul(const struct curve *cv, void *k, ecc_point *P, ecc_point *R)
{
	void *kn = NULL;
	if (mp_init(&kn) != CRYPT_OK)
		return FHSM_ERR_NOMEM;
	fhsm_err err = FHSM_ERR_PROVIDER;
	if (mp_add(k, cv->n, kn) == CRYPT_OK &&
	    ((size_t)mp_count_bits(kn) > cv->order_bits || mp_add(kn, cv->n, kn) == CRYPT_OK) &&
	    ltc_ecc_mulmod(kn, P, R, cv->p, 1) == CRYPT_OK)
		err = FHSM_OK;
	soft_mp_free(kn);
	return err;
}

static fhsm_err point_base(const struct curve *cv, ecc_point *G)
{
	if (mp_copy(cv->gx, G->x) != CRYPT_OK || mp_copy(cv->gy, G->y) != CRYPT_OK || mp_set(G->z, 1) != CRYPT_OK)
		return FHSM_ERR_PROVIDER;
	return FHSM_OK;
}

static fhsm_err point_write(const struct curve *cv, ecc_point *P, uint8_t *out, size_t *out_len)
{
	size_t need = 1 + 2 * cv->bytes;
	if (*out_len < need) {
		*out_len = need;
		return FHSM_ERR_BUFFER;
	}
	out[0] = 0x04;
	fhsm_err err = soft_mp_to_fixed(P->x, out + 1, cv->bytes);
	if (!err)
		err = soft_mp_to_fixed(P->y, out + 1 + cv->bytes, cv->bytes);
	if (err)
		return FHSM_ERR_PROVIDER;
	*out_len = need;
	return FHSM_OK;
}

/* Parses 04 || X || Y and checks y^2 = x^3 - 3x + b (mod p) with x, y < p. The curves
 * have cofactor 1, so any such point is in the prime-order group (the point at infinity
 * has no uncompressed encoding). */
static fhsm_err point_read(const struct curve *cv, const uint8_t *in, size_t len, ecc_point *P)
{
	if (!in || len != 1 + 2 * cv->bytes || in[0] != 0x04)
		return FHSM_ERR_ARGS;
	void *l = NULL, *r = NULL;
	fhsm_err err = FHSM_ERR_ARGS;
	if (mp_init_multi(&l, &r, NULL) != CRYPT_OK)
		return FHSM_ERR_NOMEM;
	MP(mp_read_unsigned_bin(P->x, (unsigned char *)in + 1, (unsigned long)cv->bytes));
	MP(mp_read_unsigned_bin(P->y, (unsigned char *)in + 1 + cv->bytes, (unsigned long)cv->bytes));
	MP(mp_set(P->z, 1));
	err = FHSM_ERR_ARGS;
	if (mp_cmp(P->x, cv->p) != LTC_MP_LT || mp_cmp(P->y, cv->p) != LTC_MP_LT)
		goto out;
	MP(mp_sqrmod(P->y, cv->p, l));		/* l = y^2 */
	MP(mp_sqrmod(P->x, cv->p, r));		/* r = x^2 */
	MP(mp_sub_d(r, 3, r));			/* r = x^2 - 3 */
	MP(mp_mulmod(r, P->x, cv->p, r));	/* r = x^3 - 3x */
	MP(mp_addmod(r, cv->b, cv->p, r));	/* r = x^3 - 3x + b */
	err = mp_cmp(l, r) == LTC_MP_EQ ? FHSM_OK : FHSM_ERR_ARGS;
out:
	soft_mp_free(l);
	soft_mp_free(r);
	return err;
}

fhsm_err fhsm_ec_check_point(fhsm_ec_curve c, const uint8_t *point, size_t point_len)
{
	const struct curve *cv = curve_get(c);
	if (!cv)
		return FHSM_ERR_ARGS;
	ecc_point *P = point_new();
	if (!P)
		return FHSM_ERR_NOMEM;
	fhsm_err err = point_read(cv, point, point_len, P);
	point_free(P);
	return err;
}

/* point = d * G */
static fhsm_err public_of(const struct curve *cv, void *d, uint8_t *point, size_t *point_len)
{
	ecc_point *G = point_new(), *Q = point_new();
	fhsm_err err = FHSM_ERR_NOMEM;
	if (G && Q && !(err = point_base(cv, G)) && !(err = point_mul(cv, d, G, Q)))
		err = point_write(cv, Q, point, point_len);
	point_free(G);
	point_free(Q);
	return err;
}

fhsm_err fhsm_ec_generate(fhsm_ec_curve c, uint8_t *priv, uint8_t *point, size_t *point_len)
{
	const struct curve *cv = curve_get(c);
	if (!cv || !priv || !point || !point_len)
		return FHSM_ERR_ARGS;
	if (*point_len < 1 + 2 * cv->bytes) {
		*point_len = 1 + 2 * cv->bytes;
		return FHSM_ERR_BUFFER;
	}
	void *d = NULL;
	if (mp_init(&d) != CRYPT_OK)
		return FHSM_ERR_NOMEM;
	fhsm_err err = scalar_random(cv, d);
	if (!err)
		err = public_of(cv, d, point, point_len);
	if (!err)
		err = soft_mp_to_fixed(d, priv, cv->bytes);
	soft_mp_free(d);
	return err;
}

fhsm_err fhsm_ec_public_from_private(fhsm_ec_curve c, const uint8_t *priv, size_t priv_len, uint8_t *point,
				     size_t *point_len)
{
	const struct curve *cv = curve_get(c);
	if (!cv || !point || !point_len)
		return FHSM_ERR_ARGS;
	void *d = NULL;
	fhsm_err err = scalar_read(cv, priv, priv_len, &d);
	if (err)
		return err;
	err = public_of(cv, d, point, point_len);
	soft_mp_free(d);
	return err;
}

/* e = the leftmost order_bits bits of the hash (FIPS 186-4 6.4). */
static fhsm_err hash_to_e(const struct curve *cv, const uint8_t *hash, size_t len, void *e)
{
	size_t take = len;
	if (take * 8 > cv->order_bits)
		take = (cv->order_bits + 7) / 8;
	if (mp_read_unsigned_bin(e, (unsigned char *)hash, (unsigned long)take) != CRYPT_OK)
		return FHSM_ERR_PROVIDER;
	if (take * 8 > cv->order_bits) {
		for (size_t i = 0; i < take * 8 - cv->order_bits; i++)
			if (mp_div_2(e, e) != CRYPT_OK)
				return FHSM_ERR_PROVIDER;
	}
	return FHSM_OK;
}

fhsm_err fhsm_ecdsa_sign(fhsm_ec_curve c, const uint8_t *priv, size_t priv_len, const uint8_t *hash,
			 size_t hash_len, uint8_t *sig, size_t *sig_len)
{
	const struct curve *cv = curve_get(c);
	if (!cv || !hash || hash_len == 0 || !sig || !sig_len)
		return FHSM_ERR_ARGS;
	if (*sig_len < 2 * cv->bytes) {
		*sig_len = 2 * cv->bytes;
		return FHSM_ERR_BUFFER;
	}
	void *d = NULL, *k = NULL, *bl = NULL, *e = NULL, *r = NULL, *s = NULL;
	ecc_point *G = NULL, *R = NULL;
	fhsm_err err = scalar_read(cv, priv, priv_len, &d);
	if (err)
		return err;
	if (mp_init_multi(&k, &bl, &e, &r, &s, NULL) != CRYPT_OK) {
		soft_mp_free(d);
		return FHSM_ERR_NOMEM;
	}
	G = point_new();
	R = point_new();
	if (!G || !R) {
		err = FHSM_ERR_NOMEM;
		goto out;
	}
	if ((err = hash_to_e(cv, hash, hash_len, e)) || (err = point_base(cv, G)))
		goto out;
	do {
		if ((err = scalar_random(cv, k)) || (err = point_mul(cv, k, G, R)))
			goto out;
		MP(mp_mod(R->x, cv->n, r));
		if (mp_iszero(r) == LTC_MP_YES)
			continue;
		/* 1/k = b / (k b) with a random b, so the inversion never sees k alone. */
		if ((err = scalar_random(cv, bl)))
			goto out;
		MP(mp_mulmod(k, bl, cv->n, k));
		MP(mp_invmod(k, cv->n, k));
		MP(mp_mulmod(k, bl, cv->n, k));
		MP(mp_mulmod(d, r, cv->n, s));		/* s = d r */
		MP(mp_addmod(s, e, cv->n, s));		/* s = e + d r */
		MP(mp_mulmod(s, k, cv->n, s));		/* s = (e + d r) / k */
	} while (mp_iszero(s) == LTC_MP_YES || mp_iszero(r) == LTC_MP_YES);
	if ((err = soft_mp_to_fixed(r, sig, cv->bytes)) || (err = soft_mp_to_fixed(s, sig + cv->bytes, cv->bytes)))
		goto out;
	*sig_len = 2 * cv->bytes;
out:
	soft_mp_free(d);
	soft_mp_free(k);
	soft_mp_free(bl);
	soft_mp_free(e);
	soft_mp_free(r);
	soft_mp_free(s);
	point_free(G);
	point_free(R);
	return err;
}

fhsm_err fhsm_ecdsa_verify(fhsm_ec_curve c, const uint8_t *point, size_t point_len, const uint8_t *hash,
			   size_t hash_len, const uint8_t *sig, size_t sig_len)
{
	const struct curve *cv = curve_get(c);
	if (!cv || !hash || hash_len == 0 || (!sig && sig_len))
		return FHSM_ERR_ARGS;
	ecc_point *G = point_new(), *Q = point_new();
	void *e = NULL, *r = NULL, *s = NULL, *w = NULL, *u1 = NULL, *u2 = NULL;
	fhsm_err err = FHSM_ERR_NOMEM;
	if (!G || !Q || mp_init_multi(&e, &r, &s, &w, &u1, &u2, NULL) != CRYPT_OK)
		goto out;
	if ((err = point_read(cv, point, point_len, Q)) || (err = point_base(cv, G)) ||
	    (err = hash_to_e(cv, hash, hash_len, e)))
		goto out;
	err = FHSM_ERR_AUTH;
	if (sig_len != 2 * cv->bytes)
		goto out;
	MP(mp_read_unsigned_bin(r, (unsigned char *)sig, (unsigned long)cv->bytes));
	MP(mp_read_unsigned_bin(s, (unsigned char *)sig + cv->bytes, (unsigned long)cv->bytes));
	err = FHSM_ERR_AUTH;
	if (mp_iszero(r) == LTC_MP_YES || mp_iszero(s) == LTC_MP_YES || mp_cmp(r, cv->n) != LTC_MP_LT ||
	    mp_cmp(s, cv->n) != LTC_MP_LT)
		goto out;
	MP(mp_invmod(s, cv->n, w));
	MP(mp_mulmod(e, w, cv->n, u1));
	MP(mp_mulmod(r, w, cv->n, u2));
	/* G = u1 G + u2 Q; a failure (the sum is the point at infinity) is a bad signature. */
	if (ltc_ecc_mul2add(G, u1, Q, u2, G, cv->p) != CRYPT_OK) {
		err = FHSM_ERR_AUTH;
		goto out;
	}
	MP(mp_mod(G->x, cv->n, w));
	err = mp_cmp(w, r) == LTC_MP_EQ ? FHSM_OK : FHSM_ERR_AUTH;
out:
	soft_mp_free(e);
	soft_mp_free(r);
	soft_mp_free(s);
	soft_mp_free(w);
	soft_mp_free(u1);
	soft_mp_free(u2);
	point_free(G);
	point_free(Q);
	return err;
}

fhsm_err fhsm_ecdh(fhsm_ec_curve c, const uint8_t *priv, size_t priv_len, const uint8_t *peer_point,
		   size_t peer_len, uint8_t *out, size_t *out_len)
{
	const struct curve *cv = curve_get(c);
	if (!cv || !out || !out_len)
		return FHSM_ERR_ARGS;
	if (*out_len < cv->bytes) {
		*out_len = cv->bytes;
		return FHSM_ERR_BUFFER;
	}
	void *d = NULL;
	fhsm_err err = scalar_read(cv, priv, priv_len, &d);
	if (err)
		return err;
	ecc_point *P = point_new(), *R = point_new();
	err = FHSM_ERR_NOMEM;
	if (P && R && !(err = point_read(cv, peer_point, peer_len, P)) && !(err = point_mul(cv, d, P, R))) {
		/* A valid peer point and 0 < d < n never give infinity; check anyway. */
		if (mp_iszero(R->z) == LTC_MP_YES)
			err = FHSM_ERR_ARGS;
		else if (!(err = soft_mp_to_fixed(R->x, out, cv->bytes)))
			*out_len = cv->bytes;
	}
	soft_mp_free(d);
	point_free(P);
	point_free(R);
	return err;
}

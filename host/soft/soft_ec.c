/* ECDSA and ECDH over P-256, P-384, P-521 on OpenSSL's libcrypto point arithmetic.
 *
 * Why not LibTomCrypt (which this replaces, 2026-12-04): its ECC runs generic
 * projective formulas on the math descriptor, GMP's mpz functions, whose time
 * follows the operands' sizes and values (normalisation, division): secret
 * scalars and nonces flow through them, and nonce timing is what the Minerva
 * class of attacks turns into keys. It was also 20x slower than SoftHSM.
 * OpenSSL's EC_POINT_mul is constant time in a secret scalar: on P-256 its
 * nistz256 code (fixed windows, constant-time table selects), on P-384/P-521 a
 * Montgomery ladder over a scalar padded to a fixed length
 * (ossl_ec_scalar_mul_ladder) or, where built, the nistp521 code; SoftHSM signs
 * with the same routines.
 *
 * ECDSA itself stays written here (not ECDSA_do_sign, deprecated with EC_KEY in
 * OpenSSL 3), on the arithmetic mod the order that DSA shares (soft_bn.c): nonces
 * uniform in [1, n-1] by rejection from fhsm_random, the hash truncated per FIPS
 * 186-4, the nonce inverted by Fermat's little theorem with
 * BN_mod_exp_mont_consttime after blinding it by a random factor, and the
 * private scalar only ever multiplied in fixed-width Montgomery form. */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "soft_bn.h"
#include "soft_pk.h"

struct curve {
	EC_GROUP *g;
	const BIGNUM *n;       /* the group order (prime; cofactor 1 on these curves) */
	struct soft_order ord; /* arithmetic mod n */
	size_t bytes;
};

static struct curve curves[3];
static pthread_once_t ec_once = PTHREAD_ONCE_INIT;
static bool ec_ready;

static void ec_setup(void)
{
	static const int nids[3] = {NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1};
	BN_CTX *ctx = BN_CTX_new();
	if (!ctx)
		return;
	bool ok = true;
	for (int c = 0; c < 3 && ok; c++) {
		struct curve *cv = &curves[c];
		ok = (cv->g = EC_GROUP_new_by_curve_name(nids[c])) && (cv->n = EC_GROUP_get0_order(cv->g)) &&
		     soft_order_init(&cv->ord, cv->n, ctx) == FHSM_OK;
		if (ok)
			cv->bytes = (EC_GROUP_get_degree(cv->g) + 7) / 8;
	}
	BN_CTX_free(ctx);
	ec_ready = ok; /* the groups live for the process; nothing secret in them */
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

/* Reads a private scalar into *d (a new number, which the caller frees whatever
 * the result); FHSM_ERR_ARGS unless 1 <= d < n and it has at most cv->bytes bytes. */
static fhsm_err scalar_read(const struct curve *cv, const uint8_t *priv, size_t len, BIGNUM **d)
{
	if (!priv || len == 0 || len > cv->bytes)
		return FHSM_ERR_ARGS;
	if (!(*d = soft_bn_secret_new()) || !BN_bin2bn(priv, (int)len, *d))
		return FHSM_ERR_NOMEM;
	return BN_is_zero(*d) || BN_cmp(*d, cv->n) >= 0 ? FHSM_ERR_ARGS : FHSM_OK;
}

static fhsm_err point_write(const struct curve *cv, const EC_POINT *P, uint8_t *out, size_t *out_len, BN_CTX *ctx)
{
	size_t need = 1 + 2 * cv->bytes;
	if (*out_len < need) {
		*out_len = need;
		return FHSM_ERR_BUFFER;
	}
	/* The point at infinity would encode as one byte: not a public key. */
	if (EC_POINT_point2oct(cv->g, P, POINT_CONVERSION_UNCOMPRESSED, out, need, ctx) != need)
		return FHSM_ERR_PROVIDER;
	*out_len = need;
	return FHSM_OK;
}

/* Parses 04 || X || Y: OpenSSL checks x, y < p and that the point is on the curve.
 * The curves have cofactor 1, so any such point is in the prime-order group (the
 * point at infinity has no uncompressed encoding). */
static fhsm_err point_read(const struct curve *cv, const uint8_t *in, size_t len, EC_POINT *P, BN_CTX *ctx)
{
	if (!in || len != 1 + 2 * cv->bytes || in[0] != 0x04)
		return FHSM_ERR_ARGS;
	return EC_POINT_oct2point(cv->g, P, in, len, ctx) == 1 ? FHSM_OK : FHSM_ERR_ARGS;
}

/* Everything an operation allocates, freed (secrets cleared) in one place. */
struct ec_work {
	BN_CTX *ctx;
	EC_POINT *P, *R;
	BIGNUM *d, *k, *t, *u; /* secrets (d, when an operation reads it) */
	BIGNUM *e, *r, *s;         /* public: the hash, the signature */
};

static fhsm_err work_new(const struct curve *cv, struct ec_work *w)
{
	memset(w, 0, sizeof *w);
	if ((w->ctx = BN_CTX_new()) && (w->P = EC_POINT_new(cv->g)) && (w->R = EC_POINT_new(cv->g)) &&
	    (w->k = soft_bn_secret_new()) && (w->t = soft_bn_secret_new()) && (w->u = soft_bn_secret_new()) &&
	    (w->e = BN_new()) && (w->r = BN_new()) && (w->s = BN_new()))
		return FHSM_OK;
	return FHSM_ERR_NOMEM;
}

static void work_free(struct ec_work *w)
{
	BN_clear_free(w->d);
	BN_clear_free(w->k);
	BN_clear_free(w->t);
	BN_clear_free(w->u);
	BN_free(w->e);
	BN_free(w->r);
	BN_free(w->s);
	EC_POINT_clear_free(w->P);
	EC_POINT_clear_free(w->R);
	BN_CTX_free(w->ctx); /* clears the temporaries it lent OpenSSL's functions */
}

fhsm_err fhsm_ec_check_point(fhsm_ec_curve c, const uint8_t *point, size_t point_len)
{
	const struct curve *cv = curve_get(c);
	if (!cv)
		return FHSM_ERR_ARGS;
	struct ec_work w;
	fhsm_err err = work_new(cv, &w);
	if (!err)
		err = point_read(cv, point, point_len, w.P, w.ctx);
	work_free(&w);
	return err;
}

/* point = d * G */
static fhsm_err public_of(const struct curve *cv, struct ec_work *w, uint8_t *point, size_t *point_len)
{
	if (!EC_POINT_mul(cv->g, w->R, w->d, NULL, NULL, w->ctx))
		return FHSM_ERR_PROVIDER;
	return point_write(cv, w->R, point, point_len, w->ctx);
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
	struct ec_work w;
	fhsm_err err = work_new(cv, &w);
	if (!err && !(w.d = soft_bn_secret_new()))
		err = FHSM_ERR_NOMEM;
	if (!err)
		err = soft_bn_random(&cv->ord, w.d);
	if (!err)
		err = public_of(cv, &w, point, point_len);
	if (!err && BN_bn2binpad(w.d, priv, (int)cv->bytes) != (int)cv->bytes)
		err = FHSM_ERR_PROVIDER;
	work_free(&w);
	return err;
}

fhsm_err fhsm_ec_public_from_private(fhsm_ec_curve c, const uint8_t *priv, size_t priv_len, uint8_t *point,
				     size_t *point_len)
{
	const struct curve *cv = curve_get(c);
	if (!cv || !point || !point_len)
		return FHSM_ERR_ARGS;
	struct ec_work w;
	fhsm_err err = work_new(cv, &w);
	if (!err)
		err = scalar_read(cv, priv, priv_len, &w.d);
	if (!err)
		err = public_of(cv, &w, point, point_len);
	work_free(&w);
	return err;
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
	struct ec_work w;
	fhsm_err err = work_new(cv, &w);
	if (!err)
		err = scalar_read(cv, priv, priv_len, &w.d);
	BIGNUM *e = w.e, *r = w.r, *s = w.s;
	if (!err)
		err = soft_bn_hash_to_e(&cv->ord, hash, hash_len, e, w.ctx);
	while (!err) {
		/* r = x(k G) mod n, s = (e + d r) / k */
		if ((err = soft_bn_random(&cv->ord, w.k)))
			break;
		if (!EC_POINT_mul(cv->g, w.R, w.k, NULL, NULL, w.ctx) ||
		    !EC_POINT_get_affine_coordinates(cv->g, w.R, r, NULL, w.ctx) || !BN_nnmod(r, r, cv->n, w.ctx)) {
			err = FHSM_ERR_PROVIDER;
			break;
		}
		if (!BN_is_zero(r) && !(err = soft_bn_sign_s(&cv->ord, s, e, w.d, r, w.k, w.ctx)) && !BN_is_zero(s))
			break;
	}
	if (!err && (BN_bn2binpad(r, sig, (int)cv->bytes) != (int)cv->bytes ||
		     BN_bn2binpad(s, sig + cv->bytes, (int)cv->bytes) != (int)cv->bytes))
		err = FHSM_ERR_PROVIDER;
	if (!err)
		*sig_len = 2 * cv->bytes;
	work_free(&w);
	return err;
}

fhsm_err fhsm_ecdsa_verify(fhsm_ec_curve c, const uint8_t *point, size_t point_len, const uint8_t *hash,
			   size_t hash_len, const uint8_t *sig, size_t sig_len)
{
	const struct curve *cv = curve_get(c);
	if (!cv || !hash || hash_len == 0 || (!sig && sig_len))
		return FHSM_ERR_ARGS;
	struct ec_work w;
	fhsm_err err = work_new(cv, &w);
	BIGNUM *e = w.e, *r = w.r, *s = w.s;
	if (!err && !(err = point_read(cv, point, point_len, w.P, w.ctx)))
		err = soft_bn_hash_to_e(&cv->ord, hash, hash_len, e, w.ctx);
	if (err)
		goto out;
	err = FHSM_ERR_AUTH;
	if (sig_len != 2 * cv->bytes || !BN_bin2bn(sig, (int)cv->bytes, r) ||
	    !BN_bin2bn(sig + cv->bytes, (int)cv->bytes, s) || BN_is_zero(r) || BN_is_zero(s) ||
	    BN_cmp(r, cv->n) >= 0 || BN_cmp(s, cv->n) >= 0)
		goto out;
	/* R = (e/s) G + (r/s) Q; the point at infinity is a bad signature. */
	err = FHSM_ERR_PROVIDER;
	if (!BN_mod_inverse(w.t, s, cv->n, w.ctx) || !BN_mod_mul(w.u, e, w.t, cv->n, w.ctx) ||
	    !BN_mod_mul(w.t, r, w.t, cv->n, w.ctx) || !EC_POINT_mul(cv->g, w.R, w.u, w.P, w.t, w.ctx))
		goto out;
	err = FHSM_ERR_AUTH;
	if (EC_POINT_is_at_infinity(cv->g, w.R) ||
	    !EC_POINT_get_affine_coordinates(cv->g, w.R, w.u, NULL, w.ctx) || !BN_nnmod(w.u, w.u, cv->n, w.ctx))
		goto out;
	err = BN_cmp(w.u, r) == 0 ? FHSM_OK : FHSM_ERR_AUTH;
out:
	work_free(&w);
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
	struct ec_work w;
	fhsm_err err = work_new(cv, &w);
	if (!err)
		err = scalar_read(cv, priv, priv_len, &w.d);
	if (!err)
		err = point_read(cv, peer_point, peer_len, w.P, w.ctx);
	if (!err && !EC_POINT_mul(cv->g, w.R, NULL, w.P, w.d, w.ctx))
		err = FHSM_ERR_PROVIDER;
	/* A valid peer point and 0 < d < n never give infinity; check anyway. */
	if (!err && EC_POINT_is_at_infinity(cv->g, w.R))
		err = FHSM_ERR_ARGS;
	if (!err && (!EC_POINT_get_affine_coordinates(cv->g, w.R, w.u, NULL, w.ctx) ||
		     BN_bn2binpad(w.u, out, (int)cv->bytes) != (int)cv->bytes))
		err = FHSM_ERR_PROVIDER;
	if (!err)
		*out_len = cv->bytes;
	work_free(&w);
	return err;
}

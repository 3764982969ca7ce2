/* The two half-size exponentiations of an RSA-CRT private operation, on OpenSSL's
 * libcrypto: BN_mod_exp_mont_consttime_x2 runs both halves at once (on CPUs with
 * AVX-512 IFMA, in one interleaved pass for 1024/1536/2048-bit primes; elsewhere as
 * two constant-time Montgomery exponentiations). GMP's mpz_powm_sec, which this
 * replaces, took 3.5x as long for RSA-2048 (docs/benchmarks.md): LibTomCrypt has no
 * big-number code of its own that comes close, and SoftHSM signs with this very
 * routine. Only the halves are here; blinding, Garner and the check stay in
 * soft_rsa_crt on GMP. */
#include <gmp.h>
#include <openssl/bn.h>
#include <stdlib.h>
#include "soft_pk.h"

struct soft_rsa_halves {
	BIGNUM *p, *q, *dp, *dq;
	BN_MONT_CTX *mont_p, *mont_q;
};

void soft_rsa_halves_free(struct soft_rsa_halves *h)
{
	if (!h)
		return;
	BN_clear_free(h->p); /* clears before it frees: the factors and exponents are secret */
	BN_clear_free(h->q);
	BN_clear_free(h->dp);
	BN_clear_free(h->dq);
	BN_MONT_CTX_free(h->mont_p);
	BN_MONT_CTX_free(h->mont_q);
	free(h);
}

/* Bytes of the largest operand: a half's modulus or exponent (FHSM_RSA_MAX_BITS keys
 * made elsewhere may have unbalanced factors: allow a whole modulus). */
#define HALF_MAX_BYTES (FHSM_RSA_MAX_BITS / 8)

/* A GMP number as a new BIGNUM (NULL on failure or when it does not fit). */
static BIGNUM *to_bn(const void *x, BIGNUM *into)
{
	uint8_t buf[HALF_MAX_BYTES];
	size_t n = (mpz_sizeinbase(x, 2) + 7) / 8;
	if (n > sizeof buf)
		return NULL;
	mpz_export(buf, &n, 1, 1, 1, 0, x);
	BIGNUM *r = BN_bin2bn(buf, (int)n, into);
	fhsm_wipe(buf, n);
	return r;
}

static bool from_bn(const BIGNUM *b, void *x)
{
	uint8_t buf[HALF_MAX_BYTES];
	int n = BN_num_bytes(b);
	if (n < 0 || (size_t)n > sizeof buf || BN_bn2bin(b, buf) != n)
		return false;
	mpz_import(x, (size_t)n, 1, 1, 1, 0, buf);
	fhsm_wipe(buf, (size_t)n);
	return true;
}

fhsm_err soft_rsa_halves_new(const rsa_key *k, struct soft_rsa_halves **out)
{
	struct soft_rsa_halves *h = calloc(1, sizeof *h);
	BN_CTX *ctx = BN_CTX_new();
	fhsm_err err = h && ctx ? FHSM_OK : FHSM_ERR_NOMEM;
	if (err == FHSM_OK && (!(h->p = to_bn(k->p, NULL)) || !(h->q = to_bn(k->q, NULL)) ||
			       !(h->dp = to_bn(k->dP, NULL)) || !(h->dq = to_bn(k->dQ, NULL))))
		err = FHSM_ERR_PROVIDER;
	if (err == FHSM_OK) {
		BN_set_flags(h->dp, BN_FLG_CONSTTIME);
		BN_set_flags(h->dq, BN_FLG_CONSTTIME);
		h->mont_p = BN_MONT_CTX_new();
		h->mont_q = BN_MONT_CTX_new();
		if (!h->mont_p || !h->mont_q || !BN_MONT_CTX_set(h->mont_p, h->p, ctx) ||
		    !BN_MONT_CTX_set(h->mont_q, h->q, ctx))
			err = FHSM_ERR_PROVIDER;
	}
	BN_CTX_free(ctx);
	if (err) {
		soft_rsa_halves_free(h);
		return err;
	}
	*out = h;
	return FHSM_OK;
}

fhsm_err soft_rsa_halves_run(const rsa_key *k, void *a, void *b, void *arg)
{
	(void)k;
	const struct soft_rsa_halves *h = arg;
	BN_CTX *ctx = BN_CTX_new();
	if (!ctx)
		return FHSM_ERR_NOMEM;
	BN_CTX_start(ctx);
	BIGNUM *ba = BN_CTX_get(ctx), *bb = BN_CTX_get(ctx), *ra = BN_CTX_get(ctx), *rb = BN_CTX_get(ctx);
	fhsm_err err = FHSM_ERR_PROVIDER;
	if (rb && to_bn(a, ba) && to_bn(b, bb) &&
	    BN_mod_exp_mont_consttime_x2(ra, ba, h->dp, h->p, h->mont_p, rb, bb, h->dq, h->q, h->mont_q, ctx) &&
	    from_bn(ra, a) && from_bn(rb, b))
		err = FHSM_OK;
	/* The halves are as secret as the key: BN_CTX_end does not clear them. */
	BIGNUM *used[] = { ba, bb, ra, rb };
	for (size_t i = 0; i < sizeof used / sizeof used[0]; i++)
		if (used[i])
			BN_clear(used[i]);
	BN_CTX_end(ctx);
	BN_CTX_free(ctx);
	return err;
}

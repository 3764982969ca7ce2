/* Arithmetic mod a prime group order for DSA and ECDSA (soft_bn.h). */
#include "soft_bn.h"
#include "fhsm/crypto.h"

fhsm_err soft_order_init(struct soft_order *o, const BIGNUM *n, BN_CTX *ctx)
{
	*o = (struct soft_order){.n = n};
	if (!n || !BN_is_odd(n) || BN_num_bits(n) < 3)
		return FHSM_ERR_ARGS;
	if (!(o->n_minus_2 = BN_dup(n)) || !BN_sub_word(o->n_minus_2, 2) || !(o->mont = BN_MONT_CTX_new()) ||
	    !BN_MONT_CTX_set(o->mont, n, ctx)) {
		soft_order_clear(o);
		return FHSM_ERR_NOMEM;
	}
	o->bits = (size_t)BN_num_bits(n);
	return FHSM_OK;
}

void soft_order_clear(struct soft_order *o)
{
	BN_free(o->n_minus_2);
	BN_MONT_CTX_free(o->mont);
	*o = (struct soft_order){0};
}

BIGNUM *soft_bn_secret_new(void)
{
	BIGNUM *x = BN_new();
	if (x)
		BN_set_flags(x, BN_FLG_CONSTTIME);
	return x;
}

/* The largest order: P-521's 66 bytes, DSA's q up to 512 bits. */
#define ORDER_MAX_BYTES 66

fhsm_err soft_bn_random(const struct soft_order *o, BIGNUM *k)
{
	uint8_t buf[ORDER_MAX_BYTES];
	size_t len = (o->bits + 7) / 8;
	if (len > sizeof buf)
		return FHSM_ERR_ARGS;
	unsigned extra = (unsigned)(8 * len - o->bits);
	fhsm_err err;
	for (;;) {
		if ((err = fhsm_random(buf, len)) != FHSM_OK)
			break;
		buf[0] &= (uint8_t)(0xff >> extra);
		if (!BN_bin2bn(buf, (int)len, k)) {
			err = FHSM_ERR_NOMEM;
			break;
		}
		if (!BN_is_zero(k) && BN_cmp(k, o->n) < 0)
			break;
	}
	fhsm_wipe(buf, sizeof buf);
	return err;
}

fhsm_err soft_bn_hash_to_e(const struct soft_order *o, const uint8_t *hash, size_t len, BIGNUM *e, BN_CTX *ctx)
{
	size_t take = len;
	if (take * 8 > o->bits)
		take = (o->bits + 7) / 8;
	if (!BN_bin2bn(hash, (int)take, e))
		return FHSM_ERR_NOMEM;
	if (take * 8 > o->bits && !BN_rshift(e, e, (int)(take * 8 - o->bits)))
		return FHSM_ERR_PROVIDER;
	return BN_nnmod(e, e, o->n, ctx) ? FHSM_OK : FHSM_ERR_PROVIDER;
}

/* r = a b mod n for a, b in [0, n): a into Montgomery form (a R), then one
 * Montgomery product (a R b / R). */
static bool mul(const struct soft_order *o, BIGNUM *r, const BIGNUM *a, const BIGNUM *b, BN_CTX *ctx)
{
	return BN_to_montgomery(r, a, o->mont, ctx) && BN_mod_mul_montgomery(r, r, b, o->mont, ctx);
}

fhsm_err soft_bn_sign_s(const struct soft_order *o, BIGNUM *s, const BIGNUM *e, const BIGNUM *x, const BIGNUM *r,
			BIGNUM *k, BN_CTX *ctx)
{
	BN_CTX_start(ctx);
	BIGNUM *b = BN_CTX_get(ctx), *t = BN_CTX_get(ctx), *u = BN_CTX_get(ctx);
	fhsm_err err = b && t && u ? FHSM_OK : FHSM_ERR_NOMEM;
	if (!err) {
		BN_set_flags(b, BN_FLG_CONSTTIME); /* BN_CTX_get hands them out without it */
		BN_set_flags(t, BN_FLG_CONSTTIME);
		BN_set_flags(u, BN_FLG_CONSTTIME);
		err = soft_bn_random(o, b);
	}
	/* 1/k = b / (k b) = b (k b)^(n-2): the exponentiation never sees k alone. */
	if (!err && !(mul(o, t, k, b, ctx) && BN_mod_exp_mont_consttime(u, t, o->n_minus_2, o->n, ctx, o->mont) &&
		      mul(o, k, u, b, ctx) &&		/* k := 1/k */
		      mul(o, t, x, r, ctx) &&		/* t = x r */
		      BN_mod_add_quick(t, t, e, o->n) &&	/* t = e + x r */
		      mul(o, s, t, k, ctx)))		/* s = (e + x r) / k */
		err = FHSM_ERR_PROVIDER;
	BN_CTX_end(ctx); /* its numbers are cleared when the caller frees the context */
	return err;
}

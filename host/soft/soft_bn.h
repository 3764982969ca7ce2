/* The arithmetic mod a prime group order that DSA and ECDSA share, on OpenSSL's
 * BN, constant time where secrets flow: uniform nonces, the hash as a number, and
 * the signature equation s = (e + x r) / k with k's inverse blinded and taken by
 * Fermat's little theorem. Used by soft_ec.c and soft_dsa_dh.c. */
#ifndef FHSM_SOFT_BN_H
#define FHSM_SOFT_BN_H

#include <openssl/bn.h>
#include <stdbool.h>
#include "fhsm/error.h"

struct soft_order {
	const BIGNUM *n;   /* the order, a prime (borrowed from the caller) */
	BIGNUM *n_minus_2; /* Fermat's exponent */
	BN_MONT_CTX *mont; /* Montgomery arithmetic mod n */
	size_t bits;
};

/* Sets o up for the prime n (which must outlive o); FHSM_ERR_ARGS unless n > 2 is odd. */
fhsm_err soft_order_init(struct soft_order *o, const BIGNUM *n, BN_CTX *ctx);
void soft_order_clear(struct soft_order *o);

/* A new number for a secret: BN_FLG_CONSTTIME set; free it with BN_clear_free. */
BIGNUM *soft_bn_secret_new(void);
/* k uniform in [1, n-1], by rejection from fhsm_random. */
fhsm_err soft_bn_random(const struct soft_order *o, BIGNUM *k);
/* e = the leftmost o->bits bits of the hash (FIPS 186-4 4.6 and 6.4), mod n. */
fhsm_err soft_bn_hash_to_e(const struct soft_order *o, const uint8_t *hash, size_t len, BIGNUM *e, BN_CTX *ctx);
/* s = (e + x r) / k mod n, for e, x, r, k in [0, n) and k != 0; k is overwritten.
 * Fixed-width Montgomery products throughout; k is multiplied by a fresh random
 * factor before its constant-time inversion. */
fhsm_err soft_bn_sign_s(const struct soft_order *o, BIGNUM *s, const BIGNUM *e, const BIGNUM *x, const BIGNUM *r,
			BIGNUM *k, BN_CTX *ctx);

#endif

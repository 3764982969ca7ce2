/* DSA and finite-field Diffie-Hellman on LibTomCrypt (with the GMP math descriptor),
 * but for DSA signing, which is ours on OpenSSL's constant-time BN (see there).
 * Arguments are checked here first: Debian's LibTomCrypt aborts on a failed check. */
#define LTC_SOURCE /* LibTomCrypt's mp_* macros */
#include <stdlib.h>
#include <string.h>
#include "fhsm/pk.h"
#include "soft.h"
#include "soft_bn.h"

static int sprng(void)
{
	static int idx = -2;
	if (idx == -2)
		idx = register_prng(&sprng_desc); /* the system RNG; harmless to repeat */
	return idx;
}

/* An mp integer as big-endian bytes, left-padded to width (0: its own size). */
static fhsm_err to_bytes(void *a, size_t width, struct fhsm_bytes *out)
{
	size_t n = mp_unsigned_bin_size(a);
	if (width && n > width)
		return FHSM_ERR_PROVIDER;
	out->len = width ? width : n;
	out->p = calloc(1, out->len ? out->len : 1);
	if (!out->p)
		return FHSM_ERR_NOMEM;
	return mp_to_unsigned_bin(a, out->p + (out->len - n)) == CRYPT_OK ? FHSM_OK : FHSM_ERR_PROVIDER;
}

static bool has(const struct fhsm_bytes *b)
{
	return b && b->p && b->len;
}

void fhsm_ff_params_free(struct fhsm_ff_params *d)
{
	if (!d)
		return;
	fhsm_bytes_free(&d->p);
	fhsm_bytes_free(&d->q);
	fhsm_bytes_free(&d->g);
}

/* ---- DSA ---- */
fhsm_err fhsm_dsa_generate_params(unsigned p_bits, unsigned q_bits, struct fhsm_ff_params *out)
{
	dsa_key k;
	if (!out || !((p_bits == 1024 && q_bits == 160) || (p_bits == 2048 && (q_bits == 224 || q_bits == 256)) ||
		      (p_bits == 3072 && q_bits == 256)))
		return FHSM_ERR_ARGS;
	soft_init();
	memset(out, 0, sizeof(*out));
	if (dsa_generate_pqg(NULL, sprng(), (int)q_bits / 8, (int)p_bits / 8, &k) != CRYPT_OK)
		return FHSM_ERR_PROVIDER;
	fhsm_err err = to_bytes(k.p, 0, &out->p);
	if (err == FHSM_OK)
		err = to_bytes(k.q, 0, &out->q);
	if (err == FHSM_OK)
		err = to_bytes(k.g, 0, &out->g);
	dsa_free(&k);
	if (err != FHSM_OK)
		fhsm_ff_params_free(out);
	return err;
}

static fhsm_err dsa_load(const struct fhsm_ff_params *d, dsa_key *k)
{
	if (!d || !has(&d->p) || !has(&d->q) || !has(&d->g) || d->p.len > 1024 || d->q.len > 64)
		return FHSM_ERR_ARGS;
	soft_init();
	return dsa_set_pqg(d->p.p, d->p.len, d->q.p, d->q.len, d->g.p, d->g.len, k) == CRYPT_OK ? FHSM_OK
												   : FHSM_ERR_ARGS;
}

fhsm_err fhsm_dsa_generate_key(const struct fhsm_ff_params *d, struct fhsm_bytes *x, struct fhsm_bytes *y)
{
	dsa_key k;
	if (!x || !y)
		return FHSM_ERR_ARGS;
	fhsm_err err = dsa_load(d, &k);
	if (err != FHSM_OK)
		return err;
	err = dsa_generate_key(NULL, sprng(), &k) == CRYPT_OK ? FHSM_OK : FHSM_ERR_PROVIDER;
	if (err == FHSM_OK)
		err = to_bytes(k.x, 0, x);
	if (err == FHSM_OK)
		err = to_bytes(k.y, 0, y);
	dsa_free(&k);
	if (err != FHSM_OK) {
		fhsm_bytes_free(x);
		fhsm_bytes_free(y);
	}
	return err;
}

/* Signing is ours on OpenSSL's BN rather than LibTomCrypt's dsa_sign_hash_raw,
 * which takes the nonce's gcd with q and its inverse with GMP's variable-time
 * mpz_gcd and mpz_invert: the nonce's timing is what lattice attacks turn into the
 * key. Here r = (g^k mod p) mod q by BN_mod_exp_mont_consttime and s by
 * soft_bn_sign_s (blinded Fermat inverse, Montgomery products). */
fhsm_err fhsm_dsa_sign(const struct fhsm_ff_params *d, const uint8_t *x, size_t x_len, const uint8_t *hash,
		       size_t hash_len, uint8_t *sig, size_t *sig_len)
{
	if (!d || !has(&d->p) || !has(&d->q) || !has(&d->g) || d->p.len > 1024 || d->q.len > 64 || !x || !x_len ||
	    x_len > 64 || !hash || !hash_len || !sig || !sig_len)
		return FHSM_ERR_ARGS;
	size_t qn = d->q.len;
	if (*sig_len < 2 * qn) {
		*sig_len = 2 * qn;
		return FHSM_ERR_BUFFER;
	}
	BN_CTX *ctx = BN_CTX_new();
	BN_MONT_CTX *mont_p = BN_MONT_CTX_new();
	BIGNUM *p = BN_bin2bn(d->p.p, (int)d->p.len, NULL), *q = BN_bin2bn(d->q.p, (int)d->q.len, NULL);
	BIGNUM *g = BN_bin2bn(d->g.p, (int)d->g.len, NULL), *e = BN_new(), *r = BN_new(), *s = BN_new();
	BIGNUM *xs = soft_bn_secret_new(), *k = soft_bn_secret_new(), *kq = soft_bn_secret_new();
	struct soft_order ord = {0};
	fhsm_err err = FHSM_ERR_NOMEM;
	if (!ctx || !mont_p || !p || !q || !g || !e || !r || !s || !xs || !k || !kq || !BN_bin2bn(x, (int)x_len, xs))
		goto out;
	/* The domain: p odd, 1 < g < p, q prime-sized and no longer than p (the
	 * parameters' primality is their creator's: C_GenerateKey checks nothing more). */
	err = FHSM_ERR_ARGS;
	if (!BN_is_odd(p) || BN_cmp(q, p) >= 0 || BN_is_zero(g) || BN_is_one(g) || BN_cmp(g, p) >= 0 ||
	    (err = soft_order_init(&ord, q, ctx)) != FHSM_OK)
		goto out;
	err = FHSM_ERR_ARGS;
	if (BN_is_zero(xs) || BN_cmp(xs, q) >= 0)
		goto out;
	err = FHSM_ERR_PROVIDER;
	if (!BN_MONT_CTX_set(mont_p, p, ctx))
		goto out;
	/* FIPS 186-4 4.6: the leftmost min(N, outlen) bits of the hash */
	err = soft_bn_hash_to_e(&ord, hash, hash_len, e, ctx);
	while (!err) {
		if ((err = soft_bn_random(&ord, k)))
			break;
		/* g^(k+q) or g^(k+2q) (g has order q): an exponent of fixed length, |q| + 1
		 * bits, whose word count (what the exponentiation's time follows) never
		 * gives away a short k. */
		if (!BN_add(kq, k, q) || (BN_num_bits(kq) <= (int)ord.bits && !BN_add(kq, kq, q)) ||
		    !BN_mod_exp_mont_consttime(r, g, kq, p, ctx, mont_p) || !BN_nnmod(r, r, q, ctx)) {
			err = FHSM_ERR_PROVIDER;
			break;
		}
		if (!BN_is_zero(r) && !(err = soft_bn_sign_s(&ord, s, e, xs, r, k, ctx)) && !BN_is_zero(s))
			break;
	}
	if (!err && (BN_bn2binpad(r, sig, (int)qn) != (int)qn || BN_bn2binpad(s, sig + qn, (int)qn) != (int)qn))
		err = FHSM_ERR_PROVIDER;
	if (!err)
		*sig_len = 2 * qn;
out:
	soft_order_clear(&ord);
	BN_clear_free(xs);
	BN_clear_free(k);
	BN_clear_free(kq);
	BN_free(p);
	BN_free(q);
	BN_free(g);
	BN_free(e);
	BN_free(r);
	BN_free(s);
	BN_MONT_CTX_free(mont_p);
	BN_CTX_free(ctx); /* clears the numbers it lent */
	return err;
}

fhsm_err fhsm_dsa_verify(const struct fhsm_ff_params *d, const uint8_t *y, size_t y_len, const uint8_t *hash,
			 size_t hash_len, const uint8_t *sig, size_t sig_len)
{
	dsa_key k;
	void *r = NULL, *s = NULL;
	int ok = 0;
	if (!y || !y_len || !hash || !hash_len || !sig || y_len > 1024)
		return FHSM_ERR_ARGS;
	fhsm_err err = dsa_load(d, &k);
	if (err != FHSM_OK)
		return err;
	size_t qn = d->q.len;
	if (sig_len != 2 * qn || dsa_set_key(y, y_len, PK_PUBLIC, &k) != CRYPT_OK ||
	    mp_init_multi(&r, &s, NULL) != CRYPT_OK) {
		dsa_free(&k);
		return sig_len != 2 * qn ? FHSM_ERR_AUTH : FHSM_ERR_ARGS;
	}
	/* dsa_verify_hash_raw itself rejects r or s of 0 or >= q. */
	if (mp_read_unsigned_bin(r, (unsigned char *)sig, qn) == CRYPT_OK &&
	    mp_read_unsigned_bin(s, (unsigned char *)sig + qn, qn) == CRYPT_OK &&
	    dsa_verify_hash_raw(r, s, hash, hash_len, &ok, &k) == CRYPT_OK && ok == 1)
		err = FHSM_OK;
	else
		err = FHSM_ERR_AUTH;
	mp_clear_multi(r, s, NULL);
	dsa_free(&k);
	return err;
}

/* ---- finite-field DH ---- */
fhsm_err fhsm_dh_group(unsigned p_bits, struct fhsm_ff_params *out)
{
	dh_key k;
	if (!out || p_bits % 8 || p_bits < 1024 || p_bits > 8192)
		return FHSM_ERR_ARGS;
	soft_init();
	memset(out, 0, sizeof(*out));
	if (dh_set_pg_groupsize((int)p_bits / 8, &k) != CRYPT_OK)
		return FHSM_ERR_ARGS; /* no standard group of that size */
	fhsm_err err = dh_get_groupsize(&k) == (int)p_bits / 8 ? FHSM_OK : FHSM_ERR_ARGS;
	if (err == FHSM_OK)
		err = to_bytes(k.prime, 0, &out->p);
	if (err == FHSM_OK)
		err = to_bytes(k.base, 0, &out->g);
	dh_free(&k);
	if (err != FHSM_OK)
		fhsm_ff_params_free(out);
	return err;
}

static fhsm_err dh_load(const struct fhsm_ff_params *d, dh_key *k)
{
	if (!d || !has(&d->p) || !has(&d->g) || d->p.len > 1024 || d->g.len > d->p.len)
		return FHSM_ERR_ARGS;
	soft_init();
	return dh_set_pg(d->p.p, d->p.len, d->g.p, d->g.len, k) == CRYPT_OK ? FHSM_OK : FHSM_ERR_ARGS;
}

fhsm_err fhsm_dh_generate_key(const struct fhsm_ff_params *d, struct fhsm_bytes *x, struct fhsm_bytes *y)
{
	dh_key k;
	if (!x || !y)
		return FHSM_ERR_ARGS;
	fhsm_err err = dh_load(d, &k);
	if (err != FHSM_OK)
		return err;
	err = dh_generate_key(NULL, sprng(), &k) == CRYPT_OK ? FHSM_OK : FHSM_ERR_PROVIDER;
	if (err == FHSM_OK)
		err = to_bytes(k.x, 0, x);
	if (err == FHSM_OK)
		err = to_bytes(k.y, 0, y);
	dh_free(&k);
	if (err != FHSM_OK) {
		fhsm_bytes_free(x);
		fhsm_bytes_free(y);
	}
	return err;
}

fhsm_err fhsm_dh_derive(const struct fhsm_ff_params *d, const uint8_t *x, size_t x_len, const uint8_t *peer,
			size_t peer_len, uint8_t *out, size_t *out_len)
{
	dh_key priv, pub;
	if (!x || !x_len || !peer || !peer_len || !out || !out_len || x_len > 1024 || peer_len > 1024)
		return FHSM_ERR_ARGS;
	fhsm_err err = dh_load(d, &priv);
	if (err != FHSM_OK)
		return err;
	if ((err = dh_load(d, &pub)) != FHSM_OK) {
		dh_free(&priv);
		return err;
	}
	size_t pn = d->p.len;
	unsigned long n = *out_len;
	if (*out_len < pn) {
		*out_len = pn;
		err = FHSM_ERR_BUFFER;
	} else if (dh_set_key(x, x_len, PK_PRIVATE, &priv) != CRYPT_OK ||
		   dh_set_key(peer, peer_len, PK_PUBLIC, &pub) != CRYPT_OK) {
		err = FHSM_ERR_ARGS; /* dh_set_key checks the public value (1 < y < p-1) */
	} else if (dh_shared_secret(&priv, &pub, out, &n) != CRYPT_OK) {
		err = FHSM_ERR_PROVIDER;
	} else {
		/* PKCS#11 wants |p| bytes: left-pad the secret. */
		memmove(out + (pn - n), out, n);
		memset(out, 0, pn - n);
		*out_len = pn;
	}
	dh_free(&priv);
	dh_free(&pub);
	return err;
}

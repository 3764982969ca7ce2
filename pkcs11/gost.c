/* The GOST mechanisms' PKCS#11 side (the arithmetic is the host's, on libgcrypt):
 * parameter sets named by DER OIDs (RFC 4357), in key attributes and as the optional
 * parameter of CKM_GOSTR3411, CKM_GOSTR3411_HMAC and CKM_GOSTR3410_WITH_GOSTR3411;
 * GOST R 34.10-2001 keys, signatures and key-pair generation for pk.c.
 *
 * Encodings (PKCS#11 2.40 current mechanisms §2.44-2.46, as SoftHSM and OpenSSL's GOST
 * engine have them): a public key's CKA_VALUE is X || Y, each 32 bytes little-endian;
 * a signature is s || r, each 32 bytes big-endian; CKM_GOSTR3410 signs a 32-byte
 * GOST R 34.11-94 hash, read as a little-endian number. A private key's CKA_VALUE is
 * its 32 bytes little-endian, as the specification says (SoftHSM 2.6 stores it
 * big-endian: a SoftHSM private key would need reversing to be imported here). */
#include <string.h>
#include "pk.h"

/* 1.2.643.2.2.<arc>.<n>: every OID here is 06 07 2a 85 03 02 02 <arc> <n>. */
struct gost_oid {
	uint8_t arc, n;
	int value;
};
static const uint8_t oid_head[] = {0x06, 0x07, 0x2a, 0x85, 0x03, 0x02, 0x02};

static const struct gost_oid paramsets[] = {
	{35, 0, FHSM_GOST_TEST},    {35, 1, FHSM_GOST_CP_A},    {35, 2, FHSM_GOST_CP_B},
	{35, 3, FHSM_GOST_CP_C},    {36, 0, FHSM_GOST_CP_XCHA}, {36, 1, FHSM_GOST_CP_XCHB},
};
static const struct gost_oid hashes[] = {
	{30, 0, FHSM_HASH_GOSTR3411_TEST},
	{30, 1, FHSM_HASH_GOSTR3411}, /* CryptoPro: the default */
};
static const uint8_t hash_cp[] = {0x06, 0x07, 0x2a, 0x85, 0x03, 0x02, 0x02, 30, 1};

/* The table's value for this DER OID, -1 if none. */
static int lookup(const uint8_t *der, size_t len, const struct gost_oid *t, size_t n)
{
	if (!der || len != sizeof(oid_head) + 2 || memcmp(der, oid_head, sizeof(oid_head)))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (der[7] == t[i].arc && der[8] == t[i].n)
			return t[i].value;
	return -1;
}
#define LOOKUP(der, len, table) lookup(der, len, table, sizeof(table) / sizeof(table[0]))

/* A key's hash parameter set: CKA_GOSTR3411_PARAMS, CryptoPro's when empty. */
static int key_hash(const struct p11_attrs *a)
{
	const struct p11_attr *x = p11_attrs_find(a, CKA_GOSTR3411_PARAMS);
	return !x || !x->len ? FHSM_HASH_GOSTR3411 : LOOKUP(x->val, x->len, hashes);
}

CK_RV p11_gost_hash_param(const CK_MECHANISM *mech, fhsm_hash_alg *alg)
{
	if (!mech->pParameter && !mech->ulParameterLen)
		return CKR_OK;
	int h = LOOKUP(mech->pParameter, mech->ulParameterLen, hashes);
	if (h < 0)
		return CKR_MECHANISM_PARAM_INVALID;
	*alg = (fhsm_hash_alg)h;
	return CKR_OK;
}

/* CKA_GOSTR3410_PARAMS: CKR_TEMPLATE_INCOMPLETE when absent, CKR_DOMAIN_PARAMS_INVALID
 * when not a parameter set of GOST R 34.10-2001 that we have. */
static CK_RV paramset_of(const struct p11_attrs *a, fhsm_gost_paramset *ps)
{
	const struct p11_attr *x = p11_attrs_find(a, CKA_GOSTR3410_PARAMS);
	if (!x || !x->len)
		return CKR_TEMPLATE_INCOMPLETE;
	int v = LOOKUP(x->val, x->len, paramsets);
	if (v < 0)
		return CKR_DOMAIN_PARAMS_INVALID;
	*ps = (fhsm_gost_paramset)v;
	return CKR_OK;
}

CK_RV p11_gost_init(struct p11_op *op, const struct p11_mech *m, const CK_MECHANISM *mech, bool priv)
{
	memset(&op->params, 0, sizeof(op->params));
	const struct p11_attr *v = p11_attrs_find(op->key, CKA_VALUE);
	if (paramset_of(op->key, &op->params.gost) != CKR_OK || !v || v->len != (priv ? 32u : 64u))
		return CKR_KEY_TYPE_INCONSISTENT;
	if (m->hash < 0) /* CKM_GOSTR3410: the caller hashed; no parameter */
		return mech->pParameter || mech->ulParameterLen ? CKR_MECHANISM_PARAM_INVALID : CKR_OK;
	/* The hash: the mechanism's parameter, else the key's CKA_GOSTR3411_PARAMS. */
	int h = key_hash(op->key);
	if (h < 0)
		return CKR_KEY_TYPE_INCONSISTENT;
	fhsm_hash_alg alg = (fhsm_hash_alg)h;
	CK_RV rv = p11_gost_hash_param(mech, &alg);
	if (rv == CKR_OK)
		rv = p11_rv_from_fhsm(fhsm_hash_new(alg, (fhsm_hash_ctx **)&op->ctx));
	return rv;
}

CK_RV p11_gost_sign(struct p11_op *op, const uint8_t *in, size_t len, uint8_t *sig, CK_ULONG_PTR sig_len)
{
	if (len != 32)
		return CKR_DATA_LEN_RANGE;
	const struct p11_attr *d = p11_attrs_find(op->key, CKA_VALUE); /* 32 bytes: checked at init */
	fhsm_err err = fhsm_gost_sign(op->params.gost, d->val, in, sig);
	*sig_len = 64;
	/* The only bad argument left: a private key of 0 or at least q. */
	return err == FHSM_ERR_ARGS ? CKR_KEY_TYPE_INCONSISTENT : p11_rv_from_fhsm(err);
}

CK_RV p11_gost_verify(struct p11_op *op, const uint8_t *in, size_t len, const uint8_t *sig)
{
	if (len != 32)
		return CKR_DATA_LEN_RANGE;
	const struct p11_attr *q = p11_attrs_find(op->key, CKA_VALUE); /* 64 bytes: checked at init */
	fhsm_err err = fhsm_gost_verify(op->params.gost, q->val, in, sig);
	return err == FHSM_ERR_AUTH ? CKR_SIGNATURE_INVALID : p11_rv_from_fhsm(err);
}

static struct p11_attr item(CK_ATTRIBUTE_TYPE t, const void *v, size_t n)
{
	return (struct p11_attr){t, n, (uint8_t *)v};
}

/* The key pair's parameter sets go on both keys; a private template that names one
 * must name the public key's. The items added point into pub and into d and q. */
CK_RV p11_gost_generate(const struct p11_attrs *pub, const struct p11_attrs *priv, struct p11_attr *pa,
			size_t *np, struct p11_attr *ka, size_t *nk, uint8_t d[32], uint8_t q[64])
{
	static const CK_ATTRIBUTE_TYPE shared[] = {CKA_GOSTR3410_PARAMS, CKA_GOSTR3411_PARAMS, CKA_GOST28147_PARAMS};
	fhsm_gost_paramset ps;
	CK_RV rv = paramset_of(pub, &ps);
	if (rv != CKR_OK)
		return rv;
	if (key_hash(pub) < 0)
		return CKR_DOMAIN_PARAMS_INVALID;
	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
		const struct p11_attr *x = p11_attrs_find(pub, shared[i]), *y = p11_attrs_find(priv, shared[i]);
		struct p11_attr val = x && x->len ? *x : shared[i] == CKA_GOSTR3411_PARAMS
								 ? item(shared[i], hash_cp, sizeof(hash_cp))
								 : item(shared[i], NULL, 0);
		if (y && y->len && (y->len != val.len || memcmp(y->val, val.val, val.len)))
			return CKR_TEMPLATE_INCONSISTENT;
		if (val.len) {
			ka[(*nk)++] = val;
			if (!x || !x->len)
				pa[(*np)++] = val;
		}
	}
	if ((rv = p11_rv_from_fhsm(fhsm_gost_generate(ps, d, q))) != CKR_OK)
		return rv;
	pa[(*np)++] = item(CKA_VALUE, q, 64);
	ka[(*nk)++] = item(CKA_VALUE, d, 32);
	return CKR_OK;
}

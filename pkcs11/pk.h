/* The public-key mechanisms (pk.c), for sign.c, crypt.c and keymgmt.c. */
#ifndef FHSM_P11_PK_H
#define FHSM_P11_PK_H

#include "fhsm/pk.h"
#include "object.h"

/* The fhsm_hash_alg of a digest mechanism (CKM_SHA_1 ... CKM_SHA512), -1 for others. */
int p11_hash_of_mech(CK_MECHANISM_TYPE t);
CK_RV p11_curve_of(const struct p11_attrs *a, CK_KEY_TYPE kt, enum p11_curve *out);
CK_RV p11_rsa_key(const struct p11_attrs *a, bool priv, fhsm_rsa_key **out);
CK_RV p11_pk_params(const struct p11_mech *m, const CK_MECHANISM *mech, struct p11_pk_params *out);
/* op->key holds the key's attributes; parses it and checks the mechanism's parameters. */
CK_RV p11_pk_init(struct p11_op *op, const struct p11_mech *m, const CK_MECHANISM *mech, bool priv);
void p11_pk_end(struct p11_op *op);
/* The key (of the class the operation needs: private to sign and decrypt, public to
 * verify and encrypt) with the usage attribute set, then p11_pk_init. */
CK_RV p11_pk_op_init(struct p11_session *s, struct p11_op *op, const struct p11_mech *m, const CK_MECHANISM *mech,
		     CK_OBJECT_HANDLE hKey, CK_ATTRIBUTE_TYPE usage, bool private_key);
size_t p11_pk_sig_len(const struct p11_op *op);
/* in: the digest for hash-and-sign mechanisms (the op hashed it), else the data. */
CK_RV p11_pk_sign(struct p11_op *op, const uint8_t *in, size_t len, uint8_t *sig, CK_ULONG_PTR sig_len);
CK_RV p11_pk_verify(struct p11_op *op, const uint8_t *in, size_t len, const uint8_t *sig, size_t sig_len);
size_t p11_pk_crypt_len(const struct p11_op *op);
CK_RV p11_pk_crypt(struct p11_op *op, bool encrypt, const uint8_t *in, size_t len, uint8_t *out, CK_ULONG_PTR out_len);
/* Adds generated key material to checked public and private attribute sets. */
CK_RV p11_pk_generate(const struct p11_mech *m, struct p11_attrs **pub, struct p11_attrs **priv);
/* GOST R 34.10-2001 and R 34.11-94 (gost.c). The optional hash parameter set of
 * CKM_GOSTR3411, CKM_GOSTR3411_HMAC and CKM_GOSTR3410_WITH_GOSTR3411 (a DER OID):
 * *alg unchanged when there is none, CKR_MECHANISM_PARAM_INVALID when unknown. */
CK_RV p11_gost_hash_param(const CK_MECHANISM *mech, fhsm_hash_alg *alg);
CK_RV p11_gost_init(struct p11_op *op, const struct p11_mech *m, const CK_MECHANISM *mech, bool priv);
CK_RV p11_gost_sign(struct p11_op *op, const uint8_t *in, size_t len, uint8_t *sig, CK_ULONG_PTR sig_len);
CK_RV p11_gost_verify(struct p11_op *op, const uint8_t *in, size_t len, const uint8_t *sig);
/* Generates into d and q and appends the keys' items to pa and ka (p11_pk_generate). */
CK_RV p11_gost_generate(const struct p11_attrs *pub, const struct p11_attrs *priv, struct p11_attr *pa,
			size_t *np, struct p11_attr *ka, size_t *nk, uint8_t d[32], uint8_t q[64]);
/* Adds generated DSA or DH domain parameters (CKA_PRIME_BITS from the template). */
CK_RV p11_pk_paramgen(const struct p11_mech *m, struct p11_attrs **a);

#endif

/* Private keys from files: PKCS#8 PrivateKeyInfo (RFC 5208/5958), PEM or DER, holding
 * an RSA, EC (P-256/384/521) or Ed25519 key; also SEC 1 EC keys. Unencrypted files only. */
#ifndef FHSM_KEYFILE_H
#define FHSM_KEYFILE_H

#include "fhsm/pk.h"

#ifdef __cplusplus
extern "C" {
#endif

enum fhsm_key_kind { FHSM_KEY_RSA, FHSM_KEY_EC, FHSM_KEY_ED25519 };

struct fhsm_private_key {
	enum fhsm_key_kind kind;
	struct fhsm_rsa_parts rsa;    /* RSA */
	fhsm_ec_curve curve;          /* EC */
	struct fhsm_bytes scalar;     /* EC: the private scalar; Ed25519: the 32-byte seed */
	struct fhsm_bytes point;      /* EC: 04||X||Y; Ed25519: the public key (computed) */
};

/* FHSM_ERR_ARGS: not an unencrypted PKCS#8 key of a kind we hold. */
fhsm_err fhsm_pkcs8_parse(const uint8_t *data, size_t len, struct fhsm_private_key *out);
/* Strict: exactly one DER PrivateKeyInfo (no PEM, no SEC 1), as a key unwrap receives it. */
fhsm_err fhsm_pkcs8_decode(const uint8_t *der, size_t len, struct fhsm_private_key *out);
/* DER PrivateKeyInfo of k (RSA: all eight numbers; EC: the scalar at the curve's width,
 * the point, if given, as the public key; Ed25519: the seed). out NULL: *out_len gets
 * the length; short: FHSM_ERR_BUFFER with it. */
fhsm_err fhsm_pkcs8_encode(const struct fhsm_private_key *k, uint8_t *out, size_t *out_len);
void fhsm_private_key_free(struct fhsm_private_key *k);

#ifdef __cplusplus
}
#endif
#endif

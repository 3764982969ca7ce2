/* The engine API: one call per primitive. pkcs11/ calls only these; which provider
 * serves a call (the LibTomCrypt soft provider today, the fabric later) is decided
 * below this line. No PKCS#11 types here. */
#ifndef FHSM_CRYPTO_H
#define FHSM_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "fhsm/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- digests ---- */
typedef enum {
	FHSM_HASH_MD5,
	FHSM_HASH_SHA1,
	FHSM_HASH_SHA224,
	FHSM_HASH_SHA256,
	FHSM_HASH_SHA384,
	FHSM_HASH_SHA512,
	/* GOST R 34.11-94 (libgcrypt), with the CryptoPro parameter set (RFC 4357) and
	 * with the test parameter set of the standard (RFC 5831's examples). */
	FHSM_HASH_GOSTR3411,
	FHSM_HASH_GOSTR3411_TEST,
	FHSM_HASH_COUNT
} fhsm_hash_alg;

#define FHSM_HASH_MAX_SIZE 64

typedef struct fhsm_hash_ctx fhsm_hash_ctx;

/* Output size in bytes, 0 for an unknown algorithm. */
size_t fhsm_hash_size(fhsm_hash_alg alg);
fhsm_err fhsm_hash_new(fhsm_hash_alg alg, fhsm_hash_ctx **ctx);
fhsm_err fhsm_hash_update(fhsm_hash_ctx *ctx, const void *data, size_t len);
/* Writes fhsm_hash_size() bytes and resets nothing: the context is spent. */
fhsm_err fhsm_hash_final(fhsm_hash_ctx *ctx, uint8_t *out);
/* Frees and wipes; NULL is fine. */
void fhsm_hash_free(fhsm_hash_ctx *ctx);
fhsm_err fhsm_hash(fhsm_hash_alg alg, const void *data, size_t len, uint8_t *out);

/* ---- random ---- */
fhsm_err fhsm_random(void *buf, size_t len);
/* Mixes caller-supplied bytes into the system pool (no entropy is credited). */
fhsm_err fhsm_random_mix(const void *seed, size_t len);

/* ---- key derivation ---- */
fhsm_err fhsm_pbkdf2_sha256(const void *password, size_t password_len, const uint8_t *salt,
			    size_t salt_len, uint32_t iterations, uint8_t *out, size_t out_len);

/* ---- authenticated encryption: AES-GCM, 12-byte IV, 16-byte tag ---- */
#define FHSM_GCM_IV_SIZE 12
#define FHSM_GCM_TAG_SIZE 16
fhsm_err fhsm_aes_gcm_seal(const uint8_t *key, size_t key_len, const uint8_t iv[FHSM_GCM_IV_SIZE],
			   const void *aad, size_t aad_len, const void *in, size_t len, uint8_t *out,
			   uint8_t tag[FHSM_GCM_TAG_SIZE]);
/* FHSM_ERR_AUTH when the tag does not match; out is wiped then. */
fhsm_err fhsm_aes_gcm_open(const uint8_t *key, size_t key_len, const uint8_t iv[FHSM_GCM_IV_SIZE],
			   const void *aad, size_t aad_len, const void *in, size_t len, uint8_t *out,
			   const uint8_t tag[FHSM_GCM_TAG_SIZE]);

/* ---- key check values ---- */
typedef enum { FHSM_BLOCK_AES, FHSM_BLOCK_DES3 } fhsm_block_cipher;
/* PKCS#11 CKA_CHECK_VALUE of a secret key: the first 3 bytes of the encryption of
 * an all-zero block. DES3 takes 16- (two-key) or 24-byte keys. */
fhsm_err fhsm_key_check_value(fhsm_block_cipher c, const uint8_t *key, size_t len, uint8_t out[3]);

/* ---- integrity of stored records (not a MAC: catches torn writes, not attackers) ---- */
uint32_t fhsm_crc32(const void *data, size_t len);

/* ---- hygiene ---- */
/* Clears memory in a way the compiler cannot drop. */
void fhsm_wipe(void *p, size_t len);
/* Compares in time that depends only on len. */
bool fhsm_ct_equal(const void *a, const void *b, size_t len);

#ifdef __cplusplus
}
#endif
#endif

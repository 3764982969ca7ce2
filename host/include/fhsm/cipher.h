/* Symmetric primitives of the engine API: block-cipher modes, AEAD, MACs.
 * Streaming contexts; the caller (pkcs11/) buffers partial blocks and pads. */
#ifndef FHSM_CIPHER_H
#define FHSM_CIPHER_H

#include "fhsm/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { FHSM_MODE_ECB, FHSM_MODE_CBC, FHSM_MODE_CTR } fhsm_cipher_mode;

size_t fhsm_block_size(fhsm_block_cipher c);
bool fhsm_key_size_ok(fhsm_block_cipher c, size_t key_len);

typedef struct fhsm_cipher_ctx fhsm_cipher_ctx;
/* iv: one block for CBC and CTR (the initial counter block), NULL for ECB.
 * ctr_bits: CTR only, how many low-order bits of the counter block count (8..128, a
 * multiple of 8). */
fhsm_err fhsm_cipher_new(fhsm_block_cipher c, fhsm_cipher_mode mode, bool encrypt, const uint8_t *key,
			 size_t key_len, const uint8_t *iv, unsigned ctr_bits, fhsm_cipher_ctx **out);
/* ECB/CBC: len a multiple of the block size. in and out may be the same buffer. */
fhsm_err fhsm_cipher_update(fhsm_cipher_ctx *ctx, const uint8_t *in, size_t len, uint8_t *out);
void fhsm_cipher_free(fhsm_cipher_ctx *ctx);

/* AES-GCM and AES-CCM, streaming. For CCM the data length and tag length are fixed up front. */
typedef struct fhsm_aead_ctx fhsm_aead_ctx;
fhsm_err fhsm_gcm_new(const uint8_t *key, size_t key_len, const uint8_t *iv, size_t iv_len, const uint8_t *aad,
		      size_t aad_len, bool encrypt, fhsm_aead_ctx **out);
fhsm_err fhsm_ccm_new(const uint8_t *key, size_t key_len, const uint8_t *nonce, size_t nonce_len,
		      const uint8_t *aad, size_t aad_len, size_t data_len, size_t tag_len, bool encrypt,
		      fhsm_aead_ctx **out);
fhsm_err fhsm_aead_update(fhsm_aead_ctx *ctx, const uint8_t *in, size_t len, uint8_t *out);
/* Encrypt: writes the tag. */
fhsm_err fhsm_aead_tag(fhsm_aead_ctx *ctx, uint8_t *tag, size_t tag_len);
/* Decrypt: FHSM_ERR_AUTH unless the tag matches (constant-time). */
fhsm_err fhsm_aead_check(fhsm_aead_ctx *ctx, const uint8_t *tag, size_t tag_len);
void fhsm_aead_free(fhsm_aead_ctx *ctx);

/* MACs: HMAC with any fhsm_hash_alg, CMAC with AES or DES3. */
typedef enum { FHSM_MAC_HMAC, FHSM_MAC_CMAC } fhsm_mac_kind;
typedef struct fhsm_mac_ctx fhsm_mac_ctx;
/* For HMAC, alg is the fhsm_hash_alg; for CMAC, the fhsm_block_cipher. */
fhsm_err fhsm_mac_new(fhsm_mac_kind kind, int alg, const uint8_t *key, size_t key_len, fhsm_mac_ctx **out);
size_t fhsm_mac_size(const fhsm_mac_ctx *ctx);
fhsm_err fhsm_mac_update(fhsm_mac_ctx *ctx, const uint8_t *data, size_t len);
/* Writes fhsm_mac_size() bytes; the context is spent. */
fhsm_err fhsm_mac_final(fhsm_mac_ctx *ctx, uint8_t *out);
void fhsm_mac_free(fhsm_mac_ctx *ctx);
/* An HMAC key prepared once for many messages: the hash states after the padded
 * key's inner and outer blocks, which every message would otherwise compress
 * again (two of a short message's five compressions). Immutable once made: any
 * number of threads may start contexts from it. HMAC only (kind FHSM_MAC_HMAC). */
typedef struct fhsm_mac_key fhsm_mac_key;
fhsm_err fhsm_mac_key_new(fhsm_mac_kind kind, int alg, const uint8_t *key, size_t key_len, fhsm_mac_key **out);
fhsm_err fhsm_mac_new_keyed(const fhsm_mac_key *key, fhsm_mac_ctx **out);
void fhsm_mac_key_free(fhsm_mac_key *key);

/* AES key wrap, RFC 3394 (iv: 8 bytes, NULL for the default A6..A6; len a multiple of 8,
 * at least 16) and with padding, RFC 5649 (any len from 1). *out_len in: capacity
 * (FHSM_ERR_BUFFER with the size needed when short), out: length. in and out may be
 * the same buffer. Unwrap: FHSM_ERR_AUTH when the integrity check fails (out wiped).
 * RFC 5649 iv: the 4-byte alternative initial value (§3) in place of A65959A6, NULL for it. */
fhsm_err fhsm_aes_kw_wrap(const uint8_t *key, size_t key_len, const uint8_t *iv, const uint8_t *in, size_t len,
			  uint8_t *out, size_t *out_len);
fhsm_err fhsm_aes_kw_unwrap(const uint8_t *key, size_t key_len, const uint8_t *iv, const uint8_t *in, size_t len,
			    uint8_t *out, size_t *out_len);
fhsm_err fhsm_aes_kwp_wrap(const uint8_t *key, size_t key_len, const uint8_t *iv, const uint8_t *in, size_t len,
			   uint8_t *out, size_t *out_len);
fhsm_err fhsm_aes_kwp_unwrap(const uint8_t *key, size_t key_len, const uint8_t *iv, const uint8_t *in, size_t len,
			     uint8_t *out, size_t *out_len);

/* HKDF (RFC 5869) with a SHA-1/SHA-2 hash: extract, expand, or both. Extract only
 * writes the PRK (out_len must be the hash size); expand only takes ikm as the PRK.
 * No salt (NULL, 0): HashLen zeros. */
fhsm_err fhsm_hkdf(fhsm_hash_alg alg, bool extract, bool expand, const uint8_t *salt, size_t salt_len,
		   const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);
/* ANSI X9.63 KDF (SEC 1 §3.6.1): Hash(Z || counter32 || SharedInfo), counter from 1. */
fhsm_err fhsm_x963_kdf(fhsm_hash_alg alg, const uint8_t *z, size_t z_len, const uint8_t *shared, size_t shared_len,
		       uint8_t *out, size_t out_len);

#ifdef __cplusplus
}
#endif
#endif

/* The soft provider: LibTomCrypt (+ GMP or libtommath for big numbers).
 * Debian's LibTomCrypt aborts the process on a failed argument check, so every
 * soft_* function validates its arguments before it calls into the library. */
#ifndef FHSM_SOFT_H
#define FHSM_SOFT_H

#include <tomcrypt.h>
#include "fhsm/crypto.h"

/* Registers the LibTomCrypt descriptors once per process; thread-safe. */
void soft_init(void);

/* LibTomCrypt indexes, valid after soft_init(). */
struct soft_indexes {
	int hash[FHSM_HASH_COUNT];
	int aes, des3;
};
extern struct soft_indexes soft_idx;

const struct ltc_hash_descriptor *soft_hash_desc(fhsm_hash_alg alg);

/* SHA-256/224 with a fabric attached: input gathers here and goes out a full
 * job at a time (callers like pkcs11-tool update 64 bytes at a time, far too
 * little to pay for a frame each), compressed on LibTomCrypt's own state so
 * that its padding finishes the hash. buf is NULL when not in use. */
#define SOFT_GATHER_BYTES 1024 /* = FHSM_SHA256_MAX_BLOCKS * 64 */
struct soft_gather {
	uint8_t *buf;
	size_t n;
};
fhsm_err soft_gather_start(struct soft_gather *g, fhsm_hash_alg alg);
fhsm_err soft_gather_update(struct soft_gather *g, hash_state *st, const uint8_t *p, size_t len);
/* Hashes what is left in software and stops gathering. */
fhsm_err soft_gather_end(struct soft_gather *g, hash_state *st);
void soft_gather_free(struct soft_gather *g);

/* GOST R 34.11-94 on libgcrypt (soft_gost.c), behind fhsm_hash_* and fhsm_mac_*
 * for FHSM_HASH_GOSTR3411 and FHSM_HASH_GOSTR3411_TEST: a hash, or an HMAC when key
 * is given (key_len may be 0 with a non-NULL key). */
struct soft_gost_md;
bool soft_hash_is_gost(fhsm_hash_alg alg);
fhsm_err soft_gost_md_new(fhsm_hash_alg alg, const uint8_t *key, size_t key_len, struct soft_gost_md **out);
/* A new context in the state of src (which is only read). */
fhsm_err soft_gost_md_copy(const struct soft_gost_md *src, struct soft_gost_md **out);
fhsm_err soft_gost_md_update(struct soft_gost_md *md, const void *data, size_t len);
/* Writes 32 bytes; the context is spent. */
fhsm_err soft_gost_md_final(struct soft_gost_md *md, uint8_t out[32]);
void soft_gost_md_free(struct soft_gost_md *md);

/* fhsm_cipher_new without the fabric: the fabric's own fallback uses it. */
#include "fhsm/cipher.h"
fhsm_err soft_cipher_new(fhsm_block_cipher c, fhsm_cipher_mode mode, bool encrypt, const uint8_t *key,
			 size_t key_len, const uint8_t *iv, unsigned ctr_bits, fhsm_cipher_ctx **out);

#endif

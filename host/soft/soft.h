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

/* fhsm_cipher_new without the fabric: the fabric's own fallback uses it. */
#include "fhsm/cipher.h"
fhsm_err soft_cipher_new(fhsm_block_cipher c, fhsm_cipher_mode mode, bool encrypt, const uint8_t *key,
			 size_t key_len, const uint8_t *iv, unsigned ctr_bits, fhsm_cipher_ctx **out);

#endif

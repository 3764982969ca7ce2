#include <pthread.h>
#include "soft.h"

struct soft_indexes soft_idx;

static const struct ltc_hash_descriptor *const hash_descs[FHSM_HASH_COUNT] = {
	[FHSM_HASH_MD5] = &md5_desc,
	[FHSM_HASH_SHA1] = &sha1_desc,
	[FHSM_HASH_SHA224] = &sha224_desc,
	[FHSM_HASH_SHA256] = &sha256_desc,
	[FHSM_HASH_SHA384] = &sha384_desc,
	[FHSM_HASH_SHA512] = &sha512_desc,
};

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void register_all(void)
{
	for (int i = 0; i < FHSM_HASH_COUNT; i++)
		soft_idx.hash[i] = register_hash(hash_descs[i]);
	soft_idx.aes = register_cipher(&aes_desc);
	soft_idx.des3 = register_cipher(&des3_desc);
	/* GMP is 2.6x faster than libtommath for RSA-2048 on this machine (DESIGN.md). */
	ltc_mp = gmp_desc;
}

void soft_init(void)
{
	pthread_once(&once, register_all);
}

const struct ltc_hash_descriptor *soft_hash_desc(fhsm_hash_alg alg)
{
	if ((unsigned)alg >= FHSM_HASH_COUNT)
		return NULL;
	return hash_descs[alg];
}

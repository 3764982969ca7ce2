#include <gmp.h>
#include <pthread.h>
#include "soft.h"
#include "fhsm/crypto.h"

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

/* Two of GMP's descriptor entries are not fit for secrets, and LibTomCrypt calls
 * them with secret operands (DSA's nonce, DH's private value, their key
 * generation): mp_exptmod is mpz_powm, whose window table is read at indexes
 * taken from the exponent's bits, and mp_rand is mpz_random, GMP's generator
 * with a fixed seed. Replaced by mpz_powm_sec (same time and memory accesses for
 * every exponent of a size; it needs an odd modulus and a positive exponent, as
 * every exponentiation of DSA, DH and RSA has) and by fhsm_random. Exponents of
 * up to 64 bits are public ones (RSA's e: 5x slower under mpz_powm_sec, 103 vs
 * 21 us at 2048 bits) and keep mpz_powm; no secret exponent is that short. The
 * numbers of gmp_desc are mpz_t. */
static int exptmod_sec(void *a, void *b, void *c, void *d)
{
	if (mpz_sgn((mpz_ptr)b) > 0 && mpz_sizeinbase((mpz_ptr)b, 2) > 64 && mpz_odd_p((mpz_ptr)c))
		mpz_powm_sec(d, a, b, c);
	else
		mpz_powm(d, a, b, c);
	return CRYPT_OK;
}

static int rand_digits(void *a, int size)
{
	uint8_t buf[2048];
	size_t n = (size_t)(size > 0 ? size : 1) * sizeof(mp_limb_t);
	if (n > sizeof buf || fhsm_random(buf, n) != FHSM_OK)
		return CRYPT_ERROR_READPRNG;
	mpz_import(a, n, 1, 1, 0, 0, buf);
	fhsm_wipe(buf, n);
	return CRYPT_OK;
}

static void register_all(void)
{
	for (int i = 0; i < FHSM_HASH_COUNT; i++) /* GOST R 34.11-94: libgcrypt, no descriptor */
		soft_idx.hash[i] = hash_descs[i] ? register_hash(hash_descs[i]) : -1;
	soft_idx.aes = register_cipher(&aes_desc);
	soft_idx.des3 = register_cipher(&des3_desc);
	/* GMP is 2.6x faster than libtommath for RSA-2048 on this machine (DESIGN.md). */
	ltc_mp = gmp_desc;
	ltc_mp.exptmod = exptmod_sec;
	ltc_mp.rand = rand_digits;
}

void soft_init(void)
{
	pthread_once(&once, register_all);
}

/* NULL for the hashes LibTomCrypt does not have (GOST R 34.11-94). */
const struct ltc_hash_descriptor *soft_hash_desc(fhsm_hash_alg alg)
{
	if ((unsigned)alg >= FHSM_HASH_COUNT)
		return NULL;
	return hash_descs[alg];
}

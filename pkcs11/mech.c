/* The mechanism registry: one table, sorted by type (a unit test checks the order).
 * C_GetMechanismList and C_GetMechanismInfo are derived from it, and every *Init looks
 * its mechanism up here. A mechanism is listed only when it works end to end. */
#include <stdlib.h>
#include "p11.h"
#include "fhsm/cipher.h"

#define NOKEY CK_UNAVAILABLE_INFORMATION
#define DIGEST(t, h) {t, 0, 0, CKF_DIGEST, h, MC_DIGEST, NOKEY, 0, 0, false, false}
#define HMAC(t, h, g) {t, 1, 512, CKF_SIGN | CKF_VERIFY, h, MC_HMAC, CKK_GENERIC_SECRET, 0, 0, false, g}
#define ENC (CKF_ENCRYPT | CKF_DECRYPT)
#define AES(t, mode, pad) {t, 16, 32, ENC, -1, MC_BLOCK, CKK_AES, FHSM_BLOCK_AES, mode, pad, false}
#define DES3(t, mode, pad) {t, 16, 24, ENC, -1, MC_BLOCK, CKK_DES3, FHSM_BLOCK_DES3, mode, pad, false}
#define CMAC(t, kt, c, g, lo, hi) {t, lo, hi, CKF_SIGN | CKF_VERIFY, -1, MC_CMAC, kt, c, 0, false, g}
#define KEYGEN(t, kt, lo, hi) {t, lo, hi, CKF_GENERATE, -1, MC_KEYGEN, kt, 0, 0, false, false}

static const struct p11_mech mechs[] = {
	KEYGEN(CKM_DES2_KEY_GEN, CKK_DES2, 16, 16),
	KEYGEN(CKM_DES3_KEY_GEN, CKK_DES3, 24, 24),
	DES3(CKM_DES3_ECB, FHSM_MODE_ECB, false),
	DES3(CKM_DES3_CBC, FHSM_MODE_CBC, false),
	DES3(CKM_DES3_CBC_PAD, FHSM_MODE_CBC, true),
	CMAC(CKM_DES3_CMAC_GENERAL, CKK_DES3, FHSM_BLOCK_DES3, true, 16, 24),
	CMAC(CKM_DES3_CMAC, CKK_DES3, FHSM_BLOCK_DES3, false, 16, 24),
	DIGEST(CKM_MD5, FHSM_HASH_MD5),
	HMAC(CKM_MD5_HMAC, FHSM_HASH_MD5, false),
	HMAC(CKM_MD5_HMAC_GENERAL, FHSM_HASH_MD5, true),
	DIGEST(CKM_SHA_1, FHSM_HASH_SHA1),
	HMAC(CKM_SHA_1_HMAC, FHSM_HASH_SHA1, false),
	HMAC(CKM_SHA_1_HMAC_GENERAL, FHSM_HASH_SHA1, true),
	DIGEST(CKM_SHA256, FHSM_HASH_SHA256),
	HMAC(CKM_SHA256_HMAC, FHSM_HASH_SHA256, false),
	HMAC(CKM_SHA256_HMAC_GENERAL, FHSM_HASH_SHA256, true),
	DIGEST(CKM_SHA224, FHSM_HASH_SHA224),
	HMAC(CKM_SHA224_HMAC, FHSM_HASH_SHA224, false),
	HMAC(CKM_SHA224_HMAC_GENERAL, FHSM_HASH_SHA224, true),
	DIGEST(CKM_SHA384, FHSM_HASH_SHA384),
	HMAC(CKM_SHA384_HMAC, FHSM_HASH_SHA384, false),
	HMAC(CKM_SHA384_HMAC_GENERAL, FHSM_HASH_SHA384, true),
	DIGEST(CKM_SHA512, FHSM_HASH_SHA512),
	HMAC(CKM_SHA512_HMAC, FHSM_HASH_SHA512, false),
	HMAC(CKM_SHA512_HMAC_GENERAL, FHSM_HASH_SHA512, true),
	KEYGEN(CKM_GENERIC_SECRET_KEY_GEN, CKK_GENERIC_SECRET, 1, 512),
	KEYGEN(CKM_AES_KEY_GEN, CKK_AES, 16, 32),
	AES(CKM_AES_ECB, FHSM_MODE_ECB, false),
	AES(CKM_AES_CBC, FHSM_MODE_CBC, false),
	AES(CKM_AES_CBC_PAD, FHSM_MODE_CBC, true),
	AES(CKM_AES_CTR, FHSM_MODE_CTR, false),
	{CKM_AES_GCM, 16, 32, ENC, -1, MC_AEAD, CKK_AES, FHSM_BLOCK_AES, 0, false, false},
	{CKM_AES_CCM, 16, 32, ENC, -1, MC_AEAD, CKK_AES, FHSM_BLOCK_AES, 1, false, false},
	CMAC(CKM_AES_CMAC, CKK_AES, FHSM_BLOCK_AES, false, 16, 32),
	CMAC(CKM_AES_CMAC_GENERAL, CKK_AES, FHSM_BLOCK_AES, true, 16, 32),
};

static int cmp(const void *key, const void *elem)
{
	CK_MECHANISM_TYPE t = *(const CK_MECHANISM_TYPE *)key;
	const struct p11_mech *m = elem;
	return t < m->type ? -1 : t > m->type;
}

const struct p11_mech *p11_mech_find(CK_MECHANISM_TYPE type)
{
	return bsearch(&type, mechs, sizeof(mechs) / sizeof(mechs[0]), sizeof(mechs[0]), cmp);
}

size_t p11_mech_count(void)
{
	return sizeof(mechs) / sizeof(mechs[0]);
}

const struct p11_mech *p11_mech_at(size_t i)
{
	return &mechs[i];
}

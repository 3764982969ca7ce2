/* Single-block helpers on LibTomCrypt's block ciphers, and its CRC-32. */
#include "soft.h"

fhsm_err fhsm_key_check_value(fhsm_block_cipher c, const uint8_t *key, size_t len, uint8_t out[3])
{
	symmetric_key sk;
	uint8_t zero[16] = {0}, block[16];
	uint8_t k3[24];
	int rc;
	if (!key || !out)
		return FHSM_ERR_ARGS;
	soft_init();
	switch (c) {
	case FHSM_BLOCK_AES:
		if (len != 16 && len != 24 && len != 32)
			return FHSM_ERR_ARGS;
		rc = aes_setup(key, (int)len, 0, &sk);
		if (rc == CRYPT_OK)
			rc = aes_ecb_encrypt(zero, block, &sk);
		break;
	case FHSM_BLOCK_DES3:
		if (len != 16 && len != 24)
			return FHSM_ERR_ARGS;
		/* Two-key 3DES is K1 K2 K1. */
		for (size_t i = 0; i < 24; i++)
			k3[i] = key[i % len];
		rc = des3_setup(k3, 24, 0, &sk);
		if (rc == CRYPT_OK)
			rc = des3_ecb_encrypt(zero, block, &sk);
		fhsm_wipe(k3, sizeof(k3));
		break;
	default:
		return FHSM_ERR_ARGS;
	}
	fhsm_wipe(&sk, sizeof(sk));
	if (rc != CRYPT_OK)
		return FHSM_ERR_PROVIDER;
	for (int i = 0; i < 3; i++)
		out[i] = block[i];
	return FHSM_OK;
}

uint32_t fhsm_crc32(const void *data, size_t len)
{
	static const unsigned char empty[1];
	crc32_state st;
	unsigned char out[4];
	crc32_init(&st);
	crc32_update(&st, len ? data : empty, len);
	crc32_finish(&st, out, sizeof(out));
	return (uint32_t)out[0] << 24 | (uint32_t)out[1] << 16 | (uint32_t)out[2] << 8 | out[3];
}

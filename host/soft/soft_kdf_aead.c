/* PBKDF2-HMAC-SHA256 and AES-GCM on LibTomCrypt (used by the token store). */
#include <limits.h>
#include "soft.h"

fhsm_err fhsm_pbkdf2_sha256(const void *password, size_t password_len, const uint8_t *salt,
			    size_t salt_len, uint32_t iterations, uint8_t *out, size_t out_len)
{
	static const unsigned char empty[1];
	if ((!password && password_len) || (!salt && salt_len) || !out || out_len == 0 ||
	    iterations == 0 || iterations > INT_MAX)
		return FHSM_ERR_ARGS;
	soft_init();
	unsigned long len = out_len;
	int rc = pkcs_5_alg2(password ? password : empty, password_len, salt ? salt : empty, salt_len,
			     (int)iterations, soft_idx.hash[FHSM_HASH_SHA256], out, &len);
	if (rc != CRYPT_OK || len != out_len) {
		fhsm_wipe(out, out_len);
		return FHSM_ERR_PROVIDER;
	}
	return FHSM_OK;
}

static fhsm_err gcm_check(const uint8_t *key, size_t key_len, const uint8_t *iv, const void *aad,
			  size_t aad_len, const void *in, size_t len, const uint8_t *out,
			  const uint8_t *tag)
{
	if (!key || (key_len != 16 && key_len != 24 && key_len != 32) || !iv || !tag ||
	    (!aad && aad_len) || (len && (!in || !out)))
		return FHSM_ERR_ARGS;
	return FHSM_OK;
}

static fhsm_err gcm_run(const uint8_t *key, size_t key_len, const uint8_t *iv, const void *aad,
			size_t aad_len, const void *in, size_t len, uint8_t *out, uint8_t *tag, int dir)
{
	static unsigned char scratch[1];
	soft_init();
	unsigned long tag_len = FHSM_GCM_TAG_SIZE;
	/* gcm_memory works in place and wants non-NULL buffers even for empty data. */
	unsigned char *pt = dir == GCM_ENCRYPT ? (unsigned char *)in : out;
	unsigned char *ct = dir == GCM_ENCRYPT ? out : (unsigned char *)in;
	if (len == 0)
		pt = ct = scratch;
	int rc = gcm_memory(soft_idx.aes, key, key_len, iv, FHSM_GCM_IV_SIZE,
			    aad_len ? aad : scratch, aad_len, pt, len, ct, tag, &tag_len, dir);
	if (rc == CRYPT_OK)
		return FHSM_OK;
	if (len)
		fhsm_wipe(out, len);
	return FHSM_ERR_PROVIDER;
}

fhsm_err fhsm_aes_gcm_seal(const uint8_t *key, size_t key_len, const uint8_t iv[FHSM_GCM_IV_SIZE],
			   const void *aad, size_t aad_len, const void *in, size_t len, uint8_t *out,
			   uint8_t tag[FHSM_GCM_TAG_SIZE])
{
	fhsm_err err = gcm_check(key, key_len, iv, aad, aad_len, in, len, out, tag);
	if (err != FHSM_OK)
		return err;
	return gcm_run(key, key_len, iv, aad, aad_len, in, len, out, tag, GCM_ENCRYPT);
}

fhsm_err fhsm_aes_gcm_open(const uint8_t *key, size_t key_len, const uint8_t iv[FHSM_GCM_IV_SIZE],
			   const void *aad, size_t aad_len, const void *in, size_t len, uint8_t *out,
			   const uint8_t tag[FHSM_GCM_TAG_SIZE])
{
	fhsm_err err = gcm_check(key, key_len, iv, aad, aad_len, in, len, out, tag);
	if (err != FHSM_OK)
		return err;
	/* LibTomCrypt 1.18's gcm_memory does not check the tag when decrypting: it
	 * writes the computed tag into the tag buffer. The check is ours. */
	uint8_t computed[FHSM_GCM_TAG_SIZE];
	err = gcm_run(key, key_len, iv, aad, aad_len, in, len, out, computed, GCM_DECRYPT);
	if (err == FHSM_OK && !fhsm_ct_equal(computed, tag, FHSM_GCM_TAG_SIZE)) {
		if (len)
			fhsm_wipe(out, len);
		err = FHSM_ERR_AUTH;
	}
	fhsm_wipe(computed, sizeof(computed));
	return err;
}

/* AES key wrap (RFC 3394) and key wrap with padding (RFC 5649), which LibTomCrypt
 * 1.18 lacks, on its AES ECB; and the two KDFs of key derivation: HKDF (RFC 5869,
 * LibTomCrypt's hkdf_extract/hkdf_expand) and the ANSI X9.63 KDF (SEC 1 §3.6.1).
 *
 * The integrity checks of unwrapping (the 64-bit IV, the RFC 5649 length and zero
 * padding) are computed without branches on their bytes and decided once at the
 * end. LibTomCrypt's AES is the table implementation: not constant-time (STYLE.md). */
#include <limits.h>
#include <string.h>
#include "fhsm/cipher.h"
#include "soft.h"

static const uint8_t default_iv[8] = {0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6};
static const uint8_t kwp_magic[4] = {0xA6, 0x59, 0x59, 0xA6};

static bool aes_key_ok(const uint8_t *key, size_t key_len)
{
	return key && (key_len == 16 || key_len == 24 || key_len == 32);
}

/* W (RFC 3394 §2.2.1, index form): r holds the n 64-bit blocks, a the integrity value. */
static void kw_forward(symmetric_key *sk, uint8_t a[8], uint8_t *r, size_t n)
{
	uint8_t b[16];
	for (size_t j = 0; j < 6; j++)
		for (size_t i = 0; i < n; i++) {
			memcpy(b, a, 8);
			memcpy(b + 8, r + 8 * i, 8);
			aes_ecb_encrypt(b, b, sk);
			uint64_t t = (uint64_t)n * j + i + 1;
			for (int k = 0; k < 8; k++)
				a[k] = b[k] ^ (uint8_t)(t >> (56 - 8 * k));
			memcpy(r + 8 * i, b + 8, 8);
		}
	fhsm_wipe(b, sizeof(b));
}

static void kw_inverse(symmetric_key *sk, uint8_t a[8], uint8_t *r, size_t n)
{
	uint8_t b[16];
	for (size_t j = 6; j-- > 0;)
		for (size_t i = n; i-- > 0;) {
			uint64_t t = (uint64_t)n * j + i + 1;
			for (int k = 0; k < 8; k++)
				b[k] = a[k] ^ (uint8_t)(t >> (56 - 8 * k));
			memcpy(b + 8, r + 8 * i, 8);
			aes_ecb_decrypt(b, b, sk);
			memcpy(a, b, 8);
			memcpy(r + 8 * i, b + 8, 8);
		}
	fhsm_wipe(b, sizeof(b));
}

static fhsm_err setup(const uint8_t *key, size_t key_len, symmetric_key *sk)
{
	soft_init();
	return aes_setup(key, (int)key_len, 0, sk) == CRYPT_OK ? FHSM_OK : FHSM_ERR_PROVIDER;
}

fhsm_err fhsm_aes_kw_wrap(const uint8_t *key, size_t key_len, const uint8_t *iv, const uint8_t *in, size_t len,
			  uint8_t *out, size_t *out_len)
{
	if (!aes_key_ok(key, key_len) || !in || !out || !out_len || len < 16 || len % 8)
		return FHSM_ERR_ARGS;
	if (*out_len < len + 8) {
		*out_len = len + 8;
		return FHSM_ERR_BUFFER;
	}
	symmetric_key sk;
	uint8_t a[8];
	fhsm_err err = setup(key, key_len, &sk);
	if (err == FHSM_OK) {
		memcpy(a, iv ? iv : default_iv, 8);
		memmove(out + 8, in, len);
		kw_forward(&sk, a, out + 8, len / 8);
		memcpy(out, a, 8);
		*out_len = len + 8;
	}
	fhsm_wipe(&sk, sizeof(sk));
	return err;
}

fhsm_err fhsm_aes_kw_unwrap(const uint8_t *key, size_t key_len, const uint8_t *iv, const uint8_t *in, size_t len,
			    uint8_t *out, size_t *out_len)
{
	if (!aes_key_ok(key, key_len) || !in || !out || !out_len || len < 24 || len % 8)
		return FHSM_ERR_ARGS;
	if (*out_len < len - 8) {
		*out_len = len - 8;
		return FHSM_ERR_BUFFER;
	}
	symmetric_key sk;
	uint8_t a[8];
	fhsm_err err = setup(key, key_len, &sk);
	if (err == FHSM_OK) {
		memcpy(a, in, 8);
		memmove(out, in + 8, len - 8);
		kw_inverse(&sk, a, out, (len - 8) / 8);
		if (fhsm_ct_equal(a, iv ? iv : default_iv, 8)) {
			*out_len = len - 8;
		} else {
			fhsm_wipe(out, len - 8);
			err = FHSM_ERR_AUTH;
		}
	}
	fhsm_wipe(a, sizeof(a));
	fhsm_wipe(&sk, sizeof(sk));
	return err;
}

fhsm_err fhsm_aes_kwp_wrap(const uint8_t *key, size_t key_len, const uint8_t *iv, const uint8_t *in, size_t len,
			   uint8_t *out, size_t *out_len)
{
	if (!aes_key_ok(key, key_len) || !in || !out || !out_len || len == 0 || len > UINT32_MAX)
		return FHSM_ERR_ARGS;
	size_t padded = (len + 7) / 8 * 8;
	if (*out_len < padded + 8) {
		*out_len = padded + 8;
		return FHSM_ERR_BUFFER;
	}
	symmetric_key sk;
	uint8_t a[8];
	fhsm_err err = setup(key, key_len, &sk);
	if (err == FHSM_OK) {
		memcpy(a, iv ? iv : kwp_magic, 4);
		for (int k = 0; k < 4; k++)
			a[4 + k] = (uint8_t)(len >> (24 - 8 * k));
		memmove(out + 8, in, len);
		memset(out + 8 + len, 0, padded - len);
		if (padded == 8) { /* one block: a single AES encryption of AIV || P (§4.1) */
			memcpy(out, a, 8);
			aes_ecb_encrypt(out, out, &sk);
		} else {
			kw_forward(&sk, a, out + 8, padded / 8);
			memcpy(out, a, 8);
		}
		*out_len = padded + 8;
	}
	fhsm_wipe(&sk, sizeof(sk));
	return err;
}

fhsm_err fhsm_aes_kwp_unwrap(const uint8_t *key, size_t key_len, const uint8_t *iv, const uint8_t *in, size_t len,
			     uint8_t *out, size_t *out_len)
{
	if (!aes_key_ok(key, key_len) || !in || !out || !out_len || len < 16 || len % 8)
		return FHSM_ERR_ARGS;
	size_t n = (len - 8) / 8;
	if (*out_len < len - 8) {
		*out_len = len - 8;
		return FHSM_ERR_BUFFER;
	}
	symmetric_key sk;
	uint8_t a[8], blk[16];
	fhsm_err err = setup(key, key_len, &sk);
	if (err != FHSM_OK)
		goto out;
	if (n == 1) {
		aes_ecb_decrypt(in, blk, &sk);
		memcpy(a, blk, 8);
		memcpy(out, blk + 8, 8);
	} else {
		memcpy(a, in, 8);
		memmove(out, in + 8, len - 8);
		kw_inverse(&sk, a, out, n);
	}
	/* §3: the magic, 8(n-1) < MLI <= 8n, and zero padding; one verdict at the end. */
	uint32_t mli = (uint32_t)a[4] << 24 | (uint32_t)a[5] << 16 | (uint32_t)a[6] << 8 | a[7];
	uint32_t bad = !fhsm_ct_equal(a, iv ? iv : kwp_magic, 4);
	bad |= (uint32_t)(mli <= 8 * (n - 1)) | (uint32_t)(mli > 8 * n);
	for (size_t i = 0; i < 8; i++) {
		size_t pos = 8 * (n - 1) + i;
		bad |= (uint32_t)(pos >= mli) & (uint32_t)(out[pos] != 0);
	}
	if (bad) {
		fhsm_wipe(out, len - 8);
		err = FHSM_ERR_AUTH;
	} else {
		*out_len = mli;
	}
out:
	fhsm_wipe(a, sizeof(a));
	fhsm_wipe(blk, sizeof(blk));
	fhsm_wipe(&sk, sizeof(sk));
	return err;
}

/* ---- KDFs ---- */
fhsm_err fhsm_hkdf(fhsm_hash_alg alg, bool extract, bool expand, const uint8_t *salt, size_t salt_len,
		   const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
	static const uint8_t empty[1];
	size_t hl = fhsm_hash_size(alg);
	if (!soft_hash_desc(alg) || alg == FHSM_HASH_MD5 || (!extract && !expand) || (!salt && salt_len) || (!ikm && ikm_len) ||
	    (!info && info_len) || !out || out_len == 0 || salt_len > ULONG_MAX || ikm_len > ULONG_MAX ||
	    info_len > ULONG_MAX)
		return FHSM_ERR_ARGS;
	if (!expand && out_len != hl)
		return FHSM_ERR_ARGS; /* extract only: the PRK itself */
	if (expand && (out_len > 255 * hl || (!extract && ikm_len < hl)))
		return FHSM_ERR_ARGS;
	soft_init();
	int idx = soft_idx.hash[alg];
	uint8_t prk[FHSM_HASH_MAX_SIZE], zeros[FHSM_HASH_MAX_SIZE] = {0};
	unsigned long prk_len = hl;
	int rc = CRYPT_OK;
	const uint8_t *key = ikm ? ikm : empty;
	size_t key_len = ikm_len;
	if (extract) {
		/* No salt: HashLen zeros (RFC 5869 §2.2). */
		rc = hkdf_extract(idx, salt_len ? salt : zeros, salt_len ? salt_len : hl, key, ikm_len, prk, &prk_len);
		key = prk;
		key_len = prk_len;
	}
	if (rc == CRYPT_OK && !expand)
		memcpy(out, prk, hl);
	else if (rc == CRYPT_OK)
		rc = hkdf_expand(idx, info_len ? info : empty, info_len, key, key_len, out, out_len);
	fhsm_wipe(prk, sizeof(prk));
	if (rc != CRYPT_OK) {
		fhsm_wipe(out, out_len);
		return FHSM_ERR_PROVIDER;
	}
	return FHSM_OK;
}

fhsm_err fhsm_x963_kdf(fhsm_hash_alg alg, const uint8_t *z, size_t z_len, const uint8_t *shared, size_t shared_len,
		       uint8_t *out, size_t out_len)
{
	size_t hl = fhsm_hash_size(alg);
	if (!hl || alg == FHSM_HASH_MD5 || !z || (!shared && shared_len) || !out || out_len == 0 ||
	    out_len / hl >= UINT32_MAX)
		return FHSM_ERR_ARGS;
	uint8_t block[FHSM_HASH_MAX_SIZE], *start = out;
	size_t total = out_len;
	fhsm_err err = FHSM_OK;
	for (uint32_t counter = 1; out_len && err == FHSM_OK; counter++) {
		uint8_t c[4] = {(uint8_t)(counter >> 24), (uint8_t)(counter >> 16), (uint8_t)(counter >> 8), (uint8_t)counter};
		fhsm_hash_ctx *h = NULL;
		err = fhsm_hash_new(alg, &h);
		if (err == FHSM_OK)
			err = fhsm_hash_update(h, z, z_len);
		if (err == FHSM_OK)
			err = fhsm_hash_update(h, c, 4);
		if (err == FHSM_OK && shared_len)
			err = fhsm_hash_update(h, shared, shared_len);
		if (err == FHSM_OK)
			err = fhsm_hash_final(h, block);
		fhsm_hash_free(h);
		size_t take = out_len < hl ? out_len : hl;
		if (err == FHSM_OK)
			memcpy(out, block, take);
		out += take;
		out_len -= take;
	}
	fhsm_wipe(block, sizeof(block));
	if (err != FHSM_OK)
		fhsm_wipe(start, total);
	return err;
}

/* Block-cipher modes, AEAD and MACs on LibTomCrypt. Arguments are checked here,
 * before LibTomCrypt sees them: Debian's build aborts on a failed LTC_ARGCHK. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "fhsm/cipher.h"
#include "soft.h"
#include "fhsm/fabric.h"
#include "../fabric/fabric_internal.h"

size_t fhsm_block_size(fhsm_block_cipher c)
{
	return c == FHSM_BLOCK_AES ? 16 : c == FHSM_BLOCK_DES3 ? 8 : 0;
}

bool fhsm_key_size_ok(fhsm_block_cipher c, size_t n)
{
	return c == FHSM_BLOCK_AES ? n == 16 || n == 24 || n == 32 : c == FHSM_BLOCK_DES3 ? n == 16 || n == 24 : false;
}

static int cipher_index(fhsm_block_cipher c)
{
	soft_init();
	return c == FHSM_BLOCK_AES ? soft_idx.aes : soft_idx.des3;
}

/* LibTomCrypt's DES3 wants 24 bytes: a two-key key is K1 K2 K1. */
static const uint8_t *key_for(fhsm_block_cipher c, const uint8_t *key, size_t *len, uint8_t k3[24])
{
	if (c != FHSM_BLOCK_DES3 || *len == 24)
		return key;
	for (int i = 0; i < 24; i++)
		k3[i] = key[i % 16];
	*len = 24;
	return k3;
}

struct fhsm_cipher_ctx {
	fhsm_cipher_mode mode;
	bool encrypt;
	size_t block;
	/* AES with a fabric attached: updates of whole blocks may run there. The
	 * LibTomCrypt state stays the source of truth for the chaining value. */
	bool fabric, unaligned;
	unsigned ctr_bits;
	size_t key_len;
	uint8_t key[32];
	union {
		symmetric_ECB ecb;
		symmetric_CBC cbc;
		symmetric_CTR ctr;
	} u;
};

fhsm_err soft_cipher_new(fhsm_block_cipher c, fhsm_cipher_mode mode, bool encrypt, const uint8_t *key,
			 size_t key_len, const uint8_t *iv, unsigned ctr_bits, fhsm_cipher_ctx **out)
{
	uint8_t k3[24];
	if (!out || !key || !fhsm_key_size_ok(c, key_len) || (mode != FHSM_MODE_ECB && !iv))
		return FHSM_ERR_ARGS;
	size_t block = fhsm_block_size(c);
	if (mode == FHSM_MODE_CTR && (ctr_bits == 0 || ctr_bits > block * 8 || ctr_bits % 8))
		return FHSM_ERR_ARGS;
	fhsm_cipher_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return FHSM_ERR_NOMEM;
	ctx->mode = mode;
	ctx->encrypt = encrypt;
	ctx->block = block;
	int idx = cipher_index(c), rc;
	const uint8_t *k = key_for(c, key, &key_len, k3);
	switch (mode) {
	case FHSM_MODE_ECB:
		rc = ecb_start(idx, k, (int)key_len, 0, &ctx->u.ecb);
		break;
	case FHSM_MODE_CBC:
		rc = cbc_start(idx, iv, k, (int)key_len, 0, &ctx->u.cbc);
		break;
	default:
		/* PKCS#11's counter is the low ctr_bits of the block, big-endian. */
		rc = ctr_start(idx, iv, k, (int)key_len, 0, CTR_COUNTER_BIG_ENDIAN | (int)((ctr_bits / 8) << 8),
			       &ctx->u.ctr);
		break;
	}
	fhsm_wipe(k3, sizeof(k3));
	if (rc != CRYPT_OK) {
		fhsm_cipher_free(ctx);
		return FHSM_ERR_PROVIDER;
	}
	*out = ctx;
	return FHSM_OK;
}

fhsm_err fhsm_cipher_new(fhsm_block_cipher c, fhsm_cipher_mode mode, bool encrypt, const uint8_t *key,
			 size_t key_len, const uint8_t *iv, unsigned ctr_bits, fhsm_cipher_ctx **out)
{
	fhsm_err err = soft_cipher_new(c, mode, encrypt, key, key_len, iv, ctr_bits, out);
	if (err == FHSM_OK && c == FHSM_BLOCK_AES && fhsm_fabric_attached()) {
		fhsm_cipher_ctx *ctx = *out;
		ctx->fabric = true;
		ctx->ctr_bits = ctr_bits;
		ctx->key_len = key_len;
		memcpy(ctx->key, key, key_len);
	}
	return err;
}

/* Adds n to the low `bits` of a big-endian counter block, as LibTomCrypt's CTR does. */
static void ctr_add(uint8_t ctr[16], unsigned bits, uint64_t n)
{
	for (int i = 15; i >= 16 - (int)(bits / 8) && n; i--) {
		n += ctr[i];
		ctr[i] = (uint8_t)n;
		n >>= 8;
	}
}

/* The next counter block: LibTomCrypt keeps the counter of the block its pad
 * came from, and a used-up pad (padlen 16) means the next one is counter + 1. */
static void ctr_next(const fhsm_cipher_ctx *ctx, uint8_t iv[16])
{
	memcpy(iv, ctx->u.ctr.ctr, 16);
	if (ctx->u.ctr.padlen == 16)
		ctr_add(iv, ctx->ctr_bits, 1);
}

/* Whole blocks on the fabric. FHSM_ERR_DEVICE: not taken, run soft. */
static fhsm_err fabric_update(fhsm_cipher_ctx *ctx, const uint8_t *in, size_t len, uint8_t *out)
{
	if (len % 16 || (ctx->mode == FHSM_MODE_CTR && ctx->unaligned) ||
	    !fabric_worth_it(FHSM_ENG_AES, len))
		return FHSM_ERR_DEVICE;
	uint8_t iv[16] = { 0 };
	unsigned mode = FHSM_AES_MODE_ECB;
	if (ctx->mode == FHSM_MODE_CBC) {
		mode = FHSM_AES_MODE_CBC;
		memcpy(iv, ctx->u.cbc.IV, 16);
	} else if (ctx->mode == FHSM_MODE_CTR) {
		mode = FHSM_AES_MODE_CTR;
		ctr_next(ctx, iv);
		/* The fabric counts with all 128 bits: the same as PKCS#11's low
		 * ctr_bits while they do not wrap (checked on the low 64 bits; wider
		 * counters that would carry past bit 63 also go soft). */
		if (ctx->ctr_bits < 128) {
			unsigned bits = ctx->ctr_bits < 64 ? ctx->ctr_bits : 64;
			uint64_t low = 0, n = len / 16;
			for (unsigned i = 16 - bits / 8; i < 16; i++)
				low = low << 8 | iv[i];
			uint64_t room = bits == 64 ? ~low : (1ull << bits) - 1 - low; /* blocks until a wrap */
			if (n > room) {
				fabric_count_fallback(FHSM_FB_UNSUPPORTED);
				return FHSM_ERR_DEVICE;
			}
		}
	}
	fhsm_err err = fhsm_fabric_aes(ctx->key, ctx->key_len, mode, !ctx->encrypt, iv, in, len, out, NULL);
	if (err == FHSM_OK) {
		/* Hand the advanced chaining value back to LibTomCrypt. */
		if (ctx->mode == FHSM_MODE_CBC)
			memcpy(ctx->u.cbc.IV, iv, 16);
		else if (ctx->mode == FHSM_MODE_CTR && ctr_setiv(iv, 16, &ctx->u.ctr) != CRYPT_OK)
			err = FHSM_ERR_PROVIDER;
	}
	fhsm_wipe(iv, sizeof iv);
	return err;
}

fhsm_err fhsm_cipher_update(fhsm_cipher_ctx *ctx, const uint8_t *in, size_t len, uint8_t *out)
{
	int rc;
	if (!ctx || (len && (!in || !out)) || (ctx->mode != FHSM_MODE_CTR && len % ctx->block))
		return FHSM_ERR_ARGS;
	if (len == 0)
		return FHSM_OK;
	if (ctx->fabric) {
		fhsm_err err = fabric_update(ctx, in, len, out);
		if (err != FHSM_ERR_DEVICE)
			return err;
		if (len % 16)
			ctx->unaligned = true;
	}
	switch (ctx->mode) {
	case FHSM_MODE_ECB:
		rc = ctx->encrypt ? ecb_encrypt(in, out, len, &ctx->u.ecb) : ecb_decrypt(in, out, len, &ctx->u.ecb);
		break;
	case FHSM_MODE_CBC:
		rc = ctx->encrypt ? cbc_encrypt(in, out, len, &ctx->u.cbc) : cbc_decrypt(in, out, len, &ctx->u.cbc);
		break;
	default:
		rc = ctr_encrypt(in, out, len, &ctx->u.ctr);
		break;
	}
	return rc == CRYPT_OK ? FHSM_OK : FHSM_ERR_PROVIDER;
}

void fhsm_cipher_free(fhsm_cipher_ctx *ctx)
{
	if (!ctx)
		return;
	fhsm_wipe(ctx, sizeof(*ctx));
	free(ctx);
}

/* A context whose union holds states of very different sizes (GCM's 70 KB of
 * tables beside CCM's 4 KB; CMAC's key schedule beside HMAC's 0.8 KB): only
 * the part in use is zeroed now and wiped at the end, not the whole union. */
static void *ctx_alloc(size_t full, size_t used)
{
	void *p = malloc(full);
	if (p)
		memset(p, 0, used);
	return p;
}

/* A CBC-MAC chain on the fabric: encrypts `first` (16 bytes, or NULL) and then
 * data (whole blocks) in CBC mode from the chaining value mac, keeping only
 * the last block, which becomes mac. CMAC and CCM's MAC are such chains. */
static fhsm_err cbc_mac_fabric(const uint8_t *key, size_t key_len, uint8_t mac[16], const uint8_t *first,
			       const uint8_t *data, size_t len)
{
	uint8_t buf[FHSM_AES_MAX_BLOCKS * 16];
	size_t lead = first ? 16 : 0;
	if (first)
		memcpy(buf, first, 16);
	fhsm_err err = FHSM_OK;
	while ((len || lead) && err == FHSM_OK) {
		size_t n = sizeof buf - lead < len ? sizeof buf - lead : len;
		memcpy(buf + lead, data, n);
		err = fhsm_fabric_aes(key, key_len, FHSM_AES_MODE_CBC, false, mac, buf, lead + n, buf, NULL);
		data += n;
		len -= n;
		lead = 0;
	}
	fhsm_wipe(buf, sizeof buf);
	return err;
}

/* ---- AEAD ---- */
struct fhsm_aead_ctx {
	bool gcm, encrypt;
	size_t tag_len;
	size_t used; /* bytes in use: the fields before u and u's member for the mode */
	/* With a fabric attached, whole blocks may run there: GCM's keystream
	 * (its CTR mode; GHASH stays here), CCM's keystream and CBC-MAC. The
	 * state stays LibTomCrypt's. */
	bool fabric;
	size_t key_len;
	uint8_t key[32];
	union {
		gcm_state gcm;
		ccm_state ccm;
	} u;
};

fhsm_err fhsm_gcm_new(const uint8_t *key, size_t key_len, const uint8_t *iv, size_t iv_len, const uint8_t *aad,
		      size_t aad_len, bool encrypt, fhsm_aead_ctx **out)
{
	if (!out || !key || !fhsm_key_size_ok(FHSM_BLOCK_AES, key_len) || !iv || iv_len == 0 || (!aad && aad_len))
		return FHSM_ERR_ARGS;
	size_t used = offsetof(fhsm_aead_ctx, u) + sizeof(gcm_state);
	fhsm_aead_ctx *ctx = ctx_alloc(sizeof(*ctx), used);
	if (!ctx)
		return FHSM_ERR_NOMEM;
	ctx->used = used;
	ctx->gcm = true;
	ctx->encrypt = encrypt;
	int rc = gcm_init(&ctx->u.gcm, cipher_index(FHSM_BLOCK_AES), key, (int)key_len);
	if (rc == CRYPT_OK)
		rc = gcm_add_iv(&ctx->u.gcm, iv, iv_len);
	if (rc == CRYPT_OK && aad_len)
		rc = gcm_add_aad(&ctx->u.gcm, aad, aad_len);
	if (rc == CRYPT_OK && !aad_len) /* moves the state past the AAD phase */
		rc = gcm_add_aad(&ctx->u.gcm, NULL, 0);
	if (rc != CRYPT_OK) {
		fhsm_aead_free(ctx);
		return FHSM_ERR_PROVIDER;
	}
	if (fhsm_fabric_attached()) {
		ctx->fabric = true;
		ctx->key_len = key_len;
		memcpy(ctx->key, key, key_len);
	}
	*out = ctx;
	return FHSM_OK;
}

fhsm_err fhsm_ccm_new(const uint8_t *key, size_t key_len, const uint8_t *nonce, size_t nonce_len,
		      const uint8_t *aad, size_t aad_len, size_t data_len, size_t tag_len, bool encrypt,
		      fhsm_aead_ctx **out)
{
	if (!out || !key || !fhsm_key_size_ok(FHSM_BLOCK_AES, key_len) || !nonce || nonce_len < 7 ||
	    nonce_len > 13 || (!aad && aad_len) || tag_len < 4 || tag_len > 16 || tag_len % 2)
		return FHSM_ERR_ARGS;
	size_t used = offsetof(fhsm_aead_ctx, u) + sizeof(ccm_state);
	fhsm_aead_ctx *ctx = ctx_alloc(sizeof(*ctx), used);
	if (!ctx)
		return FHSM_ERR_NOMEM;
	ctx->used = used;
	ctx->encrypt = encrypt;
	ctx->tag_len = tag_len;
	int rc = ccm_init(&ctx->u.ccm, cipher_index(FHSM_BLOCK_AES), key, (int)key_len, (int)data_len, (int)tag_len,
			  (int)aad_len);
	if (rc == CRYPT_OK)
		rc = ccm_add_nonce(&ctx->u.ccm, nonce, nonce_len);
	if (rc == CRYPT_OK && aad_len)
		rc = ccm_add_aad(&ctx->u.ccm, aad, aad_len);
	if (rc != CRYPT_OK) {
		fhsm_aead_free(ctx);
		return FHSM_ERR_PROVIDER;
	}
	if (fhsm_fabric_attached()) {
		ctx->fabric = true;
		ctx->key_len = key_len;
		memcpy(ctx->key, key, key_len);
	}
	*out = ctx;
	return FHSM_OK;
}

/* GHASH of whole ciphertext blocks into LibTomCrypt's GCM state, as its
 * gcm_process does after each block. */
static void gcm_ghash_blocks(gcm_state *g, const uint8_t *ct, size_t len)
{
	for (size_t off = 0; off < len; off += 16) {
		for (int i = 0; i < 16; i++)
			g->X[i] ^= ct[off + i];
		gcm_mult_h(g, g->X);
		g->pttotlen += 128;
	}
}

/* GCM's whole blocks with the keystream from the fabric's CTR mode. Taken
 * only at a block boundary of LibTomCrypt's state (TEXT mode, buflen 0: buf
 * holds E(Y) for the next block, X has every earlier block) and while GCM's
 * 32-bit counter does not wrap inside the request (the fabric's counter
 * carries into the upper 96 bits; inc32 does not). *done: bytes processed,
 * 0 when the fabric does not take them. */
static fhsm_err gcm_fabric_blocks(fhsm_aead_ctx *ctx, const uint8_t *in, size_t len, uint8_t *out, size_t *done)
{
	gcm_state *g = &ctx->u.gcm;
	size_t n = len / 16 * 16;
	*done = 0;
	if (n == 0 || g->pttotlen / 8 + n >= 0xFFFFFFFE0ull) /* over GCM's limit: LibTomCrypt says so */
		return FHSM_OK;
	if (g->mode == LTC_GCM_MODE_AAD &&
	    gcm_process(g, NULL, 0, NULL, ctx->encrypt ? GCM_ENCRYPT : GCM_DECRYPT) != CRYPT_OK)
		return FHSM_ERR_PROVIDER; /* (only the AAD -> TEXT step: no data) */
	if (g->mode != LTC_GCM_MODE_TEXT || g->buflen != 0)
		return FHSM_OK;
	uint32_t low = (uint32_t)g->Y[12] << 24 | (uint32_t)g->Y[13] << 16 | (uint32_t)g->Y[14] << 8 | g->Y[15];
	if ((uint64_t)low + n / 16 - 1 > 0xFFFFFFFFull) {
		fabric_count_fallback(FHSM_FB_UNSUPPORTED);
		return FHSM_OK;
	}
	if (!fabric_worth_it(FHSM_ENG_AES, n))
		return FHSM_OK;
	if (!ctx->encrypt) /* the ciphertext is the input, which may also be the output */
		gcm_ghash_blocks(g, in, n);
	uint8_t ctr[16];
	memcpy(ctr, g->Y, 16);
	fhsm_err err = fhsm_fabric_aes(ctx->key, ctx->key_len, FHSM_AES_MODE_CTR, false, ctr, in, n, out, NULL);
	fhsm_wipe(ctr, sizeof ctr);
	if (err != FHSM_OK)
		return err;
	if (ctx->encrypt)
		gcm_ghash_blocks(g, out, n);
	low += (uint32_t)(n / 16); /* inc32, n / 16 times */
	for (int i = 0; i < 4; i++)
		g->Y[15 - i] = (uint8_t)(low >> (8 * i));
	if (cipher_descriptor[g->cipher].ecb_encrypt(g->Y, g->buf, &g->K) != CRYPT_OK)
		return FHSM_ERR_PROVIDER;
	*done = n;
	return FHSM_OK;
}

/* CCM's whole blocks on the fabric: the keystream from its CTR mode, the MAC
 * as a CBC chain. Taken at a block boundary of LibTomCrypt's state: the
 * counter block used up (CTRlen 16) and the MAC either finished (x 0, PAD is
 * the chaining value) or holding one block not yet encrypted (x 16); the
 * chain leaves it finished. The counter lives in the low L bytes, and CCM's
 * length field keeps it from wrapping (checked all the same). */
static fhsm_err ccm_fabric_blocks(fhsm_aead_ctx *ctx, const uint8_t *in, size_t len, uint8_t *out, size_t *done)
{
	ccm_state *c = &ctx->u.ccm;
	size_t n = len / 16 * 16;
	*done = 0;
	if (n == 0 || c->aadlen != c->current_aadlen || c->ptlen < c->current_ptlen + n || c->CTRlen != 16 ||
	    (c->x != 0 && c->x != 16) || c->L < 2 || c->L > 8)
		return FHSM_OK; /* LibTomCrypt takes it (and reports what is wrong) */
	uint8_t ctr[16];
	memcpy(ctr, c->ctr, 16);
	uint64_t room = 0; /* blocks before the L-byte counter wraps */
	for (unsigned i = 16 - (unsigned)c->L; i < 16; i++)
		room = room << 8 | (uint8_t)~ctr[i];
	if (n / 16 > room) {
		fabric_count_fallback(FHSM_FB_UNSUPPORTED);
		return FHSM_OK;
	}
	if (!fabric_worth_it(FHSM_ENG_AES, n))
		return FHSM_OK;
	ctr_add(ctr, 128, 1); /* the first block's counter (no carry out of the L bytes: room >= 1) */
	uint8_t mac[16] = { 0 };
	const uint8_t *first = NULL;
	if (c->x == 16)
		first = c->PAD; /* the pending block goes first, from a zero chaining value */
	else
		memcpy(mac, c->PAD, 16);
	fhsm_err err = FHSM_OK;
	/* The MAC is over the plaintext: before the keystream when encrypting (out
	 * may be in), after it when decrypting. */
	if (ctx->encrypt)
		err = cbc_mac_fabric(ctx->key, ctx->key_len, mac, first, in, n);
	if (err == FHSM_OK)
		err = fhsm_fabric_aes(ctx->key, ctx->key_len, FHSM_AES_MODE_CTR, false, ctr, in, n, out, NULL);
	if (err == FHSM_OK && !ctx->encrypt)
		err = cbc_mac_fabric(ctx->key, ctx->key_len, mac, first, out, n);
	if (err == FHSM_OK) {
		memcpy(c->PAD, mac, 16);
		c->x = 0;
		ctr_add(c->ctr, 128, n / 16); /* the last block's counter; CTRlen stays 16 */
		c->current_ptlen += n;
		*done = n;
	}
	fhsm_wipe(ctr, sizeof ctr);
	fhsm_wipe(mac, sizeof mac);
	return err;
}

fhsm_err fhsm_aead_update(fhsm_aead_ctx *ctx, const uint8_t *in, size_t len, uint8_t *out)
{
	if (!ctx || (len && (!in || !out)))
		return FHSM_ERR_ARGS;
	if (len == 0)
		return FHSM_OK;
	if (ctx->fabric) {
		size_t done;
		fhsm_err err = ctx->gcm ? gcm_fabric_blocks(ctx, in, len, out, &done)
					: ccm_fabric_blocks(ctx, in, len, out, &done);
		if (err != FHSM_OK || done == len)
			return err;
		in += done;
		out += done;
		len -= done;
	}
	int rc;
	/* LibTomCrypt's pt/ct arguments: plaintext first, whichever way we go. */
	uint8_t *pt = ctx->encrypt ? (uint8_t *)in : out, *ct = ctx->encrypt ? out : (uint8_t *)in;
	if (ctx->gcm)
		rc = gcm_process(&ctx->u.gcm, pt, len, ct, ctx->encrypt ? GCM_ENCRYPT : GCM_DECRYPT);
	else
		rc = ccm_process(&ctx->u.ccm, pt, len, ct, ctx->encrypt ? CCM_ENCRYPT : CCM_DECRYPT);
	return rc == CRYPT_OK ? FHSM_OK : FHSM_ERR_PROVIDER;
}

static fhsm_err finish(fhsm_aead_ctx *ctx, uint8_t *tag, size_t *tag_len)
{
	unsigned long n = *tag_len;
	int rc = ctx->gcm ? gcm_done(&ctx->u.gcm, tag, &n) : ccm_done(&ctx->u.ccm, tag, &n);
	*tag_len = n;
	return rc == CRYPT_OK ? FHSM_OK : FHSM_ERR_PROVIDER;
}

fhsm_err fhsm_aead_tag(fhsm_aead_ctx *ctx, uint8_t *tag, size_t tag_len)
{
	uint8_t full[16];
	size_t n = ctx && ctx->gcm ? 16 : ctx ? ctx->tag_len : 0;
	if (!ctx || !tag || tag_len == 0 || tag_len > n)
		return FHSM_ERR_ARGS;
	fhsm_err err = finish(ctx, full, &n);
	if (err == FHSM_OK)
		memcpy(tag, full, tag_len); /* GCM tags may be truncated (PKCS#11 ulTagBits) */
	return err;
}

fhsm_err fhsm_aead_check(fhsm_aead_ctx *ctx, const uint8_t *tag, size_t tag_len)
{
	uint8_t full[16];
	size_t n = ctx && ctx->gcm ? 16 : ctx ? ctx->tag_len : 0;
	if (!ctx || !tag || tag_len == 0 || tag_len > n)
		return FHSM_ERR_ARGS;
	fhsm_err err = finish(ctx, full, &n);
	if (err == FHSM_OK && !fhsm_ct_equal(full, tag, tag_len))
		err = FHSM_ERR_AUTH;
	fhsm_wipe(full, sizeof(full));
	return err;
}

void fhsm_aead_free(fhsm_aead_ctx *ctx)
{
	if (!ctx)
		return;
	fhsm_wipe(ctx, ctx->used);
	free(ctx);
}

/* ---- MACs ---- */

/* HMAC (RFC 2104) on LibTomCrypt's hash descriptors rather than its hmac_*:
 * the keyed states can then be kept and copied (fhsm_mac_key), and a message
 * costs no heap traffic (hmac_init/hmac_done allocate three buffers). */
struct soft_hmac {
	const struct ltc_hash_descriptor *d;
	hash_state inner; /* after K0 ^ ipad, then the message */
	hash_state outer; /* after K0 ^ opad */
};

static fhsm_err hmac_prepare(struct soft_hmac *h, fhsm_hash_alg alg, const uint8_t *key, size_t key_len)
{
	const struct ltc_hash_descriptor *d = soft_hash_desc(alg);
	uint8_t k0[128], pad[128];
	hash_state st;
	if (!d || d->blocksize > sizeof k0 || d->hashsize > sizeof k0)
		return FHSM_ERR_ARGS;
	h->d = d;
	memset(k0, 0, sizeof k0);
	int rc = CRYPT_OK;
	if (key_len > d->blocksize) { /* K0 = H(K) */
		d->init(&st);
		rc = d->process(&st, key, (unsigned long)key_len);
		if (rc == CRYPT_OK)
			rc = d->done(&st, k0);
	} else if (key_len) {
		memcpy(k0, key, key_len);
	}
	for (int pass = 0; pass < 2 && rc == CRYPT_OK; pass++) {
		hash_state *out = pass ? &h->outer : &h->inner;
		for (unsigned long i = 0; i < d->blocksize; i++)
			pad[i] = k0[i] ^ (pass ? 0x5c : 0x36);
		d->init(out);
		rc = d->process(out, pad, d->blocksize);
	}
	fhsm_wipe(k0, sizeof k0);
	fhsm_wipe(pad, sizeof pad);
	fhsm_wipe(&st, sizeof st);
	return rc == CRYPT_OK ? FHSM_OK : FHSM_ERR_PROVIDER;
}

static fhsm_err hmac_finish(struct soft_hmac *h, uint8_t *out)
{
	uint8_t inner[128];
	int rc = h->d->done(&h->inner, inner);
	if (rc == CRYPT_OK)
		rc = h->d->process(&h->outer, inner, h->d->hashsize);
	if (rc == CRYPT_OK)
		rc = h->d->done(&h->outer, out);
	fhsm_wipe(inner, sizeof inner);
	return rc == CRYPT_OK ? FHSM_OK : FHSM_ERR_PROVIDER;
}

struct fhsm_mac_key {
	int alg;
	struct soft_hmac hmac;
	struct soft_gost_md *gost; /* HMAC-GOSTR3411: libgcrypt's keyed state, copied per message */
};

struct fhsm_mac_ctx {
	fhsm_mac_kind kind;
	size_t size;
	size_t used; /* bytes in use: the fields before u and u's member for the kind */
	struct soft_gather g; /* HMAC-SHA-256/224: the inner hash's bulk on the fabric */
	struct soft_gost_md *gost; /* HMAC-GOSTR3411 (libgcrypt): u is unused */
	/* AES-CMAC with a fabric attached: whole blocks may run there as CBC. */
	bool fabric;
	size_t key_len;
	uint8_t key[32];
	union {
		struct soft_hmac hmac;
		omac_state omac;
	} u;
};

static fhsm_mac_ctx *mac_ctx_alloc(fhsm_mac_kind kind)
{
	size_t used = offsetof(fhsm_mac_ctx, u) + (kind == FHSM_MAC_HMAC ? sizeof(struct soft_hmac) : sizeof(omac_state));
	fhsm_mac_ctx *ctx = ctx_alloc(sizeof(fhsm_mac_ctx), used);
	if (ctx) {
		ctx->used = used;
		ctx->kind = kind;
	}
	return ctx;
}

fhsm_err fhsm_mac_key_new(fhsm_mac_kind kind, int alg, const uint8_t *key, size_t key_len, fhsm_mac_key **out)
{
	if (!out || (!key && key_len) || kind != FHSM_MAC_HMAC || !fhsm_hash_size((fhsm_hash_alg)alg))
		return FHSM_ERR_ARGS;
	fhsm_mac_key *k = calloc(1, sizeof(*k));
	if (!k)
		return FHSM_ERR_NOMEM;
	soft_init();
	k->alg = alg;
	fhsm_err err = soft_hash_is_gost((fhsm_hash_alg)alg)
			       ? soft_gost_md_new((fhsm_hash_alg)alg, key ? key : (const uint8_t *)"", key_len, &k->gost)
			       : hmac_prepare(&k->hmac, (fhsm_hash_alg)alg, key, key_len);
	if (err != FHSM_OK) {
		fhsm_mac_key_free(k);
		return err;
	}
	*out = k;
	return FHSM_OK;
}

void fhsm_mac_key_free(fhsm_mac_key *key)
{
	if (!key)
		return;
	soft_gost_md_free(key->gost);
	fhsm_wipe(key, sizeof(*key));
	free(key);
}

fhsm_err fhsm_mac_new_keyed(const fhsm_mac_key *key, fhsm_mac_ctx **out)
{
	if (!key || !out)
		return FHSM_ERR_ARGS;
	fhsm_mac_ctx *ctx = mac_ctx_alloc(FHSM_MAC_HMAC);
	if (!ctx)
		return FHSM_ERR_NOMEM;
	if (key->gost) {
		ctx->size = fhsm_hash_size((fhsm_hash_alg)key->alg);
		fhsm_err err = soft_gost_md_copy(key->gost, &ctx->gost);
		if (err != FHSM_OK) {
			fhsm_mac_free(ctx);
			return err;
		}
		*out = ctx;
		return FHSM_OK;
	}
	ctx->size = key->hmac.d->hashsize;
	ctx->u.hmac = key->hmac;
	if (soft_gather_start(&ctx->g, (fhsm_hash_alg)key->alg) != FHSM_OK) {
		fhsm_mac_free(ctx);
		return FHSM_ERR_NOMEM;
	}
	*out = ctx;
	return FHSM_OK;
}

fhsm_err fhsm_mac_new(fhsm_mac_kind kind, int alg, const uint8_t *key, size_t key_len, fhsm_mac_ctx **out)
{
	uint8_t k3[24];
	if (!out || (!key && key_len))
		return FHSM_ERR_ARGS;
	if (kind == FHSM_MAC_HMAC ? !fhsm_hash_size((fhsm_hash_alg)alg)
				  : !fhsm_key_size_ok((fhsm_block_cipher)alg, key_len))
		return FHSM_ERR_ARGS;
	fhsm_mac_ctx *ctx = mac_ctx_alloc(kind);
	if (!ctx)
		return FHSM_ERR_NOMEM;
	soft_init();
	fhsm_err err;
	if (kind == FHSM_MAC_HMAC && soft_hash_is_gost((fhsm_hash_alg)alg)) {
		ctx->size = fhsm_hash_size((fhsm_hash_alg)alg);
		err = soft_gost_md_new((fhsm_hash_alg)alg, key ? key : (const uint8_t *)"", key_len, &ctx->gost);
	} else if (kind == FHSM_MAC_HMAC) {
		ctx->size = fhsm_hash_size((fhsm_hash_alg)alg);
		err = hmac_prepare(&ctx->u.hmac, (fhsm_hash_alg)alg, key, key_len);
		if (err == FHSM_OK)
			err = soft_gather_start(&ctx->g, (fhsm_hash_alg)alg);
	} else {
		ctx->size = fhsm_block_size((fhsm_block_cipher)alg);
		const uint8_t *k = key_for((fhsm_block_cipher)alg, key, &key_len, k3);
		int rc = omac_init(&ctx->u.omac, cipher_index((fhsm_block_cipher)alg), k, key_len);
		fhsm_wipe(k3, sizeof(k3));
		err = rc == CRYPT_OK ? FHSM_OK : FHSM_ERR_PROVIDER;
		if (alg == FHSM_BLOCK_AES && fhsm_fabric_attached()) {
			ctx->fabric = true;
			ctx->key_len = key_len;
			memcpy(ctx->key, key, key_len);
		}
	}
	if (err != FHSM_OK) {
		fhsm_mac_free(ctx);
		return err;
	}
	*out = ctx;
	return FHSM_OK;
}

size_t fhsm_mac_size(const fhsm_mac_ctx *ctx)
{
	return ctx ? ctx->size : 0;
}

/* CMAC's whole blocks on the fabric: they are CBC encryption with the MAC's
 * chaining value (omac prev) as IV, of which only the last block is kept.
 * LibTomCrypt keeps what CMAC finishes differently: the message's last block,
 * so at least one byte of data stays behind. A partly filled pending block is
 * topped up first and goes along. *used: bytes of data consumed. */
static fhsm_err cmac_fabric_blocks(fhsm_mac_ctx *ctx, const uint8_t *data, size_t len, size_t *used)
{
	omac_state *o = &ctx->u.omac;
	*used = 0;
	if (o->buflen < 0 || o->buflen > 16)
		return FHSM_OK;
	size_t fill = o->buflen ? 16 - (size_t)o->buflen : 0, pending = o->buflen ? 16 : 0;
	if (len <= fill)
		return FHSM_OK;
	size_t body = (len - fill - 1) / 16 * 16;
	if (body == 0 || !fabric_worth_it(FHSM_ENG_AES, pending + body))
		return FHSM_OK;
	if (fill && omac_process(o, data, fill) != CRYPT_OK) /* leaves block full: nothing encrypted yet */
		return FHSM_ERR_PROVIDER;
	fhsm_err err = cbc_mac_fabric(ctx->key, ctx->key_len, o->prev, pending ? o->block : NULL, data + fill, body);
	if (err == FHSM_OK) {
		o->buflen = 0;
		*used = fill + body;
	}
	return err;
}

fhsm_err fhsm_mac_update(fhsm_mac_ctx *ctx, const uint8_t *data, size_t len)
{
	if (!ctx || (!data && len))
		return FHSM_ERR_ARGS;
	if (len == 0)
		return FHSM_OK;
	if (ctx->gost)
		return soft_gost_md_update(ctx->gost, data, len);
	if (ctx->fabric) {
		size_t used;
		fhsm_err err = cmac_fabric_blocks(ctx, data, len, &used);
		if (err != FHSM_OK)
			return err;
		data += used;
		len -= used;
	}
	if (ctx->g.buf)
		return soft_gather_update(&ctx->g, &ctx->u.hmac.inner, data, len);
	int rc = ctx->kind == FHSM_MAC_HMAC ? ctx->u.hmac.d->process(&ctx->u.hmac.inner, data, (unsigned long)len)
					    : omac_process(&ctx->u.omac, data, len);
	return rc == CRYPT_OK ? FHSM_OK : FHSM_ERR_PROVIDER;
}

fhsm_err fhsm_mac_final(fhsm_mac_ctx *ctx, uint8_t *out)
{
	if (!ctx || !out)
		return FHSM_ERR_ARGS;
	if (ctx->gost)
		return soft_gost_md_final(ctx->gost, out);
	if (ctx->kind == FHSM_MAC_HMAC) {
		if (ctx->g.buf && soft_gather_end(&ctx->g, &ctx->u.hmac.inner) != FHSM_OK)
			return FHSM_ERR_PROVIDER;
		return hmac_finish(&ctx->u.hmac, out);
	}
	unsigned long n = ctx->size;
	int rc = omac_done(&ctx->u.omac, out, &n);
	return rc == CRYPT_OK && n == ctx->size ? FHSM_OK : FHSM_ERR_PROVIDER;
}

void fhsm_mac_free(fhsm_mac_ctx *ctx)
{
	if (!ctx)
		return;
	soft_gather_free(&ctx->g);
	soft_gost_md_free(ctx->gost);
	fhsm_wipe(ctx, ctx->used);
	free(ctx);
}

/* The same work as fhsm-bench's crypto rows, called straight on the host layer
 * (the LibTomCrypt soft provider): the difference to the module's figure is what
 * the PKCS#11 layer costs. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bench_raw.h"
#include "fhsm/cipher.h"
#include "fhsm/pk.h"

#define MIB (1u << 20)
static uint8_t *data, *out;
static fhsm_rsa_key *rsa;
static uint8_t ec_priv[32], ec_pub[65], ec_peer[65], ed_priv[32], ed_pub[32], oaep_ct[256];
static const uint8_t msg[32] = "a message of thirty-two bytes.."; /* data changes: the random rows fill it */
static uint8_t rsa_sig[256], ec_sig[64]; /* of msg, to verify */
static size_t oaep_len;
static const struct fhsm_rsa_params pkcs1_sha256 = {FHSM_RSA_PKCS1, FHSM_HASH_SHA256, FHSM_HASH_SHA256, 0, NULL, 0};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int setup(void)
{
	static int done;
	if (done)
		return 0;
	size_t n = sizeof(ec_pub);
	data = calloc(1, MIB);
	out = calloc(1, MIB + 64);
	if (!data || !out || fhsm_rsa_generate(2048, NULL, 0, &rsa) != FHSM_OK ||
	    fhsm_ec_generate(FHSM_EC_P256, ec_priv, ec_pub, &n) != FHSM_OK || fhsm_ed25519_generate(ed_priv, ed_pub) != FHSM_OK)
		return -1;
	struct fhsm_rsa_params p = {FHSM_RSA_OAEP, FHSM_HASH_SHA1, FHSM_HASH_SHA1, 0, NULL, 0};
	oaep_len = sizeof(oaep_ct);
	if (fhsm_rsa_encrypt(rsa, &p, data, 32, oaep_ct, &oaep_len) != FHSM_OK)
		return -1;
	uint8_t dig[32], peer_priv[32];
	size_t rn = sizeof(rsa_sig), en = sizeof(ec_sig), pn = sizeof(ec_peer);
	if (fhsm_hash(FHSM_HASH_SHA256, msg, 32, dig) != FHSM_OK ||
	    fhsm_rsa_sign(rsa, &pkcs1_sha256, dig, 32, rsa_sig, &rn) != FHSM_OK ||
	    fhsm_ecdsa_sign(FHSM_EC_P256, ec_priv, 32, msg, 32, ec_sig, &en) != FHSM_OK ||
	    fhsm_ec_generate(FHSM_EC_P256, peer_priv, ec_peer, &pn) != FHSM_OK)
		return -1;
	done = 1;
	return 0;
}

static size_t nparts(size_t arg)
{
	return arg & RAW_MULTI_PART ? 4 : 1;
}

static int one(enum raw_op op, size_t arg)
{
	static const uint8_t key[32] = {1}, iv[16] = {2};
	uint8_t dig[64], sig[512];
	size_t n = sizeof(sig), len = arg & (RAW_MULTI_PART - 1); /* the AES rows carry their mechanism above */
	switch (op) {
	case RAW_RANDOM:
		return fhsm_random(data, arg);
	case RAW_DIGEST:
		return fhsm_hash(arg >> 32 ? FHSM_HASH_SHA512 : FHSM_HASH_SHA256, data, arg & 0xFFFFFFFF, dig);
	case RAW_HMAC: { /* on a key prepared once, as the module caches it (and the RSA rows' parsed key) */
		static fhsm_mac_key *hk;
		fhsm_mac_ctx *m = NULL;
		int rc = hk ? FHSM_OK : fhsm_mac_key_new(FHSM_MAC_HMAC, FHSM_HASH_SHA256, key, 32, &hk);
		if (!rc)
			rc = fhsm_mac_new_keyed(hk, &m);
		if (!rc)
			rc = fhsm_mac_update(m, data, arg);
		if (!rc)
			rc = fhsm_mac_final(m, dig);
		fhsm_mac_free(m);
		return rc;
	}
	case RAW_AES_CBC_PAD:
	case RAW_AES_CTR: {
		fhsm_cipher_ctx *c;
		bool ctr = op == RAW_AES_CTR;
		size_t whole = ctr ? len : len / 16 * 16 + 16; /* CBC-PAD adds a block of padding */
		int rc = fhsm_cipher_new(FHSM_BLOCK_AES, ctr ? FHSM_MODE_CTR : FHSM_MODE_CBC, true, key, 32, iv, 128, &c);
		for (size_t i = 0, k = nparts(arg), part = len / k; !rc && i < k; i++) /* the last takes the padding */
			rc = fhsm_cipher_update(c, data + i * part, i + 1 < k ? part : whole - i * part, out + i * part);
		fhsm_cipher_free(c);
		return rc;
	}
	case RAW_AES_GCM: {
		fhsm_aead_ctx *g;
		int rc = fhsm_gcm_new(key, 32, iv, 12, NULL, 0, true, &g);
		for (size_t i = 0, k = nparts(arg), part = len / k; !rc && i < k; i++)
			rc = fhsm_aead_update(g, data + i * part, part, out + i * part);
		if (!rc)
			rc = fhsm_aead_tag(g, dig, 16);
		fhsm_aead_free(g);
		return rc;
	}
	case RAW_SIGN: {
		if (arg == 3)
			return fhsm_ed25519_sign(ed_priv, msg, 32, sig);
		int rc = fhsm_hash(FHSM_HASH_SHA256, msg, 32, dig);
		struct fhsm_rsa_params p = {arg == 1 ? FHSM_RSA_PSS : FHSM_RSA_PKCS1, FHSM_HASH_SHA256, FHSM_HASH_SHA256, 32,
					    NULL, 0};
		if (!rc)
			rc = arg == 2 ? fhsm_ecdsa_sign(FHSM_EC_P256, ec_priv, 32, msg, 32, sig, &n)
				      : fhsm_rsa_sign(rsa, &p, dig, 32, sig, &n);
		return rc;
	}
	case RAW_VERIFY: { /* arg 1: ECDSA over a 32-byte digest, 0: SHA256-RSA-PKCS */
		if (arg == 1)
			return fhsm_ecdsa_verify(FHSM_EC_P256, ec_pub, sizeof(ec_pub), msg, 32, ec_sig, sizeof(ec_sig));
		fhsm_err rc = fhsm_hash(FHSM_HASH_SHA256, msg, 32, dig);
		return rc ? rc : fhsm_rsa_verify(rsa, &pkcs1_sha256, dig, 32, rsa_sig, sizeof(rsa_sig));
	}
	case RAW_ECDH:
		return fhsm_ecdh(FHSM_EC_P256, ec_priv, sizeof(ec_priv), ec_peer, sizeof(ec_peer), sig, &n);
	case RAW_NONE:
		break;
	case RAW_OAEP: {
		struct fhsm_rsa_params p = {FHSM_RSA_OAEP, FHSM_HASH_SHA1, FHSM_HASH_SHA1, 0, NULL, 0};
		return fhsm_rsa_decrypt(rsa, &p, oaep_ct, oaep_len, sig, &n);
	}
	}
	return -1;
}

double raw_row(enum raw_op op, size_t arg, double seconds)
{
	if (setup())
		return -1;
	size_t ops = 0;
	double t0 = now(), t;
	do {
		if (one(op, arg))
			return -1;
		ops++;
	} while ((t = now()) - t0 < seconds);
	return ops / (t - t0);
}

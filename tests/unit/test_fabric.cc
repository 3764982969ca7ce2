// The fabric as a device, through the host driver: the same known-answer and
// differential tests over both providers (TEST_P over {soft, sim}) against
// independent oracles (LibTomCrypt called directly, GMP's mpz_powm, FIPS
// vectors), proof that the fabric did the work (its counters), fault injection
// on the link, and 8 threads mixing jobs.
#include <gtest/gtest.h>

#include <gmp.h>
#include <tomcrypt.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fhsm/cipher.h"
#include "fhsm/fabric.h"
#include "fhsm/pk.h"

#include "hex.h"

using fhsm_test::hex;

namespace {

enum Provider { SOFT, SIM };

uint64_t total(const uint64_t (&a)[FHSM_MAX_ENGINES])
{
	uint64_t t = 0;
	for (uint64_t v : a)
		t += v;
	return t;
}

// LibTomCrypt directly: the oracle for AES.
std::vector<uint8_t> ltc_aes(const uint8_t *key, size_t klen, unsigned mode, bool dec, const uint8_t *iv,
			     const std::vector<uint8_t> &in)
{
	register_cipher(&aes_desc);
	int idx = find_cipher("aes");
	std::vector<uint8_t> out(in.size());
	if (mode == FHSM_AES_MODE_ECB) {
		symmetric_ECB e;
		ecb_start(idx, key, (int)klen, 0, &e);
		dec ? ecb_decrypt(in.data(), out.data(), in.size(), &e) : ecb_encrypt(in.data(), out.data(), in.size(), &e);
	} else if (mode == FHSM_AES_MODE_CBC) {
		symmetric_CBC c;
		cbc_start(idx, iv, key, (int)klen, 0, &c);
		dec ? cbc_decrypt(in.data(), out.data(), in.size(), &c) : cbc_encrypt(in.data(), out.data(), in.size(), &c);
	} else {
		symmetric_CTR c;
		ctr_start(idx, iv, key, (int)klen, 0, CTR_COUNTER_BIG_ENDIAN, &c);
		ctr_encrypt(in.data(), out.data(), in.size(), &c);
	}
	return out;
}

// Feeds len bytes through an AEAD context in updates of steps[k0 % 7],
// steps[(k0 + 1) % 7], ... (in and out may be the same buffer).
void aead_stream(fhsm_aead_ctx *ctx, const uint8_t *in, uint8_t *out, size_t len, const size_t (&steps)[7], size_t k0)
{
	for (size_t off = 0, k = k0; off < len; k++) {
		size_t n = std::min(steps[k % 7], len - off);
		ASSERT_EQ(fhsm_aead_update(ctx, in + off, n, out + off), FHSM_OK) << "at " << off;
		off += n;
	}
}

class Fabric : public ::testing::TestWithParam<Provider> {
protected:
	void SetUp() override
	{
		if (GetParam() == SIM) {
#ifndef FHSM_HAVE_SIM
			GTEST_SKIP() << "built without Verilator: no simulated fabric";
#else
			struct fhsm_fabric_config cfg;
			fhsm_fabric_config_default(&cfg, FHSM_TRANSPORT_SIM);
			cfg.min_bytes[FHSM_ENG_AES] = cfg.min_bytes[FHSM_ENG_SHA256] = 0;
			ASSERT_EQ(fhsm_fabric_attach(&cfg), FHSM_OK);
			fhsm_fabric_read_stats(&st0);
			ASSERT_TRUE(st0.up);
			for (int k = 1; k < FHSM_ENG_KINDS; k++)
				ASSERT_EQ(st0.kat[k], 1) << "engine kind " << k;
#endif
		}
	}
	void TearDown() override { fhsm_fabric_detach(); }
	// Jobs of a kind the fabric served since SetUp (0 for soft).
	uint64_t fabric_jobs(int kind)
	{
		struct fhsm_fabric_stats st;
		fhsm_fabric_read_stats(&st);
		return total(st.jobs[kind]) - total(st0.jobs[kind]);
	}
	uint64_t fabric_cycles(int kind)
	{
		struct fhsm_fabric_stats st;
		fhsm_fabric_read_stats(&st);
		return total(st.cycles[kind]) - total(st0.cycles[kind]);
	}
	struct fhsm_fabric_stats st0 {};
};

TEST_P(Fabric, AesKnownAnswersSp80038a)
{
	// SP 800-38A F.2.1 (CBC-AES128.Encrypt) and F.5.5 (CTR-AES256.Encrypt), first two blocks.
	const uint8_t k128[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
	const uint8_t pt[32] = {0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a,
				0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03, 0xac, 0x9c, 0x9e, 0xb7, 0x6f, 0xac, 0x45, 0xaf, 0x8e, 0x51};
	uint8_t iv[16], out[32];
	for (int i = 0; i < 16; i++)
		iv[i] = (uint8_t)i;
	ASSERT_EQ(fhsm_fabric_aes(k128, 16, FHSM_AES_MODE_CBC, false, iv, pt, 32, out, nullptr), FHSM_OK);
	EXPECT_EQ(hex(out, 32), "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2");
	EXPECT_EQ(hex(iv, 16), "5086cb9b507219ee95db113a917678b2") << "CBC chains from the last block";
	const uint8_t k256[32] = {0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe, 0x2b, 0x73, 0xae, 0xf0, 0x85, 0x7d, 0x77, 0x81,
				  0x1f, 0x35, 0x2c, 0x07, 0x3b, 0x61, 0x08, 0xd7, 0x2d, 0x98, 0x10, 0xa3, 0x09, 0x14, 0xdf, 0xf4};
	for (int i = 0; i < 16; i++)
		iv[i] = (uint8_t)(0xf0 + i);
	ASSERT_EQ(fhsm_fabric_aes(k256, 32, FHSM_AES_MODE_CTR, false, iv, pt, 32, out, nullptr), FHSM_OK);
	EXPECT_EQ(hex(out, 32), "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5");
	EXPECT_EQ(hex(iv, 16), "f0f1f2f3f4f5f6f7f8f9fafbfcfdff01") << "the counter advanced by two";
	if (GetParam() == SIM) {
		EXPECT_EQ(fabric_jobs(FHSM_ENG_AES), 2u);
		EXPECT_EQ(fabric_cycles(FHSM_ENG_AES) > 0, true);
	}
}

TEST_P(Fabric, AesRandomAgainstLibTomCrypt)
{
	std::mt19937 rng(11);
	int jobs = 0;
	for (int i = 0; i < 60; i++) {
		size_t klen = 16 + 8 * (rng() % 3);
		unsigned mode = rng() % 3;
		bool dec = rng() & 1;
		uint8_t key[32], iv[16], iv0[16];
		for (auto &b : key) b = (uint8_t)rng();
		for (auto &b : iv) b = (uint8_t)rng();
		memcpy(iv0, iv, 16);
		// Up to 3 jobs' worth (64 blocks each) so that chaining across jobs is covered.
		std::vector<uint8_t> in(16 * (1 + rng() % 160)), out(in.size());
		for (auto &b : in) b = (uint8_t)rng();
		jobs += (int)((in.size() / 16 + FHSM_AES_MAX_BLOCKS - 1) / FHSM_AES_MAX_BLOCKS);
		ASSERT_EQ(fhsm_fabric_aes(key, klen, mode, dec, iv, in.data(), in.size(), out.data(), nullptr), FHSM_OK);
		ASSERT_EQ(out, ltc_aes(key, klen, mode, dec, iv0, in)) << "case " << i << " mode " << mode;
		// The chaining value handed back: CBC's last ciphertext block, CTR's
		// counter advanced by the number of blocks (as a 128-bit number).
		uint8_t want_iv[16];
		memcpy(want_iv, iv0, 16);
		if (mode == FHSM_AES_MODE_CBC)
			memcpy(want_iv, (dec ? in : out).data() + in.size() - 16, 16);
		else if (mode == FHSM_AES_MODE_CTR)
			for (unsigned long long c = in.size() / 16, b = 15; c; b--, c >>= 8) {
				unsigned v = want_iv[b] + (unsigned)(c & 0xff);
				want_iv[b] = (uint8_t)v;
				c += (unsigned long long)(v >> 8) << 8; // carry into the next byte
			}
		EXPECT_EQ(hex(iv, 16), hex(want_iv, 16)) << "case " << i << " mode " << mode;
	}
	if (GetParam() == SIM) {
		EXPECT_EQ(fabric_jobs(FHSM_ENG_AES), (uint64_t)jobs);
	}
}

// The engine API routes AES contexts to the fabric: streaming updates of mixed
// sizes (some too small or unaligned for it) must still chain exactly.
TEST_P(Fabric, CipherContextsMixFabricAndSoftUpdates)
{
	std::mt19937 rng(5);
	for (unsigned mode = 0; mode < 3; mode++) {
		uint8_t key[16], iv[16];
		for (auto &b : key) b = (uint8_t)rng();
		for (auto &b : iv) b = (uint8_t)rng();
		std::vector<uint8_t> in(16 * 200), out(in.size());
		for (auto &b : in) b = (uint8_t)rng();
		fhsm_cipher_ctx *ctx;
		ASSERT_EQ(fhsm_cipher_new(FHSM_BLOCK_AES, (fhsm_cipher_mode)mode, true, key, 16, iv, 128, &ctx), FHSM_OK);
		size_t off = 0;
		const size_t steps[] = {16, 1024, 32, 2048, 48, 16 * 9};
		for (size_t k = 0; off < in.size(); k++) {
			size_t n = std::min(steps[k % 6], in.size() - off);
			ASSERT_EQ(fhsm_cipher_update(ctx, in.data() + off, n, out.data() + off), FHSM_OK);
			off += n;
		}
		fhsm_cipher_free(ctx);
		EXPECT_EQ(out, ltc_aes(key, 16, mode, false, iv, in)) << "mode " << mode;
	}
	if (GetParam() == SIM) {
		EXPECT_GT(fabric_jobs(FHSM_ENG_AES), 0u);
	}
}

// GCM's keystream of whole blocks comes from the fabric's CTR mode, GHASH
// stays on the host: streams of mixed update sizes (unaligned ones push the
// state off a block boundary, where it stays soft), 96-bit and other IV
// lengths, in-place decryption; ciphertext and tag against LibTomCrypt's
// gcm_memory.
TEST_P(Fabric, GcmStreamsAgainstLibTomCrypt)
{
	std::mt19937 rng(17);
	register_cipher(&aes_desc);
	const size_t steps[] = {16, 1024, 7, 2048, 48, 16 * 9, 4096};
	for (int c = 0; c < 6; c++) {
		size_t klen = 16 + 8 * (c % 3), ivlen = c < 3 ? 12 : 16 + c;
		std::vector<uint8_t> key(klen), iv(ivlen), aad(c * 5), pt(16 * 300 + c * 3), ct(pt.size());
		for (auto *v : {&key, &iv, &aad, &pt})
			for (auto &b : *v) b = (uint8_t)rng();
		std::vector<uint8_t> want(pt.size());
		uint8_t want_tag[16];
		unsigned long tl = 16;
		std::vector<uint8_t> pt_copy = pt;
		ASSERT_EQ(gcm_memory(find_cipher("aes"), key.data(), klen, iv.data(), ivlen, aad.data(), aad.size(),
				     pt_copy.data(), pt.size(), want.data(), want_tag, &tl, GCM_ENCRYPT), CRYPT_OK);
		fhsm_aead_ctx *ctx;
		ASSERT_EQ(fhsm_gcm_new(key.data(), klen, iv.data(), ivlen, aad.data(), aad.size(), true, &ctx), FHSM_OK);
		aead_stream(ctx, pt.data(), ct.data(), pt.size(), steps, c);
		uint8_t tag[16];
		ASSERT_EQ(fhsm_aead_tag(ctx, tag, 16), FHSM_OK);
		fhsm_aead_free(ctx);
		ASSERT_EQ(ct, want) << "case " << c;
		ASSERT_EQ(hex(tag, 16), hex(want_tag, 16)) << "case " << c;
		// Decrypt in place, in other steps, and check the tag.
		ASSERT_EQ(fhsm_gcm_new(key.data(), klen, iv.data(), ivlen, aad.data(), aad.size(), false, &ctx), FHSM_OK);
		aead_stream(ctx, ct.data(), ct.data(), ct.size(), steps, c + 3); // in place, other steps
		EXPECT_EQ(fhsm_aead_check(ctx, want_tag, 16), FHSM_OK) << "case " << c;
		fhsm_aead_free(ctx);
		EXPECT_EQ(ct, pt) << "case " << c;
	}
	if (GetParam() == SIM) {
		EXPECT_GT(fabric_jobs(FHSM_ENG_AES), 12u);
	}
}

// CCM's whole blocks: the keystream from the fabric's CTR mode and the MAC as a
// CBC chain on it; partial blocks stay with LibTomCrypt. Nonce lengths 7 to 13
// (L = 8 down to 2), tag lengths, AAD or none, mixed and unaligned updates,
// in-place decryption; against LibTomCrypt's ccm_memory (its one-shot path
// is separate code from the ccm_process state machine we step around).
TEST_P(Fabric, CcmStreamsAgainstLibTomCrypt)
{
	std::mt19937 rng(29);
	register_cipher(&aes_desc);
	const size_t steps[] = {1024, 16, 5, 2048, 48, 11, 4096};
	for (int c = 0; c < 7; c++) {
		size_t klen = 16 + 8 * (c % 3), nlen = 7 + c, taglen = 4 + 2 * c;
		std::vector<uint8_t> key(klen), nonce(nlen), aad(c % 2 ? 0 : 3 + 7 * c), pt(16 * 280 + 5 * c), ct(pt.size());
		for (auto *v : {&key, &nonce, &aad, &pt})
			for (auto &b : *v) b = (uint8_t)rng();
		std::vector<uint8_t> want(pt.size()), pt_copy = pt;
		uint8_t want_tag[16], none = 0;
		unsigned long tl = taglen;
		ASSERT_EQ(ccm_memory(find_cipher("aes"), key.data(), klen, nullptr, nonce.data(), nlen,
				     aad.empty() ? &none : aad.data(), aad.size(), pt_copy.data(), pt.size(), want.data(),
				     want_tag, &tl, CCM_ENCRYPT), CRYPT_OK);
		fhsm_aead_ctx *ctx;
		ASSERT_EQ(fhsm_ccm_new(key.data(), klen, nonce.data(), nlen, aad.empty() ? nullptr : aad.data(), aad.size(),
				       pt.size(), taglen, true, &ctx), FHSM_OK);
		aead_stream(ctx, pt.data(), ct.data(), pt.size(), steps, c);
		uint8_t tag[16];
		ASSERT_EQ(fhsm_aead_tag(ctx, tag, taglen), FHSM_OK);
		fhsm_aead_free(ctx);
		ASSERT_EQ(ct, want) << "case " << c;
		ASSERT_EQ(hex(tag, taglen), hex(want_tag, taglen)) << "case " << c;
		ASSERT_EQ(fhsm_ccm_new(key.data(), klen, nonce.data(), nlen, aad.empty() ? nullptr : aad.data(), aad.size(),
				       ct.size(), taglen, false, &ctx), FHSM_OK);
		aead_stream(ctx, ct.data(), ct.data(), ct.size(), steps, c + 3); // in place, other steps
		EXPECT_EQ(fhsm_aead_check(ctx, want_tag, taglen), FHSM_OK) << "case " << c;
		fhsm_aead_free(ctx);
		EXPECT_EQ(ct, pt) << "case " << c;
	}
	if (GetParam() == SIM) {
		EXPECT_GT(fabric_jobs(FHSM_ENG_AES), 14u);
	}
}

// AES-CMAC's whole blocks run on the fabric as CBC; the last block (whole or
// not) and partial blocks stay with LibTomCrypt. Against omac_memory.
TEST_P(Fabric, CmacStreamsAgainstLibTomCrypt)
{
	std::mt19937 rng(23);
	register_cipher(&aes_desc);
	const size_t steps[] = {1024, 5, 16, 2048, 33, 160, 4096};
	const size_t lengths[] = {0, 16, 1024, 1040, 3000, 16 * 300, 16 * 300 + 9};
	for (int c = 0; c < 7; c++) {
		size_t klen = 16 + 8 * (c % 3);
		std::vector<uint8_t> key(klen), msg(lengths[c]);
		for (auto *v : {&key, &msg})
			for (auto &b : *v) b = (uint8_t)rng();
		uint8_t want[16], got[16];
		unsigned long wl = 16;
		const uint8_t none = 0; // LibTomCrypt wants a pointer even for the empty message
		ASSERT_EQ(omac_memory(find_cipher("aes"), key.data(), klen, msg.empty() ? &none : msg.data(), msg.size(),
				      want, &wl), CRYPT_OK);
		fhsm_mac_ctx *ctx;
		ASSERT_EQ(fhsm_mac_new(FHSM_MAC_CMAC, FHSM_BLOCK_AES, key.data(), klen, &ctx), FHSM_OK);
		for (size_t off = 0, k = c; off < msg.size(); k++) {
			size_t n = std::min(steps[k % 7], msg.size() - off);
			ASSERT_EQ(fhsm_mac_update(ctx, msg.data() + off, n), FHSM_OK);
			off += n;
		}
		ASSERT_EQ(fhsm_mac_final(ctx, got), FHSM_OK);
		fhsm_mac_free(ctx);
		EXPECT_EQ(hex(got, 16), hex(want, 16)) << "case " << c << " length " << msg.size();
	}
	if (GetParam() == SIM) {
		EXPECT_GT(fabric_jobs(FHSM_ENG_AES), 5u);
	}
}

TEST_P(Fabric, Sha256AgainstLibTomCrypt)
{
	register_hash(&sha256_desc);
	std::mt19937 rng(3);
	// Lengths around block and job boundaries, then random ones.
	std::vector<size_t> lens = {0, 55, 56, 63, 64, 65, 119, 128, 1023, 1024, 1025, 4096 + 17};
	for (int i = 0; i < 30; i++)
		lens.push_back(rng() % 5000);
	for (size_t len : lens) {
		std::vector<uint8_t> m(len);
		for (auto &b : m) b = (uint8_t)rng();
		uint8_t got[32], want[32];
		// Two updates, the first one unaligned, through the engine API.
		fhsm_hash_ctx *ctx;
		ASSERT_EQ(fhsm_hash_new(FHSM_HASH_SHA256, &ctx), FHSM_OK);
		size_t cut = len / 3;
		ASSERT_EQ(fhsm_hash_update(ctx, m.data(), cut), FHSM_OK);
		ASSERT_EQ(fhsm_hash_update(ctx, m.data() + cut, len - cut), FHSM_OK);
		ASSERT_EQ(fhsm_hash_final(ctx, got), FHSM_OK);
		fhsm_hash_free(ctx);
		hash_state st;
		sha256_init(&st);
		if (len)  // LibTomCrypt aborts on NULL even for no bytes
			sha256_process(&st, m.data(), len);
		sha256_done(&st, want);
		ASSERT_EQ(hex(got, 32), hex(want, 32)) << "length " << len;
	}
	if (GetParam() == SIM) {
		EXPECT_GT(fabric_jobs(FHSM_ENG_SHA256), 0u);
	}
}

// HMAC-SHA-256 fed 64 bytes at a time (as pkcs11-tool does): the inner hash's
// bulk gathers into whole jobs for the fabric.
TEST_P(Fabric, HmacSha256SmallUpdatesAgainstLibTomCrypt)
{
	register_hash(&sha256_desc);
	std::mt19937 rng(8);
	for (size_t len : {0u, 63u, 1024u, 3000u, 10000u}) {
		std::vector<uint8_t> m(len), key(1 + rng() % 100);
		for (auto &b : m) b = (uint8_t)rng();
		for (auto &b : key) b = (uint8_t)rng();
		fhsm_mac_ctx *ctx;
		ASSERT_EQ(fhsm_mac_new(FHSM_MAC_HMAC, FHSM_HASH_SHA256, key.data(), key.size(), &ctx), FHSM_OK);
		for (size_t off = 0; off < len; off += 64)
			ASSERT_EQ(fhsm_mac_update(ctx, m.data() + off, std::min<size_t>(64, len - off)), FHSM_OK);
		uint8_t got[32], want[32];
		unsigned long wl = sizeof want;
		ASSERT_EQ(fhsm_mac_final(ctx, got), FHSM_OK);
		fhsm_mac_free(ctx);
		static const uint8_t none[1] = {0};
		ASSERT_EQ(hmac_memory(find_hash("sha256"), key.data(), key.size(), len ? m.data() : none, len, want, &wl),
			  CRYPT_OK);
		EXPECT_EQ(hex(got, 32), hex(want, 32)) << "length " << len;
	}
	if (GetParam() == SIM) {
		EXPECT_EQ(fabric_jobs(FHSM_ENG_SHA256), 1u + 2u + 9u) << "whole 1 KiB jobs only";
	}
}

TEST_P(Fabric, ModexpAgainstGmp)
{
	gmp_randstate_t rs;
	gmp_randinit_default(rs);
	gmp_randseed_ui(rs, 99);
	mpz_t n, x, e, want;
	mpz_inits(n, x, e, want, NULL);
	int cases = 0;
	for (unsigned bits : {17u, 64u, 255u, 512u, 1024u}) {
		for (int v = 0; v < 6; v++) {
			mpz_urandomb(n, rs, bits);
			mpz_setbit(n, bits - 1);
			mpz_setbit(n, 0);
			switch (v) {
			case 0: mpz_set_ui(x, 0); break;
			case 1: mpz_set_ui(x, 1); break;
			case 2: mpz_sub_ui(x, n, 1); break;
			default: mpz_urandomm(x, rs, n);
			}
			const unsigned long small_e[] = {1, 3, 65537};
			if (v < 3)
				mpz_set_ui(e, small_e[v]);
			else
				mpz_urandomb(e, rs, bits);
			mpz_powm(want, x, e, n);
			uint8_t nb[128], xb[128], eb[128], got[128], wb[128] = {0};
			size_t nl, xl, el, wl;
			mpz_export(nb, &nl, 1, 1, 1, 0, n);
			mpz_export(xb, &xl, 1, 1, 1, 0, x);
			mpz_export(eb, &el, 1, 1, 1, 0, e);
			mpz_export(wb, &wl, 1, 1, 1, 0, want);
			static struct fhsm_modexp m;
			ASSERT_EQ(fhsm_modexp_prepare(&m, nb, nl, xb, xl, eb, el), FHSM_OK);
			ASSERT_EQ(fhsm_job_run(&m.job), FHSM_OK);
			fhsm_modexp_result(&m, got, nl);
			uint8_t w[128] = {0};
			memcpy(w + nl - wl, wb, wl);
			ASSERT_EQ(hex(got, nl), hex(w, nl)) << bits << " bits, case " << v;
			cases++;
		}
	}
	mpz_clears(n, x, e, want, NULL);
	gmp_randclear(rs);
	if (GetParam() == SIM) {
		EXPECT_EQ(fabric_jobs(FHSM_ENG_MODEXP), (uint64_t)cases);
	}
}

// RSA PKCS#1 v1.5 signatures are deterministic: the fabric's (blinded CRT on
// two engines) must equal the soft provider's byte for byte, and verify.
TEST_P(Fabric, RsaSignaturesIdenticalToSoft)
{
	fhsm_rsa_key *k;
	ASSERT_EQ(fhsm_rsa_generate(1024, nullptr, 0, &k), FHSM_OK);
	uint8_t msg[32];  // a SHA-256 digest's worth
	for (int i = 0; i < 32; i++)
		msg[i] = (uint8_t)(7 * i);
	struct fhsm_rsa_params p = {};
	p.pad = FHSM_RSA_PKCS1;
	p.hash = FHSM_HASH_SHA256;
	uint8_t sig[128], again[128];
	size_t sl = sizeof sig, al = sizeof again;
	ASSERT_EQ(fhsm_rsa_sign(k, &p, msg, sizeof msg, sig, &sl), FHSM_OK);
	ASSERT_EQ(fhsm_rsa_verify(k, &p, msg, sizeof msg, sig, sl), FHSM_OK);
	if (GetParam() == SIM) {
		EXPECT_EQ(fabric_jobs(FHSM_ENG_MODEXP), 3u) << "two CRT halves + the public verify";
	}
	fhsm_fabric_detach();
	ASSERT_EQ(fhsm_rsa_sign(k, &p, msg, sizeof msg, again, &al), FHSM_OK);
	EXPECT_EQ(hex(sig, sl), hex(again, al));
	fhsm_rsa_free(k);
}

INSTANTIATE_TEST_SUITE_P(Providers, Fabric, ::testing::Values(SOFT, SIM),
			 [](const ::testing::TestParamInfo<Provider> &i) { return i.param == SOFT ? "soft" : "sim"; });

// ---- without a device, and with one that never answers ----

// FIPS-197-style check that a job still gives the right answer (in software).
void expect_aes_of_zeros(size_t len)
{
	std::vector<uint8_t> in(len), out(len);
	uint8_t key[16] = {0}, iv[16] = {0};
	ASSERT_EQ(fhsm_fabric_aes(key, 16, FHSM_AES_MODE_ECB, false, iv, in.data(), len, out.data(), nullptr), FHSM_OK);
	EXPECT_EQ(hex(out.data(), 16), "66e94bd4ef8a2c3b884cfa59ca342b2e");  // AES-128(0^128) under the zero key
}

TEST(FabricFallback, NoDeviceCountsAndServesSoft)
{
	expect_aes_of_zeros(32);
	struct fhsm_fabric_stats st;
	fhsm_fabric_read_stats(&st);
	EXPECT_FALSE(st.attached);
	EXPECT_EQ(st.fallback[FHSM_FB_NO_DEVICE], 1u);
	EXPECT_EQ(st.soft_jobs[FHSM_ENG_AES], 1u);
}

TEST(FabricFallback, SilentDeviceIsMarkedDownAndNothingIsLost)
{
	struct fhsm_fabric_config cfg;
	fhsm_fabric_config_default(&cfg, FHSM_TRANSPORT_NULL);
	cfg.timeout_ms = 30;
	cfg.retries = 1;
	ASSERT_EQ(fhsm_fabric_attach(&cfg), FHSM_OK);
	struct fhsm_fabric_stats st;
	fhsm_fabric_read_stats(&st);
	EXPECT_TRUE(st.attached);
	EXPECT_FALSE(st.up);
	EXPECT_GE(st.timeouts, 2u) << "INFO sent, timed out, resent, timed out";
	expect_aes_of_zeros(32);
	fhsm_fabric_read_stats(&st);
	EXPECT_EQ(st.fallback[FHSM_FB_DEVICE_DOWN], 1u);
	EXPECT_NE(fhsm_fabric_self_test(), FHSM_OK);
	fhsm_fabric_detach();
}

// The usb transport with no board on this machine: found nowhere, with a
// message naming what was looked for; attaching gives a device that is down
// (not a hang) and jobs that finish in software.
TEST(FabricUsb, NoBoard)
{
	struct fhsm_fabric_config cfg;
	fhsm_fabric_config_default(&cfg, FHSM_TRANSPORT_USB);
	char why[160];
	EXPECT_FALSE(fhsm_fabric_usb_present(&cfg, why, sizeof why));
	EXPECT_NE(std::string(why).find("0403:6010"), std::string::npos) << why;
	cfg.usb_vid = 0x1d50;
	cfg.usb_pid = 0x6146;
	cfg.usb_serial = "fhsm-test";
	EXPECT_FALSE(fhsm_fabric_usb_present(&cfg, why, sizeof why));
#ifdef FHSM_HAVE_USB
	EXPECT_NE(std::string(why).find("1d50:6146 serial fhsm-test"), std::string::npos) << why;
	cfg.probe_ms = 20;
	ASSERT_EQ(fhsm_fabric_attach(&cfg), FHSM_OK);
	struct fhsm_fabric_stats st;
	fhsm_fabric_read_stats(&st);
	EXPECT_TRUE(st.attached);
	EXPECT_FALSE(st.up);
	expect_aes_of_zeros(512);
	std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the health thread looks again, finds none
	fhsm_fabric_read_stats(&st);
	EXPECT_FALSE(st.up);
	EXPECT_EQ(st.reconnects, 0u);
	EXPECT_EQ(st.fallback[FHSM_FB_DEVICE_DOWN], 1u);
	fhsm_fabric_detach();
#else
	EXPECT_NE(std::string(why).find("no usb transport"), std::string::npos) << why;
#endif
}

#ifdef FHSM_HAVE_SIM

// ---- the simulated fabric under faults ----

struct Mixed {
	std::vector<uint8_t> key, iv, in, want;
	unsigned mode;
};

Mixed random_aes(std::mt19937 &rng)
{
	Mixed m;
	m.key.resize(16 + 8 * (rng() % 3));
	m.iv.resize(16);
	m.in.resize(16 * (1 + rng() % 70));
	for (auto *v : {&m.key, &m.iv, &m.in})
		for (auto &b : *v) b = (uint8_t)rng();
	m.mode = rng() % 3;
	m.want = ltc_aes(m.key.data(), m.key.size(), m.mode, false, m.iv.data(), m.in);
	return m;
}

void run_faults(const struct fhsm_link_faults &f, bool expect_down)
{
	struct fhsm_fabric_config cfg;
	fhsm_fabric_config_default(&cfg, FHSM_TRANSPORT_SIM);
	cfg.timeout_ms = 150;
	cfg.faults = f;
	cfg.retries = 3;
	ASSERT_EQ(fhsm_fabric_attach(&cfg), FHSM_OK);
	std::mt19937 rng(f.seed);
	for (int i = 0; i < 80; i++) {
		Mixed m = random_aes(rng);
		std::vector<uint8_t> out(m.in.size());
		ASSERT_EQ(fhsm_fabric_aes(m.key.data(), m.key.size(), m.mode, false, m.iv.data(), m.in.data(),
					  m.in.size(), out.data(), nullptr), FHSM_OK);
		ASSERT_EQ(out, m.want) << "job " << i;
	}
	struct fhsm_fabric_stats st;
	fhsm_fabric_read_stats(&st);
	if (expect_down) {
		EXPECT_FALSE(st.up);
		EXPECT_GT(st.fallback[FHSM_FB_DEVICE_DOWN], 0u);
	}
	EXPECT_GT(st.retries + st.timeouts + st.stale_responses + st.fallback[FHSM_FB_DEVICE_DOWN], 0u)
		<< "the faults must have been noticed";
	fhsm_fabric_detach();
}

TEST(FabricFaults, DroppedCorruptedDuplicatedDelayedFrames)
{
	struct fhsm_link_faults f = {};
	f.seed = 21;
	f.drop_pct = 4;
	f.corrupt_pct = 4;
	f.dup_pct = 4;
	f.delay_pct = 4;
	f.delay_ms = 40;
	f.rsp_corrupt_pct = 3;
	run_faults(f, false);
}

TEST(FabricFaults, DeviceVanishesMidJob)
{
	struct fhsm_link_faults f = {};
	f.seed = 4;
	f.vanish_after = 30;
	run_faults(f, true);
}

// A device that goes away is marked down (jobs finish in software); when it
// comes back (a fresh fabric, as after a replug) it passes INFO and its KATs
// and serves again.
TEST(FabricFaults, DeviceComesBackAfterItVanished)
{
	struct fhsm_fabric_config cfg;
	fhsm_fabric_config_default(&cfg, FHSM_TRANSPORT_SIM);
	cfg.min_bytes[FHSM_ENG_AES] = 0;
	cfg.faults.vanish_after = 20;
	cfg.faults.return_after_ms = 200;
	cfg.probe_ms = 50;
	ASSERT_EQ(fhsm_fabric_attach(&cfg), FHSM_OK);
	std::mt19937 rng(77);
	auto run = [&rng](int n) {
		for (int i = 0; i < n; i++) {
			Mixed m = random_aes(rng);
			std::vector<uint8_t> out(m.in.size());
			ASSERT_EQ(fhsm_fabric_aes(m.key.data(), m.key.size(), m.mode, false, m.iv.data(), m.in.data(),
						  m.in.size(), out.data(), nullptr), FHSM_OK);
			ASSERT_EQ(out, m.want) << "job " << i;
		}
	};
	run(40);
	struct fhsm_fabric_stats st;
	fhsm_fabric_read_stats(&st);
	EXPECT_FALSE(st.up) << "gone after 20 frames";
	EXPECT_GT(st.fallback[FHSM_FB_DEVICE_DOWN], 0u);
	for (int i = 0; i < 100 && !st.up; i++) {
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
		fhsm_fabric_read_stats(&st);
	}
	ASSERT_TRUE(st.up) << "back after its KATs";
	EXPECT_EQ(st.reconnects, 1u);
	EXPECT_EQ(st.kat[FHSM_ENG_AES], 1);
	uint64_t before = total(st.jobs[FHSM_ENG_AES]);
	run(10);
	fhsm_fabric_read_stats(&st);
	EXPECT_GT(total(st.jobs[FHSM_ENG_AES]), before) << "the fabric serves again";
	fhsm_fabric_detach();
}

// 8 threads mixing AES, SHA-256 and RSA: all right, engines busy together.
TEST(FabricThreads, EightThreadsMixingJobs)
{
	struct fhsm_fabric_config cfg;
	fhsm_fabric_config_default(&cfg, FHSM_TRANSPORT_SIM);
	cfg.min_bytes[FHSM_ENG_AES] = cfg.min_bytes[FHSM_ENG_SHA256] = 0;
	ASSERT_EQ(fhsm_fabric_attach(&cfg), FHSM_OK);
	register_hash(&sha256_desc);
	fhsm_rsa_key *k;
	ASSERT_EQ(fhsm_rsa_generate(1024, nullptr, 0, &k), FHSM_OK);
	std::atomic<int> bad{0};
	std::vector<std::thread> ts;
	for (int t = 0; t < 8; t++) {
		ts.emplace_back([t, k, &bad] {
			std::mt19937 rng(100 + t);
			for (int i = 0; i < 6; i++) {
				Mixed m = random_aes(rng);
				std::vector<uint8_t> out(m.in.size());
				if (fhsm_fabric_aes(m.key.data(), m.key.size(), m.mode, false, m.iv.data(), m.in.data(),
						    m.in.size(), out.data(), nullptr) != FHSM_OK || out != m.want)
					bad++;
				uint8_t got[32], want[32];
				fhsm_hash(FHSM_HASH_SHA256, m.in.data(), m.in.size(), got);
				hash_state st;
				sha256_init(&st);
				sha256_process(&st, m.in.data(), m.in.size());
				sha256_done(&st, want);
				if (memcmp(got, want, 32))
					bad++;
				if (i % 3 == 0) {
					struct fhsm_rsa_params p = {};
					p.pad = FHSM_RSA_PKCS1;
					p.hash = FHSM_HASH_SHA256;
					uint8_t sig[128];
					size_t sl = sizeof sig;
					if (fhsm_rsa_sign(k, &p, got, 32, sig, &sl) != FHSM_OK ||
					    fhsm_rsa_verify(k, &p, got, 32, sig, sl) != FHSM_OK)
						bad++;
				}
			}
		});
	}
	for (auto &th : ts)
		th.join();
	EXPECT_EQ(bad.load(), 0);
	struct fhsm_fabric_stats st;
	fhsm_fabric_read_stats(&st);
	EXPECT_TRUE(st.up);
	EXPECT_GT(st.link.peak_busy, 1u) << "more than one engine busy at the same time";
	EXPECT_LT(st.writes, st.frames_sent) << "batching: several frames per transport write";
	for (int kind = 1; kind < FHSM_ENG_KINDS; kind++)
		EXPECT_GT(total(st.jobs[kind]), 0u) << "kind " << kind;
	fhsm_rsa_free(k);
	fhsm_fabric_detach();
}

#endif

}  // namespace

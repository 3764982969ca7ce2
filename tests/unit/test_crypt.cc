// Symmetric mechanisms: known answers (SP 800-38A/C, the GCM paper, RFC 4231, RFC 4493),
// the OpenSSL command line on random data, key generation, and the spec's semantics.
#include <cstdio>
#include <random>

#include "command.h"
#include "p11_objects.h"

using namespace fhsm_test;

namespace {

// Every HMAC mechanism and its `openssl dgst` name (SHA-256 last: a key used
// under the others first, so the cached states are replaced several times).
const struct {
	CK_MECHANISM_TYPE m;
	const char *name;
} kHmacs[] = {{CKM_MD5_HMAC, "md5"},       {CKM_SHA_1_HMAC, "sha1"},     {CKM_SHA224_HMAC, "sha224"},
	      {CKM_SHA384_HMAC, "sha384"}, {CKM_SHA512_HMAC, "sha512"}, {CKM_SHA256_HMAC, "sha256"}};

class Crypt : public Objects {
protected:
	CK_OBJECT_HANDLE key(CK_KEY_TYPE kt, const std::string &value, bool encrypt = true)
	{
		Tmpl t;
		t.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, kt).s(CKA_VALUE, value).b(CKA_ENCRYPT, encrypt)
			.b(CKA_DECRYPT, true).b(CKA_SIGN, true).b(CKA_VERIFY, true);
		return create(t);
	}

	std::string run(bool encrypt, CK_MECHANISM m, CK_OBJECT_HANDLE k, const std::string &in, size_t chunk = 0)
	{
		auto init = encrypt ? f->C_EncryptInit : f->C_DecryptInit;
		EXPECT_EQ(init(h, &m, k), CKR_OK);
		std::string out;
		if (!chunk) {
			CK_ULONG n = 0;
			auto one = encrypt ? f->C_Encrypt : f->C_Decrypt;
			EXPECT_EQ(one(h, (CK_BYTE_PTR)in.data(), in.size(), nullptr, &n), CKR_OK);
			out.resize(n);
			EXPECT_EQ(one(h, (CK_BYTE_PTR)in.data(), in.size(), (CK_BYTE_PTR)out.data(), &n), CKR_OK);
			out.resize(n);
			return out;
		}
		auto upd = encrypt ? f->C_EncryptUpdate : f->C_DecryptUpdate;
		auto fin = encrypt ? f->C_EncryptFinal : f->C_DecryptFinal;
		for (size_t i = 0; i <= in.size(); i += chunk) {
			std::string part = in.substr(i, chunk);
			std::string buf(part.size() + 32, '\0');
			CK_ULONG n = buf.size();
			EXPECT_EQ(upd(h, (CK_BYTE_PTR)part.data(), part.size(), (CK_BYTE_PTR)buf.data(), &n), CKR_OK);
			out += buf.substr(0, n);
		}
		std::string buf(32, '\0');
		CK_ULONG n = buf.size();
		EXPECT_EQ(fin(h, (CK_BYTE_PTR)buf.data(), &n), CKR_OK);
		return out + buf.substr(0, n);
	}

	// `openssl enc` as the oracle.
	std::string openssl_enc(const std::string &cipher, const std::string &k, const std::string &iv,
				const std::string &in, bool pad)
	{
		std::string path = dir + "/in.bin", outp = dir + "/out.bin";
		FILE *fp = fopen(path.c_str(), "wb");
		fwrite(in.data(), 1, in.size(), fp);
		fclose(fp);
		std::string cmd = "openssl enc -" + cipher + " -K " + hex(k) + (iv.empty() ? "" : " -iv " + hex(iv)) +
				  (pad ? "" : " -nopad") + " -in " + path + " -out " + outp + " 2>&1";
		EXPECT_EQ(system(cmd.c_str()), 0) << cmd;
		std::ifstream r(outp, std::ios::binary);
		return std::string(std::istreambuf_iterator<char>(r), {});
	}
};

TEST_F(Crypt, AesKnownAnswersSp80038a)
{
	const std::string k128 = unhex("2b7e151628aed2a6abf7158809cf4f3c");
	const std::string pt = unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
	const std::string iv = unhex("000102030405060708090a0b0c0d0e0f");
	CK_OBJECT_HANDLE k = key(CKK_AES, k128);
	CK_MECHANISM ecb = {CKM_AES_ECB, nullptr, 0};
	EXPECT_EQ(hex(run(true, ecb, k, pt)), "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf");
	CK_MECHANISM cbc = {CKM_AES_CBC, (void *)iv.data(), 16};
	EXPECT_EQ(hex(run(true, cbc, k, pt, 7)), "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2");
	CK_AES_CTR_PARAMS ctr = {128, {}};
	memcpy(ctr.cb, unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff").data(), 16);
	CK_MECHANISM ctrm = {CKM_AES_CTR, &ctr, sizeof(ctr)};
	EXPECT_EQ(hex(run(true, ctrm, k, pt, 5)), "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff");
	EXPECT_EQ(run(false, ctrm, k, unhex("874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff")), pt);
}

TEST_F(Crypt, AesGcmAndCcmKnownAnswers)
{
	// McGrew & Viega test case 14: AES-256, zero key, zero IV, one zero block.
	CK_OBJECT_HANDLE k = key(CKK_AES, std::string(32, '\0'));
	std::string iv(12, '\0');
	CK_GCM_PARAMS gp = {(CK_BYTE_PTR)iv.data(), 12, 96, nullptr, 0, 128};
	CK_MECHANISM gcm = {CKM_AES_GCM, &gp, sizeof(gp)};
	std::string ct = run(true, gcm, k, std::string(16, '\0'));
	EXPECT_EQ(hex(ct), "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
	EXPECT_EQ(run(false, gcm, k, ct, 5), std::string(16, '\0'));
	// SP 800-38C example 1: 4-byte tag, 7-byte nonce, 8 bytes AAD.
	CK_OBJECT_HANDLE k2 = key(CKK_AES, unhex("404142434445464748494a4b4c4d4e4f"));
	std::string nonce = unhex("10111213141516"), aad = unhex("0001020304050607");
	CK_CCM_PARAMS cp = {4, (CK_BYTE_PTR)nonce.data(), 7, (CK_BYTE_PTR)aad.data(), 8, 4};
	CK_MECHANISM ccm = {CKM_AES_CCM, &cp, sizeof(cp)};
	EXPECT_EQ(hex(run(true, ccm, k2, unhex("20212223"))), "7162015b4dac255d");
	EXPECT_EQ(hex(run(false, ccm, k2, unhex("7162015b4dac255d"))), "20212223");
}

TEST_F(Crypt, MatchesOpensslOnRandomData)
{
	std::mt19937 rng(7);
	struct Case {
		CK_MECHANISM_TYPE mech;
		CK_KEY_TYPE kt;
		size_t klen, block;
		const char *name;
		bool pad, iv;
	} cases[] = {
		{CKM_AES_ECB, CKK_AES, 16, 16, "aes-128-ecb", false, false},
		{CKM_AES_CBC, CKK_AES, 24, 16, "aes-192-cbc", false, true},
		{CKM_AES_CBC_PAD, CKK_AES, 32, 16, "aes-256-cbc", true, true},
		{CKM_AES_CBC_PAD, CKK_AES, 16, 16, "aes-128-cbc", true, true},
		{CKM_DES3_CBC_PAD, CKK_DES3, 24, 8, "des-ede3-cbc", true, true},
		{CKM_DES3_ECB, CKK_DES3, 24, 8, "des-ede3-ecb", false, false},
		{CKM_DES3_CBC, CKK_DES3, 24, 8, "des-ede3-cbc", false, true},
	};
	for (const Case &c : cases)
		for (int round = 0; round < 6; round++) {
			std::string kv(c.klen, '\0'), iv(c.block, '\0');
			for (auto &x : kv)
				x = (char)rng();
			for (auto &x : iv)
				x = (char)rng();
			size_t len = (rng() % 200) * (c.pad ? 1 : c.block) + (c.pad ? rng() % 16 : 0);
			std::string pt(len, '\0');
			for (auto &x : pt)
				x = (char)rng();
			CK_OBJECT_HANDLE k = key(c.kt, kv);
			CK_MECHANISM m = {c.mech, c.iv ? (void *)iv.data() : nullptr, c.iv ? c.block : 0};
			std::string want = openssl_enc(c.name, kv, c.iv ? iv : "", pt, c.pad);
			EXPECT_EQ(hex(run(true, m, k, pt)), hex(want)) << c.name << " " << len;
			EXPECT_EQ(hex(run(true, m, k, pt, 1 + rng() % 40)), hex(want)) << c.name << " multi-part";
			EXPECT_EQ(run(false, m, k, want), pt) << c.name;
			EXPECT_EQ(run(false, m, k, want, 1 + rng() % 40), pt) << c.name << " multi-part";
		}
}

TEST_F(Crypt, OperationSemantics)
{
	CK_OBJECT_HANDLE k = key(CKK_AES, std::string(16, 'k'));
	std::string iv(16, 'i');
	CK_MECHANISM cbc = {CKM_AES_CBC, (void *)iv.data(), 16};
	CK_BYTE out[64];
	CK_ULONG n = sizeof(out);
	EXPECT_EQ(f->C_Encrypt(h, (CK_BYTE_PTR) "x", 1, out, &n), CKR_OPERATION_NOT_INITIALIZED);
	EXPECT_EQ(f->C_EncryptInit(h, nullptr, k), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_EncryptInit(h, &cbc, 424242), CKR_KEY_HANDLE_INVALID);
	CK_MECHANISM bad_iv = {CKM_AES_CBC, (void *)iv.data(), 8};
	EXPECT_EQ(f->C_EncryptInit(h, &bad_iv, k), CKR_MECHANISM_PARAM_INVALID);
	CK_MECHANISM unknown = {CKM_VENDOR_DEFINED + 1, nullptr, 0};
	EXPECT_EQ(f->C_EncryptInit(h, &unknown, k), CKR_MECHANISM_INVALID);
	CK_MECHANISM digest = {CKM_SHA256, nullptr, 0};
	EXPECT_EQ(f->C_EncryptInit(h, &digest, k), CKR_MECHANISM_INVALID);
	CK_OBJECT_HANDLE des = key(CKK_DES3, std::string(24, 'd'));
	EXPECT_EQ(f->C_EncryptInit(h, &cbc, des), CKR_KEY_TYPE_INCONSISTENT);
	CK_OBJECT_HANDLE no_enc = key(CKK_AES, std::string(16, 'n'), false);
	EXPECT_EQ(f->C_EncryptInit(h, &cbc, no_enc), CKR_KEY_FUNCTION_NOT_PERMITTED);
	CK_OBJECT_HANDLE data = create(data_object("d", false));
	EXPECT_EQ(f->C_EncryptInit(h, &cbc, data), CKR_KEY_HANDLE_INVALID);

	ASSERT_EQ(f->C_EncryptInit(h, &cbc, k), CKR_OK);
	EXPECT_EQ(f->C_EncryptInit(h, &cbc, k), CKR_OPERATION_ACTIVE);
	n = 4;
	EXPECT_EQ(f->C_Encrypt(h, (CK_BYTE_PTR)out, 32, out, &n), CKR_BUFFER_TOO_SMALL);
	EXPECT_EQ(n, 32u);
	n = sizeof(out);
	EXPECT_EQ(f->C_Encrypt(h, (CK_BYTE_PTR)out, 31, out, &n), CKR_DATA_LEN_RANGE) << "CBC needs whole blocks";
	EXPECT_EQ(f->C_Encrypt(h, (CK_BYTE_PTR)out, 32, out, &n), CKR_OPERATION_NOT_INITIALIZED) << "the failure ended it";

	ASSERT_EQ(f->C_EncryptInit(h, &cbc, k), CKR_OK);
	n = sizeof(out);
	ASSERT_EQ(f->C_EncryptUpdate(h, (CK_BYTE_PTR)out, 5, out, &n), CKR_OK);
	EXPECT_EQ(n, 0u);
	n = sizeof(out);
	EXPECT_EQ(f->C_Encrypt(h, (CK_BYTE_PTR)out, 16, out, &n), CKR_OPERATION_ACTIVE);
	EXPECT_EQ(f->C_EncryptFinal(h, out, &n), CKR_OPERATION_NOT_INITIALIZED);

	ASSERT_EQ(f->C_EncryptInit(h, &cbc, k), CKR_OK);
	n = sizeof(out);
	ASSERT_EQ(f->C_EncryptUpdate(h, (CK_BYTE_PTR)out, 5, out, &n), CKR_OK);
	EXPECT_EQ(f->C_EncryptFinal(h, out, &n), CKR_DATA_LEN_RANGE) << "5 bytes left over";

	ASSERT_EQ(f->C_DecryptInit(h, &cbc, k), CKR_OK);
	n = sizeof(out);
	EXPECT_EQ(f->C_Decrypt(h, out, 17, out, &n), CKR_ENCRYPTED_DATA_LEN_RANGE);

	// Bad padding and bad tags are CKR_ENCRYPTED_DATA_INVALID.
	CK_MECHANISM pad = {CKM_AES_CBC_PAD, (void *)iv.data(), 16};
	std::string ct = run(true, pad, k, "hello");
	ct[15] ^= 1; // the last block of a one-block message: flips the padding
	ASSERT_EQ(f->C_DecryptInit(h, &pad, k), CKR_OK);
	n = sizeof(out);
	EXPECT_EQ(f->C_Decrypt(h, (CK_BYTE_PTR)ct.data(), ct.size(), out, &n), CKR_ENCRYPTED_DATA_INVALID);
	std::string giv(12, 'g');
	CK_GCM_PARAMS gp = {(CK_BYTE_PTR)giv.data(), 12, 96, (CK_BYTE_PTR) "aad", 3, 128};
	CK_MECHANISM gcm = {CKM_AES_GCM, &gp, sizeof(gp)};
	std::string gct = run(true, gcm, k, "authenticated");
	gct[2] ^= 1;
	ASSERT_EQ(f->C_DecryptInit(h, &gcm, k), CKR_OK);
	n = sizeof(out);
	EXPECT_EQ(f->C_Decrypt(h, (CK_BYTE_PTR)gct.data(), gct.size(), out, &n), CKR_ENCRYPTED_DATA_INVALID);
	CK_GCM_PARAMS bad_tag = gp;
	bad_tag.ulTagBits = 20;
	CK_MECHANISM gcm_bad = {CKM_AES_GCM, &bad_tag, sizeof(bad_tag)};
	EXPECT_EQ(f->C_EncryptInit(h, &gcm_bad, k), CKR_MECHANISM_PARAM_INVALID);

	// C_SessionCancel ends an active operation.
	auto get_if = (CK_C_GetInterface)dlsym(module_handle(), "C_GetInterface");
	CK_INTERFACE_PTR ip;
	ASSERT_EQ(get_if(nullptr, nullptr, &ip, 0), CKR_OK);
	auto *l30 = (CK_FUNCTION_LIST_3_0 *)ip->pFunctionList;
	ASSERT_EQ(f->C_EncryptInit(h, &cbc, k), CKR_OK);
	EXPECT_EQ(l30->C_SessionCancel(h, CKF_ENCRYPT), CKR_OK);
	EXPECT_EQ(f->C_EncryptInit(h, &cbc, k), CKR_OK);
}

TEST_F(Crypt, MacKnownAnswers)
{
	// RFC 4231 test case 2.
	Tmpl jefe;
	jefe.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, CKK_GENERIC_SECRET).s(CKA_VALUE, "Jefe")
		.b(CKA_SIGN, true).b(CKA_VERIFY, true);
	CK_OBJECT_HANDLE k = create(jefe);
	const std::string msg = "what do ya want for nothing?";
	CK_MECHANISM hm = {CKM_SHA256_HMAC, nullptr, 0};
	CK_BYTE mac[64];
	CK_ULONG n = sizeof(mac);
	ASSERT_EQ(f->C_SignInit(h, &hm, k), CKR_OK);
	ASSERT_EQ(f->C_Sign(h, (CK_BYTE_PTR)msg.data(), msg.size(), mac, &n), CKR_OK);
	EXPECT_EQ(hex(std::string((char *)mac, n)), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	ASSERT_EQ(f->C_VerifyInit(h, &hm, k), CKR_OK);
	ASSERT_EQ(f->C_VerifyUpdate(h, (CK_BYTE_PTR)msg.data(), 10), CKR_OK);
	ASSERT_EQ(f->C_VerifyUpdate(h, (CK_BYTE_PTR)msg.data() + 10, msg.size() - 10), CKR_OK);
	EXPECT_EQ(f->C_VerifyFinal(h, mac, n), CKR_OK);
	mac[0] ^= 1;
	ASSERT_EQ(f->C_VerifyInit(h, &hm, k), CKR_OK);
	EXPECT_EQ(f->C_Verify(h, (CK_BYTE_PTR)msg.data(), msg.size(), mac, n), CKR_SIGNATURE_INVALID);
	ASSERT_EQ(f->C_VerifyInit(h, &hm, k), CKR_OK);
	EXPECT_EQ(f->C_Verify(h, (CK_BYTE_PTR)msg.data(), msg.size(), mac, 31), CKR_SIGNATURE_LEN_RANGE);
	// _GENERAL: a truncated MAC.
	CK_MAC_GENERAL_PARAMS len = 12;
	CK_MECHANISM hg = {CKM_SHA256_HMAC_GENERAL, &len, sizeof(len)};
	n = sizeof(mac);
	ASSERT_EQ(f->C_SignInit(h, &hg, k), CKR_OK);
	ASSERT_EQ(f->C_Sign(h, (CK_BYTE_PTR)msg.data(), msg.size(), mac, &n), CKR_OK);
	EXPECT_EQ(hex(std::string((char *)mac, n)), "5bdcc146bf60754e6a042426");
	len = 33;
	EXPECT_EQ(f->C_SignInit(h, &hg, k), CKR_MECHANISM_PARAM_INVALID);
	// HMAC with every hash against openssl.
	std::string path = dir + "/msg";
	std::ofstream(path) << msg;
	for (auto &x : kHmacs) {
		CK_MECHANISM m = {x.m, nullptr, 0};
		n = sizeof(mac);
		ASSERT_EQ(f->C_SignInit(h, &m, k), CKR_OK);
		ASSERT_EQ(f->C_Sign(h, (CK_BYTE_PTR)msg.data(), msg.size(), mac, &n), CKR_OK);
		EXPECT_EQ(hex(std::string((char *)mac, n)),
			  first_word_of("openssl dgst -" + std::string(x.name) + " -hmac Jefe -r " + path))
			<< x.name;
	}
	// RFC 4493 AES-CMAC examples 1 and 2.
	CK_OBJECT_HANDLE ak = key(CKK_AES, unhex("2b7e151628aed2a6abf7158809cf4f3c"));
	CK_MECHANISM cm = {CKM_AES_CMAC, nullptr, 0};
	n = sizeof(mac);
	ASSERT_EQ(f->C_SignInit(h, &cm, ak), CKR_OK);
	ASSERT_EQ(f->C_Sign(h, nullptr, 0, mac, &n), CKR_OK);
	EXPECT_EQ(hex(std::string((char *)mac, n)), "bb1d6929e95937287fa37d129b756746");
	std::string m16 = unhex("6bc1bee22e409f96e93d7e117393172a");
	n = sizeof(mac);
	ASSERT_EQ(f->C_SignInit(h, &cm, ak), CKR_OK);
	ASSERT_EQ(f->C_SignUpdate(h, (CK_BYTE_PTR)m16.data(), 16), CKR_OK);
	ASSERT_EQ(f->C_SignFinal(h, mac, &n), CKR_OK);
	EXPECT_EQ(hex(std::string((char *)mac, n)), "070a16b46b4d4144f79bdd9dd04a287c");
	ASSERT_EQ(f->C_SignInit(h, &hm, ak), CKR_KEY_TYPE_INCONSISTENT) << "HMAC takes generic secret keys";
}

// HMAC keys are prepared once and cached with the key object (fhsm_mac_key): keys
// shorter than, equal to and longer than the hash's block (64 or 128 bytes; a longer
// key is hashed first), the same key under alternating hashes, and repeated use of
// the cached states, each against `openssl dgst -mac HMAC`.
TEST_F(Crypt, HmacKeysOfEveryLengthAgainstOpenssl)
{
	// RFC 4231 test case 6: a 131-byte key, hashed first.
	CK_OBJECT_HANDLE k131 = key(CKK_GENERIC_SECRET, std::string(131, '\xaa'));
	const std::string msg6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	CK_MECHANISM m256 = {CKM_SHA256_HMAC, nullptr, 0}, m512 = {CKM_SHA512_HMAC, nullptr, 0};
	CK_BYTE mac[64];
	for (int round = 0; round < 2; round++) { // the second round runs on the cached states
		CK_ULONG n = sizeof(mac);
		ASSERT_EQ(f->C_SignInit(h, &m256, k131), CKR_OK);
		ASSERT_EQ(f->C_Sign(h, (CK_BYTE_PTR)msg6.data(), msg6.size(), mac, &n), CKR_OK);
		EXPECT_EQ(hex(std::string((char *)mac, n)), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
		n = sizeof(mac);
		ASSERT_EQ(f->C_SignInit(h, &m512, k131), CKR_OK);
		ASSERT_EQ(f->C_Sign(h, (CK_BYTE_PTR)msg6.data(), msg6.size(), mac, &n), CKR_OK);
		EXPECT_EQ(hex(std::string((char *)mac, n)),
			  "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
			  "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598");
	}
	std::mt19937 rng(4231);
	std::string path = dir + "/hmac-msg";
	for (size_t klen : {1, 20, 63, 64, 65, 127, 128, 129, 200}) {
		std::string kv(klen, '\0'), msg(rng() % 300, '\0');
		for (auto &c : kv)
			c = (char)rng();
		for (auto &c : msg)
			c = (char)rng();
		std::ofstream(path, std::ios::binary) << msg;
		CK_OBJECT_HANDLE k = key(CKK_GENERIC_SECRET, kv);
		for (int round = 0; round < 2; round++)
			for (auto &x : kHmacs) {
				CK_MECHANISM m = {x.m, nullptr, 0};
				CK_ULONG n = sizeof(mac);
				ASSERT_EQ(f->C_SignInit(h, &m, k), CKR_OK);
				ASSERT_EQ(f->C_SignUpdate(h, (CK_BYTE_PTR)msg.data(), msg.size() / 3), CKR_OK);
				ASSERT_EQ(f->C_SignUpdate(h, (CK_BYTE_PTR)msg.data() + msg.size() / 3,
							  msg.size() - msg.size() / 3),
					  CKR_OK);
				ASSERT_EQ(f->C_SignFinal(h, mac, &n), CKR_OK);
				std::string cmd = "openssl dgst -" + std::string(x.name) + " -mac HMAC -macopt hexkey:" +
						  hex(kv) + " -r " + path;
				EXPECT_EQ(hex(std::string((char *)mac, n)), first_word_of(cmd))
					<< x.name << ", key of " << klen << " bytes, round " << round;
			}
	}
}

TEST_F(Crypt, GenerateKey)
{
	CK_MECHANISM gen = {CKM_AES_KEY_GEN, nullptr, 0};
	CK_OBJECT_HANDLE k;
	Tmpl t;
	t.ul(CKA_VALUE_LEN, 32).b(CKA_TOKEN, true).s(CKA_LABEL, "gen");
	ASSERT_EQ(f->C_GenerateKey(h, &gen, t.data(), t.size(), &k), CKR_OK);
	EXPECT_TRUE(get_bool(k, CKA_LOCAL));
	EXPECT_TRUE(get_bool(k, CKA_ALWAYS_SENSITIVE));
	EXPECT_TRUE(get_bool(k, CKA_NEVER_EXTRACTABLE));
	EXPECT_EQ(get(k, CKA_KEY_GEN_MECHANISM), std::string((char *)&gen.mechanism, sizeof(CK_ULONG)));
	EXPECT_EQ(get(k, CKA_CHECK_VALUE).size(), 3u);
	CK_ULONG len;
	memcpy(&len, get(k, CKA_VALUE_LEN).data(), sizeof(len));
	EXPECT_EQ(len, 32u);
	Tmpl no_len;
	EXPECT_EQ(f->C_GenerateKey(h, &gen, no_len.data(), no_len.size(), &k), CKR_TEMPLATE_INCOMPLETE);
	Tmpl bad_len;
	bad_len.ul(CKA_VALUE_LEN, 20);
	EXPECT_EQ(f->C_GenerateKey(h, &gen, bad_len.data(), bad_len.size(), &k), CKR_ATTRIBUTE_VALUE_INVALID);
	Tmpl wrong_type;
	wrong_type.ul(CKA_VALUE_LEN, 16).ul(CKA_KEY_TYPE, CKK_DES3);
	EXPECT_EQ(f->C_GenerateKey(h, &gen, wrong_type.data(), wrong_type.size(), &k), CKR_TEMPLATE_INCONSISTENT);
	Tmpl value;
	value.ul(CKA_VALUE_LEN, 16).s(CKA_VALUE, std::string(16, 'v'));
	EXPECT_EQ(f->C_GenerateKey(h, &gen, value.data(), value.size(), &k), CKR_ATTRIBUTE_READ_ONLY);
	EXPECT_EQ(f->C_GenerateKey(h, &gen, nullptr, 0, nullptr), CKR_ARGUMENTS_BAD);
	// An extractable generated key encrypts as OpenSSL does with its value; DES keys have odd parity.
	CK_MECHANISM des = {CKM_DES3_KEY_GEN, nullptr, 0};
	Tmpl open_key;
	open_key.b(CKA_SENSITIVE, false).b(CKA_EXTRACTABLE, true).b(CKA_ENCRYPT, true);
	ASSERT_EQ(f->C_GenerateKey(h, &des, open_key.data(), open_key.size(), &k), CKR_OK);
	std::string kv = get(k, CKA_VALUE);
	ASSERT_EQ(kv.size(), 24u);
	for (unsigned char c : kv)
		EXPECT_EQ(__builtin_popcount(c) % 2, 1) << "odd parity";
	EXPECT_FALSE(get_bool(k, CKA_ALWAYS_SENSITIVE));
	std::string iv(8, '\x5a'), pt(40, 'p');
	CK_MECHANISM cbc = {CKM_DES3_CBC_PAD, (void *)iv.data(), 8};
	EXPECT_EQ(hex(run(true, cbc, k, pt)), hex(openssl_enc("des-ede3-cbc", kv, iv, pt, true)));
}

} // namespace

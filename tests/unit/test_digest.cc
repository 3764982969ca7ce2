// Digests: known answers (FIPS 180-4 examples, RFC 1321), the OpenSSL CLI as a
// second oracle on random data, and the spec's operation semantics.
#include <cstdio>
#include <random>

#include "command.h"
#include "p11_fixture.h"

#include "hex.h"

using namespace fhsm_test;

namespace {

struct Kat {
	CK_MECHANISM_TYPE mech;
	const char *msg;
	size_t repeat;
	const char *digest;
};

const char *const m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
const char *const m896 =
	"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

const Kat kats[] = {
	{CKM_MD5, "", 1, "d41d8cd98f00b204e9800998ecf8427e"},
	{CKM_MD5, "abc", 1, "900150983cd24fb0d6963f7d28e17f72"},
	{CKM_MD5, "message digest", 1, "f96b697d7cb7938d525a2f31aaf161d0"},
	{CKM_SHA_1, "abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d"},
	{CKM_SHA_1, m448, 1, "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
	{CKM_SHA_1, "a", 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
	{CKM_SHA224, "abc", 1, "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"},
	{CKM_SHA224, m448, 1, "75388b16512776cc5dba5da1fd890150b0c6455cb4f58b1952522525"},
	{CKM_SHA256, "", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{CKM_SHA256, "abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	{CKM_SHA256, m448, 1, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	{CKM_SHA256, "a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
	{CKM_SHA384, "abc", 1,
	 "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"},
	{CKM_SHA384, m896, 1,
	 "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039"},
	{CKM_SHA512, "abc", 1,
	 "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
	 "454d4423643ce80e2a9ac94fa54ca49f"},
	{CKM_SHA512, m896, 1,
	 "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433a"
	 "c7d329eeb6dd26545e96e55b874be909"},
};

class Digest : public P11 {
protected:
	CK_SESSION_HANDLE h = 0;
	void SetUp() override
	{
		P11::SetUp();
		h = open(init_token(), false);
	}

	std::string single(CK_MECHANISM_TYPE mt, const std::string &data)
	{
		CK_MECHANISM m = {mt, nullptr, 0};
		CK_BYTE out[64];
		CK_ULONG len = sizeof(out);
		EXPECT_EQ(f->C_DigestInit(h, &m), CKR_OK);
		EXPECT_EQ(f->C_Digest(h, (CK_BYTE_PTR)data.data(), data.size(), out, &len), CKR_OK);
		return hex(out, len);
	}

	std::string multi(CK_MECHANISM_TYPE mt, const std::string &data, size_t chunk)
	{
		CK_MECHANISM m = {mt, nullptr, 0};
		CK_BYTE out[64];
		CK_ULONG len = sizeof(out);
		EXPECT_EQ(f->C_DigestInit(h, &m), CKR_OK);
		for (size_t i = 0; i < data.size(); i += chunk)
			EXPECT_EQ(f->C_DigestUpdate(h, (CK_BYTE_PTR)data.data() + i, std::min(chunk, data.size() - i)), CKR_OK);
		EXPECT_EQ(f->C_DigestFinal(h, out, &len), CKR_OK);
		return hex(out, len);
	}
};

TEST_F(Digest, KnownAnswersSingleAndMultiPart)
{
	for (const Kat &k : kats) {
		std::string data;
		for (size_t i = 0; i < k.repeat; i++)
			data += k.msg;
		EXPECT_EQ(single(k.mech, data), k.digest) << "mech " << k.mech << " msg " << k.msg;
		EXPECT_EQ(multi(k.mech, data, 1 + data.size() / 7), k.digest) << "mech " << k.mech;
		if (data.size() < 200) {
			EXPECT_EQ(multi(k.mech, data, 1), k.digest) << "byte by byte, mech " << k.mech;
		}
	}
}

// Every block boundary the padding cares about, against OpenSSL's command line.
TEST_F(Digest, MatchesOpensslOnRandomData)
{
	struct {
		CK_MECHANISM_TYPE mech;
		const char *name;
	} algs[] = {{CKM_MD5, "md5"},       {CKM_SHA_1, "sha1"},     {CKM_SHA224, "sha224"},
		    {CKM_SHA256, "sha256"}, {CKM_SHA384, "sha384"}, {CKM_SHA512, "sha512"}};
	std::mt19937 rng(20261203);
	std::vector<size_t> sizes = {0, 1, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 1000, 65537};
	std::string path = dir + "/data.bin";
	for (size_t n : sizes) {
		std::string data(n, '\0');
		for (auto &c : data)
			c = (char)rng();
		FILE *fp = fopen(path.c_str(), "wb");
		ASSERT_NE(fp, nullptr);
		fwrite(data.data(), 1, n, fp);
		fclose(fp);
		for (auto &a : algs) {
			std::string cmd = std::string("openssl dgst -") + a.name + " -r '" + path + "'";
			std::string want = first_word_of(cmd);
			ASSERT_FALSE(want.empty()) << cmd;
			EXPECT_EQ(single(a.mech, data), want) << a.name << " of " << n << " bytes";
			EXPECT_EQ(multi(a.mech, data, 13), want) << a.name << " of " << n << " bytes, multi-part";
		}
	}
}

TEST_F(Digest, InitErrors)
{
	CK_MECHANISM m = {CKM_SHA256, nullptr, 0};
	EXPECT_EQ(f->C_DigestInit(h, nullptr), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_DigestInit(CK_INVALID_HANDLE, &m), CKR_SESSION_HANDLE_INVALID);
	CK_MECHANISM bad = {CKM_AES_ECB, nullptr, 0};
	EXPECT_EQ(f->C_DigestInit(h, &bad), CKR_MECHANISM_INVALID);
	CK_BYTE param[4];
	CK_MECHANISM with_param = {CKM_SHA256, param, sizeof(param)};
	EXPECT_EQ(f->C_DigestInit(h, &with_param), CKR_MECHANISM_PARAM_INVALID);
	ASSERT_EQ(f->C_DigestInit(h, &m), CKR_OK);
	EXPECT_EQ(f->C_DigestInit(h, &m), CKR_OPERATION_ACTIVE);
}

TEST_F(Digest, NotInitialized)
{
	CK_BYTE out[32];
	CK_ULONG len = sizeof(out);
	EXPECT_EQ(f->C_Digest(h, (CK_BYTE_PTR) "a", 1, out, &len), CKR_OPERATION_NOT_INITIALIZED);
	EXPECT_EQ(f->C_DigestUpdate(h, (CK_BYTE_PTR) "a", 1), CKR_OPERATION_NOT_INITIALIZED);
	EXPECT_EQ(f->C_DigestFinal(h, out, &len), CKR_OPERATION_NOT_INITIALIZED);
}

TEST_F(Digest, LengthQueryAndSmallBufferKeepTheOperation)
{
	CK_MECHANISM m = {CKM_SHA384, nullptr, 0};
	ASSERT_EQ(f->C_DigestInit(h, &m), CKR_OK);
	CK_ULONG len = 0;
	ASSERT_EQ(f->C_Digest(h, (CK_BYTE_PTR) "abc", 3, nullptr, &len), CKR_OK);
	EXPECT_EQ(len, 48u);
	CK_BYTE out[48];
	len = 47;
	ASSERT_EQ(f->C_Digest(h, (CK_BYTE_PTR) "abc", 3, out, &len), CKR_BUFFER_TOO_SMALL);
	EXPECT_EQ(len, 48u);
	ASSERT_EQ(f->C_Digest(h, (CK_BYTE_PTR) "abc", 3, out, &len), CKR_OK);
	EXPECT_EQ(hex(out, 4), "cb00753f");
	EXPECT_EQ(f->C_Digest(h, (CK_BYTE_PTR) "abc", 3, out, &len), CKR_OPERATION_NOT_INITIALIZED)
		<< "a successful C_Digest ends the operation";

	ASSERT_EQ(f->C_DigestInit(h, &m), CKR_OK);
	ASSERT_EQ(f->C_DigestUpdate(h, (CK_BYTE_PTR) "abc", 3), CKR_OK);
	len = 0;
	ASSERT_EQ(f->C_DigestFinal(h, nullptr, &len), CKR_OK);
	EXPECT_EQ(len, 48u);
	len = 10;
	ASSERT_EQ(f->C_DigestFinal(h, out, &len), CKR_BUFFER_TOO_SMALL);
	ASSERT_EQ(f->C_DigestFinal(h, out, &len), CKR_OK);
	EXPECT_EQ(hex(out, 4), "cb00753f");
}

TEST_F(Digest, FailuresEndTheOperation)
{
	CK_MECHANISM m = {CKM_SHA256, nullptr, 0};
	CK_BYTE out[32];
	CK_ULONG len = sizeof(out);
	// C_Digest cannot finish a multi-part digest.
	ASSERT_EQ(f->C_DigestInit(h, &m), CKR_OK);
	ASSERT_EQ(f->C_DigestUpdate(h, (CK_BYTE_PTR) "a", 1), CKR_OK);
	EXPECT_EQ(f->C_Digest(h, (CK_BYTE_PTR) "a", 1, out, &len), CKR_OPERATION_ACTIVE);
	EXPECT_EQ(f->C_DigestFinal(h, out, &len), CKR_OPERATION_NOT_INITIALIZED);
	// Bad arguments end it.
	ASSERT_EQ(f->C_DigestInit(h, &m), CKR_OK);
	EXPECT_EQ(f->C_Digest(h, (CK_BYTE_PTR) "a", 1, out, nullptr), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_Digest(h, (CK_BYTE_PTR) "a", 1, out, &len), CKR_OPERATION_NOT_INITIALIZED);
	ASSERT_EQ(f->C_DigestInit(h, &m), CKR_OK);
	EXPECT_EQ(f->C_DigestUpdate(h, nullptr, 5), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_DigestUpdate(h, (CK_BYTE_PTR) "a", 1), CKR_OPERATION_NOT_INITIALIZED);
	ASSERT_EQ(f->C_DigestInit(h, &m), CKR_OK);
	EXPECT_EQ(f->C_DigestFinal(h, out, nullptr), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_DigestFinal(h, out, &len), CKR_OPERATION_NOT_INITIALIZED);
	// NULL data with zero length is an empty message, not an error.
	ASSERT_EQ(f->C_DigestInit(h, &m), CKR_OK);
	ASSERT_EQ(f->C_Digest(h, nullptr, 0, out, &len), CKR_OK);
	EXPECT_EQ(hex(out, 4), "e3b0c442");
}

TEST_F(Digest, SessionsDigestIndependently)
{
	CK_SESSION_HANDLE h2 = open(0, false);
	CK_MECHANISM m1 = {CKM_SHA256, nullptr, 0}, m2 = {CKM_SHA_1, nullptr, 0};
	ASSERT_EQ(f->C_DigestInit(h, &m1), CKR_OK);
	ASSERT_EQ(f->C_DigestInit(h2, &m2), CKR_OK);
	ASSERT_EQ(f->C_DigestUpdate(h, (CK_BYTE_PTR) "ab", 2), CKR_OK);
	ASSERT_EQ(f->C_DigestUpdate(h2, (CK_BYTE_PTR) "abc", 3), CKR_OK);
	ASSERT_EQ(f->C_DigestUpdate(h, (CK_BYTE_PTR) "c", 1), CKR_OK);
	CK_BYTE o1[32], o2[20];
	CK_ULONG l1 = 32, l2 = 20;
	ASSERT_EQ(f->C_DigestFinal(h, o1, &l1), CKR_OK);
	ASSERT_EQ(f->C_DigestFinal(h2, o2, &l2), CKR_OK);
	EXPECT_EQ(hex(o1, 4), "ba7816bf");
	EXPECT_EQ(hex(o2, 4), "a9993e36");
	// A session closed mid-operation frees it (checked by valgrind/ASan runs).
	ASSERT_EQ(f->C_DigestInit(h2, &m1), CKR_OK);
	EXPECT_EQ(f->C_CloseSession(h2), CKR_OK);
}

TEST_F(Digest, RandomNumbers)
{
	CK_BYTE a[64] = {0}, b[64] = {0};
	EXPECT_EQ(f->C_GenerateRandom(h, nullptr, 5), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_GenerateRandom(CK_INVALID_HANDLE, a, 5), CKR_SESSION_HANDLE_INVALID);
	EXPECT_EQ(f->C_GenerateRandom(h, a, 0), CKR_OK);
	ASSERT_EQ(f->C_GenerateRandom(h, a, sizeof(a)), CKR_OK);
	ASSERT_EQ(f->C_GenerateRandom(h, b, sizeof(b)), CKR_OK);
	EXPECT_NE(memcmp(a, b, sizeof(a)), 0);
	EXPECT_NE(memcmp(a, std::string(64, '\0').data(), 64), 0);
	EXPECT_EQ(f->C_SeedRandom(h, nullptr, 3), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_SeedRandom(h, (CK_BYTE_PTR) "seed", 4), CKR_OK);
}

} // namespace

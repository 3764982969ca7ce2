// The engine API's soft provider against independent oracles: the GCM
// specification's test cases and OpenSSL's command line for PBKDF2.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "command.h"
#include "fhsm/crypto.h"

#include "hex.h"

using fhsm_test::hex;

namespace {

// McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13 and 14.
TEST(Host, AesGcmKnownAnswers)
{
	uint8_t key[32] = {0}, iv[12] = {0}, pt[16] = {0}, ct[16], tag[16];
	ASSERT_EQ(fhsm_aes_gcm_seal(key, 32, iv, nullptr, 0, nullptr, 0, nullptr, tag), FHSM_OK);
	EXPECT_EQ(hex(tag, 16), "530f8afbc74536b9a963b4f1c4cb738b");
	ASSERT_EQ(fhsm_aes_gcm_seal(key, 32, iv, nullptr, 0, pt, 16, ct, tag), FHSM_OK);
	EXPECT_EQ(hex(ct, 16), "cea7403d4d606b6e074ec5d3baf39d18");
	EXPECT_EQ(hex(tag, 16), "d0d1c8a799996bf0265b98b5d48ab919");
	uint8_t back[16];
	ASSERT_EQ(fhsm_aes_gcm_open(key, 32, iv, nullptr, 0, ct, 16, back, tag), FHSM_OK);
	EXPECT_EQ(memcmp(back, pt, 16), 0);
}

TEST(Host, AesGcmDetectsTampering)
{
	uint8_t key[32], iv[12], aad[5] = {1, 2, 3, 4, 5}, msg[40], ct[40], tag[16], out[40];
	fhsm_random(key, sizeof(key));
	fhsm_random(iv, sizeof(iv));
	fhsm_random(msg, sizeof(msg));
	ASSERT_EQ(fhsm_aes_gcm_seal(key, 32, iv, aad, 5, msg, 40, ct, tag), FHSM_OK);
	ct[7] ^= 1;
	EXPECT_EQ(fhsm_aes_gcm_open(key, 32, iv, aad, 5, ct, 40, out, tag), FHSM_ERR_AUTH);
	ct[7] ^= 1;
	aad[0] ^= 1;
	EXPECT_EQ(fhsm_aes_gcm_open(key, 32, iv, aad, 5, ct, 40, out, tag), FHSM_ERR_AUTH);
	aad[0] ^= 1;
	tag[15] ^= 0x80;
	EXPECT_EQ(fhsm_aes_gcm_open(key, 32, iv, aad, 5, ct, 40, out, tag), FHSM_ERR_AUTH);
	tag[15] ^= 0x80;
	ASSERT_EQ(fhsm_aes_gcm_open(key, 32, iv, aad, 5, ct, 40, out, tag), FHSM_OK);
	EXPECT_EQ(memcmp(out, msg, 40), 0);
	// Bad arguments are refused before LibTomCrypt sees them (it would abort).
	EXPECT_EQ(fhsm_aes_gcm_seal(key, 31, iv, aad, 5, msg, 40, ct, tag), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_aes_gcm_seal(nullptr, 32, iv, aad, 5, msg, 40, ct, tag), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_aes_gcm_open(key, 32, iv, aad, 5, nullptr, 40, out, tag), FHSM_ERR_ARGS);
}

TEST(Host, Pbkdf2MatchesOpenssl)
{
	const char *pass = "correct horse", *salt = "NaCl-salt";
	uint8_t out[32];
	ASSERT_EQ(fhsm_pbkdf2_sha256(pass, strlen(pass), (const uint8_t *)salt, strlen(salt), 1000, out, 32), FHSM_OK);
	std::string line;
	ASSERT_EQ(fhsm_test::run_command("openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt 'pass:correct horse' "
					 "-kdfopt salt:NaCl-salt -kdfopt iter:1000 PBKDF2",
					 &line),
		  0);
	std::string want;
	for (char c : line)
		if (isxdigit((unsigned char)c))
			want += (char)tolower(c);
	EXPECT_EQ(hex(out, 32), want);
	EXPECT_EQ(fhsm_pbkdf2_sha256(pass, strlen(pass), nullptr, 4, 1000, out, 32), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_pbkdf2_sha256(pass, strlen(pass), (const uint8_t *)salt, 4, 0, out, 32), FHSM_ERR_ARGS);
}

TEST(Host, HygieneHelpers)
{
	uint8_t a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, b[8];
	memcpy(b, a, 8);
	EXPECT_TRUE(fhsm_ct_equal(a, b, 8));
	b[7] ^= 1;
	EXPECT_FALSE(fhsm_ct_equal(a, b, 8));
	fhsm_wipe(a, 8);
	EXPECT_EQ(memcmp(a, "\0\0\0\0\0\0\0\0", 8), 0);
	EXPECT_STREQ(fhsm_strerror(FHSM_ERR_AUTH), "authentication failed (wrong key or tampered data)");
}

// fhsm_random below and above its bulk threshold (256 B: a kernel key expanded by
// ChaCha20): byte frequencies of 1 MiB pass a chi-square test (255 degrees of
// freedom; 400 is exceeded with probability ~1e-8), draws never repeat, the two
// halves of one draw differ, and a forked child draws other bytes than its parent
// (no user-space state that fork would duplicate).
TEST(Host, RandomBulkAndSmall)
{
	for (size_t n : {16, 255, 256, 4096, 1 << 20}) {
		std::vector<uint8_t> a(n), b(n);
		ASSERT_EQ(fhsm_random(a.data(), n), FHSM_OK);
		ASSERT_EQ(fhsm_random(b.data(), n), FHSM_OK);
		EXPECT_NE(a, b) << n;
		if (n >= 256) {
			EXPECT_NE(memcmp(a.data(), a.data() + n / 2, n / 2), 0) << n;
		}
		if (n == 1 << 20) {
			double count[256] = {0}, chi = 0, expect = n / 256.0;
			for (uint8_t x : a)
				count[x]++;
			for (double c : count)
				chi += (c - expect) * (c - expect) / expect;
			EXPECT_LT(chi, 400) << "byte frequencies of 1 MiB";
			EXPECT_GT(chi, 150) << "too uniform to be random";
		}
	}
	int fds[2];
	ASSERT_EQ(pipe(fds), 0);
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	uint8_t mine[4096], child[4096];
	if (pid == 0) {
		bool ok = fhsm_random(mine, sizeof mine) == FHSM_OK && write(fds[1], mine, sizeof mine) == sizeof mine;
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(fhsm_random(mine, sizeof mine), FHSM_OK);
	ASSERT_EQ(read(fds[0], child, sizeof child), (ssize_t)sizeof child);
	int status = 0;
	waitpid(pid, &status, 0);
	EXPECT_EQ(status, 0);
	EXPECT_NE(memcmp(mine, child, sizeof mine), 0);
	close(fds[0]);
	close(fds[1]);
	EXPECT_EQ(fhsm_random(nullptr, 300), FHSM_ERR_ARGS);
}

} // namespace

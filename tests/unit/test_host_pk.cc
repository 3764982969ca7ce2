// The public-key primitives of the engine API against independent oracles: the openssl
// command line (keys it made, signatures and ciphertexts it made or checks) and the
// RFC 8032 / RFC 7748 test vectors. Nothing here is checked against our own code.
#include <gmp.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "command.h"
#include "fhsm/pk.h"

namespace {

using B = std::string; // bytes

const uint8_t *u8(const B &b) { return reinterpret_cast<const uint8_t *>(b.data()); }
uint8_t *u8(B &b) { return reinterpret_cast<uint8_t *>(&b[0]); }

B unhex(const char *h)
{
	B out;
	for (size_t i = 0; h[i] && h[i + 1]; i += 2)
		out += (char)strtoul(std::string(h + i, 2).c_str(), nullptr, 16);
	return out;
}

std::string hex(const B &b)
{
	static const char d[] = "0123456789abcdef";
	std::string s;
	for (unsigned char c : b)
		s += {d[c >> 4], d[c & 15]};
	return s;
}

B rnd(size_t n)
{
	B b(n, 0);
	EXPECT_EQ(fhsm_random(u8(b), n), FHSM_OK);
	return b;
}

B digest(fhsm_hash_alg alg, const B &msg)
{
	B out(fhsm_hash_size(alg), 0);
	EXPECT_EQ(fhsm_hash(alg, msg.data(), msg.size(), u8(out)), FHSM_OK);
	return out;
}

// ---- DER, just enough for keys and ECDSA signatures ----
B der(uint8_t tag, const B &body)
{
	B out(1, (char)tag);
	size_t n = body.size();
	if (n < 128) {
		out += (char)n;
	} else {
		B len;
		for (; n; n >>= 8)
			len.insert(len.begin(), (char)(n & 0xff));
		out += (char)(0x80 | len.size());
		out += len;
	}
	return out + body;
}
B der_int(B v)
{
	while (v.size() > 1 && v[0] == 0)
		v.erase(0, 1);
	if (v.empty())
		v = B(1, 0);
	if ((unsigned char)v[0] & 0x80)
		v.insert(v.begin(), 0);
	return der(0x02, v);
}
B der_seq(const B &body) { return der(0x30, body); }

struct Tlv {
	uint8_t tag;
	B body;
};
std::vector<Tlv> der_children(const B &in)
{
	std::vector<Tlv> out;
	size_t i = 0;
	while (i + 2 <= in.size()) {
		uint8_t tag = (uint8_t)in[i++];
		size_t len = (uint8_t)in[i++];
		if (len & 0x80) {
			size_t k = len & 0x7f;
			len = 0;
			while (k--)
				len = (len << 8) | (uint8_t)in[i++];
		}
		out.push_back({tag, in.substr(i, len)});
		i += len;
	}
	return out;
}
B strip0(B v)
{
	while (v.size() > 1 && v[0] == 0)
		v.erase(0, 1);
	return v;
}
B leftpad(B v, size_t n)
{
	v = strip0(v);
	if (v.size() == 1 && v[0] == 0)
		v.clear();
	return B(n - v.size(), 0) + v;
}

const B oid_rsa = unhex("06092a864886f70d010101");
const B oid_ec = unhex("06072a8648ce3d0201");
const B oid_curve[3] = {unhex("06082a8648ce3d030107"), unhex("06052b81040022"), unhex("06052b81040023")};
const B oid_ed25519 = unhex("06032b6570");

B spki(const B &alg, const B &key) { return der_seq(der_seq(alg) + der(0x03, B(1, 0) + key)); }

// ---- the oracle's side: files and the openssl command line ----
class HostPk : public ::testing::Test {
protected:
	static std::string dir;
	static B rsa_der;                 // openssl's RSA-2048 key, PKCS#1 DER
	static struct fhsm_rsa_parts rsa; // ... as parts

	static std::string path(const std::string &name) { return dir + "/" + name; }
	static void put(const std::string &name, const B &data)
	{
		std::ofstream f(path(name), std::ios::binary);
		f.write(data.data(), (std::streamsize)data.size());
	}
	static B get(const std::string &name)
	{
		std::ifstream f(path(name), std::ios::binary);
		std::stringstream ss;
		ss << f.rdbuf();
		return ss.str();
	}
	// Runs a shell command in the temp dir; returns its exit status, output in *out.
	static int sh(const std::string &cmd, std::string *out = nullptr)
	{
		std::string s;
		int st = fhsm_test::run_command("cd '" + dir + "' && " + cmd + " 2>&1", &s);
		if (out)
			*out = s;
		else if (st != 0)
			ADD_FAILURE() << cmd << ":\n" << s;
		return st;
	}
	static fhsm_bytes fb(const B &b)
	{
		fhsm_bytes r;
		r.len = b.size();
		r.p = (uint8_t *)malloc(b.size() + 1);
		memcpy(r.p, b.data(), b.size());
		return r;
	}
	static B bb(const fhsm_bytes &b) { return B((const char *)b.p, b.len); }

	static void SetUpTestSuite()
	{
		char tmpl[] = "/tmp/fhsm-pk-XXXXXX";
		ASSERT_NE(mkdtemp(tmpl), nullptr);
		dir = tmpl;
		ASSERT_EQ(sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem"), 0);
		ASSERT_EQ(sh("openssl pkey -in rsa.pem -pubout -out rsa.pub"), 0);
		ASSERT_EQ(sh("openssl rsa -in rsa.pem -traditional -outform DER -out rsa.der"), 0);
		rsa_der = get("rsa.der");
		auto top = der_children(rsa_der);
		ASSERT_EQ(top.size(), 1u);
		auto f = der_children(top[0].body);
		ASSERT_EQ(f.size(), 9u);
		fhsm_bytes *dst[] = {&rsa.n, &rsa.e, &rsa.d, &rsa.p, &rsa.q, &rsa.dp, &rsa.dq, &rsa.qinv};
		for (int i = 0; i < 8; i++)
			*dst[i] = fb(strip0(f[i + 1].body));
	}
	static void TearDownTestSuite()
	{
		fhsm_bytes *dst[] = {&rsa.n, &rsa.e, &rsa.d, &rsa.p, &rsa.q, &rsa.dp, &rsa.dq, &rsa.qinv};
		for (auto *b : dst)
			fhsm_bytes_free(b);
		if (!dir.empty())
			sh("rm -rf '" + dir + "'");
	}

	static fhsm_rsa_key *openssl_key()
	{
		fhsm_rsa_key *k = nullptr;
		EXPECT_EQ(fhsm_rsa_from_parts(&rsa, &k), FHSM_OK);
		return k;
	}
	static B rsa_pub_der(const fhsm_rsa_key *k)
	{
		fhsm_rsa_parts p;
		EXPECT_EQ(fhsm_rsa_to_parts(k, &p), FHSM_OK);
		B out = spki(oid_rsa + unhex("0500"), der_seq(der_int(bb(p.n)) + der_int(bb(p.e))));
		fhsm_bytes *all[] = {&p.n, &p.e, &p.d, &p.p, &p.q, &p.dp, &p.dq, &p.qinv};
		for (auto *b : all)
			fhsm_bytes_free(b);
		return out;
	}
	static B rsa_priv_der(const fhsm_rsa_parts &p)
	{
		B body = der_int(B(1, 0));
		const fhsm_bytes *all[] = {&p.n, &p.e, &p.d, &p.p, &p.q, &p.dp, &p.dq, &p.qinv};
		for (auto *b : all)
			body += der_int(bb(*b));
		return der_seq(body);
	}
	static B sign(const fhsm_rsa_key *k, const fhsm_rsa_params &p, const B &in)
	{
		B sig(fhsm_rsa_modulus_bytes(k), 0);
		size_t len = sig.size();
		EXPECT_EQ(fhsm_rsa_sign(k, &p, u8(in), in.size(), u8(sig), &len), FHSM_OK);
		sig.resize(len);
		return sig;
	}
};
std::string HostPk::dir;
B HostPk::rsa_der;
struct fhsm_rsa_parts HostPk::rsa;

const char *md_name[] = {"md5", "sha1", "sha224", "sha256", "sha384", "sha512"};

// ---- RSA ----

TEST_F(HostPk, RsaPkcs1SignMatchesOpenssl)
{
	fhsm_rsa_key *k = openssl_key();
	ASSERT_NE(k, nullptr);
	EXPECT_TRUE(fhsm_rsa_is_private(k));
	EXPECT_EQ(fhsm_rsa_modulus_bytes(k), 256u);
	B msg = rnd(100);
	for (int h = FHSM_HASH_MD5; h <= FHSM_HASH_SHA512; h++) {
		B d = digest((fhsm_hash_alg)h, msg);
		fhsm_rsa_params p = {FHSM_RSA_PKCS1, h, 0, 0, nullptr, 0};
		B sig = sign(k, p, d);
		put("d", d);
		// PKCS#1 v1.5 is deterministic: openssl must produce the same bytes.
		ASSERT_EQ(sh(std::string("openssl pkeyutl -sign -inkey rsa.pem -in d -out s -pkeyopt digest:") +
			     md_name[h]), 0);
		EXPECT_EQ(hex(sig), hex(get("s"))) << md_name[h];
		EXPECT_EQ(fhsm_rsa_verify(k, &p, u8(d), d.size(), u8(sig), sig.size()), FHSM_OK);
		B bad = sig;
		bad[100] ^= 1;
		EXPECT_EQ(fhsm_rsa_verify(k, &p, u8(d), d.size(), u8(bad), bad.size()), FHSM_ERR_AUTH);
		B d2 = d;
		d2[0] ^= 0x80;
		EXPECT_EQ(fhsm_rsa_verify(k, &p, u8(d2), d2.size(), u8(sig), sig.size()), FHSM_ERR_AUTH);
	}
	// hash = -1: the input is padded as-is (openssl without a digest does the same).
	fhsm_rsa_params raw = {FHSM_RSA_PKCS1, -1, 0, 0, nullptr, 0};
	B info = rnd(51);
	B sig = sign(k, raw, info);
	put("i", info);
	ASSERT_EQ(sh("openssl pkeyutl -sign -inkey rsa.pem -in i -out s"), 0);
	EXPECT_EQ(hex(sig), hex(get("s")));
	EXPECT_EQ(fhsm_rsa_verify(k, &raw, u8(info), info.size(), u8(sig), sig.size()), FHSM_OK);
	B toolong = rnd(256 - 10);
	size_t len = 256;
	EXPECT_EQ(fhsm_rsa_sign(k, &raw, u8(toolong), toolong.size(), u8(sig), &len), FHSM_ERR_ARGS);
	fhsm_rsa_free(k);
}

TEST_F(HostPk, RsaPssBothWaysWithOpenssl)
{
	fhsm_rsa_key *k = openssl_key();
	ASSERT_NE(k, nullptr);
	struct {
		int hash, mgf;
		size_t salt;
	} cases[] = {{FHSM_HASH_SHA256, FHSM_HASH_SHA256, 32}, {FHSM_HASH_SHA256, FHSM_HASH_SHA1, 20},
		     {FHSM_HASH_SHA512, FHSM_HASH_SHA384, 0}, {FHSM_HASH_SHA1, FHSM_HASH_SHA512, 64}};
	for (auto &c : cases) {
		B d = digest((fhsm_hash_alg)c.hash, rnd(33));
		put("d", d);
		fhsm_rsa_params p = {FHSM_RSA_PSS, c.hash, c.mgf, c.salt, nullptr, 0};
		std::string opts = std::string(" -pkeyopt rsa_padding_mode:pss -pkeyopt digest:") + md_name[c.hash] +
				   " -pkeyopt rsa_mgf1_md:" + md_name[c.mgf] +
				   " -pkeyopt rsa_pss_saltlen:" + std::to_string(c.salt);
		B sig = sign(k, p, d);
		put("s", sig);
		EXPECT_EQ(sh("openssl pkeyutl -verify -pubin -inkey rsa.pub -in d -sigfile s" + opts), 0)
			<< md_name[c.hash] << "/" << md_name[c.mgf];
		ASSERT_EQ(sh("openssl pkeyutl -sign -inkey rsa.pem -in d -out o" + opts), 0);
		B theirs = get("o");
		EXPECT_EQ(fhsm_rsa_verify(k, &p, u8(d), d.size(), u8(theirs), theirs.size()), FHSM_OK);
		for (size_t at : {0ul, 128ul, 255ul}) {
			B bad = theirs;
			bad[at] ^= 4;
			EXPECT_EQ(fhsm_rsa_verify(k, &p, u8(d), d.size(), u8(bad), bad.size()), FHSM_ERR_AUTH);
		}
		fhsm_rsa_params wrong = p;
		wrong.mgf_hash = c.mgf == FHSM_HASH_SHA1 ? FHSM_HASH_SHA256 : FHSM_HASH_SHA1;
		EXPECT_EQ(fhsm_rsa_verify(k, &wrong, u8(d), d.size(), u8(theirs), theirs.size()), FHSM_ERR_AUTH);
		wrong = p;
		wrong.salt_len = c.salt + 1;
		EXPECT_EQ(fhsm_rsa_verify(k, &wrong, u8(d), d.size(), u8(theirs), theirs.size()), FHSM_ERR_AUTH);
	}
	// Salt too long for the modulus; digest of the wrong size.
	B d = digest(FHSM_HASH_SHA256, "x"), sig(256, 0);
	size_t len = sig.size();
	fhsm_rsa_params p = {FHSM_RSA_PSS, FHSM_HASH_SHA256, FHSM_HASH_SHA256, 256 - 32 - 1, nullptr, 0};
	EXPECT_EQ(fhsm_rsa_sign(k, &p, u8(d), d.size(), u8(sig), &len), FHSM_ERR_ARGS);
	p.salt_len = 32;
	EXPECT_EQ(fhsm_rsa_sign(k, &p, u8(d), 31, u8(sig), &len), FHSM_ERR_ARGS);
	fhsm_rsa_free(k);
}

TEST_F(HostPk, RsaOaepBothWaysWithOpenssl)
{
	fhsm_rsa_key *k = openssl_key();
	ASSERT_NE(k, nullptr);
	struct {
		int hash, mgf;
		const char *label;
	} cases[] = {{FHSM_HASH_SHA1, FHSM_HASH_SHA1, ""}, {FHSM_HASH_SHA256, FHSM_HASH_SHA1, "6c6162656c"},
		     {FHSM_HASH_SHA512, FHSM_HASH_SHA256, "00ff"}, {FHSM_HASH_SHA224, FHSM_HASH_SHA384, ""}};
	for (auto &c : cases) {
		B label = unhex(c.label);
		fhsm_rsa_params p = {FHSM_RSA_OAEP, c.hash, c.mgf, 0, u8(label), label.size()};
		std::string opts = std::string(" -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:") + md_name[c.hash] +
				   " -pkeyopt rsa_mgf1_md:" + md_name[c.mgf] +
				   (label.empty() ? "" : std::string(" -pkeyopt rsa_oaep_label:") + c.label);
		size_t max = 256 - 2 * fhsm_hash_size((fhsm_hash_alg)c.hash) - 2;
		for (size_t n : {(size_t)0, (size_t)1, max}) {
			B msg = rnd(n);
			put("m", msg);
			ASSERT_EQ(sh("openssl pkeyutl -encrypt -pubin -inkey rsa.pub -in m -out c" + opts), 0);
			B ct = get("c"), out(256, 0);
			size_t len = out.size();
			ASSERT_EQ(fhsm_rsa_decrypt(k, &p, u8(ct), ct.size(), u8(out), &len), FHSM_OK);
			EXPECT_EQ(hex(out.substr(0, len)), hex(msg));
			// ours -> openssl
			len = out.size();
			ASSERT_EQ(fhsm_rsa_encrypt(k, &p, u8(msg), msg.size(), u8(out), &len), FHSM_OK);
			ASSERT_EQ(len, 256u);
			put("c", out);
			ASSERT_EQ(sh("openssl pkeyutl -decrypt -inkey rsa.pem -in c -out m2" + opts), 0);
			EXPECT_EQ(hex(get("m2")), hex(msg));
			// tampered ciphertext, wrong label, wrong MGF
			B bad = ct;
			bad[7] ^= 1;
			len = out.size();
			EXPECT_EQ(fhsm_rsa_decrypt(k, &p, u8(bad), bad.size(), u8(out), &len), FHSM_ERR_AUTH);
			B other = label + "x";
			fhsm_rsa_params q = p;
			q.label = u8(other);
			q.label_len = other.size();
			len = out.size();
			EXPECT_EQ(fhsm_rsa_decrypt(k, &q, u8(ct), ct.size(), u8(out), &len), FHSM_ERR_AUTH);
			q = p;
			q.mgf_hash = c.mgf == FHSM_HASH_SHA1 ? FHSM_HASH_SHA256 : FHSM_HASH_SHA1;
			len = out.size();
			EXPECT_EQ(fhsm_rsa_decrypt(k, &q, u8(ct), ct.size(), u8(out), &len), FHSM_ERR_AUTH);
		}
		B big = rnd(max + 1), out(256, 0);
		size_t len = out.size();
		EXPECT_EQ(fhsm_rsa_encrypt(k, &p, u8(big), big.size(), u8(out), &len), FHSM_ERR_ARGS);
	}
	fhsm_rsa_free(k);
}

TEST_F(HostPk, RsaPkcs1EncryptionAndRawWithOpenssl)
{
	fhsm_rsa_key *k = openssl_key();
	ASSERT_NE(k, nullptr);
	fhsm_rsa_params p = {FHSM_RSA_PKCS1, -1, 0, 0, nullptr, 0};
	for (size_t n : {0ul, 16ul, 245ul}) {
		B msg = rnd(n), out(256, 0);
		put("m", msg);
		ASSERT_EQ(sh("openssl pkeyutl -encrypt -pubin -inkey rsa.pub -in m -out c"), 0);
		B ct = get("c");
		size_t len = out.size();
		ASSERT_EQ(fhsm_rsa_decrypt(k, &p, u8(ct), ct.size(), u8(out), &len), FHSM_OK);
		EXPECT_EQ(hex(out.substr(0, len)), hex(msg));
		len = out.size();
		ASSERT_EQ(fhsm_rsa_encrypt(k, &p, u8(msg), msg.size(), u8(out), &len), FHSM_OK);
		put("c", out);
		ASSERT_EQ(sh("openssl pkeyutl -decrypt -inkey rsa.pem -in c -out m2"), 0);
		EXPECT_EQ(hex(get("m2")), hex(msg));
	}
	B toolong = rnd(246), out(256, 0);
	size_t len = out.size();
	EXPECT_EQ(fhsm_rsa_encrypt(k, &p, u8(toolong), toolong.size(), u8(out), &len), FHSM_ERR_ARGS);

	// Malformed paddings, encrypted raw by openssl: each must be FHSM_ERR_AUTH.
	auto em = [](uint8_t b0, uint8_t b1, size_t sep) {
		B e(256, 0);
		e[0] = (char)b0;
		e[1] = (char)b1;
		for (size_t i = 2; i < 256; i++)
			e[i] = (char)(1 + i % 200);
		if (sep)
			e[sep] = 0;
		return e;
	};
	B bads[] = {em(0, 1, 100), em(0, 3, 100), em(1, 2, 100), em(0, 2, 0), em(0, 2, 9), em(0, 2, 2)};
	for (auto &e : bads) {
		put("e", e);
		ASSERT_EQ(sh("openssl pkeyutl -encrypt -pubin -inkey rsa.pub -in e -out c -pkeyopt rsa_padding_mode:none"), 0);
		B ct = get("c");
		len = out.size();
		EXPECT_EQ(fhsm_rsa_decrypt(k, &p, u8(ct), ct.size(), u8(out), &len), FHSM_ERR_AUTH) << hex(e.substr(0, 12));
	}
	// The shortest valid padding (8 bytes of PS) is accepted.
	{
		B e = em(0, 2, 10);
		put("e", e);
		ASSERT_EQ(sh("openssl pkeyutl -encrypt -pubin -inkey rsa.pub -in e -out c -pkeyopt rsa_padding_mode:none"), 0);
		B ct = get("c");
		len = out.size();
		ASSERT_EQ(fhsm_rsa_decrypt(k, &p, u8(ct), ct.size(), u8(out), &len), FHSM_OK);
		EXPECT_EQ(hex(out.substr(0, len)), hex(e.substr(11)));
		// Too small an output buffer: the needed size comes back.
		len = 10;
		EXPECT_EQ(fhsm_rsa_decrypt(k, &p, u8(ct), ct.size(), u8(out), &len), FHSM_ERR_BUFFER);
		EXPECT_EQ(len, 245u);
	}

	// RAW (X.509): both directions equal openssl's unpadded operations.
	fhsm_rsa_params raw = {FHSM_RSA_RAW, -1, 0, 0, nullptr, 0};
	B m = rnd(256);
	m[0] = 0x3f;
	put("m", m);
	ASSERT_EQ(sh("openssl pkeyutl -encrypt -pubin -inkey rsa.pub -in m -out c -pkeyopt rsa_padding_mode:none"), 0);
	len = out.size();
	ASSERT_EQ(fhsm_rsa_encrypt(k, &raw, u8(m), m.size(), u8(out), &len), FHSM_OK);
	EXPECT_EQ(hex(out), hex(get("c")));
	ASSERT_EQ(sh("openssl pkeyutl -decrypt -inkey rsa.pem -in m -out s -pkeyopt rsa_padding_mode:none"), 0);
	B sig = sign(k, raw, m);
	EXPECT_EQ(hex(sig), hex(get("s")));
	EXPECT_EQ(fhsm_rsa_verify(k, &raw, u8(m), m.size(), u8(sig), sig.size()), FHSM_OK);
	sig[3] ^= 1;
	EXPECT_EQ(fhsm_rsa_verify(k, &raw, u8(m), m.size(), u8(sig), sig.size()), FHSM_ERR_AUTH);
	len = out.size();
	ASSERT_EQ(fhsm_rsa_decrypt(k, &raw, u8(get("c")), 256, u8(out), &len), FHSM_OK);
	EXPECT_EQ(hex(out), hex(m));
	// Short RAW input is left-padded with zeros.
	B shortm = m.substr(100);
	len = out.size();
	ASSERT_EQ(fhsm_rsa_encrypt(k, &raw, u8(shortm), shortm.size(), u8(out), &len), FHSM_OK);
	put("m", B(100, 0) + shortm);
	ASSERT_EQ(sh("openssl pkeyutl -encrypt -pubin -inkey rsa.pub -in m -out c -pkeyopt rsa_padding_mode:none"), 0);
	EXPECT_EQ(hex(out), hex(get("c")));
	// Inputs not below the modulus.
	B n = bb(rsa.n), over = n;
	len = out.size();
	EXPECT_EQ(fhsm_rsa_encrypt(k, &raw, u8(n), n.size(), u8(out), &len), FHSM_ERR_ARGS);
	B ff(256, (char)0xff);
	len = out.size();
	EXPECT_EQ(fhsm_rsa_sign(k, &raw, u8(ff), ff.size(), u8(out), &len), FHSM_ERR_ARGS);
	len = out.size();
	EXPECT_EQ(fhsm_rsa_decrypt(k, &p, u8(ff), ff.size(), u8(out), &len), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_rsa_verify(k, &raw, u8(m), m.size(), u8(ff), ff.size()), FHSM_ERR_AUTH);
	B big = rnd(257);
	len = out.size();
	EXPECT_EQ(fhsm_rsa_encrypt(k, &raw, u8(big), big.size(), u8(out), &len), FHSM_ERR_ARGS);
	fhsm_rsa_free(k);
}

TEST_F(HostPk, RsaPartialPrivateKeys)
{
	B d = digest(FHSM_HASH_SHA256, "partial");
	put("d", d);
	ASSERT_EQ(sh("openssl pkeyutl -sign -inkey rsa.pem -in d -out s -pkeyopt digest:sha256"), 0);
	B want = get("s");
	fhsm_rsa_params p = {FHSM_RSA_PKCS1, FHSM_HASH_SHA256, 0, 0, nullptr, 0};
	fhsm_bytes none = {nullptr, 0};
	// n, e, d only: the factors are recovered; p only: q = n / p.
	fhsm_rsa_parts donly = {rsa.n, rsa.e, rsa.d, none, none, none, none, none};
	fhsm_rsa_parts ponly = {rsa.n, rsa.e, rsa.d, rsa.p, none, none, none, none};
	for (auto *parts : {&donly, &ponly}) {
		fhsm_rsa_key *k = nullptr;
		ASSERT_EQ(fhsm_rsa_from_parts(parts, &k), FHSM_OK);
		EXPECT_TRUE(fhsm_rsa_is_private(k));
		EXPECT_EQ(hex(sign(k, p, d)), hex(want));
		fhsm_rsa_parts full;
		ASSERT_EQ(fhsm_rsa_to_parts(k, &full), FHSM_OK);
		put("k.der", rsa_priv_der(full));
		std::string out;
		EXPECT_EQ(sh("openssl rsa -inform DER -in k.der -check -noout", &out), 0) << out;
		EXPECT_NE(out.find("RSA key ok"), std::string::npos) << out;
		fhsm_bytes *all[] = {&full.n, &full.e, &full.d, &full.p, &full.q, &full.dp, &full.dq, &full.qinv};
		for (auto *b : all)
			fhsm_bytes_free(b);
		fhsm_rsa_free(k);
	}
	// Public only: verifies openssl's signature, refuses to sign or decrypt.
	fhsm_rsa_parts pub = {rsa.n, rsa.e, none, none, none, none, none, none};
	fhsm_rsa_key *k = nullptr;
	ASSERT_EQ(fhsm_rsa_from_parts(&pub, &k), FHSM_OK);
	EXPECT_FALSE(fhsm_rsa_is_private(k));
	EXPECT_EQ(fhsm_rsa_verify(k, &p, u8(d), d.size(), u8(want), want.size()), FHSM_OK);
	B sig(256, 0);
	size_t len = sig.size();
	EXPECT_EQ(fhsm_rsa_sign(k, &p, u8(d), d.size(), u8(sig), &len), FHSM_ERR_ARGS);
	fhsm_rsa_free(k);
	// Inconsistent parts are refused: wrong d, wrong p, even e, even n.
	B d2 = bb(rsa.d);
	d2[d2.size() - 1] ^= 2;
	fhsm_bytes bd = fb(d2);
	fhsm_rsa_parts wrong = {rsa.n, rsa.e, bd, rsa.p, rsa.q, none, none, none};
	EXPECT_EQ(fhsm_rsa_from_parts(&wrong, &k), FHSM_ERR_ARGS);
	wrong.p = rsa.q;
	wrong.q = none;
	wrong.d = rsa.d;
	wrong.p = bd; // not a factor of n
	EXPECT_EQ(fhsm_rsa_from_parts(&wrong, &k), FHSM_ERR_ARGS);
	fhsm_rsa_parts nofactor = {rsa.n, rsa.e, bd, none, none, none, none, none};
	EXPECT_EQ(fhsm_rsa_from_parts(&nofactor, &k), FHSM_ERR_ARGS);
	fhsm_bytes_free(&bd);
	uint8_t four = 4;
	fhsm_bytes even = {&four, 1};
	fhsm_rsa_parts bade = {rsa.n, even, none, none, none, none, none, none};
	EXPECT_EQ(fhsm_rsa_from_parts(&bade, &k), FHSM_ERR_ARGS);
	fhsm_rsa_parts badn = {even, rsa.e, none, none, none, none, none, none};
	EXPECT_EQ(fhsm_rsa_from_parts(&badn, &k), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_rsa_from_parts(nullptr, &k), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_rsa_from_parts(&pub, nullptr), FHSM_ERR_ARGS);
}

TEST_F(HostPk, RsaGenerateCheckedByOpenssl)
{
	// 1025 bits: the PSS encoding is one byte shorter than the modulus.
	struct {
		unsigned bits;
		const char *e;
	} cases[] = {{1024, ""}, {1025, "03"}, {1032, "0100000001"}};
	for (auto &c : cases) {
		B e = unhex(c.e);
		fhsm_rsa_key *k = nullptr;
		ASSERT_EQ(fhsm_rsa_generate(c.bits, e.empty() ? nullptr : u8(e), e.size(), &k), FHSM_OK);
		EXPECT_EQ(fhsm_rsa_modulus_bits(k), c.bits);
		EXPECT_EQ(fhsm_rsa_modulus_bytes(k), (c.bits + 7) / 8);
		fhsm_rsa_parts parts;
		ASSERT_EQ(fhsm_rsa_to_parts(k, &parts), FHSM_OK);
		EXPECT_EQ(hex(bb(parts.e)), e.empty() ? "010001" : hex(e));
		put("g.der", rsa_priv_der(parts));
		std::string out;
		EXPECT_EQ(sh("openssl rsa -inform DER -in g.der -check -noout", &out), 0) << out;
		EXPECT_NE(out.find("RSA key ok"), std::string::npos) << out;
		fhsm_bytes *all[] = {&parts.n, &parts.e, &parts.d, &parts.p, &parts.q, &parts.dp, &parts.dq, &parts.qinv};
		for (auto *b : all)
			fhsm_bytes_free(b);
		put("g.pub", rsa_pub_der(k));
		B d = digest(FHSM_HASH_SHA384, rnd(10));
		put("d", d);
		fhsm_rsa_params p = {FHSM_RSA_PSS, FHSM_HASH_SHA384, FHSM_HASH_SHA256, 48, nullptr, 0};
		put("s", sign(k, p, d));
		EXPECT_EQ(sh("openssl pkeyutl -verify -pubin -keyform DER -inkey g.pub -in d -sigfile s "
			     "-pkeyopt rsa_padding_mode:pss -pkeyopt digest:sha384 -pkeyopt rsa_mgf1_md:sha256 "
			     "-pkeyopt rsa_pss_saltlen:48"), 0) << c.bits;
		fhsm_rsa_params p1 = {FHSM_RSA_PKCS1, FHSM_HASH_SHA384, 0, 0, nullptr, 0};
		put("s", sign(k, p1, d));
		EXPECT_EQ(sh("openssl pkeyutl -verify -pubin -keyform DER -inkey g.pub -in d -sigfile s "
			     "-pkeyopt digest:sha384"), 0) << c.bits;
		fhsm_rsa_free(k);
	}
	fhsm_rsa_key *k = nullptr;
	uint8_t even[] = {0x01, 0x00, 0x00}, one[] = {1}, nine[9] = {1, 0, 0, 0, 0, 0, 0, 0, 1};
	EXPECT_EQ(fhsm_rsa_generate(1023, nullptr, 0, &k), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_rsa_generate(8193, nullptr, 0, &k), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_rsa_generate(2048, even, 3, &k), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_rsa_generate(2048, one, 1, &k), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_rsa_generate(2048, nine, 9, &k), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_rsa_generate(2048, nullptr, 3, &k), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_rsa_generate(2048, nullptr, 0, nullptr), FHSM_ERR_ARGS);
}

// The CRT halves run on OpenSSL's BN_mod_exp_mont_consttime_x2, which takes a fused
// path for some prime sizes (1024/1536/2048 bits on CPUs with AVX-512 IFMA) and two
// single exponentiations otherwise, and the two primes need not be the same size in
// an imported key: every case signs exactly as openssl does with the same key.
TEST_F(HostPk, RsaCrtHalvesOfEverySizeMatchOpenssl)
{
	std::vector<fhsm_rsa_key *> keys;
	for (unsigned bits : {1536u, 2048u, 3072u, 4096u}) {
		fhsm_rsa_key *k = nullptr;
		ASSERT_EQ(fhsm_rsa_generate(bits, nullptr, 0, &k), FHSM_OK) << bits;
		keys.push_back(k);
	}
	// Unbalanced: a 768-bit and a 1280-bit prime from openssl, d computed here (GMP).
	for (int tries = 0; tries < 4 && keys.size() == 4; tries++) {
		std::string hp, hq;
		ASSERT_EQ(sh("openssl prime -generate -hex -bits 768", &hp), 0);
		ASSERT_EQ(sh("openssl prime -generate -hex -bits 1280", &hq), 0);
		mpz_t P, Q, N, L, D, E, t;
		mpz_inits(P, Q, N, L, D, E, t, nullptr);
		mpz_set_str(P, hp.substr(0, hp.find_first_of("\r\n")).c_str(), 16);
		mpz_set_str(Q, hq.substr(0, hq.find_first_of("\r\n")).c_str(), 16);
		mpz_set_ui(E, 65537);
		mpz_mul(N, P, Q);
		mpz_sub_ui(L, P, 1);
		mpz_sub_ui(t, Q, 1);
		mpz_lcm(L, L, t);
		bool ok = mpz_invert(D, E, L) != 0;
		auto bytes = [](const mpz_t v) {
			B b((mpz_sizeinbase(v, 2) + 7) / 8, 0);
			size_t n = 0;
			mpz_export(u8(b), &n, 1, 1, 1, 0, v);
			b.resize(n);
			return b;
		};
		B n = bytes(N), e = bytes(E), d = bytes(D), p = bytes(P);
		mpz_clears(P, Q, N, L, D, E, t, nullptr);
		if (!ok)
			continue; /* 65537 divides p-1 or q-1: other primes */
		fhsm_bytes none = {nullptr, 0};
		fhsm_bytes fn = fb(n), fe = fb(e), fd = fb(d), fp = fb(p);
		fhsm_rsa_parts parts = {fn, fe, fd, fp, none, none, none, none};
		fhsm_rsa_key *k = nullptr;
		EXPECT_EQ(fhsm_rsa_from_parts(&parts, &k), FHSM_OK);
		for (auto *b : {&fn, &fe, &fd, &fp})
			fhsm_bytes_free(b);
		ASSERT_NE(k, nullptr);
		keys.push_back(k);
	}
	ASSERT_EQ(keys.size(), 5u);
	B dg = digest(FHSM_HASH_SHA256, rnd(64));
	put("d", dg);
	fhsm_rsa_params p = {FHSM_RSA_PKCS1, FHSM_HASH_SHA256, 0, 0, nullptr, 0};
	for (auto *k : keys) {
		fhsm_rsa_parts full;
		ASSERT_EQ(fhsm_rsa_to_parts(k, &full), FHSM_OK);
		put("k.der", rsa_priv_der(full));
		size_t pbits = full.p.len * 8, qbits = full.q.len * 8;
		fhsm_bytes *all[] = {&full.n, &full.e, &full.d, &full.p, &full.q, &full.dp, &full.dq, &full.qinv};
		for (auto *b : all)
			fhsm_bytes_free(b);
		ASSERT_EQ(sh("openssl rsa -inform DER -in k.der -out k.pem && "
			     "openssl pkeyutl -sign -inkey k.pem -in d -out s -pkeyopt digest:sha256"), 0);
		EXPECT_EQ(hex(sign(k, p, dg)), hex(get("s")))
			<< fhsm_rsa_modulus_bits(k) << "-bit key, primes of ~" << pbits << " and ~" << qbits << " bits";
		fhsm_rsa_free(k);
	}
}

TEST_F(HostPk, RsaBadArguments)
{
	fhsm_rsa_key *k = openssl_key();
	ASSERT_NE(k, nullptr);
	fhsm_rsa_params p = {FHSM_RSA_PKCS1, FHSM_HASH_SHA256, 0, 0, nullptr, 0};
	B d = digest(FHSM_HASH_SHA256, "a"), out(256, 0);
	size_t len = out.size();
	EXPECT_EQ(fhsm_rsa_sign(nullptr, &p, u8(d), d.size(), u8(out), &len), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_rsa_sign(k, nullptr, u8(d), d.size(), u8(out), &len), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_rsa_sign(k, &p, nullptr, d.size(), u8(out), &len), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_rsa_sign(k, &p, u8(d), d.size(), nullptr, &len), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_rsa_sign(k, &p, u8(d), d.size(), u8(out), nullptr), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_rsa_sign(k, &p, u8(d), 31, u8(out), &len), FHSM_ERR_ARGS);
	len = 255;
	EXPECT_EQ(fhsm_rsa_sign(k, &p, u8(d), d.size(), u8(out), &len), FHSM_ERR_BUFFER);
	EXPECT_EQ(len, 256u);
	fhsm_rsa_params q = p;
	q.hash = FHSM_HASH_COUNT;
	EXPECT_EQ(fhsm_rsa_sign(k, &q, u8(d), d.size(), u8(out), &len), FHSM_ERR_ARGS);
	q = p;
	q.pad = FHSM_RSA_OAEP;
	EXPECT_EQ(fhsm_rsa_sign(k, &q, u8(d), d.size(), u8(out), &len), FHSM_ERR_ARGS);
	q = {FHSM_RSA_PSS, FHSM_HASH_SHA256, -1, 32, nullptr, 0};
	EXPECT_EQ(fhsm_rsa_sign(k, &q, u8(d), d.size(), u8(out), &len), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_rsa_verify(k, &p, u8(d), d.size(), u8(out), 255), FHSM_ERR_AUTH);
	EXPECT_EQ(fhsm_rsa_verify(k, &p, u8(d), d.size(), nullptr, 256), FHSM_ERR_ARGS);
	q = {FHSM_RSA_OAEP, FHSM_HASH_SHA512, FHSM_HASH_SHA512, 0, nullptr, 3};
	EXPECT_EQ(fhsm_rsa_encrypt(k, &q, u8(d), d.size(), u8(out), &len), FHSM_ERR_ARGS);
	len = 256;
	EXPECT_EQ(fhsm_rsa_decrypt(k, &p, u8(out), 255, u8(out), &len), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_rsa_modulus_bytes(nullptr), 0u);
	EXPECT_FALSE(fhsm_rsa_is_private(nullptr));
	fhsm_rsa_parts parts;
	EXPECT_EQ(fhsm_rsa_to_parts(nullptr, &parts), FHSM_ERR_ARGS);
	fhsm_rsa_free(nullptr);
	fhsm_bytes_free(nullptr);
	fhsm_rsa_free(k);
}

// ---- EC ----

struct EcCase {
	fhsm_ec_curve c;
	const char *name;
	size_t bytes;
};
const EcCase ec_cases[] = {{FHSM_EC_P256, "P-256", 32}, {FHSM_EC_P384, "P-384", 48}, {FHSM_EC_P521, "P-521", 66}};

B ec_sig_der(const B &rs)
{
	size_t n = rs.size() / 2;
	return der_seq(der_int(rs.substr(0, n)) + der_int(rs.substr(n)));
}

TEST_F(HostPk, EcdsaBothWaysWithOpenssl)
{
	for (auto &c : ec_cases) {
		EXPECT_EQ(fhsm_ec_scalar_bytes(c.c), c.bytes);
		ASSERT_EQ(sh(std::string("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:") + c.name +
			     " -out ec.pem && openssl pkey -in ec.pem -pubout -out ec.pub && "
			     "openssl ec -in ec.pem -outform DER -out ec.der"), 0);
		// ECPrivateKey: version, privateKey, [0] parameters, [1] publicKey
		auto f = der_children(der_children(get("ec.der"))[0].body);
		ASSERT_GE(f.size(), 4u);
		B priv = leftpad(f[1].body, c.bytes), pub = der_children(f[3].body)[0].body.substr(1);
		ASSERT_EQ(pub.size(), 1 + 2 * c.bytes);
		B point(FHSM_EC_MAX_POINT, 0);
		size_t plen = point.size();
		ASSERT_EQ(fhsm_ec_public_from_private(c.c, u8(priv), priv.size(), u8(point), &plen), FHSM_OK);
		EXPECT_EQ(hex(point.substr(0, plen)), hex(pub)) << c.name;
		EXPECT_EQ(fhsm_ec_check_point(c.c, u8(pub), pub.size()), FHSM_OK);

		for (int h : {FHSM_HASH_SHA1, FHSM_HASH_SHA256, FHSM_HASH_SHA512}) {
			B d = digest((fhsm_hash_alg)h, rnd(20));
			put("d", d);
			B sig(2 * c.bytes, 0);
			size_t slen = sig.size();
			ASSERT_EQ(fhsm_ecdsa_sign(c.c, u8(priv), priv.size(), u8(d), d.size(), u8(sig), &slen), FHSM_OK);
			ASSERT_EQ(slen, 2 * c.bytes);
			put("s", ec_sig_der(sig));
			EXPECT_EQ(sh("openssl pkeyutl -verify -pubin -inkey ec.pub -in d -sigfile s"), 0) << c.name << h;
			ASSERT_EQ(sh("openssl pkeyutl -sign -inkey ec.pem -in d -out o"), 0);
			auto rs = der_children(der_children(get("o"))[0].body);
			ASSERT_EQ(rs.size(), 2u);
			B theirs = leftpad(rs[0].body, c.bytes) + leftpad(rs[1].body, c.bytes);
			EXPECT_EQ(fhsm_ecdsa_verify(c.c, u8(pub), pub.size(), u8(d), d.size(), u8(theirs), theirs.size()),
				  FHSM_OK) << c.name << h;
			for (size_t at : {(size_t)0, c.bytes - 1, c.bytes, 2 * c.bytes - 1}) {
				B bad = theirs;
				bad[at] ^= 1;
				EXPECT_EQ(fhsm_ecdsa_verify(c.c, u8(pub), pub.size(), u8(d), d.size(), u8(bad), bad.size()),
					  FHSM_ERR_AUTH);
			}
			B d2 = d;
			d2[0] ^= 1;
			EXPECT_EQ(fhsm_ecdsa_verify(c.c, u8(pub), pub.size(), u8(d2), d2.size(), u8(theirs), theirs.size()),
				  FHSM_ERR_AUTH);
			// Bytes past the order's length are truncated away (FIPS 186-4), others count.
			d2 = d;
			d2[d2.size() - 1] ^= 1;
			EXPECT_EQ(fhsm_ecdsa_verify(c.c, u8(pub), pub.size(), u8(d2), d2.size(), u8(theirs), theirs.size()),
				  d.size() > c.bytes ? FHSM_OK : FHSM_ERR_AUTH);
			// r = 0, s = 0, r = n are rejected, not accepted or crashed on.
			B zero(2 * c.bytes, 0);
			EXPECT_EQ(fhsm_ecdsa_verify(c.c, u8(pub), pub.size(), u8(d), d.size(), u8(zero), zero.size()),
				  FHSM_ERR_AUTH);
			B ones(2 * c.bytes, (char)0xff);
			EXPECT_EQ(fhsm_ecdsa_verify(c.c, u8(pub), pub.size(), u8(d), d.size(), u8(ones), ones.size()),
				  FHSM_ERR_AUTH);
			EXPECT_EQ(fhsm_ecdsa_verify(c.c, u8(pub), pub.size(), u8(d), d.size(), u8(theirs), theirs.size() - 1),
				  FHSM_ERR_AUTH);
		}
	}
}

// A hash longer than the order (66 bytes on P-521) is cut to its leftmost 521 bits:
// that number is a 64-byte X when the input is X shifted left by 7, which openssl
// (refusing inputs over 64 bytes) can check.
// DSA both ways with openssl, on its 1024/160 and 2048/256 keys: a SHA-256 digest
// is truncated to q's 160 bits on the first (FIPS 186-4 4.6).
TEST_F(HostPk, DsaBothWaysWithOpenssl)
{
	for (auto bits : {std::make_pair(1024, 160), std::make_pair(2048, 256)}) {
		ASSERT_EQ(sh("openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:" +
			     std::to_string(bits.first) + " -pkeyopt dsa_paramgen_q_bits:" + std::to_string(bits.second) +
			     " -out dsap.pem 2>/dev/null && openssl genpkey -paramfile dsap.pem -out dsa.pem && "
			     "openssl pkey -in dsa.pem -pubout -out dsa.pub && openssl dsa -in dsa.pem -outform DER -out dsa.der"),
			  0);
		// DSAPrivateKey: version, p, q, g, y, x
		auto f = der_children(der_children(get("dsa.der"))[0].body);
		ASSERT_EQ(f.size(), 6u);
		B p = strip0(f[1].body), q = strip0(f[2].body), g = strip0(f[3].body), y = strip0(f[4].body),
		  x = strip0(f[5].body);
		struct fhsm_ff_params d = {{u8(p), p.size()}, {u8(q), q.size()}, {u8(g), g.size()}};
		size_t qn = q.size();
		for (int i = 0; i < 4; i++) {
			B dg = digest(FHSM_HASH_SHA256, rnd(33));
			put("d", dg);
			B sig(2 * qn, 0);
			size_t slen = sig.size();
			ASSERT_EQ(fhsm_dsa_sign(&d, u8(x), x.size(), u8(dg), dg.size(), u8(sig), &slen), FHSM_OK);
			ASSERT_EQ(slen, 2 * qn);
			put("sig.der", ec_sig_der(sig));
			EXPECT_EQ(sh("openssl pkeyutl -verify -pubin -inkey dsa.pub -in d -sigfile sig.der"), 0)
				<< bits.first << "/" << bits.second;
			EXPECT_EQ(fhsm_dsa_verify(&d, u8(y), y.size(), u8(dg), dg.size(), u8(sig), sig.size()), FHSM_OK);
			ASSERT_EQ(sh("openssl pkeyutl -sign -inkey dsa.pem -in d -out theirs.der"), 0);
			auto rs = der_children(der_children(get("theirs.der"))[0].body);
			B theirs = leftpad(rs[0].body, qn) + leftpad(rs[1].body, qn);
			EXPECT_EQ(fhsm_dsa_verify(&d, u8(y), y.size(), u8(dg), dg.size(), u8(theirs), theirs.size()), FHSM_OK);
			theirs[qn - 1] ^= 1;
			EXPECT_EQ(fhsm_dsa_verify(&d, u8(y), y.size(), u8(dg), dg.size(), u8(theirs), theirs.size()),
				  FHSM_ERR_AUTH);
		}
		// Private values 0 and q are not keys; a short buffer says how long.
		B dg(32, 1), sig(2 * qn, 0), zero(qn, 0);
		size_t slen = sig.size();
		EXPECT_EQ(fhsm_dsa_sign(&d, u8(zero), zero.size(), u8(dg), dg.size(), u8(sig), &slen), FHSM_ERR_ARGS);
		EXPECT_EQ(fhsm_dsa_sign(&d, u8(q), q.size(), u8(dg), dg.size(), u8(sig), &slen), FHSM_ERR_ARGS);
		slen = 2 * qn - 1;
		EXPECT_EQ(fhsm_dsa_sign(&d, u8(x), x.size(), u8(dg), dg.size(), u8(sig), &slen), FHSM_ERR_BUFFER);
		EXPECT_EQ(slen, 2 * qn);
	}
}

TEST_F(HostPk, EcdsaTruncatesLongHashesOnP521)
{
	ASSERT_EQ(sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out ec.pem && "
		     "openssl pkey -in ec.pem -pubout -out ec.pub && openssl ec -in ec.pem -outform DER -out ec.der"), 0);
	auto f = der_children(der_children(get("ec.der"))[0].body);
	B priv = leftpad(f[1].body, 66), pub = der_children(f[3].body)[0].body.substr(1);
	B x = rnd(64), h66(66, 0);
	// h66 = x << 7
	for (size_t i = 0; i < 64; i++) {
		uint8_t b = (uint8_t)x[i];
		h66[i + 1] = (char)((uint8_t)h66[i + 1] | (b >> 1));
		h66[i + 2] = (char)(b << 7);
	}
	put("d", x);
	B sig(132, 0);
	size_t slen = sig.size();
	ASSERT_EQ(fhsm_ecdsa_sign(FHSM_EC_P521, u8(priv), priv.size(), u8(h66), h66.size(), u8(sig), &slen), FHSM_OK);
	put("s", ec_sig_der(sig));
	EXPECT_EQ(sh("openssl pkeyutl -verify -pubin -inkey ec.pub -in d -sigfile s"), 0);
	EXPECT_EQ(fhsm_ecdsa_verify(FHSM_EC_P521, u8(pub), pub.size(), u8(h66), h66.size(), u8(sig), slen), FHSM_OK);
	// Bits beyond the 521st do not matter; bits within do.
	B h66b = h66;
	h66b[65] ^= 0x40;
	EXPECT_EQ(fhsm_ecdsa_verify(FHSM_EC_P521, u8(pub), pub.size(), u8(h66b), h66b.size(), u8(sig), slen), FHSM_OK);
	h66b[65] ^= 0x80 | 0x40;
	EXPECT_EQ(fhsm_ecdsa_verify(FHSM_EC_P521, u8(pub), pub.size(), u8(h66b), h66b.size(), u8(sig), slen),
		  FHSM_ERR_AUTH);
}

TEST_F(HostPk, EcGenerateAndEcdhWithOpenssl)
{
	for (auto &c : ec_cases) {
		B priv(c.bytes, 0), point(FHSM_EC_MAX_POINT, 0);
		size_t plen = point.size();
		ASSERT_EQ(fhsm_ec_generate(c.c, u8(priv), u8(point), &plen), FHSM_OK);
		ASSERT_EQ(plen, 1 + 2 * c.bytes);
		point.resize(plen);
		// openssl checks that our private key and point belong together.
		B params = der(0xa0, oid_curve[c.c]);
		put("our.der", der_seq(der_int(B(1, 1)) + der(0x04, priv) + params + der(0xa1, der(0x03, B(1, 0) + point))));
		std::string out;
		EXPECT_EQ(sh("openssl ec -inform DER -in our.der -check -noout", &out), 0) << out;
		EXPECT_NE(out.find("EC Key valid"), std::string::npos) << out;
		put("our.pub", spki(oid_ec + oid_curve[c.c], point));

		ASSERT_EQ(sh(std::string("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:") + c.name +
			     " -out peer.pem && openssl ec -in peer.pem -outform DER -out peer.der"), 0);
		auto f = der_children(der_children(get("peer.der"))[0].body);
		B peer = der_children(f[3].body)[0].body.substr(1);
		ASSERT_EQ(sh("openssl pkeyutl -derive -inkey peer.pem -peerkey our.pub -peerform DER -out z"), 0);
		B z(c.bytes, 0);
		size_t zlen = z.size();
		ASSERT_EQ(fhsm_ecdh(c.c, u8(priv), priv.size(), u8(peer), peer.size(), u8(z), &zlen), FHSM_OK);
		EXPECT_EQ(zlen, c.bytes);
		EXPECT_EQ(hex(z), hex(get("z"))) << c.name;

		// A point off the curve, a bad prefix, a wrong length, coordinates >= p.
		B off = peer;
		off[off.size() - 1] ^= 1;
		EXPECT_EQ(fhsm_ecdh(c.c, u8(priv), priv.size(), u8(off), off.size(), u8(z), &zlen), FHSM_ERR_ARGS);
		EXPECT_EQ(fhsm_ec_check_point(c.c, u8(off), off.size()), FHSM_ERR_ARGS);
		B sig(2 * c.bytes, 1), d(32, 2);
		EXPECT_EQ(fhsm_ecdsa_verify(c.c, u8(off), off.size(), u8(d), d.size(), u8(sig), sig.size()), FHSM_ERR_ARGS);
		B comp = peer;
		comp[0] = 0x02;
		EXPECT_EQ(fhsm_ecdh(c.c, u8(priv), priv.size(), u8(comp), comp.size(), u8(z), &zlen), FHSM_ERR_ARGS);
		EXPECT_EQ(fhsm_ecdh(c.c, u8(priv), priv.size(), u8(peer), peer.size() - 1, u8(z), &zlen), FHSM_ERR_ARGS);
		B huge(1 + 2 * c.bytes, (char)0xff);
		huge[0] = 4;
		EXPECT_EQ(fhsm_ec_check_point(c.c, u8(huge), huge.size()), FHSM_ERR_ARGS);
		EXPECT_EQ(fhsm_ec_check_point(c.c, u8(peer), peer.size()), FHSM_OK);
		// Scalars 0, >= n, too long.
		B zero(c.bytes, 0), ones(c.bytes, (char)0xff), longer(c.bytes + 1, 1);
		for (B *s : {&zero, &ones, &longer}) {
			zlen = z.size();
			EXPECT_EQ(fhsm_ecdh(c.c, u8(*s), s->size(), u8(peer), peer.size(), u8(z), &zlen), FHSM_ERR_ARGS);
			size_t sl = sig.size();
			EXPECT_EQ(fhsm_ecdsa_sign(c.c, u8(*s), s->size(), u8(d), d.size(), u8(sig), &sl), FHSM_ERR_ARGS);
		}
		zlen = c.bytes - 1;
		EXPECT_EQ(fhsm_ecdh(c.c, u8(priv), priv.size(), u8(peer), peer.size(), u8(z), &zlen), FHSM_ERR_BUFFER);
		EXPECT_EQ(zlen, c.bytes);
	}
	uint8_t buf[200];
	size_t len = sizeof buf;
	EXPECT_EQ(fhsm_ec_generate((fhsm_ec_curve)3, buf, buf, &len), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_ec_generate(FHSM_EC_P256, nullptr, buf, &len), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_ecdsa_sign(FHSM_EC_P256, buf, 32, nullptr, 32, buf, &len), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_ecdsa_verify(FHSM_EC_P256, nullptr, 65, buf, 32, buf, 64), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_ecdh(FHSM_EC_P256, buf, 32, nullptr, 65, buf, &len), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_ec_scalar_bytes((fhsm_ec_curve)7), 0u);
}

// ---- Curve25519 family ----

TEST_F(HostPk, Ed25519Rfc8032Vectors)
{
	struct {
		const char *sk, *pk, *msg, *sig;
	} v[] = {
		{"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		 "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
		 "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
		{"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		 "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
		 "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
		{"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
		 "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
		 "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
	};
	for (auto &t : v) {
		B sk = unhex(t.sk), msg = unhex(t.msg), pk(32, 0), sig(64, 0);
		ASSERT_EQ(fhsm_ed25519_public_from_private(u8(sk), u8(pk)), FHSM_OK);
		EXPECT_EQ(hex(pk), t.pk);
		ASSERT_EQ(fhsm_ed25519_sign(u8(sk), msg.empty() ? nullptr : u8(msg), msg.size(), u8(sig)), FHSM_OK);
		EXPECT_EQ(hex(sig), t.sig);
		EXPECT_EQ(fhsm_ed25519_verify(u8(pk), u8(msg), msg.size(), u8(sig)), FHSM_OK);
		for (size_t at : {0ul, 31ul, 32ul, 63ul}) {
			B bad = sig;
			bad[at] ^= 1;
			EXPECT_EQ(fhsm_ed25519_verify(u8(pk), u8(msg), msg.size(), u8(bad)), FHSM_ERR_AUTH);
		}
		B m2 = msg + "x";
		EXPECT_EQ(fhsm_ed25519_verify(u8(pk), u8(m2), m2.size(), u8(sig)), FHSM_ERR_AUTH);
	}
	uint8_t b[64] = {0};
	EXPECT_EQ(fhsm_ed25519_sign(nullptr, b, 1, b), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_ed25519_sign(b, nullptr, 1, b), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_ed25519_verify(b, b, 1, nullptr), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_ed25519_generate(nullptr, b), FHSM_ERR_ARGS);
}

TEST_F(HostPk, Ed25519WithOpenssl)
{
	// openssl's key and signature -> ours, and our key's signature -> openssl.
	ASSERT_EQ(sh("openssl genpkey -algorithm ED25519 -out ed.pem && openssl pkey -in ed.pem -outform DER -out ed.der"), 0);
	B der = get("ed.der");
	ASSERT_EQ(der.size(), 48u);
	B seed = der.substr(16), pk(32, 0), sig(64, 0), msg = rnd(300);
	put("m", msg);
	ASSERT_EQ(sh("openssl pkeyutl -sign -rawin -inkey ed.pem -in m -out s"), 0);
	ASSERT_EQ(fhsm_ed25519_sign(u8(seed), u8(msg), msg.size(), u8(sig)), FHSM_OK);
	EXPECT_EQ(hex(sig), hex(get("s")));
	ASSERT_EQ(fhsm_ed25519_public_from_private(u8(seed), u8(pk)), FHSM_OK);
	EXPECT_EQ(fhsm_ed25519_verify(u8(pk), u8(msg), msg.size(), u8(get("s"))), FHSM_OK);

	B priv(32, 0);
	ASSERT_EQ(fhsm_ed25519_generate(u8(priv), u8(pk)), FHSM_OK);
	ASSERT_EQ(fhsm_ed25519_sign(u8(priv), u8(msg), msg.size(), u8(sig)), FHSM_OK);
	put("pub", spki(oid_ed25519, pk));
	put("s", sig);
	EXPECT_EQ(sh("openssl pkeyutl -verify -rawin -pubin -keyform DER -inkey pub -in m -sigfile s"), 0);
	std::string out;
	sig[10] ^= 1;
	put("s", sig);
	EXPECT_NE(sh("openssl pkeyutl -verify -rawin -pubin -keyform DER -inkey pub -in m -sigfile s", &out), 0);
}

TEST_F(HostPk, X25519Rfc7748Vectors)
{
	// Section 5.2, first vector.
	B k = unhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
	  u = unhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"), out(32, 0);
	ASSERT_EQ(fhsm_x25519(u8(k), u8(u), u8(out)), FHSM_OK);
	EXPECT_EQ(hex(out), "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
	// Section 6.1.
	B a = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
	  b = unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"), apub(32, 0), bpub(32, 0);
	ASSERT_EQ(fhsm_x25519_public_from_private(u8(a), u8(apub)), FHSM_OK);
	ASSERT_EQ(fhsm_x25519_public_from_private(u8(b), u8(bpub)), FHSM_OK);
	EXPECT_EQ(hex(apub), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	EXPECT_EQ(hex(bpub), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	ASSERT_EQ(fhsm_x25519(u8(a), u8(bpub), u8(out)), FHSM_OK);
	EXPECT_EQ(hex(out), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	ASSERT_EQ(fhsm_x25519(u8(b), u8(apub), u8(out)), FHSM_OK);
	EXPECT_EQ(hex(out), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	// Low-order points give an all-zero secret: refused.
	B zero(32, 0), one(32, 0);
	one[0] = 1;
	EXPECT_EQ(fhsm_x25519(u8(a), u8(zero), u8(out)), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_x25519(u8(a), u8(one), u8(out)), FHSM_ERR_ARGS);
	EXPECT_EQ(fhsm_x25519(nullptr, u8(one), u8(out)), FHSM_ERR_ARGS);
}

TEST_F(HostPk, X25519WithOpenssl)
{
	B priv(32, 0), pub(32, 0), z(32, 0);
	ASSERT_EQ(fhsm_x25519_generate(u8(priv), u8(pub)), FHSM_OK);
	put("our.pub", spki(unhex("06032b656e"), pub));
	ASSERT_EQ(sh("openssl genpkey -algorithm X25519 -out x.pem && openssl pkey -in x.pem -pubout -outform DER -out x.pub && "
		     "openssl pkeyutl -derive -inkey x.pem -peerkey our.pub -peerform DER -out z"), 0);
	B peer = get("x.pub").substr(12);
	ASSERT_EQ(peer.size(), 32u);
	ASSERT_EQ(fhsm_x25519(u8(priv), u8(peer), u8(z)), FHSM_OK);
	EXPECT_EQ(hex(z), hex(get("z")));
}

} // namespace

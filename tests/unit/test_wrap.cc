// C_WrapKey / C_UnwrapKey: RFC 3394 §4 and RFC 5649 §6 vectors, python-cryptography's
// key wrap and `openssl enc` on random keys, round trips for every mechanism, the
// attribute policy and every error code the wrap functions list.
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "command.h"
#include "p11_objects.h"

using namespace fhsm_test;

namespace {

std::string shell(const std::string &cmd)
{
	std::string s;
	if (run_command(cmd + " 2>/dev/null", &s) != 0)
		ADD_FAILURE() << "failed: " << cmd;
	return s;
}

class Wrap : public Objects {
protected:
	// A secret key with a known value; extractable and not sensitive unless extra says otherwise.
	static Tmpl secret(CK_KEY_TYPE kt, const std::string &v, bool extractable = true)
	{
		Tmpl t;
		t.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, kt).s(CKA_VALUE, v).b(CKA_EXTRACTABLE, extractable)
			.b(CKA_SENSITIVE, false);
		return t;
	}
	static Tmpl unwrap_tmpl(CK_KEY_TYPE kt)
	{
		Tmpl t;
		t.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, kt).b(CKA_EXTRACTABLE, true).b(CKA_SENSITIVE, false);
		return t;
	}

	CK_RV wrap_rv(CK_MECHANISM m, CK_OBJECT_HANDLE wk, CK_OBJECT_HANDLE k, std::string *out = nullptr)
	{
		CK_ULONG n = 0;
		CK_RV rv = f->C_WrapKey(h, &m, wk, k, nullptr, &n);
		if (rv != CKR_OK)
			return rv;
		std::string buf(n, '\0');
		rv = f->C_WrapKey(h, &m, wk, k, (CK_BYTE_PTR)buf.data(), &n);
		buf.resize(n);
		if (out)
			*out = buf;
		return rv;
	}
	std::string wrap(CK_MECHANISM m, CK_OBJECT_HANDLE wk, CK_OBJECT_HANDLE k)
	{
		std::string out;
		EXPECT_EQ(wrap_rv(m, wk, k, &out), CKR_OK);
		return out;
	}
	CK_RV unwrap_rv(CK_MECHANISM m, CK_OBJECT_HANDLE uk, const std::string &blob, Tmpl t,
			CK_OBJECT_HANDLE *out = nullptr)
	{
		CK_OBJECT_HANDLE o = CK_INVALID_HANDLE;
		CK_RV rv = f->C_UnwrapKey(h, &m, uk, (CK_BYTE_PTR)blob.data(), blob.size(), t.data(), t.size(), &o);
		if (out)
			*out = o;
		return rv;
	}
	CK_OBJECT_HANDLE unwrap(CK_MECHANISM m, CK_OBJECT_HANDLE uk, const std::string &blob, Tmpl t)
	{
		CK_OBJECT_HANDLE o = CK_INVALID_HANDLE;
		EXPECT_EQ(unwrap_rv(m, uk, blob, t, &o), CKR_OK);
		return o;
	}

	void write(const std::string &name, const std::string &v) { std::ofstream(dir + "/" + name, std::ios::binary) << v; }
	std::string read(const std::string &name)
	{
		std::ifstream in(dir + "/" + name, std::ios::binary);
		std::stringstream ss;
		ss << in.rdbuf();
		return ss.str();
	}
	// python3-cryptography's RFC 5649 (Debian's, scripts/deps.sh), both ways.
	std::string py_kwp(bool wrap, const std::string &kek, const std::string &data)
	{
		write("kwp.py", std::string("import sys\nfrom cryptography.hazmat.primitives import keywrap as w\n") +
				       "k, d = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2])\n" +
				       "print((w.aes_key_wrap_with_padding(k, d) if sys.argv[3] == 'w' else "
				       "w.aes_key_unwrap_with_padding(k, d)).hex())\n");
		std::string out = shell("/usr/bin/python3 " + dir + "/kwp.py " + hex(kek) + " " + hex(data) + (wrap ? " w" : " u"));
		return unhex(out.substr(0, out.find('\n')));
	}
	// OpenSSL's AES-CBC with PKCS#7 padding, both ways.
	std::string ossl_cbc(bool enc, const std::string &kek, const std::string &iv, const std::string &data)
	{
		write("cbc.in", data);
		shell("openssl enc " + std::string(enc ? "-e" : "-d") + " -aes-" + std::to_string(kek.size() * 8) + "-cbc -K " +
		      hex(kek) + " -iv " + hex(iv) + " -in " + dir + "/cbc.in -out " + dir + "/cbc.out");
		return read("cbc.out");
	}

	// A key pair; the private key extractable (and not sensitive) unless told otherwise.
	void pair(CK_MECHANISM_TYPE mech, const std::string &params, CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv,
		  bool extractable = true)
	{
		CK_MECHANISM gen = {mech, nullptr, 0};
		Tmpl tp, tk;
		if (mech == CKM_RSA_PKCS_KEY_PAIR_GEN)
			tp.ul(CKA_MODULUS_BITS, 1024);
		else
			tp.s(CKA_EC_PARAMS, params);
		tk.b(CKA_EXTRACTABLE, extractable).b(CKA_SENSITIVE, false);
		ASSERT_EQ(f->C_GenerateKeyPair(h, &gen, tp.data(), tp.size(), tk.data(), tk.size(), pub, priv), CKR_OK);
	}

	void rsa_pair(CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
	{
		CK_MECHANISM gen = {CKM_RSA_PKCS_KEY_PAIR_GEN, nullptr, 0};
		Tmpl tp, tk;
		tp.ul(CKA_MODULUS_BITS, 1024).b(CKA_WRAP, true);
		tk.b(CKA_UNWRAP, true);
		ASSERT_EQ(f->C_GenerateKeyPair(h, &gen, tp.data(), tp.size(), tk.data(), tk.size(), pub, priv), CKR_OK);
	}
};

CK_MECHANISM kw = {CKM_AES_KEY_WRAP, nullptr, 0};
CK_MECHANISM kwp = {CKM_AES_KEY_WRAP_KWP, nullptr, 0};

TEST_F(Wrap, Rfc3394Vectors)
{
	const std::string kek = unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	const std::string data = unhex("00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f");
	struct {
		size_t kek, data;
		const char *wrapped;
	} v[] = {
		{16, 16, "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5"},
		{24, 16, "96778b25ae6ca435f92b5b97c050aed2468ab8a17ad84e5d"},
		{32, 16, "64e8c3f9ce0f5ba263e9777905818a2a93c8191e7d6e8ae7"},
		{24, 24, "031d33264e15d33268f24ec260743edce1c6c7ddee725a936ba814915c6762d2"},
		{32, 24, "a8f9bc1612c68b3ff6e6f4fbe30e71e4769c8b80a32cb8958cd5d17d6b254da1"},
		{32, 32, "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21"},
	};
	for (auto &c : v) {
		CK_OBJECT_HANDLE wk = create(secret(CKK_AES, kek.substr(0, c.kek)));
		CK_OBJECT_HANDLE k = create(secret(CKK_AES, data.substr(0, c.data)));
		std::string w = wrap(kw, wk, k);
		EXPECT_EQ(hex(w), c.wrapped) << c.kek << "/" << c.data;
		CK_OBJECT_HANDLE u = unwrap(kw, wk, w, unwrap_tmpl(CKK_AES));
		EXPECT_EQ(hex(get(u, CKA_VALUE)), hex(data.substr(0, c.data)));
	}
}

TEST_F(Wrap, Rfc5649Vectors)
{
	CK_OBJECT_HANDLE wk = create(secret(CKK_AES, unhex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8")));
	struct {
		const char *key, *wrapped;
	} v[] = {
		{"c37b7e6492584340bed12207808941155068f738", "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"},
		{"466f7250617369", "afbeb0f07dfbf5419200f2ccb50bb24f"},
	};
	for (auto &c : v) {
		CK_OBJECT_HANDLE k = create(secret(CKK_GENERIC_SECRET, unhex(c.key)));
		std::string w = wrap(kwp, wk, k);
		EXPECT_EQ(hex(w), c.wrapped);
		CK_OBJECT_HANDLE u = unwrap(kwp, wk, w, unwrap_tmpl(CKK_GENERIC_SECRET));
		EXPECT_EQ(hex(get(u, CKA_VALUE)), c.key);
		EXPECT_EQ(get(u, CKA_VALUE_LEN), get(k, CKA_VALUE_LEN));
	}
	// A flipped bit anywhere fails the integrity check.
	CK_OBJECT_HANDLE k = create(secret(CKK_GENERIC_SECRET, unhex(v[0].key)));
	std::string w = wrap(kwp, wk, k);
	for (size_t i = 0; i < w.size(); i += 5) {
		std::string bad = w;
		bad[i] ^= 0x10;
		EXPECT_EQ(unwrap_rv(kwp, wk, bad, unwrap_tmpl(CKK_GENERIC_SECRET)), CKR_WRAPPED_KEY_INVALID) << i;
	}
}

// Random keys and lengths against python-cryptography's RFC 3394/5649 implementation.
TEST_F(Wrap, KeyWrapAgainstPythonCryptography)
{
	std::mt19937 rng(7);
	auto rnd = [&](size_t n) {
		std::string s(n, '\0');
		for (auto &c : s)
			c = (char)rng();
		return s;
	};
	std::string script = "from cryptography.hazmat.primitives import keywrap as w\n";
	std::vector<std::string> ours;
	for (int i = 0; i < 12; i++) {
		std::string kek = rnd(16 + 8 * (i % 3)), key = rnd(i % 2 ? 16 + 8 * (i % 3) : 1 + rng() % 70);
		bool pad = i % 2 == 0;
		CK_OBJECT_HANDLE wk = create(secret(CKK_AES, kek));
		CK_OBJECT_HANDLE k = create(secret(pad ? CKK_GENERIC_SECRET : CKK_AES, key));
		ours.push_back(hex(wrap(pad ? kwp : kw, wk, k)));
		script += std::string("print(w.aes_key_wrap") + (pad ? "_with_padding" : "") + "(bytes.fromhex('" + hex(kek) +
			  "'), bytes.fromhex('" + hex(key) + "')).hex())\n";
	}
	FILE *fp = fopen((dir + "/kw.py").c_str(), "w");
	ASSERT_NE(fp, nullptr);
	fputs(script.c_str(), fp);
	fclose(fp);
	/* Debian's python3-cryptography (scripts/deps.sh), not whatever python3 comes first on PATH. */
	std::string theirs = shell("/usr/bin/python3 " + dir + "/kw.py"), all;
	for (auto &o : ours)
		all += o + "\n";
	EXPECT_EQ(all, theirs);
}

TEST_F(Wrap, KeyWrapIvParameter)
{
	CK_OBJECT_HANDLE wk = create(secret(CKK_AES, std::string(16, '\x42')));
	CK_OBJECT_HANDLE k = create(secret(CKK_AES, std::string(32, '\x24')));
	std::string iv = unhex("0102030405060708");
	CK_MECHANISM kwiv = {CKM_AES_KEY_WRAP, (CK_VOID_PTR)iv.data(), 8};
	std::string w = wrap(kwiv, wk, k);
	EXPECT_NE(w, wrap(kw, wk, k));
	CK_OBJECT_HANDLE u = unwrap(kwiv, wk, w, unwrap_tmpl(CKK_AES));
	EXPECT_EQ(get(u, CKA_VALUE), std::string(32, '\x24'));
	EXPECT_EQ(unwrap_rv(kw, wk, w, unwrap_tmpl(CKK_AES)), CKR_WRAPPED_KEY_INVALID);
	CK_MECHANISM short_iv = {CKM_AES_KEY_WRAP, (CK_VOID_PTR)iv.data(), 7};
	EXPECT_EQ(wrap_rv(short_iv, wk, k), CKR_MECHANISM_PARAM_INVALID);
	CK_MECHANISM kwp_param = {CKM_AES_KEY_WRAP_KWP, (CK_VOID_PTR)iv.data(), 8};
	EXPECT_EQ(wrap_rv(kwp_param, wk, k), CKR_MECHANISM_PARAM_INVALID);
}

TEST_F(Wrap, CbcPadAgainstOpensslEnc)
{
	std::string kek = unhex("2b7e151628aed2a6abf7158809cf4f3c"), iv = unhex("000102030405060708090a0b0c0d0e0f");
	CK_MECHANISM m = {CKM_AES_CBC_PAD, (CK_VOID_PTR)iv.data(), 16};
	CK_OBJECT_HANDLE wk = create(secret(CKK_AES, kek));
	for (size_t len : {16, 24, 32}) {
		std::string v(len, '\0');
		for (size_t i = 0; i < len; i++)
			v[i] = (char)(i * 37 + len);
		CK_OBJECT_HANDLE k = create(secret(CKK_AES, v));
		std::string w = wrap(m, wk, k);
		std::string want = shell("printf '" + [&] {
			std::string o;
			for (unsigned char c : v) {
				char b[8];
				snprintf(b, sizeof b, "\\%03o", c);
				o += b;
			}
			return o;
		}() + "' | openssl enc -aes-128-cbc -K " + hex(kek) + " -iv " + hex(iv));
		EXPECT_EQ(hex(w), hex(want)) << len;
		CK_OBJECT_HANDLE u = unwrap(m, wk, w, unwrap_tmpl(CKK_AES));
		EXPECT_EQ(get(u, CKA_VALUE), v);
	}
	CK_OBJECT_HANDLE k = create(secret(CKK_AES, std::string(16, 'k')));
	std::string w = wrap(m, wk, k);
	EXPECT_EQ(unwrap_rv(m, wk, w.substr(0, 17), unwrap_tmpl(CKK_AES)), CKR_WRAPPED_KEY_LEN_RANGE);
	w[w.size() - 1] ^= 1; // the padding no longer checks
	EXPECT_EQ(unwrap_rv(m, wk, w, unwrap_tmpl(CKK_AES)), CKR_WRAPPED_KEY_INVALID);
}

TEST_F(Wrap, RsaPkcsAndOaepRoundTrips)
{
	CK_OBJECT_HANDLE pub, priv;
	rsa_pair(&pub, &priv);
	std::string label = "label";
	CK_RSA_PKCS_OAEP_PARAMS oaep = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, (CK_VOID_PTR)label.data(),
					label.size()};
	CK_MECHANISM mechs[] = {{CKM_RSA_PKCS, nullptr, 0}, {CKM_RSA_PKCS_OAEP, &oaep, sizeof(oaep)}};
	std::string v = unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	CK_OBJECT_HANDLE k = create(secret(CKK_AES, v));
	for (CK_MECHANISM m : mechs) {
		std::string w = wrap(m, pub, k);
		EXPECT_EQ(w.size(), 128u);
		CK_OBJECT_HANDLE u = unwrap(m, priv, w, unwrap_tmpl(CKK_AES));
		EXPECT_EQ(get(u, CKA_VALUE), v) << m.mechanism;
		// The same ciphertext decrypts with C_Decrypt: it is the key value, encrypted.
		CK_ULONG n = 128;
		std::string pt(128, '\0');
		ASSERT_EQ(f->C_DecryptInit(h, &m, priv), CKR_OK);
		ASSERT_EQ(f->C_Decrypt(h, (CK_BYTE_PTR)w.data(), w.size(), (CK_BYTE_PTR)pt.data(), &n), CKR_OK);
		EXPECT_EQ(pt.substr(0, n), v);
		EXPECT_EQ(unwrap_rv(m, priv, w.substr(1), unwrap_tmpl(CKK_AES)), CKR_WRAPPED_KEY_LEN_RANGE);
	}
	// Wrong kinds: the private key cannot wrap, the public key cannot unwrap, an AES key neither.
	std::string w = wrap(mechs[0], pub, k);
	EXPECT_EQ(wrap_rv(mechs[0], priv, k), CKR_KEY_FUNCTION_NOT_PERMITTED); // private keys have no CKA_WRAP
	EXPECT_EQ(unwrap_rv(mechs[0], pub, w, unwrap_tmpl(CKK_AES)), CKR_KEY_FUNCTION_NOT_PERMITTED);
	Tmpl aes = secret(CKK_AES, v);
	aes.b(CKA_WRAP, true).b(CKA_UNWRAP, true);
	CK_OBJECT_HANDLE a = create(aes);
	EXPECT_EQ(wrap_rv(mechs[0], a, k), CKR_WRAPPING_KEY_TYPE_INCONSISTENT);
	EXPECT_EQ(unwrap_rv(mechs[0], a, w, unwrap_tmpl(CKK_AES)), CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT);
	EXPECT_EQ(wrap_rv(kw, pub, k), CKR_WRAPPING_KEY_TYPE_INCONSISTENT);
	EXPECT_EQ(unwrap_rv(kw, priv, std::string(24, 'x'), unwrap_tmpl(CKK_AES)),
		  CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT);
	// Secret and private keys are wrapped, public keys are not; this private key is unextractable.
	EXPECT_EQ(wrap_rv(kw, a, pub), CKR_KEY_NOT_WRAPPABLE);
	EXPECT_EQ(wrap_rv(kw, a, priv), CKR_KEY_UNEXTRACTABLE);
}

TEST_F(Wrap, ErrorCodes)
{
	CK_OBJECT_HANDLE wk = create(secret(CKK_AES, std::string(16, 'w')));
	CK_OBJECT_HANDLE k = create(secret(CKK_AES, std::string(16, 'k')));
	std::string w = wrap(kw, wk, k);

	EXPECT_EQ(wrap_rv(kw, 0xdead, k), CKR_WRAPPING_KEY_HANDLE_INVALID);
	EXPECT_EQ(wrap_rv(kw, wk, 0xdead), CKR_KEY_HANDLE_INVALID);
	EXPECT_EQ(unwrap_rv(kw, 0xdead, w, unwrap_tmpl(CKK_AES)), CKR_UNWRAPPING_KEY_HANDLE_INVALID);
	CK_MECHANISM ecb = {CKM_AES_ECB, nullptr, 0};
	EXPECT_EQ(wrap_rv(ecb, wk, k), CKR_MECHANISM_INVALID);
	EXPECT_EQ(unwrap_rv(ecb, wk, w, unwrap_tmpl(CKK_AES)), CKR_MECHANISM_INVALID);

	Tmpl no_wrap = secret(CKK_AES, std::string(16, 'n'));
	no_wrap.b(CKA_WRAP, false).b(CKA_UNWRAP, false);
	CK_OBJECT_HANDLE nw = create(no_wrap);
	EXPECT_EQ(wrap_rv(kw, nw, k), CKR_KEY_FUNCTION_NOT_PERMITTED);
	EXPECT_EQ(unwrap_rv(kw, nw, w, unwrap_tmpl(CKK_AES)), CKR_KEY_FUNCTION_NOT_PERMITTED);

	CK_OBJECT_HANDLE des = create(secret(CKK_DES3, std::string(24, 'd')));
	EXPECT_EQ(wrap_rv(kw, des, k), CKR_WRAPPING_KEY_TYPE_INCONSISTENT);
	EXPECT_EQ(unwrap_rv(kw, des, w, unwrap_tmpl(CKK_AES)), CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT);

	EXPECT_EQ(wrap_rv(kw, wk, create(secret(CKK_AES, std::string(16, 'l'), false))), CKR_KEY_UNEXTRACTABLE);

	// RFC 3394 wraps whole 64-bit blocks; RFC 5649 any length.
	CK_OBJECT_HANDLE odd = create(secret(CKK_GENERIC_SECRET, std::string(20, 'o')));
	EXPECT_EQ(wrap_rv(kw, wk, odd), CKR_KEY_SIZE_RANGE);
	EXPECT_EQ(wrap_rv(kwp, wk, odd), CKR_OK);

	EXPECT_EQ(unwrap_rv(kw, wk, w.substr(0, 20), unwrap_tmpl(CKK_AES)), CKR_WRAPPED_KEY_LEN_RANGE);
	EXPECT_EQ(unwrap_rv(kw, wk, w.substr(0, 16), unwrap_tmpl(CKK_AES)), CKR_WRAPPED_KEY_LEN_RANGE);
	std::string bad = w;
	bad[3] ^= 1;
	EXPECT_EQ(unwrap_rv(kw, wk, bad, unwrap_tmpl(CKK_AES)), CKR_WRAPPED_KEY_INVALID);

	// The output convention: a NULL buffer asks the length; a short one says so.
	CK_ULONG n = 0;
	EXPECT_EQ(f->C_WrapKey(h, &kw, wk, k, nullptr, &n), CKR_OK);
	EXPECT_EQ(n, 24u);
	n = 23;
	std::string buf(24, '\0');
	EXPECT_EQ(f->C_WrapKey(h, &kw, wk, k, (CK_BYTE_PTR)buf.data(), &n), CKR_BUFFER_TOO_SMALL);
	EXPECT_EQ(n, 24u);
	EXPECT_EQ(f->C_WrapKey(h, &kw, wk, k, nullptr, nullptr), CKR_ARGUMENTS_BAD);
	CK_OBJECT_HANDLE o;
	EXPECT_EQ(f->C_UnwrapKey(h, &kw, wk, nullptr, 0, nullptr, 0, &o), CKR_ARGUMENTS_BAD);
}

TEST_F(Wrap, WrapWithTrusted)
{
	Tmpl t = secret(CKK_AES, std::string(16, 't'));
	t.b(CKA_WRAP_WITH_TRUSTED, true);
	CK_OBJECT_HANDLE k = create(t);
	CK_OBJECT_HANDLE untrusted = create(secret(CKK_AES, std::string(16, 'u')));
	EXPECT_EQ(wrap_rv(kw, untrusted, k), CKR_KEY_NOT_WRAPPABLE);

	// Only the SO makes a trusted key: a public token key, used after the user logs back in.
	ASSERT_EQ(f->C_Logout(h), CKR_OK);
	ASSERT_EQ(f->C_Login(h, CKU_SO, u8(so_pin), strlen(so_pin)), CKR_OK);
	auto trusted_kek = [] {
		Tmpl tk = secret(CKK_AES, std::string(16, 'T'));
		tk.b(CKA_TOKEN, true).b(CKA_PRIVATE, false).b(CKA_TRUSTED, true);
		return tk;
	};
	CK_OBJECT_HANDLE trusted = create(trusted_kek());
	ASSERT_EQ(f->C_Logout(h), CKR_OK);
	ASSERT_EQ(f->C_Login(h, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_OK);
	EXPECT_TRUE(get_bool(trusted, CKA_TRUSTED));
	// A user cannot make one.
	EXPECT_EQ(create_rv(trusted_kek()), CKR_ATTRIBUTE_READ_ONLY);

	k = create(t); // session objects went with the logout
	std::string w = wrap(kw, trusted, k);
	CK_OBJECT_HANDLE u = unwrap(kw, trusted, w, unwrap_tmpl(CKK_AES));
	EXPECT_EQ(get(u, CKA_VALUE), std::string(16, 't'));
}

TEST_F(Wrap, UnwrappedKeyAttributes)
{
	CK_OBJECT_HANDLE wk = create(secret(CKK_AES, std::string(16, 'w')));
	CK_KEY_TYPE aes = CKK_AES;
	// An extractable key, wrapped, unwrapped as a sensitive one: it was not always sensitive.
	CK_OBJECT_HANDLE k = create(secret(CKK_AES, std::string(32, 'k')));
	std::string w = wrap(kw, wk, k);
	Tmpl t;
	t.ul(CKA_CLASS, CKO_SECRET_KEY).add(CKA_KEY_TYPE, &aes, sizeof(aes)).b(CKA_SENSITIVE, true)
		.b(CKA_EXTRACTABLE, false).s(CKA_LABEL, "unwrapped").b(CKA_ENCRYPT, true);
	CK_OBJECT_HANDLE u = unwrap(kw, wk, w, t);
	EXPECT_FALSE(get_bool(u, CKA_LOCAL));
	EXPECT_FALSE(get_bool(u, CKA_ALWAYS_SENSITIVE));
	EXPECT_FALSE(get_bool(u, CKA_NEVER_EXTRACTABLE));
	EXPECT_TRUE(get_bool(u, CKA_SENSITIVE));
	EXPECT_EQ(get(u, CKA_LABEL), "unwrapped");
	CK_ULONG len = 32;
	EXPECT_EQ(get(u, CKA_VALUE_LEN), std::string((char *)&len, sizeof(len)));
	EXPECT_EQ(get(u, CKA_CHECK_VALUE), get(k, CKA_CHECK_VALUE));
	EXPECT_EQ(get(u, CKA_VALUE), "<rv " + std::to_string(CKR_ATTRIBUTE_SENSITIVE) + ">");
	CK_MECHANISM_TYPE mech_none = CK_UNAVAILABLE_INFORMATION;
	EXPECT_EQ(get(u, CKA_KEY_GEN_MECHANISM), std::string((char *)&mech_none, sizeof(mech_none)));

	// The template may not give what the module sets, and must name the key type.
	Tmpl with_value = unwrap_tmpl(CKK_AES);
	with_value.s(CKA_VALUE, std::string(32, 'k'));
	EXPECT_EQ(unwrap_rv(kw, wk, w, with_value), CKR_ATTRIBUTE_READ_ONLY);
	Tmpl local = unwrap_tmpl(CKK_AES);
	local.b(CKA_LOCAL, true);
	EXPECT_EQ(unwrap_rv(kw, wk, w, local), CKR_ATTRIBUTE_READ_ONLY);
	Tmpl no_type;
	no_type.ul(CKA_CLASS, CKO_SECRET_KEY);
	EXPECT_EQ(unwrap_rv(kw, wk, w, no_type), CKR_TEMPLATE_INCOMPLETE);
	// A length that contradicts the key type or the wrapped value.
	Tmpl des = unwrap_tmpl(CKK_DES3);
	EXPECT_EQ(unwrap_rv(kw, wk, w, des), CKR_TEMPLATE_INCONSISTENT);
	Tmpl longer = unwrap_tmpl(CKK_GENERIC_SECRET);
	longer.ul(CKA_VALUE_LEN, 40);
	EXPECT_EQ(unwrap_rv(kw, wk, w, longer), CKR_TEMPLATE_INCONSISTENT);
	// RFC 3394 carries no length: CKA_VALUE_LEN may cut off less than a block of padding.
	Tmpl shorter = unwrap_tmpl(CKK_GENERIC_SECRET);
	shorter.ul(CKA_VALUE_LEN, 25);
	CK_OBJECT_HANDLE s = unwrap(kw, wk, w, shorter);
	EXPECT_EQ(get(s, CKA_VALUE), std::string(25, 'k'));
	shorter = unwrap_tmpl(CKK_GENERIC_SECRET);
	shorter.ul(CKA_VALUE_LEN, 24);
	EXPECT_EQ(unwrap_rv(kw, wk, w, shorter), CKR_TEMPLATE_INCONSISTENT);
}

TEST_F(Wrap, UnwrapTemplateEnforced)
{
	CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
	CK_KEY_TYPE aes = CKK_AES;
	CK_ATTRIBUTE ut[] = {{CKA_EXTRACTABLE, &no, 1}, {CKA_KEY_TYPE, &aes, sizeof(aes)}, {CKA_SIGN, &yes, 1}};
	Tmpl kek = secret(CKK_AES, std::string(16, 'w'));
	kek.add(CKA_UNWRAP_TEMPLATE, ut, sizeof(ut));
	CK_OBJECT_HANDLE wk = create(kek);
	CK_OBJECT_HANDLE k = create(secret(CKK_AES, std::string(16, 'k')));
	std::string w = wrap(kw, wk, k);

	// A template that contradicts it fails; one that leaves its attributes out gets them.
	EXPECT_EQ(unwrap_rv(kw, wk, w, unwrap_tmpl(CKK_AES)), CKR_TEMPLATE_INCONSISTENT); // asks extractable
	Tmpl other_type;
	other_type.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, CKK_GENERIC_SECRET);
	EXPECT_EQ(unwrap_rv(kw, wk, w, other_type), CKR_TEMPLATE_INCONSISTENT);
	Tmpl agrees;
	agrees.ul(CKA_CLASS, CKO_SECRET_KEY).b(CKA_SIGN, true).s(CKA_LABEL, "agrees");
	CK_OBJECT_HANDLE u = unwrap(kw, wk, w, agrees);
	EXPECT_FALSE(get_bool(u, CKA_EXTRACTABLE));
	EXPECT_TRUE(get_bool(u, CKA_SIGN));
	CK_KEY_TYPE kt;
	std::string v = get(u, CKA_KEY_TYPE);
	ASSERT_EQ(v.size(), sizeof(kt));
	memcpy(&kt, v.data(), sizeof(kt));
	EXPECT_EQ(kt, (CK_KEY_TYPE)CKK_AES);
	// ... and being unextractable, it cannot be wrapped again.
	EXPECT_EQ(wrap_rv(kw, wk, u), CKR_KEY_UNEXTRACTABLE);
}

TEST_F(Wrap, MechanismInfo)
{
	CK_MECHANISM_INFO info;
	for (CK_MECHANISM_TYPE t : {CKM_AES_KEY_WRAP, CKM_AES_KEY_WRAP_KWP, CKM_AES_CBC_PAD, CKM_RSA_PKCS, CKM_RSA_PKCS_OAEP,
				    CKM_RSA_AES_KEY_WRAP}) {
		ASSERT_EQ(f->C_GetMechanismInfo(slot, t, &info), CKR_OK) << t;
		EXPECT_EQ(info.flags & (CKF_WRAP | CKF_UNWRAP), CKF_WRAP | CKF_UNWRAP) << t;
	}
	// SoftHSM lists RFC 5649 under 0x210A (CKM_AES_KEY_WRAP_PAD, which is RFC 3394 with PKCS#7 padding).
	EXPECT_EQ(f->C_GetMechanismInfo(slot, CKM_AES_KEY_WRAP_PAD, &info), CKR_MECHANISM_INVALID);
}

// ---- private keys as PKCS#8, CKM_RSA_AES_KEY_WRAP, the templates, the KWP IV ----
const std::string kek256 = unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
const std::string iv16 = unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
const std::string oid_p256 = unhex("06082a8648ce3d030107"), oid_p384 = unhex("06052b81040022"),
		  oid_p521 = unhex("06052b81040023"), oid_ed25519 = unhex("06032b6570");

std::string upper(std::string s)
{
	for (auto &c : s)
		c = (char)toupper((unsigned char)c);
	return s;
}

// r || s as a DER ECDSA-Sig-Value, for openssl.
std::string ecdsa_der(const std::string &rs)
{
	auto integer = [](std::string v) {
		while (v.size() > 1 && v[0] == 0)
			v.erase(0, 1);
		if ((unsigned char)v[0] & 0x80)
			v.insert(0, 1, '\0');
		return std::string("\x02", 1) + (char)v.size() + v;
	};
	std::string body = integer(rs.substr(0, rs.size() / 2)) + integer(rs.substr(rs.size() / 2));
	return std::string("\x30", 1) + (char)body.size() + body;
}

// Token private keys wrapped with KWP and CBC-PAD; OpenSSL reads what python-cryptography
// or `openssl enc` unwrapped, and its public key is the token's.
TEST_F(Wrap, Pkcs8WrapAgainstOpenssl)
{
	struct {
		CK_MECHANISM_TYPE gen;
		std::string params;
		size_t point; // bytes of the raw public key at the end of the SPKI
	} cases[] = {{CKM_RSA_PKCS_KEY_PAIR_GEN, "", 0},
		     {CKM_EC_KEY_PAIR_GEN, oid_p256, 65},
		     {CKM_EC_KEY_PAIR_GEN, oid_p384, 97},
		     {CKM_EC_KEY_PAIR_GEN, oid_p521, 133},
		     {CKM_EC_EDWARDS_KEY_PAIR_GEN, oid_ed25519, 32}};
	CK_OBJECT_HANDLE wk = create(secret(CKK_AES, kek256));
	CK_MECHANISM cbc = {CKM_AES_CBC_PAD, (CK_VOID_PTR)iv16.data(), 16};
	std::string k8 = dir + "/k8.der";
	for (auto &c : cases) {
		CK_OBJECT_HANDLE pub, priv;
		pair(c.gen, c.params, &pub, &priv);
		for (bool use_kwp : {true, false}) {
			SCOPED_TRACE(hex(c.params) + (use_kwp ? " KWP" : " CBC-PAD"));
			std::string w = wrap(use_kwp ? kwp : cbc, wk, priv);
			std::string der = use_kwp ? py_kwp(false, kek256, w) : ossl_cbc(false, kek256, iv16, w);
			ASSERT_GT(der.size(), 40u);
			write("k8.der", der);
			if (c.gen == CKM_RSA_PKCS_KEY_PAIR_GEN) {
				std::string out = shell("openssl rsa -inform DER -in " + k8 + " -noout -check -modulus");
				EXPECT_NE(out.find("RSA key ok"), std::string::npos) << out;
				EXPECT_NE(out.find("Modulus=" + upper(hex(get(pub, CKA_MODULUS)))), std::string::npos) << out;
			} else {
				if (c.gen == CKM_EC_KEY_PAIR_GEN) {
					EXPECT_NE(shell("openssl pkey -inform DER -in " + k8 + " -check -noout").find("Key is valid"),
						  std::string::npos);
				}
				std::string spki = shell("openssl pkey -inform DER -in " + k8 + " -pubout -outform DER");
				std::string pt = get(pub, CKA_EC_POINT);
				ASSERT_GT(spki.size(), c.point);
				EXPECT_EQ(hex(spki.substr(spki.size() - c.point)), hex(pt.substr(pt.size() - c.point)));
			}
			// ... and back onto the token: the same private key.
			Tmpl t;
			t.ul(CKA_CLASS, CKO_PRIVATE_KEY).b(CKA_SENSITIVE, false).b(CKA_EXTRACTABLE, true);
			CK_OBJECT_HANDLE u = unwrap(use_kwp ? kwp : cbc, wk, w, t);
			CK_ATTRIBUTE_TYPE secret_part = c.gen == CKM_RSA_PKCS_KEY_PAIR_GEN ? CKA_PRIVATE_EXPONENT : CKA_VALUE;
			EXPECT_EQ(hex(get(u, secret_part)), hex(get(priv, secret_part)));
			EXPECT_EQ(get(u, CKA_KEY_TYPE), get(priv, CKA_KEY_TYPE));
		}
	}
}

// Keys made by `openssl genpkey`, wrapped by python-cryptography (KWP) or `openssl enc`
// (CBC-PAD), unwrapped on the token, sign there; openssl verifies.
TEST_F(Wrap, UnwrapOpensslPkcs8AndSign)
{
	struct {
		const char *gen;
		CK_MECHANISM_TYPE sign;
		CK_KEY_TYPE kt;
		std::string params;
	} cases[] = {{"-algorithm RSA -pkeyopt rsa_keygen_bits:1024", CKM_SHA256_RSA_PKCS, CKK_RSA, ""},
		     {"-algorithm EC -pkeyopt ec_paramgen_curve:P-384", CKM_ECDSA_SHA256, CKK_EC, oid_p384},
		     {"-algorithm ED25519", CKM_EDDSA, CKK_EC_EDWARDS, oid_ed25519}};
	CK_OBJECT_HANDLE wk = create(secret(CKK_AES, kek256));
	CK_MECHANISM cbc = {CKM_AES_CBC_PAD, (CK_VOID_PTR)iv16.data(), 16};
	const std::string msg = "a message signed on the token";
	write("msg", msg);
	std::string d = dir + "/";
	for (size_t i = 0; i < 3; i++) {
		auto &c = cases[i];
		SCOPED_TRACE(c.gen);
		shell("(openssl genpkey " + std::string(c.gen) + " -out " + d + "k.pem && openssl pkcs8 -topk8 -nocrypt -in " + d +
		      "k.pem -outform DER -out " + d + "k8.der && openssl pkey -in " + d + "k.pem -pubout -out " + d + "pub.pem)");
		std::string der = read("k8.der");
		bool use_kwp = i != 1;
		std::string w = use_kwp ? py_kwp(true, kek256, der) : ossl_cbc(true, kek256, iv16, der);
		CK_MECHANISM um = use_kwp ? kwp : cbc;
		// The class comes from the template, the type from the key; a contradicting type fails.
		Tmpl wrong;
		wrong.ul(CKA_CLASS, CKO_PRIVATE_KEY).ul(CKA_KEY_TYPE, c.kt == CKK_RSA ? CKK_EC : CKK_RSA);
		EXPECT_EQ(unwrap_rv(um, wk, w, wrong), CKR_TEMPLATE_INCONSISTENT);
		Tmpl t;
		t.ul(CKA_CLASS, CKO_PRIVATE_KEY).b(CKA_SIGN, true).s(CKA_LABEL, "from openssl");
		CK_OBJECT_HANDLE k = unwrap(um, wk, w, t);
		EXPECT_EQ(get(k, CKA_KEY_TYPE), std::string((const char *)&c.kt, sizeof(c.kt)));
		EXPECT_FALSE(get_bool(k, CKA_LOCAL));
		EXPECT_FALSE(get_bool(k, CKA_ALWAYS_SENSITIVE));
		EXPECT_FALSE(get_bool(k, CKA_NEVER_EXTRACTABLE));
		EXPECT_TRUE(get_bool(k, CKA_SENSITIVE));
		if (c.kt != CKK_RSA) {
			EXPECT_EQ(hex(get(k, CKA_EC_PARAMS)), hex(c.params));
		}
		CK_MECHANISM sm = {c.sign, nullptr, 0};
		ASSERT_EQ(f->C_SignInit(h, &sm, k), CKR_OK);
		CK_ULONG n = 1024;
		std::string sig(n, '\0');
		ASSERT_EQ(f->C_Sign(h, (CK_BYTE_PTR)msg.data(), msg.size(), (CK_BYTE_PTR)sig.data(), &n), CKR_OK);
		sig.resize(n);
		write("sig", c.kt == CKK_EC ? ecdsa_der(sig) : sig);
		std::string out = c.kt == CKK_EC_EDWARDS
					  ? shell("openssl pkeyutl -verify -pubin -inkey " + d + "pub.pem -rawin -in " + d +
						  "msg -sigfile " + d + "sig")
					  : shell("openssl dgst -sha256 -verify " + d + "pub.pem -signature " + d + "sig " + d + "msg");
		EXPECT_NE(out.find("Verified"), std::string::npos) << out;
	}
}

TEST_F(Wrap, Pkcs8PolicyAndErrors)
{
	CK_OBJECT_HANDLE wk = create(secret(CKK_AES, kek256));
	CK_OBJECT_HANDLE pub, priv;
	pair(CKM_EC_EDWARDS_KEY_PAIR_GEN, oid_ed25519, &pub, &priv);
	// An Ed25519 PrivateKeyInfo is 48 bytes: RFC 3394 carries it too.
	std::string w = wrap(kw, wk, priv);
	EXPECT_EQ(w.size(), 56u);
	Tmpl t;
	t.ul(CKA_CLASS, CKO_PRIVATE_KEY).b(CKA_SENSITIVE, false).b(CKA_EXTRACTABLE, true);
	CK_OBJECT_HANDLE u = unwrap(kw, wk, w, t);
	EXPECT_EQ(get(u, CKA_VALUE), get(priv, CKA_VALUE));
	EXPECT_EQ(get(u, CKA_EC_POINT), "<rv " + std::to_string(CKR_ATTRIBUTE_TYPE_INVALID) + ">");
	// A P-384 one (182 bytes) is no whole number of blocks.
	CK_OBJECT_HANDLE p384pub, p384;
	pair(CKM_EC_KEY_PAIR_GEN, oid_p384, &p384pub, &p384);
	EXPECT_EQ(wrap_rv(kw, wk, p384), CKR_KEY_SIZE_RANGE);
	EXPECT_EQ(wrap_rv(kw, wk, p384pub), CKR_KEY_NOT_WRAPPABLE);
	// Unextractable keys stay; X25519 has no PKCS#8 form here.
	CK_OBJECT_HANDLE p2, locked;
	pair(CKM_EC_EDWARDS_KEY_PAIR_GEN, oid_ed25519, &p2, &locked, false);
	EXPECT_EQ(wrap_rv(kwp, wk, locked), CKR_KEY_UNEXTRACTABLE);
	CK_OBJECT_HANDLE xpub, xpriv;
	pair(CKM_EC_MONTGOMERY_KEY_PAIR_GEN, unhex("06032b656e"), &xpub, &xpriv);
	EXPECT_EQ(wrap_rv(kwp, wk, xpriv), CKR_KEY_NOT_WRAPPABLE);
	// Not a PrivateKeyInfo: a secret key's value unwrapped as a private key.
	std::string sw = wrap(kwp, wk, create(secret(CKK_AES, std::string(32, 's'))));
	EXPECT_EQ(unwrap_rv(kwp, wk, sw, t), CKR_WRAPPED_KEY_INVALID);
	// A DER PrivateKeyInfo with a trailing byte is refused (strict DER).
	std::string der = py_kwp(false, kek256, wrap(kwp, wk, priv));
	EXPECT_EQ(unwrap_rv(kwp, wk, py_kwp(true, kek256, der + std::string(1, '\0')), t), CKR_WRAPPED_KEY_INVALID);
	// The template may not bring key material, nor contradict the type or the unwrap template.
	Tmpl with_value = t;
	with_value.s(CKA_VALUE, std::string(32, 'v'));
	EXPECT_EQ(unwrap_rv(kw, wk, w, with_value), CKR_ATTRIBUTE_READ_ONLY);
	Tmpl ec = t;
	ec.ul(CKA_KEY_TYPE, CKK_EC);
	EXPECT_EQ(unwrap_rv(kw, wk, w, ec), CKR_TEMPLATE_INCONSISTENT);
	CK_OBJECT_CLASS sk = CKO_SECRET_KEY;
	CK_ATTRIBUTE ut[] = {{CKA_CLASS, &sk, sizeof(sk)}};
	Tmpl kek = secret(CKK_AES, kek256);
	kek.add(CKA_UNWRAP_TEMPLATE, ut, sizeof(ut));
	EXPECT_EQ(unwrap_rv(kw, create(kek), w, t), CKR_TEMPLATE_INCONSISTENT);
	// The template's class decides: without one, the bytes become a secret key.
	EXPECT_EQ(get(unwrap(kw, wk, w, unwrap_tmpl(CKK_GENERIC_SECRET)), CKA_VALUE), der);
}

TEST_F(Wrap, RsaAesKeyWrap)
{
	CK_OBJECT_HANDLE pub, priv;
	rsa_pair(&pub, &priv);
	CK_RSA_PKCS_OAEP_PARAMS oaep = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, nullptr, 0};
	CK_RSA_AES_KEY_WRAP_PARAMS p = {256, &oaep};
	CK_MECHANISM m = {CKM_RSA_AES_KEY_WRAP, &p, sizeof(p)};
	CK_MECHANISM dec = {CKM_RSA_PKCS_OAEP, &oaep, sizeof(oaep)};
	// The first modulus-size bytes are the temporary AES key under RSA-OAEP (C_Decrypt
	// recovers it), the rest the target under it with RFC 5649 (python-cryptography unwraps).
	auto open_blob = [&](const std::string &w) {
		CK_ULONG n = 128;
		std::string tmp(128, '\0');
		EXPECT_EQ(f->C_DecryptInit(h, &dec, priv), CKR_OK);
		EXPECT_EQ(f->C_Decrypt(h, (CK_BYTE_PTR)w.data(), 128, (CK_BYTE_PTR)tmp.data(), &n), CKR_OK);
		EXPECT_EQ(n, 32u);
		return py_kwp(false, tmp.substr(0, n), w.substr(128));
	};
	std::string v = unhex("00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f");
	CK_OBJECT_HANDLE k = create(secret(CKK_AES, v));
	std::string w = wrap(m, pub, k);
	ASSERT_EQ(w.size(), 128u + 40u);
	EXPECT_EQ(hex(open_blob(w)), hex(v));
	EXPECT_NE(wrap(m, pub, k), w); // a fresh AES key each time
	EXPECT_EQ(get(unwrap(m, priv, w, unwrap_tmpl(CKK_AES)), CKA_VALUE), v);

	// A private key: PKCS#8 inside, the same as KWP under an AES key gives.
	CK_OBJECT_HANDLE ecpub, ec;
	pair(CKM_EC_KEY_PAIR_GEN, oid_p256, &ecpub, &ec);
	std::string we = wrap(m, pub, ec);
	std::string der = open_blob(we);
	CK_OBJECT_HANDLE aes = create(secret(CKK_AES, kek256));
	EXPECT_EQ(hex(der), hex(py_kwp(false, kek256, wrap(kwp, aes, ec))));
	write("k8.der", der);
	std::string spki = shell("openssl pkey -inform DER -in " + dir + "/k8.der -pubout -outform DER");
	ASSERT_GT(spki.size(), 65u);
	EXPECT_EQ(hex(spki.substr(spki.size() - 65)), hex(get(ecpub, CKA_EC_POINT).substr(2)));
	Tmpl t;
	t.ul(CKA_CLASS, CKO_PRIVATE_KEY).b(CKA_SENSITIVE, false).b(CKA_EXTRACTABLE, true);
	EXPECT_EQ(get(unwrap(m, priv, we, t), CKA_VALUE), get(ec, CKA_VALUE));

	// Errors.
	CK_RSA_AES_KEY_WRAP_PARAMS bad = {100, &oaep};
	CK_MECHANISM mb = {CKM_RSA_AES_KEY_WRAP, &bad, sizeof(bad)};
	EXPECT_EQ(wrap_rv(mb, pub, k), CKR_MECHANISM_PARAM_INVALID);
	bad = {256, nullptr};
	EXPECT_EQ(wrap_rv(mb, pub, k), CKR_MECHANISM_PARAM_INVALID);
	CK_MECHANISM no_param = {CKM_RSA_AES_KEY_WRAP, nullptr, 0};
	EXPECT_EQ(unwrap_rv(no_param, priv, w, unwrap_tmpl(CKK_AES)), CKR_MECHANISM_PARAM_INVALID);
	bad = {128, &oaep}; // the RSA part holds a 256-bit key
	EXPECT_EQ(unwrap_rv(mb, priv, w, unwrap_tmpl(CKK_AES)), CKR_WRAPPED_KEY_INVALID);
	EXPECT_EQ(unwrap_rv(m, priv, w.substr(0, 128), unwrap_tmpl(CKK_AES)), CKR_WRAPPED_KEY_LEN_RANGE);
	EXPECT_EQ(unwrap_rv(m, priv, w.substr(0, w.size() - 1), unwrap_tmpl(CKK_AES)), CKR_WRAPPED_KEY_LEN_RANGE);
	for (size_t i : {5, 140}) {
		std::string flipped = w;
		flipped[i] ^= 4;
		EXPECT_EQ(unwrap_rv(m, priv, flipped, unwrap_tmpl(CKK_AES)), CKR_WRAPPED_KEY_INVALID) << i;
	}
	EXPECT_EQ(wrap_rv(m, aes, k), CKR_WRAPPING_KEY_TYPE_INCONSISTENT);
	EXPECT_EQ(unwrap_rv(m, aes, w, unwrap_tmpl(CKK_AES)), CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT);
}

TEST_F(Wrap, WrapTemplateEnforced)
{
	CK_KEY_TYPE aes = CKK_AES;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE wt[] = {{CKA_KEY_TYPE, &aes, sizeof(aes)}, {CKA_DECRYPT, &yes, 1}};
	Tmpl kek = secret(CKK_AES, std::string(16, 'w'));
	kek.add(CKA_WRAP_TEMPLATE, wt, sizeof(wt));
	CK_OBJECT_HANDLE wk = create(kek);
	EXPECT_EQ(get(wk, CKA_WRAP_TEMPLATE).size(), sizeof(wt));
	EXPECT_EQ(wrap_rv(kw, wk, create(secret(CKK_AES, std::string(16, 'a')))), CKR_OK);
	EXPECT_EQ(wrap_rv(kw, wk, create(secret(CKK_GENERIC_SECRET, std::string(16, 'g')))), CKR_KEY_NOT_WRAPPABLE);
	Tmpl no_decrypt = secret(CKK_AES, std::string(16, 'n'));
	no_decrypt.b(CKA_DECRYPT, false);
	EXPECT_EQ(wrap_rv(kwp, wk, create(no_decrypt)), CKR_KEY_NOT_WRAPPABLE);
	CK_OBJECT_HANDLE pub, priv;
	pair(CKM_EC_EDWARDS_KEY_PAIR_GEN, oid_ed25519, &pub, &priv);
	EXPECT_EQ(wrap_rv(kwp, wk, priv), CKR_KEY_NOT_WRAPPABLE);
	// Without a template, the same keys wrap.
	CK_OBJECT_HANDLE plain = create(secret(CKK_AES, std::string(16, 'p')));
	EXPECT_EQ(wrap_rv(kwp, plain, create(no_decrypt)), CKR_OK);
	EXPECT_EQ(wrap_rv(kwp, plain, priv), CKR_OK);
}

TEST_F(Wrap, DeriveTemplateEnforced)
{
	CK_KEY_TYPE aes = CKK_AES, generic = CKK_GENERIC_SECRET;
	CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
	CK_ATTRIBUTE dt[] = {{CKA_KEY_TYPE, &aes, sizeof(aes)}, {CKA_ENCRYPT, &no, 1}};
	Tmpl bt = secret(CKK_GENERIC_SECRET, std::string(16, 'b'));
	bt.b(CKA_DERIVE, true).add(CKA_DERIVE_TEMPLATE, dt, sizeof(dt));
	CK_OBJECT_HANDLE base = create(bt);
	EXPECT_EQ(get(base, CKA_DERIVE_TEMPLATE).size(), sizeof(dt));
	std::string data = "0123456789abcdef";
	CK_KEY_DERIVATION_STRING_DATA sd = {(CK_BYTE_PTR)data.data(), data.size()};
	CK_MECHANISM m = {CKM_CONCATENATE_BASE_AND_DATA, &sd, sizeof(sd)};
	auto derive = [&](Tmpl t, CK_OBJECT_HANDLE from, CK_OBJECT_HANDLE *out) {
		return f->C_DeriveKey(h, &m, from, t.data(), t.size(), out);
	};
	Tmpl t;
	t.ul(CKA_CLASS, CKO_SECRET_KEY).b(CKA_SENSITIVE, false).b(CKA_EXTRACTABLE, true);
	CK_OBJECT_HANDLE k;
	// Completed from the template: an AES key that cannot encrypt.
	ASSERT_EQ(derive(t, base, &k), CKR_OK);
	EXPECT_EQ(get(k, CKA_KEY_TYPE), std::string((const char *)&aes, sizeof(aes)));
	EXPECT_FALSE(get_bool(k, CKA_ENCRYPT));
	EXPECT_EQ(get(k, CKA_VALUE), std::string(16, 'b') + data);
	Tmpl agrees = t;
	agrees.add(CKA_ENCRYPT, &no, 1);
	EXPECT_EQ(derive(agrees, base, &k), CKR_OK);
	Tmpl other_type = t;
	other_type.add(CKA_KEY_TYPE, &generic, sizeof(generic));
	EXPECT_EQ(derive(other_type, base, &k), CKR_TEMPLATE_INCONSISTENT);
	Tmpl encrypts = t;
	encrypts.add(CKA_ENCRYPT, &yes, 1);
	EXPECT_EQ(derive(encrypts, base, &k), CKR_TEMPLATE_INCONSISTENT);
	// Without one: the mechanism's default type, the template's usage.
	Tmpl plain = secret(CKK_GENERIC_SECRET, std::string(16, 'b'));
	plain.b(CKA_DERIVE, true);
	ASSERT_EQ(derive(encrypts, create(plain), &k), CKR_OK);
	EXPECT_EQ(get(k, CKA_KEY_TYPE), std::string((const char *)&generic, sizeof(generic)));
	EXPECT_TRUE(get_bool(k, CKA_ENCRYPT));
}

// RFC 5649 §3's alternative initial value: for one block the wrap is a single AES
// encryption of AIV || MLI || key, which `openssl enc -aes-128-ecb` computes.
TEST_F(Wrap, KwpAlternativeIv)
{
	std::string kek = unhex("000102030405060708090a0b0c0d0e0f"), aiv = unhex("a1b2c3d4");
	CK_OBJECT_HANDLE wk = create(secret(CKK_AES, kek));
	CK_MECHANISM m = {CKM_AES_KEY_WRAP_KWP, (CK_VOID_PTR)aiv.data(), 4};
	CK_OBJECT_HANDLE k8 = create(secret(CKK_GENERIC_SECRET, "8 bytes!"));
	std::string w = wrap(m, wk, k8);
	write("blk", aiv + unhex("00000008") + "8 bytes!");
	EXPECT_EQ(hex(w), hex(shell("openssl enc -aes-128-ecb -nopad -K " + hex(kek) + " -in " + dir + "/blk")));
	EXPECT_NE(w, wrap(kwp, wk, k8));
	// Longer keys round-trip under the same AIV only.
	CK_OBJECT_HANDLE k = create(secret(CKK_GENERIC_SECRET, std::string(21, 'k')));
	w = wrap(m, wk, k);
	EXPECT_EQ(get(unwrap(m, wk, w, unwrap_tmpl(CKK_GENERIC_SECRET)), CKA_VALUE), std::string(21, 'k'));
	EXPECT_EQ(unwrap_rv(kwp, wk, w, unwrap_tmpl(CKK_GENERIC_SECRET)), CKR_WRAPPED_KEY_INVALID);
	std::string other = unhex("a1b2c3d5");
	CK_MECHANISM mo = {CKM_AES_KEY_WRAP_KWP, (CK_VOID_PTR)other.data(), 4};
	EXPECT_EQ(unwrap_rv(mo, wk, w, unwrap_tmpl(CKK_GENERIC_SECRET)), CKR_WRAPPED_KEY_INVALID);
	// The default value, given explicitly, is the default.
	std::string dflt = unhex("a65959a6");
	CK_MECHANISM md = {CKM_AES_KEY_WRAP_KWP, (CK_VOID_PTR)dflt.data(), 4};
	EXPECT_EQ(wrap(md, wk, k), wrap(kwp, wk, k));
	CK_MECHANISM short_iv = {CKM_AES_KEY_WRAP_KWP, (CK_VOID_PTR)aiv.data(), 3};
	EXPECT_EQ(wrap_rv(short_iv, wk, k), CKR_MECHANISM_PARAM_INVALID);
	EXPECT_EQ(unwrap_rv(short_iv, wk, w, unwrap_tmpl(CKK_GENERIC_SECRET)), CKR_MECHANISM_PARAM_INVALID);
	CK_MECHANISM null_iv = {CKM_AES_KEY_WRAP_KWP, nullptr, 4};
	EXPECT_EQ(wrap_rv(null_iv, wk, k), CKR_MECHANISM_PARAM_INVALID);
}

} // namespace

// C_DeriveKey: ECDH on P-256/384/521 and X25519 against `openssl pkeyutl -derive` with an
// openssl-generated peer, the X9.63 KDF against `openssl kdf X963KDF`, HKDF against
// RFC 5869 cases 1-3, concatenation, encryption of data against `openssl enc`, the
// attribute policy, error codes; and C_DigestKey.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "command.h"
#include "p11_objects.h"

using namespace fhsm_test;

namespace {

std::string der(unsigned char tag, const std::string &body)
{
	std::string out(1, (char)tag);
	if (body.size() < 128) {
		out += (char)body.size();
	} else {
		out += (char)0x81;
		out += (char)body.size();
	}
	return out + body;
}

class Derive : public Objects {
protected:
	std::string sh(const std::string &cmd)
	{
		std::string s;
		if (run_command("cd '" + dir + "' && " + cmd + " 2>&1", &s) != 0)
			ADD_FAILURE() << cmd << ":\n" << s;
		return s;
	}
	void put(const std::string &name, const std::string &data)
	{
		std::ofstream(dir + "/" + name, std::ios::binary) << data;
	}
	std::string file(const std::string &name)
	{
		std::ifstream in(dir + "/" + name, std::ios::binary);
		std::stringstream ss;
		ss << in.rdbuf();
		return ss.str();
	}

	static Tmpl secret(CK_KEY_TYPE kt, const std::string &v, bool derive = true)
	{
		Tmpl t;
		t.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, kt).s(CKA_VALUE, v).b(CKA_DERIVE, derive)
			.b(CKA_EXTRACTABLE, true).b(CKA_SENSITIVE, false);
		return t;
	}
	// The derived key's template: readable, so its value can be compared.
	static Tmpl out_tmpl(CK_KEY_TYPE kt = CKK_GENERIC_SECRET, CK_ULONG len = 0)
	{
		Tmpl t;
		t.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, kt).b(CKA_EXTRACTABLE, true).b(CKA_SENSITIVE, false);
		if (len)
			t.ul(CKA_VALUE_LEN, len);
		return t;
	}

	CK_RV derive_rv(CK_MECHANISM m, CK_OBJECT_HANDLE base, Tmpl t, CK_OBJECT_HANDLE *out = nullptr)
	{
		CK_OBJECT_HANDLE o = CK_INVALID_HANDLE;
		CK_RV rv = f->C_DeriveKey(h, &m, base, t.data(), t.size(), &o);
		if (out)
			*out = o;
		return rv;
	}
	std::string derive(CK_MECHANISM m, CK_OBJECT_HANDLE base, Tmpl t)
	{
		CK_OBJECT_HANDLE o = CK_INVALID_HANDLE;
		EXPECT_EQ(derive_rv(m, base, t, &o), CKR_OK);
		return get(o, CKA_VALUE);
	}

	// A token key pair; the public point as openssl reads it (SubjectPublicKeyInfo DER).
	CK_OBJECT_HANDLE ec_pair(CK_MECHANISM_TYPE gen_mech, const std::string &params, std::string *point)
	{
		CK_MECHANISM gen = {gen_mech, nullptr, 0};
		Tmpl tp, tk;
		tp.add(CKA_EC_PARAMS, params.data(), params.size()).b(CKA_TOKEN, true);
		tk.b(CKA_DERIVE, true).b(CKA_TOKEN, true);
		CK_OBJECT_HANDLE pub, priv;
		EXPECT_EQ(f->C_GenerateKeyPair(h, &gen, tp.data(), tp.size(), tk.data(), tk.size(), &pub, &priv), CKR_OK);
		std::string ecp = get(pub, CKA_EC_POINT);
		size_t hdr = (unsigned char)ecp[1] == 0x81 ? 3 : 2;
		*point = ecp.substr(hdr);
		return priv;
	}
};

const std::string oid_p256 = unhex("06082a8648ce3d030107"), oid_p384 = unhex("06052b81040022"),
		  oid_p521 = unhex("06052b81040023"), oid_x25519 = unhex("06032b656e");

TEST_F(Derive, EcdhAgainstOpenssl)
{
	struct {
		const char *name;
		std::string oid;
	} curves[] = {{"P-256", oid_p256}, {"P-384", oid_p384}, {"P-521", oid_p521}};
	for (auto &c : curves) {
		std::string point;
		CK_OBJECT_HANDLE priv = ec_pair(CKM_EC_KEY_PAIR_GEN, c.oid, &point);
		std::string spki = der(0x30, der(0x30, unhex("06072a8648ce3d0201") + c.oid) + der(0x03, std::string(1, '\0') + point));
		put("token.der", spki);
		sh(std::string("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:") + c.name + " -out peer.pem");
		sh("openssl pkey -in peer.pem -pubout -outform DER -out peer.der");
		sh("openssl pkeyutl -derive -inkey peer.pem -peerkey token.der -peerform DER -out z.bin");
		std::string z = file("z.bin"), peer = file("peer.der");
		std::string peer_point = peer.substr(peer.size() - point.size());

		CK_ECDH1_DERIVE_PARAMS p = {CKD_NULL, 0, nullptr, peer_point.size(), (CK_BYTE_PTR)peer_point.data()};
		CK_MECHANISM m = {CKM_ECDH1_DERIVE, &p, sizeof(p)};
		EXPECT_EQ(hex(derive(m, priv, out_tmpl())), hex(z)) << c.name;
		// The point as a DER OCTET STRING does the same; a shorter key takes Z's last bytes.
		std::string octets = der(0x04, peer_point);
		CK_ECDH1_DERIVE_PARAMS pd = {CKD_NULL, 0, nullptr, octets.size(), (CK_BYTE_PTR)octets.data()};
		CK_MECHANISM md = {CKM_ECDH1_DERIVE, &pd, sizeof(pd)};
		EXPECT_EQ(hex(derive(md, priv, out_tmpl(CKK_AES, 16))), hex(z.substr(z.size() - 16))) << c.name;

		// X9.63 with SHA-256 and shared data.
		std::string info = "shared info";
		CK_ECDH1_DERIVE_PARAMS pk = {CKD_SHA256_KDF, info.size(), (CK_BYTE_PTR)info.data(), peer_point.size(),
					     (CK_BYTE_PTR)peer_point.data()};
		CK_MECHANISM mk = {CKM_ECDH1_DERIVE, &pk, sizeof(pk)};
		std::string want = sh("openssl kdf -keylen 42 -kdfopt digest:SHA256 -kdfopt hexkey:" + hex(z) +
				      " -kdfopt hexinfo:" + hex(info) + " X963KDF");
		std::string got = hex(derive(mk, priv, out_tmpl(CKK_GENERIC_SECRET, 42)));
		std::string want_hex;
		for (char ch : want)
			if (isxdigit((unsigned char)ch))
				want_hex += (char)tolower(ch);
		EXPECT_EQ(got, want_hex) << c.name;

		// A point off the curve; the null KDF with shared data; no length for a KDF.
		std::string off = peer_point;
		off[off.size() - 1] ^= 1;
		CK_ECDH1_DERIVE_PARAMS po = {CKD_NULL, 0, nullptr, off.size(), (CK_BYTE_PTR)off.data()};
		CK_MECHANISM mo = {CKM_ECDH1_DERIVE, &po, sizeof(po)};
		EXPECT_EQ(derive_rv(mo, priv, out_tmpl()), CKR_MECHANISM_PARAM_INVALID);
		CK_ECDH1_DERIVE_PARAMS ps = {CKD_NULL, info.size(), (CK_BYTE_PTR)info.data(), peer_point.size(),
					     (CK_BYTE_PTR)peer_point.data()};
		CK_MECHANISM ms = {CKM_ECDH1_DERIVE, &ps, sizeof(ps)};
		EXPECT_EQ(derive_rv(ms, priv, out_tmpl()), CKR_MECHANISM_PARAM_INVALID);
		EXPECT_EQ(derive_rv(mk, priv, out_tmpl()), CKR_TEMPLATE_INCOMPLETE);
	}
}

TEST_F(Derive, X25519AgainstOpenssl)
{
	std::string point;
	CK_OBJECT_HANDLE priv = ec_pair(CKM_EC_MONTGOMERY_KEY_PAIR_GEN, oid_x25519, &point);
	ASSERT_EQ(point.size(), 32u);
	put("token.der", der(0x30, der(0x30, oid_x25519) + der(0x03, std::string(1, '\0') + point)));
	sh("openssl genpkey -algorithm X25519 -out peer.pem");
	sh("openssl pkey -in peer.pem -pubout -outform DER -out peer.der");
	sh("openssl pkeyutl -derive -inkey peer.pem -peerkey token.der -peerform DER -out z.bin");
	std::string z = file("z.bin"), peer = file("peer.der");
	std::string peer_point = peer.substr(peer.size() - 32);
	CK_ECDH1_DERIVE_PARAMS p = {CKD_NULL, 0, nullptr, 32, (CK_BYTE_PTR)peer_point.data()};
	CK_MECHANISM m = {CKM_ECDH1_DERIVE, &p, sizeof(p)};
	EXPECT_EQ(hex(derive(m, priv, out_tmpl())), hex(z));
	std::string octets = der(0x04, peer_point);
	CK_ECDH1_DERIVE_PARAMS pd = {CKD_NULL, 0, nullptr, octets.size(), (CK_BYTE_PTR)octets.data()};
	CK_MECHANISM md = {CKM_ECDH1_DERIVE, &pd, sizeof(pd)};
	EXPECT_EQ(hex(derive(md, priv, out_tmpl())), hex(z));
	// A low-order point (all zeros) gives an all-zero secret: refused.
	std::string zero(32, '\0');
	CK_ECDH1_DERIVE_PARAMS pz = {CKD_NULL, 0, nullptr, 32, (CK_BYTE_PTR)zero.data()};
	CK_MECHANISM mz = {CKM_ECDH1_DERIVE, &pz, sizeof(pz)};
	EXPECT_EQ(derive_rv(mz, priv, out_tmpl()), CKR_MECHANISM_PARAM_INVALID);
}

struct HkdfCase {
	std::string ikm, salt, info;
	CK_ULONG len;
	const char *prk, *okm;
};

const HkdfCase rfc5869[] = {
	{std::string(22, '\x0b'), unhex("000102030405060708090a0b0c"), unhex("f0f1f2f3f4f5f6f7f8f9"), 42,
	 "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
	 "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
	{[] {
		 std::string s;
		 for (int i = 0; i < 80; i++)
			 s += (char)i;
		 return s;
	 }(),
	 [] {
		 std::string s;
		 for (int i = 0x60; i < 0xb0; i++)
			 s += (char)i;
		 return s;
	 }(),
	 [] {
		 std::string s;
		 for (int i = 0xb0; i < 0x100; i++)
			 s += (char)i;
		 return s;
	 }(),
	 82, "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
	 "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8"
	 "367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"},
	{std::string(22, '\x0b'), "", "", 42, "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
	 "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
};

TEST_F(Derive, HkdfRfc5869)
{
	for (const HkdfCase &c : rfc5869) {
		CK_OBJECT_HANDLE base = create(secret(CKK_GENERIC_SECRET, c.ikm));
		CK_HKDF_PARAMS p = {CK_TRUE, CK_TRUE, CKM_SHA256, c.salt.empty() ? CKF_HKDF_SALT_NULL : CKF_HKDF_SALT_DATA,
				    (CK_BYTE_PTR)c.salt.data(), c.salt.size(), CK_INVALID_HANDLE,
				    (CK_BYTE_PTR)c.info.data(), c.info.size()};
		CK_MECHANISM m = {CKM_HKDF_DERIVE, &p, sizeof(p)};
		EXPECT_EQ(hex(derive(m, base, out_tmpl(CKK_GENERIC_SECRET, c.len))), c.okm);
		// Extract alone gives the PRK; expand alone from the PRK gives the OKM.
		p.bExpand = CK_FALSE;
		std::string prk = derive(m, base, out_tmpl());
		EXPECT_EQ(hex(prk), c.prk);
		CK_HKDF_PARAMS e = {CK_FALSE, CK_TRUE, CKM_SHA256, 0, nullptr, 0, CK_INVALID_HANDLE,
				    (CK_BYTE_PTR)c.info.data(), c.info.size()};
		CK_MECHANISM me = {CKM_HKDF_DERIVE, &e, sizeof(e)};
		EXPECT_EQ(hex(derive(me, create(secret(CKK_GENERIC_SECRET, prk)), out_tmpl(CKK_GENERIC_SECRET, c.len))),
			  c.okm);
		// CKM_HKDF_DATA: the same bytes in a data object.
		p.bExpand = CK_TRUE;
		CK_MECHANISM md = {CKM_HKDF_DATA, &p, sizeof(p)};
		Tmpl dt;
		dt.ul(CKA_CLASS, CKO_DATA).ul(CKA_VALUE_LEN, c.len).s(CKA_LABEL, "hkdf data");
		CK_OBJECT_HANDLE d;
		ASSERT_EQ(derive_rv(md, base, dt, &d), CKR_OK);
		EXPECT_EQ(hex(get(d, CKA_VALUE)), c.okm);
		EXPECT_EQ(get(d, CKA_LABEL), "hkdf data");
	}
	// Case 1 with the salt in a key.
	const HkdfCase &c = rfc5869[0];
	CK_OBJECT_HANDLE base = create(secret(CKK_GENERIC_SECRET, c.ikm));
	CK_OBJECT_HANDLE salt = create(secret(CKK_GENERIC_SECRET, c.salt));
	CK_HKDF_PARAMS p = {CK_TRUE, CK_TRUE, CKM_SHA256, CKF_HKDF_SALT_KEY, nullptr, 0, salt,
			    (CK_BYTE_PTR)c.info.data(), c.info.size()};
	CK_MECHANISM m = {CKM_HKDF_DERIVE, &p, sizeof(p)};
	EXPECT_EQ(hex(derive(m, base, out_tmpl(CKK_GENERIC_SECRET, 42))), c.okm);
	// Bad parameters.
	p.prfHashMechanism = CKM_MD5;
	EXPECT_EQ(derive_rv(m, base, out_tmpl(CKK_GENERIC_SECRET, 42)), CKR_MECHANISM_PARAM_INVALID);
	p.prfHashMechanism = CKM_SHA256;
	p.ulSaltType = 8;
	EXPECT_EQ(derive_rv(m, base, out_tmpl(CKK_GENERIC_SECRET, 42)), CKR_MECHANISM_PARAM_INVALID);
	p.ulSaltType = CKF_HKDF_SALT_NULL;
	p.bExtract = p.bExpand = CK_FALSE;
	EXPECT_EQ(derive_rv(m, base, out_tmpl(CKK_GENERIC_SECRET, 42)), CKR_MECHANISM_PARAM_INVALID);
	p.bExtract = CK_FALSE;
	p.bExpand = CK_TRUE; // expand only: the 22-byte key is shorter than a SHA-256 PRK
	EXPECT_EQ(derive_rv(m, base, out_tmpl(CKK_GENERIC_SECRET, 42)), CKR_KEY_SIZE_RANGE);
	p.bExtract = CK_TRUE;
	EXPECT_EQ(derive_rv(m, base, out_tmpl()), CKR_TEMPLATE_INCOMPLETE); // expand: how long?
}

TEST_F(Derive, Concatenate)
{
	std::string a = "base-key-value..", b = "other key value!", d = "some data";
	CK_OBJECT_HANDLE ka = create(secret(CKK_GENERIC_SECRET, a)), kb = create(secret(CKK_GENERIC_SECRET, b));
	CK_MECHANISM m = {CKM_CONCATENATE_BASE_AND_KEY, &kb, sizeof(kb)};
	EXPECT_EQ(derive(m, ka, out_tmpl()), a + b);
	CK_KEY_DERIVATION_STRING_DATA sd = {(CK_BYTE_PTR)d.data(), d.size()};
	CK_MECHANISM bd = {CKM_CONCATENATE_BASE_AND_DATA, &sd, sizeof(sd)};
	CK_MECHANISM db = {CKM_CONCATENATE_DATA_AND_BASE, &sd, sizeof(sd)};
	EXPECT_EQ(derive(bd, ka, out_tmpl()), a + d);
	EXPECT_EQ(derive(db, ka, out_tmpl()), d + a);
	// A length or a key type takes the first bytes; too many is an error.
	EXPECT_EQ(derive(bd, ka, out_tmpl(CKK_GENERIC_SECRET, 5)), a.substr(0, 5));
	EXPECT_EQ(derive(m, ka, out_tmpl(CKK_AES)), (a + b).substr(0, 32));
	EXPECT_EQ(derive(m, ka, out_tmpl(CKK_DES3)), (a + b).substr(0, 24));
	EXPECT_EQ(derive(bd, ka, out_tmpl(CKK_AES, 16)), a.substr(0, 16));
	EXPECT_EQ(derive_rv(bd, ka, out_tmpl(CKK_GENERIC_SECRET, 100)), CKR_TEMPLATE_INCONSISTENT);
	EXPECT_EQ(derive_rv(bd, ka, out_tmpl(CKK_AES, 20)), CKR_TEMPLATE_INCONSISTENT);
	CK_OBJECT_HANDLE bogus = 0xdead;
	CK_MECHANISM mb = {CKM_CONCATENATE_BASE_AND_KEY, &bogus, sizeof(bogus)};
	EXPECT_EQ(derive_rv(mb, ka, out_tmpl()), CKR_KEY_HANDLE_INVALID);
	CK_MECHANISM mshort = {CKM_CONCATENATE_BASE_AND_KEY, &kb, 4};
	EXPECT_EQ(derive_rv(mshort, ka, out_tmpl()), CKR_MECHANISM_PARAM_INVALID);

	// Protection carries over: a sensitive, unextractable other key makes the result so.
	Tmpl locked;
	locked.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, CKK_GENERIC_SECRET).s(CKA_VALUE, b)
		.b(CKA_EXTRACTABLE, false).b(CKA_SENSITIVE, true);
	CK_OBJECT_HANDLE kl = create(locked), out;
	CK_MECHANISM ml = {CKM_CONCATENATE_BASE_AND_KEY, &kl, sizeof(kl)};
	ASSERT_EQ(derive_rv(ml, ka, out_tmpl(), &out), CKR_OK);
	EXPECT_TRUE(get_bool(out, CKA_SENSITIVE));
	EXPECT_FALSE(get_bool(out, CKA_EXTRACTABLE));
	EXPECT_EQ(get(out, CKA_VALUE), "<rv " + std::to_string(CKR_ATTRIBUTE_SENSITIVE) + ">");
}

TEST_F(Derive, EncryptDataAgainstOpensslEnc)
{
	std::string aes = unhex("2b7e151628aed2a6abf7158809cf4f3c"), des = unhex("0123456789abcdeffedcba987654321089abcdef01234567");
	std::string data = unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
	std::string iv16 = unhex("000102030405060708090a0b0c0d0e0f"), iv8 = unhex("0001020304050607");
	put("data.bin", data);
	auto enc = [&](const std::string &cipher, const std::string &k, const std::string &iv) {
		sh("openssl enc -" + cipher + " -nopad -K " + hex(k) + (iv.empty() ? "" : " -iv " + hex(iv)) +
		   " -in data.bin -out enc.bin");
		return file("enc.bin");
	};
	CK_OBJECT_HANDLE ka = create(secret(CKK_AES, aes)), kd = create(secret(CKK_DES3, des));
	CK_KEY_DERIVATION_STRING_DATA sd = {(CK_BYTE_PTR)data.data(), data.size()};
	CK_MECHANISM aes_ecb = {CKM_AES_ECB_ENCRYPT_DATA, &sd, sizeof(sd)};
	CK_MECHANISM des_ecb = {CKM_DES3_ECB_ENCRYPT_DATA, &sd, sizeof(sd)};
	CK_AES_CBC_ENCRYPT_DATA_PARAMS ap;
	memcpy(ap.iv, iv16.data(), 16);
	ap.pData = (CK_BYTE_PTR)data.data();
	ap.length = data.size();
	CK_MECHANISM aes_cbc = {CKM_AES_CBC_ENCRYPT_DATA, &ap, sizeof(ap)};
	CK_DES_CBC_ENCRYPT_DATA_PARAMS dp;
	memcpy(dp.iv, iv8.data(), 8);
	dp.pData = (CK_BYTE_PTR)data.data();
	dp.length = data.size();
	CK_MECHANISM des_cbc = {CKM_DES3_CBC_ENCRYPT_DATA, &dp, sizeof(dp)};
	EXPECT_EQ(hex(derive(aes_ecb, ka, out_tmpl())), hex(enc("aes-128-ecb", aes, "")));
	EXPECT_EQ(hex(derive(aes_cbc, ka, out_tmpl())), hex(enc("aes-128-cbc", aes, iv16)));
	EXPECT_EQ(hex(derive(des_ecb, kd, out_tmpl())), hex(enc("des-ede3", des, "")));
	EXPECT_EQ(hex(derive(des_cbc, kd, out_tmpl())), hex(enc("des-ede3-cbc", des, iv8)));
	// An AES key from the first 16 bytes; a partial block; the wrong base key type.
	EXPECT_EQ(hex(derive(aes_ecb, ka, out_tmpl(CKK_AES, 16))), hex(enc("aes-128-ecb", aes, "").substr(0, 16)));
	sd.ulLen = 20;
	EXPECT_EQ(derive_rv(aes_ecb, ka, out_tmpl()), CKR_MECHANISM_PARAM_INVALID);
	sd.ulLen = 32;
	EXPECT_EQ(derive_rv(aes_ecb, kd, out_tmpl()), CKR_KEY_TYPE_INCONSISTENT);
	EXPECT_EQ(derive_rv(des_ecb, ka, out_tmpl()), CKR_KEY_TYPE_INCONSISTENT);
}

TEST_F(Derive, PolicyAndErrors)
{
	std::string d = "data";
	CK_KEY_DERIVATION_STRING_DATA sd = {(CK_BYTE_PTR)d.data(), d.size()};
	CK_MECHANISM m = {CKM_CONCATENATE_BASE_AND_DATA, &sd, sizeof(sd)};
	CK_OBJECT_HANDLE nod = create(secret(CKK_GENERIC_SECRET, "no derive", false));
	EXPECT_EQ(derive_rv(m, nod, out_tmpl()), CKR_KEY_FUNCTION_NOT_PERMITTED);
	EXPECT_EQ(derive_rv(m, 0xdead, out_tmpl()), CKR_KEY_HANDLE_INVALID);
	CK_MECHANISM sha = {CKM_SHA256, nullptr, 0};
	CK_OBJECT_HANDLE base = create(secret(CKK_GENERIC_SECRET, "base value"));
	EXPECT_EQ(derive_rv(sha, base, out_tmpl()), CKR_MECHANISM_INVALID);
	CK_ECDH1_DERIVE_PARAMS ep = {CKD_NULL, 0, nullptr, 4, (CK_BYTE_PTR)"abcd"};
	CK_MECHANISM ecdh = {CKM_ECDH1_DERIVE, &ep, sizeof(ep)};
	EXPECT_EQ(derive_rv(ecdh, base, out_tmpl()), CKR_KEY_TYPE_INCONSISTENT);
	Tmpl with_value = out_tmpl();
	with_value.s(CKA_VALUE, "x");
	EXPECT_EQ(derive_rv(m, base, with_value), CKR_ATTRIBUTE_READ_ONLY);
	Tmpl not_secret;
	not_secret.ul(CKA_CLASS, CKO_PRIVATE_KEY).ul(CKA_KEY_TYPE, CKK_GENERIC_SECRET);
	EXPECT_EQ(derive_rv(m, base, not_secret), CKR_TEMPLATE_INCONSISTENT);

	// No template: a generic secret as long as what the mechanism gives.
	CK_OBJECT_HANDLE o;
	ASSERT_EQ(f->C_DeriveKey(h, &m, base, nullptr, 0, &o), CKR_OK);
	CK_ULONG len = 14;
	EXPECT_EQ(get(o, CKA_VALUE_LEN), std::string((char *)&len, sizeof(len)));
	EXPECT_FALSE(get_bool(o, CKA_LOCAL));

	// §4.14: "always sensitive" and "never extractable" only if the base key was so too.
	CK_MECHANISM gen = {CKM_GENERIC_SECRET_KEY_GEN, nullptr, 0};
	Tmpl gt;
	gt.ul(CKA_VALUE_LEN, 32).b(CKA_DERIVE, true).b(CKA_SENSITIVE, true).b(CKA_EXTRACTABLE, false);
	CK_OBJECT_HANDLE g;
	ASSERT_EQ(f->C_GenerateKey(h, &gen, gt.data(), gt.size(), &g), CKR_OK);
	ASSERT_TRUE(get_bool(g, CKA_ALWAYS_SENSITIVE));
	ASSERT_TRUE(get_bool(g, CKA_NEVER_EXTRACTABLE));
	CK_HKDF_PARAMS hp = {CK_TRUE, CK_TRUE, CKM_SHA256, CKF_HKDF_SALT_NULL, nullptr, 0, CK_INVALID_HANDLE, nullptr, 0};
	CK_MECHANISM hk = {CKM_HKDF_DERIVE, &hp, sizeof(hp)};
	Tmpl st;
	st.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, CKK_AES).ul(CKA_VALUE_LEN, 32).b(CKA_SENSITIVE, true)
		.b(CKA_EXTRACTABLE, false);
	ASSERT_EQ(derive_rv(hk, g, st, &o), CKR_OK);
	EXPECT_TRUE(get_bool(o, CKA_ALWAYS_SENSITIVE));
	EXPECT_TRUE(get_bool(o, CKA_NEVER_EXTRACTABLE));
	EXPECT_FALSE(get_bool(o, CKA_LOCAL));
	Tmpl loose;
	loose.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, CKK_AES).ul(CKA_VALUE_LEN, 32).b(CKA_SENSITIVE, false)
		.b(CKA_EXTRACTABLE, true);
	ASSERT_EQ(derive_rv(hk, g, loose, &o), CKR_OK);
	EXPECT_FALSE(get_bool(o, CKA_ALWAYS_SENSITIVE));
	EXPECT_FALSE(get_bool(o, CKA_NEVER_EXTRACTABLE));
	// From an imported base (never "always sensitive"), never.
	ASSERT_EQ(derive_rv(hk, create(secret(CKK_GENERIC_SECRET, std::string(32, 'i'))), st, &o), CKR_OK);
	EXPECT_FALSE(get_bool(o, CKA_ALWAYS_SENSITIVE));
	EXPECT_FALSE(get_bool(o, CKA_NEVER_EXTRACTABLE));

	CK_MECHANISM_INFO info;
	for (CK_MECHANISM_TYPE t : {CKM_ECDH1_DERIVE, CKM_CONCATENATE_BASE_AND_KEY, CKM_CONCATENATE_BASE_AND_DATA,
				    CKM_CONCATENATE_DATA_AND_BASE, CKM_AES_ECB_ENCRYPT_DATA, CKM_AES_CBC_ENCRYPT_DATA,
				    CKM_DES3_ECB_ENCRYPT_DATA, CKM_DES3_CBC_ENCRYPT_DATA, CKM_HKDF_DERIVE, CKM_HKDF_DATA}) {
		ASSERT_EQ(f->C_GetMechanismInfo(slot, t, &info), CKR_OK) << t;
		EXPECT_TRUE(info.flags & CKF_DERIVE) << t;
	}
}

// ---- C_DigestKey ----
class DigestKey : public Derive {};

TEST_F(DigestKey, DigestsTheValue)
{
	const char *sha256_abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	CK_MECHANISM sha = {CKM_SHA256, nullptr, 0};
	CK_BYTE out[32];
	CK_ULONG n = sizeof(out);
	CK_OBJECT_HANDLE abc = create(secret(CKK_GENERIC_SECRET, "abc"));
	ASSERT_EQ(f->C_DigestInit(h, &sha), CKR_OK);
	ASSERT_EQ(f->C_DigestKey(h, abc), CKR_OK);
	ASSERT_EQ(f->C_DigestFinal(h, out, &n), CKR_OK);
	EXPECT_EQ(hex(std::string((char *)out, n)), sha256_abc);
	// Mixed with data; and a sensitive, unextractable key is digested too (as SoftHSM does).
	Tmpl locked;
	locked.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, CKK_GENERIC_SECRET).s(CKA_VALUE, "bc")
		.b(CKA_SENSITIVE, true).b(CKA_EXTRACTABLE, false);
	CK_OBJECT_HANDLE bc = create(locked);
	ASSERT_EQ(f->C_DigestInit(h, &sha), CKR_OK);
	ASSERT_EQ(f->C_DigestUpdate(h, (CK_BYTE_PTR)"a", 1), CKR_OK);
	ASSERT_EQ(f->C_DigestKey(h, bc), CKR_OK);
	n = sizeof(out);
	ASSERT_EQ(f->C_DigestFinal(h, out, &n), CKR_OK);
	EXPECT_EQ(hex(std::string((char *)out, n)), sha256_abc);
}

TEST_F(DigestKey, ErrorCodes)
{
	CK_MECHANISM sha = {CKM_SHA256, nullptr, 0};
	CK_OBJECT_HANDLE abc = create(secret(CKK_GENERIC_SECRET, "abc"));
	EXPECT_EQ(f->C_DigestKey(h, abc), CKR_OPERATION_NOT_INITIALIZED);
	ASSERT_EQ(f->C_DigestInit(h, &sha), CKR_OK);
	EXPECT_EQ(f->C_DigestKey(h, 0xdead), CKR_KEY_HANDLE_INVALID);
	EXPECT_EQ(f->C_DigestKey(h, abc), CKR_OPERATION_NOT_INITIALIZED); // the failure ended it
	std::string point;
	CK_OBJECT_HANDLE priv = ec_pair(CKM_EC_KEY_PAIR_GEN, oid_p256, &point);
	ASSERT_EQ(f->C_DigestInit(h, &sha), CKR_OK);
	EXPECT_EQ(f->C_DigestKey(h, priv), CKR_KEY_INDIGESTIBLE);
}

} // namespace

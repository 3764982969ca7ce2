// The GOST mechanisms through PKCS#11 (libgcrypt underneath), against published
// values rather than libgcrypt itself: GOST R 34.11-94 vectors (RFC 5831 §7.3 for the
// test parameter set; the CryptoPro-parameter values published with the standard's
// implementations, which OpenSSL's GOST engine also gives), RFC 5832's example
// signature, HMAC values from OpenSSL's GOST engine (libengine-gost-openssl 3.0.1:
// `openssl dgst -engine gost -md_gost94 -hmac KEY`) and HMAC rebuilt here from the
// digest. tests/integration/gost.sh has OpenSSL verify the token's signatures.
#include <algorithm>
#include <atomic>
#include <thread>

#include "p11_objects.h"

using namespace fhsm_test;

namespace {

// DER OIDs (RFC 4357).
const std::string oid_3410_test = unhex("06072a850302022300"); // id-GostR3410-2001-TestParamSet
const std::string oid_3410_a = unhex("06072a850302022301");    // ...-CryptoPro-A-ParamSet
const std::string oid_3411_test = unhex("06072a850302021e00"); // id-GostR3411-94-TestParamSet
const std::string oid_3411_cp = unhex("06072a850302021e01");   // ...-CryptoProParamSet

std::string rev(std::string s)
{
	std::reverse(s.begin(), s.end());
	return s;
}

class Gost : public Objects {
protected:
	std::string digest(const std::string &data, const std::string &param = "", size_t chunk = 0)
	{
		CK_MECHANISM m = {CKM_GOSTR3411, param.empty() ? nullptr : (void *)param.data(), param.size()};
		EXPECT_EQ(f->C_DigestInit(h, &m), CKR_OK);
		std::string out(32, '\0');
		CK_ULONG n = 32;
		if (chunk) {
			for (size_t i = 0; i < data.size(); i += chunk)
				EXPECT_EQ(f->C_DigestUpdate(h, (CK_BYTE_PTR)data.data() + i, std::min(chunk, data.size() - i)),
					  CKR_OK);
			EXPECT_EQ(f->C_DigestFinal(h, (CK_BYTE_PTR)out.data(), &n), CKR_OK);
		} else {
			EXPECT_EQ(f->C_Digest(h, (CK_BYTE_PTR)data.data(), data.size(), (CK_BYTE_PTR)out.data(), &n), CKR_OK);
		}
		EXPECT_EQ(n, 32u);
		return hex(out);
	}
	CK_OBJECT_HANDLE secret(CK_KEY_TYPE kt, const std::string &value)
	{
		Tmpl t;
		t.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, kt).s(CKA_VALUE, value).b(CKA_SIGN, true).b(CKA_VERIFY, true);
		return create(t);
	}
	CK_RV pair(Tmpl pub, Tmpl priv, CK_OBJECT_HANDLE *pu, CK_OBJECT_HANDLE *pr)
	{
		CK_MECHANISM m = {CKM_GOSTR3410_KEY_PAIR_GEN, nullptr, 0};
		return f->C_GenerateKeyPair(h, &m, pub.data(), pub.size(), priv.data(), priv.size(), pu, pr);
	}
	// RFC 5832 §7.1 (test parameter set): the key pair, e, and the signature (r, s).
	const std::string d = unhex("7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28");
	const std::string qx = unhex("7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B");
	const std::string qy = unhex("26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA");
	const std::string e = unhex("2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5");
	const std::string r = unhex("41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493");
	const std::string s = unhex("01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40");
	// PKCS#11's encodings: the point X || Y little-endian, d little-endian, the hash
	// whose little-endian reading is e, the signature s || r big-endian.
	CK_OBJECT_HANDLE rfc_public(const std::string &params = oid_3410_test)
	{
		Tmpl t;
		t.ul(CKA_CLASS, CKO_PUBLIC_KEY).ul(CKA_KEY_TYPE, CKK_GOSTR3410).s(CKA_GOSTR3410_PARAMS, params)
			.s(CKA_GOSTR3411_PARAMS, oid_3411_cp).s(CKA_VALUE, rev(qx) + rev(qy));
		return create(t);
	}
	CK_OBJECT_HANDLE rfc_private()
	{
		Tmpl t;
		t.ul(CKA_CLASS, CKO_PRIVATE_KEY).ul(CKA_KEY_TYPE, CKK_GOSTR3410).s(CKA_GOSTR3410_PARAMS, oid_3410_test)
			.s(CKA_VALUE, rev(d));
		return create(t);
	}
};

TEST_F(Gost, MechanismsListed)
{
	CK_ULONG n = 0;
	ASSERT_EQ(f->C_GetMechanismList(slot, nullptr, &n), CKR_OK);
	std::vector<CK_MECHANISM_TYPE> all(n);
	ASSERT_EQ(f->C_GetMechanismList(slot, all.data(), &n), CKR_OK);
	struct {
		CK_MECHANISM_TYPE t;
		CK_FLAGS flags;
	} want[] = {{CKM_GOSTR3411, CKF_DIGEST},
		    {CKM_GOSTR3411_HMAC, CKF_SIGN | CKF_VERIFY},
		    {CKM_GOSTR3410_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR},
		    {CKM_GOSTR3410, CKF_SIGN | CKF_VERIFY},
		    {CKM_GOSTR3410_WITH_GOSTR3411, CKF_SIGN | CKF_VERIFY}};
	for (auto &w : want) {
		EXPECT_NE(std::find(all.begin(), all.end(), w.t), all.end()) << std::hex << w.t;
		CK_MECHANISM_INFO info;
		ASSERT_EQ(f->C_GetMechanismInfo(slot, w.t, &info), CKR_OK);
		EXPECT_EQ(info.flags, w.flags) << std::hex << w.t;
	}
	// Not offered (SoftHSM does not either): the GOST 28147-89 cipher and MAC.
	for (CK_MECHANISM_TYPE t : {CKM_GOST28147_KEY_GEN, CKM_GOST28147_ECB, CKM_GOST28147, CKM_GOST28147_MAC,
				    CKM_GOSTR3410_DERIVE, CKM_GOSTR3410_KEY_WRAP})
		EXPECT_EQ(std::find(all.begin(), all.end(), t), all.end()) << std::hex << t;
}

TEST_F(Gost, DigestCryptoProVectors)
{
	// The default parameter set is CryptoPro's (RFC 4357), as SoftHSM's.
	EXPECT_EQ(digest(""), "981e5f3ca30c841487830f84fb433e13ac1101569b9c13584ac483234cd656c0");
	EXPECT_EQ(digest("a"), "e74c52dd282183bf37af0079c9f78055715a103f17e3133ceff1aacf2f403011");
	EXPECT_EQ(digest("abc"), "b285056dbf18d7392d7677369524dd14747459ed8143997e163b2986f92fd42c");
	EXPECT_EQ(digest("message digest"), "bc6041dd2aa401ebfa6e9886734174febdb4729aa972d60f549ac39b29721ba0");
	EXPECT_EQ(digest("The quick brown fox jumps over the lazy dog"),
		  "9004294a361a508c586fe53d1f1b02746765e71b765472786e4770d565830a76");
	// RFC 5831's two messages with the CryptoPro parameters; the OID as parameter too.
	EXPECT_EQ(digest("This is message, length=32 bytes", oid_3411_cp),
		  "2cefc2f7b7bdc514e18ea57fa74ff357e7fa17d652c75f69cb1be7893ede48eb");
	EXPECT_EQ(digest("Suppose the original message has length = 50 bytes", "", 3),
		  "c3730c5cbccacf915ac292676f21e8bd4ef75331d9405e5f1a61dc3130a65011");
	EXPECT_EQ(digest(std::string(1000000, 'a'), "", 4096),
		  "8693287aa62f9478f7cb312ec0866b6c4e4a0f11160441e8f4ffcd2715dd554f");
}

TEST_F(Gost, DigestRfc5831TestParamSet)
{
	// RFC 5831 §7.3.1 and §7.3.2: the standard's own examples, with its test parameters
	// (the hash values as the RFC prints them, most significant byte first).
	EXPECT_EQ(digest("This is message, length=32 bytes", oid_3411_test),
		  "b1c466d37519b82e8319819ff32595e047a28cb6f83eff1c6916a815a637fffa");
	EXPECT_EQ(digest("Suppose the original message has length = 50 bytes", oid_3411_test, 5),
		  "471aba57a60a770d3a76130635c1fbea4ef14de51f78b4ae57dd893b62f55208");
}

TEST_F(Gost, DigestErrorsAndDigestKey)
{
	std::string bad = unhex("06072a850302021e05"), other = unhex("06082a8648ce3d030107");
	for (const std::string *p : {&bad, &other}) {
		CK_MECHANISM m = {CKM_GOSTR3411, (void *)p->data(), p->size()};
		EXPECT_EQ(f->C_DigestInit(h, &m), CKR_MECHANISM_PARAM_INVALID);
	}
	// A buffer too small keeps the operation; then it finishes.
	CK_MECHANISM m = {CKM_GOSTR3411, nullptr, 0};
	ASSERT_EQ(f->C_DigestInit(h, &m), CKR_OK);
	std::string out(32, '\0');
	CK_ULONG n = 31;
	EXPECT_EQ(f->C_Digest(h, (CK_BYTE_PTR) "abc", 3, (CK_BYTE_PTR)out.data(), &n), CKR_BUFFER_TOO_SMALL);
	EXPECT_EQ(n, 32u);
	EXPECT_EQ(f->C_Digest(h, (CK_BYTE_PTR) "abc", 3, (CK_BYTE_PTR)out.data(), &n), CKR_OK);
	EXPECT_EQ(hex(out), "b285056dbf18d7392d7677369524dd14747459ed8143997e163b2986f92fd42c");
	// C_DigestKey: the key's value goes into the digest.
	CK_OBJECT_HANDLE k = secret(CKK_GENERIC_SECRET, "message digest");
	ASSERT_EQ(f->C_DigestInit(h, &m), CKR_OK);
	ASSERT_EQ(f->C_DigestKey(h, k), CKR_OK);
	n = 32;
	ASSERT_EQ(f->C_DigestFinal(h, (CK_BYTE_PTR)out.data(), &n), CKR_OK);
	EXPECT_EQ(hex(out), "bc6041dd2aa401ebfa6e9886734174febdb4729aa972d60f549ac39b29721ba0");
}

TEST_F(Gost, HmacAgainstOpenSslGostEngine)
{
	CK_MECHANISM m = {CKM_GOSTR3411_HMAC, nullptr, 0};
	struct {
		std::string key, data, mac;
	} v[] = {
		{"Jefe", "what do ya want for nothing?", "ec352aec8da53f0626fe22699243266ed40da2beff219dfd7dd2dcf3d86ebbc9"},
		{std::string(32, '\x0b'), "Hi There", "f0d40f70234b0ba31c5b0c6a4fb4c7b99ad5465e452c6903b8db9f83db963405"},
		// A key longer than the 32-byte block is hashed first.
		{std::string(100, 'k'), "Test Using Larger Than Block-Size Key - Hash Key First",
		 "7be8217ddc9139315bb3ac39a3a2518ea32fcb4827236494e9e2dad32955bae9"},
	};
	for (auto &x : v) {
		CK_OBJECT_HANDLE k = secret(CKK_GENERIC_SECRET, x.key);
		EXPECT_EQ(hex(sign(m, k, x.data)), x.mac) << x.data;
		EXPECT_EQ(hex(sign(m, k, x.data, true)), x.mac) << x.data;
		EXPECT_EQ(verify(m, k, x.data, unhex(x.mac)), CKR_OK);
		EXPECT_EQ(verify(m, k, x.data, unhex(x.mac), true), CKR_OK);
		std::string bad = unhex(x.mac);
		bad[5] ^= 1;
		EXPECT_EQ(verify(m, k, x.data, bad), CKR_SIGNATURE_INVALID);
		EXPECT_EQ(verify(m, k, x.data, bad.substr(0, 31)), CKR_SIGNATURE_LEN_RANGE);
	}
	// On a GOST 28147-89 key too (as SoftHSM), with the CryptoPro OID as parameter.
	std::string key32 = std::string(32, '\x0b');
	CK_OBJECT_HANDLE g = secret(CKK_GOST28147, key32);
	CK_MECHANISM mp = {CKM_GOSTR3411_HMAC, (void *)oid_3411_cp.data(), oid_3411_cp.size()};
	EXPECT_EQ(hex(sign(mp, g, "Hi There")), "f0d40f70234b0ba31c5b0c6a4fb4c7b99ad5465e452c6903b8db9f83db963405");
}

// HMAC (RFC 2104) rebuilt from the module's digest: ipad/opad over the 32-byte block.
TEST_F(Gost, HmacIsRfc2104OverTheDigest)
{
	std::string key = "a key of some length", data(333, 'x');
	for (size_t i = 0; i < data.size(); i++)
		data[i] = (char)(i * 7);
	std::string k0 = key + std::string(32 - key.size(), '\0'), ipad = k0, opad = k0;
	for (size_t i = 0; i < 32; i++) {
		ipad[i] ^= 0x36;
		opad[i] ^= 0x5c;
	}
	std::string want = digest(opad + unhex(digest(ipad + data)));
	CK_MECHANISM m = {CKM_GOSTR3411_HMAC, nullptr, 0};
	EXPECT_EQ(hex(sign(m, secret(CKK_GENERIC_SECRET, key), data)), want);
}

TEST_F(Gost, HmacErrors)
{
	CK_MECHANISM m = {CKM_GOSTR3411_HMAC, nullptr, 0};
	CK_OBJECT_HANDLE aes = secret(CKK_AES, std::string(16, 'a'));
	EXPECT_EQ(f->C_SignInit(h, &m, aes), CKR_KEY_TYPE_INCONSISTENT);
	CK_OBJECT_HANDLE k = secret(CKK_GENERIC_SECRET, "key");
	CK_MECHANISM test = {CKM_GOSTR3411_HMAC, (void *)oid_3411_test.data(), oid_3411_test.size()};
	EXPECT_EQ(f->C_SignInit(h, &test, k), CKR_MECHANISM_PARAM_INVALID);
	CK_MECHANISM junk = {CKM_GOSTR3411_HMAC, (void *)"xy", 2};
	EXPECT_EQ(f->C_SignInit(h, &junk, k), CKR_MECHANISM_PARAM_INVALID);
	// GOST 28147-89 keys are 32 bytes.
	Tmpl t;
	t.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, CKK_GOST28147).s(CKA_VALUE, std::string(31, 'k'));
	EXPECT_EQ(create_rv(t), CKR_ATTRIBUTE_VALUE_INVALID);
	// A MAC buffer too small keeps the operation.
	ASSERT_EQ(f->C_SignInit(h, &m, k), CKR_OK);
	std::string mac(32, '\0');
	CK_ULONG n = 16;
	EXPECT_EQ(f->C_Sign(h, (CK_BYTE_PTR) "x", 1, (CK_BYTE_PTR)mac.data(), &n), CKR_BUFFER_TOO_SMALL);
	EXPECT_EQ(n, 32u);
	EXPECT_EQ(f->C_Sign(h, (CK_BYTE_PTR) "x", 1, (CK_BYTE_PTR)mac.data(), &n), CKR_OK);
}

TEST_F(Gost, Rfc5832SignatureVerifies)
{
	CK_OBJECT_HANDLE pub = rfc_public();
	CK_MECHANISM m = {CKM_GOSTR3410, nullptr, 0};
	std::string hash = rev(e), sig = s + r;
	EXPECT_EQ(verify(m, pub, hash, sig), CKR_OK);
	for (size_t i : {0, 31, 32, 63}) { // s, then r, each end
		std::string bad = sig;
		bad[i] ^= 0x01;
		EXPECT_EQ(verify(m, pub, hash, bad), CKR_SIGNATURE_INVALID) << i;
	}
	std::string other = hash;
	other[0] ^= 0x80;
	EXPECT_EQ(verify(m, pub, other, sig), CKR_SIGNATURE_INVALID);
	EXPECT_EQ(verify(m, pub, hash, sig.substr(0, 63)), CKR_SIGNATURE_LEN_RANGE);
	EXPECT_EQ(verify(m, pub, hash, sig + "x"), CKR_SIGNATURE_LEN_RANGE);
	EXPECT_EQ(verify(m, pub, hash.substr(0, 31), sig), CKR_DATA_LEN_RANGE);
	// The same point on another curve is not a key there.
	EXPECT_EQ(verify(m, rfc_public(oid_3410_a), hash, sig), CKR_SIGNATURE_INVALID);
	// RFC 5832's private key signs e (with a nonce of its own): RFC's public key verifies.
	CK_OBJECT_HANDLE priv = rfc_private();
	std::string mine = sign(m, priv, hash);
	ASSERT_EQ(mine.size(), 64u);
	EXPECT_NE(mine, sig);
	EXPECT_EQ(verify(m, pub, hash, mine), CKR_OK);
}

TEST_F(Gost, KeyPairSignVerify)
{
	Tmpl pubt, privt;
	pubt.s(CKA_GOSTR3410_PARAMS, oid_3410_a).s(CKA_GOSTR3411_PARAMS, oid_3411_cp).s(CKA_LABEL, "g");
	privt.s(CKA_LABEL, "g").b(CKA_SIGN, true);
	CK_OBJECT_HANDLE pu, pr;
	ASSERT_EQ(pair(pubt, privt, &pu, &pr), CKR_OK);
	EXPECT_EQ(get(pu, CKA_VALUE).size(), 64u);
	EXPECT_EQ(get(pr, CKA_GOSTR3410_PARAMS), oid_3410_a);
	EXPECT_EQ(get(pr, CKA_GOSTR3411_PARAMS), oid_3411_cp);
	EXPECT_EQ(get(pr, CKA_VALUE), "<rv " + std::to_string(CKR_ATTRIBUTE_SENSITIVE) + ">");
	EXPECT_TRUE(get_bool(pr, CKA_LOCAL));
	CK_MECHANISM_TYPE how;
	memcpy(&how, get(pr, CKA_KEY_GEN_MECHANISM).data(), sizeof(how));
	EXPECT_EQ(how, (CK_MECHANISM_TYPE)CKM_GOSTR3410_KEY_PAIR_GEN);

	std::string msg(1000, '\0');
	for (size_t i = 0; i < msg.size(); i++)
		msg[i] = (char)(i * 13 + 1);
	CK_MECHANISM hs = {CKM_GOSTR3410_WITH_GOSTR3411, nullptr, 0}, raw = {CKM_GOSTR3410, nullptr, 0};
	std::string s1 = sign(hs, pr, msg), s2 = sign(hs, pr, msg, true);
	ASSERT_EQ(s1.size(), 64u);
	EXPECT_NE(s1, s2); // a fresh nonce each time
	for (const std::string *sig : {&s1, &s2}) {
		EXPECT_EQ(verify(hs, pu, msg, *sig), CKR_OK);
		EXPECT_EQ(verify(hs, pu, msg, *sig, true), CKR_OK);
		// Hash-and-sign is CKM_GOSTR3410 over CKM_GOSTR3411's digest.
		EXPECT_EQ(verify(raw, pu, unhex(digest(msg)), *sig), CKR_OK);
	}
	std::string changed = msg;
	changed[500] ^= 1;
	EXPECT_EQ(verify(hs, pu, changed, s1), CKR_SIGNATURE_INVALID);
	std::string bad = s1;
	bad[40] ^= 4;
	EXPECT_EQ(verify(hs, pu, msg, bad, true), CKR_SIGNATURE_INVALID);
	EXPECT_EQ(verify(hs, pu, msg, s1.substr(1)), CKR_SIGNATURE_LEN_RANGE);
	// The hash's parameter set as the mechanism's parameter: the key's default agrees.
	CK_MECHANISM hcp = {CKM_GOSTR3410_WITH_GOSTR3411, (void *)oid_3411_cp.data(), oid_3411_cp.size()};
	EXPECT_EQ(verify(hcp, pu, msg, s1), CKR_OK);
	CK_MECHANISM htest = {CKM_GOSTR3410_WITH_GOSTR3411, (void *)oid_3411_test.data(), oid_3411_test.size()};
	EXPECT_EQ(verify(htest, pu, msg, s1), CKR_SIGNATURE_INVALID); // another hash of msg
	std::string raw_sig = sign(raw, pr, unhex(digest(msg)));
	EXPECT_EQ(verify(hs, pu, msg, raw_sig), CKR_OK);
}

TEST_F(Gost, SignErrors)
{
	CK_OBJECT_HANDLE pu, pr;
	Tmpl pubt, privt;
	pubt.s(CKA_GOSTR3410_PARAMS, oid_3410_a);
	ASSERT_EQ(pair(pubt, privt, &pu, &pr), CKR_OK);
	CK_MECHANISM raw = {CKM_GOSTR3410, nullptr, 0}, hs = {CKM_GOSTR3410_WITH_GOSTR3411, nullptr, 0};
	// Buffer too small keeps the operation; the length query too.
	ASSERT_EQ(f->C_SignInit(h, &raw, pr), CKR_OK);
	std::string hash(32, '\x42'), sig(64, '\0');
	CK_ULONG n = 0;
	EXPECT_EQ(f->C_Sign(h, (CK_BYTE_PTR)hash.data(), 32, nullptr, &n), CKR_OK);
	EXPECT_EQ(n, 64u);
	n = 63;
	EXPECT_EQ(f->C_Sign(h, (CK_BYTE_PTR)hash.data(), 32, (CK_BYTE_PTR)sig.data(), &n), CKR_BUFFER_TOO_SMALL);
	EXPECT_EQ(n, 64u);
	EXPECT_EQ(f->C_Sign(h, (CK_BYTE_PTR)hash.data(), 32, (CK_BYTE_PTR)sig.data(), &n), CKR_OK);
	EXPECT_EQ(verify(raw, pu, hash, sig), CKR_OK);
	// CKM_GOSTR3410 signs a 32-byte hash: other lengths end the operation.
	ASSERT_EQ(f->C_SignInit(h, &raw, pr), CKR_OK);
	n = 64;
	EXPECT_EQ(f->C_Sign(h, (CK_BYTE_PTR)hash.data(), 31, (CK_BYTE_PTR)sig.data(), &n), CKR_DATA_LEN_RANGE);
	EXPECT_EQ(f->C_SignUpdate(h, (CK_BYTE_PTR)hash.data(), 1), CKR_OPERATION_NOT_INITIALIZED);
	// Parameters: none for CKM_GOSTR3410, a known hash OID for the hash-and-sign form.
	CK_MECHANISM rawp = {CKM_GOSTR3410, (void *)oid_3411_cp.data(), oid_3411_cp.size()};
	EXPECT_EQ(f->C_SignInit(h, &rawp, pr), CKR_MECHANISM_PARAM_INVALID);
	CK_MECHANISM hsp = {CKM_GOSTR3410_WITH_GOSTR3411, (void *)oid_3410_a.data(), oid_3410_a.size()};
	EXPECT_EQ(f->C_SignInit(h, &hsp, pr), CKR_MECHANISM_PARAM_INVALID);
	// Wrong keys: the public key to sign, a private key to verify (as for RSA: they
	// have no CKA_SIGN / CKA_VERIFY), other key types.
	EXPECT_EQ(f->C_SignInit(h, &hs, pu), CKR_KEY_FUNCTION_NOT_PERMITTED);
	EXPECT_EQ(f->C_VerifyInit(h, &hs, pr), CKR_KEY_FUNCTION_NOT_PERMITTED);
	Tmpl ecpub, ecpriv;
	ecpub.s(CKA_EC_PARAMS, unhex("06082a8648ce3d030107"));
	CK_OBJECT_HANDLE epu, epr;
	CK_MECHANISM ecgen = {CKM_EC_KEY_PAIR_GEN, nullptr, 0};
	ASSERT_EQ(f->C_GenerateKeyPair(h, &ecgen, ecpub.data(), ecpub.size(), ecpriv.data(), ecpriv.size(), &epu, &epr),
		  CKR_OK);
	EXPECT_EQ(f->C_SignInit(h, &hs, epr), CKR_KEY_TYPE_INCONSISTENT);
	EXPECT_EQ(f->C_VerifyInit(h, &raw, epu), CKR_KEY_TYPE_INCONSISTENT);
	CK_MECHANISM ecdsa = {CKM_ECDSA, nullptr, 0};
	EXPECT_EQ(f->C_SignInit(h, &ecdsa, pr), CKR_KEY_TYPE_INCONSISTENT);
}

TEST_F(Gost, KeyTemplates)
{
	CK_OBJECT_HANDLE pu, pr;
	Tmpl none, any;
	EXPECT_EQ(pair(none, any, &pu, &pr), CKR_TEMPLATE_INCOMPLETE);
	Tmpl unknown;
	unknown.s(CKA_GOSTR3410_PARAMS, unhex("06072a850302022309"));
	EXPECT_EQ(pair(unknown, any, &pu, &pr), CKR_DOMAIN_PARAMS_INVALID);
	Tmpl badhash;
	badhash.s(CKA_GOSTR3410_PARAMS, oid_3410_a).s(CKA_GOSTR3411_PARAMS, oid_3410_a);
	EXPECT_EQ(pair(badhash, any, &pu, &pr), CKR_DOMAIN_PARAMS_INVALID);
	// The private template may repeat the parameter sets, not contradict them.
	Tmpl a, same, other;
	a.s(CKA_GOSTR3410_PARAMS, oid_3410_a);
	same.s(CKA_GOSTR3410_PARAMS, oid_3410_a).s(CKA_GOSTR3411_PARAMS, oid_3411_cp);
	other.s(CKA_GOSTR3410_PARAMS, oid_3410_test);
	EXPECT_EQ(pair(a, same, &pu, &pr), CKR_OK);
	EXPECT_EQ(pair(a, other, &pu, &pr), CKR_TEMPLATE_INCONSISTENT);
	// Every supported parameter set generates, signs and verifies.
	CK_MECHANISM raw = {CKM_GOSTR3410, nullptr, 0};
	for (int set : {0x2300, 0x2301, 0x2302, 0x2303, 0x2400, 0x2401}) {
		std::string oid = unhex("06072a8503020200");
		oid[7] = (char)(set >> 8);
		oid.push_back((char)(set & 0xff));
		Tmpl p;
		p.s(CKA_GOSTR3410_PARAMS, oid);
		ASSERT_EQ(pair(p, any, &pu, &pr), CKR_OK) << std::hex << set;
		std::string hash(32, '\x17');
		EXPECT_EQ(verify(raw, pu, hash, sign(raw, pr, hash)), CKR_OK) << std::hex << set;
	}
	// Created keys: the values' sizes are checked.
	Tmpl shortpub;
	shortpub.ul(CKA_CLASS, CKO_PUBLIC_KEY).ul(CKA_KEY_TYPE, CKK_GOSTR3410).s(CKA_GOSTR3410_PARAMS, oid_3410_a)
		.s(CKA_VALUE, std::string(63, 'q'));
	EXPECT_EQ(create_rv(shortpub), CKR_ATTRIBUTE_VALUE_INVALID);
	Tmpl longpriv;
	longpriv.ul(CKA_CLASS, CKO_PRIVATE_KEY).ul(CKA_KEY_TYPE, CKK_GOSTR3410).s(CKA_GOSTR3410_PARAMS, oid_3410_a)
		.s(CKA_VALUE, std::string(33, 'd'));
	EXPECT_EQ(create_rv(longpriv), CKR_ATTRIBUTE_VALUE_INVALID);
	Tmpl noparams;
	noparams.ul(CKA_CLASS, CKO_PUBLIC_KEY).ul(CKA_KEY_TYPE, CKK_GOSTR3410).s(CKA_VALUE, std::string(64, 'q'));
	EXPECT_EQ(create_rv(noparams), CKR_TEMPLATE_INCOMPLETE);
	// A private key of 0 or >= q is refused when used.
	Tmpl zero;
	zero.ul(CKA_CLASS, CKO_PRIVATE_KEY).ul(CKA_KEY_TYPE, CKK_GOSTR3410).s(CKA_GOSTR3410_PARAMS, oid_3410_a)
		.s(CKA_VALUE, std::string(32, '\0'));
	CK_OBJECT_HANDLE z = create(zero);
	ASSERT_EQ(f->C_SignInit(h, &raw, z), CKR_OK);
	std::string sig(64, '\0');
	CK_ULONG n = 64;
	EXPECT_EQ(f->C_Sign(h, (CK_BYTE_PTR)sig.data(), 32, (CK_BYTE_PTR)sig.data(), &n), CKR_KEY_TYPE_INCONSISTENT);
}

TEST_F(Gost, TokenKeysSurviveReinitialize)
{
	Tmpl pubt, privt;
	pubt.s(CKA_GOSTR3410_PARAMS, oid_3410_a).b(CKA_TOKEN, true).s(CKA_LABEL, "kept");
	privt.b(CKA_TOKEN, true).s(CKA_LABEL, "kept");
	CK_OBJECT_HANDLE pu, pr;
	ASSERT_EQ(pair(pubt, privt, &pu, &pr), CKR_OK);
	std::string q = get(pu, CKA_VALUE);
	CK_MECHANISM hs = {CKM_GOSTR3410_WITH_GOSTR3411, nullptr, 0};
	std::string before = sign(hs, pr, "persisted");
	reinit();
	h = open(slot, true);
	ASSERT_EQ(f->C_Login(h, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_OK);
	Tmpl pubq, privq;
	pubq.ul(CKA_CLASS, CKO_PUBLIC_KEY).s(CKA_LABEL, "kept");
	privq.ul(CKA_CLASS, CKO_PRIVATE_KEY).s(CKA_LABEL, "kept");
	auto pubs = find(pubq), privs = find(privq);
	ASSERT_EQ(pubs.size(), 1u);
	ASSERT_EQ(privs.size(), 1u);
	EXPECT_EQ(get(pubs[0], CKA_VALUE), q);
	EXPECT_EQ(get(privs[0], CKA_GOSTR3410_PARAMS), oid_3410_a);
	EXPECT_EQ(verify(hs, pubs[0], "persisted", before), CKR_OK);
	EXPECT_EQ(verify(hs, pubs[0], "persisted", sign(hs, privs[0], "persisted")), CKR_OK);
}

// Threads share one key object: the HMAC key's prepared libgcrypt state is copied for
// each message (under its lock), the private key's S-expression built per signature.
TEST_F(Gost, ThreadsShareKeys)
{
	CK_OBJECT_HANDLE mac_key = secret(CKK_GENERIC_SECRET, "Jefe");
	Tmpl pubt, privt;
	pubt.s(CKA_GOSTR3410_PARAMS, oid_3410_a);
	CK_OBJECT_HANDLE pu, pr;
	ASSERT_EQ(pair(pubt, privt, &pu, &pr), CKR_OK);
	const std::string data = "what do ya want for nothing?",
			  want = unhex("ec352aec8da53f0626fe22699243266ed40da2beff219dfd7dd2dcf3d86ebbc9");
	std::atomic<int> bad{0};
	std::vector<std::thread> ts;
	for (int t = 0; t < 4; t++)
		ts.emplace_back([&] {
			CK_SESSION_HANDLE s;
			if (f->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &s) != CKR_OK) {
				bad++;
				return;
			}
			CK_MECHANISM hm = {CKM_GOSTR3411_HMAC, nullptr, 0}, hs = {CKM_GOSTR3410_WITH_GOSTR3411, nullptr, 0};
			for (int i = 0; i < 40; i++) {
				CK_BYTE out[64];
				CK_ULONG n = sizeof(out);
				if (f->C_SignInit(s, &hm, mac_key) != CKR_OK ||
				    f->C_Sign(s, (CK_BYTE_PTR)data.data(), data.size(), out, &n) != CKR_OK || n != 32 ||
				    memcmp(out, want.data(), 32))
					bad++;
				n = sizeof(out);
				if (i % 8 == 0 &&
				    (f->C_SignInit(s, &hs, pr) != CKR_OK ||
				     f->C_Sign(s, (CK_BYTE_PTR)data.data(), data.size(), out, &n) != CKR_OK || n != 64 ||
				     f->C_VerifyInit(s, &hs, pu) != CKR_OK ||
				     f->C_Verify(s, (CK_BYTE_PTR)data.data(), data.size(), out, n) != CKR_OK))
					bad++;
			}
			f->C_CloseSession(s);
		});
	for (auto &t : ts)
		t.join();
	EXPECT_EQ(bad.load(), 0);
}

// GOST 28147-89 keys travel under AES key wrap and come back 32 bytes long; GOST
// R 34.10-2001 private keys have no PKCS#8 form here.
TEST_F(Gost, Wrapping)
{
	Tmpl kek;
	kek.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, CKK_AES).s(CKA_VALUE, std::string(32, 'w'))
		.b(CKA_WRAP, true).b(CKA_UNWRAP, true);
	CK_OBJECT_HANDLE wk = create(kek);
	Tmpl gk;
	gk.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, CKK_GOST28147).s(CKA_VALUE, std::string(32, '\x0b'))
		.b(CKA_EXTRACTABLE, true).b(CKA_SIGN, true);
	CK_OBJECT_HANDLE g = create(gk);
	CK_MECHANISM kw = {CKM_AES_KEY_WRAP, nullptr, 0};
	std::string blob(64, '\0');
	CK_ULONG n = blob.size();
	ASSERT_EQ(f->C_WrapKey(h, &kw, wk, g, (CK_BYTE_PTR)blob.data(), &n), CKR_OK);
	ASSERT_EQ(n, 40u);
	Tmpl ut;
	ut.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, CKK_GOST28147).b(CKA_SIGN, true);
	CK_OBJECT_HANDLE u;
	ASSERT_EQ(f->C_UnwrapKey(h, &kw, wk, (CK_BYTE_PTR)blob.data(), n, ut.data(), ut.size(), &u), CKR_OK);
	CK_MECHANISM hm = {CKM_GOSTR3411_HMAC, nullptr, 0};
	EXPECT_EQ(hex(sign(hm, u, "Hi There")), "f0d40f70234b0ba31c5b0c6a4fb4c7b99ad5465e452c6903b8db9f83db963405");
	// 24 bytes wrapped are no GOST 28147-89 key.
	Tmpl k24;
	k24.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, CKK_GENERIC_SECRET).s(CKA_VALUE, std::string(24, 'x'))
		.b(CKA_EXTRACTABLE, true);
	CK_OBJECT_HANDLE g24 = create(k24);
	n = blob.size();
	ASSERT_EQ(f->C_WrapKey(h, &kw, wk, g24, (CK_BYTE_PTR)blob.data(), &n), CKR_OK);
	EXPECT_EQ(f->C_UnwrapKey(h, &kw, wk, (CK_BYTE_PTR)blob.data(), n, ut.data(), ut.size(), &u),
		  CKR_TEMPLATE_INCONSISTENT);
	Tmpl pubt, privt;
	pubt.s(CKA_GOSTR3410_PARAMS, oid_3410_a);
	privt.b(CKA_EXTRACTABLE, true);
	CK_OBJECT_HANDLE pu, pr;
	ASSERT_EQ(pair(pubt, privt, &pu, &pr), CKR_OK);
	CK_MECHANISM kwp = {CKM_AES_KEY_WRAP_KWP, nullptr, 0};
	n = blob.size();
	EXPECT_EQ(f->C_WrapKey(h, &kwp, wk, pr, (CK_BYTE_PTR)blob.data(), &n), CKR_KEY_NOT_WRAPPABLE);
}

} // namespace

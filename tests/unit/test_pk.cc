// Public-key mechanisms through PKCS#11: key-pair generation and its attributes,
// every RSA padding and ECDSA/EdDSA form, and their error codes. (OpenSSL checks
// the signatures in tests/integration/mechanisms.sh and the host tests.)
#include <fstream>
#include <sstream>

#include "command.h"
#include "p11_objects.h"

using namespace fhsm_test;

namespace {

const std::string oid_p256("\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07", 10);
const std::string oid_p384("\x06\x05\x2b\x81\x04\x00\x22", 7);
const std::string oid_p521("\x06\x05\x2b\x81\x04\x00\x23", 7);
const std::string oid_ed25519("\x06\x03\x2b\x65\x70", 5);

class Pk : public Objects {
protected:
	CK_RV pair(CK_MECHANISM_TYPE mt, Tmpl pub, Tmpl priv, CK_OBJECT_HANDLE *pu, CK_OBJECT_HANDLE *pr)
	{
		CK_MECHANISM m = {mt, nullptr, 0};
		return f->C_GenerateKeyPair(h, &m, pub.data(), pub.size(), priv.data(), priv.size(), pu, pr);
	}
	void rsa(CK_OBJECT_HANDLE *pu, CK_OBJECT_HANDLE *pr, CK_ULONG bits = 2048)
	{
		Tmpl pub, priv;
		pub.ul(CKA_MODULUS_BITS, bits);
		priv.s(CKA_LABEL, "rsa");
		ASSERT_EQ(pair(CKM_RSA_PKCS_KEY_PAIR_GEN, pub, priv, pu, pr), CKR_OK);
	}
};

TEST_F(Pk, RsaKeyPairAttributes)
{
	CK_OBJECT_HANDLE pu, pr;
	rsa(&pu, &pr);
	CK_ULONG bits;
	memcpy(&bits, get(pu, CKA_MODULUS_BITS).data(), sizeof(bits));
	EXPECT_EQ(bits, 2048u);
	EXPECT_EQ(get(pu, CKA_MODULUS).size(), 256u);
	EXPECT_EQ(get(pu, CKA_PUBLIC_EXPONENT), std::string("\x01\x00\x01", 3));
	EXPECT_EQ(get(pr, CKA_MODULUS), get(pu, CKA_MODULUS));
	EXPECT_TRUE(get_bool(pr, CKA_LOCAL));
	EXPECT_TRUE(get_bool(pr, CKA_SENSITIVE));
	EXPECT_TRUE(get_bool(pr, CKA_ALWAYS_SENSITIVE));
	EXPECT_TRUE(get_bool(pr, CKA_NEVER_EXTRACTABLE));
	EXPECT_TRUE(get_bool(pr, CKA_PRIVATE));
	EXPECT_EQ(get(pr, CKA_PRIVATE_EXPONENT), "<rv " + std::to_string(CKR_ATTRIBUTE_SENSITIVE) + ">");
	CK_MECHANISM_TYPE how;
	memcpy(&how, get(pr, CKA_KEY_GEN_MECHANISM).data(), sizeof(how));
	EXPECT_EQ(how, (CK_MECHANISM_TYPE)CKM_RSA_PKCS_KEY_PAIR_GEN);
	Tmpl no_bits, any;
	EXPECT_EQ(pair(CKM_RSA_PKCS_KEY_PAIR_GEN, no_bits, any, &pu, &pr), CKR_TEMPLATE_INCOMPLETE);
	Tmpl small;
	small.ul(CKA_MODULUS_BITS, 512);
	EXPECT_EQ(pair(CKM_RSA_PKCS_KEY_PAIR_GEN, small, any, &pu, &pr), CKR_KEY_SIZE_RANGE);
	Tmpl given_modulus;
	given_modulus.ul(CKA_MODULUS_BITS, 1024).s(CKA_MODULUS, "\x80");
	EXPECT_EQ(pair(CKM_RSA_PKCS_KEY_PAIR_GEN, given_modulus, any, &pu, &pr), CKR_ATTRIBUTE_READ_ONLY);
	Tmpl e3;
	e3.ul(CKA_MODULUS_BITS, 1024).s(CKA_PUBLIC_EXPONENT, "\x03");
	ASSERT_EQ(pair(CKM_RSA_PKCS_KEY_PAIR_GEN, e3, any, &pu, &pr), CKR_OK);
	EXPECT_EQ(get(pu, CKA_PUBLIC_EXPONENT), "\x03");
	CK_MECHANISM gen = {CKM_RSA_PKCS_KEY_PAIR_GEN, nullptr, 0};
	EXPECT_EQ(f->C_GenerateKeyPair(h, &gen, nullptr, 0, nullptr, 0, &pu, nullptr), CKR_ARGUMENTS_BAD);
}

TEST_F(Pk, RsaSignaturesEveryForm)
{
	CK_OBJECT_HANDLE pu, pr;
	rsa(&pu, &pr);
	const std::string msg(1000, 'm');
	for (CK_MECHANISM_TYPE mt : {CKM_SHA1_RSA_PKCS, CKM_SHA224_RSA_PKCS, CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS,
				     CKM_SHA512_RSA_PKCS, CKM_MD5_RSA_PKCS}) {
		CK_MECHANISM m = {mt, nullptr, 0};
		std::string sig = sign(m, pr, msg, mt == CKM_SHA256_RSA_PKCS);
		EXPECT_EQ(sig.size(), 256u);
		EXPECT_EQ(verify(m, pu, msg, sig), CKR_OK) << mt;
		EXPECT_EQ(sign(m, pr, msg), sig) << "PKCS #1 v1.5 is deterministic";
		sig[10] ^= 1;
		EXPECT_EQ(verify(m, pu, msg, sig), CKR_SIGNATURE_INVALID) << mt;
	}
	// PSS with an MGF1 hash different from the message hash (SoftHSM cannot).
	CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA384, CKG_MGF1_SHA1, 20};
	CK_MECHANISM m = {CKM_SHA384_RSA_PKCS_PSS, &pss, sizeof(pss)};
	std::string sig = sign(m, pr, msg, true);
	EXPECT_EQ(verify(m, pu, msg, sig), CKR_OK);
	EXPECT_EQ(verify(m, pu, msg + "x", sig), CKR_SIGNATURE_INVALID);
	EXPECT_EQ(verify(m, pu, msg, sig.substr(1)), CKR_SIGNATURE_LEN_RANGE);
	CK_RSA_PKCS_PSS_PARAMS wrong = {CKM_SHA256, CKG_MGF1_SHA256, 32};
	CK_MECHANISM mw = {CKM_SHA384_RSA_PKCS_PSS, &wrong, sizeof(wrong)};
	EXPECT_EQ(f->C_SignInit(h, &mw, pr), CKR_MECHANISM_PARAM_INVALID);
	CK_MECHANISM no_params = {CKM_RSA_PKCS_PSS, nullptr, 0};
	EXPECT_EQ(f->C_SignInit(h, &no_params, pr), CKR_MECHANISM_PARAM_INVALID);
	// CKM_RSA_PKCS_PSS signs a digest of the named hash's length.
	CK_RSA_PKCS_PSS_PARAMS p256 = {CKM_SHA256, CKG_MGF1_SHA256, 32};
	CK_MECHANISM raw_pss = {CKM_RSA_PKCS_PSS, &p256, sizeof(p256)};
	std::string digest(32, 'd');
	EXPECT_EQ(verify(raw_pss, pu, digest, sign(raw_pss, pr, digest)), CKR_OK);
	ASSERT_EQ(f->C_SignInit(h, &raw_pss, pr), CKR_OK);
	CK_BYTE out[512];
	CK_ULONG n = sizeof(out);
	EXPECT_EQ(f->C_Sign(h, (CK_BYTE_PTR)digest.data(), 20, out, &n), CKR_DATA_LEN_RANGE);
	// X.509 (raw) and PKCS #1 v1.5 over caller-made data.
	CK_MECHANISM x509 = {CKM_RSA_X_509, nullptr, 0};
	std::string block(256, '\0');
	block[255] = 7;
	EXPECT_EQ(verify(x509, pu, block, sign(x509, pr, block)), CKR_OK);
	CK_MECHANISM pkcs = {CKM_RSA_PKCS, nullptr, 0};
	EXPECT_EQ(verify(pkcs, pu, "short data", sign(pkcs, pr, "short data")), CKR_OK);
	ASSERT_EQ(f->C_SignInit(h, &pkcs, pr), CKR_OK);
	n = sizeof(out);
	std::string too_long(250, 'x');
	EXPECT_EQ(f->C_Sign(h, (CK_BYTE_PTR)too_long.data(), too_long.size(), out, &n), CKR_DATA_LEN_RANGE);
	// Keys of the wrong kind.
	CK_MECHANISM s256 = {CKM_SHA256_RSA_PKCS, nullptr, 0};
	EXPECT_EQ(f->C_SignInit(h, &s256, pu), CKR_KEY_FUNCTION_NOT_PERMITTED) << "public keys have no CKA_SIGN";
	EXPECT_EQ(f->C_VerifyInit(h, &s256, pr), CKR_KEY_FUNCTION_NOT_PERMITTED);
	CK_OBJECT_HANDLE aes = create(aes_key("a", false));
	EXPECT_EQ(f->C_SignInit(h, &s256, aes), CKR_KEY_TYPE_INCONSISTENT);
}

TEST_F(Pk, RsaEncryption)
{
	CK_OBJECT_HANDLE pu, pr;
	rsa(&pu, &pr);
	auto round = [&](CK_MECHANISM m, const std::string &pt) {
		CK_BYTE ct[256], back[256];
		CK_ULONG n = sizeof(ct), bn = sizeof(back);
		EXPECT_EQ(f->C_EncryptInit(h, &m, pu), CKR_OK);
		EXPECT_EQ(f->C_Encrypt(h, (CK_BYTE_PTR)pt.data(), pt.size(), ct, &n), CKR_OK);
		EXPECT_EQ(n, 256u);
		EXPECT_EQ(f->C_DecryptInit(h, &m, pr), CKR_OK);
		EXPECT_EQ(f->C_Decrypt(h, ct, n, back, &bn), CKR_OK);
		EXPECT_EQ(std::string((char *)back, bn), pt);
		ct[100] ^= 1;
		bn = sizeof(back);
		EXPECT_EQ(f->C_DecryptInit(h, &m, pr), CKR_OK);
		return f->C_Decrypt(h, ct, n, back, &bn);
	};
	CK_MECHANISM pkcs = {CKM_RSA_PKCS, nullptr, 0};
	EXPECT_EQ(round(pkcs, "pkcs1 v1.5 secret"), CKR_ENCRYPTED_DATA_INVALID);
	for (CK_MECHANISM_TYPE hash : {CKM_SHA_1, CKM_SHA224, CKM_SHA256, CKM_SHA384, CKM_SHA512}) {
		CK_RSA_PKCS_OAEP_PARAMS p = {hash, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, (void *)"label", 5};
		CK_MECHANISM oaep = {CKM_RSA_PKCS_OAEP, &p, sizeof(p)};
		EXPECT_EQ(round(oaep, "oaep secret"), CKR_ENCRYPTED_DATA_INVALID) << hash;
	}
	CK_RSA_PKCS_OAEP_PARAMS bad = {CKM_MD5, CKG_MGF1_SHA1, 0, nullptr, 0};
	CK_MECHANISM oaep_bad = {CKM_RSA_PKCS_OAEP, &bad, sizeof(bad)};
	EXPECT_EQ(f->C_EncryptInit(h, &oaep_bad, pu), CKR_MECHANISM_PARAM_INVALID);
	// Too long for the modulus.
	std::string big(250, 'b');
	CK_BYTE ct[256];
	CK_ULONG n = sizeof(ct);
	ASSERT_EQ(f->C_EncryptInit(h, &pkcs, pu), CKR_OK);
	EXPECT_EQ(f->C_Encrypt(h, (CK_BYTE_PTR)big.data(), big.size(), ct, &n), CKR_DATA_LEN_RANGE);
	EXPECT_EQ(f->C_EncryptInit(h, &pkcs, pr), CKR_KEY_FUNCTION_NOT_PERMITTED) << "private keys have no CKA_ENCRYPT";
}

TEST_F(Pk, EcdsaOnEveryCurve)
{
	for (const std::string &oid : {oid_p256, oid_p384, oid_p521}) {
		CK_OBJECT_HANDLE pu, pr;
		Tmpl pub, priv;
		pub.s(CKA_EC_PARAMS, oid);
		ASSERT_EQ(pair(CKM_EC_KEY_PAIR_GEN, pub, priv, &pu, &pr), CKR_OK);
		EXPECT_EQ(get(pr, CKA_EC_PARAMS), oid);
		std::string point = get(pu, CKA_EC_POINT);
		EXPECT_EQ((unsigned char)point[0], 0x04) << "a DER OCTET STRING";
		size_t scalar = oid == oid_p256 ? 32 : oid == oid_p384 ? 48 : 66;
		EXPECT_EQ(point.size(), 1 + (scalar * 2 + 1 > 127 ? 2 : 1) + scalar * 2 + 1);
		const std::string msg = "ecdsa message";
		for (CK_MECHANISM_TYPE mt : {CKM_ECDSA_SHA1, CKM_ECDSA_SHA224, CKM_ECDSA_SHA256, CKM_ECDSA_SHA384, CKM_ECDSA_SHA512}) {
			CK_MECHANISM m = {mt, nullptr, 0};
			std::string sig = sign(m, pr, msg, mt == CKM_ECDSA_SHA384);
			EXPECT_EQ(sig.size(), 2 * scalar);
			EXPECT_EQ(verify(m, pu, msg, sig), CKR_OK) << mt;
			sig[3] ^= 1;
			EXPECT_EQ(verify(m, pu, msg, sig), CKR_SIGNATURE_INVALID) << mt;
		}
		CK_MECHANISM raw = {CKM_ECDSA, nullptr, 0};
		std::string digest(48, 'h');
		EXPECT_EQ(verify(raw, pu, digest, sign(raw, pr, digest)), CKR_OK);
	}
	Tmpl unknown, any;
	unknown.s(CKA_EC_PARAMS, std::string("\x06\x03\x2b\x65\x71", 5)); // Ed448: not (yet) ours
	CK_OBJECT_HANDLE pu, pr;
	EXPECT_EQ(pair(CKM_EC_KEY_PAIR_GEN, unknown, any, &pu, &pr), CKR_CURVE_NOT_SUPPORTED);
	Tmpl by_name;
	by_name.s(CKA_EC_PARAMS, std::string("\x13\x0aprime256v1", 12));
	EXPECT_EQ(pair(CKM_EC_KEY_PAIR_GEN, by_name, any, &pu, &pr), CKR_OK) << "a printable curve name";
	Tmpl edwards_for_ec;
	edwards_for_ec.s(CKA_EC_PARAMS, oid_ed25519);
	EXPECT_EQ(pair(CKM_EC_KEY_PAIR_GEN, edwards_for_ec, any, &pu, &pr), CKR_TEMPLATE_INCONSISTENT);
}

TEST_F(Pk, Ed25519)
{
	CK_OBJECT_HANDLE pu, pr;
	Tmpl pub, priv;
	pub.s(CKA_EC_PARAMS, oid_ed25519);
	ASSERT_EQ(pair(CKM_EC_EDWARDS_KEY_PAIR_GEN, pub, priv, &pu, &pr), CKR_OK);
	EXPECT_EQ(get(pu, CKA_EC_POINT).size(), 34u);
	CK_MECHANISM m = {CKM_EDDSA, nullptr, 0};
	std::string msg(300, 'e');
	std::string sig = sign(m, pr, msg, true);
	EXPECT_EQ(sig.size(), 64u);
	EXPECT_EQ(sign(m, pr, msg), sig) << "Ed25519 is deterministic";
	EXPECT_EQ(verify(m, pu, msg, sig), CKR_OK);
	EXPECT_EQ(verify(m, pu, msg + "!", sig), CKR_SIGNATURE_INVALID);
	CK_BYTE prehash[] = {CK_TRUE, 0, 0, 0, 0, 0, 0, 0};
	CK_MECHANISM ph = {CKM_EDDSA, prehash, sizeof(prehash)};
	EXPECT_EQ(f->C_SignInit(h, &ph, pr), CKR_MECHANISM_PARAM_INVALID) << "Ed25519ph is not offered";
}

// DSA domain parameters and keys made on the token; signatures checked by OpenSSL
// with a SubjectPublicKeyInfo assembled from the token's attributes.
static std::string der_len(size_t n)
{
	if (n < 128)
		return std::string(1, (char)n);
	if (n < 256)
		return std::string("\x81") + (char)n;
	return std::string("\x82") + (char)(n >> 8) + (char)(n & 0xff);
}
static std::string der(char tag, const std::string &body)
{
	return std::string(1, tag) + der_len(body.size()) + body;
}
static std::string der_int(std::string v)
{
	if (!v.empty() && (v[0] & 0x80))
		v.insert(0, 1, '\0');
	return der(0x02, v);
}

TEST_F(Pk, DsaParametersKeysAndSignatures)
{
	CK_MECHANISM pg = {CKM_DSA_PARAMETER_GEN, nullptr, 0};
	Tmpl t;
	t.ul(CKA_PRIME_BITS, 2048).ul(CKA_SUB_PRIME_BITS, 256);
	CK_OBJECT_HANDLE params;
	ASSERT_EQ(f->C_GenerateKey(h, &pg, t.data(), t.size(), &params), CKR_OK);
	std::string p = get(params, CKA_PRIME), q = get(params, CKA_SUBPRIME), g = get(params, CKA_BASE);
	EXPECT_EQ(p.size(), 256u);
	EXPECT_EQ(q.size(), 32u);
	Tmpl bad;
	bad.ul(CKA_PRIME_BITS, 1000);
	EXPECT_EQ(f->C_GenerateKey(h, &pg, bad.data(), bad.size(), &params), CKR_ATTRIBUTE_VALUE_INVALID);

	Tmpl pub, priv;
	pub.s(CKA_PRIME, p).s(CKA_SUBPRIME, q).s(CKA_BASE, g);
	CK_OBJECT_HANDLE pu, pr;
	ASSERT_EQ(pair(CKM_DSA_KEY_PAIR_GEN, pub, priv, &pu, &pr), CKR_OK);
	CK_MECHANISM m = {CKM_DSA_SHA256, nullptr, 0};
	const std::string msg = "signed with DSA on the token";
	std::string sig = sign(m, pr, msg, true);
	ASSERT_EQ(sig.size(), 64u);
	EXPECT_EQ(verify(m, pu, msg, sig), CKR_OK);
	EXPECT_EQ(verify(m, pu, msg + ".", sig), CKR_SIGNATURE_INVALID);

	std::string y = get(pu, CKA_VALUE);
	std::string spki = der(0x30, der(0x30, der(0x06, std::string("\x2a\x86\x48\xce\x38\x04\x01", 7)) +
						 der(0x30, der_int(p) + der_int(q) + der_int(g))) +
					der(0x03, std::string(1, '\0') + der_int(y)));
	std::string sigder = der(0x30, der_int(sig.substr(0, 32)) + der_int(sig.substr(32)));
	std::ofstream(dir + "/dsa.der", std::ios::binary) << spki;
	std::ofstream(dir + "/sig.der", std::ios::binary) << sigder;
	std::ofstream(dir + "/msg", std::ios::binary) << msg;
	std::string cmd = "openssl dgst -sha256 -keyform DER -verify " + dir + "/dsa.der -signature " + dir +
			  "/sig.der " + dir + "/msg > /dev/null 2>&1";
	EXPECT_EQ(system(cmd.c_str()), 0) << "openssl rejects the token's DSA signature";
}

TEST_F(Pk, DhParametersAreTheStandardGroup)
{
	CK_MECHANISM pg = {CKM_DH_PKCS_PARAMETER_GEN, nullptr, 0};
	Tmpl t;
	t.ul(CKA_PRIME_BITS, 2048);
	CK_OBJECT_HANDLE params;
	ASSERT_EQ(f->C_GenerateKey(h, &pg, t.data(), t.size(), &params), CKR_OK);
	std::string p = get(params, CKA_PRIME);
	// RFC 3526 group 14 starts with 64 one bits and then C90FDAA2 2168C234.
	EXPECT_EQ(p.substr(0, 12), std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xc9\x0f\xda\xa2", 12));
	EXPECT_EQ(get(params, CKA_BASE), "\x02");
	Tmpl pub, priv;
	pub.s(CKA_PRIME, p).s(CKA_BASE, "\x02");
	priv.b(CKA_DERIVE, true);
	CK_OBJECT_HANDLE pu, pr;
	ASSERT_EQ(pair(CKM_DH_PKCS_KEY_PAIR_GEN, pub, priv, &pu, &pr), CKR_OK);
	EXPECT_EQ(get(pr, CKA_PRIME), p);
	EXPECT_GT(get(pu, CKA_VALUE).size(), 200u);

	// OpenSSL as the other party, in the same group (its "modp_2048").
	auto run = [&](const std::string &cmd) {
		std::string out;
		run_command(cmd + " 2>/dev/null", &out);
		return out;
	};
	run("openssl genpkey -algorithm DH -pkeyopt group:modp_2048 -out " + dir + "/peer.pem");
	std::string text = run("openssl pkey -in " + dir + "/peer.pem -text -noout");
	size_t at = text.find("public-key:");
	ASSERT_NE(at, std::string::npos) << text;
	std::string peer_hex, line;
	std::istringstream lines(text.substr(at + 11));
	std::getline(lines, line); /* the rest of the "public-key:" line */
	while (std::getline(lines, line)) {
		line.erase(0, line.find_first_not_of(" \t"));
		if (line.empty() || line.find_first_not_of("0123456789abcdef:") != std::string::npos)
			break; /* the next field */
		for (char c : line)
			if (c != ':')
				peer_hex += c;
	}
	std::string peer;
	for (size_t i = 0; i + 1 < peer_hex.size(); i += 2)
		peer += (char)std::stoi(peer_hex.substr(i, 2), nullptr, 16);
	while (peer.size() > 1 && peer[0] == 0)
		peer.erase(0, 1);
	CK_MECHANISM dm = {CKM_DH_PKCS_DERIVE, (void *)peer.data(), peer.size()};
	Tmpl t2;
	t2.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, CKK_GENERIC_SECRET).b(CKA_SENSITIVE, false).b(CKA_EXTRACTABLE, true);
	CK_OBJECT_HANDLE secret;
	ASSERT_EQ(f->C_DeriveKey(h, &dm, pr, t2.data(), t2.size(), &secret), CKR_OK);
	std::string ours = get(secret, CKA_VALUE);
	// The token's public value as a PKCS #3 SubjectPublicKeyInfo for OpenSSL.
	std::string spki = der(0x30, der(0x30, der(0x06, std::string("\x2a\x86\x48\x86\xf7\x0d\x01\x03\x01", 9)) +
						 der(0x30, der_int(p) + der_int("\x02"))) +
					der(0x03, std::string(1, '\0') + der_int(get(pu, CKA_VALUE))));
	std::ofstream(dir + "/tok.der", std::ios::binary) << spki;
	std::string theirs = run("openssl pkeyutl -derive -inkey " + dir + "/peer.pem -peerkey " + dir +
				 "/tok.der -peerform DER");
	EXPECT_EQ(ours.size(), 256u);
	EXPECT_EQ(ours, theirs) << "the shared secret differs from OpenSSL's";
	std::string one("\x01");
	CK_MECHANISM bad = {CKM_DH_PKCS_DERIVE, (void *)one.data(), 1};
	EXPECT_EQ(f->C_DeriveKey(h, &bad, pr, t2.data(), t2.size(), &secret), CKR_MECHANISM_PARAM_INVALID);
}

} // namespace

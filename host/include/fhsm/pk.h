/* The engine API for public-key primitives: RSA, EC over the NIST curves, the 25519
 * family, DSA and DH, GOST R 34.10-2001. Big integers cross the API as unsigned big-endian byte strings; no PKCS#11
 * types. Every function validates its arguments and returns FHSM_ERR_ARGS rather than
 * letting a bad one reach the provider. Verification failures are FHSM_ERR_AUTH. */
#ifndef FHSM_PK_H
#define FHSM_PK_H

#include "fhsm/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

struct fhsm_bytes {
	uint8_t *p;
	size_t len;
};
/* Wipes, frees and zeroes the struct; NULL and empty are fine. */
void fhsm_bytes_free(struct fhsm_bytes *b);

/* ---- RSA ---- */
#define FHSM_RSA_MIN_BITS 1024
#define FHSM_RSA_MAX_BITS 8192

/* Parsed key with its CRT precomputations; immutable after creation, so one key may
 * serve several threads at once. Callers cache it per object. */
typedef struct fhsm_rsa_key fhsm_rsa_key;
/* All private parts empty for a public key. */
struct fhsm_rsa_parts {
	struct fhsm_bytes n, e, d, p, q, dp, dq, qinv;
};

/* bits: any value in FHSM_RSA_MIN_BITS..FHSM_RSA_MAX_BITS (the modulus has exactly that
 * many bits; our own generator, not rsa_make_key, which only makes multiples of 16).
 * e: odd, at least 3, at most 8 bytes; NULL/0 means 65537. */
fhsm_err fhsm_rsa_generate(unsigned bits, const uint8_t *e, size_t e_len, fhsm_rsa_key **out);
/* Public if d is empty. A private key needs n, e, d; p and q are recovered from them
 * when absent (SP 800-56B C.2), and dp, dq, qinv are always recomputed from d, p, q,
 * so the private operation always runs with CRT (and LibTomCrypt's blinding). */
fhsm_err fhsm_rsa_from_parts(const struct fhsm_rsa_parts *parts, fhsm_rsa_key **out);
/* Fills every part the key has (all eight for a private key); caller frees each. */
fhsm_err fhsm_rsa_to_parts(const fhsm_rsa_key *k, struct fhsm_rsa_parts *out);
void fhsm_rsa_free(fhsm_rsa_key *k);
size_t fhsm_rsa_modulus_bytes(const fhsm_rsa_key *k);
size_t fhsm_rsa_modulus_bits(const fhsm_rsa_key *k);
bool fhsm_rsa_is_private(const fhsm_rsa_key *k);

typedef enum { FHSM_RSA_RAW, FHSM_RSA_PKCS1, FHSM_RSA_PSS, FHSM_RSA_OAEP } fhsm_rsa_pad;
struct fhsm_rsa_params {
	fhsm_rsa_pad pad;
	/* fhsm_hash_alg. PKCS1 sign: the digest's hash (DigestInfo is prepended), or -1 when
	 * the input is already a DigestInfo or raw data to pad as-is. PSS: the hash the input
	 * digest was made with. OAEP: the label hash. */
	int hash;
	int mgf_hash; /* PSS/OAEP: MGF1's hash, independent of hash */
	size_t salt_len; /* PSS */
	const uint8_t *label; /* OAEP */
	size_t label_len;
};

/* Sign: PKCS1/PSS take the message digest (or DigestInfo/raw for PKCS1 with hash=-1);
 * RAW is in^d mod n of an input of at most modulus bytes whose value is below n.
 * *sig_len in: capacity, out: modulus bytes. */
fhsm_err fhsm_rsa_sign(const fhsm_rsa_key *k, const struct fhsm_rsa_params *p, const uint8_t *in,
		       size_t in_len, uint8_t *sig, size_t *sig_len);
/* FHSM_OK when valid, FHSM_ERR_AUTH when not. RAW: sig^e mod n compared with in
 * (left-padded with zeros to the modulus size). */
fhsm_err fhsm_rsa_verify(const fhsm_rsa_key *k, const struct fhsm_rsa_params *p, const uint8_t *in,
			 size_t in_len, const uint8_t *sig, size_t sig_len);
/* PKCS1 (v1.5 type 2), OAEP, RAW (X.509: in^e mod n, modulus-sized output).
 * *out_len in: capacity, out: length. Decrypt padding failure: FHSM_ERR_AUTH, with the
 * padding checked in constant time. */
fhsm_err fhsm_rsa_encrypt(const fhsm_rsa_key *k, const struct fhsm_rsa_params *p, const uint8_t *in,
			  size_t in_len, uint8_t *out, size_t *out_len);
fhsm_err fhsm_rsa_decrypt(const fhsm_rsa_key *k, const struct fhsm_rsa_params *p, const uint8_t *in,
			  size_t in_len, uint8_t *out, size_t *out_len);

/* ---- EC over NIST curves ---- */
typedef enum { FHSM_EC_P256, FHSM_EC_P384, FHSM_EC_P521 } fhsm_ec_curve;
#define FHSM_EC_MAX_SCALAR 66
#define FHSM_EC_MAX_POINT (1 + 2 * FHSM_EC_MAX_SCALAR)
/* 32, 48, 66; 0 for an unknown curve. */
size_t fhsm_ec_scalar_bytes(fhsm_ec_curve c);
/* Points are uncompressed SEC1: 0x04 || X || Y. Private keys are big-endian scalars of
 * fhsm_ec_scalar_bytes (shorter inputs are accepted as numbers), in [1, order-1].
 * *point_len in: capacity, out: 1 + 2 * scalar bytes. */
fhsm_err fhsm_ec_generate(fhsm_ec_curve c, uint8_t *priv, uint8_t *point, size_t *point_len);
fhsm_err fhsm_ec_public_from_private(fhsm_ec_curve c, const uint8_t *priv, size_t priv_len,
				     uint8_t *point, size_t *point_len);
/* FHSM_OK when the point is on the curve, FHSM_ERR_ARGS when not. */
fhsm_err fhsm_ec_check_point(fhsm_ec_curve c, const uint8_t *point, size_t point_len);
/* ECDSA: sig is r || s, each fhsm_ec_scalar_bytes. Any hash length (truncated per
 * FIPS 186-4). */
fhsm_err fhsm_ecdsa_sign(fhsm_ec_curve c, const uint8_t *priv, size_t priv_len, const uint8_t *hash,
			 size_t hash_len, uint8_t *sig, size_t *sig_len);
fhsm_err fhsm_ecdsa_verify(fhsm_ec_curve c, const uint8_t *point, size_t point_len, const uint8_t *hash,
			   size_t hash_len, const uint8_t *sig, size_t sig_len);
/* ECDH: the shared X coordinate (fhsm_ec_scalar_bytes). A peer point not on the curve
 * is FHSM_ERR_ARGS. */
fhsm_err fhsm_ecdh(fhsm_ec_curve c, const uint8_t *priv, size_t priv_len, const uint8_t *peer_point,
		   size_t peer_len, uint8_t *out, size_t *out_len);

/* ---- Curve25519 family (libsodium; LibTomCrypt 1.18 has none) ---- */
fhsm_err fhsm_ed25519_generate(uint8_t priv[32], uint8_t pub[32]); /* priv = RFC 8032 seed */
fhsm_err fhsm_ed25519_public_from_private(const uint8_t priv[32], uint8_t pub[32]);
fhsm_err fhsm_ed25519_sign(const uint8_t priv[32], const uint8_t *msg, size_t len, uint8_t sig[64]);
fhsm_err fhsm_ed25519_verify(const uint8_t pub[32], const uint8_t *msg, size_t len, const uint8_t sig[64]);
fhsm_err fhsm_x25519_generate(uint8_t priv[32], uint8_t pub[32]);
fhsm_err fhsm_x25519_public_from_private(const uint8_t priv[32], uint8_t pub[32]);
/* An all-zero result (low-order peer point) is FHSM_ERR_ARGS. */
fhsm_err fhsm_x25519(const uint8_t priv[32], const uint8_t peer[32], uint8_t shared[32]);

/* ---- DSA (FIPS 186-4) and finite-field Diffie-Hellman (LibTomCrypt dsa_*, dh_*) ---- */
struct fhsm_ff_params {
	struct fhsm_bytes p, q, g; /* q: DSA only */
};
/* DSA domain parameters of p_bits/q_bits: (1024,160), (2048,224), (2048,256), (3072,256). */
fhsm_err fhsm_dsa_generate_params(unsigned p_bits, unsigned q_bits, struct fhsm_ff_params *out);
/* x (private) and y = g^x mod p; caller frees both. */
fhsm_err fhsm_dsa_generate_key(const struct fhsm_ff_params *d, struct fhsm_bytes *x, struct fhsm_bytes *y);
/* sig: r || s, each |q| bytes. The hash is truncated to |q| (FIPS 186-4). */
fhsm_err fhsm_dsa_sign(const struct fhsm_ff_params *d, const uint8_t *x, size_t x_len, const uint8_t *hash,
		       size_t hash_len, uint8_t *sig, size_t *sig_len);
fhsm_err fhsm_dsa_verify(const struct fhsm_ff_params *d, const uint8_t *y, size_t y_len, const uint8_t *hash,
			 size_t hash_len, const uint8_t *sig, size_t sig_len);
/* The RFC 3526 / RFC 2409 MODP group of exactly p_bits (1024, 1536, 2048, 3072, 4096, 6144,
 * 8192): fixed, well-studied safe primes, rather than fresh ones nobody has looked at. */
fhsm_err fhsm_dh_group(unsigned p_bits, struct fhsm_ff_params *out);
fhsm_err fhsm_dh_generate_key(const struct fhsm_ff_params *d, struct fhsm_bytes *x, struct fhsm_bytes *y);
/* The shared secret, |p| bytes; a peer value outside (1, p-1) is FHSM_ERR_ARGS. */
fhsm_err fhsm_dh_derive(const struct fhsm_ff_params *d, const uint8_t *x, size_t x_len, const uint8_t *peer,
			size_t peer_len, uint8_t *out, size_t *out_len);
void fhsm_ff_params_free(struct fhsm_ff_params *d);

/* ---- GOST R 34.10-2001 (libgcrypt: LibTomCrypt has no GOST) ----
 * The byte orders are those of PKCS#11 and RFC 4491 (and of OpenSSL's GOST engine),
 * not this file's big-endian rule: the private key is 32 bytes little-endian, the
 * public key 64 bytes, X then Y, each little-endian; the 32-byte hash is read as a
 * little-endian number; the signature is s then r, each 32 bytes big-endian. */
typedef enum {
	FHSM_GOST_TEST,       /* id-GostR3410-2001-TestParamSet (RFC 5832's example) */
	FHSM_GOST_CP_A,       /* id-GostR3410-2001-CryptoPro-A-ParamSet */
	FHSM_GOST_CP_B,
	FHSM_GOST_CP_C,
	FHSM_GOST_CP_XCHA,    /* ...-CryptoPro-XchA-ParamSet (the curve of A) */
	FHSM_GOST_CP_XCHB,    /* ...-CryptoPro-XchB-ParamSet (the curve of C) */
	FHSM_GOST_COUNT
} fhsm_gost_paramset;
fhsm_err fhsm_gost_generate(fhsm_gost_paramset ps, uint8_t priv[32], uint8_t pub[64]);
/* FHSM_ERR_ARGS for a private key outside [1, q-1]. */
fhsm_err fhsm_gost_sign(fhsm_gost_paramset ps, const uint8_t priv[32], const uint8_t hash[32], uint8_t sig[64]);
/* FHSM_ERR_AUTH when the signature does not verify (or the point is not on the curve). */
fhsm_err fhsm_gost_verify(fhsm_gost_paramset ps, const uint8_t pub[64], const uint8_t hash[32],
			  const uint8_t sig[64]);

#ifdef __cplusplus
}
#endif
#endif

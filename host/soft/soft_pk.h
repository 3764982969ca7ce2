/* Shared by the soft provider's public-key files: the PRNG LibTomCrypt draws from and
 * conversions between LibTomCrypt big numbers and fhsm_bytes. */
#ifndef FHSM_SOFT_PK_H
#define FHSM_SOFT_PK_H

#include "soft.h"
#include "fhsm/pk.h"

/* soft_init() plus a LibTomCrypt PRNG that reads fhsm_random (the kernel's getrandom):
 * returns its index. Thread-safe. */
int soft_pk_init(void);
/* A prng_state to pass along with that index (the PRNG keeps no state). */
extern prng_state soft_pk_prng_state;

/* Overwrites the limbs of a big number (GMP's mpz_clear does not). NULL is fine. */
void soft_mp_wipe(void *a);
/* Wipes then frees; NULL is fine. */
void soft_mp_free(void *a);
/* Unsigned big-endian minimal encoding (zero is one 0x00 byte). */
fhsm_err soft_mp_to_bytes(void *a, struct fhsm_bytes *out);
/* Exactly len bytes, left-padded with zeros; FHSM_ERR_ARGS when it does not fit. */
fhsm_err soft_mp_to_fixed(void *a, uint8_t *out, size_t len);

/* RSA's private operation by CRT: out (bytes long) = in^d mod N. Blinded with a factor
 * from fhsm_random and checked (m^e == the blinded input) before it is unblinded and
 * released, so that a faulty half cannot leak a factor through a wrong result. The
 * two half-size exponentiations are `halves`' (in place: a = a^dP mod p and
 * b = b^dQ mod q): constant-time GMP in the soft provider, the modexp engines in
 * host/fabric. FHSM_ERR_PROVIDER when the check fails; halves' own errors as is. */
typedef fhsm_err (*soft_rsa_halves_fn)(const rsa_key *k, void *a, void *b, void *arg);
fhsm_err soft_rsa_crt(const rsa_key *k, size_t bytes, const uint8_t *in, uint8_t *out, soft_rsa_halves_fn halves,
		      void *arg);

/* The soft provider's halves (soft_rsa_halves.c): OpenSSL's constant-time
 * exponentiation of both halves at once, on the key's factors converted and their
 * Montgomery constants computed once, by soft_rsa_halves_new. _run is a
 * soft_rsa_halves_fn whose arg is what _new made. */
struct soft_rsa_halves;
fhsm_err soft_rsa_halves_new(const rsa_key *k, struct soft_rsa_halves **out);
void soft_rsa_halves_free(struct soft_rsa_halves *h);
fhsm_err soft_rsa_halves_run(const rsa_key *k, void *a, void *b, void *arg);

#endif

/* Ed25519 and X25519 on libsodium (LibTomCrypt 1.18 has neither). */
#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include "fhsm/pk.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool ready;

static void setup(void)
{
	ready = sodium_init() >= 0;
}

static bool init(void)
{
	pthread_once(&once, setup);
	return ready;
}

fhsm_err fhsm_ed25519_public_from_private(const uint8_t priv[32], uint8_t pub[32])
{
	if (!priv || !pub)
		return FHSM_ERR_ARGS;
	if (!init())
		return FHSM_ERR_PROVIDER;
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	int rc = crypto_sign_seed_keypair(pub, sk, priv);
	fhsm_wipe(sk, sizeof sk);
	return rc == 0 ? FHSM_OK : FHSM_ERR_PROVIDER;
}

fhsm_err fhsm_ed25519_generate(uint8_t priv[32], uint8_t pub[32])
{
	if (!priv || !pub)
		return FHSM_ERR_ARGS;
	fhsm_err err = fhsm_random(priv, 32);
	if (!err)
		err = fhsm_ed25519_public_from_private(priv, pub);
	if (err)
		fhsm_wipe(priv, 32);
	return err;
}

fhsm_err fhsm_ed25519_sign(const uint8_t priv[32], const uint8_t *msg, size_t len, uint8_t sig[64])
{
	if (!priv || (!msg && len) || !sig)
		return FHSM_ERR_ARGS;
	if (!init())
		return FHSM_ERR_PROVIDER;
	static const uint8_t empty[1];
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	int rc = crypto_sign_seed_keypair(pk, sk, priv);
	if (rc == 0)
		rc = crypto_sign_detached(sig, NULL, msg ? msg : empty, len, sk);
	fhsm_wipe(sk, sizeof sk);
	return rc == 0 ? FHSM_OK : FHSM_ERR_PROVIDER;
}

fhsm_err fhsm_ed25519_verify(const uint8_t pub[32], const uint8_t *msg, size_t len, const uint8_t sig[64])
{
	if (!pub || (!msg && len) || !sig)
		return FHSM_ERR_ARGS;
	if (!init())
		return FHSM_ERR_PROVIDER;
	static const uint8_t empty[1];
	/* libsodium rejects non-canonical S, small-order and non-canonical public keys. */
	return crypto_sign_verify_detached(sig, msg ? msg : empty, len, pub) == 0 ? FHSM_OK : FHSM_ERR_AUTH;
}

fhsm_err fhsm_x25519_public_from_private(const uint8_t priv[32], uint8_t pub[32])
{
	if (!priv || !pub)
		return FHSM_ERR_ARGS;
	if (!init())
		return FHSM_ERR_PROVIDER;
	return crypto_scalarmult_base(pub, priv) == 0 ? FHSM_OK : FHSM_ERR_PROVIDER;
}

fhsm_err fhsm_x25519_generate(uint8_t priv[32], uint8_t pub[32])
{
	if (!priv || !pub)
		return FHSM_ERR_ARGS;
	fhsm_err err = fhsm_random(priv, 32);
	if (!err)
		err = fhsm_x25519_public_from_private(priv, pub);
	if (err)
		fhsm_wipe(priv, 32);
	return err;
}

fhsm_err fhsm_x25519(const uint8_t priv[32], const uint8_t peer[32], uint8_t shared[32])
{
	if (!priv || !peer || !shared)
		return FHSM_ERR_ARGS;
	if (!init())
		return FHSM_ERR_PROVIDER;
	/* crypto_scalarmult fails exactly when the result is all zeros (a low-order peer). */
	if (crypto_scalarmult(shared, priv, peer) != 0) {
		fhsm_wipe(shared, 32);
		return FHSM_ERR_ARGS;
	}
	return FHSM_OK;
}

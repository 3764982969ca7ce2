/* Error codes of the host driver: one list, expanded into the enum and fhsm_strerror(). */
#ifndef FHSM_ERROR_H
#define FHSM_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#define FHSM_ERROR_LIST(X) \
	X(FHSM_OK, "success") \
	X(FHSM_ERR_ARGS, "invalid argument") \
	X(FHSM_ERR_NOMEM, "out of memory") \
	X(FHSM_ERR_UNSUPPORTED, "not supported") \
	X(FHSM_ERR_AUTH, "authentication failed (wrong key or tampered data)") \
	X(FHSM_ERR_RNG, "random source failed") \
	X(FHSM_ERR_PROVIDER, "crypto provider failed") \
	X(FHSM_ERR_BUFFER, "output buffer too small (the needed size is returned)") \
	X(FHSM_ERR_DEVICE, "fabric device unavailable (none attached, down or gone)")

typedef enum {
#define FHSM_ERROR_ENUM(name, text) name,
	FHSM_ERROR_LIST(FHSM_ERROR_ENUM)
#undef FHSM_ERROR_ENUM
} fhsm_err;

const char *fhsm_strerror(fhsm_err err);

#ifdef __cplusplus
}
#endif
#endif

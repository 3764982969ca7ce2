/* Random number generation: C_GenerateRandom, C_SeedRandom. */
#include "p11.h"

P11_EXPORT CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pRandomData, CK_ULONG ulRandomLen)
{
	struct p11_session *s;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	if (!pRandomData && ulRandomLen)
		rv = CKR_ARGUMENTS_BAD;
	else if (fhsm_random(pRandomData, ulRandomLen) != FHSM_OK)
		rv = CKR_DEVICE_ERROR;
	p11_leave_session(s);
	return rv;
}

/* The seed is stirred into the kernel's pool, which cannot be weakened by it. */
P11_EXPORT CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen)
{
	struct p11_session *s;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	if (!pSeed && ulSeedLen)
		rv = CKR_ARGUMENTS_BAD;
	else if (fhsm_random_mix(pSeed, ulSeedLen) != FHSM_OK)
		rv = CKR_RANDOM_SEED_NOT_SUPPORTED;
	p11_leave_session(s);
	return rv;
}

/* The mechanism registry: one table, sorted by type (a unit test checks the order). C_GetMechanismList and
 * C_GetMechanismInfo are derived from it, and so is every *Init's check. */
#include <stdlib.h>
#include "p11.h"

static const struct p11_mech mechs[] = {
	{CKM_MD5, 0, 0, CKF_DIGEST, FHSM_HASH_MD5},
	{CKM_SHA_1, 0, 0, CKF_DIGEST, FHSM_HASH_SHA1},
	{CKM_SHA256, 0, 0, CKF_DIGEST, FHSM_HASH_SHA256},
	{CKM_SHA224, 0, 0, CKF_DIGEST, FHSM_HASH_SHA224},
	{CKM_SHA384, 0, 0, CKF_DIGEST, FHSM_HASH_SHA384},
	{CKM_SHA512, 0, 0, CKF_DIGEST, FHSM_HASH_SHA512},
};

static int cmp(const void *key, const void *elem)
{
	CK_MECHANISM_TYPE t = *(const CK_MECHANISM_TYPE *)key;
	const struct p11_mech *m = elem;
	return t < m->type ? -1 : t > m->type;
}

const struct p11_mech *p11_mech_find(CK_MECHANISM_TYPE type)
{
	return bsearch(&type, mechs, sizeof(mechs) / sizeof(mechs[0]), sizeof(mechs[0]), cmp);
}

size_t p11_mech_count(void)
{
	return sizeof(mechs) / sizeof(mechs[0]);
}

const struct p11_mech *p11_mech_at(size_t i)
{
	return &mechs[i];
}

/* Wiping and constant-time comparison: the two helpers every secret passes through. */
#include <string.h>
#include "fhsm/crypto.h"

void fhsm_wipe(void *p, size_t len)
{
	if (p && len)
		explicit_bzero(p, len);
}

bool fhsm_ct_equal(const void *a, const void *b, size_t len)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char diff = 0;
	for (size_t i = 0; i < len; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

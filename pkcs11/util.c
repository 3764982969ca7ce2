#include <string.h>
#include "p11.h"

CK_RV p11_out_len(const void *out, CK_ULONG_PTR len, CK_ULONG need)
{
	if (!out) {
		*len = need;
		return P11_RV_LENGTH_ONLY;
	}
	if (*len < need) {
		*len = need;
		return CKR_BUFFER_TOO_SMALL;
	}
	*len = need;
	return CKR_OK;
}

void p11_pad(void *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (n > size)
		n = size;
	memset(dst, ' ', size);
	memcpy(dst, src, n);
}

CK_RV p11_rv_from_fhsm(fhsm_err err)
{
	switch (err) {
	case FHSM_OK:
		return CKR_OK;
	case FHSM_ERR_ARGS:
		return CKR_ARGUMENTS_BAD;
	case FHSM_ERR_NOMEM:
		return CKR_HOST_MEMORY;
	case FHSM_ERR_UNSUPPORTED:
		return CKR_FUNCTION_NOT_SUPPORTED;
	default: /* authentication, RNG and provider failures: the caller maps those it expects */
		return CKR_FUNCTION_FAILED;
	}
}

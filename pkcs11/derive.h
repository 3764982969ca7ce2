/* New secret keys whose value the module computes (derive.c, wrap.c). */
#ifndef FHSM_P11_DERIVE_H
#define FHSM_P11_DERIVE_H

#include "object.h"

/* The caller's template, plus extra (the unwrapping key's CKA_UNWRAP_TEMPLATE: an
 * attribute in both must agree, else CKR_TEMPLATE_INCONSISTENT), plus CKA_CLASS cls
 * and CKA_KEY_TYPE kt (unless CK_UNAVAILABLE_INFORMATION) where the template leaves them out, checked under the unwrap
 * rules (CKA_VALUE, CKA_LOCAL, ... may not be given; the module sets them). */
CK_RV p11_newkey_build(struct p11_session *s, const CK_ATTRIBUTE *t, CK_ULONG n, const CK_ATTRIBUTE *extra,
		       CK_ULONG nextra, CK_OBJECT_CLASS cls, CK_KEY_TYPE kt, struct p11_attrs **out);
/* A key's stored CKA_*_TEMPLATE (flattened by attr.c) as CK_ATTRIBUTEs pointing into
 * x; *out is NULL when x is absent or empty; the caller frees *out. */
CK_RV p11_template_unflatten(const struct p11_attr *x, CK_ATTRIBUTE **out, CK_ULONG *n);
/* The new key's length: fixed by its type (DES2, DES3), else CKA_VALUE_LEN, else
 * avail. avail: the bytes the mechanism has; 0 for a KDF whose output has any length. */
CK_RV p11_newkey_len(const struct p11_attrs *a, size_t avail, size_t *len);
/* Adds CKA_VALUE (and CKA_VALUE_LEN, CKA_CHECK_VALUE where the type has them),
 * CKA_LOCAL false, CKA_ALWAYS_SENSITIVE = always_sensitive && CKA_SENSITIVE,
 * CKA_NEVER_EXTRACTABLE = never_extractable && !CKA_EXTRACTABLE (PKCS#11 3.0 §4.14). */
CK_RV p11_newkey_finish(struct p11_attrs **a, const uint8_t *v, size_t len, bool always_sensitive,
			bool never_extractable);

#endif

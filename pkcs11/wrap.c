/* Key wrapping: C_WrapKey and C_UnwrapKey of secret keys (their CKA_VALUE) with
 * AES key wrap (RFC 3394), AES key wrap with padding (RFC 5649, CKM_AES_KEY_WRAP_KWP
 * 0x210B), AES-CBC-PAD, and RSA PKCS #1 v1.5 and OAEP.
 *
 * Policy (PKCS#11 3.0 §5.18.1-2, §4.14): the wrapping key needs CKA_WRAP, the
 * unwrapping key CKA_UNWRAP; only CKA_EXTRACTABLE keys leave the token, and a key with
 * CKA_WRAP_WITH_TRUSTED only under a CKA_TRUSTED wrapping key; an unwrapped key is
 * built under the unwrap rules and must agree with the unwrapping key's
 * CKA_UNWRAP_TEMPLATE; it is not CKA_LOCAL and was never "always sensitive" or
 * "never extractable". */
#include <stdlib.h>
#include <string.h>
#include "derive.h"
#include "fhsm/cipher.h"
#include "pk.h"

enum { W_KW, W_KWP, W_CBC_PAD, W_RSA };

static int kind_of(const struct p11_mech *m)
{
	if (m->cls == MC_WRAP)
		return m->mode; /* W_KW or W_KWP */
	return m->cls == MC_RSA ? W_RSA : W_CBC_PAD;
}

/* The wrapping or unwrapping key's kind: an AES secret key, an RSA public (wrap) or private (unwrap) key. */
static bool key_fits(const struct p11_attrs *k, int kind, bool wrap)
{
	CK_OBJECT_CLASS cls = p11_attrs_ulong(k, CKA_CLASS, 0);
	CK_KEY_TYPE kt = p11_attrs_ulong(k, CKA_KEY_TYPE, 0);
	if (kind == W_RSA)
		return kt == CKK_RSA && cls == (wrap ? CKO_PUBLIC_KEY : CKO_PRIVATE_KEY);
	const struct p11_attr *v = p11_attrs_find(k, CKA_VALUE);
	return kt == CKK_AES && cls == CKO_SECRET_KEY && v && (v->len == 16 || v->len == 24 || v->len == 32);
}

/* The mechanism's parameter: an IV for KW (optional, 8 bytes) and CBC-PAD (16 bytes),
 * none for KWP, the OAEP parameters for RSA. */
static CK_RV params(const struct p11_mech *m, const CK_MECHANISM *mech, const uint8_t **iv,
		    struct p11_pk_params *pk)
{
	*iv = mech->pParameter;
	switch (kind_of(m)) {
	case W_KW:
		return (!mech->pParameter && !mech->ulParameterLen) || (mech->pParameter && mech->ulParameterLen == 8)
			       ? CKR_OK
			       : CKR_MECHANISM_PARAM_INVALID;
	case W_KWP:
		return mech->pParameter || mech->ulParameterLen ? CKR_MECHANISM_PARAM_INVALID : CKR_OK;
	case W_CBC_PAD:
		return mech->pParameter && mech->ulParameterLen == 16 ? CKR_OK : CKR_MECHANISM_PARAM_INVALID;
	default:
		return p11_pk_params(m, mech, pk);
	}
}

static CK_RV cbc_pad(const struct p11_attr *k, const uint8_t *iv, bool encrypt, const uint8_t *in, size_t len,
		     uint8_t *out, size_t *out_len)
{
	fhsm_cipher_ctx *ctx = NULL;
	size_t n = encrypt ? (len / 16 + 1) * 16 : len;
	if (!encrypt && (len == 0 || len % 16))
		return CKR_WRAPPED_KEY_LEN_RANGE;
	uint8_t *buf = malloc(n);
	if (!buf)
		return CKR_HOST_MEMORY;
	if (encrypt) {
		memcpy(buf, in, len);
		memset(buf + len, (int)(n - len), n - len);
	}
	fhsm_err err = fhsm_cipher_new(FHSM_BLOCK_AES, FHSM_MODE_CBC, encrypt, k->val, k->len, iv, 0, &ctx);
	if (err == FHSM_OK)
		err = fhsm_cipher_update(ctx, encrypt ? buf : in, n, encrypt ? out : buf);
	fhsm_cipher_free(ctx);
	CK_RV rv = p11_rv_from_fhsm(err);
	if (rv == CKR_OK && encrypt) {
		*out_len = n;
	} else if (rv == CKR_OK) {
		/* PKCS#7 padding, checked without a branch on the pad bytes. */
		uint8_t pad = buf[n - 1], bad = (uint8_t)((pad == 0) | (pad > 16));
		for (size_t i = 0; i < 16; i++)
			bad |= (uint8_t)((16 - i <= pad) & (buf[n - 16 + i] != pad));
		if (bad) {
			rv = CKR_WRAPPED_KEY_INVALID;
		} else {
			memcpy(out, buf, n - pad);
			*out_len = n - pad;
		}
	}
	fhsm_wipe(buf, n);
	free(buf);
	return rv;
}

/* ---- C_WrapKey ---- */
static size_t wrapped_len(int kind, const fhsm_rsa_key *rsa, size_t len)
{
	switch (kind) {
	case W_KW: return len + 8;
	case W_KWP: return (len + 7) / 8 * 8 + 8;
	case W_CBC_PAD: return (len / 16 + 1) * 16;
	default: return fhsm_rsa_modulus_bytes(rsa);
	}
}

static CK_RV wrap(const struct p11_mech *m, const CK_MECHANISM *mech, const struct p11_attrs *wk,
		  const struct p11_attrs *key, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	int kind = kind_of(m);
	const uint8_t *iv;
	struct p11_pk_params pk;
	fhsm_rsa_key *rsa = NULL;
	const struct p11_attr *kv = p11_attrs_find(wk, CKA_VALUE), *v = p11_attrs_find(key, CKA_VALUE);
	CK_RV rv = params(m, mech, &iv, &pk);
	if (rv != CKR_OK)
		return rv;
	if (p11_attrs_ulong(key, CKA_CLASS, 0) != CKO_SECRET_KEY || !v || !v->len)
		return CKR_KEY_NOT_WRAPPABLE; /* secret keys only (private keys would need PKCS #8) */
	if (!p11_attrs_bool(key, CKA_EXTRACTABLE, false))
		return CKR_KEY_UNEXTRACTABLE;
	if (p11_attrs_bool(key, CKA_WRAP_WITH_TRUSTED, false) && !p11_attrs_bool(wk, CKA_TRUSTED, false))
		return CKR_KEY_NOT_WRAPPABLE;
	if (kind == W_KW && (v->len < 16 || v->len % 8))
		return CKR_KEY_SIZE_RANGE;
	if (kind == W_RSA && (rv = p11_rsa_key(wk, false, &rsa)) != CKR_OK)
		return rv == CKR_KEY_TYPE_INCONSISTENT ? CKR_WRAPPING_KEY_TYPE_INCONSISTENT : rv;
	rv = p11_out_len(out, out_len, wrapped_len(kind, rsa, v->len));
	if (rv == P11_RV_LENGTH_ONLY) {
		rv = CKR_OK;
		goto out;
	}
	if (rv != CKR_OK)
		goto out;
	size_t n = *out_len;
	fhsm_err err = FHSM_OK;
	switch (kind) {
	case W_KW:
		err = fhsm_aes_kw_wrap(kv->val, kv->len, iv, v->val, v->len, out, &n);
		break;
	case W_KWP:
		err = fhsm_aes_kwp_wrap(kv->val, kv->len, v->val, v->len, out, &n);
		break;
	case W_CBC_PAD:
		rv = cbc_pad(kv, iv, true, v->val, v->len, out, &n);
		break;
	default:
		err = fhsm_rsa_encrypt(rsa, &pk.rsa, v->val, v->len, out, &n);
		break;
	}
	if (err == FHSM_ERR_ARGS)
		rv = CKR_KEY_SIZE_RANGE; /* too long for this RSA key and padding */
	else if (rv == CKR_OK)
		rv = p11_rv_from_fhsm(err);
	if (rv == CKR_OK)
		*out_len = n;
out:
	fhsm_rsa_free(rsa);
	return rv;
}

P11_EXPORT CK_RV C_WrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hWrappingKey,
			   CK_OBJECT_HANDLE hKey, CK_BYTE_PTR pWrappedKey, CK_ULONG_PTR pulWrappedKeyLen)
{
	struct p11_session *s;
	struct p11_attrs *wk = NULL, *key = NULL;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	const struct p11_mech *m = pMechanism ? p11_mech_find(pMechanism->mechanism) : NULL;
	if (!pMechanism || !pulWrappedKeyLen)
		rv = CKR_ARGUMENTS_BAD;
	else if (!m || !(m->flags & CKF_WRAP))
		rv = CKR_MECHANISM_INVALID;
	else if ((rv = p11_key_for_op(s, hWrappingKey, CKA_WRAP, m->type, &wk)) != CKR_OK)
		rv = rv == CKR_KEY_HANDLE_INVALID || rv == CKR_OBJECT_HANDLE_INVALID ? CKR_WRAPPING_KEY_HANDLE_INVALID : rv;
	else if (!key_fits(wk, kind_of(m), true))
		rv = CKR_WRAPPING_KEY_TYPE_INCONSISTENT;
	else if ((rv = p11_key_for_op(s, hKey, P11_ANY, P11_ANY, &key)) == CKR_OBJECT_HANDLE_INVALID)
		rv = CKR_KEY_HANDLE_INVALID;
	if (rv == CKR_OK)
		rv = wrap(m, pMechanism, wk, key, pWrappedKey, pulWrappedKeyLen);
	p11_attrs_free(wk);
	p11_attrs_free(key);
	p11_leave_session(s);
	return rv;
}

/* ---- C_UnwrapKey ---- */
/* The unwrapping key's CKA_UNWRAP_TEMPLATE, stored flattened (attr.c: for each
 * attribute an 8-byte type, an 8-byte length, the value), as CK_ATTRIBUTEs pointing into it. */
static CK_RV unflatten(const struct p11_attr *x, CK_ATTRIBUTE **out, CK_ULONG *n)
{
	*out = NULL;
	*n = 0;
	if (!x || !x->len)
		return CKR_OK;
	size_t cap = x->len / 16;
	CK_ATTRIBUTE *a = calloc(cap ? cap : 1, sizeof(*a));
	if (!a)
		return CKR_HOST_MEMORY;
	size_t off = 0, k = 0;
	while (off + 16 <= x->len && k < cap) {
		uint64_t type, len;
		memcpy(&type, x->val + off, 8);
		memcpy(&len, x->val + off + 8, 8);
		if (len > x->len - off - 16)
			break;
		a[k++] = (CK_ATTRIBUTE){(CK_ATTRIBUTE_TYPE)type, len ? x->val + off + 16 : NULL, (CK_ULONG)len};
		off += 16 + len;
	}
	if (off != x->len) {
		free(a);
		return CKR_GENERAL_ERROR; /* a stored template we cannot read */
	}
	*out = a;
	*n = k;
	return CKR_OK;
}

static CK_RV unwrap(struct p11_session *s, const struct p11_mech *m, const CK_MECHANISM *mech,
		    const struct p11_attrs *uk, const uint8_t *in, size_t in_len, const CK_ATTRIBUTE *t, CK_ULONG n,
		    CK_OBJECT_HANDLE_PTR ph)
{
	int kind = kind_of(m);
	const uint8_t *iv;
	struct p11_pk_params pk;
	fhsm_rsa_key *rsa = NULL;
	struct p11_attrs *a = NULL;
	CK_ATTRIBUTE *extra = NULL;
	CK_ULONG nextra = 0;
	const struct p11_attr *kv = p11_attrs_find(uk, CKA_VALUE);
	uint8_t *v = NULL;
	size_t len = in_len, klen = 0;
	CK_RV rv = params(m, mech, &iv, &pk);
	if (rv == CKR_OK)
		rv = unflatten(p11_attrs_find(uk, CKA_UNWRAP_TEMPLATE), &extra, &nextra);
	if (rv == CKR_OK)
		rv = p11_newkey_build(s, t, n, extra, nextra, CKO_SECRET_KEY, CK_UNAVAILABLE_INFORMATION, &a); /* CKA_KEY_TYPE: required */
	free(extra);
	if (rv != CKR_OK)
		goto out;
	if (kind == W_RSA && (rv = p11_rsa_key(uk, true, &rsa)) != CKR_OK) {
		rv = rv == CKR_KEY_TYPE_INCONSISTENT ? CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT : rv;
		goto out;
	}
	if (!(v = malloc(in_len ? in_len : 1))) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	fhsm_err err = FHSM_OK;
	switch (kind) {
	case W_KW:
		if (in_len < 24 || in_len % 8)
			rv = CKR_WRAPPED_KEY_LEN_RANGE;
		else
			err = fhsm_aes_kw_unwrap(kv->val, kv->len, iv, in, in_len, v, &len);
		break;
	case W_KWP:
		if (in_len < 16 || in_len % 8)
			rv = CKR_WRAPPED_KEY_LEN_RANGE;
		else
			err = fhsm_aes_kwp_unwrap(kv->val, kv->len, in, in_len, v, &len);
		break;
	case W_CBC_PAD:
		rv = cbc_pad(kv, iv, false, in, in_len, v, &len);
		break;
	default:
		if (in_len != fhsm_rsa_modulus_bytes(rsa))
			rv = CKR_WRAPPED_KEY_LEN_RANGE;
		else
			err = fhsm_rsa_decrypt(rsa, &pk.rsa, in, in_len, v, &len);
		break;
	}
	if (rv == CKR_OK)
		rv = err == FHSM_ERR_AUTH || err == FHSM_ERR_ARGS ? CKR_WRAPPED_KEY_INVALID : p11_rv_from_fhsm(err);
	if (rv != CKR_OK)
		goto out;
	/* The key is all that was wrapped; only RFC 3394, which cannot say how long it
	 * was, may have carried padding (less than a block) that CKA_VALUE_LEN cuts off. */
	if ((rv = p11_newkey_len(a, len, &klen)) == CKR_OK && klen != len &&
	    (kind != W_KW || p11_attrs_ulong(a, CKA_VALUE_LEN, 0) != klen || len - klen >= 8))
		rv = CKR_TEMPLATE_INCONSISTENT;
	if (rv == CKR_OK)
		rv = p11_newkey_finish(&a, v, klen, false, false);
	if (rv == CKR_OK) {
		rv = p11_object_create(s, a, ph);
		a = NULL;
	}
out:
	if (v)
		fhsm_wipe(v, in_len ? in_len : 1);
	free(v);
	fhsm_rsa_free(rsa);
	p11_attrs_free(a);
	return rv;
}

P11_EXPORT CK_RV C_UnwrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hUnwrappingKey,
			     CK_BYTE_PTR pWrappedKey, CK_ULONG ulWrappedKeyLen, CK_ATTRIBUTE_PTR pTemplate,
			     CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey)
{
	struct p11_session *s;
	struct p11_attrs *uk = NULL;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	const struct p11_mech *m = pMechanism ? p11_mech_find(pMechanism->mechanism) : NULL;
	if (!pMechanism || !pWrappedKey || !ulWrappedKeyLen || !phKey || (!pTemplate && ulAttributeCount) ||
	    ulAttributeCount > 1000)
		rv = CKR_ARGUMENTS_BAD;
	else if (!m || !(m->flags & CKF_UNWRAP))
		rv = CKR_MECHANISM_INVALID;
	else if ((rv = p11_key_for_op(s, hUnwrappingKey, CKA_UNWRAP, m->type, &uk)) != CKR_OK)
		rv = rv == CKR_KEY_HANDLE_INVALID || rv == CKR_OBJECT_HANDLE_INVALID ? CKR_UNWRAPPING_KEY_HANDLE_INVALID
										    : rv;
	else if (!key_fits(uk, kind_of(m), false))
		rv = CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT;
	if (rv == CKR_OK)
		rv = unwrap(s, m, pMechanism, uk, pWrappedKey, ulWrappedKeyLen, pTemplate, ulAttributeCount, phKey);
	p11_attrs_free(uk);
	p11_leave_session(s);
	return rv;
}

/* Key wrapping: C_WrapKey and C_UnwrapKey of secret keys (their CKA_VALUE) and of
 * private keys (RSA, EC P-256/384/521, Ed25519, as a PKCS#8 PrivateKeyInfo, RFC 5208/5958)
 * with AES key wrap (RFC 3394), AES key wrap with padding (RFC 5649, CKM_AES_KEY_WRAP_KWP
 * 0x210B, with its optional 4-byte alternative initial value), AES-CBC-PAD, RSA PKCS #1
 * v1.5 and OAEP, and CKM_RSA_AES_KEY_WRAP (3.0 §2.1.21: a fresh AES key wraps the key
 * with KWP and is itself wrapped with RSA-OAEP; output RSA part || KWP part).
 *
 * Policy (PKCS#11 3.0 §5.18.1-2, §4.14): the wrapping key needs CKA_WRAP, the
 * unwrapping key CKA_UNWRAP; only CKA_EXTRACTABLE keys leave the token, and a key with
 * CKA_WRAP_WITH_TRUSTED only under a CKA_TRUSTED wrapping key; the wrapped key must
 * match every attribute of the wrapping key's CKA_WRAP_TEMPLATE. An unwrapped key is
 * built under the unwrap rules and must agree with the unwrapping key's
 * CKA_UNWRAP_TEMPLATE; it is not CKA_LOCAL and was never "always sensitive" or "never
 * extractable". A private key takes its type and material from the PKCS#8 only; the
 * template's class and key type must agree with it. */
#include <stdlib.h>
#include <string.h>
#include "derive.h"
#include "fhsm/cipher.h"
#include "fhsm/keyfile.h"
#include "pk.h"

/* W_KW and W_KWP are the MC_WRAP modes of mech.c, W_RSA_AES its mode 4. */
enum { W_KW, W_KWP, W_CBC_PAD, W_RSA, W_RSA_AES };

static int kind_of(const struct p11_mech *m)
{
	if (m->cls == MC_WRAP)
		return m->mode;
	return m->cls == MC_RSA ? W_RSA : W_CBC_PAD;
}

/* The wrapping or unwrapping key's kind: an AES secret key, an RSA public (wrap) or private (unwrap) key. */
static bool key_fits(const struct p11_attrs *k, int kind, bool wrap)
{
	CK_OBJECT_CLASS cls = p11_attrs_ulong(k, CKA_CLASS, 0);
	CK_KEY_TYPE kt = p11_attrs_ulong(k, CKA_KEY_TYPE, 0);
	if (kind == W_RSA || kind == W_RSA_AES)
		return kt == CKK_RSA && cls == (wrap ? CKO_PUBLIC_KEY : CKO_PRIVATE_KEY);
	const struct p11_attr *v = p11_attrs_find(k, CKA_VALUE);
	return kt == CKK_AES && cls == CKO_SECRET_KEY && v && (v->len == 16 || v->len == 24 || v->len == 32);
}

struct wparams {
	const uint8_t *iv; /* KW: 8 bytes, KWP: 4, CBC-PAD: 16; NULL: the RFC's default */
	struct p11_pk_params pk; /* RSA and RSA-AES: the padding (OAEP parameters) */
	size_t aes_len;    /* RSA-AES: the temporary key's bytes */
};

/* The mechanism's parameter: an IV for KW (optional, 8 bytes), KWP (optional, 4 bytes)
 * and CBC-PAD (16 bytes), the OAEP parameters for RSA, both for RSA-AES. */
static CK_RV params(const struct p11_mech *m, const CK_MECHANISM *mech, struct wparams *w)
{
	memset(w, 0, sizeof(*w));
	w->iv = mech->pParameter;
	bool none = !mech->pParameter && !mech->ulParameterLen;
	switch (kind_of(m)) {
	case W_KW:
		return none || (mech->pParameter && mech->ulParameterLen == 8) ? CKR_OK : CKR_MECHANISM_PARAM_INVALID;
	case W_KWP:
		return none || (mech->pParameter && mech->ulParameterLen == 4) ? CKR_OK : CKR_MECHANISM_PARAM_INVALID;
	case W_CBC_PAD:
		return mech->pParameter && mech->ulParameterLen == 16 ? CKR_OK : CKR_MECHANISM_PARAM_INVALID;
	case W_RSA_AES: {
		const CK_RSA_AES_KEY_WRAP_PARAMS *p = mech->pParameter;
		w->iv = NULL;
		if (!p || mech->ulParameterLen != sizeof(*p) || !p->pOAEPParams ||
		    (p->ulAESKeyBits != 128 && p->ulAESKeyBits != 192 && p->ulAESKeyBits != 256))
			return CKR_MECHANISM_PARAM_INVALID;
		w->aes_len = p->ulAESKeyBits / 8;
		CK_MECHANISM oaep = {CKM_RSA_PKCS_OAEP, p->pOAEPParams, sizeof(CK_RSA_PKCS_OAEP_PARAMS)};
		return p11_pk_params(p11_mech_find(CKM_RSA_PKCS_OAEP), &oaep, &w->pk);
	}
	default:
		w->iv = NULL;
		return p11_pk_params(m, mech, &w->pk);
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

/* ---- private keys as PKCS#8 ---- */
static fhsm_ec_curve nist(enum p11_curve c)
{
	return c == P11_P384 ? FHSM_EC_P384 : c == P11_P521 ? FHSM_EC_P521 : FHSM_EC_P256;
}

static void rsa_parts_free(struct fhsm_rsa_parts *r)
{
	struct fhsm_bytes *all[] = {&r->n, &r->e, &r->d, &r->p, &r->q, &r->dp, &r->dq, &r->qinv};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		fhsm_bytes_free(all[i]);
}

/* A private key's PrivateKeyInfo, in a new buffer. */
static CK_RV pkcs8_of(const struct p11_attrs *key, uint8_t **out, size_t *len)
{
	struct fhsm_private_key k;
	fhsm_rsa_key *rsa = NULL;
	uint8_t sc[FHSM_EC_MAX_SCALAR], pt[FHSM_EC_MAX_POINT];
	const struct p11_attr *v = p11_attrs_find(key, CKA_VALUE);
	CK_KEY_TYPE kt = p11_attrs_ulong(key, CKA_KEY_TYPE, CK_UNAVAILABLE_INFORMATION);
	enum p11_curve c;
	size_t sb, n = sizeof(pt);
	fhsm_err err = FHSM_OK;
	CK_RV rv = CKR_OK;
	memset(&k, 0, sizeof(k));
	*out = NULL;
	switch (kt) {
	case CKK_RSA:
		k.kind = FHSM_KEY_RSA;
		rv = p11_rsa_key(key, true, &rsa);
		if (rv == CKR_OK && !fhsm_rsa_is_private(rsa))
			rv = CKR_KEY_TYPE_INCONSISTENT;
		if (rv == CKR_OK)
			err = fhsm_rsa_to_parts(rsa, &k.rsa);
		break;
	case CKK_EC:
		if (p11_curve_of(key, CKK_EC, &c) != CKR_OK || !v || !v->len ||
		    v->len > (sb = fhsm_ec_scalar_bytes(nist(c)))) {
			rv = CKR_KEY_TYPE_INCONSISTENT;
			break;
		}
		/* The scalar at the curve's width (RFC 5915), the point computed for OpenSSL's sake. */
		k.kind = FHSM_KEY_EC;
		k.curve = nist(c);
		memset(sc, 0, sb - v->len);
		memcpy(sc + sb - v->len, v->val, v->len);
		k.scalar = (struct fhsm_bytes){sc, sb};
		err = fhsm_ec_public_from_private(k.curve, sc, sb, pt, &n);
		k.point = (struct fhsm_bytes){pt, n};
		break;
	case CKK_EC_EDWARDS:
		if (p11_curve_of(key, CKK_EC_EDWARDS, &c) != CKR_OK || c != P11_ED25519 || !v || v->len != 32) {
			rv = CKR_KEY_TYPE_INCONSISTENT;
			break;
		}
		k.kind = FHSM_KEY_ED25519;
		k.scalar = (struct fhsm_bytes){v->val, 32};
		break;
	default:
		rv = CKR_KEY_NOT_WRAPPABLE; /* DSA, DH, X25519, GOST: no PKCS#8 form here */
		break;
	}
	if (rv == CKR_KEY_TYPE_INCONSISTENT || (rv == CKR_OK && err == FHSM_ERR_ARGS))
		rv = CKR_KEY_NOT_WRAPPABLE; /* a private key whose attributes make no key */
	if (rv == CKR_OK)
		rv = p11_rv_from_fhsm(err);
	n = 0;
	if (rv == CKR_OK)
		rv = p11_rv_from_fhsm(fhsm_pkcs8_encode(&k, NULL, &n));
	if (rv == CKR_OK && !(*out = malloc(n)))
		rv = CKR_HOST_MEMORY;
	if (rv == CKR_OK && (rv = p11_rv_from_fhsm(fhsm_pkcs8_encode(&k, *out, &n))) != CKR_OK) {
		fhsm_wipe(*out, n);
		free(*out);
		*out = NULL;
	}
	*len = n;
	fhsm_wipe(sc, sizeof(sc));
	if (k.kind == FHSM_KEY_RSA)
		rsa_parts_free(&k.rsa);
	fhsm_rsa_free(rsa);
	return rv;
}

/* What a key wraps to: a secret key's value, a private key's PKCS#8; a new buffer. */
static CK_RV payload(const struct p11_attrs *key, uint8_t **out, size_t *len)
{
	CK_OBJECT_CLASS cls = p11_attrs_ulong(key, CKA_CLASS, CK_UNAVAILABLE_INFORMATION);
	const struct p11_attr *v = p11_attrs_find(key, CKA_VALUE);
	if (cls == CKO_PRIVATE_KEY)
		return pkcs8_of(key, out, len);
	if (cls != CKO_SECRET_KEY || !v || !v->len)
		return CKR_KEY_NOT_WRAPPABLE;
	if (!(*out = malloc(v->len)))
		return CKR_HOST_MEMORY;
	memcpy(*out, v->val, v->len);
	*len = v->len;
	return CKR_OK;
}

/* ---- C_WrapKey ---- */
static size_t wrapped_len(int kind, const fhsm_rsa_key *rsa, size_t len)
{
	switch (kind) {
	case W_KW: return len + 8;
	case W_KWP: return (len + 7) / 8 * 8 + 8;
	case W_CBC_PAD: return (len / 16 + 1) * 16;
	case W_RSA_AES: return fhsm_rsa_modulus_bytes(rsa) + (len + 7) / 8 * 8 + 8;
	default: return fhsm_rsa_modulus_bytes(rsa);
	}
}

/* CKM_RSA_AES_KEY_WRAP: a fresh AES key, RSA-OAEP-wrapped, then the key under it with KWP. */
static fhsm_err rsa_aes_wrap(const fhsm_rsa_key *rsa, const struct wparams *w, const uint8_t *in, size_t len,
			     uint8_t *out, size_t *out_len)
{
	uint8_t tmp[32];
	size_t mb = fhsm_rsa_modulus_bytes(rsa), n1 = mb, n2 = *out_len - mb;
	fhsm_err err = fhsm_random(tmp, w->aes_len);
	if (err == FHSM_OK)
		err = fhsm_rsa_encrypt(rsa, &w->pk.rsa, tmp, w->aes_len, out, &n1);
	if (err == FHSM_OK)
		err = fhsm_aes_kwp_wrap(tmp, w->aes_len, NULL, in, len, out + mb, &n2);
	if (err == FHSM_OK)
		*out_len = n1 + n2;
	fhsm_wipe(tmp, sizeof(tmp));
	return err;
}

/* Every attribute of the wrapping key's CKA_WRAP_TEMPLATE, the wrapped key must have, with that value. */
static CK_RV wrap_template_ok(const struct p11_attrs *wk, const struct p11_attrs *key)
{
	CK_ATTRIBUTE *wt = NULL;
	CK_ULONG n = 0;
	CK_RV rv = p11_template_unflatten(p11_attrs_find(wk, CKA_WRAP_TEMPLATE), &wt, &n);
	if (rv == CKR_OK && n && !p11_attrs_match(key, wt, n))
		rv = CKR_KEY_NOT_WRAPPABLE;
	free(wt);
	return rv;
}

static CK_RV wrap(const struct p11_mech *m, const CK_MECHANISM *mech, const struct p11_attrs *wk,
		  const struct p11_attrs *key, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	int kind = kind_of(m);
	struct wparams w;
	fhsm_rsa_key *rsa = NULL;
	uint8_t *v = NULL;
	size_t len = 0;
	const struct p11_attr *kv = p11_attrs_find(wk, CKA_VALUE);
	CK_RV rv = params(m, mech, &w);
	if (rv != CKR_OK)
		return rv;
	CK_OBJECT_CLASS cls = p11_attrs_ulong(key, CKA_CLASS, CK_UNAVAILABLE_INFORMATION);
	if (cls != CKO_SECRET_KEY && cls != CKO_PRIVATE_KEY)
		return CKR_KEY_NOT_WRAPPABLE;
	if (!p11_attrs_bool(key, CKA_EXTRACTABLE, false))
		return CKR_KEY_UNEXTRACTABLE;
	if (p11_attrs_bool(key, CKA_WRAP_WITH_TRUSTED, false) && !p11_attrs_bool(wk, CKA_TRUSTED, false))
		return CKR_KEY_NOT_WRAPPABLE;
	if ((rv = wrap_template_ok(wk, key)) != CKR_OK || (rv = payload(key, &v, &len)) != CKR_OK)
		goto out;
	if (kind == W_KW && (len < 16 || len % 8)) {
		rv = CKR_KEY_SIZE_RANGE;
		goto out;
	}
	if ((kind == W_RSA || kind == W_RSA_AES) && (rv = p11_rsa_key(wk, false, &rsa)) != CKR_OK) {
		rv = rv == CKR_KEY_TYPE_INCONSISTENT ? CKR_WRAPPING_KEY_TYPE_INCONSISTENT : rv;
		goto out;
	}
	rv = p11_out_len(out, out_len, wrapped_len(kind, rsa, len));
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
		err = fhsm_aes_kw_wrap(kv->val, kv->len, w.iv, v, len, out, &n);
		break;
	case W_KWP:
		err = fhsm_aes_kwp_wrap(kv->val, kv->len, w.iv, v, len, out, &n);
		break;
	case W_CBC_PAD:
		rv = cbc_pad(kv, w.iv, true, v, len, out, &n);
		break;
	case W_RSA_AES:
		err = rsa_aes_wrap(rsa, &w, v, len, out, &n);
		break;
	default:
		err = fhsm_rsa_encrypt(rsa, &w.pk.rsa, v, len, out, &n);
		break;
	}
	if (err == FHSM_ERR_ARGS)
		rv = CKR_KEY_SIZE_RANGE; /* too long for this RSA key and padding */
	else if (rv == CKR_OK)
		rv = p11_rv_from_fhsm(err);
	if (rv == CKR_OK)
		*out_len = n;
out:
	if (v)
		fhsm_wipe(v, len);
	free(v);
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
static const uint8_t oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t oid_p521[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};
static const uint8_t oid_ed25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};

static CK_KEY_TYPE pkcs8_key_type(const struct fhsm_private_key *k)
{
	return k->kind == FHSM_KEY_RSA ? CKK_RSA : k->kind == FHSM_KEY_EC ? CKK_EC : CKK_EC_EDWARDS;
}

/* The key material of a parsed PKCS#8 key, as attributes of the new private key (no
 * public point: private keys do not keep one). RSA keys are rebuilt from n, e, d, p, q,
 * which checks them and recomputes the CRT values. */
static CK_RV add_private(struct p11_attrs **a, const struct fhsm_private_key *k)
{
	CK_BBOOL no = CK_FALSE;
	struct p11_attr add[11] = {
		{CKA_LOCAL, 1, &no},
		{CKA_ALWAYS_SENSITIVE, 1, &no},
		{CKA_NEVER_EXTRACTABLE, 1, &no},
	};
	size_t n = 3;
	struct fhsm_rsa_parts r;
	fhsm_rsa_key *rsa = NULL;
	uint8_t sc[FHSM_EC_MAX_SCALAR];
	memset(&r, 0, sizeof(r));
	CK_RV rv = CKR_OK;
	if (k->kind == FHSM_KEY_RSA) {
		fhsm_err err = fhsm_rsa_from_parts(&k->rsa, &rsa);
		if (err == FHSM_OK && !fhsm_rsa_is_private(rsa))
			err = FHSM_ERR_ARGS;
		if (err == FHSM_OK)
			err = fhsm_rsa_to_parts(rsa, &r);
		rv = err == FHSM_ERR_ARGS ? CKR_WRAPPED_KEY_INVALID : p11_rv_from_fhsm(err);
		const CK_ATTRIBUTE_TYPE types[] = {CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT, CKA_PRIME_1,
						   CKA_PRIME_2, CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT};
		const struct fhsm_bytes *vals[] = {&r.n, &r.e, &r.d, &r.p, &r.q, &r.dp, &r.dq, &r.qinv};
		for (size_t i = 0; i < 8 && rv == CKR_OK; i++)
			add[n++] = (struct p11_attr){types[i], vals[i]->len, vals[i]->p};
	} else if (k->kind == FHSM_KEY_EC) {
		size_t sb = fhsm_ec_scalar_bytes(k->curve);
		if (k->scalar.len > sb || !k->scalar.len) {
			rv = CKR_WRAPPED_KEY_INVALID;
		} else {
			memset(sc, 0, sb - k->scalar.len);
			memcpy(sc + sb - k->scalar.len, k->scalar.p, k->scalar.len);
			const uint8_t *oid = k->curve == FHSM_EC_P256 ? oid_p256 : k->curve == FHSM_EC_P384 ? oid_p384 : oid_p521;
			add[n++] = (struct p11_attr){CKA_EC_PARAMS, k->curve == FHSM_EC_P256 ? sizeof(oid_p256) : sizeof(oid_p384), (uint8_t *)oid};
			add[n++] = (struct p11_attr){CKA_VALUE, sb, sc};
		}
	} else {
		add[n++] = (struct p11_attr){CKA_EC_PARAMS, sizeof(oid_ed25519), (uint8_t *)oid_ed25519};
		add[n++] = (struct p11_attr){CKA_VALUE, k->scalar.len, k->scalar.p};
	}
	if (rv == CKR_OK && !(*a = p11_attrs_with(*a, add, n)))
		rv = CKR_HOST_MEMORY;
	fhsm_wipe(sc, sizeof(sc));
	rsa_parts_free(&r);
	fhsm_rsa_free(rsa);
	return rv;
}

/* The class the new key will have: the template's, else the unwrap template's, else secret. */
static CK_OBJECT_CLASS target_class(const CK_ATTRIBUTE *t, CK_ULONG n, const CK_ATTRIBUTE *x, CK_ULONG nx)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	for (int pass = 0; pass < 2; pass++)
		for (CK_ULONG i = 0; i < (pass ? nx : n); i++) {
			const CK_ATTRIBUTE *c = pass ? &x[i] : &t[i];
			if (c->type == CKA_CLASS && c->pValue && c->ulValueLen == sizeof(cls)) {
				memcpy(&cls, c->pValue, sizeof(cls));
				return cls;
			}
		}
	return cls;
}

/* CKM_RSA_AES_KEY_WRAP: the temporary AES key from the RSA part, then the KWP part under it. */
static fhsm_err rsa_aes_unwrap(const fhsm_rsa_key *rsa, const struct wparams *w, const uint8_t *in, size_t len,
			       uint8_t *out, size_t *out_len)
{
	uint8_t tmp[FHSM_RSA_MAX_BITS / 8];
	size_t mb = fhsm_rsa_modulus_bytes(rsa), n = sizeof(tmp);
	fhsm_err err = fhsm_rsa_decrypt(rsa, &w->pk.rsa, in, mb, tmp, &n);
	if (err == FHSM_OK && n != w->aes_len)
		err = FHSM_ERR_AUTH;
	if (err == FHSM_OK)
		err = fhsm_aes_kwp_unwrap(tmp, n, NULL, in + mb, len - mb, out, out_len);
	fhsm_wipe(tmp, sizeof(tmp));
	return err;
}

static CK_RV unwrap(struct p11_session *s, const struct p11_mech *m, const CK_MECHANISM *mech,
		    const struct p11_attrs *uk, const uint8_t *in, size_t in_len, const CK_ATTRIBUTE *t, CK_ULONG n,
		    CK_OBJECT_HANDLE_PTR ph)
{
	int kind = kind_of(m);
	struct wparams w;
	fhsm_rsa_key *rsa = NULL;
	struct p11_attrs *a = NULL;
	struct fhsm_private_key k8;
	CK_ATTRIBUTE *extra = NULL;
	CK_ULONG nextra = 0;
	const struct p11_attr *kv = p11_attrs_find(uk, CKA_VALUE);
	uint8_t *v = NULL;
	size_t len = in_len, klen = 0;
	bool priv = false;
	memset(&k8, 0, sizeof(k8));
	CK_RV rv = params(m, mech, &w);
	if (rv == CKR_OK)
		rv = p11_template_unflatten(p11_attrs_find(uk, CKA_UNWRAP_TEMPLATE), &extra, &nextra);
	if (rv != CKR_OK)
		goto out;
	/* A secret key's template is checked before any decryption; a private key's type
	 * comes from what was wrapped, so its template is checked after. */
	priv = target_class(t, n, extra, nextra) == CKO_PRIVATE_KEY;
	if (!priv &&
	    (rv = p11_newkey_build(s, t, n, extra, nextra, CKO_SECRET_KEY, CK_UNAVAILABLE_INFORMATION, &a)) != CKR_OK)
		goto out; /* CKA_KEY_TYPE: required */
	if ((kind == W_RSA || kind == W_RSA_AES) && (rv = p11_rsa_key(uk, true, &rsa)) != CKR_OK) {
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
			err = fhsm_aes_kw_unwrap(kv->val, kv->len, w.iv, in, in_len, v, &len);
		break;
	case W_KWP:
		if (in_len < 16 || in_len % 8)
			rv = CKR_WRAPPED_KEY_LEN_RANGE;
		else
			err = fhsm_aes_kwp_unwrap(kv->val, kv->len, w.iv, in, in_len, v, &len);
		break;
	case W_CBC_PAD:
		rv = cbc_pad(kv, w.iv, false, in, in_len, v, &len);
		break;
	case W_RSA_AES: {
		size_t mb = fhsm_rsa_modulus_bytes(rsa);
		if (in_len < mb + 16 || (in_len - mb) % 8)
			rv = CKR_WRAPPED_KEY_LEN_RANGE;
		else
			err = rsa_aes_unwrap(rsa, &w, in, in_len, v, &len);
		break;
	}
	default:
		if (in_len != fhsm_rsa_modulus_bytes(rsa))
			rv = CKR_WRAPPED_KEY_LEN_RANGE;
		else
			err = fhsm_rsa_decrypt(rsa, &w.pk.rsa, in, in_len, v, &len);
		break;
	}
	if (rv == CKR_OK)
		rv = err == FHSM_ERR_AUTH || err == FHSM_ERR_ARGS ? CKR_WRAPPED_KEY_INVALID : p11_rv_from_fhsm(err);
	if (rv != CKR_OK)
		goto out;
	if (priv) {
		/* RFC 3394 may leave up to 7 bytes of zero padding after the DER, which the
		 * strict decoder refuses: KW carries only PKCS#8 of a whole number of blocks. */
		if (fhsm_pkcs8_decode(v, len, &k8) != FHSM_OK)
			rv = CKR_WRAPPED_KEY_INVALID;
		CK_KEY_TYPE kt = pkcs8_key_type(&k8);
		if (rv == CKR_OK)
			rv = p11_newkey_build(s, t, n, extra, nextra, CKO_PRIVATE_KEY, kt, &a);
		if (rv == CKR_OK && p11_attrs_ulong(a, CKA_KEY_TYPE, CK_UNAVAILABLE_INFORMATION) != kt)
			rv = CKR_TEMPLATE_INCONSISTENT;
		if (rv == CKR_OK)
			rv = add_private(&a, &k8);
	} else {
		/* The key is all that was wrapped; only RFC 3394, which cannot say how long it
		 * was, may have carried padding (less than a block) that CKA_VALUE_LEN cuts off. */
		if ((rv = p11_newkey_len(a, len, &klen)) == CKR_OK && klen != len &&
		    (kind != W_KW || p11_attrs_ulong(a, CKA_VALUE_LEN, 0) != klen || len - klen >= 8))
			rv = CKR_TEMPLATE_INCONSISTENT;
		if (rv == CKR_OK)
			rv = p11_newkey_finish(&a, v, klen, false, false);
	}
	if (rv == CKR_OK) {
		rv = p11_object_create(s, a, ph);
		a = NULL;
	}
out:
	if (v)
		fhsm_wipe(v, in_len ? in_len : 1);
	free(v);
	free(extra);
	fhsm_private_key_free(&k8);
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

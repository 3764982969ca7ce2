/* Key derivation: C_DeriveKey with ECDH (NIST curves and X25519; the null KDF and the
 * ANSI X9.63 SHA KDFs), the concatenation mechanisms, encryption of data under AES
 * or DES3 (ECB, CBC), and HKDF (PKCS#11 3.0: CKM_HKDF_DERIVE, CKM_HKDF_DATA).
 *
 * Every new key is built the same way: the template checked under the unwrap rules
 * (the value is the module's), then its length (type, CKA_VALUE_LEN, or what the
 * mechanism yields), then the value, then what the module knows of its history. The
 * base key's CKA_DERIVE_TEMPLATE binds the new key's template (PKCS#11 3.0 §4.7). */
#include <stdlib.h>
#include <string.h>
#include "derive.h"
#include "fhsm/cipher.h"
#include "pk.h"

/* ---- new secret keys (also for wrap.c) ---- */
static const CK_ATTRIBUTE *tfind(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type)
{
	for (CK_ULONG i = 0; i < n; i++)
		if (t[i].type == type)
			return &t[i];
	return NULL;
}

CK_RV p11_newkey_build(struct p11_session *s, const CK_ATTRIBUTE *t, CK_ULONG n, const CK_ATTRIBUTE *extra,
		       CK_ULONG nextra, CK_OBJECT_CLASS cls, CK_KEY_TYPE kt, struct p11_attrs **out)
{
	if ((!t && n) || n > 1000)
		return CKR_ARGUMENTS_BAD;
	CK_ATTRIBUTE *full = calloc(n + nextra + 2, sizeof(*full));
	if (!full)
		return CKR_HOST_MEMORY;
	CK_ULONG k = 0;
	CK_RV rv = CKR_OK;
	for (CK_ULONG i = 0; i < n; i++)
		full[k++] = t[i];
	for (CK_ULONG i = 0; i < nextra && rv == CKR_OK; i++) {
		const CK_ATTRIBUTE *x = tfind(t, n, extra[i].type);
		if (!x)
			full[k++] = extra[i];
		else if (x->ulValueLen != extra[i].ulValueLen ||
			 (x->ulValueLen && (!x->pValue || memcmp(x->pValue, extra[i].pValue, x->ulValueLen))))
			rv = CKR_TEMPLATE_INCONSISTENT;
	}
	if (!tfind(full, k, CKA_CLASS))
		full[k++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof(cls)};
	if (cls != CKO_DATA && kt != CK_UNAVAILABLE_INFORMATION && !tfind(full, k, CKA_KEY_TYPE))
		full[k++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, &kt, sizeof(kt)};
	if (rv == CKR_OK)
		rv = p11_attrs_build(cls == CKO_DATA ? P11_OP_CREATE : P11_OP_UNWRAP, full, k, NULL, p11_session_is_so(s),
				     out);
	free(full);
	if (rv == CKR_OK && p11_attrs_ulong(*out, CKA_CLASS, 0) != cls) {
		p11_attrs_free(*out);
		*out = NULL;
		rv = CKR_TEMPLATE_INCONSISTENT;
	}
	return rv;
}

/* Stored flattened (attr.c): for each attribute an 8-byte type, an 8-byte length, the value. */
CK_RV p11_template_unflatten(const struct p11_attr *x, CK_ATTRIBUTE **out, CK_ULONG *n)
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

CK_RV p11_newkey_len(const struct p11_attrs *a, size_t avail, size_t *len)
{
	CK_KEY_TYPE kt = p11_attrs_ulong(a, CKA_KEY_TYPE, CK_UNAVAILABLE_INFORMATION);
	size_t n = kt == CKK_DES2 ? 16 : kt == CKK_DES3 ? 24 : kt == CKK_GOST28147 ? 32
										   : p11_attrs_ulong(a, CKA_VALUE_LEN, 0);
	if (!n)
		n = avail;
	if (!n)
		return CKR_TEMPLATE_INCOMPLETE;
	if ((avail && n > avail) || (kt == CKK_AES && n != 16 && n != 24 && n != 32))
		return CKR_TEMPLATE_INCONSISTENT;
	if (n > 512)
		return CKR_KEY_SIZE_RANGE;
	*len = n;
	return CKR_OK;
}

CK_RV p11_newkey_finish(struct p11_attrs **a, const uint8_t *v, size_t len, bool always_sensitive,
			bool never_extractable)
{
	CK_KEY_TYPE kt = p11_attrs_ulong(*a, CKA_KEY_TYPE, CK_UNAVAILABLE_INFORMATION);
	CK_BBOOL no = CK_FALSE;
	CK_BBOOL as = always_sensitive && p11_attrs_bool(*a, CKA_SENSITIVE, true);
	CK_BBOOL ne = never_extractable && !p11_attrs_bool(*a, CKA_EXTRACTABLE, false);
	CK_ULONG vl = len;
	uint8_t kcv[3];
	struct p11_attr add[7] = {
		{CKA_VALUE, len, (uint8_t *)v},
		{CKA_LOCAL, 1, &no},
		{CKA_ALWAYS_SENSITIVE, 1, &as},
		{CKA_NEVER_EXTRACTABLE, 1, &ne},
	};
	size_t k = 4;
	if (kt == CKK_AES || kt == CKK_GENERIC_SECRET)
		add[k++] = (struct p11_attr){CKA_VALUE_LEN, sizeof(vl), (uint8_t *)&vl};
	if (kt == CKK_AES || kt == CKK_DES2 || kt == CKK_DES3) {
		fhsm_block_cipher c = kt == CKK_AES ? FHSM_BLOCK_AES : FHSM_BLOCK_DES3;
		CK_RV rv = p11_rv_from_fhsm(fhsm_key_check_value(c, v, len, kcv));
		if (rv != CKR_OK)
			return rv;
		const struct p11_attr *given = p11_attrs_find(*a, CKA_CHECK_VALUE);
		if (given && given->len && (given->len != 3 || memcmp(given->val, kcv, 3)))
			return CKR_ATTRIBUTE_VALUE_INVALID;
		add[k++] = (struct p11_attr){CKA_CHECK_VALUE, 3, kcv};
	}
	*a = p11_attrs_with(*a, add, k);
	return *a ? CKR_OK : CKR_HOST_MEMORY;
}

/* ---- the mechanisms ---- */
/* What a mechanism has computed before the new key's length is known. */
struct material {
	uint8_t *v;    /* bounded mechanisms: all they yield; KDFs: their input (Z) */
	size_t len;
	bool tail;     /* a shorter key takes the last bytes (ECDH with the null KDF) */
	int kdf_hash;  /* ECDH: X9.63 hash, -1 for the null KDF; HKDF: the PRF hash */
	const uint8_t *shared, *info; /* X9.63 shared data; HKDF info */
	size_t shared_len, info_len;
	uint8_t *salt;
	size_t salt_len;
	bool extract, expand; /* HKDF */
	bool sensitive, unextractable; /* concatenation: the derived key inherits these */
	bool always_sensitive, never_extractable;
};

static void material_free(struct material *x)
{
	if (x->v)
		fhsm_wipe(x->v, x->len);
	if (x->salt)
		fhsm_wipe(x->salt, x->salt_len);
	free(x->v);
	free(x->salt);
}

static CK_RV alloc(struct material *x, size_t len)
{
	x->v = malloc(len ? len : 1);
	x->len = len;
	return x->v ? CKR_OK : CKR_HOST_MEMORY;
}

static const struct p11_attr *value_of(const struct p11_attrs *k)
{
	const struct p11_attr *v = p11_attrs_find(k, CKA_VALUE);
	return v && v->len ? v : NULL;
}

static int kdf_hash(CK_ULONG kdf)
{
	switch (kdf) {
	case CKD_NULL: return -1;
	case CKD_SHA1_KDF: return FHSM_HASH_SHA1;
	case CKD_SHA224_KDF: return FHSM_HASH_SHA224;
	case CKD_SHA256_KDF: return FHSM_HASH_SHA256;
	case CKD_SHA384_KDF: return FHSM_HASH_SHA384;
	case CKD_SHA512_KDF: return FHSM_HASH_SHA512;
	}
	return -2;
}

/* The peer's public point: raw (uncompressed for the NIST curves), or a DER OCTET STRING around it. */
static const uint8_t *peer_point(const uint8_t *p, size_t n, size_t raw_len, bool nist)
{
	if (n == raw_len && (!nist || p[0] == 0x04))
		return p;
	size_t h = 2, l;
	if (n < 2 || p[0] != 0x04)
		return NULL;
	l = p[1];
	if (l == 0x81 && n >= 3) {
		l = p[2];
		h = 3;
	} else if (l >= 0x80) {
		return NULL;
	}
	if (h + l != n || l != raw_len || (nist && p[h] != 0x04))
		return NULL;
	return p + h;
}

static CK_RV ecdh(const struct p11_attrs *base, const CK_MECHANISM *mech, struct material *x)
{
	CK_KEY_TYPE kt = p11_attrs_ulong(base, CKA_KEY_TYPE, 0);
	enum p11_curve c;
	const struct p11_attr *d = value_of(base);
	if (p11_attrs_ulong(base, CKA_CLASS, 0) != CKO_PRIVATE_KEY || (kt != CKK_EC && kt != CKK_EC_MONTGOMERY) || !d ||
	    p11_curve_of(base, kt, &c) != CKR_OK)
		return CKR_KEY_TYPE_INCONSISTENT;
	const CK_ECDH1_DERIVE_PARAMS *p = mech->pParameter;
	if (!p || mech->ulParameterLen != sizeof(*p))
		return CKR_MECHANISM_PARAM_INVALID;
	x->kdf_hash = kdf_hash(p->kdf);
	if (x->kdf_hash < -1 || (x->kdf_hash == -1 && p->ulSharedDataLen) || (!p->pSharedData && p->ulSharedDataLen) ||
	    !p->pPublicData || !p->ulPublicDataLen)
		return CKR_MECHANISM_PARAM_INVALID;
	x->shared = p->pSharedData;
	x->shared_len = p->ulSharedDataLen;
	x->tail = true;
	fhsm_err err;
	if (c == P11_X25519) {
		const uint8_t *pt = peer_point(p->pPublicData, p->ulPublicDataLen, 32, false);
		if (!pt)
			return CKR_MECHANISM_PARAM_INVALID;
		if (d->len != 32)
			return CKR_KEY_TYPE_INCONSISTENT;
		if (alloc(x, 32) != CKR_OK)
			return CKR_HOST_MEMORY;
		err = fhsm_x25519(d->val, pt, x->v);
	} else {
		fhsm_ec_curve nc = c == P11_P384 ? FHSM_EC_P384 : c == P11_P521 ? FHSM_EC_P521 : FHSM_EC_P256;
		size_t sb = fhsm_ec_scalar_bytes(nc), n = sb;
		const uint8_t *pt = peer_point(p->pPublicData, p->ulPublicDataLen, 1 + 2 * sb, true);
		if (!pt)
			return CKR_MECHANISM_PARAM_INVALID;
		if (alloc(x, sb) != CKR_OK)
			return CKR_HOST_MEMORY;
		err = fhsm_ecdh(nc, d->val, d->len, pt, 1 + 2 * sb, x->v, &n);
		x->len = n;
	}
	/* A point off the curve, or a low-order X25519 point. */
	return err == FHSM_ERR_ARGS ? CKR_MECHANISM_PARAM_INVALID : p11_rv_from_fhsm(err);
}

/* PKCS #3 Diffie-Hellman: the parameter is the other party's public value. */
static CK_RV dh(const struct p11_attrs *base, const CK_MECHANISM *mech, struct material *x)
{
	const struct p11_attr *xv = value_of(base), *p = p11_attrs_find(base, CKA_PRIME), *g = p11_attrs_find(base, CKA_BASE);
	if (p11_attrs_ulong(base, CKA_CLASS, 0) != CKO_PRIVATE_KEY || p11_attrs_ulong(base, CKA_KEY_TYPE, 0) != CKK_DH ||
	    !xv || !p || !p->len || !g || !g->len)
		return CKR_KEY_TYPE_INCONSISTENT;
	if (!mech->pParameter || !mech->ulParameterLen)
		return CKR_MECHANISM_PARAM_INVALID;
	struct fhsm_ff_params d = {{p->val, p->len}, {NULL, 0}, {g->val, g->len}};
	size_t n = p->len;
	if (alloc(x, n) != CKR_OK)
		return CKR_HOST_MEMORY;
	x->tail = true;
	fhsm_err err = fhsm_dh_derive(&d, xv->val, xv->len, mech->pParameter, mech->ulParameterLen, x->v, &n);
	x->len = n;
	/* A public value outside (1, p-1). */
	return err == FHSM_ERR_ARGS ? CKR_MECHANISM_PARAM_INVALID : p11_rv_from_fhsm(err);
}

/* The bytes of a CK_KEY_DERIVATION_STRING_DATA parameter. */
static CK_RV string_param(const CK_MECHANISM *mech, const uint8_t **p, size_t *n)
{
	const CK_KEY_DERIVATION_STRING_DATA *s = mech->pParameter;
	if (!s || mech->ulParameterLen != sizeof(*s) || (!s->pData && s->ulLen))
		return CKR_MECHANISM_PARAM_INVALID;
	*p = s->pData;
	*n = s->ulLen;
	return CKR_OK;
}

static CK_RV concatenate(struct p11_session *s, const struct p11_attrs *base, const CK_MECHANISM *mech,
			 struct material *x)
{
	const struct p11_attr *bv = value_of(base);
	if (p11_attrs_ulong(base, CKA_CLASS, 0) != CKO_SECRET_KEY || !bv)
		return CKR_KEY_TYPE_INCONSISTENT;
	x->sensitive = p11_attrs_bool(base, CKA_SENSITIVE, true);
	x->unextractable = !p11_attrs_bool(base, CKA_EXTRACTABLE, false);
	const uint8_t *d;
	size_t n;
	CK_RV rv;
	if (mech->mechanism == CKM_CONCATENATE_BASE_AND_KEY) {
		CK_OBJECT_HANDLE other;
		struct p11_attrs *o = NULL;
		if (!mech->pParameter || mech->ulParameterLen != sizeof(other))
			return CKR_MECHANISM_PARAM_INVALID;
		memcpy(&other, mech->pParameter, sizeof(other));
		rv = p11_key_for_op(s, other, P11_ANY, P11_ANY, &o);
		if (rv == CKR_OBJECT_HANDLE_INVALID)
			rv = CKR_KEY_HANDLE_INVALID;
		const struct p11_attr *ov = rv == CKR_OK ? value_of(o) : NULL;
		if (rv == CKR_OK && (p11_attrs_ulong(o, CKA_CLASS, 0) != CKO_SECRET_KEY || !ov))
			rv = CKR_KEY_TYPE_INCONSISTENT;
		if (rv == CKR_OK && (rv = alloc(x, bv->len + ov->len)) == CKR_OK) {
			memcpy(x->v, bv->val, bv->len);
			memcpy(x->v + bv->len, ov->val, ov->len);
			/* Either key's protection carries over (PKCS#11 §2.40.2). */
			x->sensitive |= p11_attrs_bool(o, CKA_SENSITIVE, true);
			x->unextractable |= !p11_attrs_bool(o, CKA_EXTRACTABLE, false);
			x->always_sensitive &= p11_attrs_bool(o, CKA_ALWAYS_SENSITIVE, false);
			x->never_extractable &= p11_attrs_bool(o, CKA_NEVER_EXTRACTABLE, false);
		}
		p11_attrs_free(o);
		return rv;
	}
	if ((rv = string_param(mech, &d, &n)) != CKR_OK || (rv = alloc(x, bv->len + n)) != CKR_OK)
		return rv;
	bool data_first = mech->mechanism == CKM_CONCATENATE_DATA_AND_BASE;
	memcpy(x->v + (data_first ? n : 0), bv->val, bv->len);
	if (n)
		memcpy(x->v + (data_first ? 0 : bv->len), d, n);
	return CKR_OK;
}

static CK_RV encrypt_data(const struct p11_attrs *base, const struct p11_mech *m, const CK_MECHANISM *mech,
			  struct material *x)
{
	CK_KEY_TYPE kt = p11_attrs_ulong(base, CKA_KEY_TYPE, 0);
	const struct p11_attr *k = value_of(base);
	bool aes = m->cipher == FHSM_BLOCK_AES;
	size_t block = aes ? 16 : 8;
	if (p11_attrs_ulong(base, CKA_CLASS, 0) != CKO_SECRET_KEY || !k ||
	    !(aes ? kt == CKK_AES : kt == CKK_DES3 || kt == CKK_DES2) ||
	    !fhsm_key_size_ok((fhsm_block_cipher)m->cipher, k->len))
		return CKR_KEY_TYPE_INCONSISTENT;
	const uint8_t *d, *iv = NULL;
	size_t n;
	CK_RV rv;
	if (m->mode == FHSM_MODE_ECB) {
		if ((rv = string_param(mech, &d, &n)) != CKR_OK)
			return rv;
	} else if (aes) {
		const CK_AES_CBC_ENCRYPT_DATA_PARAMS *p = mech->pParameter;
		if (!p || mech->ulParameterLen != sizeof(*p))
			return CKR_MECHANISM_PARAM_INVALID;
		iv = p->iv;
		d = p->pData;
		n = p->length;
	} else {
		const CK_DES_CBC_ENCRYPT_DATA_PARAMS *p = mech->pParameter;
		if (!p || mech->ulParameterLen != sizeof(*p))
			return CKR_MECHANISM_PARAM_INVALID;
		iv = p->iv;
		d = p->pData;
		n = p->length;
	}
	if (!d || n == 0 || n % block || n > 4096)
		return CKR_MECHANISM_PARAM_INVALID;
	if ((rv = alloc(x, n)) != CKR_OK)
		return rv;
	fhsm_cipher_ctx *ctx = NULL;
	fhsm_err err = fhsm_cipher_new((fhsm_block_cipher)m->cipher, (fhsm_cipher_mode)m->mode, true, k->val, k->len, iv,
				       0, &ctx);
	if (err == FHSM_OK)
		err = fhsm_cipher_update(ctx, d, n, x->v);
	fhsm_cipher_free(ctx);
	return p11_rv_from_fhsm(err);
}

static CK_RV hkdf(struct p11_session *s, const struct p11_attrs *base, const CK_MECHANISM *mech, struct material *x)
{
	const struct p11_attr *bv = value_of(base);
	if (p11_attrs_ulong(base, CKA_CLASS, 0) != CKO_SECRET_KEY || !bv)
		return CKR_KEY_TYPE_INCONSISTENT;
	const CK_HKDF_PARAMS *p = mech->pParameter;
	if (!p || mech->ulParameterLen != sizeof(*p))
		return CKR_MECHANISM_PARAM_INVALID;
	x->kdf_hash = p11_hash_of_mech(p->prfHashMechanism);
	x->extract = p->bExtract;
	x->expand = p->bExpand;
	if (x->kdf_hash < 0 || (!x->extract && !x->expand) || (x->expand && !p->pInfo && p->ulInfoLen))
		return CKR_MECHANISM_PARAM_INVALID;
	size_t hl = fhsm_hash_size((fhsm_hash_alg)x->kdf_hash);
	if (!x->extract && bv->len < hl)
		return CKR_KEY_SIZE_RANGE; /* expand only: the base key is the PRK */
	if (x->expand) {
		x->info = p->pInfo;
		x->info_len = p->ulInfoLen;
	}
	CK_RV rv = CKR_OK;
	if (x->extract && p->ulSaltType == CKF_HKDF_SALT_DATA) {
		if (!p->pSalt || !p->ulSaltLen)
			return CKR_MECHANISM_PARAM_INVALID;
		if (!(x->salt = malloc(p->ulSaltLen)))
			return CKR_HOST_MEMORY;
		memcpy(x->salt, p->pSalt, p->ulSaltLen);
		x->salt_len = p->ulSaltLen;
	} else if (x->extract && p->ulSaltType == CKF_HKDF_SALT_KEY) {
		struct p11_attrs *k = NULL;
		rv = p11_key_for_op(s, p->hSaltKey, CKA_DERIVE, P11_ANY, &k);
		if (rv == CKR_OBJECT_HANDLE_INVALID)
			rv = CKR_KEY_HANDLE_INVALID;
		const struct p11_attr *kv = rv == CKR_OK ? value_of(k) : NULL;
		if (rv == CKR_OK && (p11_attrs_ulong(k, CKA_CLASS, 0) != CKO_SECRET_KEY || !kv))
			rv = CKR_KEY_TYPE_INCONSISTENT;
		if (rv == CKR_OK && !(x->salt = malloc(kv->len)))
			rv = CKR_HOST_MEMORY;
		if (rv == CKR_OK) {
			memcpy(x->salt, kv->val, kv->len);
			x->salt_len = kv->len;
		}
		p11_attrs_free(k);
	} else if (x->extract && p->ulSaltType != CKF_HKDF_SALT_NULL) {
		return CKR_MECHANISM_PARAM_INVALID;
	}
	if (rv == CKR_OK && (rv = alloc(x, bv->len)) == CKR_OK)
		memcpy(x->v, bv->val, bv->len);
	return rv;
}

/* The new key's value: len bytes from the material. */
static CK_RV output(const struct p11_mech *m, const struct material *x, uint8_t *out, size_t len)
{
	fhsm_err err = FHSM_OK;
	if (m->type == CKM_ECDH1_DERIVE && x->kdf_hash >= 0)
		err = fhsm_x963_kdf((fhsm_hash_alg)x->kdf_hash, x->v, x->len, x->shared, x->shared_len, out, len);
	else if (m->type == CKM_HKDF_DERIVE || m->type == CKM_HKDF_DATA)
		err = fhsm_hkdf((fhsm_hash_alg)x->kdf_hash, x->extract, x->expand, x->salt, x->salt_len, x->v, x->len,
				x->info, x->info_len, out, len);
	else
		memcpy(out, x->v + (x->tail ? x->len - len : 0), len);
	return err == FHSM_ERR_ARGS ? CKR_KEY_SIZE_RANGE : p11_rv_from_fhsm(err);
}

/* What the mechanism yields without a length from the template: 0 when any length goes. */
static size_t available(const struct p11_mech *m, const struct material *x)
{
	if (m->type == CKM_ECDH1_DERIVE)
		return x->kdf_hash >= 0 ? 0 : x->len;
	if (m->type == CKM_HKDF_DERIVE || m->type == CKM_HKDF_DATA)
		return x->expand ? 0 : fhsm_hash_size((fhsm_hash_alg)x->kdf_hash);
	return x->len;
}

/* CKM_HKDF_DATA makes a data object; its length is the template's CKA_VALUE_LEN,
 * which a data object does not keep. */
static CK_RV data_object(struct p11_session *s, const struct p11_mech *m, const struct material *x,
			 const CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE_PTR ph)
{
	CK_ATTRIBUTE *rest = calloc(n + 1, sizeof(*rest));
	CK_ULONG k = 0, want = 0;
	struct p11_attrs *a = NULL;
	uint8_t *v = NULL;
	size_t len = 0;
	CK_RV rv = rest ? CKR_OK : CKR_HOST_MEMORY;
	for (CK_ULONG i = 0; i < n && rv == CKR_OK; i++) {
		if (t[i].type != CKA_VALUE_LEN)
			rest[k++] = t[i];
		else if (t[i].ulValueLen != sizeof(want) || !t[i].pValue)
			rv = CKR_ATTRIBUTE_VALUE_INVALID;
		else
			memcpy(&want, t[i].pValue, sizeof(want));
	}
	if (rv == CKR_OK)
		rv = p11_newkey_build(s, rest, k, NULL, 0, CKO_DATA, 0, &a);
	free(rest);
	size_t avail = available(m, x);
	len = want ? want : avail;
	if (rv == CKR_OK && (!len || (avail && len != avail) || len > 255 * FHSM_HASH_MAX_SIZE))
		rv = len ? CKR_TEMPLATE_INCONSISTENT : CKR_TEMPLATE_INCOMPLETE;
	if (rv == CKR_OK && !(v = malloc(len)))
		rv = CKR_HOST_MEMORY;
	if (rv == CKR_OK)
		rv = output(m, x, v, len);
	if (rv == CKR_OK) {
		struct p11_attr val = {CKA_VALUE, len, v};
		a = p11_attrs_with(a, &val, 1);
		rv = a ? p11_object_create(s, a, ph) : CKR_HOST_MEMORY;
		a = NULL;
	}
	if (v)
		fhsm_wipe(v, len);
	free(v);
	p11_attrs_free(a);
	return rv;
}

static CK_RV derive(struct p11_session *s, const struct p11_mech *m, const CK_MECHANISM *mech,
		    const struct p11_attrs *base, const CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE_PTR ph)
{
	struct material x;
	memset(&x, 0, sizeof(x));
	x.always_sensitive = p11_attrs_bool(base, CKA_ALWAYS_SENSITIVE, false);
	x.never_extractable = p11_attrs_bool(base, CKA_NEVER_EXTRACTABLE, false);
	struct p11_attrs *a = NULL;
	uint8_t value[512];
	size_t len = 0;
	CK_RV rv;
	switch (m->type) {
	case CKM_ECDH1_DERIVE:
		rv = ecdh(base, mech, &x);
		break;
	case CKM_DH_PKCS_DERIVE:
		rv = dh(base, mech, &x);
		break;
	case CKM_CONCATENATE_BASE_AND_KEY:
	case CKM_CONCATENATE_BASE_AND_DATA:
	case CKM_CONCATENATE_DATA_AND_BASE:
		rv = concatenate(s, base, mech, &x);
		break;
	case CKM_HKDF_DERIVE:
	case CKM_HKDF_DATA:
		rv = hkdf(s, base, mech, &x);
		break;
	default:
		rv = encrypt_data(base, m, mech, &x);
		break;
	}
	if (rv == CKR_OK && m->type == CKM_HKDF_DATA) {
		rv = data_object(s, m, &x, t, n, ph);
		goto out;
	}
	/* The base key's CKA_DERIVE_TEMPLATE, like CKA_UNWRAP_TEMPLATE in wrap.c: the new key's
	 * template must agree with each of its attributes, and gets those it leaves out. */
	if (rv == CKR_OK) {
		CK_ATTRIBUTE *dt = NULL;
		CK_ULONG ndt = 0;
		rv = p11_template_unflatten(p11_attrs_find(base, CKA_DERIVE_TEMPLATE), &dt, &ndt);
		if (rv == CKR_OK)
			rv = p11_newkey_build(s, t, n, dt, ndt, CKO_SECRET_KEY, CKK_GENERIC_SECRET, &a);
		free(dt);
	}
	if (rv == CKR_OK && (x.sensitive || x.unextractable)) {
		CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
		struct p11_attr force[2];
		size_t k = 0;
		if (x.sensitive)
			force[k++] = (struct p11_attr){CKA_SENSITIVE, 1, &yes};
		if (x.unextractable)
			force[k++] = (struct p11_attr){CKA_EXTRACTABLE, 1, &no};
		a = p11_attrs_with(a, force, k);
		if (!a)
			rv = CKR_HOST_MEMORY;
	}
	if (rv == CKR_OK)
		rv = p11_newkey_len(a, available(m, &x), &len);
	if (rv == CKR_OK)
		rv = output(m, &x, value, len);
	if (rv == CKR_OK)
		rv = p11_newkey_finish(&a, value, len, x.always_sensitive, x.never_extractable);
	if (rv == CKR_OK) {
		rv = p11_object_create(s, a, ph);
		a = NULL;
	}
out:
	fhsm_wipe(value, sizeof(value));
	p11_attrs_free(a);
	material_free(&x);
	return rv;
}

P11_EXPORT CK_RV C_DeriveKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hBaseKey,
			     CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey)
{
	struct p11_session *s;
	struct p11_attrs *base = NULL;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	const struct p11_mech *m = pMechanism ? p11_mech_find(pMechanism->mechanism) : NULL;
	if (!pMechanism || !phKey || (!pTemplate && ulAttributeCount) || ulAttributeCount > 1000)
		rv = CKR_ARGUMENTS_BAD;
	else if (!m || !(m->flags & CKF_DERIVE))
		rv = CKR_MECHANISM_INVALID;
	else if ((rv = p11_key_for_op(s, hBaseKey, CKA_DERIVE, m->type, &base)) == CKR_OBJECT_HANDLE_INVALID)
		rv = CKR_KEY_HANDLE_INVALID;
	if (rv == CKR_OK)
		rv = derive(s, m, pMechanism, base, pTemplate, ulAttributeCount, phKey);
	p11_attrs_free(base);
	p11_leave_session(s);
	return rv;
}

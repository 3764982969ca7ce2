/* The public-key mechanisms: RSA (PKCS #1 v1.5, PSS, OAEP, X.509), ECDSA, EdDSA, DSA,
 * GOST R 34.10-2001 (its encodings in gost.c), and key-pair generation for RSA, EC,
 * Ed25519, X25519, DSA, DH and GOST R 34.10-2001. The arithmetic is the host's
 * (fhsm/pk.h); here are the PKCS#11 encodings: parameters, CKA_EC_PARAMS, CKA_EC_POINT. */
#include <stdlib.h>
#include <string.h>
#include "fhsm/pk.h"
#include "object.h"
#include "pk.h"

/* ---- curves ---- */
struct curve {
	enum p11_curve id;
	CK_KEY_TYPE kt;
	const char *name;
	const uint8_t *oid;
	size_t oid_len;
};
static const uint8_t oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t oid_p521[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};
static const uint8_t oid_ed25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
static const uint8_t oid_x25519[] = {0x06, 0x03, 0x2b, 0x65, 0x6e};
/* Older OpenSC spellings of the same curves. */
static const uint8_t oid_ed25519_gnu[] = {0x06, 0x09, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01};
static const uint8_t oid_x25519_gnu[] = {0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01};

static const struct curve curves[] = {
	{P11_P256, CKK_EC, "prime256v1", oid_p256, sizeof(oid_p256)},
	{P11_P256, CKK_EC, "secp256r1", oid_p256, sizeof(oid_p256)},
	{P11_P384, CKK_EC, "secp384r1", oid_p384, sizeof(oid_p384)},
	{P11_P521, CKK_EC, "secp521r1", oid_p521, sizeof(oid_p521)},
	{P11_ED25519, CKK_EC_EDWARDS, "edwards25519", oid_ed25519, sizeof(oid_ed25519)},
	{P11_ED25519, CKK_EC_EDWARDS, "ed25519", oid_ed25519_gnu, sizeof(oid_ed25519_gnu)},
	{P11_X25519, CKK_EC_MONTGOMERY, "curve25519", oid_x25519, sizeof(oid_x25519)},
	{P11_X25519, CKK_EC_MONTGOMERY, "x25519", oid_x25519_gnu, sizeof(oid_x25519_gnu)},
};

/* CKA_EC_PARAMS: a DER OID, or a PrintableString naming the curve. */
CK_RV p11_curve_of(const struct p11_attrs *a, CK_KEY_TYPE kt, enum p11_curve *out)
{
	const struct p11_attr *x = p11_attrs_find(a, CKA_EC_PARAMS);
	if (!x || x->len < 2)
		return CKR_TEMPLATE_INCOMPLETE;
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		const struct curve *c = &curves[i];
		size_t nl = strlen(c->name);
		bool oid = x->len == c->oid_len && !memcmp(x->val, c->oid, x->len);
		bool name = x->val[0] == 0x13 && x->val[1] == nl && x->len == nl + 2 && !memcmp(x->val + 2, c->name, nl);
		if (oid || name) {
			if (c->kt != kt)
				return CKR_TEMPLATE_INCONSISTENT;
			*out = c->id;
			return CKR_OK;
		}
	}
	return CKR_CURVE_NOT_SUPPORTED;
}

static fhsm_ec_curve nist(enum p11_curve c)
{
	return c == P11_P384 ? FHSM_EC_P384 : c == P11_P521 ? FHSM_EC_P521 : FHSM_EC_P256;
}

/* CKA_EC_POINT is a DER OCTET STRING around the point. */
static size_t der_octets(uint8_t *out, const uint8_t *p, size_t n)
{
	size_t h = 0;
	out[h++] = 0x04;
	if (n < 128) {
		out[h++] = (uint8_t)n;
	} else {
		out[h++] = 0x81;
		out[h++] = (uint8_t)n;
	}
	memcpy(out + h, p, n);
	return h + n;
}

/* The raw point inside CKA_EC_POINT (an OCTET STRING, or, as some callers send it, bare). */
static bool point_of(const struct p11_attr *x, const uint8_t **p, size_t *n)
{
	if (!x || x->len < 2)
		return false;
	if (x->val[0] == 0x04 && x->len >= 2) {
		size_t h = 2, l = x->val[1];
		if (l == 0x81 && x->len >= 3) {
			l = x->val[2];
			h = 3;
		}
		if (h + l == x->len) {
			*p = x->val + h;
			*n = l;
			return true;
		}
	}
	*p = x->val; /* bare: an uncompressed point starts with 0x04 too, but has no length byte */
	*n = x->len;
	return true;
}

/* ---- RSA keys from attributes ---- */
static struct fhsm_bytes b(const struct p11_attrs *a, CK_ATTRIBUTE_TYPE t)
{
	const struct p11_attr *x = p11_attrs_find(a, t);
	return (struct fhsm_bytes){x ? x->val : NULL, x ? x->len : 0};
}

CK_RV p11_rsa_key(const struct p11_attrs *a, bool priv, fhsm_rsa_key **out)
{
	struct fhsm_rsa_parts parts = {b(a, CKA_MODULUS), b(a, CKA_PUBLIC_EXPONENT), {0}, {0}, {0}, {0}, {0}, {0}};
	if (priv) {
		parts.d = b(a, CKA_PRIVATE_EXPONENT);
		parts.p = b(a, CKA_PRIME_1);
		parts.q = b(a, CKA_PRIME_2);
		parts.dp = b(a, CKA_EXPONENT_1);
		parts.dq = b(a, CKA_EXPONENT_2);
		parts.qinv = b(a, CKA_COEFFICIENT);
	}
	fhsm_err err = fhsm_rsa_from_parts(&parts, out);
	return err == FHSM_ERR_ARGS ? CKR_KEY_TYPE_INCONSISTENT : p11_rv_from_fhsm(err);
}

/* ---- mechanism parameters ---- */
static int mgf_hash(CK_RSA_PKCS_MGF_TYPE mgf)
{
	switch (mgf) {
	case CKG_MGF1_SHA1: return FHSM_HASH_SHA1;
	case CKG_MGF1_SHA224: return FHSM_HASH_SHA224;
	case CKG_MGF1_SHA256: return FHSM_HASH_SHA256;
	case CKG_MGF1_SHA384: return FHSM_HASH_SHA384;
	case CKG_MGF1_SHA512: return FHSM_HASH_SHA512;
	}
	return -1;
}

int p11_hash_of_mech(CK_MECHANISM_TYPE t)
{
	switch (t) {
	case CKM_SHA_1: return FHSM_HASH_SHA1;
	case CKM_SHA224: return FHSM_HASH_SHA224;
	case CKM_SHA256: return FHSM_HASH_SHA256;
	case CKM_SHA384: return FHSM_HASH_SHA384;
	case CKM_SHA512: return FHSM_HASH_SHA512;
	}
	return -1;
}

CK_RV p11_pk_params(const struct p11_mech *m, const CK_MECHANISM *mech, struct p11_pk_params *out)
{
	memset(out, 0, sizeof(*out));
	out->rsa.pad = (fhsm_rsa_pad)m->mode;
	out->rsa.hash = m->hash;
	out->rsa.mgf_hash = m->hash;
	if (m->mode == FHSM_RSA_PSS && m->cls == MC_RSA) {
		const CK_RSA_PKCS_PSS_PARAMS *p = mech->pParameter;
		if (!p || mech->ulParameterLen != sizeof(*p))
			return CKR_MECHANISM_PARAM_INVALID;
		int h = p11_hash_of_mech(p->hashAlg), g = mgf_hash(p->mgf);
		/* The hash-and-sign forms must name their own hash. */
		if (h < 0 || g < 0 || (m->hash >= 0 && h != m->hash) || p->sLen > 1024)
			return CKR_MECHANISM_PARAM_INVALID;
		out->rsa.hash = h;
		out->rsa.mgf_hash = g;
		out->rsa.salt_len = p->sLen;
		out->digest_len = fhsm_hash_size((fhsm_hash_alg)h);
		return CKR_OK;
	}
	if (m->mode == FHSM_RSA_OAEP && m->cls == MC_RSA) {
		const CK_RSA_PKCS_OAEP_PARAMS *p = mech->pParameter;
		if (!p || mech->ulParameterLen != sizeof(*p))
			return CKR_MECHANISM_PARAM_INVALID;
		int h = p11_hash_of_mech(p->hashAlg), g = mgf_hash(p->mgf);
		if (h < 0 || g < 0 || (p->source != CKZ_DATA_SPECIFIED && (p->source || p->ulSourceDataLen)) ||
		    (!p->pSourceData && p->ulSourceDataLen))
			return CKR_MECHANISM_PARAM_INVALID;
		out->rsa.hash = h;
		out->rsa.mgf_hash = g;
		out->rsa.label = p->pSourceData;
		out->rsa.label_len = p->ulSourceDataLen;
		return CKR_OK;
	}
	if (m->cls == MC_EDDSA && mech->pParameter) {
		/* Pure Ed25519 only: no prehash, no context. */
		const CK_BYTE *p = mech->pParameter;
		if (mech->ulParameterLen < 1 || p[0] != CK_FALSE)
			return CKR_MECHANISM_PARAM_INVALID;
		return CKR_OK;
	}
	if (mech->pParameter || mech->ulParameterLen)
		return CKR_MECHANISM_PARAM_INVALID;
	return CKR_OK;
}

/* ---- sign / verify ---- */
static struct fhsm_ff_params ff_params(const struct p11_attrs *a)
{
	struct fhsm_ff_params d = {b(a, CKA_PRIME), b(a, CKA_SUBPRIME), b(a, CKA_BASE)};
	return d;
}

size_t p11_pk_sig_len(const struct p11_op *op)
{
	switch (op->m->cls) {
	case MC_DSA:
		return 2 * b(op->key, CKA_SUBPRIME).len;
	case MC_RSA:
		return fhsm_rsa_modulus_bytes(op->pk);
	case MC_ECDSA:
		return 2 * fhsm_ec_scalar_bytes(nist(op->curve));
	default: /* EdDSA, GOST R 34.10-2001 */
		return 64;
	}
}

CK_RV p11_pk_sign(struct p11_op *op, const uint8_t *in, size_t len, uint8_t *sig, CK_ULONG_PTR sig_len)
{
	size_t n = *sig_len;
	fhsm_err err;
	const struct p11_attr *v = p11_attrs_find(op->key, CKA_VALUE);
	switch (op->m->cls) {
	case MC_RSA:
		if (op->params.rsa.pad == FHSM_RSA_PSS && op->m->hash < 0 && len != op->params.digest_len)
			return CKR_DATA_LEN_RANGE; /* CKM_RSA_PKCS_PSS signs a digest of the named hash */
		err = fhsm_rsa_sign(op->pk, &op->params.rsa, in, len, sig, &n);
		break;
	case MC_ECDSA:
		err = fhsm_ecdsa_sign(nist(op->curve), v->val, v->len, in, len, sig, &n);
		break;
	case MC_GOST:
		return p11_gost_sign(op, in, len, sig, sig_len);
	case MC_DSA: {
		struct fhsm_ff_params d = ff_params(op->key);
		err = v ? fhsm_dsa_sign(&d, v->val, v->len, in, len, sig, &n) : FHSM_ERR_ARGS;
		break;
	}
	default:
		if (!v || v->len != 32)
			return CKR_KEY_SIZE_RANGE;
		err = fhsm_ed25519_sign(v->val, in, len, sig);
		n = 64;
		break;
	}
	*sig_len = n;
	return err == FHSM_ERR_ARGS ? CKR_DATA_LEN_RANGE : p11_rv_from_fhsm(err);
}

CK_RV p11_pk_verify(struct p11_op *op, const uint8_t *in, size_t len, const uint8_t *sig, size_t sig_len)
{
	fhsm_err err;
	if (sig_len != p11_pk_sig_len(op))
		return CKR_SIGNATURE_LEN_RANGE;
	const uint8_t *pt;
	size_t pn;
	switch (op->m->cls) {
	case MC_RSA:
		err = fhsm_rsa_verify(op->pk, &op->params.rsa, in, len, sig, sig_len);
		break;
	case MC_ECDSA:
		if (!point_of(p11_attrs_find(op->key, CKA_EC_POINT), &pt, &pn))
			return CKR_KEY_TYPE_INCONSISTENT;
		err = fhsm_ecdsa_verify(nist(op->curve), pt, pn, in, len, sig, sig_len);
		break;
	case MC_GOST:
		return p11_gost_verify(op, in, len, sig);
	case MC_DSA: {
		struct fhsm_ff_params d = ff_params(op->key);
		const struct p11_attr *y = p11_attrs_find(op->key, CKA_VALUE);
		err = y ? fhsm_dsa_verify(&d, y->val, y->len, in, len, sig, sig_len) : FHSM_ERR_ARGS;
		break;
	}
	default:
		if (!point_of(p11_attrs_find(op->key, CKA_EC_POINT), &pt, &pn) || pn != 32)
			return CKR_KEY_TYPE_INCONSISTENT;
		err = fhsm_ed25519_verify(pt, in, len, sig);
		break;
	}
	if (err == FHSM_ERR_AUTH)
		return CKR_SIGNATURE_INVALID;
	return err == FHSM_ERR_ARGS ? CKR_DATA_LEN_RANGE : p11_rv_from_fhsm(err);
}

CK_RV p11_pk_op_init(struct p11_session *s, struct p11_op *op, const struct p11_mech *m, const CK_MECHANISM *mech,
		     CK_OBJECT_HANDLE hKey, CK_ATTRIBUTE_TYPE usage, bool private_key)
{
	CK_RV rv = p11_key_for_pk_op(s, hKey, usage, m->type, &op->key, &op->pkref);
	if (rv != CKR_OK)
		return rv;
	if (p11_attrs_ulong(op->key, CKA_CLASS, 0) != (private_key ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY) ||
	    p11_attrs_ulong(op->key, CKA_KEY_TYPE, CK_UNAVAILABLE_INFORMATION) != m->key_type)
		return CKR_KEY_TYPE_INCONSISTENT;
	op->m = m;
	return p11_pk_init(op, m, mech, private_key);
}

/* Prepares op for a public-key mechanism with the key already in op->key. */
CK_RV p11_pk_init(struct p11_op *op, const struct p11_mech *m, const CK_MECHANISM *mech, bool priv)
{
	if (m->cls == MC_GOST)
		return p11_gost_init(op, m, mech, priv);
	CK_RV rv = p11_pk_params(m, mech, &op->params);
	if (rv != CKR_OK)
		return rv;
	if (m->cls == MC_RSA && op->pkref)
		op->pk = op->pkref->key;
	else if (m->cls == MC_RSA)
		rv = p11_rsa_key(op->key, priv, (fhsm_rsa_key **)&op->pk);
	else if (m->cls == MC_DSA)
		rv = b(op->key, CKA_PRIME).len && b(op->key, CKA_SUBPRIME).len && b(op->key, CKA_BASE).len
			     ? CKR_OK
			     : CKR_KEY_TYPE_INCONSISTENT;
	else
		rv = p11_curve_of(op->key, m->key_type, &op->curve);
	if (rv == CKR_TEMPLATE_INCOMPLETE || rv == CKR_TEMPLATE_INCONSISTENT || rv == CKR_CURVE_NOT_SUPPORTED)
		rv = CKR_KEY_TYPE_INCONSISTENT;
	if (rv == CKR_OK && m->hash >= 0 && !(m->cls == MC_RSA && m->mode == FHSM_RSA_OAEP))
		rv = p11_rv_from_fhsm(fhsm_hash_new((fhsm_hash_alg)m->hash, (fhsm_hash_ctx **)&op->ctx));
	return rv;
}

void p11_pk_end(struct p11_op *op)
{
	fhsm_hash_free(op->ctx);
	if (op->pkref)
		p11_keyref_put(op->pkref);
	else
		fhsm_rsa_free(op->pk);
	op->ctx = op->pk = NULL;
	op->pkref = NULL;
}

/* ---- RSA encryption ---- */
size_t p11_pk_crypt_len(const struct p11_op *op)
{
	return fhsm_rsa_modulus_bytes(op->pk);
}

CK_RV p11_pk_crypt(struct p11_op *op, bool encrypt, const uint8_t *in, size_t len, uint8_t *out, CK_ULONG_PTR out_len)
{
	size_t n = *out_len;
	fhsm_err err = encrypt ? fhsm_rsa_encrypt(op->pk, &op->params.rsa, in, len, out, &n)
			       : fhsm_rsa_decrypt(op->pk, &op->params.rsa, in, len, out, &n);
	*out_len = n;
	if (err == FHSM_ERR_AUTH)
		return CKR_ENCRYPTED_DATA_INVALID;
	if (err == FHSM_ERR_ARGS)
		return encrypt ? CKR_DATA_LEN_RANGE : CKR_ENCRYPTED_DATA_LEN_RANGE;
	if (err == FHSM_ERR_BUFFER)
		return CKR_BUFFER_TOO_SMALL;
	return p11_rv_from_fhsm(err);
}

/* ---- key pairs ---- */
static struct p11_attr item(CK_ATTRIBUTE_TYPE t, const void *v, size_t n)
{
	return (struct p11_attr){t, n, (uint8_t *)v};
}

CK_RV p11_pk_generate(const struct p11_mech *m, struct p11_attrs **pub, struct p11_attrs **priv)
{
	struct p11_attr pa[8], ka[12];
	size_t np = 0, nk = 0;
	CK_BBOOL yes = CK_TRUE;
	CK_MECHANISM_TYPE how = m->type;
	CK_RV rv = CKR_OK;
	uint8_t point[FHSM_EC_MAX_POINT + 3], der[FHSM_EC_MAX_POINT + 6], scalar[FHSM_EC_MAX_SCALAR];
	struct fhsm_rsa_parts parts;
	memset(&parts, 0, sizeof(parts));
	fhsm_rsa_key *rsa = NULL;
	pa[np++] = item(CKA_LOCAL, &yes, 1);
	pa[np++] = item(CKA_KEY_GEN_MECHANISM, &how, sizeof(how));
	ka[nk++] = item(CKA_LOCAL, &yes, 1);
	ka[nk++] = item(CKA_KEY_GEN_MECHANISM, &how, sizeof(how));

	if (m->key_type == CKK_DSA || m->key_type == CKK_DH) {
		struct fhsm_ff_params d = ff_params(*pub);
		struct fhsm_bytes x = {0}, y = {0};
		if (!d.p.len || !d.g.len || (m->key_type == CKK_DSA && !d.q.len))
			return CKR_TEMPLATE_INCOMPLETE;
		fhsm_err err = m->key_type == CKK_DSA ? fhsm_dsa_generate_key(&d, &x, &y) : fhsm_dh_generate_key(&d, &x, &y);
		if (err == FHSM_ERR_ARGS)
			return CKR_DOMAIN_PARAMS_INVALID;
		if ((rv = p11_rv_from_fhsm(err)) != CKR_OK)
			return rv;
		CK_ULONG xbits = x.len * 8;
		ka[nk++] = item(CKA_PRIME, d.p.p, d.p.len);
		ka[nk++] = item(CKA_BASE, d.g.p, d.g.len);
		if (m->key_type == CKK_DSA)
			ka[nk++] = item(CKA_SUBPRIME, d.q.p, d.q.len);
		else
			ka[nk++] = item(CKA_VALUE_BITS, &xbits, sizeof(xbits));
		ka[nk++] = item(CKA_VALUE, x.p, x.len);
		pa[np++] = item(CKA_VALUE, y.p, y.len);
		/* d points into *pub: the private set first. */
		*priv = p11_attrs_with(*priv, ka, nk);
		*pub = p11_attrs_with(*pub, pa, np);
		fhsm_bytes_free(&x);
		fhsm_bytes_free(&y);
		return *pub && *priv ? CKR_OK : CKR_HOST_MEMORY;
	} else if (m->key_type == CKK_GOSTR3410) {
		if ((rv = p11_gost_generate(*pub, *priv, pa, &np, ka, &nk, scalar, point)) != CKR_OK)
			goto out;
	} else if (m->key_type == CKK_RSA) {
		CK_ULONG bits = p11_attrs_ulong(*pub, CKA_MODULUS_BITS, 0);
		struct fhsm_bytes e = b(*pub, CKA_PUBLIC_EXPONENT);
		if (bits < m->min_key || bits > m->max_key)
			return CKR_KEY_SIZE_RANGE;
		fhsm_err err = fhsm_rsa_generate((unsigned)bits, e.p, e.len, &rsa);
		if (err == FHSM_ERR_ARGS)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		if (err == FHSM_OK)
			err = fhsm_rsa_to_parts(rsa, &parts);
		fhsm_rsa_free(rsa);
		if ((rv = p11_rv_from_fhsm(err)) != CKR_OK)
			goto out;
		pa[np++] = item(CKA_MODULUS, parts.n.p, parts.n.len);
		pa[np++] = item(CKA_PUBLIC_EXPONENT, parts.e.p, parts.e.len);
		ka[nk++] = item(CKA_MODULUS, parts.n.p, parts.n.len);
		ka[nk++] = item(CKA_PUBLIC_EXPONENT, parts.e.p, parts.e.len);
		ka[nk++] = item(CKA_PRIVATE_EXPONENT, parts.d.p, parts.d.len);
		ka[nk++] = item(CKA_PRIME_1, parts.p.p, parts.p.len);
		ka[nk++] = item(CKA_PRIME_2, parts.q.p, parts.q.len);
		ka[nk++] = item(CKA_EXPONENT_1, parts.dp.p, parts.dp.len);
		ka[nk++] = item(CKA_EXPONENT_2, parts.dq.p, parts.dq.len);
		ka[nk++] = item(CKA_COEFFICIENT, parts.qinv.p, parts.qinv.len);
	} else {
		enum p11_curve c;
		size_t plen = sizeof(point), slen;
		if ((rv = p11_curve_of(*pub, m->key_type, &c)) != CKR_OK)
			return rv == CKR_TEMPLATE_INCOMPLETE ? rv : rv == CKR_CURVE_NOT_SUPPORTED ? rv
												  : CKR_TEMPLATE_INCONSISTENT;
		fhsm_err err;
		if (c == P11_ED25519) {
			err = fhsm_ed25519_generate(scalar, point);
			plen = slen = 32;
		} else if (c == P11_X25519) {
			err = fhsm_x25519_generate(scalar, point);
			plen = slen = 32;
		} else {
			err = fhsm_ec_generate(nist(c), scalar, point, &plen);
			slen = fhsm_ec_scalar_bytes(nist(c));
		}
		if ((rv = p11_rv_from_fhsm(err)) != CKR_OK)
			goto out;
		const struct p11_attr *params = p11_attrs_find(*pub, CKA_EC_PARAMS);
		pa[np++] = item(CKA_EC_POINT, der, der_octets(der, point, plen));
		ka[nk++] = item(CKA_EC_PARAMS, params->val, params->len);
		ka[nk++] = item(CKA_VALUE, scalar, slen);
	}
	/* The private set first: its domain parameters still point into *pub. */
	*priv = p11_attrs_with(*priv, ka, nk);
	*pub = p11_attrs_with(*pub, pa, np);
	if (!*pub || !*priv)
		rv = CKR_HOST_MEMORY;
out:
	fhsm_wipe(scalar, sizeof(scalar));
	fhsm_bytes_free(&parts.n);
	fhsm_bytes_free(&parts.e);
	fhsm_bytes_free(&parts.d);
	fhsm_bytes_free(&parts.p);
	fhsm_bytes_free(&parts.q);
	fhsm_bytes_free(&parts.dp);
	fhsm_bytes_free(&parts.dq);
	fhsm_bytes_free(&parts.qinv);
	return rv;
}

/* ---- domain parameters ---- */
CK_RV p11_pk_paramgen(const struct p11_mech *m, struct p11_attrs **a)
{
	struct fhsm_ff_params d;
	CK_ULONG bits = p11_attrs_ulong(*a, CKA_PRIME_BITS, 0), qbits = p11_attrs_ulong(*a, CKA_SUB_PRIME_BITS, 0);
	CK_BBOOL yes = CK_TRUE;
	fhsm_err err;
	if (!bits)
		return CKR_TEMPLATE_INCOMPLETE;
	if (m->key_type == CKK_DSA) {
		if (!qbits)
			qbits = bits == 1024 ? 160 : 256;
		err = fhsm_dsa_generate_params((unsigned)bits, (unsigned)qbits, &d);
	} else {
		err = fhsm_dh_group((unsigned)bits, &d);
	}
	if (err == FHSM_ERR_ARGS)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (err != FHSM_OK)
		return p11_rv_from_fhsm(err);
	struct p11_attr add[6] = {
		item(CKA_PRIME, d.p.p, d.p.len),
		item(CKA_BASE, d.g.p, d.g.len),
		item(CKA_LOCAL, &yes, 1),
		item(CKA_PRIME_BITS, &bits, sizeof(bits)),
	};
	size_t n = 4;
	if (m->key_type == CKK_DSA) {
		add[n++] = item(CKA_SUBPRIME, d.q.p, d.q.len);
		add[n++] = item(CKA_SUB_PRIME_BITS, &qbits, sizeof(qbits));
	}
	*a = p11_attrs_with(*a, add, n);
	fhsm_ff_params_free(&d);
	return *a ? CKR_OK : CKR_HOST_MEMORY;
}

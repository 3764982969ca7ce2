/* PKCS#8 private keys, PEM or DER. The structures are fixed and small, so a strict
 * DER walker reads them (every length bounded by its parent); LibTomCrypt decodes the
 * base64 of PEM. */
#include <stdlib.h>
#include <string.h>
#include "fhsm/keyfile.h"
#include "soft.h"

struct der {
	const uint8_t *p, *end;
};

/* Reads one TLV of the expected tag; its contents in *inner. */
static bool der_take(struct der *d, uint8_t tag, struct der *inner)
{
	if (d->end - d->p < 2 || d->p[0] != tag)
		return false;
	size_t len = d->p[1], hdr = 2;
	if (len & 0x80) {
		size_t n = len & 0x7f;
		if (n == 0 || n > 3 || (size_t)(d->end - d->p) < 2 + n)
			return false;
		len = 0;
		for (size_t i = 0; i < n; i++)
			len = len << 8 | d->p[2 + i];
		hdr = 2 + n;
	}
	if ((size_t)(d->end - d->p) < hdr + len)
		return false;
	inner->p = d->p + hdr;
	inner->end = inner->p + len;
	d->p = inner->end;
	return true;
}

/* An unsigned INTEGER as big-endian bytes, leading zeros dropped. */
static bool der_uint(struct der *d, struct fhsm_bytes *out)
{
	struct der v;
	if (!der_take(d, 0x02, &v) || v.p == v.end || (v.p[0] & 0x80))
		return false;
	while (v.end - v.p > 1 && v.p[0] == 0)
		v.p++;
	out->len = (size_t)(v.end - v.p);
	out->p = malloc(out->len);
	if (!out->p)
		return false;
	memcpy(out->p, v.p, out->len);
	return true;
}

static bool der_is(const struct der *d, const uint8_t *v, size_t n)
{
	return (size_t)(d->end - d->p) == n && !memcmp(d->p, v, n);
}

static const uint8_t OID_RSA[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
static const uint8_t OID_EC[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t OID_ED25519[] = {0x2b, 0x65, 0x70};
static const uint8_t OID_P256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t OID_P384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t OID_P521[] = {0x2b, 0x81, 0x04, 0x00, 0x23};

static bool bytes_of(struct fhsm_bytes *b, const uint8_t *p, size_t n)
{
	b->p = malloc(n ? n : 1);
	b->len = n;
	if (b->p && n)
		memcpy(b->p, p, n);
	return b->p != NULL;
}

static bool curve_of(const struct der *oid, fhsm_ec_curve *c)
{
	if (der_is(oid, OID_P256, sizeof(OID_P256)))
		*c = FHSM_EC_P256;
	else if (der_is(oid, OID_P384, sizeof(OID_P384)))
		*c = FHSM_EC_P384;
	else if (der_is(oid, OID_P521, sizeof(OID_P521)))
		*c = FHSM_EC_P521;
	else
		return false;
	return true;
}

/* The scalar, and the public point computed from it (not trusted from the file). */
static fhsm_err ec_key(struct fhsm_private_key *k, const struct der *priv)
{
	uint8_t pt[FHSM_EC_MAX_POINT];
	size_t n = sizeof(pt);
	k->kind = FHSM_KEY_EC;
	if (!bytes_of(&k->scalar, priv->p, (size_t)(priv->end - priv->p)))
		return FHSM_ERR_NOMEM;
	fhsm_err err = fhsm_ec_public_from_private(k->curve, k->scalar.p, k->scalar.len, pt, &n);
	if (err == FHSM_OK && !bytes_of(&k->point, pt, n))
		err = FHSM_ERR_NOMEM;
	return err;
}

/* SEC 1 ECPrivateKey ("BEGIN EC PRIVATE KEY", what `openssl ec` writes), named curves. */
static fhsm_err parse_sec1(const uint8_t *data, size_t len, struct fhsm_private_key *k)
{
	struct der top = {data, data + len}, seq, v, priv, params, oid;
	if (!der_take(&top, 0x30, &seq) || !der_take(&seq, 0x02, &v) || !der_take(&seq, 0x04, &priv) ||
	    !der_take(&seq, 0xa0, &params) || !der_take(&params, 0x06, &oid) || !curve_of(&oid, &k->curve))
		return FHSM_ERR_ARGS;
	return ec_key(k, &priv);
}

/* A PrivateKeyInfo; *shape false when the outer structure is not one. */
static fhsm_err parse_pkcs8(const uint8_t *data, size_t len, struct fhsm_private_key *k, bool *shape)
{
	struct der top = {data, data + len}, info, ver, alg, oid, key;
	memset(k, 0, sizeof(*k));
	*shape = der_take(&top, 0x30, &info) && top.p == top.end && der_take(&info, 0x02, &ver) &&
		 der_take(&info, 0x30, &alg) && der_take(&alg, 0x06, &oid) && der_take(&info, 0x04, &key);
	if (!*shape)
		return FHSM_ERR_ARGS;
	if (der_is(&oid, OID_RSA, sizeof(OID_RSA))) {
		struct der seq, v;
		struct fhsm_rsa_parts *r = &k->rsa;
		k->kind = FHSM_KEY_RSA;
		if (!der_take(&key, 0x30, &seq) || !der_take(&seq, 0x02, &v) || !der_uint(&seq, &r->n) ||
		    !der_uint(&seq, &r->e) || !der_uint(&seq, &r->d) || !der_uint(&seq, &r->p) ||
		    !der_uint(&seq, &r->q) || !der_uint(&seq, &r->dp) || !der_uint(&seq, &r->dq) ||
		    !der_uint(&seq, &r->qinv))
			return FHSM_ERR_ARGS;
		return FHSM_OK;
	}
	if (der_is(&oid, OID_EC, sizeof(OID_EC))) {
		struct der curve, seq, v, priv;
		if (!der_take(&alg, 0x06, &curve) || !curve_of(&curve, &k->curve) || !der_take(&key, 0x30, &seq) ||
		    !der_take(&seq, 0x02, &v) || !der_take(&seq, 0x04, &priv))
			return FHSM_ERR_ARGS; /* named curves only */
		return ec_key(k, &priv);
	}
	if (der_is(&oid, OID_ED25519, sizeof(OID_ED25519))) {
		struct der seed;
		uint8_t pub[32];
		k->kind = FHSM_KEY_ED25519;
		if (!der_take(&key, 0x04, &seed) || seed.end - seed.p != 32 || !bytes_of(&k->scalar, seed.p, 32))
			return FHSM_ERR_ARGS;
		fhsm_err err = fhsm_ed25519_public_from_private(k->scalar.p, pub);
		if (err == FHSM_OK && !bytes_of(&k->point, pub, 32))
			err = FHSM_ERR_NOMEM;
		return err;
	}
	return FHSM_ERR_ARGS;
}

static fhsm_err parse_der(const uint8_t *data, size_t len, struct fhsm_private_key *k)
{
	bool shape;
	fhsm_err err = parse_pkcs8(data, len, k, &shape);
	return shape ? err : parse_sec1(data, len, k);
}

/* The DER inside "-----BEGIN PRIVATE KEY-----" ... "-----END PRIVATE KEY-----" (or "EC PRIVATE KEY"). */
static fhsm_err pem_to_der(const uint8_t *data, size_t len, uint8_t **der, size_t *der_len)
{
	const char *begin = "-----BEGIN PRIVATE KEY-----", *end = "-----END PRIVATE KEY-----";
	if (len > 30 && !memcmp(data, "-----BEGIN EC PRIVATE KEY-----", 30)) {
		begin = "-----BEGIN EC PRIVATE KEY-----";
		end = "-----END EC PRIVATE KEY-----";
	}
	const char *s = (const char *)data, *b = NULL, *e = NULL;
	size_t bl = strlen(begin), el = strlen(end);
	for (size_t i = 0; i + bl <= len && !b; i++)
		if (!memcmp(s + i, begin, bl))
			b = s + i + bl;
	for (size_t i = b ? (size_t)(b - s) : len; i + el <= len && !e; i++)
		if (!memcmp(s + i, end, el))
			e = s + i;
	if (!b || !e)
		return FHSM_ERR_ARGS;
	unsigned long n = (unsigned long)(e - b);
	*der = malloc(n ? n : 1);
	if (!*der)
		return FHSM_ERR_NOMEM;
	/* The relaxed decoder skips the line breaks. */
	if (base64_decode((const unsigned char *)b, (unsigned long)(e - b), *der, &n) != CRYPT_OK) {
		free(*der);
		*der = NULL;
		return FHSM_ERR_ARGS;
	}
	*der_len = n;
	return FHSM_OK;
}

fhsm_err fhsm_pkcs8_parse(const uint8_t *data, size_t len, struct fhsm_private_key *out)
{
	if (!data || !out || len == 0)
		return FHSM_ERR_ARGS;
	memset(out, 0, sizeof(*out));
	soft_init();
	uint8_t *der = NULL;
	size_t der_len = len;
	fhsm_err err = data[0] == 0x30 ? FHSM_OK : pem_to_der(data, len, &der, &der_len);
	if (err == FHSM_OK)
		err = parse_der(der ? der : data, der_len, out);
	if (der) {
		fhsm_wipe(der, der_len);
		free(der);
	}
	if (err != FHSM_OK)
		fhsm_private_key_free(out);
	return err;
}

fhsm_err fhsm_pkcs8_decode(const uint8_t *der, size_t len, struct fhsm_private_key *out)
{
	if (!der || !out || len == 0)
		return FHSM_ERR_ARGS;
	bool shape;
	soft_init();
	fhsm_err err = parse_pkcs8(der, len, out, &shape);
	if (err != FHSM_OK)
		fhsm_private_key_free(out);
	return err;
}

/* ---- encoding ---- */
/* DER written front to back into a buffer sized beforehand: every length is computed
 * first (hdr_len, int_len), so the writer never backtracks. */
struct wr {
	uint8_t *p;
	size_t n;
};

static size_t hdr_len(size_t n)
{
	return n < 0x80 ? 2 : n < 0x100 ? 3 : n < 0x10000 ? 4 : 5;
}

static size_t tlv_len(size_t n)
{
	return hdr_len(n) + n;
}

static void put(struct wr *w, const void *v, size_t n)
{
	if (n)
		memcpy(w->p + w->n, v, n);
	w->n += n;
}

static void put_hdr(struct wr *w, uint8_t tag, size_t n)
{
	uint8_t h[5] = {tag};
	size_t k = hdr_len(n);
	if (k == 2) {
		h[1] = (uint8_t)n;
	} else {
		h[1] = (uint8_t)(0x80 | (k - 2));
		for (size_t i = 0; i < k - 2; i++)
			h[2 + i] = (uint8_t)(n >> (8 * (k - 3 - i)));
	}
	put(w, h, k);
}

/* An unsigned big-endian number as INTEGER contents: minimal, a 0x00 in front of a set top bit. */
static size_t int_len(const struct fhsm_bytes *b)
{
	size_t z = 0;
	while (z + 1 < b->len && b->p[z] == 0)
		z++;
	return b->len - z + (b->p[z] & 0x80 ? 1 : 0);
}

static void put_int(struct wr *w, const struct fhsm_bytes *b)
{
	size_t z = 0;
	while (z + 1 < b->len && b->p[z] == 0)
		z++;
	put_hdr(w, 0x02, int_len(b));
	if (b->p[z] & 0x80)
		put(w, "", 1);
	put(w, b->p + z, b->len - z);
}

static const uint8_t *curve_oid(fhsm_ec_curve c, size_t *n)
{
	*n = c == FHSM_EC_P256 ? sizeof(OID_P256) : c == FHSM_EC_P384 ? sizeof(OID_P384) : sizeof(OID_P521);
	return c == FHSM_EC_P256 ? OID_P256 : c == FHSM_EC_P384 ? OID_P384 : OID_P521;
}

fhsm_err fhsm_pkcs8_encode(const struct fhsm_private_key *k, uint8_t *out, size_t *out_len)
{
	if (!k || !out_len)
		return FHSM_ERR_ARGS;
	const struct fhsm_bytes *ints[9];
	struct fhsm_bytes zero = {(uint8_t *)"", 1}, one = {(uint8_t *)"\x01", 1};
	size_t alg, key, inner = 0, ni = 0, oid_len = 0, sb = 0;
	const uint8_t *oid = NULL;
	switch (k->kind) {
	case FHSM_KEY_RSA: {
		/* RSAPrivateKey (RFC 8017 A.1.2), two-prime: version 0 and all eight numbers. */
		const struct fhsm_rsa_parts *r = &k->rsa;
		const struct fhsm_bytes *all[] = {&zero, &r->n, &r->e, &r->d, &r->p, &r->q, &r->dp, &r->dq, &r->qinv};
		for (ni = 0; ni < 9; ni++) {
			if (!all[ni]->p || !all[ni]->len)
				return FHSM_ERR_ARGS;
			ints[ni] = all[ni];
			inner += tlv_len(int_len(all[ni]));
		}
		alg = tlv_len(sizeof(OID_RSA)) + 2; /* rsaEncryption, NULL */
		key = tlv_len(inner);
		break;
	}
	case FHSM_KEY_EC:
		/* ECPrivateKey (RFC 5915): version 1, the scalar at the curve's full width, the public point in [1]. */
		sb = fhsm_ec_scalar_bytes(k->curve);
		if (!sb || !k->scalar.p || k->scalar.len != sb || (k->point.len && k->point.len != 1 + 2 * sb))
			return FHSM_ERR_ARGS;
		oid = curve_oid(k->curve, &oid_len);
		inner = 3 + tlv_len(sb) + (k->point.len ? tlv_len(tlv_len(k->point.len + 1)) : 0);
		alg = tlv_len(sizeof(OID_EC)) + tlv_len(oid_len);
		key = tlv_len(inner);
		break;
	case FHSM_KEY_ED25519:
		/* CurvePrivateKey (RFC 8410 §7): an OCTET STRING around the 32-byte seed. */
		if (!k->scalar.p || k->scalar.len != 32)
			return FHSM_ERR_ARGS;
		alg = tlv_len(sizeof(OID_ED25519));
		key = tlv_len(32);
		break;
	default:
		return FHSM_ERR_ARGS;
	}
	size_t body = 3 + tlv_len(alg) + tlv_len(key), total = tlv_len(body);
	if (!out || *out_len < total) {
		*out_len = total;
		return out ? FHSM_ERR_BUFFER : FHSM_OK;
	}
	struct wr w = {out, 0};
	put_hdr(&w, 0x30, body);
	put(&w, "\x02\x01\x00", 3); /* version 0 (v1) */
	put_hdr(&w, 0x30, alg);
	if (k->kind == FHSM_KEY_RSA) {
		put_hdr(&w, 0x06, sizeof(OID_RSA));
		put(&w, OID_RSA, sizeof(OID_RSA));
		put(&w, "\x05\x00", 2);
	} else if (k->kind == FHSM_KEY_EC) {
		put_hdr(&w, 0x06, sizeof(OID_EC));
		put(&w, OID_EC, sizeof(OID_EC));
		put_hdr(&w, 0x06, oid_len);
		put(&w, oid, oid_len);
	} else {
		put_hdr(&w, 0x06, sizeof(OID_ED25519));
		put(&w, OID_ED25519, sizeof(OID_ED25519));
	}
	put_hdr(&w, 0x04, key);
	if (k->kind == FHSM_KEY_RSA) {
		put_hdr(&w, 0x30, inner);
		for (size_t i = 0; i < ni; i++)
			put_int(&w, ints[i]);
	} else if (k->kind == FHSM_KEY_EC) {
		put_hdr(&w, 0x30, inner);
		put_int(&w, &one);
		put_hdr(&w, 0x04, sb);
		put(&w, k->scalar.p, sb);
		if (k->point.len) {
			put_hdr(&w, 0xa1, tlv_len(k->point.len + 1));
			put_hdr(&w, 0x03, k->point.len + 1);
			put(&w, "", 1); /* no unused bits */
			put(&w, k->point.p, k->point.len);
		}
	} else {
		put_hdr(&w, 0x04, 32);
		put(&w, k->scalar.p, 32);
	}
	*out_len = w.n;
	return w.n == total ? FHSM_OK : FHSM_ERR_PROVIDER;
}

void fhsm_private_key_free(struct fhsm_private_key *k)
{
	if (!k)
		return;
	struct fhsm_bytes *all[] = {&k->rsa.n, &k->rsa.e, &k->rsa.d, &k->rsa.p, &k->rsa.q,
				    &k->rsa.dp, &k->rsa.dq, &k->rsa.qinv, &k->scalar, &k->point};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		fhsm_bytes_free(all[i]);
}

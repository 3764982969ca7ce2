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

static fhsm_err parse_der(const uint8_t *data, size_t len, struct fhsm_private_key *k)
{
	struct der top = {data, data + len}, info, ver, alg, oid, key;
	memset(k, 0, sizeof(*k));
	if (!der_take(&top, 0x30, &info) || top.p != top.end || !der_take(&info, 0x02, &ver) ||
	    !der_take(&info, 0x30, &alg) || !der_take(&alg, 0x06, &oid) || !der_take(&info, 0x04, &key))
		return parse_sec1(data, len, k);
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

void fhsm_private_key_free(struct fhsm_private_key *k)
{
	if (!k)
		return;
	struct fhsm_bytes *all[] = {&k->rsa.n, &k->rsa.e, &k->rsa.d, &k->rsa.p, &k->rsa.q,
				    &k->rsa.dp, &k->rsa.dq, &k->rsa.qinv, &k->scalar, &k->point};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		fhsm_bytes_free(all[i]);
}

/* The attribute tables of PKCS#11 3.0 §4 (and the 2.40 footnotes), one row per
 * attribute: its kind, its rules, its default. An object's valid attributes are the
 * union of the tables for its class and (key or certificate) type. */
#include "object.h"

static const CK_BBOOL T = CK_TRUE, F = CK_FALSE;
static const CK_ULONG zero = 0, unavailable = CK_UNAVAILABLE_INFORMATION, sha1 = CKM_SHA_1;

#define B_T &T, sizeof(T)
#define B_F &F, sizeof(F)
#define U(x) &x, sizeof(CK_ULONG)
#define NONE NULL, 0

/* Every object. */
static const struct p11_attr_rule common[] = {
	{CKA_CLASS, AK_ULONG, R_MUST_CREATE, NONE},
	{CKA_TOKEN, AK_BOOL, R_COPY, B_F},
	{CKA_PRIVATE, AK_BOOL, R_COPY, NONE}, /* default by class: see p11_attrs_build */
	{CKA_MODIFIABLE, AK_BOOL, R_COPY, B_T},
	{CKA_LABEL, AK_BYTES, R_MODIFY, NONE},
	{CKA_COPYABLE, AK_BOOL, R_MODIFY | R_ONLY_FALSE, B_T},
	{CKA_DESTROYABLE, AK_BOOL, R_MODIFY, B_T},
	{CKA_UNIQUE_ID, AK_BYTES, R_NO_CREATE | R_NO_GEN | R_NO_UNWRAP | R_DERIVED, NONE},
};

static const struct p11_attr_rule data[] = {
	{CKA_APPLICATION, AK_BYTES, R_MODIFY, NONE},
	{CKA_OBJECT_ID, AK_BYTES, R_MODIFY, NONE},
	{CKA_VALUE, AK_BYTES, R_MODIFY, NONE},
};

static const struct p11_attr_rule certificate[] = {
	{CKA_CERTIFICATE_TYPE, AK_ULONG, R_MUST_CREATE, NONE},
	{CKA_TRUSTED, AK_BOOL, R_SO_ONLY, B_F},
	{CKA_CERTIFICATE_CATEGORY, AK_ULONG, 0, U(zero)},
	{CKA_CHECK_VALUE, AK_BYTES, R_DERIVED, NONE},
	{CKA_START_DATE, AK_DATE, R_MODIFY, NONE},
	{CKA_END_DATE, AK_DATE, R_MODIFY, NONE},
	{CKA_PUBLIC_KEY_INFO, AK_BYTES, 0, NONE},
};

static const struct p11_attr_rule x509[] = {
	{CKA_SUBJECT, AK_BYTES, R_MUST_CREATE, NONE},
	{CKA_ID, AK_BYTES, R_MODIFY, NONE},
	{CKA_ISSUER, AK_BYTES, R_MODIFY, NONE},
	{CKA_SERIAL_NUMBER, AK_BYTES, R_MODIFY, NONE},
	{CKA_VALUE, AK_BYTES, R_MUST_CREATE, NONE},
	{CKA_URL, AK_BYTES, 0, NONE},
	{CKA_HASH_OF_SUBJECT_PUBLIC_KEY, AK_BYTES, 0, NONE},
	{CKA_HASH_OF_ISSUER_PUBLIC_KEY, AK_BYTES, 0, NONE},
	{CKA_JAVA_MIDP_SECURITY_DOMAIN, AK_ULONG, 0, U(zero)},
	{CKA_NAME_HASH_ALGORITHM, AK_ULONG, 0, U(sha1)},
};

static const struct p11_attr_rule key[] = {
	{CKA_KEY_TYPE, AK_ULONG, R_MUST_CREATE | R_MUST_UNWRAP, NONE},
	{CKA_ID, AK_BYTES, R_MODIFY, NONE},
	{CKA_START_DATE, AK_DATE, R_MODIFY, NONE},
	{CKA_END_DATE, AK_DATE, R_MODIFY, NONE},
	{CKA_DERIVE, AK_BOOL, R_MODIFY, B_F},
	{CKA_LOCAL, AK_BOOL, R_NO_CREATE | R_NO_GEN | R_NO_UNWRAP | R_DERIVED, B_F},
	{CKA_KEY_GEN_MECHANISM, AK_ULONG, R_NO_CREATE | R_NO_GEN | R_NO_UNWRAP | R_DERIVED, U(unavailable)},
	{CKA_ALLOWED_MECHANISMS, AK_MECHS, 0, NONE},
	{CKA_DERIVE_TEMPLATE, AK_TEMPLATE, 0, NONE},
};

static const struct p11_attr_rule public_key[] = {
	{CKA_SUBJECT, AK_BYTES, R_MODIFY, NONE},
	{CKA_ENCRYPT, AK_BOOL, R_MODIFY, B_T},
	{CKA_VERIFY, AK_BOOL, R_MODIFY, B_T},
	{CKA_VERIFY_RECOVER, AK_BOOL, R_MODIFY, B_T},
	{CKA_WRAP, AK_BOOL, R_MODIFY, B_T},
	{CKA_TRUSTED, AK_BOOL, R_SO_ONLY, B_F},
	{CKA_WRAP_TEMPLATE, AK_TEMPLATE, 0, NONE},
	{CKA_PUBLIC_KEY_INFO, AK_BYTES, 0, NONE},
};

static const struct p11_attr_rule private_key[] = {
	{CKA_SUBJECT, AK_BYTES, R_MODIFY, NONE},
	{CKA_SENSITIVE, AK_BOOL, R_MODIFY | R_ONLY_TRUE, B_T},
	{CKA_DECRYPT, AK_BOOL, R_MODIFY, B_T},
	{CKA_SIGN, AK_BOOL, R_MODIFY, B_T},
	{CKA_SIGN_RECOVER, AK_BOOL, R_MODIFY, B_T},
	{CKA_UNWRAP, AK_BOOL, R_MODIFY, B_T},
	{CKA_EXTRACTABLE, AK_BOOL, R_MODIFY | R_ONLY_FALSE, B_F},
	{CKA_ALWAYS_SENSITIVE, AK_BOOL, R_NO_CREATE | R_NO_GEN | R_NO_UNWRAP | R_DERIVED, B_F},
	{CKA_NEVER_EXTRACTABLE, AK_BOOL, R_NO_CREATE | R_NO_GEN | R_NO_UNWRAP | R_DERIVED, B_F},
	{CKA_WRAP_WITH_TRUSTED, AK_BOOL, R_MODIFY | R_ONLY_TRUE, B_F},
	{CKA_UNWRAP_TEMPLATE, AK_TEMPLATE, 0, NONE},
	{CKA_ALWAYS_AUTHENTICATE, AK_BOOL, R_MODIFY, B_F},
	{CKA_PUBLIC_KEY_INFO, AK_BYTES, 0, NONE},
};

static const struct p11_attr_rule secret_key[] = {
	{CKA_SENSITIVE, AK_BOOL, R_MODIFY | R_ONLY_TRUE, B_T},
	{CKA_ENCRYPT, AK_BOOL, R_MODIFY, B_T},
	{CKA_DECRYPT, AK_BOOL, R_MODIFY, B_T},
	{CKA_SIGN, AK_BOOL, R_MODIFY, B_T},
	{CKA_VERIFY, AK_BOOL, R_MODIFY, B_T},
	{CKA_WRAP, AK_BOOL, R_MODIFY, B_T},
	{CKA_UNWRAP, AK_BOOL, R_MODIFY, B_T},
	{CKA_EXTRACTABLE, AK_BOOL, R_MODIFY | R_ONLY_FALSE, B_F},
	{CKA_ALWAYS_SENSITIVE, AK_BOOL, R_NO_CREATE | R_NO_GEN | R_NO_UNWRAP | R_DERIVED, B_F},
	{CKA_NEVER_EXTRACTABLE, AK_BOOL, R_NO_CREATE | R_NO_GEN | R_NO_UNWRAP | R_DERIVED, B_F},
	{CKA_CHECK_VALUE, AK_BYTES, R_DERIVED, NONE},
	{CKA_WRAP_WITH_TRUSTED, AK_BOOL, R_MODIFY | R_ONLY_TRUE, B_F},
	{CKA_TRUSTED, AK_BOOL, R_SO_ONLY, B_F},
	{CKA_WRAP_TEMPLATE, AK_TEMPLATE, 0, NONE},
	{CKA_UNWRAP_TEMPLATE, AK_TEMPLATE, 0, NONE},
};

/* Key material, by key type; PRIV_* values are R_SECRET. */
#define GIVEN_PUB (R_MUST_CREATE | R_NO_GEN)                       /* public value: computed at generation */
#define PARAM_PUB (R_MUST_CREATE | R_MUST_GEN)                     /* domain parameter of a public key */
#define PARAM_PRIV (R_MUST_CREATE | R_NO_GEN | R_NO_UNWRAP)         /* copied from the public template */
#define PRIV_VALUE (R_MUST_CREATE | R_NO_GEN | R_NO_UNWRAP | R_SECRET)
#define CRT_VALUE (R_NO_GEN | R_NO_UNWRAP | R_SECRET)

static const struct p11_attr_rule rsa_public[] = {
	{CKA_MODULUS, AK_BYTES, GIVEN_PUB, NONE},
	{CKA_MODULUS_BITS, AK_ULONG, R_NO_CREATE | R_MUST_GEN | R_DERIVED, NONE},
	{CKA_PUBLIC_EXPONENT, AK_BYTES, R_MUST_CREATE, NONE},
};
static const struct p11_attr_rule rsa_private[] = {
	{CKA_MODULUS, AK_BYTES, PARAM_PRIV, NONE},
	{CKA_PUBLIC_EXPONENT, AK_BYTES, R_NO_GEN | R_NO_UNWRAP, NONE},
	{CKA_PRIVATE_EXPONENT, AK_BYTES, PRIV_VALUE, NONE},
	{CKA_PRIME_1, AK_BYTES, CRT_VALUE, NONE},
	{CKA_PRIME_2, AK_BYTES, CRT_VALUE, NONE},
	{CKA_EXPONENT_1, AK_BYTES, CRT_VALUE, NONE},
	{CKA_EXPONENT_2, AK_BYTES, CRT_VALUE, NONE},
	{CKA_COEFFICIENT, AK_BYTES, CRT_VALUE, NONE},
};
static const struct p11_attr_rule ec_public[] = {
	{CKA_EC_PARAMS, AK_BYTES, PARAM_PUB, NONE},
	{CKA_EC_POINT, AK_BYTES, GIVEN_PUB, NONE},
};
static const struct p11_attr_rule ec_private[] = {
	{CKA_EC_PARAMS, AK_BYTES, PARAM_PRIV, NONE},
	{CKA_VALUE, AK_BYTES, PRIV_VALUE, NONE},
};
static const struct p11_attr_rule dsa_public[] = {
	{CKA_PRIME, AK_BYTES, PARAM_PUB, NONE},
	{CKA_SUBPRIME, AK_BYTES, PARAM_PUB, NONE},
	{CKA_BASE, AK_BYTES, PARAM_PUB, NONE},
	{CKA_VALUE, AK_BYTES, GIVEN_PUB, NONE},
};
static const struct p11_attr_rule dsa_private[] = {
	{CKA_PRIME, AK_BYTES, PARAM_PRIV, NONE},
	{CKA_SUBPRIME, AK_BYTES, PARAM_PRIV, NONE},
	{CKA_BASE, AK_BYTES, PARAM_PRIV, NONE},
	{CKA_VALUE, AK_BYTES, PRIV_VALUE, NONE},
};
static const struct p11_attr_rule dh_public[] = {
	{CKA_PRIME, AK_BYTES, PARAM_PUB, NONE},
	{CKA_BASE, AK_BYTES, PARAM_PUB, NONE},
	{CKA_VALUE, AK_BYTES, GIVEN_PUB, NONE},
};
static const struct p11_attr_rule dh_private[] = {
	{CKA_PRIME, AK_BYTES, PARAM_PRIV, NONE},
	{CKA_BASE, AK_BYTES, PARAM_PRIV, NONE},
	{CKA_VALUE, AK_BYTES, PRIV_VALUE, NONE},
	{CKA_VALUE_BITS, AK_ULONG, R_NO_CREATE | R_NO_UNWRAP | R_DERIVED, NONE},
};
/* Secret keys whose length varies (generic, AES) and whose length is fixed (DES). */
static const struct p11_attr_rule secret_var[] = {
	{CKA_VALUE, AK_BYTES, PRIV_VALUE, NONE},
	{CKA_VALUE_LEN, AK_ULONG, R_NO_CREATE | R_MUST_GEN | R_DERIVED, NONE},
};
static const struct p11_attr_rule secret_fixed[] = {
	{CKA_VALUE, AK_BYTES, PRIV_VALUE, NONE},
};
/* GOST R 34.10-2001 (PKCS#11 2.40 current mechanisms §2.44): the parameter sets are
 * DER OIDs. The hash parameter set is optional here, CryptoPro's by default (gost.c
 * reads an empty one so), and applications (Rutoken's samples,
 * for one) give the key pair's parameters in the private template too: gost.c checks
 * that they agree with the public one's. */
static const uint8_t gostr3411_cp[] = {0x06, 0x07, 0x2a, 0x85, 0x03, 0x02, 0x02, 0x1e, 0x01};
static const struct p11_attr_rule gost_public[] = {
	{CKA_VALUE, AK_BYTES, GIVEN_PUB, NONE},
	{CKA_GOSTR3410_PARAMS, AK_BYTES, PARAM_PUB, NONE},
	{CKA_GOSTR3411_PARAMS, AK_BYTES, 0, gostr3411_cp, sizeof(gostr3411_cp)},
	{CKA_GOST28147_PARAMS, AK_BYTES, 0, NONE},
};
static const struct p11_attr_rule gost_private[] = {
	{CKA_VALUE, AK_BYTES, PRIV_VALUE, NONE},
	{CKA_GOSTR3410_PARAMS, AK_BYTES, R_MUST_CREATE | R_NO_UNWRAP, NONE},
	{CKA_GOSTR3411_PARAMS, AK_BYTES, R_NO_UNWRAP, NONE}, /* generated: the public key's */
	{CKA_GOST28147_PARAMS, AK_BYTES, R_NO_UNWRAP, NONE},
};
/* GOST 28147-89 keys: only as HMAC-GOSTR3411 keys (as SoftHSM takes them). */
static const struct p11_attr_rule gost28147[] = {
	{CKA_GOST28147_PARAMS, AK_BYTES, 0, NONE},
};
static const struct p11_attr_rule dsa_domain[] = {
	{CKA_KEY_TYPE, AK_ULONG, R_MUST_CREATE, NONE},
	{CKA_LOCAL, AK_BOOL, R_NO_CREATE | R_DERIVED, B_F},
	{CKA_PRIME, AK_BYTES, R_MUST_CREATE, NONE},
	{CKA_SUBPRIME, AK_BYTES, R_MUST_CREATE, NONE},
	{CKA_BASE, AK_BYTES, R_MUST_CREATE, NONE},
	{CKA_PRIME_BITS, AK_ULONG, R_NO_CREATE | R_DERIVED, NONE},
	{CKA_SUB_PRIME_BITS, AK_ULONG, R_NO_CREATE | R_DERIVED, NONE},
};
static const struct p11_attr_rule dh_domain[] = {
	{CKA_KEY_TYPE, AK_ULONG, R_MUST_CREATE, NONE},
	{CKA_LOCAL, AK_BOOL, R_NO_CREATE | R_DERIVED, B_F},
	{CKA_PRIME, AK_BYTES, R_MUST_CREATE, NONE},
	{CKA_BASE, AK_BYTES, R_MUST_CREATE, NONE},
	{CKA_PRIME_BITS, AK_ULONG, R_NO_CREATE | R_DERIVED, NONE},
};

struct table {
	const struct p11_attr_rule *rows;
	size_t n;
};
#define TABLE(t) {t, sizeof(t) / sizeof(t[0])}
#define MAX_TABLES 5

/* The key types of key pairs: the public key's table and the private key's. */
static const struct {
	CK_KEY_TYPE kt;
	struct table pub, priv;
} key_pairs[] = {
	{CKK_RSA, TABLE(rsa_public), TABLE(rsa_private)},
	{CKK_EC, TABLE(ec_public), TABLE(ec_private)},
	{CKK_EC_EDWARDS, TABLE(ec_public), TABLE(ec_private)},
	{CKK_EC_MONTGOMERY, TABLE(ec_public), TABLE(ec_private)},
	{CKK_DSA, TABLE(dsa_public), TABLE(dsa_private)},
	{CKK_DH, TABLE(dh_public), TABLE(dh_private)},
	{CKK_GOSTR3410, TABLE(gost_public), TABLE(gost_private)},
};

/* The tables that make up one kind of object; 0 tables: not a kind we hold. */
static size_t tables_for(CK_OBJECT_CLASS cls, CK_ULONG sub, struct table *t)
{
	size_t n = 0;
	t[n++] = (struct table)TABLE(common);
	switch (cls) {
	case CKO_DATA:
		t[n++] = (struct table)TABLE(data);
		return n;
	case CKO_CERTIFICATE:
		if (sub != CKC_X_509)
			return 0;
		t[n++] = (struct table)TABLE(certificate);
		t[n++] = (struct table)TABLE(x509);
		return n;
	case CKO_DOMAIN_PARAMETERS:
		if (sub == CKK_DSA)
			t[n++] = (struct table)TABLE(dsa_domain);
		else if (sub == CKK_DH)
			t[n++] = (struct table)TABLE(dh_domain);
		else
			return 0;
		return n;
	case CKO_PUBLIC_KEY:
	case CKO_PRIVATE_KEY:
	case CKO_SECRET_KEY:
		break;
	default:
		return 0;
	}
	t[n++] = (struct table)TABLE(key);
	bool pub = cls == CKO_PUBLIC_KEY, priv = cls == CKO_PRIVATE_KEY;
	if (pub)
		t[n++] = (struct table)TABLE(public_key);
	else if (priv)
		t[n++] = (struct table)TABLE(private_key);
	else
		t[n++] = (struct table)TABLE(secret_key);
	for (size_t i = 0; i < sizeof(key_pairs) / sizeof(key_pairs[0]); i++)
		if (key_pairs[i].kt == sub) {
			if (cls == CKO_SECRET_KEY)
				return 0;
			t[n++] = pub ? key_pairs[i].pub : key_pairs[i].priv;
			return n;
		}
	if (cls != CKO_SECRET_KEY) /* the rest are secret-key types */
		return 0;
	switch (sub) {
	case CKK_GOST28147:
		t[n++] = (struct table)TABLE(secret_fixed);
		t[n++] = (struct table)TABLE(gost28147);
		return n;
	case CKK_GENERIC_SECRET:
	case CKK_AES:
		t[n++] = (struct table)TABLE(secret_var);
		return n;
	case CKK_DES2:
	case CKK_DES3:
		t[n++] = (struct table)TABLE(secret_fixed);
		return n;
	default:
		return 0;
	}
}

CK_ATTRIBUTE_TYPE p11_attr_subtype_attr(CK_OBJECT_CLASS cls)
{
	switch (cls) {
	case CKO_CERTIFICATE:
		return CKA_CERTIFICATE_TYPE;
	case CKO_PUBLIC_KEY:
	case CKO_PRIVATE_KEY:
	case CKO_SECRET_KEY:
	case CKO_DOMAIN_PARAMETERS:
		return CKA_KEY_TYPE;
	default:
		return CKA_CLASS; /* no subtype */
	}
}

/* Later tables refine earlier ones (CKA_VALUE of a certificate is required, of a
 * data object optional): the last row for a type wins. */
const struct p11_attr_rule *p11_attr_rule(CK_OBJECT_CLASS cls, CK_ULONG sub, CK_ATTRIBUTE_TYPE type)
{
	struct table t[MAX_TABLES];
	size_t nt = tables_for(cls, sub, t);
	const struct p11_attr_rule *hit = NULL;
	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < t[i].n; j++)
			if (t[i].rows[j].type == type)
				hit = &t[i].rows[j];
	return hit;
}

/* Every attribute type once, in the order it first appears, each with the rule
 * p11_attr_rule gives it (the last table's): one pass, no lookup per row. */
size_t p11_attr_rules(CK_OBJECT_CLASS cls, CK_ULONG sub, const struct p11_attr_rule **out, size_t max)
{
	struct table t[MAX_TABLES];
	size_t nt = tables_for(cls, sub, t), n = 0;
	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < t[i].n; j++) {
			const struct p11_attr_rule *r = &t[i].rows[j];
			size_t k = 0;
			while (k < n && out[k]->type != r->type)
				k++;
			if (k < n)
				out[k] = r; /* a later table overrides */
			else if (n < max)
				out[n++] = r;
		}
	return n;
}

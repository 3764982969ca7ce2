/* Key management: C_GenerateKey (secret keys) and C_GenerateKeyPair. The template is checked under the
 * "generate" rules of attr_rules.c; the module adds the value and what it knows of
 * the key's history (CKA_LOCAL, CKA_KEY_GEN_MECHANISM, CKA_ALWAYS_SENSITIVE, ...). */
#include <stdlib.h>
#include <string.h>
#include "fhsm/cipher.h"
#include "pk.h"

/* DES keys carry odd parity in each byte's low bit. */
static void des_parity(uint8_t *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b = k[i] & 0xFE, ones = 0;
		for (int j = 1; j < 8; j++)
			ones += (b >> j) & 1;
		k[i] = (uint8_t)(b | !(ones & 1));
	}
}

/* The caller's template plus CKA_CLASS and CKA_KEY_TYPE when it left them out; a
 * contradicting value is CKR_TEMPLATE_INCONSISTENT. */
static CK_RV complete(const CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_CLASS *cls, CK_KEY_TYPE *kt, CK_ATTRIBUTE *out,
		      CK_ULONG *out_n)
{
	bool have_cls = false, have_kt = false;
	for (CK_ULONG i = 0; i < n; i++) {
		CK_ULONG v;
		if ((t[i].type == CKA_CLASS || t[i].type == CKA_KEY_TYPE) && t[i].pValue &&
		    t[i].ulValueLen == sizeof(v)) {
			memcpy(&v, t[i].pValue, sizeof(v));
			if (v != (t[i].type == CKA_CLASS ? *cls : *kt))
				return CKR_TEMPLATE_INCONSISTENT;
			have_cls |= t[i].type == CKA_CLASS;
			have_kt |= t[i].type == CKA_KEY_TYPE;
		}
		out[i] = t[i];
	}
	*out_n = n;
	if (!have_cls)
		out[(*out_n)++] = (CK_ATTRIBUTE){CKA_CLASS, cls, sizeof(*cls)};
	if (!have_kt)
		out[(*out_n)++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, kt, sizeof(*kt)};
	return CKR_OK;
}

P11_EXPORT CK_RV C_GenerateKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_ATTRIBUTE_PTR pTemplate,
			       CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phKey)
{
	struct p11_session *s;
	struct p11_attrs *a = NULL;
	uint8_t value[512];
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	const struct p11_mech *m = pMechanism ? p11_mech_find(pMechanism->mechanism) : NULL;
	CK_OBJECT_CLASS cls = m && m->cls == MC_PARAMGEN ? CKO_DOMAIN_PARAMETERS : CKO_SECRET_KEY;
	CK_KEY_TYPE kt = m ? m->key_type : 0;
	CK_ATTRIBUTE *full = NULL;
	CK_ULONG nfull;
	if (!pMechanism || !phKey || (!pTemplate && ulCount) || ulCount > 1000)
		rv = CKR_ARGUMENTS_BAD;
	else if (!m || (m->cls != MC_KEYGEN && m->cls != MC_PARAMGEN))
		rv = CKR_MECHANISM_INVALID;
	else if (pMechanism->pParameter || pMechanism->ulParameterLen)
		rv = CKR_MECHANISM_PARAM_INVALID;
	else if (!(full = calloc(ulCount + 2, sizeof(*full))))
		rv = CKR_HOST_MEMORY;
	else if ((rv = complete(pTemplate, ulCount, &cls, &kt, full, &nfull)) == CKR_OK)
		rv = p11_attrs_build(P11_OP_GENERATE, full, nfull, NULL, p11_session_is_so(s), &a);
	free(full);
	if (rv != CKR_OK)
		goto out;
	if (m->cls == MC_PARAMGEN) {
		rv = p11_pk_paramgen(m, &a); /* on failure `a` stays ours to free */
		if (rv == CKR_OK) {
			rv = p11_object_create(s, a, phKey); /* takes `a` */
			a = NULL;
		}
		goto out;
	}

	/* The length: from CKA_VALUE_LEN where the key type varies, else fixed. */
	CK_ULONG len = m->min_key == m->max_key ? m->min_key : p11_attrs_ulong(a, CKA_VALUE_LEN, 0);
	if (len < m->min_key || len > m->max_key || (kt == CKK_AES && len != 16 && len != 24 && len != 32)) {
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
		goto out;
	}
	if ((rv = p11_rv_from_fhsm(fhsm_random(value, len))) != CKR_OK)
		goto out;
	if (kt == CKK_DES2 || kt == CKK_DES3)
		des_parity(value, len);
	CK_BBOOL yes = CK_TRUE;
	CK_MECHANISM_TYPE how = m->type;
	uint8_t kcv[3];
	struct p11_attr add[5] = {
		{CKA_VALUE, len, value},
		{CKA_LOCAL, 1, &yes},
		{CKA_KEY_GEN_MECHANISM, sizeof(how), (uint8_t *)&how},
	};
	size_t nadd = 3;
	if (kt != CKK_GENERIC_SECRET) {
		fhsm_block_cipher c = kt == CKK_AES ? FHSM_BLOCK_AES : FHSM_BLOCK_DES3;
		if ((rv = p11_rv_from_fhsm(fhsm_key_check_value(c, value, len, kcv))) != CKR_OK)
			goto out;
		add[nadd++] = (struct p11_attr){CKA_CHECK_VALUE, sizeof(kcv), kcv};
	}
	if (p11_attrs_find(a, CKA_VALUE_LEN))
		add[nadd++] = (struct p11_attr){CKA_VALUE_LEN, sizeof(len), (uint8_t *)&len};
	a = p11_attrs_with(a, add, nadd);
	rv = a ? p11_object_create(s, a, phKey) : CKR_HOST_MEMORY;
	a = NULL;
out:
	fhsm_wipe(value, sizeof(value));
	p11_attrs_free(a);
	p11_leave_session(s);
	return rv;
}

/* ---- key pairs ---- */
P11_EXPORT CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
				   CK_ATTRIBUTE_PTR pPublicKeyTemplate, CK_ULONG ulPublicKeyAttributeCount,
				   CK_ATTRIBUTE_PTR pPrivateKeyTemplate, CK_ULONG ulPrivateKeyAttributeCount,
				   CK_OBJECT_HANDLE_PTR phPublicKey, CK_OBJECT_HANDLE_PTR phPrivateKey)
{
	struct p11_session *s;
	struct p11_attrs *pub = NULL, *priv = NULL;
	CK_ATTRIBUTE *tp = NULL, *tk = NULL;
	CK_ULONG np, nk;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	const struct p11_mech *m = pMechanism ? p11_mech_find(pMechanism->mechanism) : NULL;
	CK_OBJECT_CLASS pub_cls = CKO_PUBLIC_KEY, priv_cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = m ? m->key_type : 0, kt2 = kt;
	if (!pMechanism || !phPublicKey || !phPrivateKey || (!pPublicKeyTemplate && ulPublicKeyAttributeCount) ||
	    (!pPrivateKeyTemplate && ulPrivateKeyAttributeCount) || ulPublicKeyAttributeCount > 1000 ||
	    ulPrivateKeyAttributeCount > 1000)
		rv = CKR_ARGUMENTS_BAD;
	else if (!m || m->cls != MC_KEYPAIR)
		rv = CKR_MECHANISM_INVALID;
	else if (pMechanism->pParameter || pMechanism->ulParameterLen)
		rv = CKR_MECHANISM_PARAM_INVALID;
	else if (!(tp = calloc(ulPublicKeyAttributeCount + 2, sizeof(*tp))) ||
		 !(tk = calloc(ulPrivateKeyAttributeCount + 2, sizeof(*tk))))
		rv = CKR_HOST_MEMORY;
	else if ((rv = complete(pPublicKeyTemplate, ulPublicKeyAttributeCount, &pub_cls, &kt, tp, &np)) == CKR_OK &&
		 (rv = complete(pPrivateKeyTemplate, ulPrivateKeyAttributeCount, &priv_cls, &kt2, tk, &nk)) == CKR_OK) {
		bool so = p11_session_is_so(s);
		rv = p11_attrs_build(P11_OP_GENERATE, tp, np, NULL, so, &pub);
		if (rv == CKR_OK)
			rv = p11_attrs_build(P11_OP_GENERATE, tk, nk, NULL, so, &priv);
	}
	free(tp);
	free(tk);
	if (rv == CKR_OK)
		rv = p11_pk_generate(m, &pub, &priv);
	/* The private key first: if the public one then fails, the pair is destroyed. */
	if (rv == CKR_OK) {
		rv = p11_object_create(s, priv, phPrivateKey);
		priv = NULL;
	}
	if (rv == CKR_OK) {
		rv = p11_object_create(s, pub, phPublicKey);
		pub = NULL;
		if (rv != CKR_OK)
			p11_object_destroy(s, *phPrivateKey);
	}
	p11_attrs_free(pub);
	p11_attrs_free(priv);
	p11_leave_session(s);
	return rv;
}

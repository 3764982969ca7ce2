/* Signing and verification: C_SignInit, C_Sign, C_SignUpdate, C_SignFinal and the
 * C_Verify* twins, for MACs (HMAC, CMAC and their _GENERAL forms) and the public-key
 * mechanisms of pk.c. Same operation semantics as crypt.c: a failure other than
 * CKR_BUFFER_TOO_SMALL ends the operation; a length query keeps it. */
#include <string.h>
#include "fhsm/cipher.h"
#include "pk.h"

CK_RV p11_op_key(struct p11_session *s, struct p11_op *op, const struct p11_mech *m, CK_OBJECT_HANDLE hKey,
		 CK_ATTRIBUTE_TYPE usage, const struct p11_attr **value, struct p11_keyref **hmac);
CK_RV p11_op_append(struct p11_op *op, const uint8_t *data, size_t len);

static bool is_mac(const struct p11_mech *m)
{
	return m->cls == MC_HMAC || m->cls == MC_CMAC;
}

/* hmac: the key's cached HMAC states (NULL for CMAC, whose key is `key`). */
static CK_RV mac_init(struct p11_op *op, const struct p11_mech *m, const CK_MECHANISM *mech,
		      const struct p11_attr *key, const struct p11_keyref *hmac)
{
	fhsm_mac_ctx **ctx = (fhsm_mac_ctx **)&op->ctx;
	fhsm_err err = m->cls == MC_HMAC ? fhsm_mac_new_keyed(hmac ? hmac->key : NULL, ctx)
					 : fhsm_mac_new(FHSM_MAC_CMAC, m->cipher, key->val, key->len, ctx);
	if (err != FHSM_OK)
		return p11_rv_from_fhsm(err);
	size_t full = fhsm_mac_size(op->ctx);
	op->out_len = full;
	if (m->general) {
		const CK_MAC_GENERAL_PARAMS *len = mech->pParameter;
		if (!len || mech->ulParameterLen != sizeof(*len) || *len == 0 || *len > full)
			return CKR_MECHANISM_PARAM_INVALID;
		op->out_len = *len;
	} else if (m->type == CKM_GOSTR3411_HMAC) {
		/* An optional hash parameter set; the key's states are CryptoPro's. */
		fhsm_hash_alg h = (fhsm_hash_alg)m->hash;
		CK_RV rv = p11_gost_hash_param(mech, &h);
		return rv != CKR_OK || h == (fhsm_hash_alg)m->hash ? rv : CKR_MECHANISM_PARAM_INVALID;
	} else if (mech->pParameter || mech->ulParameterLen) {
		return CKR_MECHANISM_PARAM_INVALID;
	}
	return CKR_OK;
}

static CK_RV sign_init(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey, bool sign)
{
	struct p11_session *s;
	const struct p11_attr *key;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	struct p11_op *op = sign ? &s->sign : &s->verify;
	const struct p11_mech *m;
	CK_ATTRIBUTE_TYPE usage = sign ? CKA_SIGN : CKA_VERIFY;
	rv = p11_op_check(op, pMechanism, sign ? CKF_SIGN : CKF_VERIFY, &m);
	if (rv == CKR_OK && !is_mac(m))
		rv = p11_pk_op_init(s, op, m, pMechanism, hKey, usage, sign);
	else if (rv == CKR_OK) {
		struct p11_keyref *hmac = NULL;
		if ((rv = p11_op_key(s, op, m, hKey, usage, &key, m->cls == MC_HMAC ? &hmac : NULL)) == CKR_OK) {
			op->m = m;
			rv = mac_init(op, m, pMechanism, key, hmac);
		}
		p11_keyref_put(hmac); /* the context has its own copy of the states */
	}
	rv = p11_op_settle(op, rv);
	p11_leave_session(s);
	return rv;
}

P11_EXPORT CK_RV C_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	return sign_init(hSession, pMechanism, hKey, true);
}

P11_EXPORT CK_RV C_VerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	return sign_init(hSession, pMechanism, hKey, false);
}

/* Feeds data: into the MAC or the digest, or kept whole for the mechanisms that sign
 * the data itself (CKM_RSA_PKCS, CKM_ECDSA, CKM_EDDSA, ...). */
static CK_RV feed(struct p11_op *op, const uint8_t *data, size_t len)
{
	if (is_mac(op->m))
		return p11_rv_from_fhsm(fhsm_mac_update(op->ctx, data, len));
	if (op->ctx)
		return p11_rv_from_fhsm(fhsm_hash_update(op->ctx, data, len));
	return p11_op_append(op, data, len);
}

static size_t sig_len(const struct p11_op *op)
{
	return is_mac(op->m) ? op->out_len : p11_pk_sig_len(op);
}

/* The MAC, or the public-key signature over what was fed. */
static CK_RV produce(struct p11_op *op, uint8_t *sig, CK_ULONG_PTR len)
{
	uint8_t buf[FHSM_HASH_MAX_SIZE];
	CK_RV rv;
	if (is_mac(op->m)) {
		rv = p11_rv_from_fhsm(fhsm_mac_final(op->ctx, buf));
		memcpy(sig, buf, op->out_len);
		*len = op->out_len;
	} else if (op->ctx) {
		rv = p11_rv_from_fhsm(fhsm_hash_final(op->ctx, buf));
		if (rv == CKR_OK)
			rv = p11_pk_sign(op, buf, fhsm_hash_size((fhsm_hash_alg)op->m->hash), sig, len);
	} else {
		rv = p11_pk_sign(op, op->acc, op->acclen, sig, len);
	}
	fhsm_wipe(buf, sizeof(buf));
	return rv;
}

static CK_RV check(struct p11_op *op, const uint8_t *sig, CK_ULONG len)
{
	uint8_t buf[FHSM_HASH_MAX_SIZE];
	CK_RV rv;
	if (is_mac(op->m)) {
		if (len != op->out_len)
			return CKR_SIGNATURE_LEN_RANGE;
		rv = p11_rv_from_fhsm(fhsm_mac_final(op->ctx, buf));
		if (rv == CKR_OK && !fhsm_ct_equal(buf, sig, len))
			rv = CKR_SIGNATURE_INVALID;
	} else if (op->ctx) {
		rv = p11_rv_from_fhsm(fhsm_hash_final(op->ctx, buf));
		if (rv == CKR_OK)
			rv = p11_pk_verify(op, buf, fhsm_hash_size((fhsm_hash_alg)op->m->hash), sig, len);
	} else {
		rv = p11_pk_verify(op, op->acc, op->acclen, sig, len);
	}
	fhsm_wipe(buf, sizeof(buf));
	return rv;
}

/* C_Sign (data != NULL or len == 0 with single) and C_SignFinal (single == false). */
static CK_RV sign_out(CK_SESSION_HANDLE hSession, bool single, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
		      CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	struct p11_session *s;
	struct p11_op *op;
	CK_RV rv = p11_op_enter(hSession, P11_OP_SIGN, &s, &op);
	if (rv != CKR_OK)
		return rv;
	if (!pulSignatureLen || (single && !pData && ulDataLen))
		rv = CKR_ARGUMENTS_BAD;
	else if (single && op->updated)
		rv = CKR_OPERATION_ACTIVE;
	else if ((rv = p11_out_len(pSignature, pulSignatureLen, sig_len(op))) == P11_RV_LENGTH_ONLY ||
		 rv == CKR_BUFFER_TOO_SMALL)
		goto keep;
	if (rv == CKR_OK && single)
		rv = feed(op, pData, ulDataLen);
	if (rv == CKR_OK)
		rv = produce(op, pSignature, pulSignatureLen);
	p11_op_end(op);
keep:
	p11_leave_session(s);
	return rv == P11_RV_LENGTH_ONLY ? CKR_OK : rv;
}

P11_EXPORT CK_RV C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
			CK_ULONG_PTR pulSignatureLen)
{
	return sign_out(hSession, true, pData, ulDataLen, pSignature, pulSignatureLen);
}

P11_EXPORT CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	return sign_out(hSession, false, NULL, 0, pSignature, pulSignatureLen);
}

static CK_RV update(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen, bool sign)
{
	struct p11_session *s;
	struct p11_op *op;
	CK_RV rv = p11_op_enter(hSession, sign ? P11_OP_SIGN : P11_OP_VERIFY, &s, &op);
	if (rv != CKR_OK)
		return rv;
	rv = !pPart && ulPartLen ? CKR_ARGUMENTS_BAD : feed(op, pPart, ulPartLen);
	if (rv == CKR_OK)
		op->updated = true;
	else
		p11_op_end(op);
	p11_leave_session(s);
	return rv;
}

P11_EXPORT CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
	return update(hSession, pPart, ulPartLen, true);
}

P11_EXPORT CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
	return update(hSession, pPart, ulPartLen, false);
}

static CK_RV verify(CK_SESSION_HANDLE hSession, bool single, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
		    CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	struct p11_session *s;
	struct p11_op *op;
	CK_RV rv = p11_op_enter(hSession, P11_OP_VERIFY, &s, &op);
	if (rv != CKR_OK)
		return rv;
	if (!pSignature || (single && !pData && ulDataLen))
		rv = CKR_ARGUMENTS_BAD;
	else if (single && op->updated)
		rv = CKR_OPERATION_ACTIVE;
	else if (single)
		rv = feed(op, pData, ulDataLen);
	if (rv == CKR_OK)
		rv = check(op, pSignature, ulSignatureLen);
	p11_op_end(op);
	p11_leave_session(s);
	return rv;
}

P11_EXPORT CK_RV C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
			  CK_ULONG ulSignatureLen)
{
	return verify(hSession, true, pData, ulDataLen, pSignature, ulSignatureLen);
}

P11_EXPORT CK_RV C_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	return verify(hSession, false, NULL, 0, pSignature, ulSignatureLen);
}

/* Signing and verification: C_SignInit, C_Sign, C_SignUpdate, C_SignFinal and the
 * C_Verify* twins. MACs (HMAC, CMAC, and their _GENERAL forms) today; the public-key
 * mechanisms join them here. Same operation semantics as crypt.c. */
#include <string.h>
#include "fhsm/cipher.h"
#include "object.h"

CK_RV p11_op_key(struct p11_session *s, struct p11_op *op, const struct p11_mech *m, CK_OBJECT_HANDLE hKey,
		 CK_ATTRIBUTE_TYPE usage, const struct p11_attr **value);

static CK_RV mac_init(struct p11_op *op, const struct p11_mech *m, const CK_MECHANISM *mech,
		      const struct p11_attr *key)
{
	fhsm_err err = m->cls == MC_HMAC ? fhsm_mac_new(FHSM_MAC_HMAC, m->hash, key->val, key->len, (fhsm_mac_ctx **)&op->ctx)
					 : fhsm_mac_new(FHSM_MAC_CMAC, m->cipher, key->val, key->len, (fhsm_mac_ctx **)&op->ctx);
	if (err != FHSM_OK)
		return p11_rv_from_fhsm(err);
	size_t full = fhsm_mac_size(op->ctx);
	op->out_len = full;
	if (m->general) {
		const CK_MAC_GENERAL_PARAMS *len = mech->pParameter;
		if (!len || mech->ulParameterLen != sizeof(*len) || *len == 0 || *len > full)
			return CKR_MECHANISM_PARAM_INVALID;
		op->out_len = *len;
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
	const struct p11_mech *m = pMechanism ? p11_mech_find(pMechanism->mechanism) : NULL;
	if (!pMechanism)
		rv = CKR_ARGUMENTS_BAD;
	else if (op->active)
		rv = CKR_OPERATION_ACTIVE;
	else if (!m || !(m->flags & (sign ? CKF_SIGN : CKF_VERIFY)))
		rv = CKR_MECHANISM_INVALID;
	else if ((rv = p11_op_key(s, op, m, hKey, sign ? CKA_SIGN : CKA_VERIFY, &key)) == CKR_OK) {
		op->m = m;
		rv = mac_init(op, m, pMechanism, key);
	}
	if (rv == CKR_OK)
		op->active = true;
	else if (rv != CKR_OPERATION_ACTIVE)
		p11_op_end(op);
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

/* Finishes a MAC into mac (op->out_len bytes). */
static CK_RV mac_finish(struct p11_op *op, uint8_t mac[64])
{
	uint8_t full[64];
	CK_RV rv = p11_rv_from_fhsm(fhsm_mac_final(op->ctx, full));
	memcpy(mac, full, op->out_len);
	fhsm_wipe(full, sizeof(full));
	return rv;
}

static CK_RV op_get(CK_SESSION_HANDLE hSession, bool sign, struct p11_session **s, struct p11_op **op)
{
	CK_RV rv = p11_enter_session(hSession, s);
	if (rv != CKR_OK)
		return rv;
	*op = sign ? &(*s)->sign : &(*s)->verify;
	if (!(*op)->active) {
		p11_leave_session(*s);
		return CKR_OPERATION_NOT_INITIALIZED;
	}
	return CKR_OK;
}

P11_EXPORT CK_RV C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
			CK_ULONG_PTR pulSignatureLen)
{
	struct p11_session *s;
	struct p11_op *op;
	uint8_t mac[64];
	CK_RV rv = op_get(hSession, true, &s, &op);
	if (rv != CKR_OK)
		return rv;
	if (!pulSignatureLen || (!pData && ulDataLen))
		rv = CKR_ARGUMENTS_BAD;
	else if (op->updated)
		rv = CKR_OPERATION_ACTIVE;
	else if ((rv = p11_out_len(pSignature, pulSignatureLen, op->out_len)) == P11_RV_LENGTH_ONLY ||
		 rv == CKR_BUFFER_TOO_SMALL)
		goto keep;
	if (rv == CKR_OK)
		rv = p11_rv_from_fhsm(fhsm_mac_update(op->ctx, pData, ulDataLen));
	if (rv == CKR_OK && (rv = mac_finish(op, mac)) == CKR_OK)
		memcpy(pSignature, mac, op->out_len);
	fhsm_wipe(mac, sizeof(mac));
	p11_op_end(op);
keep:
	p11_leave_session(s);
	return rv == P11_RV_LENGTH_ONLY ? CKR_OK : rv;
}

static CK_RV mac_update(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen, bool sign)
{
	struct p11_session *s;
	struct p11_op *op;
	CK_RV rv = op_get(hSession, sign, &s, &op);
	if (rv != CKR_OK)
		return rv;
	rv = !pPart && ulPartLen ? CKR_ARGUMENTS_BAD : p11_rv_from_fhsm(fhsm_mac_update(op->ctx, pPart, ulPartLen));
	if (rv == CKR_OK)
		op->updated = true;
	else
		p11_op_end(op);
	p11_leave_session(s);
	return rv;
}

P11_EXPORT CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
	return mac_update(hSession, pPart, ulPartLen, true);
}

P11_EXPORT CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
	return mac_update(hSession, pPart, ulPartLen, false);
}

P11_EXPORT CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	struct p11_session *s;
	struct p11_op *op;
	uint8_t mac[64];
	CK_RV rv = op_get(hSession, true, &s, &op);
	if (rv != CKR_OK)
		return rv;
	if (!pulSignatureLen)
		rv = CKR_ARGUMENTS_BAD;
	else if ((rv = p11_out_len(pSignature, pulSignatureLen, op->out_len)) == P11_RV_LENGTH_ONLY ||
		 rv == CKR_BUFFER_TOO_SMALL)
		goto keep;
	if (rv == CKR_OK && (rv = mac_finish(op, mac)) == CKR_OK)
		memcpy(pSignature, mac, op->out_len);
	fhsm_wipe(mac, sizeof(mac));
	p11_op_end(op);
keep:
	p11_leave_session(s);
	return rv == P11_RV_LENGTH_ONLY ? CKR_OK : rv;
}

/* Compares the MAC over everything fed so far with the caller's, in constant time. */
static CK_RV mac_verify(struct p11_op *op, const uint8_t *sig, CK_ULONG sig_len)
{
	uint8_t mac[64];
	if (sig_len != op->out_len)
		return CKR_SIGNATURE_LEN_RANGE;
	CK_RV rv = mac_finish(op, mac);
	if (rv == CKR_OK && !fhsm_ct_equal(mac, sig, sig_len))
		rv = CKR_SIGNATURE_INVALID;
	fhsm_wipe(mac, sizeof(mac));
	return rv;
}

P11_EXPORT CK_RV C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
			  CK_ULONG ulSignatureLen)
{
	struct p11_session *s;
	struct p11_op *op;
	CK_RV rv = op_get(hSession, false, &s, &op);
	if (rv != CKR_OK)
		return rv;
	if (!pSignature || (!pData && ulDataLen))
		rv = CKR_ARGUMENTS_BAD;
	else if (op->updated)
		rv = CKR_OPERATION_ACTIVE;
	else
		rv = p11_rv_from_fhsm(fhsm_mac_update(op->ctx, pData, ulDataLen));
	if (rv == CKR_OK)
		rv = mac_verify(op, pSignature, ulSignatureLen);
	p11_op_end(op);
	p11_leave_session(s);
	return rv;
}

P11_EXPORT CK_RV C_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	struct p11_session *s;
	struct p11_op *op;
	CK_RV rv = op_get(hSession, false, &s, &op);
	if (rv != CKR_OK)
		return rv;
	rv = pSignature ? mac_verify(op, pSignature, ulSignatureLen) : CKR_ARGUMENTS_BAD;
	p11_op_end(op);
	p11_leave_session(s);
	return rv;
}

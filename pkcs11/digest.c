/* Message digesting: C_DigestInit, C_Digest, C_DigestUpdate, C_DigestKey, C_DigestFinal.
 *
 * PKCS#11 §5.12: a call that fails with anything but CKR_BUFFER_TOO_SMALL ends the
 * operation, as does a successful C_Digest/C_DigestFinal; asking for the length
 * (NULL output) keeps it. C_Digest after C_DigestUpdate is CKR_OPERATION_ACTIVE. */
#include "pk.h"

/* Only CKM_GOSTR3411 takes a parameter: an optional hash parameter set (a DER OID). */
static CK_RV digest_param(const struct p11_mech *m, const CK_MECHANISM *mech, fhsm_hash_alg *alg)
{
	*alg = (fhsm_hash_alg)m->hash;
	if (m->type == CKM_GOSTR3411)
		return p11_gost_hash_param(mech, alg);
	return mech->pParameter || mech->ulParameterLen ? CKR_MECHANISM_PARAM_INVALID : CKR_OK;
}

void p11_digest_end(struct p11_digest_op *op)
{
	fhsm_hash_free(op->ctx);
	op->ctx = NULL;
	op->active = op->updated = false;
}

P11_EXPORT CK_RV C_DigestInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism)
{
	struct p11_session *s;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	const struct p11_mech *m = pMechanism ? p11_mech_find(pMechanism->mechanism) : NULL;
	fhsm_hash_alg alg = 0;
	if (!pMechanism)
		rv = CKR_ARGUMENTS_BAD;
	else if (s->digest.active)
		rv = CKR_OPERATION_ACTIVE;
	else if (!m || !(m->flags & CKF_DIGEST))
		rv = CKR_MECHANISM_INVALID;
	else if ((rv = digest_param(m, pMechanism, &alg)) == CKR_OK)
		rv = p11_rv_from_fhsm(fhsm_hash_new(alg, &s->digest.ctx));
	if (rv == CKR_OK) {
		s->digest.active = true;
		s->digest.updated = false;
		s->digest.alg = alg;
	}
	p11_leave_session(s);
	return rv;
}

/* Writes the digest (or its length) per the output-buffer convention; ends the
 * operation unless only the length was asked or the buffer was too small. */
static CK_RV finish(struct p11_digest_op *op, CK_BYTE_PTR out, CK_ULONG_PTR out_len,
		    CK_BYTE_PTR data, CK_ULONG data_len)
{
	CK_RV rv = p11_out_len(out, out_len, fhsm_hash_size(op->alg));
	if (rv == P11_RV_LENGTH_ONLY)
		return CKR_OK;
	if (rv == CKR_BUFFER_TOO_SMALL)
		return rv;
	rv = p11_rv_from_fhsm(fhsm_hash_update(op->ctx, data, data_len));
	if (rv == CKR_OK)
		rv = p11_rv_from_fhsm(fhsm_hash_final(op->ctx, out));
	p11_digest_end(op);
	return rv;
}

/* The start of every call after C_DigestInit: the session, entered, and its running
 * digest. On an error the session is already left. */
static CK_RV digest_enter(CK_SESSION_HANDLE h, struct p11_session **s, struct p11_digest_op **op)
{
	CK_RV rv = p11_enter_session(h, s);
	if (rv != CKR_OK)
		return rv;
	*op = &(*s)->digest;
	if (!(*op)->active) {
		p11_leave_session(*s);
		return CKR_OPERATION_NOT_INITIALIZED;
	}
	return CKR_OK;
}

P11_EXPORT CK_RV C_Digest(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
			  CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
	struct p11_session *s;
	struct p11_digest_op *op;
	CK_RV rv = digest_enter(hSession, &s, &op);
	if (rv != CKR_OK)
		return rv;
	if (!pulDigestLen || (!pData && ulDataLen)) {
		rv = CKR_ARGUMENTS_BAD;
		p11_digest_end(op);
	} else if (op->updated) {
		rv = CKR_OPERATION_ACTIVE; /* C_Digest cannot finish a multi-part digest */
		p11_digest_end(op);
	} else {
		rv = finish(op, pDigest, pulDigestLen, pData, ulDataLen);
	}
	p11_leave_session(s);
	return rv;
}

P11_EXPORT CK_RV C_DigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
	struct p11_session *s;
	struct p11_digest_op *op;
	CK_RV rv = digest_enter(hSession, &s, &op);
	if (rv != CKR_OK)
		return rv;
	rv = !pPart && ulPartLen ? CKR_ARGUMENTS_BAD : p11_rv_from_fhsm(fhsm_hash_update(op->ctx, pPart, ulPartLen));
	if (rv == CKR_OK)
		op->updated = true;
	else
		p11_digest_end(op);
	p11_leave_session(s);
	return rv;
}

/* C_DigestKey: the CKA_VALUE of a secret key into the digest. Like SoftHSM, a
 * sensitive or unextractable key is digested too: the digest does not reveal the
 * value (PKCS#11 leaves this to the token). Failure ends the operation. */
P11_EXPORT CK_RV C_DigestKey(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hKey)
{
	struct p11_session *s;
	struct p11_attrs *k = NULL;
	struct p11_digest_op *op;
	CK_RV rv = digest_enter(hSession, &s, &op);
	if (rv != CKR_OK)
		return rv;
	rv = p11_key_for_op(s, hKey, P11_ANY, P11_ANY, &k);
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		rv = CKR_KEY_HANDLE_INVALID;
	const struct p11_attr *v = rv == CKR_OK ? p11_attrs_find(k, CKA_VALUE) : NULL;
	if (rv == CKR_OK && (p11_attrs_ulong(k, CKA_CLASS, 0) != CKO_SECRET_KEY || !v))
		rv = CKR_KEY_INDIGESTIBLE;
	if (rv == CKR_OK)
		rv = p11_rv_from_fhsm(fhsm_hash_update(op->ctx, v->val, v->len));
	if (rv == CKR_OK)
		op->updated = true;
	else
		p11_digest_end(op);
	p11_attrs_free(k);
	p11_leave_session(s);
	return rv;
}

P11_EXPORT CK_RV C_DigestFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
	struct p11_session *s;
	struct p11_digest_op *op;
	CK_RV rv = digest_enter(hSession, &s, &op);
	if (rv != CKR_OK)
		return rv;
	if (!pulDigestLen) {
		rv = CKR_ARGUMENTS_BAD;
		p11_digest_end(op);
	} else {
		rv = finish(op, pDigest, pulDigestLen, NULL, 0);
	}
	p11_leave_session(s);
	return rv;
}

/* Encryption and decryption: C_EncryptInit, C_Encrypt, C_EncryptUpdate, C_EncryptFinal
 * and the C_Decrypt* twins, for the block modes (ECB, CBC, CBC-PAD, CTR) and AEAD (GCM, CCM).
 *
 * Semantics (PKCS#11 §5.8-5.9): a call that fails with anything but
 * CKR_BUFFER_TOO_SMALL ends the operation, and so does a successful single-part call
 * or Final; asking for the length (NULL output) keeps it. Output sizes are computed
 * before anything is processed, so CKR_BUFFER_TOO_SMALL leaves the state untouched.
 * Results go straight into the caller's buffer, except where plaintext must not be
 * released before it is checked (AEAD decryption, CBC-PAD padding). */
#include <stdlib.h>
#include <string.h>
#include "fhsm/cipher.h"
#include "pk.h"

CK_RV p11_op_check(const struct p11_op *op, const CK_MECHANISM *pm, CK_FLAGS need, const struct p11_mech **m)
{
	*m = pm ? p11_mech_find(pm->mechanism) : NULL;
	if (!pm)
		return CKR_ARGUMENTS_BAD;
	if (op->active)
		return CKR_OPERATION_ACTIVE;
	if (!*m || !((*m)->flags & need))
		return CKR_MECHANISM_INVALID;
	return CKR_OK;
}

CK_RV p11_op_settle(struct p11_op *op, CK_RV rv)
{
	if (rv == CKR_OK)
		op->active = true;
	else if (rv != CKR_OPERATION_ACTIVE) /* that one is about the operation already running */
		p11_op_end(op);
	return rv;
}

CK_RV p11_op_enter(CK_SESSION_HANDLE h, enum p11_op_kind kind, struct p11_session **s, struct p11_op **op)
{
	CK_RV rv = p11_enter_session(h, s);
	if (rv != CKR_OK)
		return rv;
	*op = kind == P11_OP_ENCRYPT ? &(*s)->enc
	    : kind == P11_OP_DECRYPT ? &(*s)->dec
	    : kind == P11_OP_SIGN    ? &(*s)->sign
				     : &(*s)->verify;
	if (!(*op)->active) {
		p11_leave_session(*s);
		return CKR_OPERATION_NOT_INITIALIZED;
	}
	return CKR_OK;
}

void p11_op_end(struct p11_op *op)
{
	if (op->m && op->m->cls == MC_AEAD)
		fhsm_aead_free(op->ctx);
	else if (op->m && op->m->cls == MC_BLOCK)
		fhsm_cipher_free(op->ctx);
	else if (op->m && (op->m->cls == MC_HMAC || op->m->cls == MC_CMAC))
		fhsm_mac_free(op->ctx);
	else if (op->m)
		p11_pk_end(op);
	p11_attrs_free(op->key);
	if (op->acc)
		fhsm_wipe(op->acc, op->acccap);
	free(op->acc);
	fhsm_wipe(op, sizeof(*op));
}

CK_RV p11_op_append(struct p11_op *op, const uint8_t *data, size_t len)
{
	if (op->acclen + len > op->acccap) {
		size_t cap = op->acccap ? op->acccap : 256;
		while (cap < op->acclen + len)
			cap *= 2;
		uint8_t *n = malloc(cap);
		if (!n)
			return CKR_HOST_MEMORY;
		if (op->acclen)
			memcpy(n, op->acc, op->acclen);
		if (op->acc)
			fhsm_wipe(op->acc, op->acccap);
		free(op->acc);
		op->acc = n;
		op->acccap = cap;
	}
	if (len)
		memcpy(op->acc + op->acclen, data, len);
	op->acclen += len;
	return CKR_OK;
}

/* The key's value for a symmetric mechanism, with the checks every *Init makes;
 * hmac: instead of the value, the key's cached HMAC states (*value stays NULL). */
CK_RV p11_op_key(struct p11_session *s, struct p11_op *op, const struct p11_mech *m, CK_OBJECT_HANDLE hKey,
		 CK_ATTRIBUTE_TYPE usage, const struct p11_attr **value, struct p11_keyref **hmac)
{
	*value = NULL;
	CK_RV rv = hmac ? p11_key_for_hmac_op(s, hKey, usage, m, hmac)
			: p11_key_value_for_op(s, hKey, usage, m->type, &op->key);
	if (rv != CKR_OK)
		return rv == CKR_OBJECT_HANDLE_INVALID ? CKR_KEY_HANDLE_INVALID : rv;
	return hmac ? CKR_OK : p11_key_fits(op->key, m, value);
}

CK_RV p11_key_fits(const struct p11_attrs *a, const struct p11_mech *m, const struct p11_attr **value)
{
	if (!p11_mech_takes(m, p11_attrs_ulong(a, CKA_KEY_TYPE, CK_UNAVAILABLE_INFORMATION)))
		return CKR_KEY_TYPE_INCONSISTENT;
	const struct p11_attr *v = p11_attrs_find(a, CKA_VALUE);
	if (!v || v->len < m->min_key || v->len > m->max_key)
		return CKR_KEY_SIZE_RANGE;
	if (value)
		*value = v;
	return CKR_OK;
}

static CK_RV init_block(struct p11_op *op, const struct p11_mech *m, const CK_MECHANISM *mech,
			const struct p11_attr *key, bool encrypt)
{
	size_t block = fhsm_block_size((fhsm_block_cipher)m->cipher);
	const uint8_t *iv = NULL;
	unsigned ctr_bits = 0;
	if (m->mode == FHSM_MODE_ECB) {
		if (mech->pParameter || mech->ulParameterLen)
			return CKR_MECHANISM_PARAM_INVALID;
	} else if (m->mode == FHSM_MODE_CBC) {
		if (!mech->pParameter || mech->ulParameterLen != block)
			return CKR_MECHANISM_PARAM_INVALID;
		iv = mech->pParameter;
	} else {
		const CK_AES_CTR_PARAMS *p = mech->pParameter;
		if (!p || mech->ulParameterLen != sizeof(*p) || p->ulCounterBits == 0 || p->ulCounterBits > 128 ||
		    p->ulCounterBits % 8)
			return CKR_MECHANISM_PARAM_INVALID; /* counters of whole bytes only */
		iv = p->cb;
		ctr_bits = (unsigned)p->ulCounterBits;
	}
	return p11_rv_from_fhsm(fhsm_cipher_new((fhsm_block_cipher)m->cipher, (fhsm_cipher_mode)m->mode, encrypt,
						 key->val, key->len, iv, ctr_bits, (fhsm_cipher_ctx **)&op->ctx));
}

static CK_RV init_aead(struct p11_op *op, const struct p11_mech *m, const CK_MECHANISM *mech,
		       const struct p11_attr *key, bool encrypt)
{
	fhsm_err err;
	if (m->mode == 0) {
		const CK_GCM_PARAMS *p = mech->pParameter;
		if (!p || mech->ulParameterLen != sizeof(*p) || !p->pIv || p->ulIvLen == 0 || p->ulIvLen > 256 ||
		    (!p->pAAD && p->ulAADLen) || p->ulTagBits % 8 || p->ulTagBits < 32 || p->ulTagBits > 128)
			return CKR_MECHANISM_PARAM_INVALID;
		op->out_len = p->ulTagBits / 8;
		err = fhsm_gcm_new(key->val, key->len, p->pIv, p->ulIvLen, p->pAAD, p->ulAADLen, encrypt,
				   (fhsm_aead_ctx **)&op->ctx);
	} else {
		const CK_CCM_PARAMS *p = mech->pParameter;
		if (!p || mech->ulParameterLen != sizeof(*p) || !p->pNonce || p->ulNonceLen < 7 || p->ulNonceLen > 13 ||
		    (!p->pAAD && p->ulAADLen) || p->ulMACLen < 4 || p->ulMACLen > 16 || p->ulMACLen % 2)
			return CKR_MECHANISM_PARAM_INVALID;
		op->out_len = p->ulMACLen;
		op->data_len = p->ulDataLen;
		err = fhsm_ccm_new(key->val, key->len, p->pNonce, p->ulNonceLen, p->pAAD, p->ulAADLen, p->ulDataLen,
				   p->ulMACLen, encrypt, (fhsm_aead_ctx **)&op->ctx);
	}
	return err == FHSM_ERR_ARGS ? CKR_MECHANISM_PARAM_INVALID : p11_rv_from_fhsm(err);
}

static CK_RV crypt_init(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey, bool encrypt)
{
	struct p11_session *s;
	const struct p11_attr *key;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	struct p11_op *op = encrypt ? &s->enc : &s->dec;
	const struct p11_mech *m;
	CK_ATTRIBUTE_TYPE usage = encrypt ? CKA_ENCRYPT : CKA_DECRYPT;
	rv = p11_op_check(op, pMechanism, encrypt ? CKF_ENCRYPT : CKF_DECRYPT, &m);
	if (rv == CKR_OK && m->cls == MC_RSA)
		rv = p11_pk_op_init(s, op, m, pMechanism, hKey, usage, !encrypt);
	else if (rv == CKR_OK && (rv = p11_op_key(s, op, m, hKey, usage, &key, NULL)) == CKR_OK) {
		op->m = m;
		rv = m->cls == MC_AEAD ? init_aead(op, m, pMechanism, key, encrypt)
				       : init_block(op, m, pMechanism, key, encrypt);
	}
	rv = p11_op_settle(op, rv);
	p11_leave_session(s);
	return rv;
}

P11_EXPORT CK_RV C_EncryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	return crypt_init(hSession, pMechanism, hKey, true);
}

P11_EXPORT CK_RV C_DecryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	return crypt_init(hSession, pMechanism, hKey, false);
}

/* ---- the work, per mechanism class ---- */
static size_t block_of(const struct p11_op *op)
{
	return fhsm_block_size((fhsm_block_cipher)op->m->cipher);
}

/* Bytes an update of len produces (decrypt_pad: keep the last block back). */
static size_t update_out(const struct p11_op *op, size_t len, bool encrypt)
{
	if (op->m->cls == MC_RSA)
		return 0;
	if (op->m->cls == MC_AEAD)
		return encrypt ? len : 0; /* decrypted data is released only after the tag check */
	if (op->m->mode == FHSM_MODE_CTR)
		return len;
	size_t block = block_of(op), total = op->buflen + len;
	if (!encrypt && op->m->pad)
		return total ? (total - 1) / block * block : 0;
	return total / block * block;
}

/* Feeds len bytes through the buffered block cipher; writes update_out() bytes. */
static CK_RV block_update(struct p11_op *op, const uint8_t *in, size_t len, uint8_t *out, bool encrypt)
{
	size_t n = update_out(op, len, encrypt), done = 0, block = block_of(op);
	fhsm_cipher_ctx *ctx = op->ctx;
	if (op->m->mode == FHSM_MODE_CTR)
		return p11_rv_from_fhsm(fhsm_cipher_update(ctx, in, len, out));
	/* First complete the buffered partial block, then whole blocks straight from in. */
	while (done < n) {
		if (op->buflen) {
			size_t take = block - op->buflen;
			memcpy(op->buf + op->buflen, in, take);
			in += take;
			len -= take;
			op->buflen = 0;
			fhsm_err err = fhsm_cipher_update(ctx, op->buf, block, out);
			if (err != FHSM_OK)
				return p11_rv_from_fhsm(err);
			done += block;
			out += block;
			continue;
		}
		size_t direct = n - done;
		fhsm_err err = fhsm_cipher_update(ctx, in, direct, out);
		if (err != FHSM_OK)
			return p11_rv_from_fhsm(err);
		in += direct;
		len -= direct;
		done += direct;
	}
	memcpy(op->buf + op->buflen, in, len);
	op->buflen += len;
	return CKR_OK;
}

static size_t final_out(const struct p11_op *op, bool encrypt)
{
	if (op->m->cls == MC_RSA)
		return p11_pk_crypt_len(op);
	if (op->m->cls == MC_AEAD)
		return encrypt ? op->out_len : op->acclen > op->out_len ? op->acclen - op->out_len : 0;
	if (op->m->pad)
		return block_of(op); /* decryption: an upper bound until unpadded */
	return 0;
}

/* PKCS#7 padding check without a data-dependent branch on the pad bytes. */
static size_t unpad(const uint8_t *blk, size_t block, bool *ok)
{
	uint8_t pad = blk[block - 1], bad = (uint8_t)((pad == 0) | (pad > block));
	for (size_t i = 0; i < block; i++) {
		uint8_t in_pad = (uint8_t)((block - i) <= pad);
		bad |= (uint8_t)(in_pad & (blk[i] != pad));
	}
	*ok = !bad;
	return bad ? 0 : block - pad;
}

static CK_RV block_final(struct p11_op *op, uint8_t *out, CK_ULONG_PTR out_len, bool encrypt)
{
	size_t block = block_of(op);
	if (!op->m->pad) {
		if (op->buflen)
			return encrypt ? CKR_DATA_LEN_RANGE : CKR_ENCRYPTED_DATA_LEN_RANGE;
		*out_len = 0;
		return CKR_OK;
	}
	uint8_t last[16];
	if (encrypt) {
		memset(op->buf + op->buflen, (int)(block - op->buflen), block - op->buflen);
		*out_len = block;
		return p11_rv_from_fhsm(fhsm_cipher_update(op->ctx, op->buf, block, out));
	}
	if (op->buflen != block)
		return CKR_ENCRYPTED_DATA_LEN_RANGE;
	CK_RV rv = p11_rv_from_fhsm(fhsm_cipher_update(op->ctx, op->buf, block, last));
	bool ok;
	size_t n = unpad(last, block, &ok);
	if (rv == CKR_OK && !ok)
		rv = CKR_ENCRYPTED_DATA_INVALID;
	if (rv == CKR_OK) {
		memcpy(out, last, n);
		*out_len = n;
	}
	fhsm_wipe(last, sizeof(last));
	return rv;
}

static CK_RV aead_final(struct p11_op *op, uint8_t *out, CK_ULONG_PTR out_len, bool encrypt)
{
	if (encrypt) {
		*out_len = op->out_len;
		return p11_rv_from_fhsm(fhsm_aead_tag(op->ctx, out, op->out_len));
	}
	if (op->acclen < op->out_len)
		return CKR_ENCRYPTED_DATA_LEN_RANGE;
	size_t n = op->acclen - op->out_len;
	if (op->m->mode == 1 && n != op->data_len)
		return CKR_ENCRYPTED_DATA_LEN_RANGE;
	/* Decrypt in place, check the tag, and only then hand the plaintext out. */
	fhsm_err err = fhsm_aead_update(op->ctx, op->acc, n, op->acc);
	if (err == FHSM_OK)
		err = fhsm_aead_check(op->ctx, op->acc + n, op->out_len);
	if (err == FHSM_ERR_AUTH)
		return CKR_ENCRYPTED_DATA_INVALID;
	if (err != FHSM_OK)
		return p11_rv_from_fhsm(err);
	if (n)
		memcpy(out, op->acc, n);
	*out_len = n;
	return CKR_OK;
}

/* The exact size of a single-part result (CBC-PAD decryption: an upper bound). */
static size_t single_out(const struct p11_op *op, size_t len, bool encrypt)
{
	if (op->m->cls == MC_RSA)
		return p11_pk_crypt_len(op);
	if (op->m->cls == MC_AEAD)
		return encrypt ? len + op->out_len : len > op->out_len ? len - op->out_len : 0;
	if (op->m->pad && encrypt)
		return (len / block_of(op) + 1) * block_of(op);
	return len;
}

static CK_RV check_len(const struct p11_op *op, size_t len, bool encrypt, bool single)
{
	if (op->m->cls == MC_RSA)
		return op->acclen + len > p11_pk_crypt_len(op) ? (encrypt ? CKR_DATA_LEN_RANGE : CKR_ENCRYPTED_DATA_LEN_RANGE)
								: CKR_OK;
	if (op->m->cls == MC_AEAD) {
		if (op->m->mode == 1 && encrypt && op->acclen + len > op->data_len)
			return CKR_DATA_LEN_RANGE;
		return CKR_OK;
	}
	if (!single || op->m->mode == FHSM_MODE_CTR || (op->m->pad && encrypt))
		return CKR_OK;
	if (len % block_of(op) || (op->m->pad && len == 0))
		return encrypt ? CKR_DATA_LEN_RANGE : CKR_ENCRYPTED_DATA_LEN_RANGE;
	return CKR_OK;
}

static CK_RV do_update(struct p11_op *op, const uint8_t *in, size_t len, uint8_t *out, bool encrypt)
{
	if (op->m->cls == MC_RSA)
		return p11_op_append(op, in, len);
	if (op->m->cls == MC_BLOCK)
		return block_update(op, in, len, out, encrypt);
	if (!encrypt)
		return p11_op_append(op, in, len); /* checked at the end */
	op->acclen += len; /* CCM counts what it has seen */
	return p11_rv_from_fhsm(fhsm_aead_update(op->ctx, in, len, out));
}

static CK_RV do_final(struct p11_op *op, uint8_t *out, CK_ULONG_PTR out_len, bool encrypt)
{
	if (op->m->cls == MC_RSA)
		return p11_pk_crypt(op, encrypt, op->acc, op->acclen, out, out_len);
	if (op->m->cls == MC_AEAD) {
		if (encrypt && op->m->mode == 1 && op->acclen != op->data_len)
			return CKR_DATA_LEN_RANGE;
		return aead_final(op, out, out_len, encrypt);
	}
	return block_final(op, out, out_len, encrypt);
}

/* ---- entry points ---- */
static CK_RV single(CK_SESSION_HANDLE hSession, CK_BYTE_PTR in, CK_ULONG len, CK_BYTE_PTR out, CK_ULONG_PTR out_len,
		    bool encrypt)
{
	struct p11_session *s;
	struct p11_op *op;
	CK_RV rv = p11_op_enter(hSession, encrypt ? P11_OP_ENCRYPT : P11_OP_DECRYPT, &s, &op);
	if (rv != CKR_OK)
		return rv;
	if (!out_len || (!in && len)) {
		rv = CKR_ARGUMENTS_BAD;
		goto end;
	}
	if (op->updated) {
		rv = CKR_OPERATION_ACTIVE; /* a multi-part operation is not finished with C_Encrypt */
		goto end;
	}
	if ((rv = check_len(op, len, encrypt, true)) != CKR_OK)
		goto end;
	rv = p11_out_len(out, out_len, single_out(op, len, encrypt));
	if (rv == P11_RV_LENGTH_ONLY || rv == CKR_BUFFER_TOO_SMALL) {
		if (rv == P11_RV_LENGTH_ONLY)
			rv = CKR_OK;
		goto out;
	}
	/* CBC-PAD decryption's exact size is known only after unpadding. */
	bool scratch = !encrypt && ((op->m->cls == MC_BLOCK && op->m->pad) || op->m->cls == MC_RSA);
	size_t room = op->m->cls == MC_RSA ? p11_pk_crypt_len(op) : len;
	uint8_t *dst = scratch ? malloc(room ? room : 1) : out;
	CK_ULONG tail = scratch ? room : *out_len;
	if (!dst) {
		rv = CKR_HOST_MEMORY;
		goto end;
	}
	size_t head = update_out(op, len, encrypt);
	rv = do_update(op, in, len, dst, encrypt);
	if (rv == CKR_OK)
		rv = do_final(op, dst + head, &tail, encrypt);
	if (rv == CKR_OK && scratch) {
		if (*out_len < head + tail) {
			rv = CKR_BUFFER_TOO_SMALL; /* the bound we gave was met; the caller's is smaller */
		} else {
			memcpy(out, dst, head + tail);
		}
	}
	if (rv == CKR_OK)
		*out_len = head + tail;
	if (scratch) {
		fhsm_wipe(dst, room);
		free(dst);
	}
end:
	p11_op_end(op);
out:
	p11_leave_session(s);
	return rv;
}

static CK_RV update(CK_SESSION_HANDLE hSession, CK_BYTE_PTR in, CK_ULONG len, CK_BYTE_PTR out, CK_ULONG_PTR out_len,
		    bool encrypt)
{
	struct p11_session *s;
	struct p11_op *op;
	CK_RV rv = p11_op_enter(hSession, encrypt ? P11_OP_ENCRYPT : P11_OP_DECRYPT, &s, &op);
	if (rv != CKR_OK)
		return rv;
	if (!out_len || (!in && len))
		rv = CKR_ARGUMENTS_BAD;
	else if ((rv = check_len(op, len, encrypt, false)) == CKR_OK)
		rv = p11_out_len(out, out_len, update_out(op, len, encrypt));
	/* Nothing to write (AEAD decryption, a partial block): then it is no length query. */
	if (rv == P11_RV_LENGTH_ONLY && *out_len == 0)
		rv = CKR_OK;
	if (rv == P11_RV_LENGTH_ONLY || rv == CKR_BUFFER_TOO_SMALL) {
		if (rv == P11_RV_LENGTH_ONLY)
			rv = CKR_OK;
		goto out;
	}
	if (rv == CKR_OK)
		rv = do_update(op, in, len, out, encrypt);
	if (rv == CKR_OK)
		op->updated = true;
	else
		p11_op_end(op);
out:
	p11_leave_session(s);
	return rv;
}

static CK_RV final(CK_SESSION_HANDLE hSession, CK_BYTE_PTR out, CK_ULONG_PTR out_len, bool encrypt)
{
	struct p11_session *s;
	struct p11_op *op;
	CK_RV rv = p11_op_enter(hSession, encrypt ? P11_OP_ENCRYPT : P11_OP_DECRYPT, &s, &op);
	if (rv != CKR_OK)
		return rv;
	if (!out_len) {
		rv = CKR_ARGUMENTS_BAD;
		goto end;
	}
	rv = p11_out_len(out, out_len, final_out(op, encrypt));
	if (rv == P11_RV_LENGTH_ONLY && *out_len == 0)
		rv = CKR_OK;
	if (rv == P11_RV_LENGTH_ONLY || rv == CKR_BUFFER_TOO_SMALL) {
		if (rv == P11_RV_LENGTH_ONLY)
			rv = CKR_OK;
		goto out;
	}
	rv = do_final(op, out, out_len, encrypt);
end:
	p11_op_end(op);
out:
	p11_leave_session(s);
	return rv;
}

P11_EXPORT CK_RV C_Encrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pEncryptedData,
			   CK_ULONG_PTR pulEncryptedDataLen)
{
	return single(hSession, pData, ulDataLen, pEncryptedData, pulEncryptedDataLen, true);
}

P11_EXPORT CK_RV C_EncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
				 CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen)
{
	return update(hSession, pPart, ulPartLen, pEncryptedPart, pulEncryptedPartLen, true);
}

P11_EXPORT CK_RV C_EncryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastEncryptedPart,
				CK_ULONG_PTR pulLastEncryptedPartLen)
{
	return final(hSession, pLastEncryptedPart, pulLastEncryptedPartLen, true);
}

P11_EXPORT CK_RV C_Decrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedData, CK_ULONG ulEncryptedDataLen,
			   CK_BYTE_PTR pData, CK_ULONG_PTR pulDataLen)
{
	return single(hSession, pEncryptedData, ulEncryptedDataLen, pData, pulDataLen, false);
}

P11_EXPORT CK_RV C_DecryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen,
				 CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen)
{
	return update(hSession, pEncryptedPart, ulEncryptedPartLen, pPart, pulPartLen, false);
}

P11_EXPORT CK_RV C_DecryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastPart, CK_ULONG_PTR pulLastPartLen)
{
	return final(hSession, pLastPart, pulLastPartLen, false);
}

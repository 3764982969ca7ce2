/* Entry points whose features are not built yet: they exist, as the function lists
 * require, and say CKR_FUNCTION_NOT_SUPPORTED. Each later issue moves its functions
 * out of this list into the file of its chapter. */
#include "p11.h"

#define H CK_SESSION_HANDLE hSession
#define P11_NOT_YET(X) \
	X(C_GetOperationState, (H, CK_BYTE_PTR pOperationState, CK_ULONG_PTR pulOperationStateLen)) \
	X(C_SetOperationState, (H, CK_BYTE_PTR pOperationState, CK_ULONG ulOperationStateLen, \
				CK_OBJECT_HANDLE hEncryptionKey, CK_OBJECT_HANDLE hAuthenticationKey)) \
	X(C_SignRecoverInit, (H, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)) \
	X(C_SignRecover, (H, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, \
			  CK_ULONG_PTR pulSignatureLen)) \
	X(C_VerifyRecoverInit, (H, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)) \
	X(C_VerifyRecover, (H, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen, CK_BYTE_PTR pData, \
			    CK_ULONG_PTR pulDataLen)) \
	X(C_DigestEncryptUpdate, (H, CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart, \
				  CK_ULONG_PTR pulEncryptedPartLen)) \
	X(C_DecryptDigestUpdate, (H, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen, \
				  CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen)) \
	X(C_SignEncryptUpdate, (H, CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart, \
				CK_ULONG_PTR pulEncryptedPartLen)) \
	X(C_DecryptVerifyUpdate, (H, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen, \
				  CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen)) \
	/* PKCS#11 3.0 message-based functions */ \
	X(C_MessageEncryptInit, (H, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)) \
	X(C_EncryptMessage, (H, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData, \
			     CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pPlaintext, CK_ULONG ulPlaintextLen, \
			     CK_BYTE_PTR pCiphertext, CK_ULONG_PTR pulCiphertextLen)) \
	X(C_EncryptMessageBegin, (H, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, \
				  CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen)) \
	X(C_EncryptMessageNext, (H, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pPlaintextPart, \
				 CK_ULONG ulPlaintextPartLen, CK_BYTE_PTR pCiphertextPart, \
				 CK_ULONG_PTR pulCiphertextPartLen, CK_FLAGS flags)) \
	X(C_MessageEncryptFinal, (H)) \
	X(C_MessageDecryptInit, (H, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)) \
	X(C_DecryptMessage, (H, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData, \
			     CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pCiphertext, CK_ULONG ulCiphertextLen, \
			     CK_BYTE_PTR pPlaintext, CK_ULONG_PTR pulPlaintextLen)) \
	X(C_DecryptMessageBegin, (H, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, \
				  CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen)) \
	X(C_DecryptMessageNext, (H, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pCiphertextPart, \
				 CK_ULONG ulCiphertextPartLen, CK_BYTE_PTR pPlaintextPart, \
				 CK_ULONG_PTR pulPlaintextPartLen, CK_FLAGS flags)) \
	X(C_MessageDecryptFinal, (H)) \
	X(C_MessageSignInit, (H, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)) \
	X(C_SignMessage, (H, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData, \
			  CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)) \
	X(C_SignMessageBegin, (H, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen)) \
	X(C_SignMessageNext, (H, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData, \
			      CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)) \
	X(C_MessageSignFinal, (H)) \
	X(C_MessageVerifyInit, (H, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)) \
	X(C_VerifyMessage, (H, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData, \
			    CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)) \
	X(C_VerifyMessageBegin, (H, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen)) \
	X(C_VerifyMessageNext, (H, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData, \
				CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)) \
	X(C_MessageVerifyFinal, (H))

#define P11_DEFINE_NOT_YET(name, args) \
	P11_EXPORT CK_RV name args \
	{ \
		return CKR_FUNCTION_NOT_SUPPORTED; \
	}
P11_NOT_YET(P11_DEFINE_NOT_YET)

/* Legacy parallel-function management (PKCS#11 §5.20): always this answer. */
P11_EXPORT CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE hSession)
{
	return CKR_FUNCTION_NOT_PARALLEL;
}

P11_EXPORT CK_RV C_CancelFunction(CK_SESSION_HANDLE hSession)
{
	return CKR_FUNCTION_NOT_PARALLEL;
}

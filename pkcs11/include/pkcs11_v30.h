/* PKCS#11 3.0 additions that p11-kit's pkcs11.h (2.40) lacks.
 *
 * Include through p11_pkcs11.h, after <p11-kit/pkcs11.h> in CRYPTOKI_COMPAT mode.
 * Values and layouts follow the OASIS PKCS#11 3.0 base specification; every name
 * is guarded so a newer p11-kit that defines it wins. */
#ifndef FHSM_PKCS11_V30_H
#define FHSM_PKCS11_V30_H

#include <p11-kit/pkcs11.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef CKF_INTERFACE_FORK_SAFE
#define CKF_INTERFACE_FORK_SAFE 0x00000001UL

typedef struct CK_INTERFACE {
	CK_CHAR *pInterfaceName;
	CK_VOID_PTR pFunctionList;
	CK_FLAGS flags;
} CK_INTERFACE;
typedef CK_INTERFACE *CK_INTERFACE_PTR;
typedef CK_INTERFACE_PTR *CK_INTERFACE_PTR_PTR;
#endif

/* Mechanism flags added in 3.0 (also used by C_SessionCancel). */
#ifndef CKF_MESSAGE_ENCRYPT
#define CKF_MESSAGE_ENCRYPT 0x00000002UL
#define CKF_MESSAGE_DECRYPT 0x00000004UL
#define CKF_MESSAGE_SIGN 0x00000008UL
#define CKF_MESSAGE_VERIFY 0x00000010UL
#define CKF_MULTI_MESSAGE 0x00000020UL
#define CKF_FIND_OBJECTS 0x00000040UL
#endif
#ifndef CKF_END_OF_MESSAGE
#define CKF_END_OF_MESSAGE 0x00000001UL
#endif
#ifndef CKR_TOKEN_RESOURCE_EXCEEDED
#define CKR_TOKEN_RESOURCE_EXCEEDED 0x00000201UL
#endif
#ifndef CKR_OPERATION_CANCEL_FAILED
#define CKR_OPERATION_CANCEL_FAILED 0x00000202UL
#endif
#ifndef CKM_AES_KEY_WRAP_KWP
#define CKM_AES_KEY_WRAP_KWP 0x0000210BUL
#endif
#ifndef CKK_EC_MONTGOMERY
#define CKK_EC_MONTGOMERY 0x00000041UL
#endif
#ifndef CKM_EC_MONTGOMERY_KEY_PAIR_GEN
#define CKM_EC_MONTGOMERY_KEY_PAIR_GEN 0x00001056UL
#endif
#ifndef CKA_UNIQUE_ID
#define CKA_UNIQUE_ID 0x0000000AUL
#endif
#ifndef CKM_HKDF_DERIVE
#define CKM_HKDF_DERIVE 0x0000402AUL
#define CKM_HKDF_DATA 0x0000402BUL
#define CKM_HKDF_KEY_GEN 0x0000402CUL
#endif
#ifndef CKF_HKDF_SALT_NULL
#define CKF_HKDF_SALT_NULL 0x00000001UL
#define CKF_HKDF_SALT_DATA 0x00000002UL
#define CKF_HKDF_SALT_KEY 0x00000004UL
typedef struct CK_HKDF_PARAMS {
	CK_BBOOL bExtract;
	CK_BBOOL bExpand;
	CK_MECHANISM_TYPE prfHashMechanism;
	CK_ULONG ulSaltType;
	CK_BYTE_PTR pSalt;
	CK_ULONG ulSaltLen;
	CK_OBJECT_HANDLE hSaltKey;
	CK_BYTE_PTR pInfo;
	CK_ULONG ulInfoLen;
} CK_HKDF_PARAMS;
#endif


#ifndef FHSM_HAVE_CK_CCM_PARAMS
typedef struct CK_CCM_PARAMS {
	CK_ULONG ulDataLen;
	CK_BYTE_PTR pNonce;
	CK_ULONG ulNonceLen;
	CK_BYTE_PTR pAAD;
	CK_ULONG ulAADLen;
	CK_ULONG ulMACLen;
} CK_CCM_PARAMS;
#endif
typedef CK_ULONG CK_MAC_GENERAL_PARAMS;
#ifndef CKM_RSA_AES_KEY_WRAP
#define CKM_RSA_AES_KEY_WRAP 0x00001054UL
#endif
#ifndef FHSM_HAVE_CK_RSA_AES_KEY_WRAP_PARAMS
/* §2.1.21: the temporary AES key's size, and the OAEP parameters that wrap it. */
typedef struct CK_RSA_AES_KEY_WRAP_PARAMS {
	CK_ULONG ulAESKeyBits;
	CK_RSA_PKCS_OAEP_PARAMS_PTR pOAEPParams;
} CK_RSA_AES_KEY_WRAP_PARAMS;
typedef CK_RSA_AES_KEY_WRAP_PARAMS *CK_RSA_AES_KEY_WRAP_PARAMS_PTR;
#endif

/* The 2.40 functions, in the order of CK_FUNCTION_LIST (the first part of the 3.0 list). */
#define FHSM_P11_V240_NAMES(X) \
	X(C_Initialize) \
	X(C_Finalize) \
	X(C_GetInfo) \
	X(C_GetFunctionList) \
	X(C_GetSlotList) \
	X(C_GetSlotInfo) \
	X(C_GetTokenInfo) \
	X(C_GetMechanismList) \
	X(C_GetMechanismInfo) \
	X(C_InitToken) \
	X(C_InitPIN) \
	X(C_SetPIN) \
	X(C_OpenSession) \
	X(C_CloseSession) \
	X(C_CloseAllSessions) \
	X(C_GetSessionInfo) \
	X(C_GetOperationState) \
	X(C_SetOperationState) \
	X(C_Login) \
	X(C_Logout) \
	X(C_CreateObject) \
	X(C_CopyObject) \
	X(C_DestroyObject) \
	X(C_GetObjectSize) \
	X(C_GetAttributeValue) \
	X(C_SetAttributeValue) \
	X(C_FindObjectsInit) \
	X(C_FindObjects) \
	X(C_FindObjectsFinal) \
	X(C_EncryptInit) \
	X(C_Encrypt) \
	X(C_EncryptUpdate) \
	X(C_EncryptFinal) \
	X(C_DecryptInit) \
	X(C_Decrypt) \
	X(C_DecryptUpdate) \
	X(C_DecryptFinal) \
	X(C_DigestInit) \
	X(C_Digest) \
	X(C_DigestUpdate) \
	X(C_DigestKey) \
	X(C_DigestFinal) \
	X(C_SignInit) \
	X(C_Sign) \
	X(C_SignUpdate) \
	X(C_SignFinal) \
	X(C_SignRecoverInit) \
	X(C_SignRecover) \
	X(C_VerifyInit) \
	X(C_Verify) \
	X(C_VerifyUpdate) \
	X(C_VerifyFinal) \
	X(C_VerifyRecoverInit) \
	X(C_VerifyRecover) \
	X(C_DigestEncryptUpdate) \
	X(C_DecryptDigestUpdate) \
	X(C_SignEncryptUpdate) \
	X(C_DecryptVerifyUpdate) \
	X(C_GenerateKey) \
	X(C_GenerateKeyPair) \
	X(C_WrapKey) \
	X(C_UnwrapKey) \
	X(C_DeriveKey) \
	X(C_SeedRandom) \
	X(C_GenerateRandom) \
	X(C_GetFunctionStatus) \
	X(C_CancelFunction) \
	X(C_WaitForSlotEvent)

/* The functions added by 3.0, in the order of CK_FUNCTION_LIST_3_0. */
#define FHSM_P11_V30_FUNCTIONS(X) \
	X(C_GetInterfaceList, (CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount)) \
	X(C_GetInterface, (CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion, \
			   CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags)) \
	X(C_LoginUser, (CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin, \
			CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pUsername, CK_ULONG ulUsernameLen)) \
	X(C_SessionCancel, (CK_SESSION_HANDLE hSession, CK_FLAGS flags)) \
	X(C_MessageEncryptInit, (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, \
				 CK_OBJECT_HANDLE hKey)) \
	X(C_EncryptMessage, (CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, \
			     CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen, \
			     CK_BYTE_PTR pPlaintext, CK_ULONG ulPlaintextLen, CK_BYTE_PTR pCiphertext, \
			     CK_ULONG_PTR pulCiphertextLen)) \
	X(C_EncryptMessageBegin, (CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, \
				  CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData, \
				  CK_ULONG ulAssociatedDataLen)) \
	X(C_EncryptMessageNext, (CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, \
				 CK_ULONG ulParameterLen, CK_BYTE_PTR pPlaintextPart, \
				 CK_ULONG ulPlaintextPartLen, CK_BYTE_PTR pCiphertextPart, \
				 CK_ULONG_PTR pulCiphertextPartLen, CK_FLAGS flags)) \
	X(C_MessageEncryptFinal, (CK_SESSION_HANDLE hSession)) \
	X(C_MessageDecryptInit, (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, \
				 CK_OBJECT_HANDLE hKey)) \
	X(C_DecryptMessage, (CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, \
			     CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen, \
			     CK_BYTE_PTR pCiphertext, CK_ULONG ulCiphertextLen, CK_BYTE_PTR pPlaintext, \
			     CK_ULONG_PTR pulPlaintextLen)) \
	X(C_DecryptMessageBegin, (CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, \
				  CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData, \
				  CK_ULONG ulAssociatedDataLen)) \
	X(C_DecryptMessageNext, (CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, \
				 CK_ULONG ulParameterLen, CK_BYTE_PTR pCiphertextPart, \
				 CK_ULONG ulCiphertextPartLen, CK_BYTE_PTR pPlaintextPart, \
				 CK_ULONG_PTR pulPlaintextPartLen, CK_FLAGS flags)) \
	X(C_MessageDecryptFinal, (CK_SESSION_HANDLE hSession)) \
	X(C_MessageSignInit, (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, \
			      CK_OBJECT_HANDLE hKey)) \
	X(C_SignMessage, (CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, \
			  CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, \
			  CK_ULONG_PTR pulSignatureLen)) \
	X(C_SignMessageBegin, (CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen)) \
	X(C_SignMessageNext, (CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, \
			      CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, \
			      CK_ULONG_PTR pulSignatureLen)) \
	X(C_MessageSignFinal, (CK_SESSION_HANDLE hSession)) \
	X(C_MessageVerifyInit, (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, \
				CK_OBJECT_HANDLE hKey)) \
	X(C_VerifyMessage, (CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, \
			    CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, \
			    CK_ULONG ulSignatureLen)) \
	X(C_VerifyMessageBegin, (CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, \
				 CK_ULONG ulParameterLen)) \
	X(C_VerifyMessageNext, (CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, \
				CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, \
				CK_ULONG ulSignatureLen)) \
	X(C_MessageVerifyFinal, (CK_SESSION_HANDLE hSession))

#ifndef FHSM_HAVE_CK_FUNCTION_LIST_3_0
#define FHSM_P11_DECLARE(name, args) typedef CK_RV (*CK_##name) args; CK_RV name args;
FHSM_P11_V30_FUNCTIONS(FHSM_P11_DECLARE)
#undef FHSM_P11_DECLARE

#define FHSM_P11_MEMBER(name, args) CK_##name name;
#define FHSM_P11_NAME_MEMBER(name) CK_##name name;
typedef struct CK_FUNCTION_LIST_3_0 {
	CK_VERSION version;
	FHSM_P11_V240_NAMES(FHSM_P11_NAME_MEMBER)
	/* Added by 3.0. */
	FHSM_P11_V30_FUNCTIONS(FHSM_P11_MEMBER)
} CK_FUNCTION_LIST_3_0;
#undef FHSM_P11_MEMBER
#undef FHSM_P11_NAME_MEMBER
typedef CK_FUNCTION_LIST_3_0 *CK_FUNCTION_LIST_3_0_PTR;
typedef CK_FUNCTION_LIST_3_0_PTR *CK_FUNCTION_LIST_3_0_PTR_PTR;
#endif

#ifdef __cplusplus
}
#endif
#endif

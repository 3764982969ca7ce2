/* Object search: C_FindObjectsInit, C_FindObjects, C_FindObjectsFinal.
 * Tokens hold no objects yet (C_CreateObject and key generation come with the
 * objects issue), so every search is complete and empty; the operation's state
 * machine is the spec's already. */
#include "p11.h"

P11_EXPORT CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	struct p11_session *s;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	if (!pTemplate && ulCount)
		rv = CKR_ARGUMENTS_BAD;
	else if (s->find.active)
		rv = CKR_OPERATION_ACTIVE;
	else
		s->find.active = true;
	p11_leave_session(s);
	return rv;
}

P11_EXPORT CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject,
			       CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount)
{
	struct p11_session *s;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	if (!pulObjectCount || (!phObject && ulMaxObjectCount))
		rv = CKR_ARGUMENTS_BAD;
	else if (!s->find.active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else
		*pulObjectCount = 0;
	p11_leave_session(s);
	return rv;
}

P11_EXPORT CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
	struct p11_session *s;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	if (!s->find.active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	s->find.active = false;
	p11_leave_session(s);
	return rv;
}

/* Mutexes: the application's callbacks when C_Initialize supplied them without
 * CKF_OS_LOCKING_OK, pthreads otherwise (and when nothing was said). */
#include <pthread.h>
#include <stdlib.h>
#include "p11.h"

static CK_RV os_create(void **m)
{
	pthread_mutex_t *mx = malloc(sizeof(*mx));
	if (!mx)
		return CKR_HOST_MEMORY;
	if (pthread_mutex_init(mx, NULL) != 0) {
		free(mx);
		return CKR_CANT_LOCK;
	}
	*m = mx;
	return CKR_OK;
}

static CK_RV os_destroy(void *m)
{
	pthread_mutex_destroy(m);
	free(m);
	return CKR_OK;
}

static CK_RV os_lock(void *m)
{
	return pthread_mutex_lock(m) == 0 ? CKR_OK : CKR_MUTEX_BAD;
}

static CK_RV os_unlock(void *m)
{
	return pthread_mutex_unlock(m) == 0 ? CKR_OK : CKR_MUTEX_NOT_LOCKED;
}

static CK_CREATEMUTEX create_fn = os_create;
static CK_DESTROYMUTEX destroy_fn = os_destroy;
static CK_LOCKMUTEX lock_fn = os_lock;
static CK_UNLOCKMUTEX unlock_fn = os_unlock;

CK_RV p11_locks_setup(const CK_C_INITIALIZE_ARGS *a)
{
	create_fn = os_create;
	destroy_fn = os_destroy;
	lock_fn = os_lock;
	unlock_fn = os_unlock;
	if (!a)
		return CKR_OK;
	int given = !!a->CreateMutex + !!a->DestroyMutex + !!a->LockMutex + !!a->UnlockMutex;
	if (given != 0 && given != 4)
		return CKR_ARGUMENTS_BAD;
	if (given == 4 && !(a->flags & CKF_OS_LOCKING_OK)) {
		create_fn = a->CreateMutex;
		destroy_fn = a->DestroyMutex;
		lock_fn = a->LockMutex;
		unlock_fn = a->UnlockMutex;
	}
	return CKR_OK;
}

CK_RV p11_mutex_new(void **m)
{
	*m = NULL;
	CK_RV rv = create_fn(m);
	if (rv == CKR_OK && !*m)
		rv = CKR_CANT_LOCK;
	return rv;
}

void p11_mutex_free(void *m)
{
	if (m)
		destroy_fn(m);
}

/* A failing application mutex leaves nothing sane to do; the calls are void on purpose. */
void p11_mutex_lock(void *m)
{
	lock_fn(m);
}

void p11_mutex_unlock(void *m)
{
	unlock_fn(m);
}

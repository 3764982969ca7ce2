/* General-purpose functions: C_Initialize, C_Finalize, C_GetInfo, C_GetFunctionList,
 * C_GetInterfaceList, C_GetInterface, and the function lists themselves.
 *
 * Life cycle: a static rwlock (never an application mutex: it must exist before
 * C_Initialize has seen any) guards the initialized state. Entry points hold it for
 * reading, C_Initialize/C_Finalize for writing, so concurrent C_Initialize calls
 * are safe: one wins, the others get CKR_CRYPTOKI_ALREADY_INITIALIZED.
 *
 * Fork: a child inherits a copy of the parent's state. It is recognized by its pid:
 * every call but C_Initialize says CKR_CRYPTOKI_NOT_INITIALIZED, and C_Initialize
 * abandons the copy (wiping its keys) and starts afresh. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "p11.h"

struct p11_module p11;

CK_RV p11_slots_init(void);
CK_RV p11_sessions_init(void);

static pthread_rwlock_t life = PTHREAD_RWLOCK_INITIALIZER;
/* This process's pid, kept by the fork handler: getpid() is a system call per entry. */
static volatile pid_t self;

static void atfork_child(void)
{
	/* Only the forking thread lives on; a lock another thread held must not stay held. */
	pthread_rwlock_init(&life, NULL);
	self = getpid();
}

__attribute__((constructor)) static void p11_load(void)
{
	self = getpid();
	pthread_atfork(NULL, NULL, atfork_child);
}

CK_RV p11_enter(void)
{
	pthread_rwlock_rdlock(&life);
	if (!p11.initialized || p11.pid != self) {
		pthread_rwlock_unlock(&life);
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	return CKR_OK;
}

void p11_leave(void)
{
	pthread_rwlock_unlock(&life);
}

/* The parent's copy in a forked child: wipe its secrets, drop it unreleased
 * (its mutexes may be held by threads that do not exist here). */
static void abandon_parent_state(void)
{
	for (size_t i = 0; i < p11.nslots; i++) {
		fhsm_wipe(p11.slots[i]->mk, P11_MK_LEN);
		p11_objset_wipe(p11.slots[i]->objs); /* no locking: its holders may not exist here */
	}
	memset(&p11, 0, sizeof(p11));
	p11_handles_reset();
	fhsm_fabric_forget(); /* its threads stayed in the parent */
}

/* Which engine served what, for the log (the demo prints it). */
static void report_fabric(void)
{
	struct fhsm_fabric_stats st;
	fhsm_fabric_read_stats(&st);
	if (!st.attached)
		return;
	static const char *const names[FHSM_ENG_KINDS] = { "-", "aes", "sha256", "modexp" };
	for (int k = 1; k < FHSM_ENG_KINDS; k++) {
		uint64_t jobs = 0, cycles = 0;
		for (int i = 0; i < FHSM_MAX_ENGINES; i++)
			jobs += st.jobs[k][i], cycles += st.cycles[k][i];
		jobs -= st.kat_jobs[k];
		if (jobs || st.soft_jobs[k])
			p11_log(P11_LOG_INFO, "fabric (%s): %s: %llu jobs (+%llu known-answer) on %u engine(s), "
				"%llu cycles; %llu jobs in software", st.transport, names[k],
				(unsigned long long)jobs, (unsigned long long)st.kat_jobs[k], st.engines[k],
				(unsigned long long)cycles, (unsigned long long)st.soft_jobs[k]);
	}
	for (int r = 0; r < FHSM_FB_COUNT; r++)
		if (st.fallback[r])
			p11_log(P11_LOG_INFO, "fabric: %llu job(s) in software: %s", (unsigned long long)st.fallback[r],
				fhsm_fallback_text(r));
}

static void teardown(void)
{
	report_fabric();
	fhsm_fabric_detach();
	p11_sessions_free();
	p11_slots_free();
	p11_handles_reset();
	p11_mutex_free(p11.obj_lock);
	p11_mutex_free(p11.lock);
	memset(&p11, 0, sizeof(p11));
}

/* backend = sim attaches the simulated fabric; usb a board's UART (running on
 * software until one answers); auto a board if one answers now, else software. */
static CK_RV attach_fabric(void)
{
	enum p11_backend b = p11.cfg.backend;
	if (b == P11_BACKEND_SOFT)
		return CKR_OK;
	struct fhsm_fabric_config *fc = &p11.cfg.fabric;
	if (b != P11_BACKEND_SIM) {
		/* The defaults were the sim's: the same keys, a board's timing. */
		struct fhsm_fabric_config usb;
		fhsm_fabric_config_default(&usb, FHSM_TRANSPORT_USB);
		fc->transport = FHSM_TRANSPORT_USB;
		if (!p11.cfg.timeout_set)
			fc->timeout_ms = usb.timeout_ms;
		fc->cycles_per_ms = usb.cycles_per_ms;
	}
	fc->trace = p11.cfg.device_trace[0] ? p11.cfg.device_trace : NULL;
	fc->usb_serial = p11.cfg.usb_serial[0] ? p11.cfg.usb_serial : NULL;
	char why[160];
	if (b == P11_BACKEND_AUTO && !fhsm_fabric_usb_present(fc, why, sizeof why)) {
		p11_log(P11_LOG_INFO, "backend = auto: %s; software only", why);
		return CKR_OK;
	}
	fhsm_err err = fhsm_fabric_attach(fc);
	if (err != FHSM_OK) {
		p11_log(P11_LOG_ERROR, "%s: backend = %s: %s", p11.cfg.path, b == P11_BACKEND_SIM ? "sim" : "usb",
			err == FHSM_ERR_UNSUPPORTED ? (b == P11_BACKEND_SIM ? "this build has no simulator (Verilator missing at build time)"
									    : "this build has no usb transport (libftdi1 missing at build time)")
						    : fhsm_strerror(err));
		return CKR_GENERAL_ERROR;
	}
	struct fhsm_fabric_stats st;
	fhsm_fabric_read_stats(&st);
	if (!st.up && b == P11_BACKEND_AUTO) {
		p11_log(P11_LOG_INFO, "backend = auto: no board answers (%s); software only", st.note);
		fhsm_fabric_detach();
		return CKR_OK;
	}
	if (!st.up)
		p11_log(P11_LOG_WARNING, "backend = %s: the fabric does not answer (%s); running on software until it does",
			b == P11_BACKEND_SIM ? "sim" : "usb", st.note[0] ? st.note : "no answer");
	for (int k = 1; k < FHSM_ENG_KINDS; k++)
		if (st.kat[k] == 0)
			p11_log(P11_LOG_WARNING, "fabric engine kind %d failed its known-answer test: not used", k);
	return CKR_OK;
}

P11_EXPORT CK_RV C_Initialize(CK_VOID_PTR pInitArgs)
{
	const CK_C_INITIALIZE_ARGS *args = pInitArgs;
	char err[PATH_MAX + 256];
	if (args && args->pReserved)
		return CKR_ARGUMENTS_BAD;

	pthread_rwlock_wrlock(&life);
	CK_RV rv = CKR_OK;
	if (p11.initialized && p11.pid == getpid()) {
		rv = CKR_CRYPTOKI_ALREADY_INITIALIZED;
		goto out;
	}
	if (p11.initialized)
		abandon_parent_state();

	rv = p11_locks_setup(args);
	if (rv != CKR_OK)
		goto out;
	if (p11_config_load(&p11.cfg, err, sizeof(err)) != 0) {
		p11_log(P11_LOG_ERROR, "configuration: %s", err);
		rv = CKR_GENERAL_ERROR;
		goto out;
	}
	p11_log_level = p11.cfg.log_level;
	rv = attach_fabric();
	if (rv != CKR_OK)
		goto out;
	rv = p11_mutex_new(&p11.lock);
	if (rv == CKR_OK)
		rv = p11_mutex_new(&p11.obj_lock);
	if (rv == CKR_OK)
		rv = p11_sessions_init();
	if (rv == CKR_OK)
		rv = p11_slots_init();
	if (rv != CKR_OK) {
		teardown();
		goto out;
	}
	p11.pid = getpid();
	p11.initialized = true;
	p11_log(P11_LOG_DEBUG, "initialized: config '%s', tokens in '%s'",
		p11.cfg.path[0] ? p11.cfg.path : "(defaults)", p11.cfg.tokendir);
out:
	pthread_rwlock_unlock(&life);
	return rv;
}

P11_EXPORT CK_RV C_Finalize(CK_VOID_PTR pReserved)
{
	if (pReserved)
		return CKR_ARGUMENTS_BAD;
	pthread_rwlock_wrlock(&life);
	CK_RV rv = CKR_OK;
	if (!p11.initialized || p11.pid != getpid())
		rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	else
		teardown();
	pthread_rwlock_unlock(&life);
	return rv;
}

static CK_RV get_info(CK_INFO_PTR pInfo, CK_BYTE major, CK_BYTE minor)
{
	CK_RV rv = p11_enter();
	if (rv != CKR_OK)
		return rv;
	if (!pInfo) {
		rv = CKR_ARGUMENTS_BAD;
	} else {
		memset(pInfo, 0, sizeof(*pInfo));
		pInfo->cryptokiVersion.major = major;
		pInfo->cryptokiVersion.minor = minor;
		p11_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID), P11_MANUFACTURER);
		p11_pad(pInfo->libraryDescription, sizeof(pInfo->libraryDescription),
			P11_LIBRARY_DESCRIPTION);
		pInfo->libraryVersion.major = P11_VERSION_MAJOR;
		pInfo->libraryVersion.minor = P11_VERSION_MINOR;
	}
	p11_leave();
	return rv;
}

/* Through C_GetFunctionList or the "PKCS 11" 2.40 interface. */
P11_EXPORT CK_RV C_GetInfo(CK_INFO_PTR pInfo)
{
	return get_info(pInfo, 2, 40);
}

/* Through the "PKCS 11" 3.0 interface. */
static CK_RV get_info_v30(CK_INFO_PTR pInfo)
{
	return get_info(pInfo, 3, 0);
}

#define P11_ENTRY(name) name,
static CK_FUNCTION_LIST list_v240 = {
	{2, 40},
	FHSM_P11_V240_NAMES(P11_ENTRY)
};

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static CK_FUNCTION_LIST_3_0 list_v30 = {
	{3, 0},
	FHSM_P11_V240_NAMES(P11_ENTRY)
#define P11_ENTRY_V30(name, args) name,
	FHSM_P11_V30_FUNCTIONS(P11_ENTRY_V30)
	.C_GetInfo = get_info_v30,
};
#pragma GCC diagnostic pop

static CK_INTERFACE interfaces[] = {
	{(CK_CHAR *)"PKCS 11", &list_v30, 0},
	{(CK_CHAR *)"PKCS 11", &list_v240, 0},
};
#define N_INTERFACES (sizeof(interfaces) / sizeof(interfaces[0]))

/* Callable before C_Initialize, as the spec requires of these three. */
P11_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
	if (!ppFunctionList)
		return CKR_ARGUMENTS_BAD;
	*ppFunctionList = &list_v240;
	return CKR_OK;
}

P11_EXPORT CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount)
{
	if (!pulCount)
		return CKR_ARGUMENTS_BAD;
	CK_RV rv = p11_out_len(pInterfacesList, pulCount, N_INTERFACES);
	if (rv == P11_RV_LENGTH_ONLY)
		return CKR_OK;
	if (rv == CKR_OK)
		memcpy(pInterfacesList, interfaces, sizeof(interfaces));
	return rv;
}

static const CK_VERSION *interface_version(const CK_INTERFACE *i)
{
	return &((const CK_FUNCTION_LIST *)i->pFunctionList)->version;
}

P11_EXPORT CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
				CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags)
{
	if (!ppInterface)
		return CKR_ARGUMENTS_BAD;
	for (size_t i = 0; i < N_INTERFACES; i++) {
		const CK_VERSION *v = interface_version(&interfaces[i]);
		if (pInterfaceName && strcmp((const char *)pInterfaceName,
					     (const char *)interfaces[i].pInterfaceName) != 0)
			continue;
		if (pVersion && (pVersion->major != v->major || pVersion->minor != v->minor))
			continue;
		if ((interfaces[i].flags & flags) != flags)
			continue;
		*ppInterface = &interfaces[i];
		return CKR_OK;
	}
	return CKR_ARGUMENTS_BAD;
}

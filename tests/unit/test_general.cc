// C_Initialize, C_Finalize, C_GetInfo, function lists and the 3.0 interfaces.
#include <pthread.h>
#include <sys/wait.h>

#include <atomic>
#include <thread>

#include "p11_fixture.h"

using namespace fhsm_test;

namespace {

class General : public P11 {};

TEST_F(General, InitializeTwiceAndFinalizeTwice)
{
	EXPECT_EQ(f->C_Initialize(nullptr), CKR_CRYPTOKI_ALREADY_INITIALIZED);
	EXPECT_EQ(f->C_Finalize(nullptr), CKR_OK);
	EXPECT_EQ(f->C_Finalize(nullptr), CKR_CRYPTOKI_NOT_INITIALIZED);
	CK_INFO info;
	EXPECT_EQ(f->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
	CK_ULONG n;
	EXPECT_EQ(f->C_GetSlotList(CK_FALSE, nullptr, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
	EXPECT_EQ(f->C_Initialize(nullptr), CKR_OK);
}

TEST_F(General, FinalizeRejectsReserved)
{
	int x;
	EXPECT_EQ(f->C_Finalize(&x), CKR_ARGUMENTS_BAD);
}

static CK_RV app_create(void **m)
{
	auto *mx = new pthread_mutex_t;
	pthread_mutex_init(mx, nullptr);
	*m = mx;
	return CKR_OK;
}
static std::atomic<int> app_locks{0};
static CK_RV app_destroy(void *m)
{
	pthread_mutex_destroy((pthread_mutex_t *)m);
	delete (pthread_mutex_t *)m;
	return CKR_OK;
}
static CK_RV app_lock(void *m)
{
	app_locks++;
	return pthread_mutex_lock((pthread_mutex_t *)m) == 0 ? CKR_OK : CKR_MUTEX_BAD;
}
static CK_RV app_unlock(void *m)
{
	return pthread_mutex_unlock((pthread_mutex_t *)m) == 0 ? CKR_OK : CKR_MUTEX_NOT_LOCKED;
}

TEST_F(General, InitializeArguments)
{
	ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);
	CK_C_INITIALIZE_ARGS a;
	memset(&a, 0, sizeof(a));
	int reserved;
	a.pReserved = &reserved;
	EXPECT_EQ(f->C_Initialize(&a), CKR_ARGUMENTS_BAD);
	a.pReserved = nullptr;
	a.CreateMutex = app_create; // some but not all callbacks
	EXPECT_EQ(f->C_Initialize(&a), CKR_ARGUMENTS_BAD);

	// OS locking.
	memset(&a, 0, sizeof(a));
	a.flags = CKF_OS_LOCKING_OK;
	ASSERT_EQ(f->C_Initialize(&a), CKR_OK);
	ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);

	// The application's mutexes, without CKF_OS_LOCKING_OK: the module must use them.
	a.flags = 0;
	a.CreateMutex = app_create;
	a.DestroyMutex = app_destroy;
	a.LockMutex = app_lock;
	a.UnlockMutex = app_unlock;
	app_locks = 0;
	ASSERT_EQ(f->C_Initialize(&a), CKR_OK);
	slots();
	EXPECT_GT(app_locks.load(), 0);
	ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);

	// Both: either is fine; it must work.
	a.flags = CKF_OS_LOCKING_OK;
	ASSERT_EQ(f->C_Initialize(&a), CKR_OK);
	slots();
}

TEST_F(General, GetInfo)
{
	CK_INFO info;
	EXPECT_EQ(f->C_GetInfo(nullptr), CKR_ARGUMENTS_BAD);
	ASSERT_EQ(f->C_GetInfo(&info), CKR_OK);
	EXPECT_EQ(info.cryptokiVersion.major, 2);
	EXPECT_EQ(info.cryptokiVersion.minor, 40);
	EXPECT_EQ(std::string((char *)info.manufacturerID, 12), "fhsm project");
	EXPECT_EQ(info.manufacturerID[31], ' ');
	EXPECT_EQ(info.flags, 0u);
}

TEST_F(General, FunctionListIsComplete)
{
	CK_FUNCTION_LIST_PTR list = nullptr;
	EXPECT_EQ(f->C_GetFunctionList(nullptr), CKR_ARGUMENTS_BAD);
	ASSERT_EQ(f->C_GetFunctionList(&list), CKR_OK);
	EXPECT_EQ(list->version.major, 2);
	EXPECT_EQ(list->version.minor, 40);
	auto **fp = (void **)&list->C_Initialize;
	size_t n = (sizeof(*list) - sizeof(list->version)) / sizeof(void *);
	EXPECT_EQ(n, 68u);
	for (size_t i = 0; i < n; i++)
		EXPECT_NE(fp[i], nullptr) << "entry " << i;
}

TEST_F(General, InterfacesBeforeAndAfterInitialize)
{
	auto get_list = (CK_C_GetInterfaceList)dlsym(module_handle(), "C_GetInterfaceList");
	auto get_if = (CK_C_GetInterface)dlsym(module_handle(), "C_GetInterface");
	ASSERT_NE(get_list, nullptr);
	ASSERT_NE(get_if, nullptr);
	ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK); // callable before C_Initialize

	CK_ULONG n = 0;
	EXPECT_EQ(get_list(nullptr, nullptr), CKR_ARGUMENTS_BAD);
	ASSERT_EQ(get_list(nullptr, &n), CKR_OK);
	ASSERT_EQ(n, 2u);
	CK_INTERFACE ifs[2];
	CK_ULONG small = 1;
	EXPECT_EQ(get_list(ifs, &small), CKR_BUFFER_TOO_SMALL);
	EXPECT_EQ(small, 2u);
	ASSERT_EQ(get_list(ifs, &n), CKR_OK);
	for (auto &i : ifs)
		EXPECT_STREQ((char *)i.pInterfaceName, "PKCS 11");

	CK_INTERFACE_PTR ip = nullptr;
	ASSERT_EQ(get_if(nullptr, nullptr, &ip, 0), CKR_OK); // the default: 3.0
	auto *l30 = (CK_FUNCTION_LIST_3_0 *)ip->pFunctionList;
	EXPECT_EQ(l30->version.major, 3);
	EXPECT_EQ(l30->version.minor, 0);
	auto **fp = (void **)&l30->C_Initialize;
	size_t nf = (sizeof(*l30) - sizeof(l30->version)) / sizeof(void *);
	EXPECT_EQ(nf, 92u);
	for (size_t i = 0; i < nf; i++)
		EXPECT_NE(fp[i], nullptr) << "entry " << i;

	CK_VERSION v240 = {2, 40};
	ASSERT_EQ(get_if(u8("PKCS 11"), &v240, &ip, 0), CKR_OK);
	EXPECT_EQ(((CK_FUNCTION_LIST *)ip->pFunctionList)->version.minor, 40);
	CK_VERSION v99 = {9, 9};
	EXPECT_EQ(get_if(u8("PKCS 11"), &v99, &ip, 0), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(get_if(u8("Vendor thing"), nullptr, &ip, 0), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(get_if(nullptr, nullptr, nullptr, 0), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(get_if(nullptr, nullptr, &ip, CKF_INTERFACE_FORK_SAFE), CKR_ARGUMENTS_BAD);

	// Through the 3.0 list: C_GetInfo says 3.0, and 3.0 functions work.
	ASSERT_EQ(l30->C_Initialize(nullptr), CKR_OK);
	CK_INFO info;
	ASSERT_EQ(l30->C_GetInfo(&info), CKR_OK);
	EXPECT_EQ(info.cryptokiVersion.major, 3);
	EXPECT_EQ(info.cryptokiVersion.minor, 0);
	CK_SLOT_ID id = init_token();
	CK_SESSION_HANDLE h = open(id, false);
	EXPECT_EQ(l30->C_LoginUser(h, CKU_USER, u8(user_pin), strlen(user_pin), u8("anyone"), 6), CKR_OK);
	EXPECT_EQ(state(h), CKS_RO_USER_FUNCTIONS);
	CK_MECHANISM m = {CKM_SHA256, nullptr, 0};
	ASSERT_EQ(f->C_DigestInit(h, &m), CKR_OK);
	EXPECT_EQ(l30->C_SessionCancel(h, CKF_DIGEST), CKR_OK);
	EXPECT_EQ(f->C_DigestInit(h, &m), CKR_OK) << "the cancelled digest must be gone";
	EXPECT_EQ(l30->C_MessageEncryptInit(h, &m, 0), CKR_FUNCTION_NOT_SUPPORTED);
}

TEST_F(General, NotYetImplementedFunctionsSaySo)
{
	CK_SLOT_ID id = init_token();
	CK_SESSION_HANDLE h = open(id, true);
	CK_MECHANISM m = {CKM_RSA_PKCS, nullptr, 0};
	CK_ULONG n = 0;
	EXPECT_EQ(f->C_SignRecoverInit(h, &m, 1), CKR_FUNCTION_NOT_SUPPORTED);
	EXPECT_EQ(f->C_GetOperationState(h, nullptr, &n), CKR_FUNCTION_NOT_SUPPORTED);
	EXPECT_EQ(f->C_GetFunctionStatus(h), CKR_FUNCTION_NOT_PARALLEL);
	EXPECT_EQ(f->C_CancelFunction(h), CKR_FUNCTION_NOT_PARALLEL);
}

// SoftHSM 2.6.1 crashes when threads race on C_Initialize.
TEST_F(General, ConcurrentInitializeNeverCrashes)
{
	for (int round = 0; round < 20; round++) {
		ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);
		std::atomic<int> ok{0}, already{0}, other{0};
		std::vector<std::thread> ts;
		for (int i = 0; i < 8; i++)
			ts.emplace_back([&] {
				CK_RV rv = f->C_Initialize(nullptr);
				(rv == CKR_OK ? ok : rv == CKR_CRYPTOKI_ALREADY_INITIALIZED ? already : other)++;
				CK_ULONG n;
				f->C_GetSlotList(CK_FALSE, nullptr, &n);
			});
		for (auto &t : ts)
			t.join();
		EXPECT_EQ(ok.load(), 1);
		EXPECT_EQ(already.load(), 7);
		EXPECT_EQ(other.load(), 0);
	}
}

TEST_F(General, ThreadsShareTheModule)
{
	CK_SLOT_ID id = init_token();
	std::vector<std::thread> ts;
	std::atomic<int> failures{0};
	for (int t = 0; t < 4; t++)
		ts.emplace_back([&] {
			for (int i = 0; i < 200; i++) {
				CK_SESSION_HANDLE h;
				if (f->C_OpenSession(id, CKF_SERIAL_SESSION, nullptr, nullptr, &h) != CKR_OK) {
					failures++;
					continue;
				}
				CK_MECHANISM m = {CKM_SHA256, nullptr, 0};
				CK_BYTE out[32];
				CK_ULONG len = sizeof(out);
				if (f->C_DigestInit(h, &m) != CKR_OK ||
				    f->C_Digest(h, (CK_BYTE_PTR) "abc", 3, out, &len) != CKR_OK || out[0] != 0xba)
					failures++;
				if (f->C_CloseSession(h) != CKR_OK)
					failures++;
			}
		});
	for (auto &t : ts)
		t.join();
	EXPECT_EQ(failures.load(), 0);
	EXPECT_EQ(token_info(id).ulSessionCount, 0u);
}

// A forked child starts afresh with C_Initialize, no configuration switch needed.
TEST_F(General, ForkedChildInitializesAfresh)
{
	CK_SLOT_ID id = init_token("forked");
	CK_SESSION_HANDLE h = open(id, false);
	ASSERT_EQ(f->C_Login(h, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_OK);
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		CK_SESSION_INFO si;
		int bad = 0;
		bad |= f->C_GetSessionInfo(h, &si) != CKR_CRYPTOKI_NOT_INITIALIZED;
		bad |= f->C_Initialize(nullptr) != CKR_OK;
		CK_TOKEN_INFO ti;
		bad |= f->C_GetTokenInfo(id, &ti) != CKR_OK || memcmp(ti.label, "forked ", 7) != 0;
		bad |= ti.ulSessionCount != 0; // the parent's sessions are not the child's
		CK_SESSION_HANDLE h2;
		bad |= f->C_OpenSession(id, CKF_SERIAL_SESSION, nullptr, nullptr, &h2) != CKR_OK;
		bad |= f->C_GetSessionInfo(h2, &si) != CKR_OK || si.state != CKS_RO_PUBLIC_SESSION;
		bad |= f->C_Finalize(nullptr) != CKR_OK;
		_exit(bad);
	}
	int status = 0;
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
	EXPECT_EQ(state(h), CKS_RO_USER_FUNCTIONS) << "the parent is untouched";
}

} // namespace

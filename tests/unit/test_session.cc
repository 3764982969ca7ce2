// Sessions, login, and PIN lockout.
#include <sys/wait.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "p11_fixture.h"

using namespace fhsm_test;

namespace {

class Session : public P11 {
protected:
	std::string extra_config() override { return "pin.retry_limit = 3\n"; }
};

TEST_F(Session, OpenCloseAndInfo)
{
	CK_SLOT_ID id = init_token();
	CK_SESSION_HANDLE h;
	EXPECT_EQ(f->C_OpenSession(id, CKF_SERIAL_SESSION, nullptr, nullptr, nullptr), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_OpenSession(id, 0, nullptr, nullptr, &h), CKR_SESSION_PARALLEL_NOT_SUPPORTED);
	EXPECT_EQ(f->C_OpenSession(999, CKF_SERIAL_SESSION, nullptr, nullptr, &h), CKR_SLOT_ID_INVALID);
	EXPECT_EQ(f->C_OpenSession(free_slot(), CKF_SERIAL_SESSION, nullptr, nullptr, &h),
		  CKR_TOKEN_NOT_RECOGNIZED);
	CK_SESSION_HANDLE ro = open(id, false), rw = open(id, true);
	EXPECT_NE(ro, rw);
	CK_SESSION_INFO si;
	EXPECT_EQ(f->C_GetSessionInfo(ro, nullptr), CKR_ARGUMENTS_BAD);
	ASSERT_EQ(f->C_GetSessionInfo(rw, &si), CKR_OK);
	EXPECT_EQ(si.slotID, id);
	EXPECT_EQ(si.state, CKS_RW_PUBLIC_SESSION);
	EXPECT_EQ(si.flags, (CK_FLAGS)(CKF_SERIAL_SESSION | CKF_RW_SESSION));
	EXPECT_EQ(state(ro), CKS_RO_PUBLIC_SESSION);
	EXPECT_EQ(f->C_CloseSession(ro), CKR_OK);
	EXPECT_EQ(f->C_CloseSession(ro), CKR_SESSION_HANDLE_INVALID);
	EXPECT_EQ(f->C_GetSessionInfo(ro, &si), CKR_SESSION_HANDLE_INVALID);
	EXPECT_EQ(f->C_CloseAllSessions(999), CKR_SLOT_ID_INVALID);
	EXPECT_EQ(f->C_CloseAllSessions(id), CKR_OK);
	EXPECT_EQ(f->C_GetSessionInfo(rw, &si), CKR_SESSION_HANDLE_INVALID);
}

// Sessions closed (one by one and all at once) while other threads are inside
// calls on them: each call either completes or finds the handle invalid, and
// the session is freed once, by whoever lets go of it last.
TEST_F(Session, ClosedWhileOtherThreadsUseThem)
{
	CK_SLOT_ID id = init_token();
	std::atomic<bool> stop{false};
	std::atomic<int> bad{0}, served{0};
	std::vector<CK_SESSION_HANDLE> hs(8);
	std::atomic<CK_SESSION_HANDLE> newest{0};
	auto user = [&](unsigned seed) {
		std::minstd_rand rng(seed);  // per thread: std::rand takes a lock
		while (!stop) {
			CK_SESSION_HANDLE h = newest.load() - rng() % 8;
			CK_MECHANISM m = {CKM_SHA256, nullptr, 0};
			CK_BYTE out[32];
			CK_ULONG len = sizeof(out);
			CK_RV rv = f->C_DigestInit(h, &m);
			if (rv == CKR_OK)
				rv = f->C_Digest(h, (CK_BYTE_PTR) "abc", 3, out, &len);
			CK_SESSION_INFO si;
			CK_RV rv2 = f->C_GetSessionInfo(h, &si);
			// another user thread may hold the same session's digest
			if (rv == CKR_OK && out[0] == 0xba)
				served++;
			else if (rv != CKR_SESSION_HANDLE_INVALID && rv != CKR_OPERATION_ACTIVE &&
				 rv != CKR_OPERATION_NOT_INITIALIZED)
				bad++;
			if (rv2 != CKR_OK && rv2 != CKR_SESSION_HANDLE_INVALID)
				bad++;
		}
	};
	std::vector<std::thread> users;
	for (unsigned i = 0; i < 3; i++)
		users.emplace_back(user, i + 1);
	// at least 300 rounds, and on until the users have been served a few times
	for (int round = 0; round < 300 || (served < 50 && round < 100000); round++) {
		for (auto &h : hs) {
			ASSERT_EQ(f->C_OpenSession(id, CKF_SERIAL_SESSION, nullptr, nullptr, &h), CKR_OK);
			newest = h;
		}
		if (round % 2)
			EXPECT_EQ(f->C_CloseAllSessions(id), CKR_OK);
		else
			for (auto h : hs)
				EXPECT_EQ(f->C_CloseSession(h), CKR_OK);
	}
	stop = true;
	for (auto &t : users)
		t.join();
	EXPECT_EQ(bad.load(), 0);
	EXPECT_GT(served.load(), 0);
	EXPECT_EQ(token_info(id).ulSessionCount, 0u);
}

TEST_F(Session, EveryStateOfTheSpec)
{
	CK_SLOT_ID id = init_token();
	CK_SESSION_HANDLE ro = open(id, false), rw = open(id, true);
	ASSERT_EQ(f->C_Login(ro, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_OK);
	EXPECT_EQ(state(ro), CKS_RO_USER_FUNCTIONS);
	EXPECT_EQ(state(rw), CKS_RW_USER_FUNCTIONS) << "login is per token, not per session";
	CK_SESSION_HANDLE later = open(id, false);
	EXPECT_EQ(state(later), CKS_RO_USER_FUNCTIONS);
	ASSERT_EQ(f->C_Logout(rw), CKR_OK);
	EXPECT_EQ(state(ro), CKS_RO_PUBLIC_SESSION);
	f->C_CloseSession(ro);
	f->C_CloseSession(later);
	ASSERT_EQ(f->C_Login(rw, CKU_SO, u8(so_pin), strlen(so_pin)), CKR_OK);
	EXPECT_EQ(state(rw), CKS_RW_SO_FUNCTIONS);
	CK_SESSION_HANDLE h;
	EXPECT_EQ(f->C_OpenSession(id, CKF_SERIAL_SESSION, nullptr, nullptr, &h), CKR_SESSION_READ_WRITE_SO_EXISTS);
	// Closing the last session logs out.
	f->C_CloseSession(rw);
	rw = open(id, true);
	EXPECT_EQ(state(rw), CKS_RW_PUBLIC_SESSION);
}

TEST_F(Session, LoginErrors)
{
	CK_SLOT_ID id = init_token();
	CK_SESSION_HANDLE h = open(id, true);
	EXPECT_EQ(f->C_Login(CK_INVALID_HANDLE, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_SESSION_HANDLE_INVALID);
	EXPECT_EQ(f->C_Login(h, 77, u8(user_pin), strlen(user_pin)), CKR_USER_TYPE_INVALID);
	EXPECT_EQ(f->C_Login(h, CKU_USER, nullptr, 0), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_Login(h, CKU_CONTEXT_SPECIFIC, u8(user_pin), strlen(user_pin)), CKR_OPERATION_NOT_INITIALIZED);
	EXPECT_EQ(f->C_Logout(h), CKR_USER_NOT_LOGGED_IN);
	ASSERT_EQ(f->C_Login(h, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_OK);
	EXPECT_EQ(f->C_Login(h, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_USER_ALREADY_LOGGED_IN);
	EXPECT_EQ(f->C_Login(h, CKU_SO, u8(so_pin), strlen(so_pin)), CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
	ASSERT_EQ(f->C_Logout(h), CKR_OK);
	EXPECT_EQ(f->C_Logout(h), CKR_USER_NOT_LOGGED_IN);
	ASSERT_EQ(f->C_Login(h, CKU_SO, u8(so_pin), strlen(so_pin)), CKR_OK);
	EXPECT_EQ(f->C_Login(h, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
}

TEST_F(Session, UserPinNotInitialized)
{
	CK_SLOT_ID id = init_token("nouser", false);
	CK_SESSION_HANDLE h = open(id, false);
	EXPECT_EQ(f->C_Login(h, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_USER_PIN_NOT_INITIALIZED);
}

TEST_F(Session, UserPinLocksAfterTheRetryLimitAndOnlyTheSoUnlocks)
{
	CK_SLOT_ID id = init_token();
	CK_SESSION_HANDLE h = open(id, true);
	EXPECT_EQ(f->C_Login(h, CKU_USER, u8("wrong1"), 6), CKR_PIN_INCORRECT);
	CK_TOKEN_INFO ti = token_info(id);
	EXPECT_TRUE(ti.flags & CKF_USER_PIN_COUNT_LOW);
	EXPECT_FALSE(ti.flags & CKF_USER_PIN_FINAL_TRY);
	reinit(); // the counter is on disk, not in this process
	h = open(id, true);
	EXPECT_EQ(f->C_Login(h, CKU_USER, u8("wrong2"), 6), CKR_PIN_INCORRECT);
	ti = token_info(id);
	EXPECT_TRUE(ti.flags & CKF_USER_PIN_FINAL_TRY);
	EXPECT_FALSE(ti.flags & CKF_USER_PIN_LOCKED);
	EXPECT_EQ(f->C_Login(h, CKU_USER, u8("x"), 1), CKR_PIN_INCORRECT) << "a too-short PIN costs a try too";
	EXPECT_TRUE(token_info(id).flags & CKF_USER_PIN_LOCKED);
	EXPECT_EQ(f->C_Login(h, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_PIN_LOCKED)
		<< "locked: even the right PIN is refused";
	EXPECT_EQ(f->C_SetPIN(h, u8(user_pin), strlen(user_pin), u8("another"), 7), CKR_PIN_LOCKED);
	// The SO resets it with C_InitPIN.
	ASSERT_EQ(f->C_Login(h, CKU_SO, u8(so_pin), strlen(so_pin)), CKR_OK);
	ASSERT_EQ(f->C_InitPIN(h, u8("fresh-pin"), 9), CKR_OK);
	ASSERT_EQ(f->C_Logout(h), CKR_OK);
	ti = token_info(id);
	EXPECT_FALSE(ti.flags & (CKF_USER_PIN_LOCKED | CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY));
	EXPECT_EQ(f->C_Login(h, CKU_USER, u8("fresh-pin"), 9), CKR_OK);
}

TEST_F(Session, SuccessfulLoginClearsTheCounter)
{
	CK_SLOT_ID id = init_token();
	CK_SESSION_HANDLE h = open(id, true);
	EXPECT_EQ(f->C_Login(h, CKU_USER, u8("wrong1"), 6), CKR_PIN_INCORRECT);
	EXPECT_EQ(f->C_Login(h, CKU_USER, u8("wrong2"), 6), CKR_PIN_INCORRECT);
	ASSERT_EQ(f->C_Login(h, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_OK);
	EXPECT_FALSE(token_info(id).flags & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY));
}

TEST_F(Session, SoPinLocksToo)
{
	CK_SLOT_ID id = init_token();
	CK_SESSION_HANDLE h = open(id, true);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(f->C_Login(h, CKU_SO, u8("bad-so-pin"), 10), CKR_PIN_INCORRECT);
	EXPECT_TRUE(token_info(id).flags & CKF_SO_PIN_LOCKED);
	EXPECT_EQ(f->C_Login(h, CKU_SO, u8(so_pin), strlen(so_pin)), CKR_PIN_LOCKED);
	f->C_CloseSession(h);
	auto l = label32("again");
	EXPECT_EQ(f->C_InitToken(id, u8(so_pin), strlen(so_pin), l.data()), CKR_PIN_LOCKED);
	// The user is not affected.
	h = open(id, false);
	EXPECT_EQ(f->C_Login(h, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_OK);
}

// What one process does to a token, another sees at its next call.
TEST_F(Session, ChangesFromAnotherProcessAreSeen)
{
	CK_SLOT_ID id = init_token("shared");
	CK_SESSION_HANDLE h = open(id, true);
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int bad = f->C_Initialize(nullptr) != CKR_OK;
		CK_SESSION_HANDLE c;
		bad |= f->C_OpenSession(id, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &c) != CKR_OK;
		bad |= f->C_Login(c, CKU_USER, u8("wrong"), 5) != CKR_PIN_INCORRECT;
		f->C_CloseSession(c);
		auto l = label32("from-child");
		bad |= f->C_InitToken(free_slot(), u8(so_pin), strlen(so_pin), l.data()) != CKR_OK;
		f->C_Finalize(nullptr);
		_exit(bad);
	}
	int status = 0;
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_EQ(WEXITSTATUS(status), 0);
	EXPECT_TRUE(token_info(id).flags & CKF_USER_PIN_COUNT_LOW) << "the child's failed login";
	auto ids = slots();
	ASSERT_EQ(ids.size(), 3u) << "the child's new token";
	EXPECT_EQ(std::string((char *)token_info(ids[1]).label, 10), "from-child");
	EXPECT_EQ(state(h), CKS_RW_PUBLIC_SESSION);
}

} // namespace

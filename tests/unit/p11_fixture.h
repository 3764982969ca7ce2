// A test fixture that loads build/lib/libfhsm.so with dlopen, as applications do,
// and gives every test a fresh temporary token directory and configuration.
#pragma once

#include <gtest/gtest.h>

#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

// Last: p11-kit's header defines lower-case macros (count, value, ...) that would
// rename members of the standard library.
#define CRYPTOKI_COMPAT 1
#include "pkcs11_v30.h"

namespace fhsm_test {

inline std::string make_temp_dir()
{
	char tmpl[] = "/tmp/fhsm-test-XXXXXX";
	const char *d = mkdtemp(tmpl);
	if (!d)
		abort();
	return d;
}

inline void remove_tree(const std::string &dir)
{
	if (getenv("FHSM_TEST_KEEP")) { // for post-mortems
		fprintf(stderr, "kept %s\n", dir.c_str());
		return;
	}
	if (dir.rfind("/tmp/fhsm-test-", 0) == 0)
		(void)!system(("rm -rf '" + dir + "'").c_str());
}

// The module, loaded once per test program.
inline void *module_handle()
{
	static void *h = dlopen(FHSM_MODULE_PATH, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "dlopen %s: %s\n", FHSM_MODULE_PATH, dlerror());
		abort();
	}
	return h;
}

inline CK_FUNCTION_LIST_PTR functions()
{
	auto get = (CK_C_GetFunctionList)dlsym(module_handle(), "C_GetFunctionList");
	CK_FUNCTION_LIST_PTR f = nullptr;
	if (!get || get(&f) != CKR_OK)
		abort();
	return f;
}

inline CK_UTF8CHAR *u8(const char *s)
{
	return (CK_UTF8CHAR *)s;
}

inline std::vector<CK_UTF8CHAR> label32(const std::string &s)
{
	std::vector<CK_UTF8CHAR> l(32, ' ');
	memcpy(l.data(), s.data(), std::min<size_t>(s.size(), 32));
	return l;
}

class P11 : public ::testing::Test {
protected:
	CK_FUNCTION_LIST_PTR f = functions();
	std::string dir;
	const char *so_pin = "so-secret";
	const char *user_pin = "user-pin";

	// Extra configuration lines for a test; the defaults keep PBKDF2 cheap.
	virtual std::string extra_config() { return ""; }

	void write_config(const std::string &body)
	{
		std::ofstream(dir + "/fhsm.conf") << body;
		setenv("FHSM_CONF", (dir + "/fhsm.conf").c_str(), 1);
	}

	void SetUp() override
	{
		dir = make_temp_dir();
		write_config("tokendir = " + dir + "/tokens\npin.kdf_iterations = 1000\n" + extra_config());
		ASSERT_EQ(f->C_Initialize(nullptr), CKR_OK);
	}

	void TearDown() override
	{
		f->C_Finalize(nullptr);
		remove_tree(dir);
	}

	void reinit()
	{
		ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);
		ASSERT_EQ(f->C_Initialize(nullptr), CKR_OK);
	}

	std::vector<CK_SLOT_ID> slots()
	{
		CK_ULONG n = 0;
		EXPECT_EQ(f->C_GetSlotList(CK_FALSE, nullptr, &n), CKR_OK);
		std::vector<CK_SLOT_ID> ids(n);
		EXPECT_EQ(f->C_GetSlotList(CK_FALSE, ids.data(), &n), CKR_OK);
		ids.resize(n);
		return ids;
	}

	// The slot whose token is not initialized.
	CK_SLOT_ID free_slot()
	{
		for (CK_SLOT_ID id : slots()) {
			CK_TOKEN_INFO ti;
			if (f->C_GetTokenInfo(id, &ti) == CKR_OK && !(ti.flags & CKF_TOKEN_INITIALIZED))
				return id;
		}
		ADD_FAILURE() << "no free slot";
		return 0;
	}

	CK_SLOT_ID init_token(const std::string &label = "test", bool with_user_pin = true)
	{
		CK_SLOT_ID id = free_slot();
		auto l = label32(label);
		EXPECT_EQ(f->C_InitToken(id, u8(so_pin), strlen(so_pin), l.data()), CKR_OK);
		if (with_user_pin) {
			CK_SESSION_HANDLE h = open(id, true);
			EXPECT_EQ(f->C_Login(h, CKU_SO, u8(so_pin), strlen(so_pin)), CKR_OK);
			EXPECT_EQ(f->C_InitPIN(h, u8(user_pin), strlen(user_pin)), CKR_OK);
			EXPECT_EQ(f->C_CloseSession(h), CKR_OK);
		}
		return id;
	}

	CK_SESSION_HANDLE open(CK_SLOT_ID id, bool rw)
	{
		CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
		CK_FLAGS fl = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
		EXPECT_EQ(f->C_OpenSession(id, fl, nullptr, nullptr, &h), CKR_OK);
		return h;
	}

	CK_TOKEN_INFO token_info(CK_SLOT_ID id)
	{
		CK_TOKEN_INFO ti;
		memset(&ti, 0, sizeof(ti));
		EXPECT_EQ(f->C_GetTokenInfo(id, &ti), CKR_OK);
		return ti;
	}

	CK_STATE state(CK_SESSION_HANDLE h)
	{
		CK_SESSION_INFO si;
		EXPECT_EQ(f->C_GetSessionInfo(h, &si), CKR_OK);
		return si.state;
	}
};

} // namespace fhsm_test

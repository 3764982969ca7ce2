// Slots and tokens: C_GetSlotList, C_GetSlotInfo, C_GetTokenInfo, mechanisms,
// C_InitToken, C_InitPIN, C_SetPIN, C_WaitForSlotEvent.
#include <algorithm>

#include "p11_fixture.h"

using namespace fhsm_test;

namespace {

class Slot : public P11 {};

TEST_F(Slot, OneEmptySlotOnAFreshStore)
{
	CK_ULONG n = 99;
	ASSERT_EQ(f->C_GetSlotList(CK_FALSE, nullptr, &n), CKR_OK);
	EXPECT_EQ(n, 1u);
	ASSERT_EQ(f->C_GetSlotList(CK_TRUE, nullptr, &n), CKR_OK);
	EXPECT_EQ(n, 1u) << "the empty slot holds an (uninitialized) token";
	EXPECT_EQ(f->C_GetSlotList(CK_FALSE, nullptr, nullptr), CKR_ARGUMENTS_BAD);

	CK_TOKEN_INFO ti = token_info(0);
	EXPECT_FALSE(ti.flags & CKF_TOKEN_INITIALIZED);
	EXPECT_TRUE(ti.flags & CKF_RNG);
	EXPECT_EQ(std::string((char *)ti.label, 32), std::string(32, ' '));
}

TEST_F(Slot, SlotListBufferProtocol)
{
	init_token("a");
	init_token("b");
	CK_ULONG n = 0;
	ASSERT_EQ(f->C_GetSlotList(CK_TRUE, nullptr, &n), CKR_OK);
	ASSERT_EQ(n, 3u);
	CK_SLOT_ID ids[3] = {77, 77, 77};
	CK_ULONG small = 2;
	EXPECT_EQ(f->C_GetSlotList(CK_TRUE, ids, &small), CKR_BUFFER_TOO_SMALL);
	EXPECT_EQ(small, 3u);
	EXPECT_EQ(ids[0], 77u) << "nothing written on CKR_BUFFER_TOO_SMALL";
	CK_ULONG big = 3;
	ASSERT_EQ(f->C_GetSlotList(CK_TRUE, ids, &big), CKR_OK);
	EXPECT_EQ(big, 3u);
	EXPECT_EQ(ids[0], 0u);
	EXPECT_EQ(ids[1], 1u);
	EXPECT_EQ(ids[2], 2u);
}

TEST_F(Slot, SlotIdDoesNotChangeWhenItsTokenIsInitialized)
{
	CK_SLOT_ID before = free_slot();
	auto l = label32("stable");
	ASSERT_EQ(f->C_InitToken(before, u8(so_pin), strlen(so_pin), l.data()), CKR_OK);
	CK_TOKEN_INFO ti = token_info(before);
	EXPECT_TRUE(ti.flags & CKF_TOKEN_INITIALIZED);
	EXPECT_EQ(std::string((char *)ti.label, 32), std::string((char *)l.data(), 32));
	auto ids = slots();
	EXPECT_EQ(ids.size(), 2u) << "a new empty slot appears";
	EXPECT_NE(free_slot(), before);
	reinit(); // and in the next process too
	ti = token_info(before);
	EXPECT_EQ(std::string((char *)ti.label, 6), "stable");
}

TEST_F(Slot, SlotInfo)
{
	CK_SLOT_INFO si;
	EXPECT_EQ(f->C_GetSlotInfo(0, nullptr), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_GetSlotInfo(12345, &si), CKR_SLOT_ID_INVALID);
	ASSERT_EQ(f->C_GetSlotInfo(0, &si), CKR_OK);
	EXPECT_TRUE(si.flags & CKF_TOKEN_PRESENT);
	EXPECT_EQ(si.slotDescription[63], ' ');
	CK_TOKEN_INFO ti;
	EXPECT_EQ(f->C_GetTokenInfo(12345, &ti), CKR_SLOT_ID_INVALID);
	EXPECT_EQ(f->C_GetTokenInfo(0, nullptr), CKR_ARGUMENTS_BAD);
}

TEST_F(Slot, TokenInfoOfAnInitializedToken)
{
	CK_SLOT_ID id = init_token("info");
	CK_TOKEN_INFO ti = token_info(id);
	EXPECT_EQ(ti.flags & (CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED | CKF_RNG),
		  CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED | CKF_RNG);
	EXPECT_EQ(std::string((char *)ti.manufacturerID, 12), "fhsm project");
	std::string serial((char *)ti.serialNumber, 16);
	EXPECT_EQ(serial.find_first_not_of("0123456789ABCDEF"), std::string::npos) << serial;
	EXPECT_EQ(ti.ulMinPinLen, 4u);
	EXPECT_EQ(ti.ulMaxPinLen, 255u);
	EXPECT_EQ(ti.ulSessionCount, 0u);
	EXPECT_NE(ti.ulTotalPublicMemory, 0u);
	EXPECT_NE(ti.ulFreePrivateMemory, 0u);
	CK_SESSION_HANDLE h1 = open(id, false), h2 = open(id, true);
	ti = token_info(id);
	EXPECT_EQ(ti.ulSessionCount, 2u);
	EXPECT_EQ(ti.ulRwSessionCount, 1u);
	f->C_CloseSession(h1);
	f->C_CloseSession(h2);
	// Two tokens never share a serial.
	CK_SLOT_ID id2 = init_token("info2");
	EXPECT_NE(serial, std::string((char *)token_info(id2).serialNumber, 16));
}

TEST_F(Slot, Mechanisms)
{
	CK_ULONG n = 0;
	EXPECT_EQ(f->C_GetMechanismList(0, nullptr, nullptr), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_GetMechanismList(999, nullptr, &n), CKR_SLOT_ID_INVALID);
	ASSERT_EQ(f->C_GetMechanismList(0, nullptr, &n), CKR_OK);
	ASSERT_GE(n, 6u);
	std::vector<CK_MECHANISM_TYPE> m(n);
	CK_ULONG small = 1;
	EXPECT_EQ(f->C_GetMechanismList(0, m.data(), &small), CKR_BUFFER_TOO_SMALL);
	EXPECT_EQ(small, n);
	ASSERT_EQ(f->C_GetMechanismList(0, m.data(), &n), CKR_OK);
	EXPECT_TRUE(std::is_sorted(m.begin(), m.end())) << "the registry must stay sorted";
	for (CK_MECHANISM_TYPE t : {CKM_MD5, CKM_SHA_1, CKM_SHA224, CKM_SHA256, CKM_SHA384, CKM_SHA512})
		EXPECT_NE(std::find(m.begin(), m.end(), t), m.end()) << t;
	for (CK_MECHANISM_TYPE t : m) { // every listed mechanism has its info
		CK_MECHANISM_INFO mi;
		EXPECT_EQ(f->C_GetMechanismInfo(0, t, &mi), CKR_OK) << t;
	}
	CK_MECHANISM_INFO mi;
	ASSERT_EQ(f->C_GetMechanismInfo(0, CKM_SHA256, &mi), CKR_OK);
	EXPECT_EQ(mi.flags, (CK_FLAGS)CKF_DIGEST);
	EXPECT_EQ(f->C_GetMechanismInfo(0, CKM_VENDOR_DEFINED + 7, &mi), CKR_MECHANISM_INVALID);
	EXPECT_EQ(f->C_GetMechanismInfo(0, CKM_SHA256, nullptr), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_GetMechanismInfo(999, CKM_SHA256, &mi), CKR_SLOT_ID_INVALID);
}

TEST_F(Slot, InitTokenArguments)
{
	auto l = label32("x");
	EXPECT_EQ(f->C_InitToken(0, nullptr, 4, l.data()), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_InitToken(0, u8(so_pin), strlen(so_pin), nullptr), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_InitToken(42, u8(so_pin), strlen(so_pin), l.data()), CKR_SLOT_ID_INVALID);
	EXPECT_EQ(f->C_InitToken(0, u8("123"), 3, l.data()), CKR_PIN_LEN_RANGE);
	std::string long_pin(256, 'x');
	EXPECT_EQ(f->C_InitToken(0, u8(long_pin.c_str()), long_pin.size(), l.data()), CKR_PIN_LEN_RANGE);
	EXPECT_FALSE(token_info(0).flags & CKF_TOKEN_INITIALIZED);
}

TEST_F(Slot, ReinitializeNeedsTheSoPinAndNoSessions)
{
	CK_SLOT_ID id = init_token("first");
	auto l = label32("second");
	EXPECT_EQ(f->C_InitToken(id, u8("wrong-pin"), 9, l.data()), CKR_PIN_INCORRECT);
	EXPECT_TRUE(token_info(id).flags & CKF_SO_PIN_COUNT_LOW);
	CK_SESSION_HANDLE h = open(id, false);
	EXPECT_EQ(f->C_InitToken(id, u8(so_pin), strlen(so_pin), l.data()), CKR_SESSION_EXISTS);
	f->C_CloseSession(h);
	ASSERT_EQ(f->C_InitToken(id, u8(so_pin), strlen(so_pin), l.data()), CKR_OK);
	CK_TOKEN_INFO ti = token_info(id);
	EXPECT_EQ(std::string((char *)ti.label, 6), "second");
	EXPECT_FALSE(ti.flags & CKF_USER_PIN_INITIALIZED) << "re-initialization resets the user PIN";
	EXPECT_FALSE(ti.flags & CKF_SO_PIN_COUNT_LOW);
	EXPECT_EQ(slots().size(), 2u) << "re-initializing adds no slot";
	// The old user PIN is gone with the old master key.
	h = open(id, false);
	EXPECT_EQ(f->C_Login(h, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_USER_PIN_NOT_INITIALIZED);
}

TEST_F(Slot, InitPinOnlyInRwSoSession)
{
	CK_SLOT_ID id = init_token("p", false);
	CK_SESSION_HANDLE ro = open(id, false), rw = open(id, true);
	EXPECT_EQ(f->C_InitPIN(rw, u8(user_pin), strlen(user_pin)), CKR_USER_NOT_LOGGED_IN);
	EXPECT_EQ(f->C_InitPIN(ro, u8(user_pin), strlen(user_pin)), CKR_USER_NOT_LOGGED_IN);
	EXPECT_EQ(f->C_Login(rw, CKU_SO, u8(so_pin), strlen(so_pin)), CKR_SESSION_READ_ONLY_EXISTS);
	f->C_CloseSession(ro);
	ASSERT_EQ(f->C_Login(rw, CKU_SO, u8(so_pin), strlen(so_pin)), CKR_OK);
	EXPECT_EQ(f->C_InitPIN(rw, nullptr, 4), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_InitPIN(rw, u8("12"), 2), CKR_PIN_LEN_RANGE);
	EXPECT_EQ(f->C_InitPIN(CK_INVALID_HANDLE, u8(user_pin), strlen(user_pin)), CKR_SESSION_HANDLE_INVALID);
	EXPECT_FALSE(token_info(id).flags & CKF_USER_PIN_INITIALIZED);
	ASSERT_EQ(f->C_InitPIN(rw, u8(user_pin), strlen(user_pin)), CKR_OK);
	EXPECT_TRUE(token_info(id).flags & CKF_USER_PIN_INITIALIZED);
}

TEST_F(Slot, SetPinForUserAndSo)
{
	CK_SLOT_ID id = init_token();
	CK_SESSION_HANDLE ro = open(id, false);
	EXPECT_EQ(f->C_SetPIN(ro, u8(user_pin), strlen(user_pin), u8("new-user"), 8), CKR_SESSION_READ_ONLY);
	f->C_CloseSession(ro);
	CK_SESSION_HANDLE rw = open(id, true);
	EXPECT_EQ(f->C_SetPIN(rw, nullptr, 0, u8("new-user"), 8), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_SetPIN(rw, u8("not-it"), 6, u8("new-user"), 8), CKR_PIN_INCORRECT);
	EXPECT_EQ(f->C_SetPIN(rw, u8(user_pin), strlen(user_pin), u8("ab"), 2), CKR_PIN_LEN_RANGE);
	// In a public RW session it changes the user PIN.
	ASSERT_EQ(f->C_SetPIN(rw, u8(user_pin), strlen(user_pin), u8("new-user"), 8), CKR_OK);
	EXPECT_EQ(f->C_Login(rw, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_PIN_INCORRECT);
	ASSERT_EQ(f->C_Login(rw, CKU_USER, u8("new-user"), 8), CKR_OK);
	// Logged in as the user: still the user's PIN.
	ASSERT_EQ(f->C_SetPIN(rw, u8("new-user"), 8, u8("newer-user"), 10), CKR_OK);
	ASSERT_EQ(f->C_Logout(rw), CKR_OK);
	// As the SO: the SO's.
	ASSERT_EQ(f->C_Login(rw, CKU_SO, u8(so_pin), strlen(so_pin)), CKR_OK);
	ASSERT_EQ(f->C_SetPIN(rw, u8(so_pin), strlen(so_pin), u8("new-so-pin"), 10), CKR_OK);
	ASSERT_EQ(f->C_Logout(rw), CKR_OK);
	reinit(); // persisted
	rw = open(id, true);
	EXPECT_EQ(f->C_Login(rw, CKU_SO, u8(so_pin), strlen(so_pin)), CKR_PIN_INCORRECT);
	EXPECT_EQ(f->C_Login(rw, CKU_SO, u8("new-so-pin"), 10), CKR_OK);
	EXPECT_EQ(f->C_Logout(rw), CKR_OK);
	EXPECT_EQ(f->C_Login(rw, CKU_USER, u8("newer-user"), 10), CKR_OK);
}

TEST_F(Slot, WaitForSlotEvent)
{
	CK_SLOT_ID s;
	EXPECT_EQ(f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &s, nullptr), CKR_NO_EVENT);
	EXPECT_EQ(f->C_WaitForSlotEvent(0, &s, nullptr), CKR_FUNCTION_NOT_SUPPORTED);
	EXPECT_EQ(f->C_WaitForSlotEvent(CKF_DONT_BLOCK, nullptr, nullptr), CKR_ARGUMENTS_BAD);
}

} // namespace

// The token store on disk (corruption is reported, never loaded or fatal) and the
// configuration file (an unknown key or bad value is an error naming file and line).
#include <dirent.h>

#include "p11_fixture.h"

using namespace fhsm_test;

namespace {

std::string read_file(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string &path, const std::string &data)
{
	std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

class Store : public P11 {
protected:
	// The token.meta of the token in slot id.
	std::string meta_path(CK_SLOT_ID id)
	{
		std::string tokens = dir + "/tokens";
		DIR *d = opendir(tokens.c_str());
		std::string found;
		while (dirent *e = readdir(d))
			if (std::string(e->d_name).rfind(std::to_string(id) + "-", 0) == 0)
				found = tokens + "/" + e->d_name + "/token.meta";
		closedir(d);
		return found;
	}
};

TEST_F(Store, CorruptTokenIsReportedAndTheOthersStayUsable)
{
	CK_SLOT_ID a = init_token("victim"), b = init_token("bystander");
	std::string path = meta_path(a);
	ASSERT_FALSE(path.empty());
	const std::string good = read_file(path);
	std::string flipped = good;
	flipped[good.size() / 2] ^= 0x01;
	const std::vector<std::pair<std::string, std::string>> damage = {
		{"one bit flipped", flipped},
		{"truncated", good.substr(0, good.size() - 7)},
		{"empty", ""},
		{"garbage", std::string(300, '\x5a')},
		{"extended", good + "trailing"},
	};
	for (const auto &[what, bytes] : damage) {
		write_file(path, bytes);
		for (int fresh = 0; fresh < 2; fresh++) { // seen by a running and a new process
			if (fresh)
				reinit();
			CK_TOKEN_INFO ti;
			auto ids = slots();
			EXPECT_EQ(ids.size(), 3u) << what << ": the bad token stays listed";
			EXPECT_EQ(f->C_GetTokenInfo(a, &ti), CKR_TOKEN_NOT_RECOGNIZED) << what;
			CK_SESSION_HANDLE h;
			EXPECT_EQ(f->C_OpenSession(a, CKF_SERIAL_SESSION, nullptr, nullptr, &h), CKR_TOKEN_NOT_RECOGNIZED) << what;
			auto l = label32("overwrite");
			EXPECT_EQ(f->C_InitToken(a, u8(so_pin), strlen(so_pin), l.data()), CKR_TOKEN_NOT_RECOGNIZED) << what;
			ASSERT_EQ(f->C_GetTokenInfo(b, &ti), CKR_OK) << what;
			EXPECT_EQ(std::string((char *)ti.label, 9), "bystander");
			h = open(b, false);
			EXPECT_EQ(f->C_Login(h, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_OK) << what;
			f->C_CloseSession(h);
		}
	}
	// Repaired: usable again, nothing lost.
	write_file(path, good);
	CK_SESSION_HANDLE h = open(a, false);
	EXPECT_EQ(f->C_Login(h, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_OK);
}

TEST_F(Store, FileAloneRevealsNoPin)
{
	init_token("secret");
	std::string meta = read_file(meta_path(0));
	EXPECT_EQ(meta.find(so_pin), std::string::npos);
	EXPECT_EQ(meta.find(user_pin), std::string::npos);
}

TEST_F(Store, LeftoversOfAKilledWriterAreIgnored)
{
	CK_SLOT_ID a = init_token("survivor");
	std::string path = meta_path(a);
	std::string tokdir = path.substr(0, path.rfind('/'));
	// What a process killed in the middle of replacing token.meta leaves behind.
	write_file(tokdir + "/.token.meta.tmp", "half a fi");
	ASSERT_EQ(mkdir((dir + "/tokens/.new-abcdef").c_str(), 0700), 0);
	reinit();
	EXPECT_EQ(slots().size(), 2u);
	CK_SESSION_HANDLE h = open(a, false);
	EXPECT_EQ(f->C_Login(h, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_OK);
}

class Config : public P11 {
protected:
	CK_RV init_with(const std::string &body, std::string *err)
	{
		f->C_Finalize(nullptr);
		write_config(body);
		testing::internal::CaptureStderr();
		CK_RV rv = f->C_Initialize(nullptr);
		*err = testing::internal::GetCapturedStderr();
		return rv;
	}
};

// backend = usb with no board: C_Initialize succeeds at once (no hang), says so,
// and the module works on software; auto without a board is plain software.
TEST_F(Config, UsbWithoutABoardRunsOnSoftware)
{
	for (const char *backend : {"usb", "auto"}) {
		std::string err;
		ASSERT_EQ(init_with("tokendir = " + dir + "/tokens\npin.kdf_iterations = 1000\nbackend = " + backend +
				    "\ndevice.usb.vid = 0403\ndevice.usb.pid = 6010\ndevice.usb.channel = B\n"
				    "device.baud = 3000000\n", &err),
			  CKR_OK) << backend;
		if (std::string(backend) == "usb") {
			EXPECT_NE(err.find("backend = usb: the fabric does not answer (0403:6010"), std::string::npos) << err;
			init_token("usb");
		}
		CK_BYTE data[100] = {1}, digest[32];
		CK_ULONG n = sizeof digest;
		CK_SESSION_HANDLE h;
		ASSERT_EQ(f->C_OpenSession(slots()[0], CKF_SERIAL_SESSION, nullptr, nullptr, &h), CKR_OK) << backend;
		CK_MECHANISM m = {CKM_SHA256, nullptr, 0};
		ASSERT_EQ(f->C_DigestInit(h, &m), CKR_OK);
		ASSERT_EQ(f->C_Digest(h, data, sizeof data, digest, &n), CKR_OK);
		EXPECT_EQ(n, 32u);
		f->C_CloseSession(h);
	}
}

TEST_F(Config, UnknownKeyNamesFileAndLine)
{
	std::string err;
	EXPECT_EQ(init_with("tokendir = " + dir + "\n# comment\npin.retries = 3\n", &err), CKR_GENERAL_ERROR);
	EXPECT_NE(err.find("fhsm.conf:3: unknown key 'pin.retries'"), std::string::npos) << err;
}

TEST_F(Config, BadValues)
{
	const char *bad[] = {
		"pin.retry_limit = 0\n",      "pin.retry_limit = ten\n", "pin.min_length = -1\n",
		"pin.kdf_iterations = 10\n",  "backend = fpga\n",        "log.level = loud\n",
		"just a line\n",              "pin.max_length = 99999999999999999999999\n",
		"pin.min_length = 9\npin.max_length = 8\n",
		"device.usb.vid = xyz\n",    "device.usb.pid = 12345\n", "device.usb.channel = C\n",
		"device.baud = 1\n",         "device.retries = 11\n",    "device.timeout_ms = 5\n",
		"device.batching = maybe\n", "device.usb.serial = \n",
	};
	for (const char *line : bad) {
		std::string err;
		EXPECT_EQ(init_with(line, &err), CKR_GENERAL_ERROR) << line;
		EXPECT_NE(err.find("fhsm.conf"), std::string::npos) << line << " -> " << err;
	}
	std::string err;
	f->C_Finalize(nullptr);
	setenv("FHSM_CONF", (dir + "/missing.conf").c_str(), 1);
	testing::internal::CaptureStderr();
	EXPECT_EQ(f->C_Initialize(nullptr), CKR_GENERAL_ERROR);
	err = testing::internal::GetCapturedStderr();
	EXPECT_NE(err.find("missing.conf"), std::string::npos) << err;
}

TEST_F(Config, PolicyReachesTokenInfo)
{
	std::string err;
	ASSERT_EQ(init_with("tokendir = tokens\npin.min_length = 6\npin.max_length = 12\n"
			    "pin.kdf_iterations = 1000\nlog.level = error\n", &err), CKR_OK) << err;
	CK_TOKEN_INFO ti = token_info(0);
	EXPECT_EQ(ti.ulMinPinLen, 6u);
	EXPECT_EQ(ti.ulMaxPinLen, 12u);
	auto l = label32("x");
	EXPECT_EQ(f->C_InitToken(0, u8("12345"), 5, l.data()), CKR_PIN_LEN_RANGE);
	EXPECT_EQ(f->C_InitToken(0, u8("1234567890123"), 13, l.data()), CKR_PIN_LEN_RANGE);
	EXPECT_EQ(f->C_InitToken(0, u8("123456"), 6, l.data()), CKR_OK);
	// A relative tokendir is relative to the configuration file.
	EXPECT_EQ(access((dir + "/tokens").c_str(), F_OK), 0);
}

} // namespace

// The object log under stress: processes killed while writing, several writers at
// once, a torn tail, damage in the middle, tampering, compaction.
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "command.h"
#include "fhsm/crypto.h"
#include "p11_objects.h"

using namespace fhsm_test;

namespace {

class ObjLog : public Objects {
protected:
	std::string log_path()
	{
		std::string s;
		run_command("ls " + dir + "/tokens/*/objects.log", &s);
		return s.substr(0, s.find('\n'));
	}
	std::string read_log()
	{
		std::ifstream in(log_path(), std::ios::binary);
		return std::string(std::istreambuf_iterator<char>(in), {});
	}
	void write_log(const std::string &bytes)
	{
		std::ofstream(log_path(), std::ios::binary | std::ios::trunc) << bytes;
	}

	// A child that creates (and sometimes destroys) token objects forever, reporting
	// each committed change on fd as "+label" or "-label", and "~label" before a destroy.
	[[noreturn]] void writer(int fd, int id, unsigned seed)
	{
		std::mt19937 rng(seed);
		int bad = f->C_Initialize(nullptr) != CKR_OK;
		CK_SESSION_HANDLE s;
		bad |= f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s) != CKR_OK;
		bad |= f->C_Login(s, CKU_USER, u8(user_pin), strlen(user_pin)) != CKR_OK;
		std::vector<std::pair<CK_OBJECT_HANDLE, std::string>> mine;
		for (int i = 0; !bad; i++) {
			std::string label = "w" + std::to_string(id) + "-" + std::to_string(seed) + "-" + std::to_string(i);
			CK_OBJECT_HANDLE o;
			Tmpl t = i % 3 == 2 ? aes_key(label, true) : data_object(label, true, i % 2);
			if (f->C_CreateObject(s, t.data(), t.size(), &o) != CKR_OK)
				_exit(3);
			dprintf(fd, "+%s\n", label.c_str());
			mine.push_back({o, label});
			if (rng() % 4 == 0) {
				size_t k = rng() % mine.size();
				dprintf(fd, "~%s\n", mine[k].second.c_str()); /* in flight: may or may not happen */
				if (f->C_DestroyObject(s, mine[k].first) != CKR_OK)
					_exit(4);
				dprintf(fd, "-%s\n", mine[k].second.c_str());
				mine.erase(mine.begin() + k);
			}
		}
		_exit(bad ? 2 : 0);
	}

	// Every object the module shows, by label, after a fresh start.
	std::map<std::string, CK_OBJECT_HANDLE> all_objects()
	{
		reinit();
		h = open(slot, true);
		EXPECT_EQ(f->C_Login(h, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_OK);
		std::map<std::string, CK_OBJECT_HANDLE> out;
		Tmpl any;
		for (CK_OBJECT_HANDLE o : find(any)) {
			std::string label = get(o, CKA_LABEL);
			EXPECT_EQ(out.count(label), 0u) << "duplicate " << label;
			out[label] = o;
		}
		return out;
	}

	// The changes reported before the kill: the committed objects (live), and those
	// whose destruction was in flight when the writer died (either outcome is right).
	static void replay(const std::string &report, std::set<std::string> &live, std::set<std::string> &maybe)
	{
		std::istringstream in(report);
		std::string line;
		while (std::getline(in, line)) {
			std::string label = line.substr(1);
			if (line.size() < 2)
				continue;
			if (line[0] == '+') {
				live.insert(label);
			} else if (line[0] == '~') {
				live.erase(label);
				maybe.insert(label);
			} else if (line[0] == '-') {
				maybe.erase(label);
			}
		}
	}
};

TEST_F(ObjLog, KilledWritersLoseNothingCommitted)
{
	std::mt19937 rng(12345);
	std::set<std::string> live;
	for (int round = 0; round < 6; round++) {
		int fds[2];
		ASSERT_EQ(pipe(fds), 0);
		std::vector<pid_t> kids;
		for (int k = 0; k < 3; k++) {
			pid_t pid = fork();
			ASSERT_GE(pid, 0);
			if (pid == 0) {
				close(fds[0]);
				writer(fds[1], k, rng() + round * 100 + k);
			}
			kids.push_back(pid);
		}
		close(fds[1]);
		usleep(20000 + rng() % 150000); // kill at a random moment of the writing
		for (pid_t p : kids)
			kill(p, SIGKILL);
		std::string report;
		char buf[4096];
		ssize_t n;
		while ((n = read(fds[0], buf, sizeof(buf))) > 0)
			report.append(buf, n);
		close(fds[0]);
		for (pid_t p : kids) {
			int st;
			waitpid(p, &st, 0);
			EXPECT_TRUE(WIFSIGNALED(st)) << "a writer failed on its own: exit " << WEXITSTATUS(st);
		}
		std::set<std::string> maybe;
		replay(report, live, maybe);
		auto objs = all_objects();
		for (const auto &label : live)
			EXPECT_EQ(objs.count(label), 1u) << "committed object lost: " << label << " in round " << round;
		size_t extra = 0;
		for (const auto &[label, o] : objs) {
			if (!live.count(label) && !maybe.count(label))
				extra++; // created, killed before it could report: whole or absent
			// Whole: data objects carry their value, keys their 16-byte length.
			std::string kl = get(o, CKA_VALUE_LEN);
			if (kl.size() == sizeof(CK_ULONG))
				EXPECT_EQ(kl, std::string("\x10\0\0\0\0\0\0\0", 8)) << "torn key " << label;
			else
				EXPECT_EQ(get(o, CKA_VALUE), "value of " + label) << "torn object " << label;
		}
		EXPECT_LE(extra, 3u * 2) << "at most one unreported create (and one destroy) per writer";
		live.clear(); // what exists now is committed, whatever was in flight
		for (const auto &[label, o] : objs)
			live.insert(label);
	}
	EXPECT_GT(live.size(), 10u) << "the writers must have written something";
	RecordProperty("committed_objects", (int)live.size());
}

TEST_F(ObjLog, ConcurrentWritersLoseNothing)
{
	const int kids = 4, per = 40;
	std::vector<pid_t> pids;
	for (int k = 0; k < kids; k++) {
		pid_t pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0) {
			int bad = f->C_Initialize(nullptr) != CKR_OK;
			CK_SESSION_HANDLE s;
			bad |= f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s) != CKR_OK;
			bad |= f->C_Login(s, CKU_USER, u8(user_pin), strlen(user_pin)) != CKR_OK;
			std::vector<CK_OBJECT_HANDLE> made;
			for (int i = 0; i < per && !bad; i++) {
				Tmpl t = data_object("k" + std::to_string(k) + "-" + std::to_string(i), true, i % 2);
				CK_OBJECT_HANDLE o;
				bad |= f->C_CreateObject(s, t.data(), t.size(), &o) != CKR_OK;
				made.push_back(o);
				if (i % 4 == 3) // destroy every fourth: the one made two steps ago
					bad |= f->C_DestroyObject(s, made[i - 2]) != CKR_OK;
			}
			f->C_Finalize(nullptr);
			_exit(bad);
		}
		pids.push_back(pid);
	}
	for (pid_t p : pids) {
		int st;
		ASSERT_EQ(waitpid(p, &st, 0), p);
		EXPECT_EQ(WEXITSTATUS(st), 0);
	}
	auto objs = all_objects();
	EXPECT_EQ(objs.size(), size_t(kids * (per - per / 4)));
	for (int k = 0; k < kids; k++)
		for (int i = 0; i < per; i++) {
			std::string label = "k" + std::to_string(k) + "-" + std::to_string(i);
			bool destroyed = i % 4 == 1;
			EXPECT_EQ(objs.count(label), destroyed ? 0u : 1u) << label;
		}
}

TEST_F(ObjLog, TornTailIsCutAndDamageInTheMiddleIsSkipped)
{
	create(data_object("first", true));
	create(data_object("second", true, true));
	std::string good = read_log();
	// A record cut short at the end: a write that never finished.
	write_log(good + good.substr(16, 30));
	auto objs = all_objects();
	EXPECT_EQ(objs.size(), 2u);
	create(data_object("third", true));
	EXPECT_EQ(all_objects().size(), 3u) << "the next write cut the torn bytes and appended";
	std::string now = read_log();
	EXPECT_EQ(now.substr(0, good.size()), good);

	// Damage in the middle: a record's bytes flipped. Reported, skipped; the rest stays.
	std::string damaged = now;
	damaged[16 + 40] ^= 0x55; // inside the first record
	write_log(damaged);
	testing::internal::CaptureStderr();
	objs = all_objects();
	std::string err = testing::internal::GetCapturedStderr();
	EXPECT_EQ(objs.count("first"), 0u);
	EXPECT_EQ(objs.count("second"), 1u);
	EXPECT_EQ(objs.count("third"), 1u);
	EXPECT_NE(err.find("damaged bytes"), std::string::npos) << err;
	create(data_object("fourth", true));
	EXPECT_EQ(all_objects().size(), 3u) << "writing after damage keeps what follows it";
}

TEST_F(ObjLog, TamperingWithASealedObjectIsDetected)
{
	create(data_object("honest", true, true));
	create(data_object("victim", true, true));
	std::string log = read_log();
	// The last record is the victim: flip a ciphertext byte and fix its CRC, as an
	// attacker would. Only the authenticated encryption can notice.
	size_t start = log.rfind("FOBJ");
	ASSERT_NE(start, std::string::npos);
	uint32_t len;
	memcpy(&len, log.data() + start + 4, 4);
	log[start + len - 10] ^= 0x01;
	uint32_t crc = fhsm_crc32(log.data() + start, len - 4);
	memcpy(&log[start + len - 4], &crc, 4);
	write_log(log);
	testing::internal::CaptureStderr();
	auto objs = all_objects();
	std::string err = testing::internal::GetCapturedStderr();
	EXPECT_EQ(objs.count("honest"), 1u);
	EXPECT_EQ(objs.count("victim"), 0u);
	EXPECT_NE(err.find("fails its authentication check"), std::string::npos) << err;
}

TEST_F(ObjLog, CompactionKeepsEveryObject)
{
	// Rewrite one object's value many times: the log grows with dead versions.
	CK_OBJECT_HANDLE o = create(data_object("rewritten", true, true));
	create(data_object("bystander", true, false));
	std::string big(20000, 'x');
	for (int i = 0; i < 120; i++) {
		Tmpl t;
		t.s(CKA_VALUE, big + std::to_string(i));
		ASSERT_EQ(set(o, t), CKR_OK);
	}
	EXPECT_LT(read_log().size(), 1200000u) << "compacted at least once past 1 MiB";
	auto objs = all_objects();
	ASSERT_EQ(objs.size(), 2u);
	EXPECT_EQ(get(objs["rewritten"], CKA_VALUE), big + "119");
	EXPECT_EQ(get(objs["bystander"], CKA_VALUE), "value of bystander");
}

} // namespace

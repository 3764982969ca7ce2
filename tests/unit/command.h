// Running an oracle on the command line.
#pragma once
#include <sys/wait.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace fhsm_test {

// Runs cmd through the shell; *out gets all it writes to stdout. Returns its
// exit status, -1 when it could not be started or did not exit normally.
inline int run_command(const std::string &cmd, std::string *out)
{
	out->clear();
	FILE *p = popen(cmd.c_str(), "r");
	if (!p)
		return -1;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, p)) > 0)
		out->append(buf, n);
	int st = pclose(p);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// The first word of what cmd prints, "" when it prints nothing: the digest or
// MAC that `openssl dgst -r` writes before the file name.
inline std::string first_word_of(const std::string &cmd)
{
	std::string out;
	run_command(cmd, &out);
	return out.substr(0, strcspn(out.c_str(), " \n"));
}

}  // namespace fhsm_test

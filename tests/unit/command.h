// Running an oracle on the command line.
#pragma once
#include <cstdio>
#include <cstring>
#include <string>

namespace fhsm_test {

// The first word of the first line cmd prints, "" when it prints nothing: the
// digest or MAC that `openssl dgst -r` writes before the file name.
inline std::string first_word_of(const std::string &cmd)
{
	FILE *p = popen(cmd.c_str(), "r");
	if (!p)
		return "";
	char line[512] = {0};
	bool got = fgets(line, sizeof(line), p) != nullptr;
	pclose(p);
	return got ? std::string(line, strcspn(line, " \n")) : "";
}

}  // namespace fhsm_test

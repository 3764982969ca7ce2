// Bytes as lowercase hex, for comparing results with published vectors.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace fhsm_test {

inline std::string hex(const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";
	std::string s;
	for (size_t i = 0; i < n; i++)
		s += {d[p[i] >> 4], d[p[i] & 15]};
	return s;
}

}  // namespace fhsm_test

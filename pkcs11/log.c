#include <stdarg.h>
#include <stdio.h>
#include "p11.h"

int p11_log_level = P11_LOG_WARNING;

void p11_log(int level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	if (level > p11_log_level)
		return;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One write per line so lines of concurrent processes do not interleave. */
	fprintf(stderr, "fhsm: %s: %s\n", names[level], buf);
}

/* Randomness comes from the kernel (getrandom): no user-space generator to reseed after fork. */
#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>
#include "fhsm/crypto.h"

fhsm_err fhsm_random(void *buf, size_t len)
{
	unsigned char *p = buf;
	if (!buf && len)
		return FHSM_ERR_ARGS;
	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return FHSM_ERR_RNG;
		}
		p += n;
		len -= (size_t)n;
	}
	return FHSM_OK;
}

/* Writing to /dev/urandom stirs the bytes into the kernel's input pool without
 * crediting entropy: an application's seed can add to the pool, never weaken it. */
fhsm_err fhsm_random_mix(const void *seed, size_t len)
{
	const unsigned char *p = seed;
	if (!seed && len)
		return FHSM_ERR_ARGS;
	int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return FHSM_ERR_UNSUPPORTED;
	fhsm_err err = FHSM_OK;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = FHSM_ERR_UNSUPPORTED;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	close(fd);
	return err;
}

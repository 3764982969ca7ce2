/* fhsm.conf: "key = value" lines, '#' comments. An unknown key or a bad value is
 * an error naming the file and line: a typo must not silently weaken the policy. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "p11.h"

#define KDF_MIN_ITERATIONS 1000UL

void p11_config_defaults(struct p11_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	if (xdg && xdg[0] == '/')
		snprintf(cfg->tokendir, sizeof(cfg->tokendir), "%s/fhsm/tokens", xdg);
	else if (home && home[0] == '/')
		snprintf(cfg->tokendir, sizeof(cfg->tokendir), "%s/.local/share/fhsm/tokens", home);
	else
		snprintf(cfg->tokendir, sizeof(cfg->tokendir), "/var/lib/fhsm/tokens");
	cfg->backend = P11_BACKEND_AUTO;
	fhsm_fabric_config_default(&cfg->fabric, FHSM_TRANSPORT_SIM);
	cfg->log_level = P11_LOG_WARNING;
	cfg->pin_min_len = 4;
	cfg->pin_max_len = 255;
	cfg->pin_retry_limit = 10;
	cfg->kdf_iterations = 100000;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int parse_ulong(const char *v, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	if (!isdigit((unsigned char)v[0]))
		return -1;
	errno = 0;
	unsigned long x = strtoul(v, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

static int parse_enum(const char *v, const char *const *names, int *out)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(v, names[i]) == 0) {
			*out = i;
			return 0;
		}
	return -1;
}

static const char *const backend_names[] = {"auto", "soft", "sim", "usb", NULL};
static const char *const level_names[] = {"error", "warning", "info", "debug", NULL};

/* Relative token directories are taken relative to the configuration file. */
static int set_path(char *dst, size_t size, const char *conf_path, const char *v)
{
	if (v[0] == '/')
		return snprintf(dst, size, "%s", v) < (int)size ? 0 : -1;
	const char *slash = strrchr(conf_path, '/');
	int dirlen = slash ? (int)(slash - conf_path) : 1;
	const char *dir = slash ? conf_path : ".";
	return snprintf(dst, size, "%.*s/%s", dirlen, dir, v) < (int)size ? 0 : -1;
}

static int apply(struct p11_config *cfg, const char *path, const char *key, const char *v,
		 const char **why)
{
	int e;
	*why = "bad value";
	if (strcmp(key, "tokendir") == 0) {
		*why = "bad path";
		return v[0] ? set_path(cfg->tokendir, sizeof(cfg->tokendir), path, v) : -1;
	} else if (strcmp(key, "backend") == 0) {
		*why = "bad value (expected auto, soft, sim or usb)";
		if (parse_enum(v, backend_names, &e))
			return -1;
		cfg->backend = (enum p11_backend)e;
	} else if (strcmp(key, "device.trace") == 0) {
		*why = "bad path";
		if (!v[0] || set_path(cfg->device_trace, sizeof(cfg->device_trace), path, v))
			return -1;
	} else if (strcmp(key, "device.timeout_ms") == 0) {
		unsigned long x;
		*why = "bad value (expected 10 to 600000)";
		if (parse_ulong(v, 10, 600000, &x))
			return -1;
		cfg->fabric.timeout_ms = (unsigned)x;
		cfg->timeout_set = true;
	} else if (strcmp(key, "device.retries") == 0) {
		unsigned long x;
		*why = "bad value (expected 0 to 10)";
		if (parse_ulong(v, 0, 10, &x))
			return -1;
		cfg->fabric.retries = (unsigned)x;
	} else if (strcmp(key, "device.batching") == 0) {
		*why = "bad value (expected on or off)";
		if (strcmp(v, "on") && strcmp(v, "off"))
			return -1;
		cfg->fabric.no_batching = strcmp(v, "off") == 0;
	} else if (strcmp(key, "device.min_bytes") == 0) {
		unsigned long x;
		*why = "bad value (expected 0 to 1048576)";
		if (parse_ulong(v, 0, 1048576, &x))
			return -1;
		cfg->fabric.min_bytes[FHSM_ENG_AES] = cfg->fabric.min_bytes[FHSM_ENG_SHA256] = x;
	} else if (strcmp(key, "device.usb.vid") == 0 || strcmp(key, "device.usb.pid") == 0) {
		char *end;
		*why = "bad value (expected a 4-digit hex USB ID, e.g. 0403)";
		unsigned long x = strtoul(v, &end, 16);
		if (!isxdigit((unsigned char)v[0]) || *end || x > 0xFFFF)
			return -1;
		if (key[11] == 'v')
			cfg->fabric.usb_vid = (uint16_t)x;
		else
			cfg->fabric.usb_pid = (uint16_t)x;
	} else if (strcmp(key, "device.usb.serial") == 0) {
		*why = "bad value (expected the FTDI serial string)";
		if (!v[0] || strlen(v) >= sizeof(cfg->usb_serial))
			return -1;
		snprintf(cfg->usb_serial, sizeof(cfg->usb_serial), "%s", v);
	} else if (strcmp(key, "device.usb.channel") == 0) {
		*why = "bad value (expected A or B)";
		if ((v[0] != 'A' && v[0] != 'B') || v[1])
			return -1;
		cfg->fabric.usb_interface = v[0] == 'B';
	} else if (strcmp(key, "device.baud") == 0) {
		unsigned long x;
		*why = "bad value (expected 9600 to 12000000)";
		if (parse_ulong(v, 9600, 12000000, &x))
			return -1;
		cfg->fabric.baud = (unsigned)x;
	} else if (strcmp(key, "log.level") == 0) {
		*why = "bad value (expected error, warning, info or debug)";
		if (parse_enum(v, level_names, &cfg->log_level))
			return -1;
	} else if (strcmp(key, "pin.min_length") == 0) {
		*why = "bad value (expected 1 to 255)";
		return parse_ulong(v, 1, 255, &cfg->pin_min_len);
	} else if (strcmp(key, "pin.max_length") == 0) {
		*why = "bad value (expected 1 to 255)";
		return parse_ulong(v, 1, 255, &cfg->pin_max_len);
	} else if (strcmp(key, "pin.retry_limit") == 0) {
		*why = "bad value (expected 1 to 1000)";
		return parse_ulong(v, 1, 1000, &cfg->pin_retry_limit);
	} else if (strcmp(key, "pin.kdf_iterations") == 0) {
		*why = "bad value (expected 1000 to 100000000)";
		return parse_ulong(v, KDF_MIN_ITERATIONS, 100000000UL, &cfg->kdf_iterations);
	} else {
		*why = "unknown key";
		return -1;
	}
	return 0;
}

int p11_config_parse_file(struct p11_config *cfg, const char *path, char *err, size_t err_len)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	char line[4096];
	unsigned lineno = 0;
	int rc = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		size_t n = strlen(line);
		if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
			snprintf(err, err_len, "%s:%u: line too long", path, lineno);
			rc = -1;
			break;
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *s = trim(line);
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, err_len, "%s:%u: expected 'key = value'", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		char *key = trim(s), *val = trim(eq + 1);
		const char *why;
		if (apply(cfg, path, key, val, &why)) {
			if (strcmp(why, "unknown key") == 0)
				snprintf(err, err_len, "%s:%u: unknown key '%s'", path, lineno, key);
			else
				snprintf(err, err_len, "%s:%u: %s: %s '%s'", path, lineno, key, why, val);
			rc = -1;
			break;
		}
	}
	fclose(f);
	if (rc == 0 && cfg->pin_min_len > cfg->pin_max_len) {
		snprintf(err, err_len, "%s: pin.min_length (%lu) is greater than pin.max_length (%lu)",
			 path, cfg->pin_min_len, cfg->pin_max_len);
		rc = -1;
	}
	return rc;
}

int p11_config_load(struct p11_config *cfg, char *err, size_t err_len)
{
	p11_config_defaults(cfg);
	const char *env = getenv("FHSM_CONF");
	if (env && env[0])
		return p11_config_parse_file(cfg, env, err, err_len); /* named: must exist */

	char path[PATH_MAX];
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	path[0] = '\0';
	if (xdg && xdg[0] == '/')
		snprintf(path, sizeof(path), "%s/fhsm/fhsm.conf", xdg);
	else if (home && home[0] == '/')
		snprintf(path, sizeof(path), "%s/.config/fhsm/fhsm.conf", home);
	if (path[0] && access(path, F_OK) == 0)
		return p11_config_parse_file(cfg, path, err, err_len);
	if (access("/etc/fhsm/fhsm.conf", F_OK) == 0)
		return p11_config_parse_file(cfg, "/etc/fhsm/fhsm.conf", err, err_len);
	return 0; /* no file: defaults */
}

/* fhsm-util: token administration, like softhsm2-util.
 * It links the module's code and talks PKCS#11 to it, so it sees exactly what
 * every application sees; only --delete-token reaches under to the token store. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/wait.h>
#include "fhsm/keyfile.h"
#include "p11.h"

#define PIN_MAX 256

static const char usage[] =
	"Usage: fhsm-util COMMAND [OPTIONS]\n"
	"\n"
	"Commands:\n"
	"  --show-slots                 list the slots and their tokens\n"
	"  --init-token                 initialize a token (re-initializing erases its objects)\n"
	"        --slot N | --free      the slot: by ID, or the empty slot\n"
	"        --label TEXT           token label (at most 32 bytes)\n"
	"        --so-pin PIN           SO PIN   (or FHSM_SO_PIN, or asked for on a terminal)\n"
	"        --pin PIN              user PIN (or FHSM_PIN, or asked for on a terminal)\n"
	"  --delete-token               delete a token and all its objects\n"
	"        --token LABEL | --serial SERIAL\n"
	"  --import FILE                import a private key (PKCS#8, PEM or DER: RSA, EC P-256/384/521,\n"
	"                               Ed25519; with its public key) or a raw AES key (16/24/32 bytes)\n"
	"        --slot N | --token LABEL, --label TEXT, --id HEX, --pin PIN (or FHSM_PIN, or a prompt)\n"
	"  --device-info                the fabric device: identity, engines, known-answer tests,\n"
	"                               jobs and cycles per engine, fallbacks to software by reason\n"
	"  --self-test                  re-run the known-answer tests of every engine (exit 1 on failure)\n"
	"  --flash BOARD                load the fabric onto a board: icebreaker or ulx3s (openFPGALoader,\n"
	"                               or iceprog for the iCEBreaker)\n"
	"        --bitstream FILE       default: the build's boards/BOARD/BOARD.bin|.bit\n"
	"                               (cmake --build build --target bitstream-BOARD)\n"
	"  --help                       this text\n"
	"  --version                    the version\n"
	"\n"
	"The token directory and PIN policy come from the configuration file named by\n"
	"FHSM_CONF, else $XDG_CONFIG_HOME/fhsm/fhsm.conf, else /etc/fhsm/fhsm.conf.\n"
	"PINs on the command line are visible to other users of this machine: prefer\n"
	"the environment variables or the prompt.\n";

static const char *rv_name(CK_RV rv)
{
	switch (rv) {
#define N(x) case x: return #x;
	N(CKR_OK) N(CKR_ARGUMENTS_BAD) N(CKR_GENERAL_ERROR) N(CKR_FUNCTION_FAILED)
	N(CKR_SLOT_ID_INVALID) N(CKR_TOKEN_NOT_PRESENT) N(CKR_TOKEN_NOT_RECOGNIZED)
	N(CKR_PIN_INCORRECT) N(CKR_PIN_LOCKED) N(CKR_PIN_LEN_RANGE) N(CKR_SESSION_EXISTS)
	N(CKR_DEVICE_ERROR) N(CKR_HOST_MEMORY) N(CKR_USER_NOT_LOGGED_IN)
	N(CKR_USER_ALREADY_LOGGED_IN) N(CKR_CRYPTOKI_NOT_INITIALIZED)
#undef N
	}
	return "CKR_(other)";
}

static int fail(const char *what, CK_RV rv)
{
	fprintf(stderr, "fhsm-util: %s failed: %s (0x%lx)\n", what, rv_name(rv), rv);
	return 1;
}

/* A PIN from the option, else the environment, else a no-echo prompt. */
static int get_pin(const char *opt, const char *env, const char *prompt, char out[PIN_MAX])
{
	const char *v = opt ? opt : getenv(env);
	if (v) {
		if (strlen(v) >= PIN_MAX)
			return fprintf(stderr, "fhsm-util: PIN too long\n"), -1;
		strcpy(out, v);
		return 0;
	}
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "fhsm-util: no %s given (option, %s, or run on a terminal)\n", prompt, env);
		return -1;
	}
	struct termios old, quiet;
	fprintf(stderr, "%s: ", prompt);
	tcgetattr(STDIN_FILENO, &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	char *got = fgets(out, PIN_MAX, stdin);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	if (!got)
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

static void trimmed(char *dst, const CK_UTF8CHAR *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
	while (n > 0 && dst[n - 1] == ' ')
		dst[--n] = '\0';
}

static int show_slots(void)
{
	CK_ULONG n = 0;
	CK_RV rv = C_GetSlotList(CK_FALSE, NULL, &n);
	if (rv != CKR_OK)
		return fail("C_GetSlotList", rv);
	CK_SLOT_ID *ids = calloc(n ? n : 1, sizeof(*ids));
	if (!ids)
		return fail("allocation", CKR_HOST_MEMORY);
	rv = C_GetSlotList(CK_FALSE, ids, &n);
	if (rv != CKR_OK) {
		free(ids);
		return fail("C_GetSlotList", rv);
	}
	printf("Available slots:\n");
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		char label[33], serial[17];
		printf("Slot %lu\n", ids[i]);
		rv = C_GetTokenInfo(ids[i], &ti);
		if (rv == CKR_TOKEN_NOT_RECOGNIZED) {
			printf("    Token: not usable (corrupt files; see the log, or --delete-token)\n");
			continue;
		}
		if (rv != CKR_OK) {
			printf("    Token: error %s\n", rv_name(rv));
			continue;
		}
		if (!(ti.flags & CKF_TOKEN_INITIALIZED)) {
			printf("    Token: empty slot (uninitialized token)\n");
			continue;
		}
		trimmed(label, ti.label, 32);
		trimmed(serial, ti.serialNumber, 16);
		printf("    Label:           %s\n", label);
		printf("    Serial number:   %s\n", serial);
		printf("    User PIN:        %s%s%s%s\n",
		       ti.flags & CKF_USER_PIN_INITIALIZED ? "initialized" : "not initialized",
		       ti.flags & CKF_USER_PIN_LOCKED ? ", LOCKED" : "",
		       ti.flags & CKF_USER_PIN_FINAL_TRY ? ", final try" : "",
		       ti.flags & CKF_USER_PIN_COUNT_LOW ? ", failed attempts since last login" : "");
		printf("    SO PIN:          %s%s%s\n", ti.flags & CKF_SO_PIN_LOCKED ? "LOCKED" : "ok",
		       ti.flags & CKF_SO_PIN_FINAL_TRY ? ", final try" : "",
		       ti.flags & CKF_SO_PIN_COUNT_LOW ? ", failed attempts since last login" : "");
	}
	free(ids);
	return 0;
}

/* The empty slot is the one whose token is not initialized. */
static CK_RV find_free_slot(CK_SLOT_ID *slot)
{
	CK_SLOT_ID ids[4096];
	CK_ULONG n = 4096;
	CK_RV rv = C_GetSlotList(CK_TRUE, ids, &n);
	if (rv != CKR_OK)
		return rv;
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		if (C_GetTokenInfo(ids[i], &ti) == CKR_OK && !(ti.flags & CKF_TOKEN_INITIALIZED)) {
			*slot = ids[i];
			return CKR_OK;
		}
	}
	return CKR_SLOT_ID_INVALID;
}

static int init_token(const char *slot_opt, int use_free, const char *label, const char *so_opt,
		      const char *pin_opt)
{
	char so_pin[PIN_MAX], pin[PIN_MAX];
	CK_UTF8CHAR padded[32];
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE h;
	int ret = 1;

	if (!label || (!slot_opt && !use_free) || (slot_opt && use_free)) {
		fprintf(stderr, "fhsm-util: --init-token needs --label and one of --slot N or --free\n");
		return 2;
	}
	if (strlen(label) > 32) {
		fprintf(stderr, "fhsm-util: the label is longer than 32 bytes\n");
		return 2;
	}
	if (slot_opt) {
		char *end;
		errno = 0;
		slot = strtoul(slot_opt, &end, 0);
		if (errno || *end || !*slot_opt) {
			fprintf(stderr, "fhsm-util: --slot wants a number, not '%s'\n", slot_opt);
			return 2;
		}
	} else {
		CK_RV rv = find_free_slot(&slot);
		if (rv != CKR_OK)
			return fail("finding the empty slot", rv);
	}
	if (get_pin(so_opt, "FHSM_SO_PIN", "SO PIN", so_pin) || get_pin(pin_opt, "FHSM_PIN", "User PIN", pin))
		return 2;
	p11_pad(padded, sizeof(padded), label);

	CK_RV rv = C_InitToken(slot, (CK_UTF8CHAR_PTR)so_pin, strlen(so_pin), padded);
	/* With --free any empty slot will do: when another process took this one first, take the next. */
	for (int tries = 0; use_free && rv == CKR_FUNCTION_FAILED && tries < 20; tries++) {
		if ((rv = find_free_slot(&slot)) == CKR_OK)
			rv = C_InitToken(slot, (CK_UTF8CHAR_PTR)so_pin, strlen(so_pin), padded);
	}
	if (rv != CKR_OK) {
		fail("C_InitToken", rv);
		goto out;
	}
	rv = C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h);
	if (rv == CKR_OK) {
		rv = C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR)so_pin, strlen(so_pin));
		if (rv == CKR_OK)
			rv = C_InitPIN(h, (CK_UTF8CHAR_PTR)pin, strlen(pin));
		C_CloseSession(h);
	}
	if (rv != CKR_OK) {
		fail("setting the user PIN", rv);
		goto out;
	}
	printf("The token has been initialized in slot %lu\n", slot);
	ret = 0;
out:
	fhsm_wipe(so_pin, sizeof(so_pin));
	fhsm_wipe(pin, sizeof(pin));
	return ret;
}

/* Finds the token by label or serial in the store (corrupt tokens by serial) and deletes it. */
static int delete_token(const char *label, const char *serial)
{
	struct p11_store_entry *e;
	size_t n, hits = 0, hit = 0;
	if (!!label == !!serial) {
		fprintf(stderr, "fhsm-util: --delete-token needs --token LABEL or --serial SERIAL\n");
		return 2;
	}
	if (p11_store_scan(p11.cfg.tokendir, &e, &n)) {
		fprintf(stderr, "fhsm-util: cannot list %s: %s\n", p11.cfg.tokendir, strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *s = strchr(e[i].name, '-') + 1;
		bool match;
		if (serial) {
			match = strcmp(s, serial) == 0;
		} else {
			char path[PATH_MAX + 64], why[PATH_MAX + 64], l[33];
			struct p11_token_meta m;
			snprintf(path, sizeof(path), "%s/%s", p11.cfg.tokendir, e[i].name);
			match = p11_store_read_meta(path, &m, NULL, why, sizeof(why)) == CKR_OK &&
				(trimmed(l, m.label, 32), strcmp(l, label) == 0);
			fhsm_wipe(&m, sizeof(m));
		}
		if (match) {
			hits++;
			hit = i;
		}
	}
	int ret = 1;
	if (hits == 0) {
		fprintf(stderr, "fhsm-util: no token with %s '%s'\n", serial ? "serial" : "label",
			serial ? serial : label);
	} else if (hits > 1) {
		fprintf(stderr, "fhsm-util: %zu tokens are labelled '%s'; use --serial\n", hits, label);
	} else {
		CK_RV rv = p11_store_delete(p11.cfg.tokendir, e[hit].name);
		if (rv == CKR_OK) {
			printf("The token in slot %lu (serial %s) has been deleted\n", e[hit].id,
			       strchr(e[hit].name, '-') + 1);
			ret = 0;
		} else {
			fail("deleting the token", rv);
		}
	}
	free(e);
	return ret;
}

/* ---- --import ---- */
static int read_file(const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fhsm-util: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, n = 0, got;
	uint8_t *buf = malloc(cap);
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap && n < (1u << 20)) {
			uint8_t *nb = realloc(buf, cap *= 2);
			if (!nb) {
				fhsm_wipe(buf, n);
				free(buf);
			}
			buf = nb;
		}
	}
	fclose(f);
	if (!buf)
		return -1;
	*data = buf;
	*len = n;
	return 0;
}

static int hex_decode(const char *hex, uint8_t *out, size_t max, size_t *len)
{
	size_t n = strlen(hex);
	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

static CK_RV find_token_slot(const char *label, CK_SLOT_ID *slot)
{
	CK_SLOT_ID ids[4096];
	CK_ULONG n = 4096;
	CK_UTF8CHAR padded[32];
	p11_pad(padded, sizeof(padded), label);
	CK_RV rv = C_GetSlotList(CK_TRUE, ids, &n);
	for (CK_ULONG i = 0; rv == CKR_OK && i < n; i++) {
		CK_TOKEN_INFO ti;
		if (C_GetTokenInfo(ids[i], &ti) == CKR_OK && !memcmp(ti.label, padded, 32)) {
			*slot = ids[i];
			return CKR_OK;
		}
	}
	return rv == CKR_OK ? CKR_TOKEN_NOT_PRESENT : rv;
}

#define ADD(t, v, l) (tmpl[n++] = (CK_ATTRIBUTE){(t), (void *)(v), (l)})

static int import_key(const char *path, const char *slot_opt, const char *token, const char *label,
		      const char *id_hex, const char *pin_opt)
{
	uint8_t *data = NULL, id[64];
	size_t len = 0, id_len = 0;
	char pin[PIN_MAX];
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE h;
	struct fhsm_private_key k;
	int ret = 1;
	if (!!slot_opt == !!token) {
		fprintf(stderr, "fhsm-util: --import needs --slot N or --token LABEL\n");
		return 2;
	}
	if (id_hex && hex_decode(id_hex, id, sizeof(id), &id_len)) {
		fprintf(stderr, "fhsm-util: --id wants hex digits (at most 64 bytes)\n");
		return 2;
	}
	CK_RV rv = slot_opt ? (slot = strtoul(slot_opt, NULL, 0), CKR_OK) : find_token_slot(token, &slot);
	if (rv != CKR_OK)
		return fail("finding the token", rv);
	if (read_file(path, &data, &len) || get_pin(pin_opt, "FHSM_PIN", "User PIN", pin)) {
		free(data);
		return 2;
	}
	fhsm_err perr = fhsm_pkcs8_parse(data, len, &k);
	bool raw_aes = perr != FHSM_OK && (len == 16 || len == 24 || len == 32);
	if (perr != FHSM_OK && !raw_aes) {
		fprintf(stderr, "fhsm-util: %s: not an unencrypted PKCS#8 RSA/EC/Ed25519 key, nor a raw AES key\n", path);
		goto out;
	}
	rv = C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h);
	if (rv == CKR_OK)
		rv = C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
	if (rv != CKR_OK) {
		fail("logging in", rv);
		goto out;
	}
	static const CK_BBOOL yes = CK_TRUE;
	static const CK_OBJECT_CLASS priv_cls = CKO_PRIVATE_KEY, pub_cls = CKO_PUBLIC_KEY, sec_cls = CKO_SECRET_KEY;
	static const CK_KEY_TYPE rsa_kt = CKK_RSA, ec_kt = CKK_EC, ed_kt = CKK_EC_EDWARDS, aes_kt = CKK_AES;
	static const uint8_t curve_oid[3][10] = {{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07},
						 {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22},
						 {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23}};
	static const size_t curve_oid_len[3] = {10, 7, 7};
	static const uint8_t ed_oid[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
	CK_ATTRIBUTE tmpl[24], pub[12];
	CK_ULONG n = 0, np;
	CK_OBJECT_HANDLE o;
	uint8_t point[FHSM_EC_MAX_POINT + 3];
	ADD(CKA_TOKEN, &yes, 1);
	if (label)
		ADD(CKA_LABEL, label, strlen(label));
	if (id_len)
		ADD(CKA_ID, id, id_len);
	np = n; /* the public key shares these */
	if (raw_aes) {
		ADD(CKA_CLASS, &sec_cls, sizeof(sec_cls));
		ADD(CKA_KEY_TYPE, &aes_kt, sizeof(aes_kt));
		ADD(CKA_VALUE, data, len);
	} else if (k.kind == FHSM_KEY_RSA) {
		ADD(CKA_CLASS, &priv_cls, sizeof(priv_cls));
		ADD(CKA_KEY_TYPE, &rsa_kt, sizeof(rsa_kt));
		ADD(CKA_MODULUS, k.rsa.n.p, k.rsa.n.len);
		ADD(CKA_PUBLIC_EXPONENT, k.rsa.e.p, k.rsa.e.len);
		ADD(CKA_PRIVATE_EXPONENT, k.rsa.d.p, k.rsa.d.len);
		ADD(CKA_PRIME_1, k.rsa.p.p, k.rsa.p.len);
		ADD(CKA_PRIME_2, k.rsa.q.p, k.rsa.q.len);
		ADD(CKA_EXPONENT_1, k.rsa.dp.p, k.rsa.dp.len);
		ADD(CKA_EXPONENT_2, k.rsa.dq.p, k.rsa.dq.len);
		ADD(CKA_COEFFICIENT, k.rsa.qinv.p, k.rsa.qinv.len);
	} else {
		bool ed = k.kind == FHSM_KEY_ED25519;
		ADD(CKA_CLASS, &priv_cls, sizeof(priv_cls));
		ADD(CKA_KEY_TYPE, ed ? &ed_kt : &ec_kt, sizeof(ec_kt));
		ADD(CKA_EC_PARAMS, ed ? ed_oid : curve_oid[k.curve], ed ? sizeof(ed_oid) : curve_oid_len[k.curve]);
		ADD(CKA_VALUE, k.scalar.p, k.scalar.len);
	}
	rv = C_CreateObject(h, tmpl, n, &o);
	if (rv == CKR_OK && !raw_aes) {
		/* The public half, for verification and for clients that look for it. */
		memcpy(pub, tmpl, np * sizeof(*pub));
		n = np;
		CK_ATTRIBUTE *save = tmpl;
		(void)save;
		if (k.kind == FHSM_KEY_RSA) {
			pub[n++] = (CK_ATTRIBUTE){CKA_CLASS, (void *)&pub_cls, sizeof(pub_cls)};
			pub[n++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, (void *)&rsa_kt, sizeof(rsa_kt)};
			pub[n++] = (CK_ATTRIBUTE){CKA_MODULUS, k.rsa.n.p, k.rsa.n.len};
			pub[n++] = (CK_ATTRIBUTE){CKA_PUBLIC_EXPONENT, k.rsa.e.p, k.rsa.e.len};
		} else {
			bool ed = k.kind == FHSM_KEY_ED25519;
			size_t plen = 0;
			point[plen++] = 0x04;
			if (k.point.len >= 128)
				point[plen++] = 0x81;
			point[plen++] = (uint8_t)k.point.len;
			memcpy(point + plen, k.point.p, k.point.len);
			pub[n++] = (CK_ATTRIBUTE){CKA_CLASS, (void *)&pub_cls, sizeof(pub_cls)};
			pub[n++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, (void *)(ed ? &ed_kt : &ec_kt), sizeof(ec_kt)};
			pub[n++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)(ed ? ed_oid : curve_oid[k.curve]),
						  ed ? sizeof(ed_oid) : curve_oid_len[k.curve]};
			pub[n++] = (CK_ATTRIBUTE){CKA_EC_POINT, point, plen + k.point.len};
		}
		rv = C_CreateObject(h, pub, n, &o);
	}
	C_CloseSession(h);
	if (rv != CKR_OK) {
		fail("C_CreateObject", rv);
		goto out;
	}
	printf("Imported %s from %s into slot %lu\n",
	       raw_aes ? "an AES key" : k.kind == FHSM_KEY_RSA ? "an RSA key pair" : k.kind == FHSM_KEY_EC ? "an EC key pair" : "an Ed25519 key pair",
	       path, slot);
	ret = 0;
out:
	if (perr == FHSM_OK)
		fhsm_private_key_free(&k);
	fhsm_wipe(data, len);
	free(data);
	fhsm_wipe(pin, sizeof(pin));
	return ret;
}

/* Runs argv[0] from PATH and waits. -1 when it cannot be started. */
static int run_tool(char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int flash(const char *board, const char *bitstream)
{
	static const struct { const char *name, *ext; } boards[] = { { "icebreaker", "bin" }, { "ulx3s", "bit" } };
	size_t b;
	for (b = 0; b < sizeof boards / sizeof *boards && strcmp(board, boards[b].name); b++)
		;
	if (b == sizeof boards / sizeof *boards) {
		fprintf(stderr, "fhsm-util: unknown board '%s' (icebreaker or ulx3s)\n", board);
		return 2;
	}
	char path[4096];
	if (!bitstream) {
		snprintf(path, sizeof path, "%s/boards/%s/%s.%s", FHSM_BUILD_DIR, board, board, boards[b].ext);
		bitstream = path;
	}
	if (access(bitstream, R_OK) != 0) {
		fprintf(stderr, "fhsm-util: no bitstream at %s: %s (build it with: cmake --build build --target "
			"bitstream-%s)\n", bitstream, strerror(errno), board);
		return 1;
	}
	char *ofl[] = { "openFPGALoader", "-b", (char *)board, (char *)bitstream, NULL };
	printf("$ openFPGALoader -b %s %s\n", board, bitstream);
	fflush(stdout);
	int rc = run_tool(ofl);
	if (rc == 127 && b == 0) { /* no openFPGALoader: iceprog (fpga-icestorm) knows the iCEBreaker */
		char *ice[] = { "iceprog", (char *)bitstream, NULL };
		printf("$ iceprog %s\n", bitstream);
		fflush(stdout);
		rc = run_tool(ice);
	}
	if (rc == 127) {
		fprintf(stderr, "fhsm-util: neither openFPGALoader nor iceprog is installed (scripts/deps.sh)\n");
		return 1;
	}
	if (rc != 0) {
		fprintf(stderr, "fhsm-util: flashing %s failed (exit %d; is the board plugged in?)\n", board, rc);
		return 1;
	}
	printf("Flashed %s. Use it with backend = usb (docs/boards.md); fhsm-util --self-test checks it.\n", board);
	return 0;
}

static const char *const kind_names[FHSM_ENG_KINDS] = { "-", "aes", "sha256", "modexp" };

static int device_info(void)
{
	struct fhsm_fabric_stats st;
	fhsm_fabric_read_stats(&st);
	if (!st.attached) {
		printf("No fabric device attached (backend = %s): everything runs on the soft provider.\n",
		       p11.cfg.backend == P11_BACKEND_SOFT ? "soft" : "auto, and no board answered");
		return 0;
	}
	printf("Device:     %s, %s%s%s%s\n", st.transport, st.up ? "up" : "DOWN (jobs run on the soft provider)",
	       st.note[0] ? " (" : "", st.note, st.note[0] ? ")" : "");
	if (st.version)
		printf("Identity:   protocol %u, clock %u kHz, max payload %u bytes, modexp %u bits (W = %u)\n",
		       st.version, st.clock_khz, st.max_payload, st.modexp_bits, st.modexp_w);
	printf("%-8s %7s %-6s %12s %16s %10s\n", "engine", "count", "KAT", "fabric jobs", "fabric cycles", "soft jobs");
	for (int k = 1; k < FHSM_ENG_KINDS; k++) {
		uint64_t jobs = 0, cyc = 0;
		for (int i = 0; i < FHSM_MAX_ENGINES; i++)
			jobs += st.jobs[k][i], cyc += st.cycles[k][i];
		printf("%-8s %7u %-6s %12llu %16llu %10llu\n", kind_names[k], st.engines[k],
		       st.kat[k] == 1 ? "pass" : st.kat[k] == 0 ? "FAIL" : "-", (unsigned long long)jobs,
		       (unsigned long long)cyc, (unsigned long long)st.soft_jobs[k]);
		for (unsigned i = 0; i < st.engines[k] && i < FHSM_MAX_ENGINES; i++)
			printf("  %s[%u] %20llu jobs %16llu cycles\n", kind_names[k], i,
			       (unsigned long long)st.jobs[k][i], (unsigned long long)st.cycles[k][i]);
	}
	printf("Fallbacks to software:\n");
	for (int r = 0; r < FHSM_FB_COUNT; r++)
		printf("  %-45s %llu\n", fhsm_fallback_text(r), (unsigned long long)st.fallback[r]);
	printf("Link: %llu frames in %llu writes, %llu bytes out, %llu in; %llu retries, %llu timeouts, "
	       "%llu bad frames, %llu error answers, %llu stale answers\n",
	       (unsigned long long)st.frames_sent, (unsigned long long)st.writes,
	       (unsigned long long)st.bytes_sent, (unsigned long long)st.bytes_received,
	       (unsigned long long)st.retries, (unsigned long long)st.timeouts,
	       (unsigned long long)st.bad_frames, (unsigned long long)st.error_status,
	       (unsigned long long)st.stale_responses);
	if (st.link.cycles)
		printf("Simulator: %llu cycles clocked, at most %u engines busy at once\n",
		       (unsigned long long)st.link.cycles, st.link.peak_busy);
	return 0;
}

static int self_test(void)
{
	if (!fhsm_fabric_attached()) {
		fprintf(stderr, "fhsm-util: no fabric device attached (set backend = sim in the configuration)\n");
		return 1;
	}
	fhsm_err err = fhsm_fabric_self_test();
	struct fhsm_fabric_stats st;
	fhsm_fabric_read_stats(&st);
	for (int k = 1; k < FHSM_ENG_KINDS; k++)
		printf("%-8s %u engine(s): %s\n", kind_names[k], st.engines[k],
		       st.kat[k] == 1 ? "pass" : st.kat[k] == 0 ? "FAIL" : "not present");
	printf("self-test: %s\n", err == FHSM_OK ? "pass" : "FAIL");
	return err == FHSM_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
	enum { SHOW = 1, INIT, DELETE, IMPORT, HELP, VERSION, DEVINFO, SELFTEST, FLASH };
	enum { O_SLOT = 256, O_FREE, O_LABEL, O_SO_PIN, O_PIN, O_TOKEN, O_SERIAL, O_ID, O_BITSTREAM };
	static const struct option opts[] = {
		{"show-slots", no_argument, NULL, SHOW},
		{"init-token", no_argument, NULL, INIT},
		{"delete-token", no_argument, NULL, DELETE},
		{"import", required_argument, NULL, IMPORT},
		{"id", required_argument, NULL, O_ID},
		{"device-info", no_argument, NULL, DEVINFO},
		{"self-test", no_argument, NULL, SELFTEST},
		{"flash", required_argument, NULL, FLASH},
		{"bitstream", required_argument, NULL, O_BITSTREAM},
		{"help", no_argument, NULL, HELP},
		{"version", no_argument, NULL, VERSION},
		{"slot", required_argument, NULL, O_SLOT},
		{"free", no_argument, NULL, O_FREE},
		{"label", required_argument, NULL, O_LABEL},
		{"so-pin", required_argument, NULL, O_SO_PIN},
		{"pin", required_argument, NULL, O_PIN},
		{"token", required_argument, NULL, O_TOKEN},
		{"serial", required_argument, NULL, O_SERIAL},
		{NULL, 0, NULL, 0},
	};
	int cmd = 0, use_free = 0, c;
	const char *slot = NULL, *label = NULL, *so_pin = NULL, *pin = NULL, *token = NULL, *serial = NULL;
	const char *import_path = NULL, *id = NULL, *board = NULL, *bitstream = NULL;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case SHOW: case INIT: case DELETE: case IMPORT: case HELP: case VERSION: case DEVINFO: case SELFTEST:
		case FLASH:
			if (c == IMPORT)
				import_path = optarg;
			if (c == FLASH)
				board = optarg;
			if (cmd && cmd != c) {
				fprintf(stderr, "fhsm-util: one command at a time\n");
				return 2;
			}
			cmd = c;
			break;
		case 'h': cmd = HELP; break;
		case O_SLOT: slot = optarg; break;
		case O_FREE: use_free = 1; break;
		case O_LABEL: label = optarg; break;
		case O_SO_PIN: so_pin = optarg; break;
		case O_PIN: pin = optarg; break;
		case O_TOKEN: token = optarg; break;
		case O_SERIAL: serial = optarg; break;
		case O_ID: id = optarg; break;
		case O_BITSTREAM: bitstream = optarg; break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "fhsm-util: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (cmd == HELP || cmd == 0) {
		fputs(usage, cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	if (cmd == VERSION) {
		printf("fhsm-util %d.%d\n", P11_VERSION_MAJOR, P11_VERSION_MINOR);
		return 0;
	}
	if (cmd == FLASH)
		return flash(board, bitstream);
	CK_RV rv = C_Initialize(NULL);
	if (rv != CKR_OK)
		return fail("C_Initialize (see the message above)", rv);
	int ret;
	switch (cmd) {
	case SHOW: ret = show_slots(); break;
	case INIT: ret = init_token(slot, use_free, label, so_pin, pin); break;
	case IMPORT: ret = import_key(import_path, slot, token, label, id, pin); break;
	case DEVINFO: ret = device_info(); break;
	case SELFTEST: ret = self_test(); break;
	default: ret = delete_token(token, serial); break;
	}
	C_Finalize(NULL);
	return ret;
}

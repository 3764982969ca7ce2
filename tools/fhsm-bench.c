/* fhsm-bench: PKCS#11 benchmarks against any module, side by side.
 *
 *   fhsm-bench --module A.so [--vs B.so] [--seconds S] [--objects 1000,10000]
 *
 * Each module is dlopened and set up as an application would: a token is initialized
 * in its free slot (the token directory comes from the module's own configuration:
 * FHSM_CONF, SOFTHSM2_CONF, ...). With --vs every row runs on A, then at once on B,
 * and the ratio A/B is printed: both at the same moment on the same machine, which is
 * what makes the figures comparable on a shared, noisy host. */
#include <dlfcn.h>
#include <stdbool.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CRYPTOKI_COMPAT 1
#include <p11-kit/pkcs11.h>

#define SO_PIN "bench-so-pin"
#define USER_PIN "bench-user-pin"
#define MAX_OBJECTS 1000000

struct module {
	const char *path, *name;
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE *objs;
	size_t nobjs;
	double rss_per_object; /* growth of resident memory per object created, last create row */
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const struct module *m, const char *what, CK_RV rv)
{
	fprintf(stderr, "fhsm-bench: %s: %s failed: 0x%lx\n", m->name, what, rv);
	exit(1);
}

#define CHECK(m, call) \
	do { \
		CK_RV rv_ = (call); \
		if (rv_ != CKR_OK) \
			die((m), #call, rv_); \
	} while (0)

static void pad(CK_UTF8CHAR *dst, size_t n, const char *s)
{
	memset(dst, ' ', n);
	memcpy(dst, s, strlen(s) < n ? strlen(s) : n);
}

static void setup(struct module *m)
{
	CK_C_GetFunctionList get;
	CK_C_INITIALIZE_ARGS args = {0};
	m->dl = dlopen(m->path, RTLD_NOW | RTLD_LOCAL);
	if (!m->dl) {
		fprintf(stderr, "fhsm-bench: %s\n", dlerror());
		exit(1);
	}
	const char *slash = strrchr(m->path, '/');
	m->name = slash ? slash + 1 : m->path;
	*(void **)&get = dlsym(m->dl, "C_GetFunctionList");
	if (!get || get(&m->f) != CKR_OK) {
		fprintf(stderr, "fhsm-bench: %s: no C_GetFunctionList\n", m->path);
		exit(1);
	}
	args.flags = CKF_OS_LOCKING_OK;
	CHECK(m, m->f->C_Initialize(&args));

	/* The free slot: the one whose token is not initialized. */
	CK_SLOT_ID ids[256];
	CK_ULONG n = 256;
	CHECK(m, m->f->C_GetSlotList(CK_TRUE, ids, &n));
	bool found = false;
	for (CK_ULONG i = 0; i < n && !found; i++) {
		CK_TOKEN_INFO ti;
		if (m->f->C_GetTokenInfo(ids[i], &ti) == CKR_OK && !(ti.flags & CKF_TOKEN_INITIALIZED)) {
			m->slot = ids[i];
			found = true;
		}
	}
	if (!found) {
		fprintf(stderr, "fhsm-bench: %s: no free slot\n", m->name);
		exit(1);
	}
	CK_UTF8CHAR label[32];
	pad(label, sizeof(label), "fhsm-bench");
	CHECK(m, m->f->C_InitToken(m->slot, (CK_UTF8CHAR_PTR)SO_PIN, strlen(SO_PIN), label));
	/* SoftHSM gives the initialized token a new slot ID: find it by label. */
	n = 256;
	CHECK(m, m->f->C_GetSlotList(CK_TRUE, ids, &n));
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		if (m->f->C_GetTokenInfo(ids[i], &ti) == CKR_OK && (ti.flags & CKF_TOKEN_INITIALIZED) &&
		    !memcmp(ti.label, label, 32))
			m->slot = ids[i];
	}
	CHECK(m, m->f->C_OpenSession(m->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &m->h));
	CHECK(m, m->f->C_Login(m->h, CKU_SO, (CK_UTF8CHAR_PTR)SO_PIN, strlen(SO_PIN)));
	CHECK(m, m->f->C_InitPIN(m->h, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN)));
	CHECK(m, m->f->C_Logout(m->h));
	CHECK(m, m->f->C_Login(m->h, CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN)));
	m->objs = calloc(MAX_OBJECTS, sizeof(*m->objs));
}

static void teardown(struct module *m)
{
	m->f->C_CloseAllSessions(m->slot);
	m->f->C_Finalize(NULL);
	free(m->objs);
}

/* ---- rows: each returns operations per second ---- */
struct row {
	const char *name;
	double (*run)(struct module *m, double seconds, size_t arg);
	size_t arg;
};

static double session_open_close(struct module *m, double seconds, size_t arg)
{
	size_t ops = 0;
	double t0 = now(), t;
	do {
		CK_SESSION_HANDLE h;
		CHECK(m, m->f->C_OpenSession(m->slot, CKF_SERIAL_SESSION, NULL, NULL, &h));
		CHECK(m, m->f->C_CloseSession(h));
		ops++;
	} while ((t = now()) - t0 < seconds);
	return ops / (t - t0);
}

/* Resident memory of this process, in bytes. */
static long rss_bytes(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * 4096;
}

static void object_label(char *buf, size_t n, size_t i)
{
	snprintf(buf, n, "bench-object-%zu", i);
}

/* Creates token data objects until the module holds `target` of them. */
static double create_objects(struct module *m, double seconds, size_t target)
{
	static const CK_OBJECT_CLASS cls = CKO_DATA;
	static const CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	static const char value[] = "thirty-two bytes of object data";
	size_t start = m->nobjs;
	long rss0 = rss_bytes();
	double t0 = now();
	for (; m->nobjs < target; m->nobjs++) {
		char label[48];
		object_label(label, sizeof(label), m->nobjs);
		CK_ATTRIBUTE t[] = {
			{CKA_CLASS, (void *)&cls, sizeof(cls)},
			{CKA_TOKEN, (void *)&yes, sizeof(yes)},
			{CKA_PRIVATE, (void *)&no, sizeof(no)},
			{CKA_LABEL, label, strlen(label)},
			{CKA_VALUE, (void *)value, sizeof(value) - 1},
		};
		CHECK(m, m->f->C_CreateObject(m->h, t, sizeof(t) / sizeof(t[0]), &m->objs[m->nobjs]));
	}
	double dt = now() - t0;
	if (m->nobjs > start)
		m->rss_per_object = (double)(rss_bytes() - rss0) / (double)(m->nobjs - start);
	return (m->nobjs - start) / (dt > 0 ? dt : 1e-9);
}

static double find_by_label(struct module *m, double seconds, size_t arg)
{
	size_t ops = 0;
	double t0 = now(), t;
	do {
		char label[48];
		object_label(label, sizeof(label), (ops * 7919) % m->nobjs);
		CK_ATTRIBUTE t1[] = {{CKA_LABEL, label, strlen(label)}};
		CK_OBJECT_HANDLE found[2];
		CK_ULONG n = 0;
		CHECK(m, m->f->C_FindObjectsInit(m->h, t1, 1));
		CHECK(m, m->f->C_FindObjects(m->h, found, 2, &n));
		CHECK(m, m->f->C_FindObjectsFinal(m->h));
		if (n != 1) {
			fprintf(stderr, "fhsm-bench: %s: found %lu objects labelled %s\n", m->name, n, label);
			exit(1);
		}
		ops++;
	} while ((t = now()) - t0 < seconds);
	return ops / (t - t0);
}

static double destroy_objects(struct module *m, double seconds, size_t arg)
{
	size_t n = m->nobjs;
	double t0 = now();
	while (m->nobjs > 0)
		CHECK(m, m->f->C_DestroyObject(m->h, m->objs[--m->nobjs]));
	double dt = now() - t0;
	return n / (dt > 0 ? dt : 1e-9);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"module", required_argument, NULL, 'm'}, {"vs", required_argument, NULL, 'v'},
		{"seconds", required_argument, NULL, 's'}, {"objects", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	struct module mods[2] = {{0}};
	int nmods = 0, c;
	double seconds = 2.0;
	size_t counts[8] = {1000, 10000};
	int ncounts = 2;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': mods[0].path = optarg; break;
		case 'v': mods[1].path = optarg; break;
		case 's': seconds = atof(optarg); break;
		case 'o':
			ncounts = 0;
			for (char *tok = strtok(optarg, ","); tok && ncounts < 8; tok = strtok(NULL, ","))
				counts[ncounts++] = strtoul(tok, NULL, 10);
			break;
		default:
			printf("usage: fhsm-bench --module A.so [--vs B.so] [--seconds S] [--objects N,N]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (!mods[0].path || seconds <= 0) {
		fprintf(stderr, "fhsm-bench: --module is required (see --help)\n");
		return 2;
	}
	nmods = mods[1].path ? 2 : 1;
	for (int i = 0; i < nmods; i++)
		setup(&mods[i]);

	struct row rows[32];
	int nrows = 0;
	char names[16][64];
	rows[nrows++] = (struct row){"session open+close", session_open_close, 0};
	for (int i = 0; i < ncounts; i++) {
		if (counts[i] > MAX_OBJECTS)
			counts[i] = MAX_OBJECTS;
		snprintf(names[2 * i], 64, "create token data objects to %zu", counts[i]);
		snprintf(names[2 * i + 1], 64, "find 1 by label among %zu", counts[i]);
		rows[nrows++] = (struct row){names[2 * i], create_objects, counts[i]};
		rows[nrows++] = (struct row){names[2 * i + 1], find_by_label, 0};
	}
	rows[nrows++] = (struct row){"destroy token data objects", destroy_objects, 0};

	printf("%-40s %14s", "row (ops/s)", mods[0].name);
	if (nmods == 2)
		printf(" %14s %10s", mods[1].name, "ratio");
	printf("\n");
	for (int r = 0; r < nrows; r++) {
		double v[2];
		for (int i = 0; i < nmods; i++)
			v[i] = rows[r].run(&mods[i], seconds, rows[r].arg);
		printf("%-40s %14.1f", rows[r].name, v[0]);
		if (nmods == 2)
			printf(" %14.1f %9.2fx", v[1], v[1] > 0 ? v[0] / v[1] : 0);
		printf("\n");
		if (rows[r].run == create_objects) {
			printf("%-40s %14.0f", "  resident memory per object (bytes)", mods[0].rss_per_object);
			if (nmods == 2)
				printf(" %14.0f", mods[1].rss_per_object);
			printf("\n");
		}
		fflush(stdout);
	}
	for (int i = 0; i < nmods; i++)
		teardown(&mods[i]);
	return 0;
}

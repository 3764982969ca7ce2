/* An application that uses libgcrypt itself and loads the module (as a GnuTLS or
 * GnuPG-based one may): whoever sets libgcrypt up first, the other must keep working.
 *   gcrypt_app MODULE app-first     the application sets libgcrypt up (no secure
 *                                   memory), then the module digests with GOST
 *   gcrypt_app MODULE module-first  the module first, then the application
 * Exit 0 when both the module's CKM_GOSTR3411 and the application's own hash are
 * right and libgcrypt's setup was not redone. */
#define CRYPTOKI_COMPAT 1
#include <dlfcn.h>
#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pkcs11_v30.h"

/* GOST R 34.11-94 (CryptoPro parameters) of "abc". */
static const unsigned char abc_digest[32] = {
	0xb2, 0x85, 0x05, 0x6d, 0xbf, 0x18, 0xd7, 0x39, 0x2d, 0x76, 0x77, 0x36, 0x95, 0x24, 0xdd, 0x14,
	0x74, 0x74, 0x59, 0xed, 0x81, 0x43, 0x99, 0x7e, 0x16, 0x3b, 0x29, 0x86, 0xf9, 0x2f, 0xd4, 0x2c};

static int fail(const char *what, unsigned long rv)
{
	fprintf(stderr, "gcrypt_app: %s (0x%lx)\n", what, rv);
	return 1;
}

static int module_digest(const char *path)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return fail(dlerror(), 0);
	CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(h, "C_GetFunctionList");
	CK_FUNCTION_LIST_PTR f;
	CK_RV rv;
	if (!get || (rv = get(&f)) != CKR_OK)
		return fail("C_GetFunctionList", 0);
	if ((rv = f->C_Initialize(NULL)) != CKR_OK)
		return fail("C_Initialize", rv);
	CK_SLOT_ID slot;
	CK_ULONG n = 1;
	CK_UTF8CHAR label[32];
	memset(label, ' ', sizeof label);
	if ((rv = f->C_GetSlotList(CK_FALSE, &slot, &n)) != CKR_OK || n != 1)
		return fail("C_GetSlotList", rv);
	if ((rv = f->C_InitToken(slot, (CK_UTF8CHAR_PTR) "87654321", 8, label)) != CKR_OK)
		return fail("C_InitToken", rv);
	CK_SESSION_HANDLE s;
	if ((rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s)) != CKR_OK)
		return fail("C_OpenSession", rv);
	CK_MECHANISM m = {CKM_GOSTR3411, NULL, 0};
	unsigned char out[32];
	CK_ULONG len = sizeof out;
	if ((rv = f->C_DigestInit(s, &m)) != CKR_OK || (rv = f->C_Digest(s, (CK_BYTE_PTR) "abc", 3, out, &len)) != CKR_OK)
		return fail("C_Digest", rv);
	if (len != 32 || memcmp(out, abc_digest, 32))
		return fail("the module's GOST R 34.11-94 digest is wrong", 0);
	f->C_Finalize(NULL);
	return 0;
}

static int app_setup(void)
{
	if (!gcry_check_version(GCRYPT_VERSION))
		return fail("gcry_check_version", 0);
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return 0;
}

static int app_digest(void)
{
	unsigned char out[32];
	if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
		return fail("libgcrypt not set up", 0);
	gcry_md_hash_buffer(GCRY_MD_GOSTR3411_CP, out, "abc", 3);
	return memcmp(out, abc_digest, 32) ? fail("the application's digest is wrong", 0) : 0;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return fail("usage: gcrypt_app MODULE app-first|module-first", 0);
	char dir[] = "/tmp/fhsm-gcrypt-XXXXXX", conf[64], line[128];
	if (!mkdtemp(dir))
		return fail("mkdtemp", 0);
	snprintf(conf, sizeof conf, "%s/fhsm.conf", dir);
	FILE *c = fopen(conf, "w");
	if (!c)
		return fail("fopen", 0);
	snprintf(line, sizeof line, "tokendir = %s/tokens\npin.kdf_iterations = 1000\n", dir);
	fputs(line, c);
	fclose(c);
	setenv("FHSM_CONF", conf, 1);
	int r;
	if (!strcmp(argv[2], "app-first"))
		r = app_setup() || module_digest(argv[1]) || app_digest();
	else
		r = module_digest(argv[1]) || app_setup() || app_digest();
	char rm[96];
	snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
	if (system(rm) != 0)
		r = 1;
	return r;
}

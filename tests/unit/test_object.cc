// Objects and the attribute rules: every listed error code, visibility, search.
#include <sys/wait.h>

#include "command.h"
#include "p11_objects.h"

using namespace fhsm_test;

namespace {

using Object = Objects;

TEST_F(Object, CreateDataObjectWithDefaults)
{
	CK_OBJECT_HANDLE o = create(data_object("d1", false));
	EXPECT_EQ(get(o, CKA_LABEL), "d1");
	EXPECT_EQ(get(o, CKA_VALUE), "value of d1");
	EXPECT_FALSE(get_bool(o, CKA_TOKEN));
	EXPECT_TRUE(get_bool(o, CKA_MODIFIABLE));
	EXPECT_TRUE(get_bool(o, CKA_COPYABLE));
	EXPECT_TRUE(get_bool(o, CKA_DESTROYABLE));
	EXPECT_EQ(get(o, CKA_APPLICATION), "");
	EXPECT_EQ(get(o, CKA_UNIQUE_ID).size(), 16u);
	CK_ULONG size = 0;
	EXPECT_EQ(f->C_GetObjectSize(h, o, &size), CKR_OK);
	EXPECT_GT(size, 20u);
	EXPECT_EQ(f->C_GetObjectSize(h, o, nullptr), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_GetObjectSize(h, 987654, &size), CKR_OBJECT_HANDLE_INVALID);
	// Two objects never share a unique ID.
	EXPECT_NE(get(create(data_object("d2", false)), CKA_UNIQUE_ID), get(o, CKA_UNIQUE_ID));
	// Defaults by class: data public, keys private.
	Tmpl minimal;
	minimal.ul(CKA_CLASS, CKO_DATA);
	EXPECT_FALSE(get_bool(create(minimal), CKA_PRIVATE));
	CK_OBJECT_HANDLE k = create(aes_key("k", false));
	EXPECT_TRUE(get_bool(k, CKA_PRIVATE));
	EXPECT_TRUE(get_bool(k, CKA_SENSITIVE));
	EXPECT_FALSE(get_bool(k, CKA_EXTRACTABLE));
	EXPECT_FALSE(get_bool(k, CKA_LOCAL));
	EXPECT_FALSE(get_bool(k, CKA_ALWAYS_SENSITIVE)) << "imported, not born sensitive";
	EXPECT_FALSE(get_bool(k, CKA_NEVER_EXTRACTABLE));
	CK_ULONG len;
	std::string v = get(k, CKA_VALUE_LEN);
	memcpy(&len, v.data(), sizeof(len));
	EXPECT_EQ(len, 16u);
	v = get(k, CKA_KEY_GEN_MECHANISM);
	memcpy(&len, v.data(), sizeof(len));
	EXPECT_EQ(len, CK_UNAVAILABLE_INFORMATION);
}

TEST_F(Object, CreateArguments)
{
	CK_OBJECT_HANDLE o;
	Tmpl t = data_object("x", false);
	EXPECT_EQ(f->C_CreateObject(h, t.data(), t.size(), nullptr), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_CreateObject(h, nullptr, 3, &o), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_CreateObject(CK_INVALID_HANDLE, t.data(), t.size(), &o), CKR_SESSION_HANDLE_INVALID);
	CK_ATTRIBUTE bad_ptr[] = {{CKA_LABEL, nullptr, 5}};
	EXPECT_EQ(f->C_CreateObject(h, bad_ptr, 1, &o), CKR_ARGUMENTS_BAD);
}

TEST_F(Object, TemplateErrors)
{
	Tmpl none;
	none.s(CKA_LABEL, "no class");
	EXPECT_EQ(create_rv(none), CKR_TEMPLATE_INCOMPLETE);
	Tmpl bad_class;
	bad_class.ul(CKA_CLASS, CKO_VENDOR_DEFINED + 3);
	EXPECT_EQ(create_rv(bad_class), CKR_ATTRIBUTE_VALUE_INVALID);
	Tmpl short_class;
	short_class.add(CKA_CLASS, "\1", 1);
	EXPECT_EQ(create_rv(short_class), CKR_ATTRIBUTE_VALUE_INVALID);
	Tmpl wrong_attr = data_object("x", false);
	wrong_attr.s(CKA_MODULUS, "\x01\x00");
	EXPECT_EQ(create_rv(wrong_attr), CKR_ATTRIBUTE_TYPE_INVALID);
	Tmpl bad_bool = data_object("x", false);
	bad_bool.add(CKA_MODIFIABLE, "\x02", 1);
	EXPECT_EQ(create_rv(bad_bool), CKR_ATTRIBUTE_VALUE_INVALID);
	Tmpl conflict = data_object("x", false);
	conflict.s(CKA_LABEL, "y");
	EXPECT_EQ(create_rv(conflict), CKR_TEMPLATE_INCONSISTENT);
	Tmpl same_twice = data_object("x", false);
	same_twice.s(CKA_LABEL, "x");
	EXPECT_EQ(create_rv(same_twice), CKR_OK) << "the same value twice is consistent";
	Tmpl unique = data_object("x", false);
	unique.s(CKA_UNIQUE_ID, "mine");
	EXPECT_EQ(create_rv(unique), CKR_ATTRIBUTE_READ_ONLY);
	Tmpl local = aes_key("k", false);
	local.b(CKA_LOCAL, true);
	EXPECT_EQ(create_rv(local), CKR_ATTRIBUTE_READ_ONLY);
	Tmpl cert_no_subject;
	cert_no_subject.ul(CKA_CLASS, CKO_CERTIFICATE).ul(CKA_CERTIFICATE_TYPE, CKC_X_509).s(CKA_VALUE, "der");
	EXPECT_EQ(create_rv(cert_no_subject), CKR_TEMPLATE_INCOMPLETE);
	Tmpl cert_other_type;
	cert_other_type.ul(CKA_CLASS, CKO_CERTIFICATE).ul(CKA_CERTIFICATE_TYPE, CKC_WTLS);
	EXPECT_EQ(create_rv(cert_other_type), CKR_ATTRIBUTE_VALUE_INVALID);
	Tmpl key_no_type;
	key_no_type.ul(CKA_CLASS, CKO_SECRET_KEY).s(CKA_VALUE, std::string(16, 'k'));
	EXPECT_EQ(create_rv(key_no_type), CKR_TEMPLATE_INCOMPLETE);
	Tmpl secret_rsa;
	secret_rsa.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, CKK_RSA).s(CKA_VALUE, std::string(16, 'k'));
	EXPECT_EQ(create_rv(secret_rsa), CKR_TEMPLATE_INCONSISTENT);
	EXPECT_EQ(create_rv(aes_key("k", false, std::string(15, 'k'))), CKR_ATTRIBUTE_VALUE_INVALID);
	Tmpl no_value;
	no_value.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, CKK_AES);
	EXPECT_EQ(create_rv(no_value), CKR_TEMPLATE_INCOMPLETE);
	Tmpl value_len = aes_key("k", false);
	value_len.ul(CKA_VALUE_LEN, 16);
	EXPECT_EQ(create_rv(value_len), CKR_ATTRIBUTE_READ_ONLY);
	Tmpl bad_date = data_object("x", false);
	Tmpl key_bad_date = aes_key("k", false);
	key_bad_date.s(CKA_START_DATE, "2026120");
	EXPECT_EQ(create_rv(key_bad_date), CKR_ATTRIBUTE_VALUE_INVALID);
	Tmpl rsa_pub;
	rsa_pub.ul(CKA_CLASS, CKO_PUBLIC_KEY).ul(CKA_KEY_TYPE, CKK_RSA).s(CKA_MODULUS, std::string("\x80\x01", 2));
	EXPECT_EQ(create_rv(rsa_pub), CKR_TEMPLATE_INCOMPLETE) << "no public exponent";
	rsa_pub.s(CKA_PUBLIC_EXPONENT, "\x01\x00\x01");
	CK_OBJECT_HANDLE pk = create(rsa_pub);
	CK_ULONG bits;
	memcpy(&bits, get(pk, CKA_MODULUS_BITS).data(), sizeof(bits));
	EXPECT_EQ(bits, 16u);
}

TEST_F(Object, Permissions)
{
	CK_SESSION_HANDLE ro = open(slot, false);
	EXPECT_EQ(create_rv(data_object("t", true), ro), CKR_SESSION_READ_ONLY);
	EXPECT_EQ(create_rv(data_object("s", false), ro), CKR_OK) << "session objects are fine in RO sessions";
	ASSERT_EQ(f->C_Logout(h), CKR_OK);
	EXPECT_EQ(create_rv(data_object("p", false, true)), CKR_USER_NOT_LOGGED_IN);
	EXPECT_EQ(create_rv(aes_key("k", false)), CKR_USER_NOT_LOGGED_IN) << "keys default to private";
	f->C_CloseSession(ro);
	ASSERT_EQ(f->C_Login(h, CKU_SO, u8(so_pin), strlen(so_pin)), CKR_OK);
	EXPECT_EQ(create_rv(data_object("p", false, true)), CKR_USER_NOT_LOGGED_IN) << "the SO has no private objects";
	Tmpl trusted = certificate("ca", true);
	trusted.b(CKA_TRUSTED, true);
	EXPECT_EQ(create_rv(trusted), CKR_OK) << "the SO may mark certificates trusted";
	ASSERT_EQ(f->C_Logout(h), CKR_OK);
	ASSERT_EQ(f->C_Login(h, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_OK);
	EXPECT_EQ(create_rv(trusted), CKR_ATTRIBUTE_READ_ONLY) << "the user may not";
}

TEST_F(Object, GetAttributeValuePerAttributeResults)
{
	Tmpl k = aes_key("key", false);
	k.b(CKA_EXTRACTABLE, true);
	CK_OBJECT_HANDLE o = create(k);
	char label[8], small[2];
	CK_BBOOL sens = 9;
	CK_ATTRIBUTE t[] = {
		{CKA_LABEL, label, sizeof(label)},
		{CKA_VALUE, small, sizeof(small)},     // sensitive
		{CKA_MODULUS, small, sizeof(small)},   // not an attribute of AES keys
		{CKA_SENSITIVE, &sens, sizeof(sens)},
	};
	EXPECT_EQ(f->C_GetAttributeValue(h, o, t, 4), CKR_ATTRIBUTE_SENSITIVE);
	EXPECT_EQ(t[0].ulValueLen, 3u);
	EXPECT_EQ(std::string(label, 3), "key");
	EXPECT_EQ(t[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	EXPECT_EQ(t[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	EXPECT_EQ(sens, CK_TRUE) << "the other attributes are still filled";

	CK_ATTRIBUTE t2[] = {{CKA_MODULUS, small, sizeof(small)}, {CKA_LABEL, label, sizeof(label)}};
	EXPECT_EQ(f->C_GetAttributeValue(h, o, t2, 2), CKR_ATTRIBUTE_TYPE_INVALID);
	EXPECT_EQ(t2[1].ulValueLen, 3u);

	CK_ATTRIBUTE t3[] = {{CKA_LABEL, small, 2}, {CKA_SENSITIVE, &sens, 1}};
	EXPECT_EQ(f->C_GetAttributeValue(h, o, t3, 2), CKR_BUFFER_TOO_SMALL);
	EXPECT_EQ(t3[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	EXPECT_EQ(t3[1].ulValueLen, 1u);

	CK_ATTRIBUTE t4[] = {{CKA_LABEL, nullptr, 0}};
	EXPECT_EQ(f->C_GetAttributeValue(h, o, t4, 1), CKR_OK);
	EXPECT_EQ(t4[0].ulValueLen, 3u) << "NULL pValue asks for the length";
	EXPECT_EQ(f->C_GetAttributeValue(h, o, nullptr, 1), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_GetAttributeValue(h, 424242, t4, 1), CKR_OBJECT_HANDLE_INVALID);

	// A non-sensitive, extractable key reveals its value.
	Tmpl open_key = aes_key("open", false, std::string(16, '\x42'));
	open_key.b(CKA_SENSITIVE, false).b(CKA_EXTRACTABLE, true);
	EXPECT_EQ(get(create(open_key), CKA_VALUE), std::string(16, '\x42'));
	// Unextractable alone hides it too.
	Tmpl stuck = aes_key("stuck", false);
	stuck.b(CKA_SENSITIVE, false).b(CKA_EXTRACTABLE, false);
	EXPECT_EQ(get(create(stuck), CKA_VALUE), "<rv " + std::to_string(CKR_ATTRIBUTE_SENSITIVE) + ">");
}

TEST_F(Object, CheckValues)
{
	// AES-128 with the all-zero key: E(0) = 66e94bd4ef8a2c3b884cfa59ca342b2e (FIPS-197 style KAT).
	CK_OBJECT_HANDLE k = create(aes_key("k", false, std::string(16, '\0')));
	EXPECT_EQ(get(k, CKA_CHECK_VALUE), std::string("\x66\xe9\x4b", 3));
	Tmpl wrong = aes_key("k2", false, std::string(16, '\0'));
	wrong.s(CKA_CHECK_VALUE, "abc");
	EXPECT_EQ(create_rv(wrong), CKR_ATTRIBUTE_VALUE_INVALID);
	// Certificates: the first 3 bytes of SHA-1 of the DER (from sha1sum).
	CK_OBJECT_HANDLE c = create(certificate("c", false));
	EXPECT_EQ(get(c, CKA_CHECK_VALUE), std::string("\x4d\x48\x26", 3));
}

TEST_F(Object, SetAttributeValueRules)
{
	CK_OBJECT_HANDLE o = create(data_object("before", false));
	Tmpl relabel;
	relabel.s(CKA_LABEL, "after");
	ASSERT_EQ(set(o, relabel), CKR_OK);
	EXPECT_EQ(get(o, CKA_LABEL), "after");
	Tmpl cls;
	cls.ul(CKA_CLASS, CKO_CERTIFICATE);
	EXPECT_EQ(set(o, cls), CKR_ATTRIBUTE_READ_ONLY);
	Tmpl tok;
	tok.b(CKA_TOKEN, true);
	EXPECT_EQ(set(o, tok), CKR_ATTRIBUTE_READ_ONLY) << "CKA_TOKEN only changes by copying";
	Tmpl wrong;
	wrong.s(CKA_MODULUS, "x");
	EXPECT_EQ(set(o, wrong), CKR_ATTRIBUTE_TYPE_INVALID);
	EXPECT_EQ(f->C_SetAttributeValue(h, o, nullptr, 1), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(set(424242, relabel), CKR_OBJECT_HANDLE_INVALID);

	Tmpl k = aes_key("k", false);
	k.b(CKA_SENSITIVE, false).b(CKA_EXTRACTABLE, true);
	CK_OBJECT_HANDLE key = create(k);
	Tmpl sens_on, sens_off, extr_off, extr_on;
	sens_on.b(CKA_SENSITIVE, true);
	sens_off.b(CKA_SENSITIVE, false);
	extr_off.b(CKA_EXTRACTABLE, false);
	extr_on.b(CKA_EXTRACTABLE, true);
	ASSERT_EQ(set(key, sens_on), CKR_OK);
	EXPECT_EQ(set(key, sens_off), CKR_ATTRIBUTE_READ_ONLY) << "CKA_SENSITIVE only becomes TRUE";
	EXPECT_FALSE(get_bool(key, CKA_ALWAYS_SENSITIVE)) << "it was not always sensitive";
	ASSERT_EQ(set(key, extr_off), CKR_OK);
	EXPECT_EQ(set(key, extr_on), CKR_ATTRIBUTE_READ_ONLY) << "CKA_EXTRACTABLE only becomes FALSE";
	EXPECT_FALSE(get_bool(key, CKA_NEVER_EXTRACTABLE));
	Tmpl copyable_on, copyable_off;
	copyable_off.b(CKA_COPYABLE, false);
	copyable_on.b(CKA_COPYABLE, true);
	ASSERT_EQ(set(key, copyable_off), CKR_OK);
	EXPECT_EQ(set(key, copyable_on), CKR_ATTRIBUTE_READ_ONLY);

	Tmpl frozen = data_object("frozen", false);
	frozen.b(CKA_MODIFIABLE, false);
	CK_OBJECT_HANDLE fz = create(frozen);
	EXPECT_EQ(set(fz, relabel), CKR_ACTION_PROHIBITED);

	CK_OBJECT_HANDLE tokobj = create(data_object("tok", true));
	CK_SESSION_HANDLE ro = open(slot, false);
	EXPECT_EQ(set(tokobj, relabel, ro), CKR_SESSION_READ_ONLY);
	EXPECT_EQ(f->C_DestroyObject(ro, tokobj), CKR_SESSION_READ_ONLY);
	EXPECT_EQ(set(o, relabel, ro), CKR_OK) << "session objects may change in RO sessions";
}

TEST_F(Object, CopyObject)
{
	CK_OBJECT_HANDLE o = create(certificate("orig", false)), c;
	Tmpl t;
	t.s(CKA_LABEL, "copy").b(CKA_TOKEN, true);
	ASSERT_EQ(f->C_CopyObject(h, o, t.data(), t.size(), &c), CKR_OK);
	EXPECT_EQ(get(c, CKA_LABEL), "copy");
	EXPECT_TRUE(get_bool(c, CKA_TOKEN));
	EXPECT_EQ(get(c, CKA_VALUE), "certificate DER");
	EXPECT_NE(get(c, CKA_UNIQUE_ID), get(o, CKA_UNIQUE_ID));
	Tmpl value;
	value.s(CKA_VALUE, "other DER");
	EXPECT_EQ(f->C_CopyObject(h, o, value.data(), value.size(), &c), CKR_ATTRIBUTE_READ_ONLY);
	EXPECT_EQ(f->C_CopyObject(h, o, nullptr, 0, nullptr), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_CopyObject(h, 424242, nullptr, 0, &c), CKR_OBJECT_HANDLE_INVALID);
	Tmpl no_copy = data_object("nocopy", false);
	no_copy.b(CKA_COPYABLE, false);
	CK_OBJECT_HANDLE nc = create(no_copy);
	EXPECT_EQ(f->C_CopyObject(h, nc, nullptr, 0, &c), CKR_ACTION_PROHIBITED);
	// Copying may make a key sensitive, never the reverse.
	Tmpl k = aes_key("k", false);
	k.b(CKA_SENSITIVE, false).b(CKA_EXTRACTABLE, true);
	CK_OBJECT_HANDLE key = create(k);
	Tmpl sens;
	sens.b(CKA_SENSITIVE, true);
	ASSERT_EQ(f->C_CopyObject(h, key, sens.data(), sens.size(), &c), CKR_OK);
	EXPECT_TRUE(get_bool(c, CKA_SENSITIVE));
	Tmpl unsens;
	unsens.b(CKA_SENSITIVE, false);
	EXPECT_EQ(f->C_CopyObject(h, c, unsens.data(), unsens.size(), &c), CKR_ATTRIBUTE_READ_ONLY);
	// To the token needs a RW session.
	CK_SESSION_HANDLE ro = open(slot, false);
	EXPECT_EQ(f->C_CopyObject(ro, o, t.data(), t.size(), &c), CKR_SESSION_READ_ONLY);
}

TEST_F(Object, DestroyObject)
{
	CK_OBJECT_HANDLE o = create(data_object("gone", true));
	ASSERT_EQ(f->C_DestroyObject(h, o), CKR_OK);
	EXPECT_EQ(f->C_DestroyObject(h, o), CKR_OBJECT_HANDLE_INVALID);
	EXPECT_TRUE(find_label("gone").empty());
	Tmpl keep = data_object("keep", true);
	keep.b(CKA_DESTROYABLE, false);
	CK_OBJECT_HANDLE k = create(keep);
	EXPECT_EQ(f->C_DestroyObject(h, k), CKR_ACTION_PROHIBITED);
	reinit();
	EXPECT_EQ(find_label("keep", open(slot, false)).size(), 1u);
}

TEST_F(Object, Visibility)
{
	CK_OBJECT_HANDLE priv = create(data_object("secret", true, true));
	CK_OBJECT_HANDLE pub = create(data_object("public", true, false));
	CK_OBJECT_HANDLE sess = create(data_object("mine", false, false));
	CK_SESSION_HANDLE other = open(slot, false);
	EXPECT_EQ(find_label("mine", other).size(), 1u) << "session objects are the application's";
	ASSERT_EQ(f->C_Logout(h), CKR_OK);
	EXPECT_TRUE(find_label("secret").empty());
	EXPECT_EQ(get(priv, CKA_LABEL), "<rv " + std::to_string(CKR_OBJECT_HANDLE_INVALID) + ">");
	EXPECT_EQ(get(pub, CKA_LABEL), "public");
	ASSERT_EQ(f->C_Login(h, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_OK);
	auto found = find_label("secret");
	ASSERT_EQ(found.size(), 1u);
	EXPECT_EQ(get(found[0], CKA_VALUE), "value of secret");
	// Private session objects die at logout; session objects with their session.
	CK_OBJECT_HANDLE psess = create(data_object("psess", false, true));
	ASSERT_EQ(f->C_Logout(h), CKR_OK);
	ASSERT_EQ(f->C_Login(h, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_OK);
	EXPECT_EQ(get(psess, CKA_LABEL), "<rv " + std::to_string(CKR_OBJECT_HANDLE_INVALID) + ">");
	CK_SESSION_HANDLE s2 = open(slot, true);
	CK_OBJECT_HANDLE temp = create(data_object("temp", false), s2);
	ASSERT_EQ(f->C_CloseSession(s2), CKR_OK);
	EXPECT_EQ(get(temp, CKA_LABEL), "<rv " + std::to_string(CKR_OBJECT_HANDLE_INVALID) + ">");
	EXPECT_EQ(get(sess, CKA_LABEL), "mine");
}

TEST_F(Object, FindObjects)
{
	for (int i = 0; i < 20; i++)
		create(data_object("many", i % 2 == 0));
	create(aes_key("key-a", true));
	create(certificate("cert", true));
	EXPECT_EQ(find_label("many").size(), 20u);
	Tmpl by_class;
	by_class.ul(CKA_CLASS, CKO_SECRET_KEY);
	EXPECT_EQ(find(by_class).size(), 1u);
	Tmpl by_type;
	by_type.ul(CKA_KEY_TYPE, CKK_AES);
	EXPECT_EQ(find(by_type).size(), 1u);
	Tmpl by_id;
	by_id.s(CKA_ID, "\x01\x02");
	EXPECT_EQ(find(by_id).size(), 1u);
	Tmpl two;
	two.s(CKA_LABEL, "many").b(CKA_TOKEN, true);
	EXPECT_EQ(find(two).size(), 10u);
	Tmpl all;
	EXPECT_EQ(find(all).size(), 22u);
	Tmpl none;
	none.s(CKA_LABEL, "nothing by this name");
	EXPECT_TRUE(find(none).empty());

	CK_OBJECT_HANDLE buf[4];
	CK_ULONG n;
	EXPECT_EQ(f->C_FindObjects(h, buf, 4, &n), CKR_OPERATION_NOT_INITIALIZED);
	EXPECT_EQ(f->C_FindObjectsFinal(h), CKR_OPERATION_NOT_INITIALIZED);
	EXPECT_EQ(f->C_FindObjectsInit(h, nullptr, 1), CKR_ARGUMENTS_BAD);
	ASSERT_EQ(f->C_FindObjectsInit(h, nullptr, 0), CKR_OK);
	EXPECT_EQ(f->C_FindObjectsInit(h, nullptr, 0), CKR_OPERATION_ACTIVE);
	EXPECT_EQ(f->C_FindObjects(h, nullptr, 4, &n), CKR_ARGUMENTS_BAD);
	EXPECT_EQ(f->C_FindObjects(h, buf, 4, nullptr), CKR_ARGUMENTS_BAD);
	ASSERT_EQ(f->C_FindObjects(h, buf, 4, &n), CKR_OK);
	EXPECT_EQ(n, 4u);
	EXPECT_EQ(f->C_FindObjectsFinal(h), CKR_OK);
}

TEST_F(Object, NestedTemplateAttribute)
{
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE wrap_tmpl[] = {{CKA_SENSITIVE, &yes, 1}, {CKA_LABEL, (void *)"w", 1}};
	Tmpl k = aes_key("wrapper", false);
	k.add(CKA_WRAP_TEMPLATE, wrap_tmpl, sizeof(wrap_tmpl));
	CK_OBJECT_HANDLE o = create(k);
	CK_ATTRIBUTE q = {CKA_WRAP_TEMPLATE, nullptr, 0};
	ASSERT_EQ(f->C_GetAttributeValue(h, o, &q, 1), CKR_OK);
	ASSERT_EQ(q.ulValueLen, 2 * sizeof(CK_ATTRIBUTE));
	CK_ATTRIBUTE inner[2] = {{0, nullptr, 0}, {0, nullptr, 0}};
	q.pValue = inner;
	ASSERT_EQ(f->C_GetAttributeValue(h, o, &q, 1), CKR_OK);
	EXPECT_EQ(inner[0].type, CKA_SENSITIVE);
	EXPECT_EQ(inner[1].ulValueLen, 1u);
	CK_BBOOL got = 0;
	char lab = 0;
	inner[0].pValue = &got;
	inner[1].pValue = &lab;
	ASSERT_EQ(f->C_GetAttributeValue(h, o, &q, 1), CKR_OK);
	EXPECT_EQ(got, CK_TRUE);
	EXPECT_EQ(lab, 'w');
}

TEST_F(Object, TokenObjectsPersistAndSecretsAreSealed)
{
	Tmpl pub_key = aes_key("pubkey", true, std::string("0123456789abcdef"));
	pub_key.b(CKA_PRIVATE, false); // public, but sensitive: sealed at rest
	create(pub_key);
	create(data_object("private-data", true, true));
	create(data_object("public-data", true, false));
	reinit();
	CK_SESSION_HANDLE s = open(slot, true);
	EXPECT_EQ(find_label("public-data", s).size(), 1u);
	EXPECT_TRUE(find_label("private-data", s).empty());
	auto k = find_label("pubkey", s);
	ASSERT_EQ(k.size(), 1u) << "a public key is listed before login";
	EXPECT_EQ(get(k[0], CKA_VALUE, s), "<rv " + std::to_string(CKR_ATTRIBUTE_SENSITIVE) + ">");
	ASSERT_EQ(f->C_Login(s, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_OK);
	auto p = find_label("private-data", s);
	ASSERT_EQ(p.size(), 1u);
	EXPECT_EQ(get(p[0], CKA_VALUE, s), "value of private-data");
	// Nothing secret on disk in clear.
	std::string log;
	for (auto &e : slots())
		(void)e;
	ASSERT_EQ(run_command("cat " + dir + "/tokens/*/objects.log", &log), 0);
	EXPECT_NE(log.find("public-data"), std::string::npos);
	EXPECT_EQ(log.find("private-data"), std::string::npos);
	EXPECT_EQ(log.find("0123456789abcdef"), std::string::npos);
}

// What one process creates, changes and destroys, another sees at its next call.
TEST_F(Object, ChangesFromAnotherProcess)
{
	CK_OBJECT_HANDLE mine = create(data_object("to-change", true));
	CK_OBJECT_HANDLE doomed = create(data_object("to-destroy", true));
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int bad = f->C_Initialize(nullptr) != CKR_OK;
		CK_SESSION_HANDLE c;
		bad |= f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &c) != CKR_OK;
		bad |= f->C_Login(c, CKU_USER, u8(user_pin), strlen(user_pin)) != CKR_OK;
		Tmpl t = data_object("from-child", true, true);
		CK_OBJECT_HANDLE o;
		bad |= f->C_CreateObject(c, t.data(), t.size(), &o) != CKR_OK;
		auto a = find_label("to-change", c), d = find_label("to-destroy", c);
		bad |= a.size() != 1 || d.size() != 1;
		Tmpl relabel;
		relabel.s(CKA_VALUE, "changed");
		if (!bad) {
			bad |= f->C_SetAttributeValue(c, a[0], relabel.data(), relabel.size()) != CKR_OK;
			bad |= f->C_DestroyObject(c, d[0]) != CKR_OK;
		}
		f->C_Finalize(nullptr);
		_exit(bad);
	}
	int status = 0;
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_EQ(WEXITSTATUS(status), 0);
	EXPECT_EQ(find_label("from-child").size(), 1u);
	EXPECT_EQ(get(mine, CKA_VALUE), "changed") << "same handle, new value";
	EXPECT_EQ(get(doomed, CKA_LABEL), "<rv " + std::to_string(CKR_OBJECT_HANDLE_INVALID) + ">");
}

} // namespace

// Helpers for object tests: templates that own their values.
#pragma once

#include "p11_fixture.h"

namespace fhsm_test {

inline std::string unhex(const std::string &h)
{
	std::string out;
	for (size_t i = 0; i + 1 < h.size(); i += 2)
		out += (char)std::stoi(h.substr(i, 2), nullptr, 16);
	return out;
}

inline std::string hex(const std::string &s)
{
	static const char d[] = "0123456789abcdef";
	std::string out;
	for (unsigned char c : s)
		out += {d[c >> 4], d[c & 15]};
	return out;
}

// A template whose attribute values live as long as it does.
class Tmpl {
public:
	Tmpl &add(CK_ATTRIBUTE_TYPE t, const void *v, size_t n)
	{
		vals_.emplace_back((const uint8_t *)v, (const uint8_t *)v + n);
		types_.push_back(t);
		return *this;
	}
	Tmpl &ul(CK_ATTRIBUTE_TYPE t, CK_ULONG v) { return add(t, &v, sizeof(v)); }
	Tmpl &b(CK_ATTRIBUTE_TYPE t, bool v)
	{
		CK_BBOOL x = v ? CK_TRUE : CK_FALSE;
		return add(t, &x, 1);
	}
	Tmpl &s(CK_ATTRIBUTE_TYPE t, const std::string &v) { return add(t, v.data(), v.size()); }
	CK_ATTRIBUTE *data()
	{
		attrs_.clear();
		for (size_t i = 0; i < types_.size(); i++)
			attrs_.push_back({types_[i], vals_[i].empty() ? nullptr : vals_[i].data(), vals_[i].size()});
		return attrs_.data();
	}
	CK_ULONG size() const { return types_.size(); }

private:
	std::vector<CK_ATTRIBUTE_TYPE> types_;
	std::vector<std::vector<uint8_t>> vals_;
	std::vector<CK_ATTRIBUTE> attrs_;
};

inline Tmpl data_object(const std::string &label, bool token, bool priv = false)
{
	Tmpl t;
	t.ul(CKA_CLASS, CKO_DATA).b(CKA_TOKEN, token).b(CKA_PRIVATE, priv).s(CKA_LABEL, label).s(CKA_VALUE, "value of " + label);
	return t;
}

inline Tmpl aes_key(const std::string &label, bool token, const std::string &key = std::string(16, '\x11'))
{
	Tmpl t;
	t.ul(CKA_CLASS, CKO_SECRET_KEY).ul(CKA_KEY_TYPE, CKK_AES).b(CKA_TOKEN, token).s(CKA_LABEL, label).s(CKA_VALUE, key);
	return t;
}

// An X.509 certificate object with placeholder DER (the module stores, never parses, it).
inline Tmpl certificate(const std::string &label, bool token)
{
	Tmpl t;
	t.ul(CKA_CLASS, CKO_CERTIFICATE).ul(CKA_CERTIFICATE_TYPE, CKC_X_509).b(CKA_TOKEN, token).s(CKA_LABEL, label)
		.s(CKA_SUBJECT, "subject DER").s(CKA_VALUE, "certificate DER").s(CKA_ID, "\x01\x02");
	return t;
}

class Objects : public P11 {
protected:
	CK_SLOT_ID slot = 0;
	CK_SESSION_HANDLE h = 0; // RW, user logged in

	void SetUp() override
	{
		P11::SetUp();
		slot = init_token();
		h = open(slot, true);
		ASSERT_EQ(f->C_Login(h, CKU_USER, u8(user_pin), strlen(user_pin)), CKR_OK);
	}

	CK_OBJECT_HANDLE create(Tmpl t, CK_SESSION_HANDLE in = 0)
	{
		CK_OBJECT_HANDLE o = CK_INVALID_HANDLE;
		EXPECT_EQ(f->C_CreateObject(in ? in : h, t.data(), t.size(), &o), CKR_OK);
		return o;
	}

	CK_RV create_rv(Tmpl t, CK_SESSION_HANDLE in = 0)
	{
		CK_OBJECT_HANDLE o;
		return f->C_CreateObject(in ? in : h, t.data(), t.size(), &o);
	}

	std::string get(CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, CK_SESSION_HANDLE in = 0)
	{
		CK_ATTRIBUTE a = {type, nullptr, 0};
		CK_RV rv = f->C_GetAttributeValue(in ? in : h, o, &a, 1);
		if (rv != CKR_OK)
			return "<rv " + std::to_string(rv) + ">";
		std::string v(a.ulValueLen, '\0');
		a.pValue = v.data();
		EXPECT_EQ(f->C_GetAttributeValue(in ? in : h, o, &a, 1), CKR_OK);
		return v;
	}

	bool get_bool(CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type) { return get(o, type) == std::string(1, '\1'); }

	CK_RV set(CK_OBJECT_HANDLE o, Tmpl t, CK_SESSION_HANDLE in = 0)
	{
		return f->C_SetAttributeValue(in ? in : h, o, t.data(), t.size());
	}

	std::vector<CK_OBJECT_HANDLE> find(Tmpl t, CK_SESSION_HANDLE in = 0)
	{
		CK_SESSION_HANDLE s = in ? in : h;
		std::vector<CK_OBJECT_HANDLE> all;
		EXPECT_EQ(f->C_FindObjectsInit(s, t.data(), t.size()), CKR_OK);
		CK_OBJECT_HANDLE buf[7];
		CK_ULONG n;
		do {
			EXPECT_EQ(f->C_FindObjects(s, buf, 7, &n), CKR_OK);
			all.insert(all.end(), buf, buf + n);
		} while (n == 7);
		EXPECT_EQ(f->C_FindObjectsFinal(s), CKR_OK);
		return all;
	}

	std::vector<CK_OBJECT_HANDLE> find_label(const std::string &label, CK_SESSION_HANDLE in = 0)
	{
		Tmpl t;
		t.s(CKA_LABEL, label);
		return find(t, in);
	}

	// C_Sign, or (multi) C_SignUpdate with each half and C_SignFinal; the length asked first.
	std::string sign(CK_MECHANISM m, CK_OBJECT_HANDLE k, const std::string &data, bool multi = false)
	{
		EXPECT_EQ(f->C_SignInit(h, &m, k), CKR_OK);
		CK_ULONG n = 0;
		if (multi) {
			EXPECT_EQ(f->C_SignUpdate(h, (CK_BYTE_PTR)data.data(), data.size() / 2), CKR_OK);
			EXPECT_EQ(f->C_SignUpdate(h, (CK_BYTE_PTR)data.data() + data.size() / 2, data.size() - data.size() / 2), CKR_OK);
			EXPECT_EQ(f->C_SignFinal(h, nullptr, &n), CKR_OK);
			std::string sig(n, '\0');
			EXPECT_EQ(f->C_SignFinal(h, (CK_BYTE_PTR)sig.data(), &n), CKR_OK);
			return sig.substr(0, n);
		}
		EXPECT_EQ(f->C_Sign(h, (CK_BYTE_PTR)data.data(), data.size(), nullptr, &n), CKR_OK);
		std::string sig(n, '\0');
		EXPECT_EQ(f->C_Sign(h, (CK_BYTE_PTR)data.data(), data.size(), (CK_BYTE_PTR)sig.data(), &n), CKR_OK);
		return sig.substr(0, n);
	}
	CK_RV verify(CK_MECHANISM m, CK_OBJECT_HANDLE k, const std::string &data, const std::string &sig,
		     bool multi = false)
	{
		EXPECT_EQ(f->C_VerifyInit(h, &m, k), CKR_OK);
		if (!multi)
			return f->C_Verify(h, (CK_BYTE_PTR)data.data(), data.size(), (CK_BYTE_PTR)sig.data(), sig.size());
		EXPECT_EQ(f->C_VerifyUpdate(h, (CK_BYTE_PTR)data.data(), data.size() / 2), CKR_OK);
		EXPECT_EQ(f->C_VerifyUpdate(h, (CK_BYTE_PTR)data.data() + data.size() / 2, data.size() - data.size() / 2), CKR_OK);
		return f->C_VerifyFinal(h, (CK_BYTE_PTR)sig.data(), sig.size());
	}
};

} // namespace fhsm_test

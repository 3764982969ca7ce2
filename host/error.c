#include "fhsm/error.h"

const char *fhsm_strerror(fhsm_err err)
{
	switch (err) {
#define FHSM_ERROR_TEXT(name, text) \
	case name: \
		return text;
		FHSM_ERROR_LIST(FHSM_ERROR_TEXT)
#undef FHSM_ERROR_TEXT
	}
	return "unknown error";
}

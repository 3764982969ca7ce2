/* RSA's raw operation on the fabric (used by host/soft/soft_rsa.c). */
#ifndef FHSM_RSA_FABRIC_H
#define FHSM_RSA_FABRIC_H

#include <stdbool.h>
#include <stddef.h>
#include <tomcrypt.h>
#include "fhsm/error.h"

/* out = in^d (CRT, blinded, checked) or in^e mod N, bytes long. FHSM_ERR_DEVICE
 * when the fabric should not or could not serve it: the caller runs it soft. */
fhsm_err fabric_rsa_op(const rsa_key *k, size_t bytes, const uint8_t *in, uint8_t *out, bool private_op);

#endif

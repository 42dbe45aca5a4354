#include <openssl/ssl.h>
#include <openssl/err.h>
// X509_CHECK_FLAG_* for hostname verification (not pulled in by ssl.h).
#include <openssl/x509v3.h>

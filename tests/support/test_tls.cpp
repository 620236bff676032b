#include "support/test_tls.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace twiml_redirect::test {

namespace {

struct pkey_free { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct x509_free { void operator()(X509* p) const { X509_free(p); } };
struct file_close { void operator()(std::FILE* f) const { std::fclose(f); } };
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;

void check(bool ok, const char* step) {
  if (!ok) throw std::runtime_error(std::string("test PKI: OpenSSL failed at ") + step);
}

pkey_ptr make_key() {
  pkey_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  check(key != nullptr, "EVP_PKEY_Q_keygen");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  const int added = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  check(added == 1, "X509_add_ext");
}

// A certificate for `subject_key` named `common_name`; self-signed when issuer is null.
x509_ptr make_cert(EVP_PKEY* subject_key, const char* common_name, X509* issuer, EVP_PKEY* issuer_key,
                   bool is_ca) {
  static std::atomic<long> serial{std::random_device{}() & 0xffffff};
  x509_ptr cert(X509_new());
  check(cert != nullptr, "X509_new");
  check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
  check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ++serial) == 1, "serial");
  check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600) != nullptr, "notAfter");
  check(X509_set_pubkey(cert.get(), subject_key) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("twiml-redirect tests"), -1, -1,
                                   0) == 1, "O");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0) == 1,
        "CN");
  X509* signer = issuer ? issuer : cert.get();
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1, "issuer");
  if (is_ca) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  } else {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    add_extension(cert.get(), signer, NID_subject_alt_name, "IP:127.0.0.1,IP:::1,DNS:localhost");
    add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  }
  check(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

std::unique_ptr<std::FILE, file_close> open_for_writing(const std::filesystem::path& path) {
  std::unique_ptr<std::FILE, file_close> file(std::fopen(path.c_str(), "wb"));
  if (!file) throw std::runtime_error("test PKI: cannot write " + path.string());
  return file;
}

}  // namespace

std::filesystem::path make_temp_dir(std::string_view prefix) {
  static std::atomic<unsigned> counter{0};
  std::mt19937 random(std::random_device{}());
  for (int tries = 0; tries < 100; ++tries) {
    auto dir = std::filesystem::temp_directory_path() /
               (std::string(prefix) + "-" + std::to_string(random()) + "-" + std::to_string(++counter));
    if (std::filesystem::create_directory(dir)) return dir;
  }
  throw std::runtime_error("cannot create a temporary directory");
}

tls_files make_test_pki(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  auto ca_key = make_key();
  auto ca = make_cert(ca_key.get(), "twiml-redirect test CA", nullptr, ca_key.get(), true);
  auto server_key = make_key();
  auto server = make_cert(server_key.get(), "localhost", ca.get(), ca_key.get(), false);

  tls_files files{dir / "ca.pem", dir / "server.pem", dir / "server.key"};
  {
    auto f = open_for_writing(files.ca_cert);
    check(PEM_write_X509(f.get(), ca.get()) == 1, "PEM_write_X509(ca)");
  }
  {
    auto f = open_for_writing(files.server_cert);
    check(PEM_write_X509(f.get(), server.get()) == 1, "PEM_write_X509(server)");
    check(PEM_write_X509(f.get(), ca.get()) == 1, "PEM_write_X509(chain)");
  }
  {
    auto f = open_for_writing(files.server_key);
    check(PEM_write_PrivateKey(f.get(), server_key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "PEM_write_PrivateKey");
  }
  std::filesystem::permissions(files.server_key, std::filesystem::perms::owner_read |
                                                     std::filesystem::perms::owner_write);
  return files;
}

}  // namespace twiml_redirect::test

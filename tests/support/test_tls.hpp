#pragma once
// Test certificates made at test time with OpenSSL's API (no openssl CLI): a throw-away CA and a
// server certificate it signs for 127.0.0.1, ::1 and localhost, written as PEM files.

#include <filesystem>
#include <string_view>

namespace twiml_redirect::test {

struct tls_files {
  std::filesystem::path ca_cert;      // PEM; what a client must trust
  std::filesystem::path server_cert;  // PEM chain: server certificate, then the CA
  std::filesystem::path server_key;   // PEM, unencrypted
};

// Creates a fresh directory under the system temp dir whose name starts with `prefix`.
std::filesystem::path make_temp_dir(std::string_view prefix);

// Generates a CA and a server certificate valid for an hour around now, writes them into `dir`
// (created when missing). Throws std::runtime_error naming the OpenSSL step that failed.
tls_files make_test_pki(const std::filesystem::path& dir);

}  // namespace twiml_redirect::test

#include "net/test_support.hpp"

#include <array>
#include <cstdio>
#include <exception>
#include <fstream>
#include <memory>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>

namespace tessera::net::testing {

void run_coro(std::function<awaitable<void>()> body, std::chrono::seconds limit) {
  asio::io_context io;
  bool done = false;
  std::exception_ptr error;
  asio::co_spawn(io, std::move(body), [&](std::exception_ptr e) {
    done = true;
    error = e;
    io.stop();
  });
  io.run_for(limit);
  if (!done) throw std::runtime_error("test coroutine did not finish in time");
  io.restart();
  io.run_for(std::chrono::milliseconds(500));  // leftovers end: their sockets were closed
  if (error) std::rethrow_exception(error);
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "tessera-net-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) throw std::runtime_error("cannot write " + path);
}

void write_self_signed(const std::string& cert_file, const std::string& key_file,
                       const std::string& common_name, const std::string& passphrase) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  if (!key || !cert) throw std::runtime_error("OpenSSL key/cert allocation failed");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    throw std::runtime_error("X509_sign failed");
  }
  std::unique_ptr<std::FILE, decltype(&std::fclose)> cf(std::fopen(cert_file.c_str(), "wb"),
                                                        &std::fclose);
  std::unique_ptr<std::FILE, decltype(&std::fclose)> kf(std::fopen(key_file.c_str(), "wb"),
                                                        &std::fclose);
  if (!cf || !kf) throw std::runtime_error("cannot create PEM files");
  const EVP_CIPHER* cipher = passphrase.empty() ? nullptr : EVP_aes_128_cbc();
  auto* pass = reinterpret_cast<unsigned char*>(const_cast<char*>(passphrase.data()));
  if (PEM_write_X509(cf.get(), cert.get()) != 1 ||
      PEM_write_PrivateKey(kf.get(), key.get(), cipher, passphrase.empty() ? nullptr : pass,
                           static_cast<int>(passphrase.size()), nullptr, nullptr) != 1) {
    throw std::runtime_error("cannot write PEM files");
  }
}

awaitable<std::pair<tcp::socket, tcp::socket>> socket_pair() {
  auto executor = co_await asio::this_coro::executor;
  tcp::acceptor acceptor(executor, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket client(executor);
  co_await client.async_connect(acceptor.local_endpoint(), asio::use_awaitable);
  tcp::socket server = co_await acceptor.async_accept(asio::use_awaitable);
  co_return std::pair(std::move(server), std::move(client));
}

awaitable<tcp::socket> connect_from(const tcp::endpoint& to, const asio::ip::address& from) {
  tcp::socket socket(co_await asio::this_coro::executor);
  socket.open(to.protocol());
  socket.bind(tcp::endpoint(from, 0));
  co_await socket.async_connect(to, asio::use_awaitable);
  co_return socket;
}

awaitable<std::string> read_until_closed(tcp::socket& socket, std::chrono::milliseconds limit) {
  using namespace asio::experimental::awaitable_operators;
  std::string got;
  std::array<char, 4096> buffer;
  asio::steady_timer timer(socket.get_executor());
  timer.expires_after(limit);
  for (;;) {
    auto r = co_await (socket.async_read_some(asio::buffer(buffer), use_nothrow) ||
                       timer.async_wait(use_nothrow));
    if (r.index() == 1) break;
    auto [ec, n] = std::get<0>(r);
    got.append(buffer.data(), n);
    if (ec) break;
  }
  co_return got;
}

awaitable<bool> wait_until(std::function<bool()> done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    timer.expires_after(std::chrono::milliseconds(5));
    co_await timer.async_wait(use_nothrow);
  }
  co_return true;
}

awaitable<void> sleep_for(std::chrono::milliseconds delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  co_await timer.async_wait(use_nothrow);
}

std::string proxy_v2_tcp4(const std::string& source, std::uint16_t source_port,
                          const std::string& destination, std::uint16_t destination_port) {
  std::string h("\r\n\r\n\0\r\nQUIT\n", 12);
  h += '\x21';  // version 2, PROXY
  h += '\x11';  // AF_INET, STREAM
  h += std::string("\x00\x0C", 2);
  for (const auto& a : {source, destination}) {
    const auto bytes = asio::ip::make_address_v4(a).to_bytes();
    h.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  for (std::uint16_t port : {source_port, destination_port}) {
    h += static_cast<char>(port >> 8);
    h += static_cast<char>(port & 0xFF);
  }
  return h;
}

}  // namespace tessera::net::testing

#include "media/object_store.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace broadsheet::media {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/broadsheet-objects-XXXXXX";
    path_ = ::mkdtemp(pattern);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A one-request HTTP server on 127.0.0.1: keeps the request it was sent (head and body) and
// answers with `reply`. The request is read whole before the answer, so nothing races.
class OneRequestServer {
 public:
  explicit OneRequestServer(std::string reply) : reply_(std::move(reply)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(listener_, 1);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~OneRequestServer() {
    if (thread_.joinable()) thread_.join();
    ::close(listener_);
  }
  int port() const { return port_; }
  // The request as received; call after the client's call has returned.
  const std::string& request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  void Serve() {
    const int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0) return;
    char buffer[65536];
    size_t wanted = std::string::npos;
    while (wanted == std::string::npos || request_.size() < wanted) {
      const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      request_.append(buffer, static_cast<size_t>(n));
      const auto end = request_.find("\r\n\r\n");
      if (end != std::string::npos && wanted == std::string::npos) {
        size_t body = 0;
        std::string lower = request_.substr(0, end);
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (auto at = lower.find("content-length: "); at != std::string::npos)
          body = std::stoul(lower.substr(at + 16));
        wanted = end + 4 + body;
      }
    }
    ::send(client, reply_.data(), reply_.size(), MSG_NOSIGNAL);
    ::shutdown(client, SHUT_WR);
    ::close(client);
  }

  std::string reply_;
  std::string request_;
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
};

StorageSettings S3At(int port) {
  StorageSettings settings;
  settings.storage = "s3";
  settings.endpoint = "http://127.0.0.1:" + std::to_string(port);
  settings.bucket = "news-media";
  settings.region = "eu-west-1";
  settings.access_key_id = "AKIDEXAMPLE";
  settings.secret_access_key = "wJalrXUtnFEMI-secret-K7MDENG";
  settings.path_style = true;
  settings.timeout_s = 5;
  return settings;
}

std::string Reply(int status, std::string_view body, std::string_view type = "application/xml") {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + std::string(type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         std::string(body);
}

TEST(ObjectKey, AcceptsTheMediaLibrarysNames) {
  EXPECT_TRUE(ValidObjectKey("media/2026/12/abcd1234-harbour-960.webp"));
  EXPECT_TRUE(ValidObjectKey("2019/05/photo.jpg"));
  EXPECT_TRUE(ValidObjectKey("logo file.png"));
}

TEST(ObjectKey, RefusesNamesThatLeaveTheFolderOrHideFiles) {
  for (const char* key : {"", "/media/x.jpg", "media/../x.jpg", "media/./x.jpg", "media//x.jpg",
                          "media/x.jpg/", ".htaccess", "media/.x", "a\\b", "a\nb"}) {
    EXPECT_FALSE(ValidObjectKey(key)) << key;
  }
  EXPECT_FALSE(ValidObjectKey(std::string(1025, 'a')));
}

TEST(LocalObjectStore, StoresReadsSizesAndRemovesUnderTheFolder) {
  TempDir dir;
  LocalObjectStore store(dir.path());
  ASSERT_TRUE(store.Put("media/2026/12/a.jpg", "jpeg bytes", "image/jpeg"));
  EXPECT_TRUE(fs::is_regular_file(dir.path() / "media/2026/12/a.jpg"));
  EXPECT_FALSE(fs::exists(dir.path() / "media/2026/12/a.jpg.part"));
  auto object = store.Get("media/2026/12/a.jpg", 1024);
  ASSERT_TRUE(object);
  EXPECT_EQ(object->data, "jpeg bytes");
  EXPECT_EQ(store.Size("media/2026/12/a.jpg").value(), std::optional<std::int64_t>(10));
  EXPECT_EQ(store.Get("media/2026/12/a.jpg", 4).error().code, ErrorCode::kTooLarge);
  ASSERT_TRUE(store.Delete("media/2026/12/a.jpg"));
  EXPECT_EQ(store.Get("media/2026/12/a.jpg", 1024).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store.Size("media/2026/12/a.jpg").value(), std::nullopt);
  EXPECT_TRUE(store.Delete("media/2026/12/a.jpg"));  // absent: not an error
}

TEST(LocalObjectStore, CopiesFilesInAndOut) {
  TempDir dir;
  LocalObjectStore store(dir.path() / "uploads");
  { std::ofstream(dir.path() / "table") << "index data"; }
  ASSERT_TRUE(store.PutFile("private/search/x/table", dir.path() / "table", ""));
  EXPECT_EQ(*store.Size("private/search/x/table"), 10);
  ASSERT_TRUE(store.GetFile("private/search/x/table", dir.path() / "back", 10));
  std::ifstream in(dir.path() / "back");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "index data");
  EXPECT_EQ(store.GetFile("private/search/x/table", dir.path() / "small", 9).error().code,
            ErrorCode::kTooLarge);
  EXPECT_EQ(store.GetFile("private/search/x/none", dir.path() / "none", 9).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store.PutFile("../out", dir.path() / "table", "").error().code,
            ErrorCode::kInvalidArgument);
  auto digest = DigestFile(dir.path() / "table");
  ASSERT_TRUE(digest);
  EXPECT_EQ(digest->size, 10);
  EXPECT_EQ(digest->sha256.size(), 64u);
}

TEST(LocalObjectStore, RefusesInvalidKeysAndSymlinksOutOfTheFolder) {
  TempDir dir, outside;
  fs::create_directories(dir.path() / "uploads");
  { std::ofstream(outside.path() / "secret.txt") << "secret"; }
  fs::create_symlink(outside.path() / "secret.txt", dir.path() / "uploads" / "link.txt");
  LocalObjectStore store(dir.path() / "uploads");
  EXPECT_EQ(store.Put("../escape.jpg", "x", "image/jpeg").error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir.path() / "escape.jpg"));
  EXPECT_EQ(store.Get("link.txt", 1024).error().code, ErrorCode::kNotFound);
}

TEST(LocalObjectStore, ListsFilesAsKeysWithoutHiddenOrPartialOnes) {
  TempDir dir;
  LocalObjectStore store(dir.path());
  ASSERT_TRUE(store.Put("media/b.png", "bb", "image/png"));
  ASSERT_TRUE(store.Put("2019/05/a.jpg", "a", "image/jpeg"));
  { std::ofstream(dir.path() / ".DS_Store") << "x"; }
  { std::ofstream(dir.path() / "media" / "c.png.part") << "x"; }
  auto listed = store.List();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].key, "2019/05/a.jpg");
  EXPECT_EQ((*listed)[0].size, 1);
  EXPECT_EQ((*listed)[1].key, "media/b.png");
}

TEST(StorageSettings, LocalNeedsNothingAndS3NeedsItsBucketAndCredentials) {
  EXPECT_TRUE(CheckStorageSettings(StorageSettings{}));
  EXPECT_TRUE(CheckStorageSettings(S3At(9000)));
  StorageSettings settings = S3At(9000);
  settings.storage = "ftp";
  EXPECT_EQ(CheckStorageSettings(settings).error().code, ErrorCode::kInvalidArgument);
  settings = S3At(9000);
  settings.endpoint = "127.0.0.1:9000";
  EXPECT_EQ(CheckStorageSettings(settings).error().code, ErrorCode::kInvalidArgument);
  settings = S3At(9000);
  settings.bucket = "Bad_Bucket";
  EXPECT_EQ(CheckStorageSettings(settings).error().code, ErrorCode::kInvalidArgument);
  settings = S3At(9000);
  settings.secret_access_key.clear();
  EXPECT_EQ(CheckStorageSettings(settings).error().code, ErrorCode::kInvalidArgument);
  settings = S3At(9000);
  settings.public_url = "media.example.org";
  EXPECT_EQ(CheckStorageSettings(settings).error().code, ErrorCode::kInvalidArgument);
}

TEST(S3ObjectStore, AddressesTheBucketPathStyleOrByVirtualHost) {
  StorageSettings settings = S3At(9000);
  auto path_style = S3ObjectStore::Open(settings);
  ASSERT_TRUE(path_style);
  EXPECT_EQ((*path_style)->UrlFor("media/2026/12/a b+c.jpg"),
            "http://127.0.0.1:9000/news-media/media/2026/12/a%20b%2Bc.jpg");
  EXPECT_EQ((*path_style)->SigningScope(), "aws:amz:eu-west-1:s3");
  settings.endpoint = "https://s3.eu-west-1.amazonaws.com/";
  settings.path_style = false;
  auto virtual_host = S3ObjectStore::Open(settings);
  ASSERT_TRUE(virtual_host);
  EXPECT_EQ((*virtual_host)->UrlFor("media/x.jpg"),
            "https://news-media.s3.eu-west-1.amazonaws.com/media/x.jpg");
}

TEST(S3ObjectStore, PutSendsASignedRequestWithThePayloadsHash) {
  OneRequestServer server(Reply(200, ""));
  auto store = S3ObjectStore::Open(S3At(server.port()));
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->Put("media/a.jpg", "abc", "image/jpeg"));
  const std::string& request = server.request();
  EXPECT_TRUE(request.starts_with("PUT /news-media/media/a.jpg HTTP/1.1\r\n")) << request;
  EXPECT_NE(request.find("Content-Type: image/jpeg\r\n"), std::string::npos);
  // SHA-256("abc"): the body's hash is what is signed, not UNSIGNED-PAYLOAD.
  EXPECT_NE(request.find("x-amz-content-sha256: "
                         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            std::string::npos)
      << request;
  EXPECT_NE(request.find("Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
            std::string::npos);
  EXPECT_NE(request.find("/eu-west-1/s3/aws4_request"), std::string::npos);
  EXPECT_EQ(request.find("wJalrXUtnFEMI-secret-K7MDENG"), std::string::npos);
  EXPECT_TRUE(request.ends_with("\r\n\r\nabc"));
}

TEST(S3ObjectStore, GetReturnsTheObjectAndItsType) {
  OneRequestServer server(Reply(200, "PNGDATA", "image/png"));
  auto store = S3ObjectStore::Open(S3At(server.port()));
  ASSERT_TRUE(store);
  auto object = (*store)->Get("media/a.png", 1024);
  ASSERT_TRUE(object);
  EXPECT_EQ(object->data, "PNGDATA");
  EXPECT_EQ(object->content_type, "image/png");
  EXPECT_TRUE(server.request().starts_with("GET /news-media/media/a.png HTTP/1.1\r\n"));
  // SHA-256 of the empty body.
  EXPECT_NE(
      server.request().find("x-amz-content-sha256: "
                            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
      std::string::npos);
}

TEST(S3ObjectStore, PutFileStreamsTheFileWithItsHashSigned) {
  TempDir dir;
  { std::ofstream(dir.path() / "postlist.glass") << "abc"; }
  OneRequestServer server(Reply(200, ""));
  auto store = S3ObjectStore::Open(S3At(server.port()));
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->PutFile("private/search/x/postlist.glass", dir.path() / "postlist.glass",
                                "application/octet-stream"));
  const std::string& request = server.request();
  EXPECT_TRUE(request.starts_with("PUT /news-media/private/search/x/postlist.glass HTTP/1.1\r\n"))
      << request;
  EXPECT_NE(request.find("x-amz-content-sha256: "
                         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            std::string::npos)
      << request;
  EXPECT_NE(request.find("Content-Length: 3\r\n"), std::string::npos) << request;
  EXPECT_EQ(request.find("Expect:"), std::string::npos) << request;
  EXPECT_TRUE(request.ends_with("\r\n\r\nabc"));
}

TEST(S3ObjectStore, GetFileWritesTheObjectOrNothing) {
  TempDir dir;
  {
    OneRequestServer server(Reply(200, "TABLEDATA"));
    auto store = S3ObjectStore::Open(S3At(server.port()));
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->GetFile("private/search/x/a.glass", dir.path() / "a.glass", 100));
    std::ifstream in(dir.path() / "a.glass");
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "TABLEDATA");
  }
  {
    OneRequestServer server(Reply(200, "TABLEDATA"));
    auto store = S3ObjectStore::Open(S3At(server.port()));
    auto over = (*store)->GetFile("private/search/x/b.glass", dir.path() / "b.glass", 4);
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error().code, ErrorCode::kTooLarge);
    EXPECT_FALSE(fs::exists(dir.path() / "b.glass"));
  }
  {
    OneRequestServer server(Reply(404, "<Error><Code>NoSuchKey</Code></Error>"));
    auto store = S3ObjectStore::Open(S3At(server.port()));
    auto missing = (*store)->GetFile("private/search/x/c.glass", dir.path() / "c.glass", 100);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
    EXPECT_FALSE(fs::exists(dir.path() / "c.glass"));
  }
}

TEST(S3ObjectStore, AMissingObjectIsNotFound) {
  OneRequestServer server(Reply(404, "<Error><Code>NoSuchKey</Code></Error>"));
  auto store = S3ObjectStore::Open(S3At(server.port()));
  ASSERT_TRUE(store);
  EXPECT_EQ((*store)->Get("media/none.png", 1024).error().code, ErrorCode::kNotFound);
}

TEST(S3ObjectStore, ARefusalNamesTheKeyAndStatusButNotTheSecret) {
  OneRequestServer server(Reply(403, "<Error><Code>SignatureDoesNotMatch</Code></Error>"));
  auto store = S3ObjectStore::Open(S3At(server.port()));
  ASSERT_TRUE(store);
  auto put = (*store)->Put("media/a.jpg", "abc", "image/jpeg");
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(put.error().detail.find("media/a.jpg"), std::string::npos);
  EXPECT_NE(put.error().detail.find("403"), std::string::npos);
  EXPECT_NE(put.error().detail.find("SignatureDoesNotMatch"), std::string::npos);
  EXPECT_EQ(put.error().detail.find("secret"), std::string::npos);
  EXPECT_EQ(put.error().message.find("secret"), std::string::npos);
}

TEST(S3ObjectStore, AnObjectOverTheLimitIsRefusedWhileRead) {
  OneRequestServer server(Reply(200, std::string(4096, 'x'), "image/png"));
  auto store = S3ObjectStore::Open(S3At(server.port()));
  ASSERT_TRUE(store);
  EXPECT_EQ((*store)->Get("media/big.png", 1000).error().code, ErrorCode::kTooLarge);
}

TEST(S3ObjectStore, SizeIsTheContentLengthOrNothing) {
  {
    OneRequestServer server("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nConnection: close\r\n\r\n");
    auto store = S3ObjectStore::Open(S3At(server.port()));
    ASSERT_TRUE(store);
    EXPECT_EQ((*store)->Size("media/a.jpg").value(), std::optional<std::int64_t>(1234));
    EXPECT_TRUE(server.request().starts_with("HEAD /news-media/media/a.jpg HTTP/1.1\r\n"));
  }
  {
    OneRequestServer server("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    auto store = S3ObjectStore::Open(S3At(server.port()));
    ASSERT_TRUE(store);
    EXPECT_EQ((*store)->Size("media/a.jpg").value(), std::nullopt);
  }
}

TEST(S3ObjectStore, AnUnreachableStoreIsUnavailable) {
  int port = 0;
  {
    OneRequestServer server("");  // a free port, closed again before the call
    port = server.port();
    auto store = S3ObjectStore::Open(S3At(port));
    ASSERT_TRUE(store);
    (void)(*store)->Size("x");  // lets the server finish
  }
  auto store = S3ObjectStore::Open(S3At(port));
  ASSERT_TRUE(store);
  EXPECT_EQ((*store)->Put("media/a.jpg", "abc", "image/jpeg").error().code,
            ErrorCode::kUnavailable);
}

TEST(PublicAddress, LinksUploadsAtThePublicUrl) {
  EXPECT_EQ(PublicAddress("/uploads/media/a.jpg", "https://cdn.example.org/m"),
            "https://cdn.example.org/m/media/a.jpg");
  EXPECT_EQ(PublicAddress("/uploads/media/a.jpg", ""), "/uploads/media/a.jpg");
  EXPECT_EQ(PublicAddress("/about/", "https://cdn.example.org/"), "/about/");
}

TEST(LinkUploadsTo, RewritesAttributesAndSrcsetsButNotText) {
  const std::string html =
      R"(<img src="/uploads/media/a.jpg" srcset="/uploads/media/a-480.jpg 480w, /uploads/media/a.jpg 1600w">)"
      R"(<meta property="og:image" content="https://site.example/uploads/media/a.jpg">)"
      R"(<p>files live in /uploads/ on disk</p><a href="/about/">x</a>)";
  const std::string linked =
      LinkUploadsTo(html, "https://cdn.example.org/", "https://site.example");
  EXPECT_EQ(
      linked,
      R"(<img src="https://cdn.example.org/media/a.jpg" srcset="https://cdn.example.org/media/a-480.jpg 480w, https://cdn.example.org/media/a.jpg 1600w">)"
      R"(<meta property="og:image" content="https://cdn.example.org/media/a.jpg">)"
      R"(<p>files live in /uploads/ on disk</p><a href="/about/">x</a>)");
  EXPECT_EQ(LinkUploadsTo(html, "", "https://site.example"), html);
}

}  // namespace
}  // namespace broadsheet::media

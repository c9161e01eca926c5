#include "media/object_store.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

#include <fmt/format.h>
#include <openssl/evp.h>

namespace broadsheet::media {
namespace {

namespace fs = std::filesystem;

// What an error reply's body may hold before it is cut off: enough for S3's XML error.
constexpr size_t kMaxErrorBody = 64 * 1024;

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

std::string EncodeKey(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (unsigned char c : key) {
    if (IsUnreserved(c) || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

Result<void> CheckKey(std::string_view key) {
  if (!ValidObjectKey(key))
    return Fail(ErrorCode::kInvalidArgument, "not a valid media file name",
                fmt::format("key \"{}\"", key.substr(0, 200)));
  return {};
}

// Writes `data` to `path` durably: a temporary file, fsync, rename, fsync of the folder.
Result<void> WriteDurably(const fs::path& path, std::string_view data) {
  std::error_code error;
  fs::create_directories(path.parent_path(), error);
  if (error) return Fail(ErrorCode::kIo, "cannot create the upload folder", error.message());
  const std::string temporary = path.string() + ".part";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Fail(ErrorCode::kIo, "cannot store the image", std::strerror(errno));
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int cause = n < 0 ? errno : ENOSPC;  // a short write of nothing: no room
      ::close(fd);
      ::unlink(temporary.c_str());
      const bool full = cause == ENOSPC || cause == EDQUOT;
      return Fail(full ? ErrorCode::kStorageFull : ErrorCode::kIo,
                  full ? "The server's disk is full, so the image was not stored."
                       : "cannot store the image",
                  std::strerror(cause));
    }
    written += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(temporary.c_str(), path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    return Fail(ErrorCode::kIo, "cannot store the image", std::strerror(errno));
  }
  const int folder = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (folder >= 0) {
    ::fsync(folder);
    ::close(folder);
  }
  return {};
}

// Copies `from` to `to` as WriteDurably writes: a temporary file beside `to`, fsync, rename.
Result<void> CopyDurably(const fs::path& from, const fs::path& to) {
  std::error_code error;
  fs::create_directories(to.parent_path(), error);
  if (error) return Fail(ErrorCode::kIo, "cannot create the folder " + to.parent_path().string());
  const fs::path temporary = to.string() + ".part";
  fs::copy_file(from, temporary, fs::copy_options::overwrite_existing, error);
  if (error) {
    fs::remove(temporary, error);
    const bool full = error.value() == ENOSPC || error.value() == EDQUOT;
    return Fail(full ? ErrorCode::kStorageFull : ErrorCode::kIo,
                "cannot copy " + from.string() + " to " + to.string(), error.message());
  }
  const int fd = ::open(temporary.c_str(), O_RDONLY | O_CLOEXEC);
  const bool synced = fd >= 0 && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!synced || ::rename(temporary.c_str(), to.c_str()) != 0) {
    fs::remove(temporary, error);
    return Fail(ErrorCode::kIo, "cannot copy " + from.string() + " to " + to.string(),
                std::strerror(errno));
  }
  return {};
}

// The file `key` names under `root`, if it is a regular file that does not lead out of `root`
// through a symbolic link.
std::optional<fs::path> Resolve(const fs::path& root, std::string_view key) {
  std::error_code error;
  const auto canonical_root = fs::canonical(root, error);
  if (error) return std::nullopt;
  const auto canonical = fs::canonical(root / std::string(key), error);
  if (error) return std::nullopt;
  const auto [root_end, unused] = std::mismatch(canonical_root.begin(), canonical_root.end(),
                                                canonical.begin(), canonical.end());
  if (root_end != canonical_root.end()) return std::nullopt;
  if (!fs::is_regular_file(canonical, error)) return std::nullopt;
  return canonical;
}

// Lower-case hex SHA-256 of `data`: the x-amz-content-sha256 value.
std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

// The size and SHA-256 of what remains of `file`, which is then rewound.
Result<FileDigest> DigestOf(std::FILE* file) {
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1)
    return Fail(ErrorCode::kInternal, "cannot compute a digest");
  std::vector<char> buffer(1 << 20);
  std::int64_t size = 0;
  for (;;) {
    const size_t n = std::fread(buffer.data(), 1, buffer.size(), file);
    if (n > 0) EVP_DigestUpdate(context.get(), buffer.data(), n);
    size += static_cast<std::int64_t>(n);
    if (n < buffer.size()) break;
  }
  if (std::ferror(file) != 0) return Fail(ErrorCode::kIo, "cannot read a file to store");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), digest, &length);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  std::rewind(file);
  return FileDigest{size, hex};
}

// S3's error code from its XML reply ("<Code>NoSuchBucket</Code>"), or empty.
std::string ErrorCodeOf(std::string_view body) {
  const auto start = body.find("<Code>");
  if (start == std::string_view::npos) return "";
  const auto end = body.find("</Code>", start);
  if (end == std::string_view::npos || end - start > 100) return "";
  return std::string(body.substr(start + 6, end - start - 6));
}

struct Reply {
  long status = 0;
  std::string body;
  std::string content_type;
  std::int64_t content_length = -1;
  size_t limit = 0;
  bool too_large = false;
  // A successful reply's body goes here instead, when set (GetFile), up to `file_limit` bytes.
  std::FILE* file = nullptr;
  std::int64_t file_limit = 0;
  std::int64_t file_bytes = 0;
  bool file_failed = false;
};

size_t CollectBody(char* data, size_t size, size_t count, void* user) {
  auto* reply = static_cast<Reply*>(user);
  const size_t bytes = size * count;
  // An error reply is kept only in part; a success beyond the caller's limit stops the transfer.
  if (reply->file != nullptr && reply->status < 300) {
    reply->file_bytes += static_cast<std::int64_t>(bytes);
    if (reply->file_bytes > reply->file_limit) {
      reply->too_large = true;
      return 0;
    }
    if (std::fwrite(data, 1, bytes, reply->file) != bytes) {
      reply->file_failed = true;
      return 0;
    }
    return bytes;
  }
  const size_t limit = reply->status >= 300 ? kMaxErrorBody : reply->limit;
  if (reply->body.size() + bytes > limit) {
    if (reply->status >= 300) return bytes;
    reply->too_large = true;
    return 0;
  }
  reply->body.append(data, bytes);
  return bytes;
}

size_t CollectHeader(char* data, size_t size, size_t count, void* user) {
  auto* reply = static_cast<Reply*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    // A new status line (after a 100 Continue): forget the previous reply's headers.
    const auto space = line.find(' ');
    reply->status = space == std::string_view::npos ? 0 : std::atol(line.data() + space + 1);
    reply->content_type.clear();
    return line.size();
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return line.size();
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (name == "content-type") {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    reply->content_type = std::string(value.substr(0, 200));
  }
  return line.size();
}

}  // namespace

Result<FileDigest> DigestFile(const fs::path& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rbe"),
                                                       std::fclose);
  if (!file) return Fail(ErrorCode::kIo, "cannot read " + path.string(), std::strerror(errno));
  return DigestOf(file.get());
}

bool ValidObjectKey(std::string_view key) {
  if (key.empty() || key.size() > 1024) return false;
  size_t start = 0;
  while (start <= key.size()) {
    auto end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    const auto segment = key.substr(start, end - start);
    if (segment.empty() || segment.front() == '.') return false;
    start = end + 1;
  }
  return std::none_of(key.begin(), key.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f || c == '\\';
  });
}

// ---------------------------------------------------------------------------------------------
// The local folder.

LocalObjectStore::LocalObjectStore(fs::path root) : root_(std::move(root)) {}

Result<void> LocalObjectStore::Put(std::string_view key, std::string_view data, std::string_view) {
  if (auto checked = CheckKey(key); !checked) return checked;
  return WriteDurably(root_ / std::string(key), data);
}

Result<StoredObject> LocalObjectStore::Get(std::string_view key, size_t max_bytes) const {
  if (auto checked = CheckKey(key); !checked) return tl::unexpected(checked.error());
  const auto file = Resolve(root_, key);
  if (!file) return Fail(ErrorCode::kNotFound, "There is no such file.");
  std::error_code error;
  const auto size = fs::file_size(*file, error);
  if (error) return Fail(ErrorCode::kIo, "cannot read a media file", error.message());
  if (size > max_bytes) return Fail(ErrorCode::kTooLarge, "The file is too large.");
  StoredObject object;
  object.data.resize(size);
  const int fd = ::open(file->c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(ErrorCode::kIo, "cannot read a media file", std::strerror(errno));
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, object.data.data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  object.data.resize(done);
  return object;
}

Result<void> LocalObjectStore::PutFile(std::string_view key, const fs::path& path,
                                       std::string_view) {
  if (auto checked = CheckKey(key); !checked) return checked;
  return CopyDurably(path, root_ / std::string(key));
}

Result<void> LocalObjectStore::GetFile(std::string_view key, const fs::path& path,
                                       std::int64_t max_bytes) const {
  if (auto checked = CheckKey(key); !checked) return checked;
  const auto file = Resolve(root_, key);
  if (!file) return Fail(ErrorCode::kNotFound, "There is no such file.");
  std::error_code error;
  const auto size = fs::file_size(*file, error);
  if (error) return Fail(ErrorCode::kIo, "cannot read a media file", error.message());
  if (static_cast<std::int64_t>(size) > max_bytes)
    return Fail(ErrorCode::kTooLarge, "The file is too large.");
  return CopyDurably(*file, path);
}

Result<void> LocalObjectStore::Delete(std::string_view key) {
  if (auto checked = CheckKey(key); !checked) return checked;
  std::error_code error;
  fs::remove(root_ / std::string(key), error);
  if (error) return Fail(ErrorCode::kIo, "cannot remove a media file", error.message());
  return {};
}

Result<std::optional<std::int64_t>> LocalObjectStore::Size(std::string_view key) const {
  if (auto checked = CheckKey(key); !checked) return tl::unexpected(checked.error());
  const auto file = Resolve(root_, key);
  if (!file) return std::optional<std::int64_t>();
  std::error_code error;
  const auto size = fs::file_size(*file, error);
  if (error) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(static_cast<std::int64_t>(size));
}

std::string LocalObjectStore::Describe() const { return "the folder " + root_.string(); }

Result<std::vector<LocalObjectStore::Entry>> LocalObjectStore::List() const {
  std::vector<Entry> entries;
  std::error_code error;
  if (!fs::is_directory(root_, error))
    return Fail(ErrorCode::kNotFound, root_.string() + " is not a folder");
  fs::recursive_directory_iterator it(root_, fs::directory_options::none, error);
  if (error) return Fail(ErrorCode::kIo, "cannot read " + root_.string(), error.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (error) return Fail(ErrorCode::kIo, "cannot read " + root_.string(), error.message());
    if (!it->is_regular_file(error)) continue;
    const std::string key = fs::relative(it->path(), root_, error).generic_string();
    if (error || !ValidObjectKey(key) || key.ends_with(".part")) continue;
    const auto size = it->file_size(error);
    if (error) continue;
    entries.push_back({key, static_cast<std::int64_t>(size)});
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.key < b.key; });
  return entries;
}

// ---------------------------------------------------------------------------------------------
// An S3-compatible bucket.

Result<void> CheckStorageSettings(const StorageSettings& settings) {
  if (settings.storage == "local") return {};
  if (settings.storage != "s3")
    return Fail(ErrorCode::kInvalidArgument,
                "media.storage must be \"local\" or \"s3\", not \"" + settings.storage + "\"");
  auto address = [](const std::string& url) {
    return url.starts_with("http://") || url.starts_with("https://");
  };
  if (!address(settings.endpoint))
    return Fail(ErrorCode::kInvalidArgument,
                "media.endpoint must be the object store's address, starting with http:// or "
                "https://");
  const bool bucket_ok =
      settings.bucket.size() >= 3 && settings.bucket.size() <= 63 &&
      std::all_of(settings.bucket.begin(), settings.bucket.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
      });
  if (!bucket_ok)
    return Fail(ErrorCode::kInvalidArgument,
                "media.bucket must be a bucket name (3 to 63 lower-case letters, digits, '-', "
                "'.')");
  const bool region_ok =
      !settings.region.empty() && settings.region.size() <= 64 &&
      std::all_of(settings.region.begin(), settings.region.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      });
  if (!region_ok)
    return Fail(ErrorCode::kInvalidArgument, "media.region must be a region such as us-east-1");
  if (settings.access_key_id.empty() || settings.secret_access_key.empty())
    return Fail(ErrorCode::kInvalidArgument,
                "media.access_key_id and media.secret_access_key (or the environment variable "
                "BROADSHEET_S3_SECRET_ACCESS_KEY) are needed for storage = \"s3\"");
  if (!settings.public_url.empty() && !address(settings.public_url))
    return Fail(ErrorCode::kInvalidArgument,
                "media.public_url must start with http:// or https://");
  if (settings.timeout_s < 1 || settings.timeout_s > 3600)
    return Fail(ErrorCode::kInvalidArgument, "media.timeout_s must be from 1 to 3600");
  return {};
}

S3ObjectStore::S3ObjectStore(StorageSettings settings) : settings_(std::move(settings)) {
  while (settings_.endpoint.ends_with('/')) settings_.endpoint.pop_back();
}

Result<std::unique_ptr<S3ObjectStore>> S3ObjectStore::Open(const StorageSettings& settings) {
  StorageSettings checked = settings;
  checked.storage = "s3";
  if (auto ok = CheckStorageSettings(checked); !ok) return tl::unexpected(ok.error());
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return std::unique_ptr<S3ObjectStore>(new S3ObjectStore(std::move(checked)));
}

std::string S3ObjectStore::UrlFor(std::string_view key) const {
  const std::string encoded = EncodeKey(key);
  if (settings_.path_style) return settings_.endpoint + "/" + settings_.bucket + "/" + encoded;
  // https://host[:port][/prefix] -> https://BUCKET.host[:port][/prefix]
  const auto scheme_end = settings_.endpoint.find("://") + 3;
  return settings_.endpoint.substr(0, scheme_end) + settings_.bucket + "." +
         settings_.endpoint.substr(scheme_end) + "/" + encoded;
}

std::string S3ObjectStore::SigningScope() const { return "aws:amz:" + settings_.region + ":s3"; }

std::string S3ObjectStore::Describe() const {
  return "bucket " + settings_.bucket + " on " + settings_.endpoint;
}

namespace {

enum class Verb { kPut, kGet, kHead, kDelete };

struct Request {
  Verb verb = Verb::kGet;
  std::string url;
  std::string_view body;
  std::string content_type;
  size_t max_bytes = 0;
  // Streamed instead (PutFile, GetFile): the body read from `upload` (`upload_size` bytes, whose
  // SHA-256 is `upload_hash`), or the reply's body written to `download`.
  std::FILE* upload = nullptr;
  std::int64_t upload_size = 0;
  std::string upload_hash = {};
  std::FILE* download = nullptr;
  std::int64_t download_max = 0;
};

// A streamed transfer is bounded by its rate, not its length: it fails when it moves less than
// this many bytes a second for kSlowTransferS seconds.
constexpr long kSlowTransferBytes = 16 * 1024;
constexpr long kSlowTransferS = 30;

}  // namespace

// One signed request; the reply's status, headers and (bounded) body. Fails only when no reply
// came (the store unreachable, a timeout, an object over the limit).
static Result<Reply> Perform(const StorageSettings& settings, const std::string& scope,
                             const Request& request, std::string_view key) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Fail(ErrorCode::kInternal, "cannot start an object store request");
  Reply reply;
  reply.limit = request.max_bytes;
  reply.file = request.download;
  reply.file_limit = request.download_max;
  const bool streamed = request.upload != nullptr || request.download != nullptr;
  curl_slist* headers = nullptr;
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, scope.c_str());
  curl_easy_setopt(curl, CURLOPT_USERNAME, settings.access_key_id.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, settings.secret_access_key.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(settings.connect_timeout_s));
  if (streamed) {
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, kSlowTransferBytes);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, kSlowTransferS);
  } else {
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(settings.timeout_s));
  }
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, CollectHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply);
  // S3 wants the body's SHA-256 in x-amz-content-sha256 on every SigV4 request; libcurl 7.88
  // does not send it, but signs it (and takes it as the payload's hash) when it is given.
  const std::string payload_hash =
      "x-amz-content-sha256: " +
      (request.upload != nullptr ? request.upload_hash : Sha256Hex(request.body));
  headers = curl_slist_append(headers, payload_hash.c_str());
  switch (request.verb) {
    case Verb::kPut: {
      if (request.upload != nullptr) {
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(curl, CURLOPT_READDATA, request.upload);
        curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                         static_cast<curl_off_t>(request.upload_size));
        headers = curl_slist_append(headers, "Expect:");  // no wait for 100 Continue
      }
      // The body given whole, or a file whose hash was read first: the hash is signed, never
      // UNSIGNED-PAYLOAD.
      if (request.upload == nullptr) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size()));
      }
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
      const std::string type =
          "Content-Type: " + (request.content_type.empty() ? std::string("application/octet-stream")
                                                           : request.content_type);
      headers = curl_slist_append(headers, type.c_str());
      break;
    }
    case Verb::kGet:
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
      break;
    case Verb::kHead:
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
      break;
    case Verb::kDelete:
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
      break;
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_off_t length = -1;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  reply.status = status;
  reply.content_length = length;
  if (reply.too_large) return Fail(ErrorCode::kTooLarge, "The file is too large.");
  if (reply.file_failed) {
    return Fail(ErrorCode::kIo, "cannot write a file read from the media store",
                fmt::format("{} {}: {}", settings.bucket, key, std::strerror(errno)));
  }
  if (code != CURLE_OK) {
    return Fail(ErrorCode::kUnavailable, "The media store could not be reached; try again soon.",
                fmt::format("{} {}: {}", settings.bucket, key, curl_easy_strerror(code)));
  }
  return reply;
}

static Error Refused(const StorageSettings& settings, std::string_view action, std::string_view key,
                     const Reply& reply) {
  const std::string s3_code = ErrorCodeOf(reply.body);
  return Error{ErrorCode::kUnavailable,
               "The media store refused to " + std::string(action) + " a file; try again soon.",
               fmt::format("{} {} of {}: HTTP {}{}{}", settings.bucket, action, key, reply.status,
                           s3_code.empty() ? "" : " ", s3_code)};
}

Result<void> S3ObjectStore::Put(std::string_view key, std::string_view data,
                                std::string_view content_type) {
  if (auto checked = CheckKey(key); !checked) return checked;
  Request request{Verb::kPut, UrlFor(key), data, std::string(content_type), kMaxErrorBody};
  auto reply = Perform(settings_, SigningScope(), request, key);
  if (!reply) return tl::unexpected(reply.error());
  if (reply->status < 200 || reply->status > 299)
    return tl::unexpected(Refused(settings_, "store", key, *reply));
  return {};
}

Result<StoredObject> S3ObjectStore::Get(std::string_view key, size_t max_bytes) const {
  if (auto checked = CheckKey(key); !checked) return tl::unexpected(checked.error());
  Request request{Verb::kGet, UrlFor(key), {}, {}, max_bytes};
  auto reply = Perform(settings_, SigningScope(), request, key);
  if (!reply) return tl::unexpected(reply.error());
  if (reply->status == 404) return Fail(ErrorCode::kNotFound, "There is no such file.");
  if (reply->status < 200 || reply->status > 299)
    return tl::unexpected(Refused(settings_, "read", key, *reply));
  return StoredObject{std::move(reply->body), std::move(reply->content_type)};
}

Result<void> S3ObjectStore::PutFile(std::string_view key, const fs::path& path,
                                    std::string_view content_type) {
  if (auto checked = CheckKey(key); !checked) return checked;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rbe"),
                                                       std::fclose);
  if (!file) return Fail(ErrorCode::kIo, "cannot read " + path.string(), std::strerror(errno));
  // The hash is signed, so the file is read twice: once for it, once to send.
  auto digest = DigestOf(file.get());
  if (!digest) return tl::unexpected(digest.error());
  Request request{Verb::kPut, UrlFor(key), {}, std::string(content_type), kMaxErrorBody};
  request.upload = file.get();
  request.upload_size = digest->size;
  request.upload_hash = digest->sha256;
  auto reply = Perform(settings_, SigningScope(), request, key);
  if (!reply) return tl::unexpected(reply.error());
  if (reply->status < 200 || reply->status > 299)
    return tl::unexpected(Refused(settings_, "store", key, *reply));
  return {};
}

Result<void> S3ObjectStore::GetFile(std::string_view key, const fs::path& path,
                                    std::int64_t max_bytes) const {
  if (auto checked = CheckKey(key); !checked) return checked;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "wbe"),
                                                       std::fclose);
  if (!file) return Fail(ErrorCode::kIo, "cannot write " + path.string(), std::strerror(errno));
  Request request{Verb::kGet, UrlFor(key), {}, {}, kMaxErrorBody};
  request.download = file.get();
  request.download_max = max_bytes;
  auto reply = Perform(settings_, SigningScope(), request, key);
  const bool flushed = std::fflush(file.get()) == 0 && ::fsync(::fileno(file.get())) == 0;
  file.reset();
  auto failed = [&](Error error) -> Result<void> {
    std::error_code ignored;
    fs::remove(path, ignored);
    return tl::unexpected(std::move(error));
  };
  if (!reply) return failed(reply.error());
  if (reply->status == 404)
    return failed(Error{ErrorCode::kNotFound, "There is no such file.", ""});
  if (reply->status < 200 || reply->status > 299)
    return failed(Refused(settings_, "read", key, *reply));
  if (!flushed) return failed(Error{ErrorCode::kIo, "cannot write " + path.string(), ""});
  return {};
}

Result<void> S3ObjectStore::Delete(std::string_view key) {
  if (auto checked = CheckKey(key); !checked) return checked;
  Request request{Verb::kDelete, UrlFor(key), {}, {}, kMaxErrorBody};
  auto reply = Perform(settings_, SigningScope(), request, key);
  if (!reply) return tl::unexpected(reply.error());
  if (reply->status == 404) return {};
  if (reply->status < 200 || reply->status > 299)
    return tl::unexpected(Refused(settings_, "remove", key, *reply));
  return {};
}

Result<std::optional<std::int64_t>> S3ObjectStore::Size(std::string_view key) const {
  if (auto checked = CheckKey(key); !checked) return tl::unexpected(checked.error());
  Request request{Verb::kHead, UrlFor(key), {}, {}, kMaxErrorBody};
  auto reply = Perform(settings_, SigningScope(), request, key);
  if (!reply) return tl::unexpected(reply.error());
  if (reply->status == 404) return std::optional<std::int64_t>();
  if (reply->status < 200 || reply->status > 299)
    return tl::unexpected(Refused(settings_, "look up", key, *reply));
  return std::optional<std::int64_t>(std::max<std::int64_t>(reply->content_length, 0));
}

// ---------------------------------------------------------------------------------------------

Result<std::unique_ptr<ObjectStore>> OpenObjectStore(const StorageSettings& settings,
                                                     const fs::path& uploads_dir) {
  if (auto checked = CheckStorageSettings(settings); !checked)
    return tl::unexpected(checked.error());
  if (settings.storage == "local")
    return std::unique_ptr<ObjectStore>(std::make_unique<LocalObjectStore>(uploads_dir));
  auto bucket = S3ObjectStore::Open(settings);
  if (!bucket) return tl::unexpected(bucket.error());
  return std::unique_ptr<ObjectStore>(std::move(*bucket));
}

std::string PublicAddress(std::string_view url, std::string_view public_url) {
  constexpr std::string_view kPrefix = "/uploads/";
  if (public_url.empty() || !url.starts_with(kPrefix)) return std::string(url);
  std::string out(public_url);
  if (!out.ends_with('/')) out += '/';
  out += url.substr(kPrefix.size());
  return out;
}

std::string LinkUploadsTo(std::string_view html, std::string_view public_url,
                          std::string_view base_url) {
  if (public_url.empty()) return std::string(html);
  std::string target(public_url);
  if (!target.ends_with('/')) target += '/';
  // An address starts an attribute value or JSON string ('"'), or follows ", " in a srcset.
  const std::string local = "/uploads/";
  const std::string absolute = base_url.empty() ? "" : std::string(base_url) + "/uploads/";
  std::string out;
  out.reserve(html.size());
  size_t i = 0;
  while (i < html.size()) {
    const char c = html[i];
    out += c;
    ++i;
    const bool starts_value = c == '"' || (c == ' ' && i >= 2 && html[i - 2] == ',');
    if (!starts_value) continue;
    const std::string_view rest = html.substr(i);
    if (rest.starts_with(local)) {
      out += target;
      i += local.size();
    } else if (!absolute.empty() && rest.starts_with(absolute)) {
      out += target;
      i += absolute.size();
    }
  }
  return out;
}

}  // namespace broadsheet::media

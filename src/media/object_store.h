// Where uploaded files live: the site's uploads/ folder (the default) or a bucket of any
// S3-compatible object store (docs/media.md). Everything the desk stores — an image, its
// variants, the publication's logo and icon — is written through an ObjectStore under a key such
// as "media/2026/12/abcd1234-harbour.jpg", which is also its path below /uploads/ on the site.
//
// Keys are relative, '/'-separated, at most 1024 bytes, with no empty, "." or ".." segment, no
// segment starting with '.', and no control character or backslash (ValidObjectKey); every call
// refuses any other with kInvalidArgument before touching the disk or the network.
//
// LocalObjectStore writes as the desk always has: a temporary file, fsync, rename, fsync of the
// folder, so a reader sees a whole file or none. S3ObjectStore signs each request with AWS
// Signature Version 4 through libcurl (CURLOPT_AWS_SIGV4), addresses the bucket path-style
// (ENDPOINT/BUCKET/KEY) or virtual-host style (BUCKET.HOST/KEY), bounds every request in time and
// every object read in size, and names the failing key and status in its errors; credentials
// never appear in an error or a log. Both are safe to use from several threads at once (each
// call has its own file descriptors or curl handle; neither keeps mutable state).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace broadsheet::media {

// [media] in broadsheet.toml. Defaults: the local uploads folder.
struct StorageSettings {
  std::string storage = "local";  // "local" | "s3"
  std::string endpoint;           // "https://s3.eu-west-1.amazonaws.com", "http://127.0.0.1:9000"
  std::string bucket;
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;  // or BROADSHEET_S3_SECRET_ACCESS_KEY
  // Where readers fetch objects ("https://media.example.org/"): pages link to PUBLIC_URL + KEY.
  // Empty: pages link to /uploads/KEY and the node serves the object from the bucket.
  std::string public_url;
  bool path_style = false;  // ENDPOINT/BUCKET/KEY instead of BUCKET.HOST/KEY
  int timeout_s = 30;       // each request, whole
  // Not a setting: how long a request waits to connect. Serving /uploads/ from the bucket uses
  // shorter times than the desk's uploads (app/serve.cc, media/serving_bucket.h).
  int connect_timeout_s = 10;
};

// Whether `key` may name an object (see above).
bool ValidObjectKey(std::string_view key);

struct StoredObject {
  std::string data;
  std::string content_type;  // as stored; may be empty for a local file
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  // Stores `data` under `key`, replacing any object there. kStorageFull when the disk is full,
  // kIo or kUnavailable otherwise.
  virtual Result<void> Put(std::string_view key, std::string_view data,
                           std::string_view content_type) = 0;
  // The object; kNotFound when there is none, kTooLarge when it is over `max_bytes`.
  virtual Result<StoredObject> Get(std::string_view key, size_t max_bytes) const = 0;
  // Put and Get for objects too large to hold in memory (a search index snapshot's files):
  // PutFile stores the file at `path` under `key`; GetFile writes the object to `path` (replacing
  // it), kNotFound when there is none, kTooLarge when it is over `max_bytes` (`path` is then
  // removed). Both stream, bounded by a minimum rate rather than a total time.
  virtual Result<void> PutFile(std::string_view key, const std::filesystem::path& path,
                               std::string_view content_type) = 0;
  virtual Result<void> GetFile(std::string_view key, const std::filesystem::path& path,
                               std::int64_t max_bytes) const = 0;
  // Removes the object; an absent one is not an error.
  virtual Result<void> Delete(std::string_view key) = 0;
  // The object's size in bytes, or nullopt when there is none.
  virtual Result<std::optional<std::int64_t>> Size(std::string_view key) const = 0;
  // "the folder /srv/site/uploads", "bucket news-media on https://…": for messages.
  virtual std::string Describe() const = 0;
};

class LocalObjectStore final : public ObjectStore {
 public:
  explicit LocalObjectStore(std::filesystem::path root);
  Result<void> Put(std::string_view key, std::string_view data,
                   std::string_view content_type) override;
  Result<StoredObject> Get(std::string_view key, size_t max_bytes) const override;
  Result<void> PutFile(std::string_view key, const std::filesystem::path& path,
                       std::string_view content_type) override;
  Result<void> GetFile(std::string_view key, const std::filesystem::path& path,
                       std::int64_t max_bytes) const override;
  Result<void> Delete(std::string_view key) override;
  Result<std::optional<std::int64_t>> Size(std::string_view key) const override;
  std::string Describe() const override;

  // Every regular file below the root as a key and its size, in key order; files whose names
  // are not valid keys (dot-files, the temporary ".part" files of a write under way) are left
  // out. For `broadsheet media migrate`.
  struct Entry {
    std::string key;
    std::int64_t size = 0;
  };
  Result<std::vector<Entry>> List() const;

 private:
  std::filesystem::path root_;
};

class S3ObjectStore final : public ObjectStore {
 public:
  // kInvalidArgument naming the setting when `settings` lack an endpoint, bucket, region or
  // credentials, or the endpoint is not an http(s) address.
  static Result<std::unique_ptr<S3ObjectStore>> Open(const StorageSettings& settings);

  Result<void> Put(std::string_view key, std::string_view data,
                   std::string_view content_type) override;
  Result<StoredObject> Get(std::string_view key, size_t max_bytes) const override;
  Result<void> PutFile(std::string_view key, const std::filesystem::path& path,
                       std::string_view content_type) override;
  Result<void> GetFile(std::string_view key, const std::filesystem::path& path,
                       std::int64_t max_bytes) const override;
  Result<void> Delete(std::string_view key) override;
  Result<std::optional<std::int64_t>> Size(std::string_view key) const override;
  std::string Describe() const override;

  // The address of `key` (percent-encoded, RFC 3986 unreserved characters and '/' kept).
  std::string UrlFor(std::string_view key) const;
  // "aws:amz:REGION:s3", the curl option that makes it sign requests.
  std::string SigningScope() const;

 private:
  explicit S3ObjectStore(StorageSettings settings);
  StorageSettings settings_;
};

// The store `settings` describe: a LocalObjectStore over `uploads_dir` for "local", an
// S3ObjectStore for "s3".
Result<std::unique_ptr<ObjectStore>> OpenObjectStore(const StorageSettings& settings,
                                                     const std::filesystem::path& uploads_dir);

// A file's size and lower-case hex SHA-256, read in one pass.
struct FileDigest {
  std::int64_t size = 0;
  std::string sha256;
};
Result<FileDigest> DigestFile(const std::filesystem::path& path);

// Checks [media] as read from the configuration (storage, the s3 settings it needs, the
// addresses' form); kInvalidArgument naming the setting.
Result<void> CheckStorageSettings(const StorageSettings& settings);

// "/uploads/KEY" as readers should fetch it: PUBLIC_URL + KEY when a public URL is set, the
// address unchanged otherwise (and for anything not under /uploads/).
std::string PublicAddress(std::string_view url, std::string_view public_url);

// `html` with every attribute value (src, href, srcset candidates, content) that starts with
// "/uploads/" or BASE_URL + "/uploads/" pointing at PUBLIC_URL + KEY instead. `html` unchanged
// when `public_url` is empty.
std::string LinkUploadsTo(std::string_view html, std::string_view public_url,
                          std::string_view base_url);

}  // namespace broadsheet::media

// Serve: builds everything a running site needs, in order (store, theme, site, routes, cache,
// server, scheduler), serves until SIGINT/SIGTERM, and tears it down in reverse order.
#pragma once

#include <optional>
#include <string>

#include "app/config.h"
#include "app/site_dir.h"

namespace broadsheet::app {

struct ServeOptions {
  std::optional<std::string> listen;  // --listen, wins over the configuration
};

// Returns the process exit code; prints one-line errors to stderr.
int Serve(const SitePaths& paths, Config config, const ServeOptions& options);

}  // namespace broadsheet::app

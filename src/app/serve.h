// Serve: builds everything a running site needs, in order (store, theme, site, routes, cache,
// server, scheduler), serves until SIGINT/SIGTERM, and tears it down in reverse order.
#pragma once

#include <optional>
#include <string>

#include "app/config.h"
#include "app/site_dir.h"
#include "content/body.h"

namespace broadsheet::app {

struct ServeOptions {
  std::optional<std::string> listen;  // --listen, wins over the configuration
};

// The HTML filter's one-time upgrade pass over stored bodies (content::RefilterStoredHtml) with
// this deployment's embed hosts. Serve runs it before answering; so do the CLI commands that
// send stored HTML elsewhere (exports), so that none sends HTML stored before the filter.
Result<content::RefilterReport> UpgradeStoredHtml(Store& store, const Config& config);

// Returns the process exit code; prints one-line errors to stderr.
int Serve(const SitePaths& paths, Config config, const ServeOptions& options);

}  // namespace broadsheet::app

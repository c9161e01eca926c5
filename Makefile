# Broadsheet's two set-up commands are `make run` and `make test`; see README.md.
# Every target installs what is missing first (Debian packages with apt-get, npm
# packages for the HTML checker), so both work on a fresh Debian 12 machine as root.

BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
SITE ?= demo-site

DEBIAN_PACKAGES := build-essential cmake pkg-config git ca-certificates tzdata \
	libboost-dev libsqlite3-dev libcmark-gfm-dev libcmark-gfm-extensions-dev \
	libkainjow-mustache-dev libtomlplusplus-dev libyaml-cpp-dev nlohmann-json3-dev \
	libexpected-dev libcli11-dev libspdlog-dev libfmt-dev libsodium-dev libssl-dev libqrencode-dev libvips-dev libcurl4-openssl-dev zlib1g-dev \
	libbrotli-dev libhowardhinnant-date-dev libcsv-dev libxapian-dev libxml2-dev libgumbo-dev libgtest-dev python3 python3-brotli python3-aiosmtpd python3-dkim python3-nacl python3-feedparser default-jre-headless chromium \
	curl

.PHONY: all deps npm-deps build test run clean format bench

all: build

# Installs only what is missing, so repeated runs cost one dpkg query.
deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:" $$missing; \
		if [ "$$(id -u)" != 0 ]; then echo "error: run as root (apt-get needs it) or install:" $$missing; exit 1; fi; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi
	@command -v npm >/dev/null || (DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm)

npm-deps: deps
	@[ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build npm-deps
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

run: build
	@[ -d $(SITE) ] || $(BUILD_DIR)/broadsheet init $(SITE) --demo
	$(BUILD_DIR)/broadsheet serve --site $(SITE)

bench: build
	bench/run.py
	bench/comment_storm.py
	bench/newsletter_send.py
	bench/search.py
	bench/lighthouse.py
	bench/wordpress_import.py

format:
	clang-format -i $$(git ls-files 'src/*.cc' 'src/*.h' 'tests/*.cc' 'tests/*.h')

clean:
	rm -rf $(BUILD_DIR)

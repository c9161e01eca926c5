# Broadsheet's two set-up commands are `make run` and `make test`; see README.md.
# Every target installs what is missing first (Debian packages with apt-get, npm
# packages for the desk's editor and the test tools), so both work on a fresh Debian 12
# machine as root.

BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
SITE ?= demo-site

DEBIAN_PACKAGES := build-essential cmake pkg-config git ca-certificates tzdata \
	libboost-dev libsqlite3-dev libcmark-gfm-dev libcmark-gfm-extensions-dev \
	libkainjow-mustache-dev libtomlplusplus-dev libyaml-cpp-dev nlohmann-json3-dev \
	libexpected-dev libcli11-dev libspdlog-dev libfmt-dev libsodium-dev libssl-dev libqrencode-dev libvips-dev libcurl4-openssl-dev zlib1g-dev \
	libbrotli-dev libhowardhinnant-date-dev libcsv-dev libxapian-dev libxml2-dev libicu-dev libgumbo-dev libpq-dev postgresql-15 libgtest-dev python3 python3-brotli python3-aiosmtpd python3-dkim python3-nacl python3-feedparser python3-psycopg2 default-jre-headless chromium varnish varnish-modules haproxy \
	curl

.PHONY: all deps npm-deps build test run clean format bench bench-deps build-asan build-tsan test-asan \
	test-tsan test-sanitizers fuzz fuzz-ci

# Sanitizer builds (docs/testing.md), each in its own folder, with clang: AddressSanitizer +
# UndefinedBehaviorSanitizer (plus the libFuzzer targets) and ThreadSanitizer. -O1 with line
# tables: fast enough to build and run, precise enough to read a report.
SANITIZER_CMAKE := -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 \
	-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
# In sanitizer builds: unit tests, stress tests and the fuzz corpora's replay; not the
# integration, browser and cluster tests (the Release build runs those).
SANITIZER_CTEST := --output-on-failure -j $(JOBS)
SANITIZER_ENV := ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=0 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/lsan.supp:print_suppressions=0 \
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/sanitizers/tsan.supp
# Seconds per fuzz target: `make fuzz` (FUZZ_SECONDS) and the short run of `make test`.
FUZZ_SECONDS ?= 60
CI_FUZZ_SECONDS ?= 10

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

# npm-deps: the desk's editor is bundled from npm packages during the build (editor/).
build: npm-deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)
	$(MAKE) test-sanitizers

test-sanitizers: test-asan test-tsan fuzz-ci

build-asan: npm-deps
	cmake -S . -B build-asan $(SANITIZER_CMAKE) -DBROADSHEET_SANITIZE=address,undefined -DBROADSHEET_FUZZ=ON
	cmake --build build-asan -j $(JOBS)

build-tsan: npm-deps
	cmake -S . -B build-tsan $(SANITIZER_CMAKE) -DBROADSHEET_SANITIZE=thread
	cmake --build build-tsan -j $(JOBS)

test-asan: build-asan
	$(SANITIZER_ENV) ctest --test-dir build-asan $(SANITIZER_CTEST) -E '^(integration|integration_pg|browser|browser_pg|cluster)\.'

test-tsan: build-tsan
	$(SANITIZER_ENV) ctest --test-dir build-tsan $(SANITIZER_CTEST) -E '^(integration|integration_pg|browser|browser_pg|cluster|fuzz_replay)\.'

# Every libFuzzer target for FUZZ_SECONDS, starting from its seed corpus; new inputs collect in
# build-asan/fuzz-corpus/, crashes in build-asan/fuzz-crashes/ (keep them in tests/fuzz/corpus/).
fuzz: build-asan
	tests/fuzz/run.sh build-asan $(FUZZ_SECONDS)

fuzz-ci: build-asan
	tests/fuzz/run.sh build-asan $(CI_FUZZ_SECONDS)

run: build
	@[ -d $(SITE) ] || $(BUILD_DIR)/broadsheet init $(SITE) --demo
	$(BUILD_DIR)/broadsheet serve --site $(SITE)

# SOCI only for bench/db_seam.py's comparison (the project itself does not use it).
bench-deps: deps
	@dpkg-query -W -f='$${Status}\n' libsoci-dev 2>/dev/null | grep -q '^install ok installed$$' || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q libsoci-dev

bench: bench-deps build
	cmake -S . -B $(BUILD_DIR) -DBROADSHEET_BENCH_SOCI=ON
	cmake --build $(BUILD_DIR) -j $(JOBS) --target bench_db_seam
	bench/run.py
	bench/comment_storm.py
	bench/comment_storm.py --database postgresql
	bench/newsletter_send.py
	bench/search.py
	bench/lighthouse.py
	bench/wordpress_import.py
	bench/db_seam.py
	bench/postgres.py

format:
	clang-format -i $$(git ls-files 'src/*.cc' 'src/*.h' 'tests/*.cc' 'tests/*.h')

clean:
	rm -rf $(BUILD_DIR) build-asan build-tsan

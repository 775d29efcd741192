# cara: the two commands a new user needs are `make run` and `make test`.

BIN          := bin/cara
HTMX_VERSION := v2.0.4+incompatible
HTMX_SHA256  := e209dda5c8235479f3166defc7750e1dbcd5a5c1808b7792fc2e6733768fb447
HTMX         := views/static/vendor/htmx.min.js
# The race detector needs cgo (a C compiler); without one the tests run without it.
RACE         := $(if $(filter 1,$(shell go env CGO_ENABLED)),-race,)

.PHONY: all build run test bench generate lint e2e clean

all: build

# htmx is not committed: it comes from the Go module proxy, checked against a known sha256.
$(HTMX):
	@mkdir -p $(dir $@)
	@dir=$$(go mod download -json github.com/bigskysoftware/htmx@$(HTMX_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$$/\1/p'); \
	  test -n "$$dir" || { echo "could not download htmx $(HTMX_VERSION)"; exit 1; }; \
	  cp "$$dir/dist/htmx.min.js" $@.tmp && chmod 644 $@.tmp
	@sum=$$( (sha256sum $@.tmp 2>/dev/null || shasum -a 256 $@.tmp) | cut -d' ' -f1); \
	  if [ "$$sum" != "$(HTMX_SHA256)" ]; then echo "htmx checksum mismatch: $$sum"; rm -f $@.tmp; exit 1; fi
	@mv $@.tmp $@

build: $(HTMX)
	go build -o $(BIN) ./cmd/cara

# Creates and migrates ./data/cara.db, loads the demo data once, serves http://localhost:8080.
run: build
	./$(BIN) demo
	./$(BIN) serve

# Every test but the browser tests (make e2e): unit, SQLite and MySQL integration (MySQL is
# skipped when unreachable, except with CI=true) and handler tests. The browser tests are the
# slowest suite, so they have their own target; .ci/run runs both.
# The tests that skip say why in a temporary folder (internal/testskip); after go test's own
# output a summary lists those reasons, and the exit code stays go test's. TEST_PKGS narrows
# the run (make test TEST_PKGS=./internal/store/...).
TEST_PKGS ?= ./...
TEST_FLAGS ?= -skip '^TestBrowser'
# cmd/cara's tests drive whole commands (demo loads, edit runs, imports) and take about five times
# as long under the race detector as without it, while every package they call is raced by its
# own tests; so in the whole run cmd/cara runs without -race, beside the other packages, and its
# output follows theirs.
test: $(HTMX)
	go vet ./...
	@skips=$$(mktemp -d); cli=$$(mktemp); clipid=; pkgs="$(TEST_PKGS)"; \
	  if [ "$(TEST_PKGS)" = "./..." ]; then \
	    pkgs=$$(go list ./... | grep -v '/cmd/cara$$'); \
	    echo "go test -count=1 -timeout 20m $(TEST_FLAGS) ./cmd/cara/ (beside the others, without -race)"; \
	    CARA_TEST_SKIP_DIR=$$skips go test -count=1 -timeout 20m $(TEST_FLAGS) ./cmd/cara/ > $$cli 2>&1 & clipid=$$!; \
	  fi; \
	  echo "go test $(RACE) -count=1 -timeout 20m $(TEST_FLAGS) $(TEST_PKGS)$$([ -n "$$clipid" ] && echo " but ./cmd/cara")"; \
	  CARA_TEST_SKIP_DIR=$$skips go test $(RACE) -count=1 -timeout 20m $(TEST_FLAGS) $$pkgs; rc=$$?; \
	  if [ -n "$$clipid" ]; then wait $$clipid; clirc=$$?; cat $$cli; if [ $$clirc -ne 0 ]; then rc=$$clirc; fi; fi; \
	  rm -f $$cli; \
	  if ls $$skips/* >/dev/null 2>&1; then \
	    echo; echo "Skipped, so this was not the whole suite (CI=true makes these failures):"; \
	    cat $$skips/* | sort | uniq -c | sort -rn | sed 's/^ *\([0-9]*\) /  \1 tests: /'; \
	  else \
	    echo; echo "No test was skipped for want of MySQL or chromium."; \
	  fi; \
	  rm -rf $$skips; exit $$rc

# The browser tests (chromedp, headless chromium; skipped without it, except with CI=true), with
# make test's skip summary.
e2e: $(HTMX)
	@$(MAKE) --no-print-directory test TEST_FLAGS="-run '^TestBrowser'" TEST_PKGS=./internal/web/

bench:
	go test -run '^$$' -bench . -benchmem ./...

generate:
	go tool templ generate

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '_templ.go$$')); if [ -n "$$out" ]; then echo "gofmt: $$out"; exit 1; fi
	go vet ./...

clean:
	rm -rf bin $(HTMX)

# A three-node Galera cluster, three cara serve processes and haproxy on loopback ports
# (cmd/cara-cluster; needs galera-4, mariadb-server, haproxy, rsync). State in $(CLUSTER_DIR).
CLUSTER_DIR ?= /tmp/cara-cluster
.PHONY: cluster-up cluster-down cluster-test
cluster-up: build
	go run ./cmd/cara-cluster up -dir $(CLUSTER_DIR) -cara $(BIN)
cluster-down:
	go run ./cmd/cara-cluster down -dir $(CLUSTER_DIR)
# The cluster tests (build tag cluster), which make test does not run.
cluster-test:
	go test -tags cluster -count=1 -timeout 10m ./internal/cluster/

# The load test (cara loadtest, internal/loadtest): 45 registrars and 5 reviewers at once for a
# minute, with an intake, against one cara serve on a loopback port on a fresh MariaDB database
# (LOADTEST_DB on LOADTEST_MYSQL, dropped and created again); state and logs in LOADTEST_DIR.
# loadtest-cluster runs the same against the haproxy of make cluster-up (target p99 100 ms).
LOADTEST_MYSQL ?= 127.0.0.1:3306
LOADTEST_DB    ?= cara_loadtest
LOADTEST_DIR   ?= /tmp/cara-loadtest
LOADTEST_PORT  ?= 24300
LOADTEST_FLAGS ?= --registrars 45 --reviewers 5 --duration 1m
.PHONY: loadtest loadtest-cluster
loadtest: build
	@rm -rf $(LOADTEST_DIR) && mkdir -p $(LOADTEST_DIR)
	mysql -h $(firstword $(subst :, ,$(LOADTEST_MYSQL))) -P $(lastword $(subst :, ,$(LOADTEST_MYSQL))) -u root \
	  -e 'DROP DATABASE IF EXISTS $(LOADTEST_DB); CREATE DATABASE $(LOADTEST_DB)'
	@bin=$(CURDIR)/$(BIN); cd $(LOADTEST_DIR) && \
	  export CARA_DATABASE_URL='mysql://root@tcp($(LOADTEST_MYSQL))/$(LOADTEST_DB)' CARA_ADDR=127.0.0.1:$(LOADTEST_PORT) \
	    CARA_AUDIT_KEY=$$(head -c 32 /dev/urandom | base64) CARA_INTAKE_DIR=$(LOADTEST_DIR)/intake CARA_SUBMISSION_DIR=$(LOADTEST_DIR)/submissions && \
	  $$bin migrate > migrate.log 2>&1 && \
	  { $$bin serve 2> serve.log & pid=$$!; \
	    for i in $$(seq 150); do curl -sf http://127.0.0.1:$(LOADTEST_PORT)/healthz > /dev/null && break; sleep 0.2; done; \
	    $$bin loadtest --url http://127.0.0.1:$(LOADTEST_PORT) $(LOADTEST_FLAGS); rc=$$?; \
	    kill $$pid; wait $$pid; exit $$rc; }
loadtest-cluster: build
	@eval "$$(go run ./cmd/cara-cluster env -dir $(CLUSTER_DIR))" && \
	  ./$(BIN) loadtest --url "$$CARA_CLUSTER_URL" --save-p99 100ms $(LOADTEST_FLAGS)

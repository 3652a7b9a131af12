# Perch. On a fresh machine: `make run` (installs what it needs, builds, starts Perch) and
# `make test` (every test). `make build` leaves the binary at ./bin/perch
# (and the worker-only ./bin/perch-engine beside it). From Linux, with a
# macOS SDK folder: `make darwin MACOS_SDK=DIR`, `make app MACOS_SDK=DIR` (docs/macos.md).
SHELL := /bin/bash
GO ?= go
GOOS := $(shell $(GO) env GOOS)
GOARCH := $(shell $(GO) env GOARCH)
ENGINE_LIB := build/engine/lib/$(GOOS)-$(GOARCH)
VERSION ?= 0.1.0
# One id per build, stamped into perch and perch-engine: perch starts the worker-only
# perch-engine beside it only when the ids match (engine/workercmd.go).
BUILD_ID := $(shell od -An -N8 -tx8 /dev/urandom | tr -d ' ')
LDFLAGS := -s -w -X main.version=$(VERSION) -X github.com/perchapp/perch/engine.BuildID=$(BUILD_ID)

# The desktop shell (Wails + tray) needs cgo and, on Linux, WebKitGTK 4.1. Without them the
# binary is built without it and `perch` starts the server and web UI instead. DESKTOP is read
# when this Makefile is parsed, so `make test` and `make run` run setup (which installs
# WebKitGTK) first and then the rest in a sub-make that parses it again.
ifeq ($(GOOS),darwin)
DESKTOP ?= 1
DESKTOP_TAGS := desktop,production
else
DESKTOP ?= $(shell pkg-config --exists webkit2gtk-4.1 gtk+-3.0 2>/dev/null && echo 1 || echo 0)
DESKTOP_TAGS := desktop,production,webkit2_41
endif
ifeq ($(DESKTOP),1)
TAGS := $(DESKTOP_TAGS)
CGO := 1
else
TAGS :=
CGO := 0
endif

.PHONY: all setup setup-test engine frontend api-npm api-go build run run-built serve test test-all test-go test-fuzz test-frontend test-e2e test-desktop test-darwin test-make vet fmt clean app dmg darwin

all: build

# With MACOS_SDK set, setup also installs the cross toolchain (clang, lld, llvm).
setup:
	@MACOS_SDK="$(MACOS_SDK)" ./build/setup.sh run

setup-test:
	@MACOS_SDK="$(MACOS_SDK)" ./build/setup.sh test

engine: $(ENGINE_LIB)/.ok
$(ENGINE_LIB)/.ok: build/engine/package.json build/engine/package-lock.json build/engine/layout.sh
	./build/engine/layout.sh
	touch $@

frontend: frontend/dist/index.html
frontend/dist/index.html: $(shell find frontend/src frontend/index.html frontend/package.json frontend/vite.config.ts 2>/dev/null)
	@if [ -f frontend/package.json ]; then \
		cd frontend && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run build; \
	else echo "frontend: no UI sources yet"; fi

build: engine frontend
	CGO_ENABLED=$(CGO) $(GO) build -tags "$(TAGS)" -ldflags "$(LDFLAGS)" -o bin/perch .
	CGO_ENABLED=$(CGO) $(GO) build -ldflags "$(LDFLAGS)" -o bin/perch-engine ./engine/cmd/perch-engine

run: setup
	@$(MAKE) --no-print-directory run-built

run-built: build
	@if [ "$(DESKTOP)" = 1 ] && { [ "$(GOOS)" = darwin ] || [ -n "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; }; then \
		exec ./bin/perch; \
	else \
		exec ./bin/perch serve; \
	fi

serve: build
	./bin/perch serve

vet:
	$(GO) vet ./...
	GOOS=darwin GOARCH=arm64 $(GO) vet ./...

fmt:
	gofmt -l -w $$(git ls-files '*.go')

test: setup-test
	@$(MAKE) --no-print-directory test-all

test-all: build test-go test-fuzz test-frontend test-e2e test-desktop test-darwin test-make

# The API's real-client tests also drive the npm openai and ollama packages.
api-npm: app/api/testdata/npm/node_modules/.package-lock.json
app/api/testdata/npm/node_modules/.package-lock.json: app/api/testdata/npm/package-lock.json
	cd app/api/testdata/npm && npm ci --no-audit --no-fund --loglevel=error

# ... and go-openai and langchaingo, from a module of their own (Perch's go.mod gains nothing).
api-go:
	cd app/api/testdata/goclients && GOWORK=off $(GO) build -o /dev/null .

test-go: api-npm api-go
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	CGO_ENABLED=$(CGO) $(GO) vet -tags "$(TAGS)" ./...
	CGO_ENABLED=$(CGO) $(GO) test -tags "$(TAGS)" -timeout 20m ./...

# Every fuzz target runs FUZZRUNS inputs beyond its seed corpus (which test-go already runs).
# A count, not a duration: with a timed -fuzztime, Go's fuzzing coordinator can report its own
# deadline as a failure ("context deadline exceeded", no input written) when a worker is
# starved at the moment the time runs out, which a loaded CI machine does now and then.
FUZZRUNS ?= 20000x
test-fuzz: engine
	@grep -rl --include='*_test.go' '^func Fuzz' . | xargs -r -n1 dirname | sort -u | while read -r d; do \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$d/*_test.go | cut -c6-); do \
	    echo "fuzz $$d $$f for $(FUZZRUNS)"; \
	    CGO_ENABLED=$(CGO) $(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZRUNS) $$d || exit 1; \
	  done; \
	done

test-frontend:
	@if [ -f frontend/package.json ]; then cd frontend && npm test; fi

test-e2e:
	@if [ -f frontend/e2e/run.mjs ]; then cd frontend && npm run e2e; fi
	@if [ -f frontend/e2e/remote.mjs ]; then cd frontend && npm run e2e:remote; fi

test-desktop:
	@if [ "$(DESKTOP)" = 1 ] && [ -x build/desktop-test.sh ]; then ./build/desktop-test.sh; fi

# The Mac build. On a Mac: make app / make dmg. On Linux, with a macOS SDK folder (never
# downloaded or committed; docs/macos.md): make darwin / make app MACOS_SDK=DIR, and make test
# MACOS_SDK=DIR also runs the darwin check (test-darwin).
MACOS_SDK ?=
app dmg:
	VERSION=$(VERSION) MACOS_SDK="$(MACOS_SDK)" ./build/darwin/package.sh $@

darwin:
	@[ -n "$(MACOS_SDK)" ] || { echo "make darwin cross-builds for macOS from Linux: set MACOS_SDK=DIR (docs/macos.md)" >&2; exit 1; }
	VERSION=$(VERSION) MACOS_SDK="$(MACOS_SDK)" ./build/darwin/cross.sh build

test-darwin:
	@if [ -z "$(MACOS_SDK)" ]; then echo "darwin-check: SKIP: MACOS_SDK is not set (make test MACOS_SDK=DIR also checks the Mac build)"; \
	else VERSION=$(VERSION) MACOS_SDK="$(MACOS_SDK)" ./build/darwin/check.sh; fi

# The Makefile's own test: a fresh machine's first make test builds the desktop shell.
test-make:
	./build/fresh_test.sh

clean:
	rm -rf bin build/bin build/.cache $(ENGINE_LIB) frontend/dist/index.html frontend/dist/assets

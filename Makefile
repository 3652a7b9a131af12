# Perch. On a fresh machine: `make run` (installs what it needs, builds, starts Perch) and
# `make test` (every test). `make build` leaves the binary at ./bin/perch.
SHELL := /bin/bash
GO ?= go
GOOS := $(shell $(GO) env GOOS)
GOARCH := $(shell $(GO) env GOARCH)
ENGINE_LIB := build/engine/lib/$(GOOS)-$(GOARCH)
VERSION ?= 0.1.0
LDFLAGS := -s -w -X main.version=$(VERSION)

# The desktop shell (Wails + tray) needs cgo and, on Linux, WebKitGTK 4.1. Without them the
# binary is built without it and `perch` starts the server and web UI instead.
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

.PHONY: all setup setup-test engine frontend api-npm build run serve test test-go test-frontend test-e2e test-desktop vet fmt clean app dmg

all: build

setup:
	@./build/setup.sh run

setup-test:
	@./build/setup.sh test

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

run: setup build
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

test: setup-test build test-go test-frontend test-e2e test-desktop

# The API's real-client tests also drive the npm openai and ollama packages.
api-npm: app/api/testdata/npm/node_modules/.package-lock.json
app/api/testdata/npm/node_modules/.package-lock.json: app/api/testdata/npm/package-lock.json
	cd app/api/testdata/npm && npm ci --no-audit --no-fund --loglevel=error

test-go: api-npm
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	CGO_ENABLED=$(CGO) $(GO) vet -tags "$(TAGS)" ./...
	CGO_ENABLED=$(CGO) $(GO) test -tags "$(TAGS)" -timeout 20m ./...

test-frontend:
	@if [ -f frontend/package.json ]; then cd frontend && npm test; fi

test-e2e:
	@if [ -f frontend/e2e/run.mjs ]; then cd frontend && npm run e2e; fi
	@if [ -f frontend/e2e/remote.mjs ]; then cd frontend && node e2e/remote.mjs; fi

test-desktop:
	@if [ "$(DESKTOP)" = 1 ] && [ -x build/desktop-test.sh ]; then ./build/desktop-test.sh; fi

app dmg:
	@if [ "$(GOOS)" != darwin ]; then echo "make $@ builds Perch.app and needs macOS on Apple Silicon; this is $(GOOS)/$(GOARCH)." >&2; exit 1; fi
	./build/darwin/package.sh $@

clean:
	rm -rf bin build/bin $(ENGINE_LIB) frontend/dist/index.html frontend/dist/assets

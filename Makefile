# Perch. A fresh machine needs two commands: `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
GOOS := $(shell $(GO) env GOOS)
GOARCH := $(shell $(GO) env GOARCH)
ENGINE_LIB := build/engine/lib/$(GOOS)-$(GOARCH)

.PHONY: engine build test vet

engine: $(ENGINE_LIB)/.ok
$(ENGINE_LIB)/.ok: build/engine/package.json build/engine/package-lock.json build/engine/layout.sh
	./build/engine/layout.sh
	touch $@

build: engine
	CGO_ENABLED=0 $(GO) build -o bin/perch .

vet:
	$(GO) vet ./...

test: build
	$(GO) test ./...

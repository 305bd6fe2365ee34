# mysql-client-server: the two commands the README gives are
#   make up     deploy the local environment (network-namespace hosts), as root
#   make test   install what the tests need and run them, as root
# Both work on a fresh Debian or Ubuntu machine with Go. Without a `pulumi` on
# PATH, they build the pinned Pulumi CLI and Go language host into .tools/bin
# once (scripts/pulumi-tools.sh), and install the `command` and `mysql` plugins from
# ../shared/pulumi-plugins when they are missing.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
STACK ?= local
GO ?= go
KEY := mysql-client-server.key
HOST ?= mysql_client

# Packages the local platform and the tests need (Debian/Ubuntu names).
DEB_PACKAGES := iproute2 nftables util-linux openssh-server openssh-client \
	mariadb-server mariadb-client psmisc procps shellcheck shfmt ca-certificates openssl jq \
	debootstrap debian-archive-keyring rclone zstd mariadb-backup

# A project-local state backend and passphrase unless the user has a backend.
STATE_DIR := $(CURDIR)/.pulumi-state
PULUMI_ENV := scripts/pulumi-env.sh

# A pulumi already on PATH wins; else the one `make tools` builds.
export PATH := $(PATH):$(CURDIR)/.tools/bin
export PULUMI_SKIP_UPDATE_CHECK := true
# Resource operations at once: the engine's default is 4 per core, but the
# operations are SSH sessions and scripts that mostly wait.
export PULUMI_PARALLEL ?= 64
# The stack's platform, from its stack file (Pulumi.yaml's default is aws).
PLATFORM := $(shell sed -n 's/^ *mysql-client-server:platform: *//p' Pulumi.$(STACK).yaml 2>/dev/null)
ifeq ($(PLATFORM),local)
# A local stack loads only the command plugin, which `make tools` installs
# from a file: the engine must not try to download the others.
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION := true
# The file backend rewrites the whole state after every step, and a local
# stack's state holds every host's scripts: with 32 clients that is 7 MB,
# written about 700 times, 55 s of CPU in one `up`. Pulumi's switch writes
# it once, at the end of the operation (also when it fails or is
# interrupted). Only a killed CLI loses that operation's record, and on the
# local platform the next `make up` converges the hosts again (every script
# is idempotent) and local.Sweep removes hosts no state knows. AWS stacks
# keep a checkpoint after every step: an instance left out of the state
# would be billed unseen.
export PULUMI_SKIP_CHECKPOINTS := true
endif
# step prints a progress line with the seconds since the target started.
T0 := $(shell date +%s)
step = echo "==> [$$(( $$(date +%s) - $(T0) )) s] $(1)"

.PHONY: help deps tools build lint check test bench up down client ssh preview outputs verify restore restore-in-place clean-image provider sdk sdk-nodejs

help:
	@echo "make up      deploy the local stack (root; builds the Pulumi CLI once if it is missing)"
	@echo "make client  open a mysql shell on the client host, logged in (or pipe SQL into it)"
	@echo "make ssh     open a shell on a host (HOST=mysql_server|mysql_client)"
	@echo "make verify  re-run the proofs against the live hosts"
	@echo "make restore restore the backups onto the restore host, mysql_restore (AT=latest|NAME|time=...|gtid=...)"
	@echo "make restore-in-place  restore the server itself to AT, then re-seed its replicas"
	@echo "make down    destroy the local stack (its backups stay, with their passphrase in the config)"
	@echo "make check   lint and the wiring tests, without root (about a minute once built)"
	@echo "make test    install test dependencies and run every test (root)"
	@echo "make provider  build the Pulumi package's plugin and its tarball (.tools/dist), for YAML, TypeScript and Python programs"
	@echo "make sdk     regenerate provider/schema.json and the SDKs in provider/sdk from the plugin"
	@echo "make sdk-nodejs  build and pack the TypeScript SDK into .tools/dist, for npm install"
	@echo "make bench   time cold up, no-op up and down for both engines, with clients and replicas (root)"
	@echo "make clean-image  remove the MySQL image the local hosts share ($(IMAGE_CACHE))"

deps:
	@$(call step,OS packages: $(DEB_PACKAGES))
	@if [ "$$(id -u)" -ne 0 ]; then echo "make deps: run as root (it installs OS packages)" >&2; exit 1; fi
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# tools: the Pulumi CLI, its Go language host and the command and mysql plugins.
tools:
	@$(call step,Pulumi CLI and plugins)
	@bash scripts/pulumi-tools.sh >/dev/null

# build: the program binary Pulumi.yaml names (runtime.options.binary), rebuilt
# when a Go or shell source (embedded in it) is newer than it.
PROGRAM := .tools/bin/mysql-client-server
PROGRAM_SOURCES := go.mod go.sum $(shell find main.go components -name '*.go' -o -name '*.sh' 2>/dev/null)
build: $(PROGRAM)
$(PROGRAM): $(PROGRAM_SOURCES)
	@$(call step,program binary (a first build compiles the SDKs: about a minute))
	@$(GO) build -o $@ .

# provider: the Pulumi package's plugin, pulumi-resource-mysql-client-server
# (a module of its own, provider/, so that the library's go.mod stays free
# of pulumi/pkg), and its plugin tarball, which `pulumi plugin install
# resource mysql-client-server $(PROVIDER_VERSION) --file <tarball>` takes
# offline. The version is provider/pulumipkg/version.go's alone.
PROVIDER_VERSION := $(shell sed -n 's/^const Version = "\(.*\)"$$/\1/p' provider/pulumipkg/version.go)
PROVIDER_BIN := .tools/provider/pulumi-resource-mysql-client-server
PROVIDER_ARCH := $(shell uname -m | sed 's/^x86_64$$/amd64/; s/^aarch64$$/arm64/')
PROVIDER_TARBALL := .tools/dist/pulumi-resource-mysql-client-server-v$(PROVIDER_VERSION)-linux-$(PROVIDER_ARCH).tar.gz
PROVIDER_SOURCES := $(PROGRAM_SOURCES) $(shell find provider -name '*.go' -not -path 'provider/sdk/*' -o -name 'go.*' -not -path 'provider/sdk/*' -o -name docs.json 2>/dev/null)
provider: $(PROVIDER_TARBALL)
	@echo $(PROVIDER_TARBALL)
$(PROVIDER_BIN): $(PROVIDER_SOURCES)
	@$(call step,the package's plugin v$(PROVIDER_VERSION) (a first build compiles pulumi/pkg: about 2 minutes))
	@$(GO) -C provider build -o ../$@ .
$(PROVIDER_TARBALL): $(PROVIDER_BIN)
	@mkdir -p $(@D) && tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	cp $< "$$tmp/" && tar -czf $@.partial -C "$$tmp" pulumi-resource-mysql-client-server && mv -f $@.partial $@

# sdk: the Go doc comments the schema's descriptions come from
# (provider/pulumipkg/docs.json), the schema the plugin serves
# (provider/schema.json), and the TypeScript, Python and Go SDKs generated
# from it (provider/sdk), with the code generators `pulumi package gen-sdk`
# runs (provider/internal/sdkgen says why not through it). They are
# committed, never edited by hand: provider/sdk_test.go fails when they
# differ from what this target writes.
sdk:
	@$(call step,the schema and its SDKs into provider/)
	@$(GO) -C provider generate . && $(GO) -C provider run ./gensdk .

# sdk-nodejs: the TypeScript SDK built and packed into .tools/dist, for
# `npm install <tarball>` in a program (its dependencies come from npm). It
# prints the tarball's path; the tarball is made again when the SDK changes.
NODEJS_SDK_TARBALL := .tools/dist/mysql-client-server-mysql-client-server-$(PROVIDER_VERSION).tgz
sdk-nodejs: $(NODEJS_SDK_TARBALL)
	@echo $(NODEJS_SDK_TARBALL)
$(NODEJS_SDK_TARBALL): scripts/pack-nodejs-sdk.sh $(shell find provider/sdk/nodejs -type f -not -path '*/node_modules/*' 2>/dev/null)
	@$(call step,the TypeScript SDK: npm install and tsc in a scratch copy)
	@bash scripts/pack-nodejs-sdk.sh provider/sdk/nodejs .tools/dist >/dev/null

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) -C provider vet ./...
	shellcheck $$(git ls-files '*.sh' 2>/dev/null || find . -name '*.sh' -not -path './.pulumi-state/*')
	shfmt -d $$(git ls-files '*.sh' 2>/dev/null || find . -name '*.sh' -not -path './.pulumi-state/*')

# check: the quick check, without root: lint and the wiring tests (every
# package but ./tests, and the package's provider/), in about a minute.
# make test is the full suite.
check: lint
	$(GO) test -count=1 $$($(GO) list ./... | grep -v '/tests$$')
	$(GO) -C provider test -count=1 ./...

# The local stack's tests (./tests) run once per engine; TEST_ENGINES=mysql
# (or mariadb) runs one, for a quicker run. Everything else runs once.
TEST_ENGINES ?= mysql mariadb
test: deps lint tools
	$(GO) test -count=1 -timeout 10m $$($(GO) list ./... | grep -v '/tests$$')
	$(GO) -C provider test -count=1 -timeout 10m ./...
	@for e in $(TEST_ENGINES); do \
		$(call step,the local stack's tests on engine $$e); \
		MCS_TEST_ENGINE=$$e $(GO) test -count=1 -timeout 40m ./tests/ || exit 1; \
	done

# bench measures cold up, no-op up and down under the real engine, for each
# engine (mysql, mariadb), with 1, 8 and 32 clients and with 0, 1 and 3
# replicas (BENCH_ARGS="-runs 5 -clients 1,8 -replicas 0,3 -engines mysql"),
# and writes tests/bench/bench.md, bench-<engine>.svg and replicas.md.
BENCH_ARGS ?=
bench: deps tools
	$(GO) run ./tests/bench $(BENCH_ARGS)

up: deps tools build
	@source $(PULUMI_ENV) && ensure_stack $(STACK) && \
	$(call step,pulumi up --stack $(STACK)) && \
	pulumi up --yes --skip-preview --stack $(STACK)
	@$(MAKE) --no-print-directory outputs
	@$(call step,done)

outputs:
	@source $(PULUMI_ENV) && save_key $(STACK) $(KEY) && \
	echo && echo "Deployed. Open a mysql shell on the client with:  make client" && \
	echo "Shells:  make ssh HOST=mysql_server   make ssh HOST=mysql_client" && \
	echo "Tear down with:  make down"

# client: a plain `mysql` on the client logs in through its ~/.my.cnf.
client:
	@source $(PULUMI_ENV) && save_key $(STACK) $(KEY) && ssh_to $(STACK) $(KEY) $(HOST) mysql

ssh:
	@source $(PULUMI_ENV) && save_key $(STACK) $(KEY) && ssh_to $(STACK) $(KEY) $(HOST)

preview: tools build
	@source $(PULUMI_ENV) && ensure_stack $(STACK) && pulumi preview --stack $(STACK)

# verify re-runs the proofs (each client's TLS login, the operator's closed
# port) against the live hosts, and prints them.
verify: tools build
	@source $(PULUMI_ENV) && pulumi config set --stack $(STACK) verifyRun "$$(date -u +%Y%m%dT%H%M%SZ)" && \
	pulumi up --yes --skip-preview --stack $(STACK) && pulumi stack output --stack $(STACK) proofs --json && \
	pulumi stack output --stack $(STACK) operatorCheck

# restore restores the server's backups onto the restore host,
# mysql_restore (added for the run when the stack has none: restoreHost),
# and starts a server of its own there (its socket is printed): the live
# server is not touched. AT is latest (the default), a backup's name
# (20261201T163000Z), time=2026-12-01T16:30:00Z or gtid=<GTID set>; STOP=yes
# stops it again once checked, and removes a restore host the run added.
AT ?= latest
# check_at TARGET refuses an AT that is not a restore target's form before
# anything runs (the server's script checks it in full).
check_at = [[ "$(AT)" =~ ^[A-Za-z0-9:=.,_-]+$$ ]] || { echo "make $(1): AT=$(AT): expected latest, a backup's name, time=2026-12-01T16:30:00Z or gtid=<GTID set>" >&2; exit 2; }
restore: tools build
	@$(call check_at,restore)
	@source $(PULUMI_ENV) && restore_on_host $(STACK) $(KEY) '$(AT)' '$(STOP)'

# restore-in-place restores the server itself to AT (latest, a backup's
# name, time=2026-12-01T16:30:00Z or gtid=<GTID set>): writes stop, the
# binary logs are archived, the restored data replaces the server's (the old
# is kept until the restored rows are checked), and the replicas are seeded
# again from it.
restore-in-place: tools build
	@$(call check_at,restore-in-place)
	@source $(PULUMI_ENV) && restore_in_place $(STACK) $(KEY) '$(AT)'

down: tools build
	@source $(PULUMI_ENV) && keep_backups $(STACK) && pulumi destroy --yes --stack $(STACK) && rm -f $(KEY)

# clean-image removes the images of the mysql engine's hosts: a cache that
# make down keeps and the next make up builds again (about 60 s). It refuses
# while a host still runs in one.
IMAGE_CACHE := /var/cache/mysql-client-server
clean-image:
	@for p in /proc/[0-9]*; do \
		case "$$(readlink $$p/root 2>/dev/null)" in \
		$(IMAGE_CACHE)/*) echo "make clean-image: pid $${p#/proc/} still runs in $$(readlink $$p/root): make down first" >&2; exit 1 ;; \
		esac; \
	done
	rm -rf --one-file-system $(IMAGE_CACHE)/images

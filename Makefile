# Leeds Care Record platform: the commands a newcomer needs.
#   make run    bring up PostgreSQL and Redis, build, migrate, seed, start every service
#   make test   bring up PostgreSQL and Redis, run every test against them
#   make lint   buf lint (STANDARD) and format check of protos/; buf breaking against the last release (and main on branches)
#   make bench  benchmarks (never part of make test)
#   make bench-scale  read latency as the store grows: 10k/100k/900k filler patients bulk-loaded (SCALE_SIZES); about 30 min
#   make soak   real processes at a steady rate for SOAK_MINUTES (10): memory, threads, errors flat?
#   make fuzz   the gateway wire fuzz, longer than in make test (FUZZ_ITERATIONS, FUZZ_SEED)
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help run test lint build infra infra-down infra-status infra-destroy bench bench-scale soak fuzz clean

help:
	@sed -n '1,8p' Makefile | sed 's/^# \{0,1\}//'

run:
	@scripts/run.sh

test:
	@scripts/test.sh

lint:
	@scripts/lint.sh

build:
	@scripts/require-dotnet.sh && dotnet build lcr-platform.sln -c Release

infra:
	@scripts/infra.sh up

infra-down:
	@scripts/infra.sh down

infra-status:
	@scripts/infra.sh status

infra-destroy:
	@scripts/infra.sh destroy

bench:
	@scripts/bench.sh

bench-scale:
	@scripts/bench-scale.sh

soak:
	@scripts/soak.sh

fuzz:
	@scripts/fuzz.sh

clean:
	@dotnet clean lcr-platform.sln >/dev/null; find . -type d \( -name bin -o -name obj \) -prune -exec rm -rf {} +

# The two commands a newcomer needs:
#   make demo   build everything and run the demo (an example app, in-process)
#   make test   install what the tests need, build, run every suite
SHELL := /bin/bash
.DEFAULT_GOAL := demo

.PHONY: demo test build deps test-deps swift cmake bench clean

deps:
	scripts/install-deps.sh --build-only

test-deps:
	scripts/install-deps.sh

swift:
	swift build -c release --product annaruntime
	swift build -c release --product anna-bridge
	swift build -c release --product anna-example-executa

cmake: swift
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build -j2
	bindings/node/build.sh

build: deps cmake

demo: build
	./build/anna-demo

test: test-deps build
	scripts/test-all.sh

bench: build
	.venv-ref/bin/python bench/run.py

clean:
	rm -rf build .build

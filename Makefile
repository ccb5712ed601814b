# fpgm-notebook: the two set-up commands are `make run` and `make test`.
# Both install the Debian packages the build links against when they are missing
# (with apt-get as root, or through sudo), then build with the Swift toolchain.

PACKAGES := pkg-config libcmark-dev libopenblas-dev libzip-dev libyaml-dev libssl-dev libarchive-dev
FPGM := .build/release/fpgm
export FPGM_WEIGHTS_DIR ?= $(abspath ../shared/weights)
export FPGM_DATA_DIR ?= $(abspath ../shared/cifar10)

FUZZ_SECONDS ?= 600
FUZZ_READERS ?= npy npz safetensors torch-legacy torch-zip compact cifar-binary cifar-python cifar-archive
FUZZ_FLAGS := -sanitize=fuzzer,address -parse-as-library -O \
	-I Sources/CBLAS -I Sources/CZip -I Sources/CCrypto -I Sources/CArchive -I .build/fuzz $$(pkg-config --cflags-only-I openblas | sed 's/-I/-Xcc -I/g')

.PHONY: run test setup browser build bench fuzz clean

setup:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "Missing Debian packages:$$missing; install them with apt-get and run again." >&2; exit 1; fi; \
	fi

build: setup
	swift build -c release --product fpgm

# Renders the notebooks of notebooks/ as one site into output/ (HTML, Markdown, JSON, an index page). --no-cache keeps the
# committed reports independent of a local cache; CI renders again and compares.
run: build
	$(FPGM) render notebooks -o output --to html,md,json,ipynb --no-cache --quiet
	@echo "Rendered notebooks/ into output/"

# The browser test of the HTML report needs Chromium; it is installed when it can be and skipped otherwise.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq >/dev/null 2>&1; sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; fi; \
	  command -v chromium >/dev/null 2>&1 || echo "Chromium could not be installed: the browser test will be skipped."; }

test: setup browser
	swift test
	sh Tools/check_kernel_symbols.sh .build/debug

# Speed and memory goals: selection against the official way (numpy + scipy), checkpoint loading, rendering,
# the forward pass and evaluation against ONNX Runtime, training against PyTorch.
bench: setup
	swift run -c release fpgm-bench selection
	swift run -c release fpgm-bench loading
	swift run -c release fpgm-bench render
	swift run -c release fpgm-bench site
	swift run -c release fpgm-bench preview
	swift run -c release fpgm-bench jupyter
	swift run -c release fpgm-bench forward
	swift run -c release fpgm-bench evaluate
	swift run -c release fpgm-bench train

# Fuzz every checkpoint and image-data reader and the compact-file checks with libFuzzer and AddressSanitizer,
# FUZZ_SECONDS each (default 600), starting from the seed corpus in Fuzz/corpus; logs and findings stay
# in .build/fuzz.
fuzz: setup
	@mkdir -p .build/fuzz
	@for module in Digest ConvolutionKernels; do \
	  swiftc $(FUZZ_FLAGS) -module-name $$module -emit-module -emit-module-path .build/fuzz/$$module.swiftmodule \
	    -emit-library -static Sources/$$module/*.swift -o .build/fuzz/lib$$module.a || exit 1; \
	done
	@for reader in $(FUZZ_READERS); do \
	  echo "fuzz: building $$reader"; \
	  swiftc $(FUZZ_FLAGS) -module-name FuzzTarget $$(find Sources/FPGM -name '*.swift') Fuzz/$$reader.swift Fuzz/Scratch.swift \
	    -L .build/fuzz -lDigest -lConvolutionKernels $$(pkg-config --libs openblas libzip libcrypto libarchive) -o .build/fuzz/$$reader || exit 1; \
	  mkdir -p .build/fuzz/corpus-$$reader; \
	  (cd .build/fuzz && ./$$reader -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=10 \
	    -artifact_prefix=$$reader- corpus-$$reader ../../Fuzz/corpus/$$reader > $$reader.log 2>&1) \
	    || { tail -n 30 .build/fuzz/$$reader.log; exit 1; }; \
	  echo "fuzz: $$reader: $$(grep -E '^Done' .build/fuzz/$$reader.log)"; \
	done

clean:
	rm -rf .build .fpgm-cache

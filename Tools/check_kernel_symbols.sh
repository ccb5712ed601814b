#!/bin/sh
# The kernels are compiled for AVX-512 (KernelsAVX512), for AVX2 (KernelsAVX2) and, the batch-norm
# loops, for the baseline x86-64 (KernelsBaseline). A code symbol that such a module defines outside
# its own names (a specialization of code inlinable from another module, say) carries the same name in every module that emits it, and the linker keeps
# one copy: possibly the AVX-512 one, which would then run on processors without AVX-512. This fails
# when a kernel module's objects define a global code symbol other than its own and the Swift
# runtime's scalar helpers, which every module emits alike.
# Usage: sh Tools/check_kernel_symbols.sh [build directory, default .build/debug]
set -eu
build="${1:-.build/debug}"
status=0
for module in KernelsAVX512 KernelsAVX2 KernelsBaseline; do
  prefix="${#module}${module}"
  for source in Sources/"$module"/*.swift; do
    object="$build/$module.build/$(basename "$source").o"
    [ -f "$object" ] || { echo "$object is missing: build first" >&2; exit 1; }
    foreign=$(nm --defined-only "$object" | awk '$2 == "T" || $2 == "W" { print $3 }' \
      | grep -v -e "$prefix" -e '^__swift_instantiateConcreteTypeFromMangledName' || true)
    if [ -n "$foreign" ]; then
      echo "$object defines code under names other modules can define too:" >&2
      echo "$foreign" >&2
      status=1
    fi
  done
done
[ "$status" = 0 ] && echo "Kernel modules define only their own code symbols ($build)"
exit "$status"

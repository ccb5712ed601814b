// swift-tools-version:6.0
import PackageDescription

/// A system library from a Debian package, found through pkg-config.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([apt])])
}

/// The kernels' sources are compiled once for each instruction set, in a module of its own
/// (KernelsAVX2 links KernelsAVX512's files, KernelsBaseline its batch-norm loops, for processors
/// with neither set): Swift has no per-function target attribute. On x86-64 the engine calls the set
/// the processor has; elsewhere convolutions use OpenBLAS and batch norms the baseline. They are
/// optimised in debug builds too: unoptimised vector code is a hundred times slower.
func kernelSettings(targetCPU: String?, wideRegisters: Bool) -> [SwiftSetting] {
    #if arch(x86_64)
    let flags = (targetCPU.map { ["-target-cpu", $0] } ?? []) + ["-O"]
    #else
    let flags = ["-O"]
    #endif
    return [.unsafeFlags(flags)] + (wideRegisters ? [.define("WIDE_REGISTERS")] : [])
}

let package = Package(
    name: "fpgm-notebook",
    products: [
        .executable(name: "fpgm", targets: ["fpgm"]),
        .executable(name: "fpgm-bench", targets: ["fpgm-bench"]),
        .library(name: "FPGM", targets: ["FPGM"]),
    ],
    targets: [
        systemLibrary("CCMark", pkgConfig: "libcmark", apt: "libcmark-dev"),
        // OpenBLAS is opened at run time, after its settings are chosen (BLASRuntime): headers only.
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),
        systemLibrary("CZip", pkgConfig: "libzip", apt: "libzip-dev"),
        systemLibrary("CYAML", pkgConfig: "yaml-0.1", apt: "libyaml-dev"),
        systemLibrary("CCrypto", pkgConfig: "libcrypto", apt: "libssl-dev"),
        systemLibrary("CArchive", pkgConfig: "libarchive", apt: "libarchive-dev"),
        .target(name: "Digest", dependencies: ["CCrypto"]),
        .target(name: "ConvolutionKernels"),
        .target(name: "KernelsAVX512", dependencies: ["ConvolutionKernels"],
                swiftSettings: kernelSettings(targetCPU: "skylake-avx512", wideRegisters: true)),
        .target(name: "KernelsAVX2", dependencies: ["ConvolutionKernels"], swiftSettings: kernelSettings(targetCPU: "haswell", wideRegisters: false)),
        .target(name: "KernelsBaseline", dependencies: ["ConvolutionKernels"], swiftSettings: kernelSettings(targetCPU: nil, wideRegisters: false)),
        .target(name: "FPGM", dependencies: ["CArchive", "CBLAS", "ConvolutionKernels", "CZip", "Digest", "KernelsAVX2", "KernelsAVX512",
                                             "KernelsBaseline"]),
        .target(name: "Notebook", dependencies: ["CCMark", "CYAML", "Digest", "Report"]),
        .target(name: "Report"),
        .target(name: "Analyses", dependencies: ["Digest", "FPGM", "Notebook", "Report"]),
        .executableTarget(name: "fpgm", dependencies: ["Analyses", "Digest", "FPGM", "Notebook", "Report"]),
        .executableTarget(name: "fpgm-bench", dependencies: ["FPGM"]),
        .testTarget(name: "AnalysesTests", dependencies: ["Analyses", "FPGM", "Notebook", "Report"]),
        .testTarget(name: "FPGMTests", dependencies: ["Digest", "FPGM"]),
        .testTarget(name: "NotebookTests", dependencies: ["Digest", "Notebook", "Report"]),
        .testTarget(name: "ReportTests", dependencies: ["Report"]),
        .testTarget(name: "fpgmTests", dependencies: ["fpgm"]),
    ]
)

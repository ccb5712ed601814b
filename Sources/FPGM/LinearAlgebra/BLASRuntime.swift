import CBLAS
import Foundation

/// OpenBLAS, opened on first use rather than linked.
///
/// OpenBLAS fixes two settings when it loads, from environment variables only, so the library is
/// opened at run time after they are chosen:
/// - Kernels: builds that predate a processor (Debian 12 ships 0.3.21, which does not know Sapphire
///   Rapids) fall back to the oldest x86-64 kernels ("Prescott", SSE3), several times slower than the
///   processor allows. When that happens and the user chose no `OPENBLAS_CORETYPE`, the library is
///   closed and opened again with the newest family the processor's flags support (`upgradedKernels`).
/// - Threads: OpenBLAS starts a thread per core at load time, and each spins for about 2^28 cycles
///   waiting for work, taking a core from the program. Programs that spread independent BLAS calls over
///   the cores themselves (as `FilterSelector.plan` spreads layers) call `preferSingleThreaded()` first.
///
/// Programs that never compute (a cached render, `--help`) never load it.
public struct BLASRuntime: @unchecked Sendable {
    let sgemm: cblas_sgemm_function
    let dgemm: cblas_dgemm_function
    let ssyrk: cblas_ssyrk_function
    let dsyrk: cblas_dsyrk_function
    let corename: openblas_get_corename_function

    /// The library's file name on Debian and most Linux distributions.
    static let libraryName = "libopenblas.so.0"

    /// The loaded library; the first use opens it, and a system without it ends the program with exit
    /// code 3 and a sentence naming the library, as the dynamic loader would at start-up.
    public static let shared: BLASRuntime = {
        do {
            return try load()
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            exit(3)
        }
    }()

    /// The kernel family OpenBLAS runs, for example "SkylakeX" or "Haswell".
    public static var coreName: String {
        shared.corename().map { String(cString: $0) } ?? "unknown"
    }

    /// Asks for one BLAS thread per call (`OPENBLAS_NUM_THREADS=1`) unless the user set a thread count;
    /// takes effect only before the first use of `shared`.
    public static func preferSingleThreaded(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if environment["OPENBLAS_NUM_THREADS"] == nil, environment["OMP_NUM_THREADS"] == nil {
            setenv("OPENBLAS_NUM_THREADS", "1", 1)
        }
    }

    /// Kernel families older than AVX2.
    static let preAVX2Cores: Set<String> = ["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Katmai",
                                            "Coppermine", "Northwood", "Banias", "Sandybridge"]

    /// The family to ask for when OpenBLAS chose pre-AVX2 kernels and the user chose none: "SkylakeX"
    /// on processors with AVX-512 (F, BW, VL and DQ, which its kernels use), "Haswell" on processors with
    /// AVX2 and FMA; nil when the choice stands.
    static func upgradedKernels(environment: [String: String], coreName: String, cpuFlags: Set<String>) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, preAVX2Cores.contains(coreName),
              cpuFlags.isSuperset(of: ProcessorFeatures.avx2) else { return nil }
        return cpuFlags.isSuperset(of: ProcessorFeatures.avx512) ? "SkylakeX" : "Haswell"
    }

    /// Opens the library, and opens it again with `upgradedKernels` when those apply.
    static func load() throws(LoadError) -> BLASRuntime {
        let first = try open()
        let chosen = first.runtime.corename().map { String(cString: $0) } ?? ""
        guard let better = upgradedKernels(environment: ProcessInfo.processInfo.environment, coreName: chosen,
                                           cpuFlags: ProcessorFeatures.flags) else { return first.runtime }
        dlclose(first.handle)
        setenv("OPENBLAS_CORETYPE", better, 1)
        return try open().runtime
    }

    static func open() throws(LoadError) -> (handle: UnsafeMutableRawPointer, runtime: BLASRuntime) {
        guard let handle = dlopen(libraryName, RTLD_NOW | RTLD_LOCAL) else {
            throw LoadError(description: "cannot open OpenBLAS (\(libraryName)): \(String(cString: dlerror())); install Debian's libopenblas0")
        }
        func symbol<Function>(_ name: String, as: Function.Type) throws(LoadError) -> Function {
            guard let address = dlsym(handle, name) else {
                throw LoadError(description: "OpenBLAS (\(libraryName)) has no function '\(name)'")
            }
            return unsafeBitCast(address, to: Function.self)
        }
        return (handle, BLASRuntime(sgemm: try symbol("cblas_sgemm", as: cblas_sgemm_function.self),
                                    dgemm: try symbol("cblas_dgemm", as: cblas_dgemm_function.self),
                                    ssyrk: try symbol("cblas_ssyrk", as: cblas_ssyrk_function.self),
                                    dsyrk: try symbol("cblas_dsyrk", as: cblas_dsyrk_function.self),
                                    corename: try symbol("openblas_get_corename", as: openblas_get_corename_function.self)))
    }

    struct LoadError: Error, CustomStringConvertible {
        let description: String
    }
}

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
/// Programs that never compute (a cached render, `--help`) never load it. A program calls `load()`
/// before computing, to learn as an error that the library is missing; the engine's own calls use
/// the library `load()` opened. This is the one file that sees the C interface: the rest of the engine
/// calls the products below.
public struct BLASRuntime: @unchecked Sendable {
    let sgemm: cblas_sgemm_function
    let dgemm: cblas_dgemm_function
    let ssyrk: cblas_ssyrk_function
    let dsyrk: cblas_dsyrk_function
    let corename: openblas_get_corename_function

    /// The library's file name on Debian and most Linux distributions.
    static let libraryName = "libopenblas.so.0"

    /// The library, opened once: by the first `load()` or, in a program that did not call it, by the
    /// engine's first product.
    private static let opened: Result<BLASRuntime, LoadError> = Result { () throws(LoadError) in try openChoosingKernels() }

    /// Opens the library if it is not open yet; fails with a sentence naming the library when the
    /// system does not have it.
    public static func load() throws(LoadError) { _ = try opened.get() }

    /// The opened library. A program that computes without calling `load()` first on a system without
    /// OpenBLAS stops here, with the sentence `load()` would have thrown.
    static var shared: BLASRuntime {
        switch opened {
        case let .success(runtime): return runtime
        case let .failure(error): preconditionFailure("\(error) (call BLASRuntime.load() before computing to handle this)")
        }
    }

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
    static func openChoosingKernels() throws(LoadError) -> BLASRuntime {
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

    /// Why OpenBLAS cannot be used, as one sentence.
    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }
}

extension BLASRuntime {
    /// C = A B in Float32, row-major: A is m x k (row stride lda), B is k x n (row stride ldb), C is
    /// m x n (row stride ldc), overwritten.
    static func multiply(m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                         into c: UnsafeMutablePointer<Float>, ldc: Int) {
        multiply(m: m, n: n, k: k, a, lda: lda, transposingA: false, b, ldb: ldb, transposingB: false, into: c, ldc: ldc)
    }

    /// C = op(A) op(B) + beta C in Float32, row-major, op(X) = X^T where asked: op(A) is m x k, op(B) is
    /// k x n, C is m x n (beta 0 overwrites it, 1 accumulates); lda, ldb and ldc are the row strides of
    /// A, B and C as stored.
    static func multiply(m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int, transposingA: Bool, _ b: UnsafePointer<Float>,
                         ldb: Int, transposingB: Bool, into c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float = 0) {
        shared.sgemm(CblasRowMajor, transposingA ? CblasTrans : CblasNoTrans, transposingB ? CblasTrans : CblasNoTrans,
                     Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// C = A B^T in Float64, row-major: A is m x k, B is n x k (both dense), C is m x n, overwritten.
    static func multiplyTransposed(m: Int, n: Int, k: Int, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>,
                                   into c: UnsafeMutablePointer<Double>) {
        shared.dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(k), 0, c, Int32(n))
    }

    /// The upper triangle of the Gram matrix G = X X^T of the n rows of X (n x d, dense), in Float32;
    /// G is n x n and its lower triangle is left as it was.
    static func gram(n: Int, d: Int, _ x: UnsafePointer<Float>, into g: UnsafeMutablePointer<Float>) {
        shared.ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(d), 1, x, Int32(d), 0, g, Int32(n))
    }

    /// The same in Float64.
    static func gram(n: Int, d: Int, _ x: UnsafePointer<Double>, into g: UnsafeMutablePointer<Double>) {
        shared.dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(d), 1, x, Int32(d), 0, g, Int32(n))
    }
}

import CBLAS
import Foundation

/// Which OpenBLAS kernels this process runs, and a remedy for one known misdetection.
///
/// OpenBLAS picks its kernels when the library loads, from the processor's model number. Builds that
/// predate a processor (Debian 12 ships 0.3.21, which does not know Sapphire Rapids) fall back to the
/// oldest x86-64 kernels ("Prescott", SSE3), several times slower than the processor allows. The
/// choice can only be changed before the library loads, through the `OPENBLAS_CORETYPE` variable;
/// `upgradedEnvironment()` says which value to restart with.
public enum BLASRuntime {
    /// The kernel family OpenBLAS chose, for example "Haswell" or "Prescott".
    public static var coreName: String {
        openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    }

    /// Kernel families older than AVX2.
    static let preAVX2Cores: Set<String> = ["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Katmai",
                                            "Coppermine", "Northwood", "Banias", "Sandybridge"]

    /// `OPENBLAS_CORETYPE=Haswell` when OpenBLAS chose pre-AVX2 kernels on a processor that has AVX2
    /// and FMA and the user set no core type; nil otherwise. Haswell's kernels use only AVX2 and FMA,
    /// so they are correct on every such processor.
    public static func upgradedEnvironment(environment: [String: String] = ProcessInfo.processInfo.environment,
                                           coreName: String = coreName,
                                           cpuFlags: Set<String> = cpuFlags()) -> (name: String, value: String)? {
        guard environment["OPENBLAS_CORETYPE"] == nil, preAVX2Cores.contains(coreName),
              cpuFlags.isSuperset(of: ["avx2", "fma"]) else { return nil }
        return ("OPENBLAS_CORETYPE", "Haswell")
    }

    /// The processor's feature flags from /proc/cpuinfo (empty where there is none).
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// Replaces this process by a fresh start of the same executable with the same arguments and
    /// `upgradedEnvironment()` set, when there is one; returns when there is nothing to do (or the
    /// restart fails, in which case the current kernels serve).
    public static func restartWithFasterKernelsIfNeeded() {
        guard let (name, value) = upgradedEnvironment(), let executable = Bundle.main.executablePath else { return }
        setenv(name, value, 1)
        var arguments = ([executable] + CommandLine.arguments.dropFirst()).map { strdup($0) } + [nil]
        execv(executable, &arguments)
    }

    /// Makes every BLAS call of this process run on the calling thread alone. For programs that spread
    /// independent BLAS calls over the cores themselves (as `FilterSelector.plan` spreads layers):
    /// OpenBLAS's own threads would otherwise wait for work while competing with the callers for cores.
    /// Call it once, before any concurrent BLAS use.
    public static func useOneThreadPerCall() {
        openblas_set_num_threads(1)
    }
}

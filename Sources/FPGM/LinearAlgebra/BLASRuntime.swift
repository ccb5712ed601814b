import CBLAS
import Foundation

/// How OpenBLAS runs in this process: which kernels it chose, and how many threads it keeps.
///
/// Both are fixed when the library loads, before `main`, and can only be set through environment
/// variables, so a program that needs other settings restarts itself once with them
/// (`configureAndRestartIfNeeded`):
/// - Kernels: builds that predate a processor (Debian 12 ships 0.3.21, which does not know Sapphire
///   Rapids) fall back to the oldest x86-64 kernels ("Prescott", SSE3), several times slower than the
///   processor allows; `OPENBLAS_CORETYPE=Haswell` selects kernels that need only AVX2 and FMA.
/// - Threads: OpenBLAS starts a thread per core at load time, and each spins for about 2^28 cycles
///   waiting for work, taking a core from the program. Programs that spread independent BLAS calls over
///   the cores themselves (as `FilterSelector.plan` spreads layers) want `OPENBLAS_NUM_THREADS=1`.
public enum BLASRuntime {
    /// The kernel family OpenBLAS chose, for example "Haswell" or "Prescott".
    public static var coreName: String {
        openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    }

    /// Kernel families older than AVX2.
    static let preAVX2Cores: Set<String> = ["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Katmai",
                                            "Coppermine", "Northwood", "Banias", "Sandybridge"]

    /// The variables to add to `environment` for fast kernels and, with `singleThreaded`, one BLAS
    /// thread per call: `OPENBLAS_CORETYPE=Haswell` when OpenBLAS chose pre-AVX2 kernels on a processor
    /// with AVX2 and FMA, and `OPENBLAS_NUM_THREADS=1`; a variable the user set is never overridden.
    public static func missingSettings(singleThreaded: Bool,
                                       environment: [String: String] = ProcessInfo.processInfo.environment,
                                       coreName: String = coreName,
                                       cpuFlags: Set<String> = cpuFlags()) -> [String: String] {
        var settings = [String: String]()
        if environment["OPENBLAS_CORETYPE"] == nil, preAVX2Cores.contains(coreName), cpuFlags.isSuperset(of: ["avx2", "fma"]) {
            settings["OPENBLAS_CORETYPE"] = "Haswell"
        }
        if singleThreaded, environment["OPENBLAS_NUM_THREADS"] == nil, environment["OMP_NUM_THREADS"] == nil {
            settings["OPENBLAS_NUM_THREADS"] = "1"
        }
        return settings
    }

    /// The processor's feature flags from /proc/cpuinfo (empty where there is none).
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// Replaces this process by a fresh start of the same executable, with the same arguments and the
    /// `missingSettings` added to its environment, when any are missing; returns when none are (or when
    /// the restart fails, and the current settings serve). After the restart none are missing.
    public static func configureAndRestartIfNeeded(singleThreaded: Bool) {
        let settings = missingSettings(singleThreaded: singleThreaded)
        guard !settings.isEmpty, let executable = Bundle.main.executablePath else { return }
        for (name, value) in settings { setenv(name, value, 1) }
        var arguments = ([executable] + CommandLine.arguments.dropFirst()).map { strdup($0) } + [nil]
        execv(executable, &arguments)
    }
}

import Foundation

/// The processor's feature flags, as Linux lists them in /proc/cpuinfo (empty where there is none), read
/// once: they decide which OpenBLAS kernels to ask for and whether the convolution kernels may run.
public enum ProcessorFeatures {
    public static let flags: Set<String> = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }()

    /// AVX2 with fused multiply-add: what OpenBLAS's Haswell kernels need.
    static let avx2: Set<String> = ["avx2", "fma"]
    /// The flags of Haswell's instructions, which the AVX2 convolution kernels are compiled for (LZCNT
    /// is "abm").
    static let haswell: Set<String> = ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "abm", "movbe", "popcnt", "sse4_2", "xsave"]
    /// The AVX-512 subsets that OpenBLAS's SkylakeX kernels and `DirectConvolution` use: F, BW, VL and DQ.
    static let avx512: Set<String> = ["avx512f", "avx512bw", "avx512vl", "avx512dq"]

    /// The instruction sets the kernel modules are compiled for.
    enum KernelTarget: CaseIterable {
        /// AVX-512's F, BW, VL and DQ with Haswell's instructions (KernelsAVX512).
        case avx512
        /// Haswell's: AVX2, FMA, BMI1 and 2, F16C, LZCNT, MOVBE (KernelsAVX2).
        case avx2
        /// Any processor (KernelsBaseline).
        case baseline

        /// Whether this processor has the target's instructions.
        var runsHere: Bool {
            #if arch(x86_64)
            switch self {
            case .avx512: ProcessorFeatures.flags.isSuperset(of: ProcessorFeatures.avx512.union(ProcessorFeatures.haswell))
            case .avx2: ProcessorFeatures.flags.isSuperset(of: ProcessorFeatures.haswell)
            case .baseline: true
            }
            #else
            self == .baseline
            #endif
        }
    }

    /// The widest kernel target this processor runs; `FPGM_CONVOLUTION=avx2` asks for AVX2's where
    /// AVX-512's would run.
    static let kernelTarget: KernelTarget = {
        let asked = ProcessInfo.processInfo.environment["FPGM_CONVOLUTION"]
        return KernelTarget.allCases.first { $0.runsHere && !($0 == .avx512 && asked == "avx2") }!
    }()
}

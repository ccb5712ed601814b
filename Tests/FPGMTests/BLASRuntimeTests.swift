import Foundation
import Testing
@testable import FPGM

@Suite("OpenBLAS settings")
struct BLASRuntimeTests {
    let avx2: Set<String> = ["sse2", "avx", "avx2", "fma"]
    let avx512: Set<String> = ["sse2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq"]

    @Test("pre-AVX2 kernels are upgraded to the newest family the flags support, unless the user chose")
    func kernels() {
        #expect(BLASRuntime.upgradedKernels(environment: [:], coreName: "Prescott", cpuFlags: avx2) == "Haswell")
        #expect(BLASRuntime.upgradedKernels(environment: [:], coreName: "Prescott", cpuFlags: avx512) == "SkylakeX")
        #expect(BLASRuntime.upgradedKernels(environment: [:], coreName: "Prescott", cpuFlags: avx2.union(["avx512f"])) == "Haswell")
        #expect(BLASRuntime.upgradedKernels(environment: ["OPENBLAS_CORETYPE": "Prescott"], coreName: "Prescott", cpuFlags: avx512) == nil)
        #expect(BLASRuntime.upgradedKernels(environment: [:], coreName: "Haswell", cpuFlags: avx512) == nil)
        #expect(BLASRuntime.upgradedKernels(environment: [:], coreName: "Prescott", cpuFlags: ["sse2", "avx"]) == nil)
    }

    @Test("the library opens on first use, on the kernels this machine's flags call for")
    func live() {
        let flags = ProcessorFeatures.flags
        #expect(flags.contains("sse2"))
        let name = BLASRuntime.coreName
        #expect(!name.isEmpty && name != "unknown")
        if flags.isSuperset(of: ["avx2", "fma"]), ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil { #expect(!BLASRuntime.preAVX2Cores.contains(name)) }
    }
}

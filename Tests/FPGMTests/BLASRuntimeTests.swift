import Testing
@testable import FPGM

@Suite("OpenBLAS kernel choice")
struct BLASRuntimeTests {
    @Test("pre-AVX2 kernels on an AVX2 + FMA processor are upgraded to Haswell, unless the user chose")
    func upgrade() {
        let avx2: Set<String> = ["sse2", "avx", "avx2", "fma"]
        #expect(BLASRuntime.upgradedEnvironment(environment: [:], coreName: "Prescott", cpuFlags: avx2)! == ("OPENBLAS_CORETYPE", "Haswell"))
        #expect(BLASRuntime.upgradedEnvironment(environment: ["OPENBLAS_CORETYPE": "Prescott"], coreName: "Prescott", cpuFlags: avx2) == nil)
        #expect(BLASRuntime.upgradedEnvironment(environment: [:], coreName: "SkylakeX", cpuFlags: avx2) == nil)
        #expect(BLASRuntime.upgradedEnvironment(environment: [:], coreName: "Prescott", cpuFlags: ["sse2", "avx"]) == nil)
    }

    @Test("the live library reports a kernel family and this machine's flags are read")
    func live() {
        #expect(!BLASRuntime.coreName.isEmpty && BLASRuntime.coreName != "unknown")
        #expect(BLASRuntime.cpuFlags().contains("sse2"))
    }
}

import Testing
@testable import FPGM

@Suite("OpenBLAS settings")
struct BLASRuntimeTests {
    let avx2: Set<String> = ["sse2", "avx", "avx2", "fma"]

    @Test("pre-AVX2 kernels on an AVX2 + FMA processor are upgraded to Haswell, unless the user chose")
    func kernels() {
        #expect(BLASRuntime.missingSettings(singleThreaded: false, environment: [:], coreName: "Prescott", cpuFlags: avx2) == ["OPENBLAS_CORETYPE": "Haswell"])
        #expect(BLASRuntime.missingSettings(singleThreaded: false, environment: ["OPENBLAS_CORETYPE": "Prescott"], coreName: "Prescott", cpuFlags: avx2).isEmpty)
        #expect(BLASRuntime.missingSettings(singleThreaded: false, environment: [:], coreName: "SkylakeX", cpuFlags: avx2).isEmpty)
        #expect(BLASRuntime.missingSettings(singleThreaded: false, environment: [:], coreName: "Prescott", cpuFlags: ["sse2", "avx"]).isEmpty)
    }

    @Test("single-threaded programs ask for one BLAS thread, unless the user set a thread count")
    func threads() {
        #expect(BLASRuntime.missingSettings(singleThreaded: true, environment: [:], coreName: "Haswell", cpuFlags: avx2) == ["OPENBLAS_NUM_THREADS": "1"])
        #expect(BLASRuntime.missingSettings(singleThreaded: true, environment: ["OPENBLAS_NUM_THREADS": "2"], coreName: "Haswell", cpuFlags: avx2).isEmpty)
        #expect(BLASRuntime.missingSettings(singleThreaded: true, environment: ["OMP_NUM_THREADS": "2"], coreName: "Haswell", cpuFlags: avx2).isEmpty)
        #expect(BLASRuntime.missingSettings(singleThreaded: true, environment: [:], coreName: "Prescott", cpuFlags: avx2).count == 2)
    }

    @Test("the live library reports a kernel family and this machine's flags are read")
    func live() {
        #expect(!BLASRuntime.coreName.isEmpty && BLASRuntime.coreName != "unknown")
        #expect(BLASRuntime.cpuFlags().contains("sse2"))
    }
}

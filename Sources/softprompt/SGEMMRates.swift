import SoftPromptTensor

/// The one-thread sgemm rates a benchmark's MFU is measured against, timed in the same run: the library
/// serving the step, and OpenBLAS's too when MKL serves (the M8 goals state MFU against OpenBLAS's rate).
struct SGEMMRates {
    /// The serving library's sgemm (best of the repeats).
    let serving: SGEMMBenchmark.Result
    /// OpenBLAS's, when another library serves; nil when OpenBLAS serves (then it is `serving`).
    let openBLAS: SGEMMBenchmark.Result?

    static func measure(m: Int, n: Int, k: Int, repeats: Int) -> SGEMMRates {
        let serving = SGEMMBenchmark.measure(m: m, n: n, k: k, repeats: repeats)
        let openBLAS = BLAS.library == .openBLAS ? nil
            : SGEMMBenchmark.measure(m: m, n: n, k: k, repeats: repeats, openBLAS: true)
        return SGEMMRates(serving: serving, openBLAS: openBLAS)
    }

    /// JSON fields: the library, its rate and, given an achieved rate, MFU (`mfuKey`) against each.
    func fields(achieved gflops: Double? = nil, mfuKey: String = "mfu") -> [String: Any] {
        var fields: [String: Any] = ["blas": BLAS.name, "sgemm_gflops": serving.bestGFLOPS]
        if let gflops { fields[mfuKey] = gflops / serving.bestGFLOPS }
        if let openBLAS {
            fields["openblas_sgemm_gflops"] = openBLAS.bestGFLOPS
            if let gflops { fields[mfuKey + "_openblas"] = gflops / openBLAS.bestGFLOPS }
        }
        return fields
    }

    /// "MFU 0.82", or with MKL serving "MFU 0.82 (0.97 against OpenBLAS)", for an achieved rate.
    func mfuText(achieved gflops: Double, name: String = "MFU") -> String {
        var text = String(format: "%@ %.2f", name, gflops / serving.bestGFLOPS)
        if let openBLAS { text += String(format: " (%.2f against OpenBLAS)", gflops / openBLAS.bestGFLOPS) }
        return text
    }

    /// "sgemm (MKL 2025.3) 150.2 GFLOP/s, OpenBLAS 117.0" and, given an achieved rate, " → " and `mfuText`.
    func text(achieved gflops: Double? = nil, mfuName: String = "MFU") -> String {
        var text = String(format: "sgemm (%@) %.1f GFLOP/s", BLAS.name, serving.bestGFLOPS)
        if let openBLAS { text += String(format: ", OpenBLAS %.1f", openBLAS.bestGFLOPS) }
        if let gflops { text += " → " + mfuText(achieved: gflops, name: mfuName) }
        return text
    }
}

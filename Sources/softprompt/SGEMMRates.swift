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

    var gflops: Double { serving.bestGFLOPS }

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

    /// "sgemm (MKL 2025.3) 150.2 GFLOP/s" and, given an achieved rate, " → MFU 0.70"; with MKL serving,
    /// OpenBLAS's rate and the MFU against it follow in parentheses.
    func text(achieved gflops: Double? = nil, mfuName: String = "MFU") -> String {
        var text = String(format: "sgemm (%@) %.1f GFLOP/s", BLAS.name, serving.bestGFLOPS)
        if let gflops { text += String(format: " → %@ %.2f", mfuName, gflops / serving.bestGFLOPS) }
        if let openBLAS {
            text += String(format: " (OpenBLAS %.1f GFLOP/s", openBLAS.bestGFLOPS)
            if let gflops { text += String(format: ": %@ %.2f", mfuName, gflops / openBLAS.bestGFLOPS) }
            text += ")"
        }
        return text
    }
}

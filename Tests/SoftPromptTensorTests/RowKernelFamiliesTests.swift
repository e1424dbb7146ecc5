import CKernels
import SoftPromptTensor
import SoftPromptTestSupport
import Testing

/// The C row kernels (softmax with its statistics, rebuild and backward; GELU with its slope) come in three
/// families: AVX-512, AVX2 + FMA and baseline SSE2. Training runs the best one the CPU has; each family this
/// machine can run must agree with the Float64 Swift kernels, and rebuild its own softmax bit for bit.
@Suite struct RowKernelFamiliesTests {
    static let levels = [sp_kernels_baseline, sp_kernels_avx2, sp_kernels_avx512]
    /// Row lengths around the 16-float vector: a single lane, a partial vector only, whole vectors, whole plus
    /// a tail, and BERT's 20 + 128.
    static let widths = [1, 5, 16, 17, 148]

    /// Scores of `rows` rows of `cols`, Float values: the second row fully masked (−∞), the third masked past
    /// half (as padded keys are), one score far below the maximum (its exp underflows to 0).
    static func scores(rows: Int, cols: Int, seed: UInt64) -> [Double] {
        var x = randomValues(rows * cols, seed: seed, scale: 3).floats.doubles
        for j in 0..<cols { x[cols + j] = -.infinity }
        for j in (cols + 1) / 2..<cols { x[2 * cols + j] = -.infinity }
        x[3 * cols] = -120
        return x
    }

    @Test(arguments: levels, widths)
    func softmaxKeepingStatisticsMatchesFloat64(level: sp_kernels_level, cols: Int) {
        let family = sp_kernels_family(level).pointee
        let rows = 5, x = Self.scores(rows: rows, cols: cols, seed: UInt64(cols))
        var expected = x, expectedStatistics = [Double](repeating: 0, count: 2 * rows)
        softmaxRows(&expected, rows: rows, cols: cols, statistics: &expectedStatistics)

        var p = x.floats, statistics = [Float](repeating: 7, count: 2 * rows)
        family.softmax_rows(&p, rows, cols, &statistics)
        for i in p.indices { #expect(abs(Double(p[i]) - expected[i]) < 1e-6, "entry \(i)") }
        #expect(Array(p[cols..<2 * cols]) == [Float](repeating: 0, count: cols))
        for r in 0..<rows {
            #expect(Double(statistics[2 * r]) == expectedStatistics[2 * r], "max of row \(r)")
            let inv = expectedStatistics[2 * r + 1]
            #expect(abs(Double(statistics[2 * r + 1]) - inv) <= 1e-6 * inv, "1/Σ of row \(r)")
        }
    }

    @Test(arguments: levels, widths)
    func rebuiltProbabilitiesAreTheForwardsBitForBit(level: sp_kernels_level, cols: Int) {
        let family = sp_kernels_family(level).pointee
        let rows = 5, x = Self.scores(rows: rows, cols: cols, seed: 40 + UInt64(cols)).floats
        var forward = x, statistics = [Float](repeating: 0, count: 2 * rows)
        family.softmax_rows(&forward, rows, cols, &statistics)
        var rebuilt = x
        family.softmax_rows_rebuilt(&rebuilt, rows, cols, statistics)
        #expect(rebuilt == forward)
    }

    @Test(arguments: levels, widths)
    func softmaxBackwardMatchesFloat64(level: sp_kernels_level, cols: Int) {
        let family = sp_kernels_family(level).pointee
        let rows = 5
        var probabilities = Self.scores(rows: rows, cols: cols, seed: 80 + UInt64(cols))
        var statistics = [Double](repeating: 0, count: 2 * rows)
        softmaxRows(&probabilities, rows: rows, cols: cols, statistics: &statistics)
        let dprobabilities = randomValues(rows * cols, seed: 90)
        var expected = dprobabilities
        softmaxRowsBackwardInPlace(&expected, probabilities: probabilities, rows: rows, cols: cols)

        var ds = dprobabilities.floats
        family.softmax_rows_backward(&ds, probabilities.floats, rows, cols)
        #expect(relativeError(ds.doubles, expected) < 1e-6)
    }

    @Test(arguments: levels, [1, 16, 37, 1536])
    func geluKeepingSlopeMatchesFloat64(level: sp_kernels_level, cols: Int) {
        let family = sp_kernels_family(level).pointee
        let rows = 3, x = randomValues(rows * cols, seed: 3, scale: 2.5), bias = randomValues(cols, seed: 4)
        for withBias in [true, false] {
            var expectedOut = [Double](repeating: 0, count: rows * cols), expectedSlope = x
            geluForwardKeepingSlope(out: &expectedOut, slopeInPlace: &expectedSlope,
                                    addingBias: withBias ? bias : nil, rows: rows, cols: cols, form: .exact)
            var out = [Float](repeating: 0, count: rows * cols), slope = x.floats
            family.gelu_keeping_slope(&out, &slope, withBias ? bias.floats : nil, rows, cols)
            // fastErf's absolute error (1e-6) weighs more on the 3 values of the 1-column case than on many.
            #expect(relativeError(out.doubles, expectedOut) < 3e-6)
            #expect(relativeError(slope.doubles, expectedSlope) < 3e-6)
        }
    }

    @Test func trainingRunsTheBestFamilyThisCPUHas() {
        #expect(sp_kernels_family(sp_kernels_avx512).pointee.level == sp_kernels_best())
    }
}

extension sp_kernels_level: @retroactive CustomTestStringConvertible {
    public var testDescription: String { ["baseline", "AVX2", "AVX-512"][Int(rawValue)] }
}

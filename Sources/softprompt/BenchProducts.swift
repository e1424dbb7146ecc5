import Foundation
import SoftPromptCheckpoint
import SoftPromptModels
import SoftPromptTensor

/// `bench --products-only`: the BERT step's matrix products and nothing else, to show how much of the step
/// the BLAS itself takes and so what MFU it allows at these shapes.
extension Bench {
    /// Replays every product the encoder step runs, in its order, with its shapes, transposes and skips (the
    /// last layer's prompt rows; in the first layer's backward, the text rows' attention and input gradients,
    /// `StepFLOPs`): the weight products through
    /// `linearForward`/`linearBackward` as the encoder calls them, the attention products per sequence and head
    /// as `Attention.swift` calls them. No softmax, LayerNorm, GELU or residual pass runs in between, so the time
    /// is a floor for the step on this BLAS, and the model FLOPs over it the highest MFU the step can reach.
    func benchProducts() throws {
        BLAS.setThreads(threads)
        let directory = try ModelDirectory(try ModelLocator.resolve(model))
        let c = try BertModel(directory: directory).config
        let d = c.hiddenSize, f = c.intermediateSize, heads = c.heads, dh = c.headDim
        let length = prompt + seq, rows = batch * length, textRows = batch * seq
        let recomputes = !keepAttentionProbabilities
        let flops = StepFLOPs(config: c, batch: batch, prompt: prompt, seq: seq, recomputes: recomputes)

        var random = RandomStream(seed: 1)
        func filled(_ count: Int) -> Tensor {
            let t = Tensor(zeros: [count])
            random.fillUniform(t.buffer, low: -0.5, high: 0.5)
            return t
        }
        // Values do not change a product's speed, so long as no subnormals appear: every product reads buffers
        // filled once and writes buffers nothing reads (but the scores, which stay as bounded as q and k).
        let inWide = filled(rows * f), inNarrow = filled(rows * d), q = filled(rows * d), k = filled(rows * d),
            v = filled(rows * d)
        let outWide = filled(rows * f), outNarrow = filled(rows * d)
        let square = filled(d * d), upward = filled(f * d), downward = filled(d * f)
        let scores = filled(length * length), dScores = filled(length * length)

        /// The first layer's backward products when it needs the prompt rows' gradients alone
        /// (`attentionBackwardToPrefix`): the prompt's probability columns (L,P) and rows (P,L), their gradients, and
        /// dv, dk, dq of P rows.
        func prefixProducts(qh: UnsafePointer<Float>, kh: UnsafePointer<Float>, vh: UnsafePointer<Float>,
                            dout: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, scale: Float) {
            let (columns, rows) = (scores.pointer, scores.pointer + length * prompt)
            let (dColumns, dRows) = (dScores.pointer, dScores.pointer + length * prompt)
            gemm(transposeB: true, m: length, n: prompt, k: dh, alpha: scale, a: qh, lda: d, b: kh, ldb: d,
                 c: columns, ldc: prompt)
            gemm(transposeB: true, m: prompt, n: length, k: dh, alpha: scale, a: qh, lda: d, b: kh, ldb: d,
                 c: rows, ldc: length)
            gemm(transposeB: true, m: length, n: prompt, k: dh, a: dout, lda: d, b: vh, ldb: d, c: dColumns, ldc: prompt)
            gemm(transposeB: true, m: prompt, n: length, k: dh, a: dout, lda: d, b: vh, ldb: d, c: dRows, ldc: length)
            gemm(transposeA: true, m: prompt, n: dh, k: length, a: columns, lda: prompt, b: dout, ldb: d, c: out, ldc: d)
            gemm(transposeA: true, m: prompt, n: dh, k: length, alpha: scale, a: dColumns, lda: prompt, b: qh, ldb: d,
                 c: out, ldc: d)
            gemm(m: prompt, n: dh, k: length, alpha: scale, a: dRows, lda: length, b: kh, ldb: d, c: out, ldc: d)
        }

        /// The attention products of one layer: each sequence's `tq` last rows query its `length` keys; with
        /// `prefixOnly`, the first layer's backward for the prompt rows alone.
        func attention(queries tq: Int, backward: Bool, prefixOnly: Bool = false) {
            let scale = Float(1 / Double(dh).squareRoot())
            for b in 0..<batch {
                for h in 0..<heads {
                    let at = b * length * d + h * dh, queryAt = at + (length - tq) * d
                    let (qh, kh, vh) = (q.pointer + queryAt, k.pointer + at, v.pointer + at)
                    let dout = inNarrow.pointer + queryAt, out = outNarrow.pointer
                    if !backward || recomputes {  // scores = scale · q kᵀ
                        gemm(transposeB: true, m: tq, n: length, k: dh, alpha: scale, a: qh, lda: d, b: kh, ldb: d,
                             c: scores.pointer, ldc: length)
                    }
                    if backward && prefixOnly {
                        prefixProducts(qh: qh, kh: kh, vh: vh, dout: dout, out: out + at, scale: scale)
                        continue
                    }
                    guard backward else {  // out = probabilities · v
                        gemm(m: tq, n: dh, k: length, a: scores.pointer, lda: length, b: vh, ldb: d, c: out + queryAt,
                             ldc: d)
                        continue
                    }
                    // dprobabilities = dout vᵀ; dv = pᵀ dout; dq = scale · dscores k; dk = scale · dscoresᵀ q
                    gemm(transposeB: true, m: tq, n: length, k: dh, a: dout, lda: d, b: vh, ldb: d,
                         c: dScores.pointer, ldc: length)
                    gemm(transposeA: true, m: length, n: dh, k: tq, a: scores.pointer, lda: length, b: dout, ldb: d,
                         c: out + at, ldc: d)
                    gemm(m: tq, n: dh, k: length, alpha: scale, a: dScores.pointer, lda: length, b: kh, ldb: d,
                         c: out + queryAt, ldc: d)
                    gemm(transposeA: true, m: length, n: dh, k: tq, alpha: scale, a: dScores.pointer, lda: length,
                         b: qh, ldb: d, c: out + at, ldc: d)
                }
            }
        }

        /// out (rows, outFeatures) = inp · weightᵀ, as the encoder's forward calls it.
        func forward(_ rows: Int, _ inFeatures: Int, _ outFeatures: Int, _ weight: Tensor) {
            linearForward(out: outFeatures == f ? outWide.pointer : outNarrow.pointer,
                          inp: inFeatures == f ? inWide.pointer : inNarrow.pointer, weight: weight.pointer, bias: nil,
                          rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
        }
        /// dinp (rows, inFeatures) = or += dout · weight, as the encoder's backward calls it.
        func backward(_ rows: Int, _ inFeatures: Int, _ outFeatures: Int, _ weight: Tensor, accumulate: Bool) {
            linearBackward(dinp: inFeatures == f ? outWide.pointer : outNarrow.pointer,
                           dout: outFeatures == f ? inWide.pointer : inNarrow.pointer, weight: weight.pointer,
                           rows: rows, inFeatures: inFeatures, outFeatures: outFeatures, accumulate: accumulate)
        }

        func step() {
            for layer in 0..<c.layers {
                let outputRows = layer == c.layers - 1 ? textRows : rows  // the last layer skips the prompt rows
                forward(outputRows, d, d, square)  // q
                forward(rows, d, d, square)  // k
                forward(rows, d, d, square)  // v
                attention(queries: outputRows / batch, backward: false)
                forward(outputRows, d, d, square)  // attention output
                forward(outputRows, d, f, upward)
                forward(outputRows, f, d, downward)
            }
            for layer in (0..<c.layers).reversed() {
                let outputRows = layer == c.layers - 1 ? textRows : rows
                backward(outputRows, f, d, downward, accumulate: false)
                backward(outputRows, d, f, upward, accumulate: true)
                backward(outputRows, d, d, square, accumulate: false)  // attention output
                attention(queries: outputRows / batch, backward: true,
                          prefixOnly: layer == 0 && flops.prefixAttention)
                // q, k, v input gradients: in the first layer for the P prompt rows summed over the batch only
                backward(layer == 0 ? prompt : outputRows, d, d, square, accumulate: outputRows == rows)
                backward(layer == 0 ? prompt : rows, d, d, square, accumulate: true)
                backward(layer == 0 ? prompt : rows, d, d, square, accumulate: true)
            }
        }

        step()  // warm-up
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            step()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        let rates = referenceRates()
        let productsMedian = median(times), best = times[0]
        let gflops = flops.model / productsMedian / 1e9
        try report([
            "benchmark": "prompt_tuning_step_products_only", "attention_cache": attentionCache, "model": directory.url.path,
            "batch": batch, "seq": seq, "prompt": prompt, "threads": threads, "blas_core": BLAS.coreName,
            "repeats": repeats, "products_seconds_min": best, "products_seconds_median": productsMedian,
            "gflops": gflops, "executed_gflops": flops.executed / productsMedian / 1e9,
        ].merging(rates.fields(achieved: gflops, mfuKey: "mfu_ceiling")) { a, _ in a }, text: String(format: """
            matrix products alone (B=%d, T=%d+%d, %d thread): min %.3f s, median %.3f s
            the step's model FLOPs in that time: %.1f GFLOP/s (%.1f executed), %@
            """, batch, prompt, seq, threads, best, productsMedian, gflops, flops.executed / productsMedian / 1e9,
                                   rates.text(achieved: gflops, mfuName: "MFU ceiling")))
    }
}

/// The FLOPs of one BERT prompt-tuning step (forward + input-gradient backward) at B × (P + seq) tokens.
struct StepFLOPs {
    /// 4·N_w + 12·L·d·T per token: what PyTorch executes too, and what MFU counts.
    let model: Double
    /// The model's less what the encoder skips (recomputed scores not counted, as in `model`):
    /// - in the last layer, the prompt rows' query, attention output and feed-forward, forward and backward
    ///   (8·d² + 8·d·F matrix and 12·d·T attention FLOPs per row);
    /// - in the first layer's backward, the q, k, v input-gradient products of all but P rows (6·d² each);
    /// - and, when the first layer's attention backward takes the prompt rows alone (`prefixAttention`), its
    ///   8·d·T² per sequence less the 10·d·P·T of the prompt's probability columns, rows and gradients.
    let executed: Double
    let perToken: Double
    /// Whether the first layer's attention backward computes the prompt rows' gradients alone: softmax statistics
    /// cached (not the probabilities), a prompt, and 2·P ≤ T (`BertRowLayout.selfAttentionBackwardToPrefix`).
    let prefixAttention: Bool

    init(config c: BertConfig, batch: Int, prompt: Int, seq: Int, recomputes: Bool) {
        let length = Double(prompt + seq), tokens = Double(batch) * length, p = Double(prompt)
        let d = Double(c.hiddenSize), f = Double(c.intermediateSize), layers = Double(c.layers)
        let matrixWeights = layers * (4 * d * d + 2 * d * f)
        perToken = 4 * matrixWeights + 12 * layers * d * length
        model = perToken * tokens
        prefixAttention = recomputes && prompt > 0 && 2 * prompt <= prompt + seq && c.layers > 1
        var skipped = Double(batch) * p * (8 * d * d + 8 * d * f + 12 * d * length) + (tokens - p) * 6 * d * d
        if prefixAttention { skipped += Double(batch) * (8 * d * length * length - 10 * d * p * length) }
        executed = model - skipped
    }
}

import Foundation
import SoftPromptTensor
import SoftPromptTestSupport
import Testing

/// One configuration of the attention kernel under test.
struct AttentionCase: CustomTestStringConvertible, Sendable {
    let name: String
    let shape: AttentionShape
    /// Key padding per batch row: keys at index ≥ length are masked.
    let keyLengths: [Int]
    let withPositionBias: Bool
    var testDescription: String { name }

    var width: Int { shape.width }
    var qCount: Int { shape.batch * shape.queryLength * width }
    var kvCount: Int { shape.batch * shape.keyLength * width }

    /// Additive key mask (B,Tk): 0 for real keys, −10⁴ for padding, as BERT builds it.
    var keyMask: [Double] {
        (0..<shape.batch).flatMap { b in (0..<shape.keyLength).map { $0 < keyLengths[b] ? 0.0 : -10_000 } }
    }
    var positionBias: [Double]? {
        withPositionBias ? randomValues(shape.heads * shape.queryLength * shape.keyLength, seed: 11) : nil
    }

    static let all: [AttentionCase] = [
        AttentionCase(name: "BERT self-attention with padded keys",
                      shape: AttentionShape(batch: 2, heads: 3, queryLength: 5, keyLength: 5, headDim: 4, scale: 0.5),
                      keyLengths: [5, 3], withPositionBias: false),
        AttentionCase(name: "T5 causal decoder self-attention with position bias",
                      shape: AttentionShape(batch: 2, heads: 2, queryLength: 6, keyLength: 6, headDim: 3, scale: 1,
                                            causal: true),
                      keyLengths: [6, 4], withPositionBias: true),
        AttentionCase(name: "T5 encoder self-attention with position bias and padded keys",
                      shape: AttentionShape(batch: 2, heads: 2, queryLength: 5, keyLength: 5, headDim: 3, scale: 1),
                      keyLengths: [5, 2], withPositionBias: true),
        AttentionCase(name: "cross-attention with fewer queries than keys",
                      shape: AttentionShape(batch: 1, heads: 3, queryLength: 3, keyLength: 7, headDim: 5, scale: 1),
                      keyLengths: [5], withPositionBias: false),
    ]

    /// Straight from the definition, in Float64.
    func naive(q: [Double], k: [Double], v: [Double]) -> [Double] {
        let (tq, tk, dh) = (shape.queryLength, shape.keyLength, shape.headDim)
        let mask = keyMask, bias = positionBias
        var out = [Double](repeating: 0, count: qCount)
        for b in 0..<shape.batch {
            for h in 0..<shape.heads {
                for i in 0..<tq {
                    var scores = [Double](repeating: 0, count: tk)
                    for j in 0..<tk {
                        var s = 0.0
                        for d in 0..<dh { s += q[(b * tq + i) * width + h * dh + d] * k[(b * tk + j) * width + h * dh + d] }
                        s = s * shape.scale + mask[b * tk + j] + (bias?[(h * tq + i) * tk + j] ?? 0)
                        scores[j] = shape.causal && j > i ? -.infinity : s
                    }
                    let top = scores.max()!
                    let e = scores.map { exp($0 - top) }
                    let sum = e.reduce(0, +)
                    for d in 0..<dh {
                        out[(b * tq + i) * width + h * dh + d] =
                            (0..<tk).reduce(0) { $0 + e[$1] / sum * v[(b * tk + $1) * width + h * dh + d] }
                    }
                }
            }
        }
        return out
    }
}

@Suite struct AttentionTests {
    @Test(arguments: AttentionCase.all)
    func forwardInFloat32MatchesNaiveReference(_ c: AttentionCase) {
        let q = randomValues(c.qCount, seed: 1), k = randomValues(c.kvCount, seed: 2), v = randomValues(c.kvCount, seed: 3)
        var out = [Float](repeating: 0, count: c.qCount)
        var probs = [Float](repeating: 0, count: c.shape.probabilityCount)
        attentionForward(out: &out, probs: &probs, q: q.floats, qStride: c.width, k: k.floats, kStride: c.width,
                         v: v.floats, vStride: c.width, keyMask: c.keyMask.floats,
                         positionBias: c.positionBias?.floats, shape: c.shape)
        #expect(relativeError(out.doubles, c.naive(q: q, k: k, v: v)) < 1e-5)
    }

    @Test func maskedKeysDoNotInfluenceTheOutput() {
        let c = AttentionCase.all[0]  // batch row 1 has keys 3 and 4 masked
        let q = randomValues(c.qCount, seed: 1), k = randomValues(c.kvCount, seed: 2)
        var v = randomValues(c.kvCount, seed: 3)
        func run() -> [Double] {
            var out = [Double](repeating: 0, count: c.qCount)
            var probs = [Double](repeating: 0, count: c.shape.probabilityCount)
            attentionForward(out: &out, probs: &probs, q: q, qStride: c.width, k: k, kStride: c.width,
                             v: v, vStride: c.width, keyMask: c.keyMask, positionBias: nil, shape: c.shape)
            return out
        }
        let before = run()
        for j in 3..<5 { for d in 0..<c.width { v[(1 * 5 + j) * c.width + d] += 100 } }
        #expect(relativeError(run(), before) < 1e-12)
    }

    /// Gradients with respect to q, k and v together; here q, k, v live in one fused (B,T,3·W) buffer, as a
    /// fused QKV projection would leave them, so the strides are exercised too (self-attention cases only).
    @Test(arguments: AttentionCase.all)
    func inputGradientsMatchFiniteDifferences(_ c: AttentionCase) {
        let shape = c.shape, width = c.width
        let mask = c.keyMask, bias = c.positionBias
        let fused = shape.queryLength == shape.keyLength
        let stride = fused ? 3 * width : width
        // Separate layout: [q | k | v]; fused layout: rows of [q_t k_t v_t].
        let (qOffset, kOffset, vOffset) = fused ? (0, width, 2 * width) : (0, c.qCount, c.qCount + c.kvCount)
        var probs = [Double](repeating: 0, count: shape.probabilityCount)
        var dscores = [Double](repeating: 0, count: shape.queryLength * shape.keyLength)
        let error = finiteDifferenceError(input: randomValues(c.qCount + 2 * c.kvCount, seed: 4), outputCount: c.qCount,
            forward: { x, out in
                attentionForward(out: out, probs: &probs, q: x + qOffset, qStride: stride, k: x + kOffset, kStride: stride,
                                 v: x + vOffset, vStride: stride, keyMask: mask, positionBias: bias, shape: shape)
            },
            backward: { dout, x, dx in
                attentionBackward(dq: dx + qOffset, dk: dx + kOffset, dv: dx + vOffset, dout: dout, probs: probs,
                                  q: x + qOffset, qStride: stride, k: x + kOffset, kStride: stride,
                                  v: x + vOffset, vStride: stride, dscores: &dscores, shape: shape)
            })
        #expect(error < gradientTolerance)
    }

    /// BERT's dropout on the attention probabilities, with a fixed mask: the gradient still matches.
    @Test func inputGradientsWithProbabilityDropoutMatchFiniteDifferences() {
        let c = AttentionCase.all[0]
        let shape = c.shape, width = c.width, mask = c.keyMask
        var random = RandomStream(seed: 12)
        var dropout = [Double](repeating: 0, count: shape.probabilityCount)
        dropout.withUnsafeMutableBufferPointer { random.fillDropoutMask($0, p: 0.3) }
        var probs = [Double](repeating: 0, count: shape.probabilityCount)
        var scratch = [Double](repeating: 0, count: shape.queryLength * shape.keyLength)
        var dscores = scratch
        let (qOffset, kOffset, vOffset) = (0, c.qCount, c.qCount + c.kvCount)
        let error = finiteDifferenceError(input: randomValues(c.qCount + 2 * c.kvCount, seed: 4), outputCount: c.qCount,
            forward: { x, out in
                attentionForward(out: out, probs: &probs, q: x + qOffset, qStride: width, k: x + kOffset, kStride: width,
                                 v: x + vOffset, vStride: width, keyMask: mask, positionBias: nil,
                                 dropoutMask: dropout, scratch: &scratch, shape: shape)
            },
            backward: { dout, x, dx in
                attentionBackward(dq: dx + qOffset, dk: dx + kOffset, dv: dx + vOffset, dout: dout, probs: probs,
                                  q: x + qOffset, qStride: width, k: x + kOffset, kStride: width,
                                  v: x + vOffset, vStride: width, dropoutMask: dropout, scratch: &scratch,
                                  dscores: &dscores, shape: shape)
            })
        #expect(error < gradientTolerance)
    }
}

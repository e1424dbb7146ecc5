import SoftPromptTensor

/// The prompt side of our EPT reconstruction (methods.md §7.7; EPT has no public code, so this is "EPT-like"):
///   fusion      F = softmax(P_s Bᵀ / √d) B,  P_f = P_s + F           P_s (m,d), B (r,d) shared with DePT's offset
///   projection  proj_k(x) = x U_k V_k,  U_k (d,q), V_k (q,d), k = 1…K
///   gate        g = softmax(G · mean_rows(P_f) + b_g),  G (K,d), b_g (K)
///   prompt      P = P_f + Σ_k g_k proj_k(P_f)
/// Generic so the gradient check runs it in Float64.
public struct FusedProjection<S: KernelScalar> {
    public let rows: Int, width: Int, rank: Int, subspaces: Int, subspaceRank: Int
    // Caches of the latest forward.
    private var attention: [S]       // softmax(P_s Bᵀ/√d) (m,r)
    private var fused: [S]           // P_f (m,d)
    private var mean: [S]            // (d)
    private var gate: [S]            // (K)
    private var projectedDown: [S]   // Y_k = P_f U_k, K × (m,q)
    private var projected: [S]       // Z_k = Y_k V_k, K × (m,d)
    // Backward scratch.
    private var dFused, dDown, dAttention: [S]

    public init(rows m: Int, width d: Int, rank r: Int, subspaces k: Int, subspaceRank q: Int) {
        (rows, width, rank, subspaces, subspaceRank) = (m, d, r, k, q)
        attention = Array(repeating: 0, count: m * r)
        dAttention = attention
        fused = Array(repeating: 0, count: m * d)
        dFused = fused
        mean = Array(repeating: 0, count: d)
        gate = Array(repeating: 0, count: k)
        projectedDown = Array(repeating: 0, count: k * m * q)
        dDown = Array(repeating: 0, count: m * q)
        projected = Array(repeating: 0, count: k * m * d)
    }

    /// Parameter pointers: u (K,d,q), v (K,q,d), g (K,d), gBias (K).
    public struct Weights {
        public let prompt, b, u, v, g, gBias: UnsafePointer<S>
        public init(prompt: UnsafePointer<S>, b: UnsafePointer<S>, u: UnsafePointer<S>, v: UnsafePointer<S>,
                    g: UnsafePointer<S>, gBias: UnsafePointer<S>) {
            (self.prompt, self.b, self.u, self.v, self.g, self.gBias) = (prompt, b, u, v, g, gBias)
        }
    }

    /// The gradients' destinations, laid out as `Weights`.
    public struct Gradients {
        public let prompt, b, u, v, g, gBias: UnsafeMutablePointer<S>
        public init(prompt: UnsafeMutablePointer<S>, b: UnsafeMutablePointer<S>, u: UnsafeMutablePointer<S>,
                    v: UnsafeMutablePointer<S>, g: UnsafeMutablePointer<S>, gBias: UnsafeMutablePointer<S>) {
            (self.prompt, self.b, self.u, self.v, self.g, self.gBias) = (prompt, b, u, v, g, gBias)
        }
    }

    public mutating func forward(out: UnsafeMutablePointer<S>, weights w: Weights) {
        let (m, d, r, k, q) = (rows, width, rank, subspaces, subspaceRank)
        let scale = 1 / S(d).squareRoot()
        gemm(transposeB: true, m: m, n: r, k: d, alpha: scale, a: w.prompt, lda: d, b: w.b, ldb: d, c: &attention, ldc: r)
        softmaxForward(out: &attention, inp: attention, rows: m, cols: r)
        for i in 0..<m * d { fused[i] = w.prompt[i] }
        gemm(m: m, n: d, k: r, a: attention, lda: r, b: w.b, ldb: d, beta: 1, c: &fused, ldc: d)
        for c in 0..<d { mean[c] = (0..<m).reduce(0) { $0 + fused[$1 * d + c] } / S(m) }
        for j in 0..<k { gate[j] = w.gBias[j] + (0..<d).reduce(0) { $0 + w.g[j * d + $1] * mean[$1] } }
        softmaxForward(out: &gate, inp: gate, rows: 1, cols: k)
        for i in 0..<m * d { out[i] = fused[i] }
        for j in 0..<k {
            projectedDown.withUnsafeMutableBufferPointer { yAll in
                projected.withUnsafeMutableBufferPointer { zAll in
                    let y = yAll.baseAddress! + j * m * q, z = zAll.baseAddress! + j * m * d
                    gemm(m: m, n: q, k: d, a: fused, lda: d, b: w.u + j * d * q, ldb: q, c: y, ldc: q)
                    gemm(m: m, n: d, k: q, a: y, lda: q, b: w.v + j * q * d, ldb: d, c: z, ldc: d)
                    for i in 0..<m * d { out[i] += gate[j] * z[i] }
                }
            }
        }
    }

    /// Adds every parameter's gradient, given dOut = ∂L/∂P of the latest forward.
    public mutating func backward(dOut: UnsafePointer<S>, weights w: Weights, gradients dw: Gradients) {
        let (m, d, r, k, q) = (rows, width, rank, subspaces, subspaceRank)
        for i in 0..<m * d { dFused[i] = dOut[i] }
        var dGate = [S](repeating: 0, count: k)
        for j in 0..<k {
            let y = projectedDown.withUnsafeBufferPointer { $0.baseAddress! + j * m * q }
            let z = projected.withUnsafeBufferPointer { $0.baseAddress! + j * m * d }
            dGate[j] = (0..<m * d).reduce(0) { $0 + dOut[$1] * z[$1] }
            // Z = Y V:  dV += g · Yᵀ dOut;  dY = g · dOut Vᵀ;  Y = P_f U:  dU += P_fᵀ dY;  dP_f += dY Uᵀ
            gemm(transposeA: true, m: q, n: d, k: m, alpha: gate[j], a: y, lda: q, b: dOut, ldb: d, beta: 1,
                 c: dw.v + j * q * d, ldc: d)
            gemm(transposeB: true, m: m, n: q, k: d, alpha: gate[j], a: dOut, lda: d, b: w.v + j * q * d, ldb: d,
                 c: &dDown, ldc: q)
            gemm(transposeA: true, m: d, n: q, k: m, a: fused, lda: d, b: dDown, ldb: q, beta: 1, c: dw.u + j * d * q, ldc: q)
            gemm(transposeB: true, m: m, n: d, k: q, a: dDown, lda: q, b: w.u + j * d * q, ldb: q, beta: 1, c: &dFused, ldc: d)
        }
        // Gate: softmax backward, then the linear map of the row mean.
        let dot = (0..<k).reduce(S(0)) { $0 + gate[$1] * dGate[$1] }
        var dMean = [S](repeating: 0, count: d)
        for j in 0..<k {
            let dLogit = gate[j] * (dGate[j] - dot)
            dw.gBias[j] += dLogit
            for c in 0..<d {
                dw.g[j * d + c] += dLogit * mean[c]
                dMean[c] += dLogit * w.g[j * d + c]
            }
        }
        for row in 0..<m { for c in 0..<d { dFused[row * d + c] += dMean[c] / S(m) } }
        // Fusion: P_f = P_s + W B, W = softmax(P_s Bᵀ/√d).
        for i in 0..<m * d { dw.prompt[i] += dFused[i] }
        gemm(transposeB: true, m: m, n: r, k: d, a: dFused, lda: d, b: w.b, ldb: d, c: &dAttention, ldc: r)
        gemm(transposeA: true, m: r, n: d, k: m, a: attention, lda: r, b: dFused, ldb: d, beta: 1, c: dw.b, ldc: d)
        var dScores = [S](repeating: 0, count: m * r)
        softmaxBackward(dinp: &dScores, dout: dAttention, out: attention, rows: m, cols: r)
        let scale = 1 / S(d).squareRoot()
        gemm(m: m, n: d, k: r, alpha: scale, a: dScores, lda: r, b: w.b, ldb: d, beta: 1, c: dw.prompt, ldc: d)
        gemm(transposeA: true, m: r, n: d, k: m, alpha: scale, a: dScores, lda: r, b: w.prompt, ldb: d, beta: 1, c: dw.b, ldc: d)
    }
}

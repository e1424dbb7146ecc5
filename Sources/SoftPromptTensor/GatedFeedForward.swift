import RealModule

// T5 v1.1 / Flan-T5 feed-forward ("gated-gelu"): out = (GELU(x·wi0ᵀ) ⊙ x·wi1ᵀ) · woᵀ, all weights frozen.

/// hidden (N) = GELU(gate (N)) ⊙ linear (N).
@inlinable
public func gatedGELUForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, gate: UnsafePointer<S>,
                                              linear: UnsafePointer<S>, count: Int, form: GELUForm) {
    geluForward(out: out, inp: gate, count: count, form: form)
    for i in 0..<count { out[i] *= linear[i] }
}

/// dgate (N) += dout · linear · GELU′(gate);  dlinear (N) += dout · GELU(gate).
@inlinable
public func gatedGELUBackward<S: KernelScalar>(dgate: UnsafeMutablePointer<S>, dlinear: UnsafeMutablePointer<S>,
                                               dout: UnsafePointer<S>, gate: UnsafePointer<S>,
                                               linear: UnsafePointer<S>, count: Int, form: GELUForm) {
    switch form {
    case .exact:
        for i in 0..<count {
            dgate[i] += dout[i] * linear[i] * geluExactDerivative(gate[i])
            dlinear[i] += dout[i] * geluExact(gate[i])
        }
    case .tanh:
        for i in 0..<count {
            dgate[i] += dout[i] * linear[i] * geluTanhDerivative(gate[i])
            dlinear[i] += dout[i] * geluTanh(gate[i])
        }
    }
}

/// inp (N,C), out (N,C); wi0, wi1 (F,C); wo (C,F). gate, linear (N,F) are cached for the backward;
/// hidden (N,F) is scratch, free again after the call.
@inlinable
public func gatedFeedForwardForward<S: KernelScalar>(out: UnsafeMutablePointer<S>,
                                                     gate: UnsafeMutablePointer<S>, linear: UnsafeMutablePointer<S>,
                                                     hidden: UnsafeMutablePointer<S>, inp: UnsafePointer<S>,
                                                     wi0: UnsafePointer<S>, wi1: UnsafePointer<S>, wo: UnsafePointer<S>,
                                                     rows: Int, modelDim: Int, ffDim: Int, form: GELUForm) {
    linearForward(out: gate, inp: inp, weight: wi0, bias: nil, rows: rows, inFeatures: modelDim, outFeatures: ffDim)
    linearForward(out: linear, inp: inp, weight: wi1, bias: nil, rows: rows, inFeatures: modelDim, outFeatures: ffDim)
    gatedGELUForward(out: hidden, gate: gate, linear: linear, count: rows * ffDim, form: form)
    linearForward(out: out, inp: hidden, weight: wo, bias: nil, rows: rows, inFeatures: ffDim, outFeatures: modelDim)
}

/// dinp (N,C) += dL/dinp. scratchA, scratchB (N,F) are overwritten (the forward's hidden buffer can be one).
@inlinable
public func gatedFeedForwardBackward<S: KernelScalar>(dinp: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                                      gate: UnsafePointer<S>, linear: UnsafePointer<S>,
                                                      scratchA: UnsafeMutablePointer<S>,
                                                      scratchB: UnsafeMutablePointer<S>,
                                                      wi0: UnsafePointer<S>, wi1: UnsafePointer<S>, wo: UnsafePointer<S>,
                                                      rows: Int, modelDim: Int, ffDim: Int, form: GELUForm) {
    let count = rows * ffDim
    // dhidden = dout · wo  → scratchA
    gemm(m: rows, n: ffDim, k: modelDim, a: dout, lda: modelDim, b: wo, ldb: ffDim, c: scratchA, ldc: ffDim)
    // dgate → scratchB, dlinear → scratchA in place (each dhidden element is read before it is replaced).
    switch form {
    case .exact:
        for i in 0..<count {
            let dh = scratchA[i]
            scratchB[i] = dh * linear[i] * geluExactDerivative(gate[i])
            scratchA[i] = dh * geluExact(gate[i])
        }
    case .tanh:
        for i in 0..<count {
            let dh = scratchA[i]
            scratchB[i] = dh * linear[i] * geluTanhDerivative(gate[i])
            scratchA[i] = dh * geluTanh(gate[i])
        }
    }
    linearBackward(dinp: dinp, dout: scratchB, weight: wi0, rows: rows, inFeatures: modelDim, outFeatures: ffDim)
    linearBackward(dinp: dinp, dout: scratchA, weight: wi1, rows: rows, inFeatures: modelDim, outFeatures: ffDim)
}

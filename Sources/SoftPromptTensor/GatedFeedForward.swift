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
            dgate[i] += dout[i] * linear[i] * geluDerivative(gate[i], .exact)
            dlinear[i] += dout[i] * gelu(gate[i], .exact)
        }
    case .tanh:
        for i in 0..<count {
            dgate[i] += dout[i] * linear[i] * geluDerivative(gate[i], .tanh)
            dlinear[i] += dout[i] * gelu(gate[i], .tanh)
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
            scratchB[i] = dh * linear[i] * geluDerivative(gate[i], .exact)
            scratchA[i] = dh * gelu(gate[i], .exact)
        }
    case .tanh:
        for i in 0..<count {
            let dh = scratchA[i]
            scratchB[i] = dh * linear[i] * geluDerivative(gate[i], .tanh)
            scratchA[i] = dh * gelu(gate[i], .tanh)
        }
    }
    linearBackward(dinp: dinp, dout: scratchB, weight: wi0, rows: rows, inFeatures: modelDim, outFeatures: ffDim)
    linearBackward(dinp: dinp, dout: scratchA, weight: wi1, rows: rows, inFeatures: modelDim, outFeatures: ffDim)
}

import CKernels
import RealModule

/// Which GELU: BERT uses the exact erf form ("gelu"); T5 v1.1 and Flan-T5 the tanh form ("gelu_new").
public enum GELUForm: String, Sendable, CaseIterable {
    case exact
    case tanh
}

/// out (N) = GELU(inp (N)).
@inlinable
public func geluForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, inp: UnsafePointer<S>,
                                         count: Int, form: GELUForm) {
    switch form {
    case .exact: for i in 0..<count { out[i] = gelu(inp[i], .exact) }
    case .tanh: for i in 0..<count { out[i] = gelu(inp[i], .tanh) }
    }
}

/// out (N) = GELU(x) and x (N) := GELU′(x), for a backward that only needs the slope: it then costs one
/// multiply per element instead of a second erf and exp, and the cached pre-activation is not needed.
@inlinable
public func geluForwardKeepingSlope<S: KernelScalar>(out: UnsafeMutablePointer<S>, slopeInPlace x: UnsafeMutablePointer<S>,
                                                     count: Int, form: GELUForm) {
    geluForwardKeepingSlope(out: out, slopeInPlace: x, addingBias: nil, rows: 1, cols: count, form: form)
}

/// out (rows,cols) = GELU(x + bias) and x (rows,cols) := GELU′(x + bias), bias (cols) or nil: a linear layer's
/// bias, its activation and the slope in one pass. The exact form in Float runs the C kernel (AVX-512 where
/// the CPU has it); the rest go row by row, so the biased row is still in L1 when the activation reads it.
@inlinable
public func geluForwardKeepingSlope<S: KernelScalar>(out: UnsafeMutablePointer<S>, slopeInPlace x: UnsafeMutablePointer<S>,
                                                     addingBias bias: UnsafePointer<S>?, rows: Int, cols: Int,
                                                     form: GELUForm) {
    if S.self == Float.self && form == .exact {
        return sp_gelu_keeping_slope(asFloat(out), asFloat(x), bias.map { asFloat($0) }, rows, cols)
    }
    for r in 0..<rows {
        let row = x + r * cols, activated = out + r * cols
        if let bias { for j in 0..<cols { row[j] += bias[j] } }
        if S.self == Float.self {  // the tanh form (T5 v1.1, Flan-T5)
            let (y, s) = (asFloat(activated), asFloat(row))
            for i in 0..<cols {
                let f = s[i]
                let t = fastTanh(0.79788456080286535588 * (f + 0.044715 * f * f * f))
                y[i] = 0.5 * f * (1 + t)
                s[i] = 0.5 * (1 + t) + 0.5 * f * (1 - t * t) * 0.79788456080286535588 * (1 + 3 * 0.044715 * f * f)
            }
        } else {
            for i in 0..<cols {
                activated[i] = gelu(row[i], form)
                row[i] = geluDerivative(row[i], form)
            }
        }
    }
}

/// dinp (N) += dout · GELU′(inp); `accumulate: false` overwrites dinp.
@inlinable
public func geluBackward<S: KernelScalar>(dinp: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                          inp: UnsafePointer<S>, count: Int, form: GELUForm,
                                          accumulate: Bool = true) {
    switch (form, accumulate) {
    case (.exact, true): for i in 0..<count { dinp[i] += dout[i] * geluDerivative(inp[i], .exact) }
    case (.tanh, true): for i in 0..<count { dinp[i] += dout[i] * geluDerivative(inp[i], .tanh) }
    case (.exact, false): for i in 0..<count { dinp[i] = dout[i] * geluDerivative(inp[i], .exact) }
    case (.tanh, false): for i in 0..<count { dinp[i] = dout[i] * geluDerivative(inp[i], .tanh) }
    }
}

/// GELU of one value: exact libm functions in Double (the gradient checks), the vectorisable
/// fastErf/fastExp/fastTanh in Float (training).
@inlinable @inline(__always)
public func gelu<S: KernelScalar>(_ x: S, _ form: GELUForm) -> S {
    if S.self == Float.self {
        let f = unsafeBitCast(x, to: Float.self)
        let k: Float = form == .exact ? 0.70710678118654752440 : 0.79788456080286535588
        let inner = form == .exact ? fastErf(k * f) : fastTanh(k * (f + 0.044715 * f * f * f))
        return unsafeBitCast(0.5 * f * (1 + inner), to: S.self)
    }
    switch form {
    case .exact: return 0.5 * x * (1 + S.erf(x * S(0.70710678118654752440)))
    case .tanh: return 0.5 * x * (1 + S.tanh(S(0.79788456080286535588) * (x + S(0.044715) * x * x * x)))
    }
}

/// GELU′ of one value. Exact form: Φ(x) + x·φ(x). Tanh form: differentiated through u = k(x + 0.044715x³).
@inlinable @inline(__always)
public func geluDerivative<S: KernelScalar>(_ x: S, _ form: GELUForm) -> S {
    if S.self == Float.self {
        let f = unsafeBitCast(x, to: Float.self)
        let d: Float
        switch form {
        case .exact:
            d = 0.5 * (1 + fastErf(f * 0.70710678118654752440)) + f * 0.39894228040143267794 * fastExp(-0.5 * f * f)
        case .tanh:
            let t = fastTanh(0.79788456080286535588 * (f + 0.044715 * f * f * f))
            d = 0.5 * (1 + t) + 0.5 * f * (1 - t * t) * 0.79788456080286535588 * (1 + 3 * 0.044715 * f * f)
        }
        return unsafeBitCast(d, to: S.self)
    }
    switch form {
    case .exact:
        let cdf = 0.5 * (1 + S.erf(x * S(0.70710678118654752440)))
        return cdf + x * S(0.39894228040143267794) * S.exp(-0.5 * x * x)
    case .tanh:
        let k = S(0.79788456080286535588)
        let t = S.tanh(k * (x + S(0.044715) * x * x * x))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * S(0.044715) * x * x)
    }
}

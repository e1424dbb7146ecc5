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
    case .exact: for i in 0..<count { out[i] = geluExact(inp[i]) }
    case .tanh: for i in 0..<count { out[i] = geluTanh(inp[i]) }
    }
}

/// dinp (N) += dout · GELU′(inp).
@inlinable
public func geluBackward<S: KernelScalar>(dinp: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                          inp: UnsafePointer<S>, count: Int, form: GELUForm) {
    switch form {
    case .exact: for i in 0..<count { dinp[i] += dout[i] * geluExactDerivative(inp[i]) }
    case .tanh: for i in 0..<count { dinp[i] += dout[i] * geluTanhDerivative(inp[i]) }
    }
}

// x · Φ(x), Φ the standard normal CDF.
@inlinable public func geluExact<S: KernelScalar>(_ x: S) -> S {
    0.5 * x * (1 + S.erf(x * S(0.70710678118654752440)))
}

// Φ(x) + x · φ(x)
@inlinable public func geluExactDerivative<S: KernelScalar>(_ x: S) -> S {
    let cdf = 0.5 * (1 + S.erf(x * S(0.70710678118654752440)))
    let pdf = S(0.39894228040143267794) * S.exp(-0.5 * x * x)
    return cdf + x * pdf
}

// 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))
@inlinable public func geluTanh<S: KernelScalar>(_ x: S) -> S {
    let u = S(0.79788456080286535588) * (x + S(0.044715) * x * x * x)
    return 0.5 * x * (1 + S.tanh(u))
}

@inlinable public func geluTanhDerivative<S: KernelScalar>(_ x: S) -> S {
    let k = S(0.79788456080286535588)
    let u = k * (x + S(0.044715) * x * x * x)
    let t = S.tanh(u)
    let du = k * (1 + 3 * S(0.044715) * x * x)
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du
}

import SoftPromptTensor

/// Deterministic test data.
public func randomValues(_ count: Int, seed: UInt64, scale: Double = 1) -> [Double] {
    var rng = RandomStream(seed: seed)
    return (0..<count).map { _ in scale * rng.nextNormal() }
}

/// The relative error ‖a − b‖₂ / ‖b‖₂ (‖a‖₂ when b is zero).
public func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    var diff = 0.0, norm = 0.0, normA = 0.0
    for i in a.indices {
        diff += (a[i] - b[i]) * (a[i] - b[i])
        norm += b[i] * b[i]
        normA += a[i] * a[i]
    }
    let denominator = norm > 0 ? norm : normA
    return denominator > 0 ? (diff / denominator).squareRoot() : diff.squareRoot()
}

/// Checks an input-gradient backward against central finite differences of the same kernel run in Float64,
/// the way ggml's test-backend-ops grad mode does: the loss is L = Σ w ⊙ forward(x) for a fixed random w, so
/// backward(dout = w) must equal ∂L/∂x. The gradient buffer starts with random values, which the backward
/// must add to, not overwrite. Returns the relative error.
public func finiteDifferenceError(input: [Double], outputCount: Int, seed: UInt64 = 7, step: Double = 1e-5,
                           forward: (UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void,
                           backward: (_ dout: UnsafePointer<Double>, _ input: UnsafePointer<Double>,
                                      _ dinput: UnsafeMutablePointer<Double>) -> Void) -> Double {
    let weights = randomValues(outputCount, seed: seed)
    var output = [Double](repeating: 0, count: outputCount)
    func loss(_ x: [Double]) -> Double {
        x.withUnsafeBufferPointer { xp in
            output.withUnsafeMutableBufferPointer { forward(xp.baseAddress!, $0.baseAddress!) }
        }
        return zip(weights, output).reduce(0) { $0 + $1.0 * $1.1 }
    }

    _ = loss(input)  // backward may rely on what the forward cached
    let prefill = randomValues(input.count, seed: seed &+ 1)
    var analytic = prefill
    weights.withUnsafeBufferPointer { w in
        input.withUnsafeBufferPointer { x in
            analytic.withUnsafeMutableBufferPointer { backward(w.baseAddress!, x.baseAddress!, $0.baseAddress!) }
        }
    }
    for i in analytic.indices { analytic[i] -= prefill[i] }

    var numeric = [Double](repeating: 0, count: input.count)
    var x = input
    for i in input.indices {
        x[i] = input[i] + step
        let plus = loss(x)
        x[i] = input[i] - step
        let minus = loss(x)
        x[i] = input[i]
        numeric[i] = (plus - minus) / (2 * step)
    }
    return relativeError(analytic, numeric)
}

/// The gradient-check bar of the kernels: Float64 kernels against Float64 central differences.
public let gradientTolerance = 1e-6

extension Array where Element == Double {
    public var floats: [Float] { map(Float.init) }
}

extension Array where Element == Float {
    public var doubles: [Double] { map(Double.init) }
}

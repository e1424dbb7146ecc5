// Reductions over one row with eight independent accumulators. A single accumulator is a chain of dependent
// adds (or maxes) that runs at one element per 4 cycles and cannot vectorise, since floating-point addition
// is not reassociated for us; eight lanes let the compiler use vector registers. (perf: the serial max of
// softmax alone was a quarter of the encoder's non-GEMM forward time.)

/// max of x[0..<n]; −∞ for n = 0.
@inlinable
public func rowMaximum<S: KernelScalar>(_ x: UnsafePointer<S>, _ n: Int) -> S {
    var m = SIMDLanes<S>(repeating: -S.infinity)
    var i = 0
    while i + 8 <= n {
        for l in 0..<8 { m[l] = Swift.max(m[l], x[i + l]) }
        i += 8
    }
    var result = m.maximum()
    while i < n {
        result = Swift.max(result, x[i])
        i += 1
    }
    return result
}

/// Σ x[0..<n].
@inlinable
public func rowSum<S: KernelScalar>(_ x: UnsafePointer<S>, _ n: Int) -> S {
    var s = SIMDLanes<S>(repeating: 0)
    var i = 0
    while i + 8 <= n {
        for l in 0..<8 { s[l] += x[i + l] }
        i += 8
    }
    var result = s.sum()
    while i < n {
        result += x[i]
        i += 1
    }
    return result
}

/// Σ x[i]·y[i] over 0..<n.
@inlinable
public func rowDot<S: KernelScalar>(_ x: UnsafePointer<S>, _ y: UnsafePointer<S>, _ n: Int) -> S {
    var s = SIMDLanes<S>(repeating: 0)
    var i = 0
    while i + 8 <= n {
        for l in 0..<8 { s[l] += x[i + l] * y[i + l] }
        i += 8
    }
    var result = s.sum()
    while i < n {
        result += x[i] * y[i]
        i += 1
    }
    return result
}

/// Σ (x[i] − c)² over 0..<n.
@inlinable
public func rowSquaredDeviation<S: KernelScalar>(_ x: UnsafePointer<S>, from c: S, _ n: Int) -> S {
    var s = SIMDLanes<S>(repeating: 0)
    var i = 0
    while i + 8 <= n {
        for l in 0..<8 {
            let d = x[i + l] - c
            s[l] += d * d
        }
        i += 8
    }
    var result = s.sum()
    while i < n {
        let d = x[i] - c
        result += d * d
        i += 1
    }
    return result
}

/// Eight accumulators in registers (a tuple, so no heap and no bounds checks).
@usableFromInline
struct SIMDLanes<S: KernelScalar> {
    @usableFromInline var v: (S, S, S, S, S, S, S, S)

    @inlinable init(repeating x: S) { v = (x, x, x, x, x, x, x, x) }

    @inlinable subscript(_ l: Int) -> S {
        get {
            switch l {
            case 0: return v.0
            case 1: return v.1
            case 2: return v.2
            case 3: return v.3
            case 4: return v.4
            case 5: return v.5
            case 6: return v.6
            default: return v.7
            }
        }
        set {
            switch l {
            case 0: v.0 = newValue
            case 1: v.1 = newValue
            case 2: v.2 = newValue
            case 3: v.3 = newValue
            case 4: v.4 = newValue
            case 5: v.5 = newValue
            case 6: v.6 = newValue
            default: v.7 = newValue
            }
        }
    }

    @inlinable func sum() -> S { ((v.0 + v.1) + (v.2 + v.3)) + ((v.4 + v.5) + (v.6 + v.7)) }

    @inlinable func maximum() -> S {
        Swift.max(Swift.max(Swift.max(v.0, v.1), Swift.max(v.2, v.3)), Swift.max(Swift.max(v.4, v.5), Swift.max(v.6, v.7)))
    }
}

// Branch-free Float32 exp and erf that the compiler can vectorise. libm's expf/erff are scalar calls: in a
// MiniLM step they took a fifth of the time (perf), more than half of what the GEMMs took. The kernels use
// these for Float and the exact libm functions for Double, so the Float64 gradient checks stay exact.

/// e^x, relative error below 2e-7 over the float range; 0 below −87.3 (where e^x is subnormal).
@inlinable @inline(__always)
public func fastExp(_ x: Float) -> Float {
    let clamped = min(max(x, -87.3), 88.7)
    // n = round(x·log2 e) by adding 1.5·2²³: the float's low mantissa bits then hold n itself. Plain SSE2
    // arithmetic and wrapping integer ops only: `rounded()` is a libm call on the x86-64 baseline and
    // `Int32(_: Float)` a checked conversion, and either would keep the loop from vectorising.
    let shifted = clamped * 1.442695041 + 12582912
    let n = shifted - 12582912
    // r = x − n·ln2 in two parts, so r stays exact enough for the polynomial.
    let r = clamped - n * 0.693359375 + n * 2.12194440e-4
    var p: Float = 1.9875691500e-4
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    p = p * r * r + r + 1
    let scale = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
    return x < -87.3 ? 0 : p * scale
}

/// erf(x), absolute error below 1e-6: x·P(x²)/Q(x²) on [−4, 4] (erf is ±1 in Float beyond), a rational
/// approximation of the kind Eigen and XNNPACK use.
@inlinable @inline(__always)
public func fastErf(_ x: Float) -> Float {
    let c = min(max(x, -4), 4)
    let x2 = c * c
    var p: Float = -2.72614225801306e-10
    p = p * x2 + 2.77068142495902e-08
    p = p * x2 + -2.10102402082508e-06
    p = p * x2 + -5.69250639462346e-05
    p = p * x2 + -7.34990630326855e-04
    p = p * x2 + -2.95459980854025e-03
    p = p * x2 + -1.60960333262415e-02
    var q: Float = -1.45660718464996e-05
    q = q * x2 + -2.13374055278905e-04
    q = q * x2 + -1.68282697438203e-03
    q = q * x2 + -7.37332916720468e-03
    q = q * x2 + -1.42647390514189e-02
    return c * p / q
}

/// tanh(x) = 1 − 2/(e^{2x} + 1), absolute error below 1e-6.
@inlinable @inline(__always)
public func fastTanh(_ x: Float) -> Float {
    let c = min(max(x, -9), 9)
    return 1 - 2 / (fastExp(2 * c) + 1)
}

/// The same memory seen as Float, for the Float fast paths of generic kernels (only called when S is Float).
@inlinable @inline(__always)
func asFloat<S>(_ p: UnsafeMutablePointer<S>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
}

@inlinable @inline(__always)
func asFloat<S>(_ p: UnsafePointer<S>) -> UnsafePointer<Float> {
    UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
}

/// Bit-exact widening of the narrow float formats to Float32. Written out by hand rather than using
/// `Float16` because that type is unavailable on Intel macOS; every narrow value is exactly representable
/// in Float32, so there is no rounding anywhere here.
enum FloatConversion {
    /// IEEE 754 binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits.
    static func float(fromHalf h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa × 2^-24, exact in Float32.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)  // Inf or NaN, payload kept
        default:
            return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)  // 112 = 127 − 15
        }
    }

    /// bfloat16 is the top half of a Float32.
    static func float(fromBFloat16 b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }

    /// OCP FP8 E5M2 is the top byte of a binary16.
    static func float(fromE5M2 b: UInt8) -> Float {
        float(fromHalf: UInt16(b) << 8)
    }

    /// OCP FP8 E4M3 ("fn" in PyTorch): 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinities,
    /// S.1111.111 is NaN.
    static func float(fromE4M3 b: UInt8) -> Float {
        let negative = b & 0x80 != 0
        let exponent = UInt32(b >> 3) & 0xF
        let mantissa = UInt32(b & 0x7)
        let magnitude: Float
        if exponent == 0xF && mantissa == 0x7 {
            magnitude = .nan
        } else if exponent == 0 {
            magnitude = Float(mantissa) * 0x1p-9
        } else {
            magnitude = Float(bitPattern: (exponent + 120) << 23 | mantissa << 20)  // 120 = 127 − 7
        }
        return negative ? -magnitude : magnitude
    }
}

/// Byte-level helpers for the Unigram pipeline, which works on well-formed UTF-8 rather than on scalars.
extension UTF8Scalars {
    /// The length of the UTF-8 sequence that starts with `leadByte` (1 for a stray continuation byte).
    @inline(__always)
    static func sequenceLength(leadByte: UInt8) -> Int {
        if leadByte < 0xC0 { return 1 }
        if leadByte < 0xE0 { return 2 }
        if leadByte < 0xF0 { return 3 }
        return 4
    }

    /// The scalar value that starts at `index` of well-formed UTF-8 and its length in bytes.
    @inline(__always)
    static func scalar(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (value: UInt32, length: Int) {
        let lead = UInt32(bytes[index])
        let length = min(sequenceLength(leadByte: bytes[index]), bytes.count - index)
        switch length {
        case 2: return ((lead & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F), 2)
        case 3: return ((lead & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F), 3)
        case 4:
            return ((lead & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12 | UInt32(bytes[index + 2] & 0x3F) << 6
                    | UInt32(bytes[index + 3] & 0x3F), 4)
        default: return (lead, 1)
        }
    }

    /// The start of the scalar that ends just before `end` (which must be a scalar boundary above 0).
    @inline(__always)
    static func previousScalarStart(in bytes: UnsafeBufferPointer<UInt8>, before end: Int) -> Int {
        var start = end - 1
        while start > 0 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
        return start
    }

    /// Rust's `char::is_whitespace` (the White_Space property), which HF's WhitespaceSplit and Strip use.
    /// The set has not changed since Unicode 6.3 removed U+180E.
    @inline(__always)
    static func isWhitespace(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }
}

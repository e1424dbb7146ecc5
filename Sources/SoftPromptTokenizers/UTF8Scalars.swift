/// Conversions between Swift strings, Unicode scalar values (`UInt32`) and UTF-8 bytes.
///
/// The tokenizer works on scalars, never on `Character`s: a grapheme cluster would merge a letter with its
/// combining marks, which HF treats as separate chars.
enum UTF8Scalars {
    /// Appends the scalar values of `text` to `scalars`.
    static func appendScalars(of text: String, to scalars: inout [UInt32]) {
        var text = text  // withUTF8 is mutating: it may first make a bridged string native and contiguous
        text.withUTF8 { decode($0, into: &scalars) }
    }

    /// Decodes well-formed UTF-8 (Swift strings always are).
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, into scalars: inout [UInt32]) {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = UInt32(bytes[index])
            if lead < 0x80 {
                scalars.append(lead)
                index += 1
            } else if lead < 0xE0, index + 1 < count {
                scalars.append((lead & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F))
                index += 2
            } else if lead < 0xF0, index + 2 < count {
                scalars.append((lead & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6
                               | UInt32(bytes[index + 2] & 0x3F))
                index += 3
            } else if index + 3 < count {
                scalars.append((lead & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12
                               | UInt32(bytes[index + 2] & 0x3F) << 6 | UInt32(bytes[index + 3] & 0x3F))
                index += 4
            } else {
                scalars.append(0xFFFD)
                index = count
            }
        }
    }

    /// A string from scalar values that are valid Unicode scalars (anything else becomes U+FFFD).
    static func string<S: Sequence>(_ scalars: S) -> String where S.Element == UInt32 {
        var result = String.UnicodeScalarView()
        for value in scalars { result.append(Unicode.Scalar(value) ?? "\u{FFFD}") }
        return String(result)
    }
}

/// HF `tokenizers`' BertNormalizer: clean text, space out Chinese characters, strip accents, lowercase — in
/// that order, exactly as HF does them.
///
/// - clean_text drops NUL, U+FFFD and HF's control characters (Cc, Cf, Co, Cs but \t \n \r) and maps
///   whitespace to U+0020;
/// - handle_chinese_chars puts spaces around CJK ideographs (HF's ranges, including its 0x2B920 start);
/// - strip_accents is NFD of the whole text followed by removing non-spacing marks (Mn); it is on when
///   `strip_accents` is true, or when it is null and `lowercase` is true;
/// - lowercase is Rust's `char::to_lowercase`, one scalar at a time (no final-sigma context, "İ" → "i̇").
///
/// The per-scalar facts come from `BertUnicodeTables`, read off HF itself, so this agrees with HF on every
/// scalar whatever the Unicode version of the Swift toolchain.
public struct BertNormalizer: Sendable, Equatable {
    public var cleanText: Bool
    public var handleChineseChars: Bool
    public var stripAccents: Bool
    public var lowercase: Bool

    /// `stripAccents: nil` follows HF: strip accents when lowercasing.
    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil,
                lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents ?? lowercase
        self.lowercase = lowercase
    }

    /// The normalized text (for tests and debugging; the tokenizer uses the scalar form).
    public func normalize(_ text: String) -> String {
        var input: [UInt32] = []
        UTF8Scalars.appendScalars(of: text, to: &input)
        var output: [UInt32] = []
        input.withUnsafeBufferPointer { normalize($0, appendingTo: &output) }
        return UTF8Scalars.string(output)
    }

    /// Appends the normalized form of `input` to `output`.
    func normalize(_ input: UnsafeBufferPointer<UInt32>, appendingTo output: inout [UInt32]) {
        let properties = BertCharacterProperties.shared
        typealias Flag = BertCharacterProperties.Flag
        let start = output.count
        output.reserveCapacity(start + input.count + 8)
        var mayReorder = false
        var sawMark = false
        var mayExpand = false

        // Pass 1: clean text, Chinese characters, canonical decomposition.
        var index = 0
        while index < input.count {
            var scalar = input[index]
            index += 1
            var flags = properties.flags(scalar)
            if cleanText {
                if flags & Flag.removed != 0 { continue }
                if flags & Flag.cleanSpace != 0 {
                    scalar = 0x20
                    flags = properties.flags(0x20)
                }
            }
            let chinese = handleChineseChars && flags & Flag.chinese != 0
            if chinese { output.append(0x20) }
            if stripAccents && flags & Flag.decomposes != 0 {
                let first = output.count
                properties.appendDecomposition(of: scalar, to: &output)
                for index in first..<output.count {
                    let part = properties.flags(output[index])
                    if part & Flag.combining != 0 { mayReorder = true }
                    if part & Flag.nonspacingMark != 0 { sawMark = true }
                    if part & Flag.hasLowercase != 0 && properties.lowercaseExpands(output[index]) { mayExpand = true }
                }
            } else {
                if flags & (Flag.combining | Flag.nonspacingMark | Flag.hasLowercase) != 0 {
                    if flags & Flag.combining != 0 { mayReorder = true }
                    if flags & Flag.nonspacingMark != 0 { sawMark = true }
                    if flags & Flag.hasLowercase != 0 && scalar >= 0x80 && properties.lowercaseExpands(scalar) {
                        mayExpand = true
                    }
                }
                output.append(scalar)
            }
            if chinese { output.append(0x20) }
        }
        guard output.count > start else { return }

        let stripAccents = stripAccents
        let lowercaseInPlace = lowercase && !mayExpand
        let end = output.withUnsafeMutableBufferPointer { buffer -> Int in
            var end = buffer.count
            // Pass 2 (strip accents): canonical ordering, then drop Mn. Ordering runs over the marks about
            // to be dropped too, because a dropped mark of class 0 separates the runs that get sorted.
            if stripAccents {
                if mayReorder { Self.canonicalOrder(buffer, from: start, properties: properties) }
                if sawMark {
                    var write = start
                    for read in start..<end {
                        let scalar = buffer[read]
                        if properties.flags(scalar) & Flag.nonspacingMark != 0 { continue }
                        buffer[write] = scalar
                        write += 1
                    }
                    end = write
                }
            }
            // Pass 3: lowercase in place, unless a scalar lowercases to several (below).
            if lowercaseInPlace {
                for index in start..<end {
                    let scalar = buffer[index]
                    if scalar < 0x80 {
                        if scalar &- 0x41 < 26 { buffer[index] = scalar | 0x20 }
                    } else if properties.flags(scalar) & Flag.hasLowercase != 0,
                              let lower = properties.lowercaseSingle(of: scalar) {
                        buffer[index] = lower
                    }
                }
            }
            return end
        }
        if end < output.count { output.removeLast(output.count - end) }

        if lowercase && mayExpand {
            let tail = Array(output[start...])
            output.removeLast(output.count - start)
            for scalar in tail {
                if properties.flags(scalar) & Flag.hasLowercase != 0 {
                    properties.appendLowercase(of: scalar, to: &output)
                } else {
                    output.append(scalar)
                }
            }
        }
    }

    /// Stable-sorts each run of scalars with a non-zero canonical combining class by that class (UAX #15).
    private static func canonicalOrder(_ scalars: UnsafeMutableBufferPointer<UInt32>, from start: Int,
                                       properties: BertCharacterProperties) {
        var index = start
        while index < scalars.count {
            guard properties.combiningClass(scalars[index]) != 0 else {
                index += 1
                continue
            }
            var end = index + 1
            while end < scalars.count, properties.combiningClass(scalars[end]) != 0 { end += 1 }
            if end - index > 1 {
                // Insertion sort: runs are a few marks long, and it is stable.
                for i in (index + 1)..<end {
                    let value = scalars[i]
                    let key = properties.combiningClass(value)
                    var j = i - 1
                    while j >= index, properties.combiningClass(scalars[j]) > key {
                        scalars[j + 1] = scalars[j]
                        j -= 1
                    }
                    scalars[j + 1] = value
                }
            }
            index = end
        }
    }
}

/// SentencePiece's `precompiled_charsmap`: the normalization rules of a SentencePiece model (nmt_nfkc for T5),
/// compiled into a double-array trie over UTF-8 byte strings whose leaves point into a blob of replacements.
///
/// Layout, as SentencePiece writes it and HF's `spm_precompiled` reads it: a little-endian u32 with the size
/// of the trie in bytes, the trie as little-endian u32 units, then the replacements, each ending in NUL.
/// Every lookup is bounds-checked, so a malformed map gives wrong replacements, never a crash.
struct PrecompiledCharsMap: Sendable {
    /// Why a charsmap could not be read.
    enum FormatError: Error, Equatable, CustomStringConvertible {
        case tooShort(byteCount: Int, trieByteCount: Int)
        case replacementsNotUTF8

        var description: String {
            switch self {
            case .tooShort(let byteCount, let trieByteCount):
                return "a charsmap of \(byteCount) bytes cannot hold its 4-byte header and a trie of \(trieByteCount) bytes"
            case .replacementsNotUTF8:
                return "the replacement strings after the trie are not valid UTF-8"
            }
        }
    }

    private let units: [UInt32]
    private let replacements: [UInt8]

    init(_ bytes: [UInt8]) throws(FormatError) {
        guard bytes.count >= 4 else { throw .tooShort(byteCount: bytes.count, trieByteCount: 0) }
        let trieByteCount = Int(Self.littleEndianUInt32(bytes, at: 0))
        // HF reads trieByteCount / 4 whole units and the replacements right after them.
        let unitCount = trieByteCount / 4
        guard bytes.count - 4 >= unitCount * 4 else {
            throw .tooShort(byteCount: bytes.count, trieByteCount: trieByteCount)
        }
        units = (0..<unitCount).map { Self.littleEndianUInt32(bytes, at: 4 + 4 * $0) }
        replacements = Array(bytes[(4 + unitCount * 4)...])
        guard String(validating: replacements, as: UTF8.self) != nil else { throw .replacementsNotUTF8 }
    }

    private static func littleEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
            | UInt32(bytes[offset + 3]) << 24
    }

    /// A replacement: a range of `replacements` (empty when the matched text is deleted).
    typealias Replacement = Range<Int>

    /// The replacement of the shortest key that is a prefix of `key`, as HF's `transform` (the first result of
    /// the common-prefix search, so a longer key is never preferred). A NUL byte ends the search.
    func shortestPrefixReplacement(_ key: UnsafeBufferPointer<UInt8>) -> Replacement? {
        units.withUnsafeBufferPointer { units -> Replacement? in
            guard !units.isEmpty else { return nil }
            var node = Self.offset(units[0])
            for byte in key {
                if byte == 0 { return nil }
                node ^= Int(byte)
                guard node < units.count else { return nil }
                let unit = units[node]
                guard Self.label(unit) == UInt32(byte) else { return nil }
                node ^= Self.offset(unit)
                if Self.hasLeaf(unit) {
                    guard node < units.count else { return nil }
                    return replacement(at: Int(Self.value(units[node])))
                }
            }
            return nil
        }
    }

    /// The NUL-terminated string at `start`; nil when `start` is not where a character of the blob begins.
    private func replacement(at start: Int) -> Replacement? {
        if start == replacements.count { return start..<start }
        guard start < replacements.count, replacements[start] & 0xC0 != 0x80 else { return nil }
        var end = start
        while end < replacements.count && replacements[end] != 0 { end += 1 }
        return start..<end
    }

    /// Runs `body` with the replacement blob (for appending replacements without copying).
    func withReplacementBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        replacements.withUnsafeBufferPointer(body)
    }

    // The unit encoding of SentencePiece's Darts-clone double array.
    @inline(__always) private static func hasLeaf(_ unit: UInt32) -> Bool { (unit >> 8) & 1 == 1 }
    @inline(__always) private static func value(_ unit: UInt32) -> UInt32 { unit & ((1 << 31) - 1) }
    @inline(__always) private static func label(_ unit: UInt32) -> UInt32 { unit & ((1 << 31) | 0xFF) }
    @inline(__always) private static func offset(_ unit: UInt32) -> Int {
        Int(unit >> 10) << Int((unit & (1 << 9)) >> 6)
    }
}

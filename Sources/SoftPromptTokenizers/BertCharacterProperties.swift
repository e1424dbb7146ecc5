/// HF's per-scalar facts for BERT normalization and pre-tokenization, looked up fast.
///
/// Built once from the generated `BertUnicodeTables` text. ASCII goes through a 128-entry table; every
/// other scalar through a binary search over about 3,000 runs of equal flags. A class holding raw
/// buffers, so the per-scalar lookups in the hot loop cost no retain/release and no bounds checks (which
/// matters most in debug builds, where the tests tokenize whole data sets).
final class BertCharacterProperties: @unchecked Sendable {  // immutable after init
    /// Flag bits (plain integers: OptionSet's generic SetAlgebra calls are slow unoptimized).
    enum Flag {
        /// clean_text drops it: NUL, U+FFFD, and what HF calls control (Cc, Cf, Co, Cs but not \t \n \r).
        static let removed: UInt16 = 1
        /// clean_text maps it to U+0020.
        static let cleanSpace: UInt16 = 2
        /// handle_chinese_chars surrounds it with spaces.
        static let chinese: UInt16 = 4
        /// BertPreTokenizer makes it a token of its own.
        static let punctuation: UInt16 = 8
        /// BertPreTokenizer splits on it and drops it.
        static let splitSpace: UInt16 = 16
        /// Lowercasing changes it.
        static let hasLowercase: UInt16 = 32
        /// NFD changes it.
        static let decomposes: UInt16 = 64
        /// strip_accents drops it after NFD (HF's Mn).
        static let nonspacingMark: UInt16 = 128
        /// Its canonical combining class is not 0, so NFD may reorder it.
        static let combining: UInt16 = 256
    }

    static let shared = BertCharacterProperties()

    private let ascii: UnsafeMutablePointer<UInt16>
    private let runStarts: UnsafeMutablePointer<UInt32>
    private let runFlags: UnsafeMutablePointer<UInt16>
    private let runCount: Int
    private let lowercaseSingle: [UInt32: UInt32]
    private let lowercaseMultiple: [UInt32: [UInt32]]
    /// scalar → (offset << 8 | count) into `decompositionPool`.
    private let decompositions: [UInt32: Int]
    private let decompositionPool: [UInt32]
    private let combiningClasses: [UInt32: UInt8]

    deinit {
        ascii.deallocate()
        runStarts.deallocate()
        runFlags.deallocate()
    }

    private init() {
        var starts: [UInt32] = []
        var flags: [UInt16] = []
        Self.forEachEntry(BertUnicodeTables.flagRuns) { key, values in
            starts.append(key)
            flags.append(UInt16(truncatingIfNeeded: values.first ?? 0))
        }
        if starts.first != 0 {  // cannot happen with the generated tables; keeps the search total
            starts.insert(0, at: 0)
            flags.insert(0, at: 0)
        }
        runCount = starts.count
        runStarts = .allocate(capacity: starts.count)
        runStarts.initialize(from: starts, count: starts.count)
        runFlags = .allocate(capacity: flags.count)
        runFlags.initialize(from: flags, count: flags.count)

        ascii = .allocate(capacity: 128)
        var run = 0
        for scalar in 0..<128 {
            while run + 1 < starts.count, starts[run + 1] <= UInt32(scalar) { run += 1 }
            ascii[scalar] = flags[run]
        }

        var single: [UInt32: UInt32] = [:]
        var multiple: [UInt32: [UInt32]] = [:]
        Self.forEachEntry(BertUnicodeTables.lowercase) { key, values in
            if values.count == 1 { single[key] = values[0] } else { multiple[key] = Array(values) }
        }
        lowercaseSingle = single
        lowercaseMultiple = multiple

        var decompositions: [UInt32: Int] = [:]
        var pool: [UInt32] = []
        Self.forEachEntry(BertUnicodeTables.decomposition) { key, values in
            decompositions[key] = pool.count << 8 | values.count
            pool.append(contentsOf: values)
        }
        self.decompositions = decompositions
        decompositionPool = pool

        var classes: [UInt32: UInt8] = [:]
        Self.forEachEntry(BertUnicodeTables.combiningClass) { key, values in
            classes[key] = UInt8(truncatingIfNeeded: values.first ?? 0)
        }
        combiningClasses = classes
    }

    /// Calls `body` with each `KEY:V.V.V` entry (hex) of a table text.
    private static func forEachEntry(_ table: String, _ body: (UInt32, ArraySlice<UInt32>) -> Void) {
        var values: [UInt32] = []
        var key: UInt32 = 0
        var current: UInt32 = 0
        var haveDigits = false
        var inKey = true
        func finishValue() {
            if haveDigits { values.append(current) }
            current = 0
            haveDigits = false
        }
        for byte in table.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                current = current << 4 | UInt32(byte - UInt8(ascii: "0"))
                haveDigits = true
            case UInt8(ascii: "A")...UInt8(ascii: "F"):
                current = current << 4 | UInt32(byte - UInt8(ascii: "A") + 10)
                haveDigits = true
            case UInt8(ascii: ":"):
                key = current
                current = 0
                haveDigits = false
                inKey = false
            case UInt8(ascii: "."):
                finishValue()
            default:  // whitespace ends an entry
                if !inKey {
                    finishValue()
                    body(key, values[...])
                    values.removeAll(keepingCapacity: true)
                    inKey = true
                }
                current = 0
                haveDigits = false
            }
        }
        if !inKey {
            finishValue()
            body(key, values[...])
        }
    }

    @inline(__always)
    func flags(_ scalar: UInt32) -> UInt16 {
        if scalar < 128 { return ascii[Int(scalar)] }
        // Last run whose start is <= scalar.
        var low = 0
        var high = runCount
        while high - low > 1 {
            let middle = (low + high) >> 1
            if runStarts[middle] <= scalar { low = middle } else { high = middle }
        }
        return runFlags[low]
    }

    /// Appends Rust's `char::to_lowercase` of a scalar flagged `hasLowercase`.
    @inline(__always)
    func appendLowercase(of scalar: UInt32, to output: inout [UInt32]) {
        if let lower = lowercaseSingle[scalar] {
            output.append(lower)
        } else if let lower = lowercaseMultiple[scalar] {
            output.append(contentsOf: lower)
        } else {
            output.append(scalar)
        }
    }

    /// Whether the lowercase of this scalar has more than one scalar (only U+0130 "İ" today).
    func lowercaseExpands(_ scalar: UInt32) -> Bool {
        lowercaseMultiple[scalar] != nil
    }

    @inline(__always)
    func lowercaseSingle(of scalar: UInt32) -> UInt32? {
        lowercaseSingle[scalar]
    }

    private static let hangulBase: UInt32 = 0xAC00
    private static let hangulCount: UInt32 = 11_172

    /// Appends the full canonical decomposition of a scalar flagged `decomposes`.
    @inline(__always)
    func appendDecomposition(of scalar: UInt32, to output: inout [UInt32]) {
        if scalar &- Self.hangulBase < Self.hangulCount {
            let index = scalar - Self.hangulBase
            output.append(0x1100 + index / (21 * 28))
            output.append(0x1161 + (index % (21 * 28)) / 28)
            if index % 28 != 0 { output.append(0x11A7 + index % 28) }
            return
        }
        guard let packed = decompositions[scalar] else {
            output.append(scalar)
            return
        }
        let offset = packed >> 8
        let count = packed & 0xFF
        output.append(contentsOf: decompositionPool[offset..<offset + count])
    }

    @inline(__always)
    func combiningClass(_ scalar: UInt32) -> UInt8 {
        combiningClasses[scalar] ?? 0
    }
}

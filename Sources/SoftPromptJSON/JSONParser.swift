/// A strict RFC 8259 parser over raw bytes, for input we do not trust.
///
/// It keeps number literals exact (`JSONNumber`), strings and keys byte for byte, refuses duplicate keys
/// (so a header cannot name one tensor twice), refuses nesting beyond a limit (so hostile input cannot
/// exhaust the stack), refuses invalid UTF-8 inside strings (so no character is ever replaced silently), and
/// reports every error with its byte offset and its line and column.
public struct JSONParser {
    public struct Options: Sendable {
        /// Arrays and objects nested deeper than this are refused. The parser recurses once per level, so keep
        /// it in the hundreds.
        public var maximumDepth: Int
        /// When false, an object keeps every member in file order, duplicates included, for a caller that
        /// reports them itself.
        public var rejectsDuplicateKeys: Bool
        /// Skip a UTF-8 byte order mark before the value (editors write one; the safetensors format does not allow it).
        public var skipsByteOrderMark: Bool
        /// What messages call the text, as in "expected a value, found end of header".
        public var documentName: String

        public init(maximumDepth: Int = 512, rejectsDuplicateKeys: Bool = true, skipsByteOrderMark: Bool = false,
                    documentName: String = "input") {
            self.maximumDepth = maximumDepth
            self.rejectsDuplicateKeys = rejectsDuplicateKeys
            self.skipsByteOrderMark = skipsByteOrderMark
            self.documentName = documentName
        }
    }

    private let bytes: UnsafeRawBufferPointer
    private let options: Options
    private var index = 0
    private var depth = 0

    public static func parse(_ bytes: UnsafeRawBufferPointer, options: Options = Options()) throws(JSONError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, options: options)
        if options.skipsByteOrderMark, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3 }
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        guard parser.atEnd else { throw parser.fail(.trailingText) }
        return value
    }

    /// `bytes` is UTF-8 text: a `[UInt8]`, `Data`, `String.UTF8View`, …
    public static func parse(_ bytes: some Collection<UInt8>, options: Options = Options()) throws(JSONError) -> JSONValue {
        func run(_ raw: UnsafeRawBufferPointer) -> Result<JSONValue, JSONError> {
            Result { () throws(JSONError) -> JSONValue in try parse(raw, options: options) }
        }
        let result = bytes.withContiguousStorageIfAvailable { run(UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes { run($0) }
        return try result.get()
    }

    private init(bytes: UnsafeRawBufferPointer, options: Options) {
        self.bytes = bytes
        self.options = options
    }

    // MARK: Positions and errors

    private var atEnd: Bool { index >= bytes.count }
    private var current: UInt8 { bytes[index] }

    private func fail(_ kind: JSONError.Kind, at offset: Int? = nil) -> JSONError {
        let offset = min(offset ?? index, bytes.count)
        var line = 1
        var lineStart = 0
        for i in 0..<offset where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return JSONError(kind: kind, byteOffset: offset, line: line, column: offset - lineStart + 1)
    }

    /// An error for a byte that does not fit, or for the end of the text where `expected` was needed.
    private func unexpected(_ expected: String) -> JSONError {
        fail(atEnd ? .unexpectedEnd(expected: expected, document: options.documentName)
                   : .unexpectedCharacter(expected: expected))
    }

    private mutating func skipWhitespace() {
        while !atEnd, current == 0x20 || current == 0x0A || current == 0x0D || current == 0x09 { index += 1 }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    // MARK: Values

    private mutating func parseValue() throws(JSONError) -> JSONValue {
        guard !atEnd else { throw unexpected("a value") }
        switch current {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try parseLiteral("null"); return .null
        default: throw unexpected("a value")
        }
    }

    /// Called on the opening bracket, which is where a too-deep error points.
    private mutating func enterContainer() throws(JSONError) {
        depth += 1
        if depth > options.maximumDepth { throw fail(.nestedTooDeep(limit: options.maximumDepth)) }
        index += 1
    }

    private mutating func parseObject() throws(JSONError) -> JSONValue {
        try enterContainer()
        defer { depth -= 1 }
        var members: [(key: String, value: JSONValue)] = []
        var seen = Set<ByteExactKey>()
        skipWhitespace()
        if !atEnd, current == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard !atEnd, current == UInt8(ascii: "\"") else { throw unexpected("a string key") }
            let keyOffset = index
            let key = try parseString()
            if options.rejectsDuplicateKeys, !seen.insert(ByteExactKey(key)).inserted {
                throw fail(.duplicateKey(key), at: keyOffset)
            }
            skipWhitespace()
            guard !atEnd, current == UInt8(ascii: ":") else { throw unexpected("':'") }
            index += 1
            skipWhitespace()
            members.append((key, try parseValue()))
            skipWhitespace()
            guard !atEnd else { throw unexpected("',' or '}'") }
            if current == UInt8(ascii: ",") { index += 1; continue }
            if current == UInt8(ascii: "}") { index += 1; return .object(members) }
            throw unexpected("',' or '}'")
        }
    }

    private mutating func parseArray() throws(JSONError) -> JSONValue {
        try enterContainer()
        defer { depth -= 1 }
        var elements: [JSONValue] = []
        skipWhitespace()
        if !atEnd, current == UInt8(ascii: "]") { index += 1; return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard !atEnd else { throw unexpected("',' or ']'") }
            if current == UInt8(ascii: ",") { index += 1; continue }
            if current == UInt8(ascii: "]") { index += 1; return .array(elements) }
            throw unexpected("',' or ']'")
        }
    }

    private mutating func parseLiteral(_ word: StaticString) throws(JSONError) {
        let count = word.utf8CodeUnitCount
        let matches = word.withUTF8Buffer { expected in
            index + count <= bytes.count && (0..<count).allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else { throw fail(.invalidLiteral) }
        index += count
    }

    // MARK: Numbers

    private mutating func skipDigits() -> Int {
        let start = index
        while !atEnd, Self.isDigit(current) { index += 1 }
        return index - start
    }

    private mutating func parseNumber() throws(JSONError) -> JSONNumber {
        let start = index
        var isInteger = true
        if current == UInt8(ascii: "-") { index += 1 }
        guard !atEnd, Self.isDigit(current) else { throw fail(.invalidNumber("no digit after '-'")) }
        if current == UInt8(ascii: "0") {
            index += 1
            if !atEnd, Self.isDigit(current) { throw fail(.invalidNumber("a leading zero"), at: index - 1) }
        } else {
            _ = skipDigits()
        }
        if !atEnd, current == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard skipDigits() > 0 else { throw fail(.invalidNumber("no digit after '.'")) }
        }
        if !atEnd, current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if !atEnd, current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard skipDigits() > 0 else { throw fail(.invalidNumber("no digit in the exponent")) }
        }
        let literal = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        return JSONNumber(validLiteral: literal, isIntegerLiteral: isInteger)
    }

    // MARK: Strings

    /// Called on the opening quote.
    private mutating func parseString() throws(JSONError) -> String {
        let quote = index
        index += 1
        var runStart = index
        var unescaped: [UInt8] = []  // stays empty, so unallocated, unless an escape shows up
        var hasEscape = false
        while true {
            guard !atEnd else { throw fail(.unterminatedString, at: quote) }
            let byte = current
            if byte == UInt8(ascii: "\"") { break }
            if byte < 0x20 { throw fail(.controlCharacterInString(byte)) }
            if byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            try validateUTF8(runStart..<index)
            hasEscape = true
            unescaped.append(contentsOf: bytes[runStart..<index])
            try parseEscape(appendingTo: &unescaped)
            runStart = index
        }
        try validateUTF8(runStart..<index)
        let run = UnsafeRawBufferPointer(rebasing: bytes[runStart..<index])
        index += 1  // closing quote
        // Every piece is valid UTF-8 by now, so decoding cannot substitute replacement characters.
        guard hasEscape else { return String(decoding: run, as: UTF8.self) }
        unescaped.append(contentsOf: run)
        return String(decoding: unescaped, as: UTF8.self)
    }

    /// Called on the backslash.
    private mutating func parseEscape(appendingTo utf8: inout [UInt8]) throws(JSONError) {
        let backslash = index
        index += 1
        guard !atEnd else { throw fail(.unterminatedString) }
        let escape = current
        index += 1
        switch escape {
        case UInt8(ascii: "\""): utf8.append(0x22)
        case UInt8(ascii: "\\"): utf8.append(0x5C)
        case UInt8(ascii: "/"): utf8.append(0x2F)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4(escapeStart: backslash)
            if (0xD800...0xDBFF).contains(scalar) {
                // A high surrogate must be followed at once by an escaped low surrogate.
                guard index + 1 < bytes.count, current == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw fail(.unpairedSurrogate, at: backslash)
                }
                let lowStart = index
                index += 2
                let low = try parseHex4(escapeStart: lowStart)
                guard (0xDC00...0xDFFF).contains(low) else { throw fail(.unpairedSurrogate, at: backslash) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw fail(.unpairedSurrogate, at: backslash)
            }
            // Surrogates are handled above, so every remaining value up to 0x10FFFF is a scalar.
            guard let unicodeScalar = Unicode.Scalar(scalar) else { throw fail(.unpairedSurrogate, at: backslash) }
            UTF8.encode(unicodeScalar) { utf8.append($0) }
        default:
            throw fail(.invalidEscape(escapeText(backslash..<index)), at: backslash)
        }
    }

    /// Reads the four hex digits after `\u`.
    private mutating func parseHex4(escapeStart: Int) throws(JSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard !atEnd else { throw fail(.unterminatedString) }
            let byte = current
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail(.invalidEscape(escapeText(escapeStart..<index + 1)), at: escapeStart)
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// The escape as written, for a message; a byte that is not printable ASCII shows as '?'.
    private func escapeText(_ range: Range<Int>) -> String {
        String(decoding: bytes[range].map { $0 >= 0x20 && $0 < 0x7F ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }

    /// Throws at the first byte in `range` that does not begin a well-formed UTF-8 sequence (Unicode 15,
    /// table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF).
    private func validateUTF8(_ range: Range<Int>) throws(JSONError) {
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            let lead = bytes[i]
            if lead < 0x80 { i += 1; continue }
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF  // the allowed range of the second byte
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: throw fail(.invalidUTF8, at: i)
            }
            guard i + length <= end, bytes[i + 1] >= low, bytes[i + 1] <= high else { throw fail(.invalidUTF8, at: i) }
            for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 { throw fail(.invalidUTF8, at: i) }
            i += length
        }
    }
}

/// A string hashed and compared by its UTF-8 bytes, for duplicate detection: `Set<String>` would treat
/// canonically equivalent keys ("é", "e\u{301}") as one.
private struct ByteExactKey: Hashable {
    let string: String

    init(_ string: String) { self.string = string }

    static func == (lhs: ByteExactKey, rhs: ByteExactKey) -> Bool { lhs.string.utf8.elementsEqual(rhs.string.utf8) }

    func hash(into hasher: inout Hasher) {
        let hashed: Void? = string.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if hashed == nil { Array(string.utf8).withUnsafeBytes { hasher.combine(bytes: $0) } }
    }
}

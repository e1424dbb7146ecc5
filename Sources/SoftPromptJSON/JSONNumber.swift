/// A JSON number as written in the file. Converting it is the caller's decision, made exactly: a Double or
/// NSNumber round trip would turn `18446744073709551616` into 2^64, `2.0` into 2 and `1e30` into an integer.
public struct JSONNumber: Hashable, Sendable, CustomStringConvertible {
    /// The literal exactly as in the file, e.g. `-12`, `2.0`, `1e30` (always valid RFC 8259 number syntax).
    public let literal: String

    /// The literal has neither a fraction nor an exponent (`2`, `-7`; not `2.0`, not `1e3`).
    public let isIntegerLiteral: Bool

    /// What the literal is as a non-negative `Int` (a size, an offset, an id), or why it is not one.
    public enum ExactInteger: Hashable, Sendable {
        case value(Int)
        /// Any negative integer literal, however large its magnitude.
        case negative
        /// The literal has a fraction or an exponent, as `2.0` or `1e3`: serde and the reference
        /// implementations reject those as integers too.
        case notInteger
        /// Above `Int.max`.
        case tooLarge
    }

    /// The number as text checked against the RFC 8259 grammar; nil when `literal` is not exactly one JSON number.
    public init?(_ literal: String) {
        guard case .number(let number)? = try? JSONParser.parse(Array(literal.utf8)),
              number.literal.utf8.elementsEqual(literal.utf8) else { return nil }
        self = number
    }

    /// For the parser, which has already checked the grammar.
    init(validLiteral: String, isIntegerLiteral: Bool) {
        literal = validLiteral
        self.isIntegerLiteral = isIntegerLiteral
    }

    public var exactInteger: ExactInteger {
        guard isIntegerLiteral else { return .notInteger }
        if let value = Int(literal) { return value < 0 ? .negative : .value(value) }
        return literal.hasPrefix("-") ? .negative : .tooLarge
    }

    /// The value when the literal is an integer that fits in `Int64`; nil for `2.0`, `1e3` or anything out of range.
    public var int64: Int64? {
        isIntegerLiteral ? Int64(literal) : nil
    }

    /// The nearest `Double`, or nil when the magnitude is beyond `Double` (as `1e400`).
    public var double: Double? {
        guard let value = Double(literal), value.isFinite else { return nil }
        return value
    }

    public var description: String { literal }
}

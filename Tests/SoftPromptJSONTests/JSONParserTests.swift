import Testing
import SoftPromptJSON

/// Parses `bytes`, or returns the error it throws (nil when it parses).
private func error(_ bytes: [UInt8], options: JSONParser.Options = .init()) -> JSONError? {
    do {
        _ = try JSONParser.parse(bytes, options: options)
        return nil
    } catch {
        return error
    }
}

private func error(_ text: String, options: JSONParser.Options = .init()) -> JSONError? {
    error(Array(text.utf8), options: options)
}

private func number(_ literal: String) throws -> JSONNumber {
    try #require(JSONNumber(literal), "\(literal) is not a JSON number")
}

@Test func test_parser_readsEveryKindOfValueInFileOrder() throws {
    let value = try JSONParser.parse(Array(#" {"b": [true, false, null], "a": {"x": "y"}, "n": -1.5e3} "#.utf8))
    guard case .object(let members) = value else { Issue.record("not an object"); return }
    #expect(members.map(\.key) == ["b", "a", "n"])
    #expect(value["b"] == .array([.bool(true), .bool(false), .null]))
    #expect(value["a"]?["x"] == .string("y"))
    #expect(value["n"] == .number(try number("-1.5e3")))
    #expect(value["missing"] == nil)
}

@Test func test_numbers_keepTheirLiteralExactly() throws {
    for literal in ["0", "-0", "2.0", "1e30", "1E+2", "-12.5e-3", "18446744073709551616", "0.1"] {
        #expect(try number(literal).literal == literal)
    }
    #expect(try number("2.0") != number("2"))
}

@Test func test_exactInteger_separatesValuesNegativesFractionsAndOverflow() throws {
    #expect(try number("0").exactInteger == .value(0))
    #expect(try number("9223372036854775807").exactInteger == .value(Int.max))
    #expect(try number("-1").exactInteger == .negative)
    #expect(try number("-18446744073709551616").exactInteger == .negative)
    #expect(try number("2.0").exactInteger == .notInteger)
    #expect(try number("1e30").exactInteger == .notInteger)
    #expect(try number("9223372036854775808").exactInteger == .tooLarge)
    #expect(try number("18446744073709551616").exactInteger == .tooLarge)
}

@Test func test_int64AndDouble_convertOnlyWhenExactOrRepresentable() throws {
    #expect(try number("-9223372036854775808").int64 == Int64.min)
    #expect(try number("9223372036854775808").int64 == nil)
    #expect(try number("3").int64 == 3)
    #expect(try number("3.0").int64 == nil)
    #expect(try number("1e2").int64 == nil)
    #expect(try number("-1.5e3").double == -1500)
    #expect(try number("3").double == 3)
    #expect(try number("1e400").double == nil)
}

@Test func test_jsonNumberInit_acceptsOnlyOneWholeNumberLiteral() {
    #expect(JSONNumber("12")?.literal == "12")
    for bad in ["", " 1", "01", "1.", ".5", "+1", "1e", "--1", "0x10", "1 2", "NaN", "\"1\""] {
        #expect(JSONNumber(bad) == nil, "\(bad)")
    }
}

@Test func test_malformedNumbers_areRejectedWithAReason() {
    #expect(error("[01]")?.kind == .invalidNumber("a leading zero"))
    #expect(error("[01]")?.byteOffset == 1)
    #expect(error("-")?.kind == .invalidNumber("no digit after '-'"))
    #expect(error("[-a]")?.kind == .invalidNumber("no digit after '-'"))
    #expect(error("1.")?.kind == .invalidNumber("no digit after '.'"))
    #expect(error("1e+")?.kind == .invalidNumber("no digit in the exponent"))
    #expect(error("+1")?.kind == .unexpectedCharacter(expected: "a value"))
}

@Test func test_duplicateKeys_areRejectedNamingTheKey() {
    let duplicate = error(#"{"w": 1, "v": 2, "w": 3}"#)
    #expect(duplicate?.kind == .duplicateKey("w"))
    #expect(duplicate?.byteOffset == 17)
    #expect(duplicate?.reason == #"duplicate key "w"; expected each key once"#)
    // Nested objects have their own key sets.
    #expect(error(#"{"a": {"w": 1}, "b": {"w": 2}}"#) == nil)
    #expect(error(#"{"a": {"w": 1, "w": 2}}"#)?.kind == .duplicateKey("w"))
}

@Test func test_duplicateKeys_areKeptInOrderWhenAsked() throws {
    let value = try JSONParser.parse(Array(#"{"a": 1, "a": 2}"#.utf8), options: .init(rejectsDuplicateKeys: false))
    guard case .object(let members) = value else { Issue.record("not an object"); return }
    #expect(members.map(\.key) == ["a", "a"])
    #expect(value["a"] == .number(try number("1")))
}

@Test func test_keys_areComparedByteForByteNotByCanonicalEquivalence() throws {
    // "é" precomposed and "e" + combining acute are equal as Swift Strings, but different keys.
    let value = try JSONParser.parse(Array("{\"\u{E9}\": 1, \"e\u{301}\": 2}".utf8))
    guard case .object(let members) = value else { Issue.record("not an object"); return }
    #expect(members.count == 2)
    #expect(value["\u{E9}"] == .number(try number("1")))
    #expect(value["e\u{301}"] == .number(try number("2")))
    #expect(JSONValue.string("\u{E9}") != JSONValue.string("e\u{301}"))
}

@Test func test_depthLimit_refusesDeeperNestingAtTheOffendingBracket() {
    let limit = 8
    let atLimit = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
    #expect(error(atLimit, options: .init(maximumDepth: limit)) == nil)
    let beyond = String(repeating: "[", count: limit) + "{\"a\": 1}" + String(repeating: "]", count: limit)
    let tooDeep = error(beyond, options: .init(maximumDepth: limit))
    #expect(tooDeep?.kind == .nestedTooDeep(limit: limit))
    #expect(tooDeep?.byteOffset == limit)
    #expect(tooDeep?.reason.contains("nested deeper than 8 levels") == true)
}

@Test func test_depthLimit_stopsHostileNestingWithoutExhaustingTheStack() {
    let hostile = String(repeating: "[", count: 1_000_000)
    #expect(error(hostile)?.kind == .nestedTooDeep(limit: 512))
    let objects = String(repeating: "{\"a\":", count: 100_000)
    #expect(error(objects, options: .init(maximumDepth: 64))?.kind == .nestedTooDeep(limit: 64))
}

@Test func test_invalidUTF8InAString_isRejectedAtTheBadByte() {
    let cases: [[UInt8]] = [
        [0xFF],              // never valid
        [0xC3],              // truncated by the closing quote
        [0xC0, 0xAF],        // overlong "/"
        [0xED, 0xA0, 0x80],  // encoded surrogate U+D800
        [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
    ]
    for bad in cases {
        let text = Array("[\"ok ".utf8) + bad + Array(" \"]".utf8)
        let found = error(text)
        #expect(found?.kind == .invalidUTF8, "\(bad)")
        #expect(found?.byteOffset == 5, "\(bad)")
    }
    // Also after an escape, and in keys.
    #expect(error(Array(#"["\n"#.utf8) + [0xFF] + Array(#""]"#.utf8))?.kind == .invalidUTF8)
    #expect(error(Array(#"{""#.utf8) + [0xFE] + Array(#"": 1}"#.utf8))?.kind == .invalidUTF8)
}

@Test func test_validMultibyteUTF8_isKeptAsIs() throws {
    let text = "[\"ü € 🙂 \u{E9} e\u{301}\"]"
    #expect(try JSONParser.parse(Array(text.utf8)) == .array([.string("ü € 🙂 \u{E9} e\u{301}")]))
}

@Test func test_errors_giveByteOffsetAndLineAndColumn() {
    let found = error("{\n  \"model\": {,\n}")
    #expect(found == JSONError(kind: .unexpectedCharacter(expected: "a string key"), byteOffset: 14, line: 2, column: 13))
    #expect(found?.reason == "expected a string key")
    #expect(found?.description == "line 2, column 13 (byte 14): expected a string key")
    let late = error("[1,\n2,\n\n  x]")
    #expect(late?.line == 4)
    #expect(late?.column == 3)
    #expect(late?.byteOffset == 10)
}

@Test func test_endOfInput_isNamedAfterTheDocument() {
    #expect(error("")?.reason == "expected a value, found end of input")
    #expect(error("", options: .init(documentName: "header"))?.reason == "expected a value, found end of header")
    #expect(error("[1,", options: .init(documentName: "file"))?.reason == "expected a value, found end of file")
    #expect(error("{\"a\": 1")?.kind == .unexpectedEnd(expected: "',' or '}'", document: "input"))
    #expect(error("[1")?.kind == .unexpectedEnd(expected: "',' or ']'", document: "input"))
    #expect(error("{\"a\"")?.kind == .unexpectedEnd(expected: "':'", document: "input"))
}

@Test func test_escapes_decodeToTheirCharacters() throws {
    let value = try JSONParser.parse(Array(#"["\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u20AC \u0000"]"#.utf8))
    #expect(value == .array([.string("\" \\ / \u{8} \u{C} \n \r \t A é € \u{0}")]))
}

@Test func test_surrogatePairs_decodeToOneScalarAndLoneHalvesAreRejected() throws {
    #expect(try JSONParser.parse(Array(#""\ud83d\ude42""#.utf8)) == .string("🙂"))
    #expect(try JSONParser.parse(Array(#""\uD834\uDD1E""#.utf8)) == .string("𝄞"))
    for lone in [#""\ud800""#, #""\ud800x""#, #""\udc00""#, #""\ud800\u0041""#, #""\ud800\ud800""#] {
        #expect(error(lone)?.kind == .unpairedSurrogate, "\(lone)")
        #expect(error(lone)?.byteOffset == 1, "\(lone)")
    }
    #expect(error(#""\ud800"#)?.kind == .unpairedSurrogate)
}

@Test func test_badEscapesAndControlCharacters_areRejected() {
    #expect(error(#""\q""#)?.kind == .invalidEscape("\\q"))
    #expect(error(#""\u12G4""#)?.kind == .invalidEscape("\\u12G"))
    #expect(error(#""ab\u12""#)?.kind == .invalidEscape("\\u12\""))
    #expect(error("\"a\nb\"")?.kind == .controlCharacterInString(0x0A))
    #expect(error("\"a\nb\"")?.reason == "unescaped control character 0x0a in a string")
    #expect(error("\"a\tb\"")?.byteOffset == 2)
}

@Test func test_unterminatedString_pointsAtItsOpeningQuote() {
    let found = error(#"{"w": {"dtype": "F3"#)
    #expect(found?.kind == .unterminatedString)
    #expect(found?.byteOffset == 16)
    #expect(error(#""abc\"#)?.kind == .unterminatedString)
    #expect(error(#""\u00"#)?.kind == .unterminatedString)
}

@Test func test_trailingGarbage_afterTheValueIsRejected() {
    #expect(error("{} x")?.kind == .trailingText)
    #expect(error("{} x")?.byteOffset == 3)
    #expect(error("1 2")?.kind == .trailingText)
    #expect(error("[] ]")?.kind == .trailingText)
    #expect(error(" {} \n\t\r ") == nil)
}

@Test func test_literals_mustBeSpelledOut() {
    #expect(error("tru")?.kind == .invalidLiteral)
    #expect(error("nul1")?.kind == .invalidLiteral)
    #expect(error("True")?.kind == .unexpectedCharacter(expected: "a value"))
    #expect(error("[true,false,null]") == nil)
}

@Test func test_structuralErrors_sayWhatWasExpected() {
    #expect(error("{1: 2}")?.kind == .unexpectedCharacter(expected: "a string key"))
    #expect(error(#"{"a" 1}"#)?.kind == .unexpectedCharacter(expected: "':'"))
    #expect(error(#"{"a": 1 "b": 2}"#)?.kind == .unexpectedCharacter(expected: "',' or '}'"))
    #expect(error("[1 2]")?.kind == .unexpectedCharacter(expected: "',' or ']'"))
    #expect(error("[1,]")?.kind == .unexpectedCharacter(expected: "a value"))
    #expect(error(#"{"a": 1,}"#)?.kind == .unexpectedCharacter(expected: "a string key"))
}

@Test func test_byteOrderMark_isSkippedOnlyWhenAsked() throws {
    let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("{}".utf8)
    #expect(try JSONParser.parse(bytes, options: .init(skipsByteOrderMark: true)) == .object([]))
    #expect(error(bytes)?.kind == .unexpectedCharacter(expected: "a value"))
    #expect(error(bytes)?.byteOffset == 0)
}

@Test func test_rawBufferAndCollectionEntryPoints_agree() throws {
    let text = #"{"k": [1, "two", 3.0]}"#
    let fromArray = try JSONParser.parse(Array(text.utf8))
    let fromView = try JSONParser.parse(text.utf8)
    let fromRaw = try Array(text.utf8).withUnsafeBytes { raw throws(JSONError) in try JSONParser.parse(raw) }
    #expect(fromArray == fromView)
    #expect(fromArray == fromRaw)
}

@Test func test_valueDescriptions_nameTheKindOrQuoteTheValue() throws {
    #expect(JSONValue.number(try number("3")).kindDescription == "a number")
    #expect(JSONValue.number(try number("3")).shortDescription == "the number 3")
    #expect(JSONValue.string("F32").shortDescription == #"the string "F32""#)
    #expect(JSONValue.string(String(repeating: "x", count: 50)).shortDescription
            == "the string \"" + String(repeating: "x", count: 40) + "…\"")
    #expect(JSONValue.bool(true).shortDescription == "true")
    #expect(JSONValue.bool(true).kindDescription == "a boolean")
    #expect(JSONValue.array([]).shortDescription == "an array")
    #expect(JSONValue.object([]).kindDescription == "an object")
    #expect(JSONValue.null.isNull)
}

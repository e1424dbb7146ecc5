import Foundation
import SoftPromptCheckpoint
import SoftPromptTensor
import Testing

/// One header entry as JSON.
private func entry(_ dtype: String, _ shape: String, _ begin: String, _ end: String) -> String {
    "{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}"
}

private func entry(_ dtype: String, _ shape: [Int], _ begin: Int, _ end: Int) -> String {
    entry(dtype, "\(shape)", "\(begin)", "\(end)")
}

/// A header padded with spaces so that the data section starts at file offset 8 + length ≡ `residue` (mod 8).
private func padded(_ header: String, residue: Int = 0) -> String {
    var header = header
    while (8 + header.utf8.count) % 8 != residue { header += " " }
    return header
}

private func bitPatterns(_ tensor: Tensor) -> [UInt32] { tensor.toArray().map(\.bitPattern) }

// MARK: - Reading

@Test func f32TensorsAreZeroCopyViewsIntoTheMapping() throws {
    let dir = try TemporaryDirectory()
    let header = padded("{\"a\":\(entry("F32", [2, 2], 0, 16)),\"b\":\(entry("F32", [3], 16, 28))}")
    let url = try dir.safetensors("views.safetensors", header: header,
                                  payload: bytes(ofFloats: [1, 2, 3, 4, -1, 0.5, 1e-30]))
    let file = try SafetensorsFile(url: url)
    let a = try file.tensor("a"), b = try file.tensor("b")
    #expect(a.shape == [2, 2])
    #expect(a.toArray() == [1, 2, 3, 4])
    #expect(b.toArray() == [-1, 0.5, 1e-30])
    // Views into one mapping sit exactly as far apart as their data offsets.
    #expect(b.pointer - a.pointer == 4)
}

@Test func askingTwiceReturnsTheSameTensorObject() throws {
    let dir = try TemporaryDirectory()
    let header = padded("{\"f32\":\(entry("F32", [1], 0, 4)),\"f16\":\(entry("F16", [2], 4, 8))}")
    let url = try dir.safetensors("cache.safetensors", header: header,
                                  payload: bytes(ofFloats: [7]) + bytes(ofHalves: [0x3C00, 0x4000]))
    let file = try SafetensorsFile(url: url)
    #expect(try file.tensor("f32") === file.tensor("f32"))
    #expect(try file.tensor("f16") === file.tensor("f16"))
    #expect(try file.tensor("f16").toArray() == [1, 2])
}

@Test func tensorViewStaysValidAfterTheFileObjectIsReleased() throws {
    let dir = try TemporaryDirectory()
    let url = try dir.safetensors("outlive.safetensors", header: padded("{\"w\":\(entry("F32", [3], 0, 12))}"),
                                  payload: bytes(ofFloats: [1.5, 2.5, 3.5]))
    var file: SafetensorsFile? = try SafetensorsFile(url: url)
    let tensor = try file?.tensor("w")
    file = nil
    #expect(tensor?.toArray() == [1.5, 2.5, 3.5])
}

@Test func f16ValuesConvertToExactFloat32() throws {
    let dir = try TemporaryDirectory()
    // 1, −2.5, 65504 (largest normal), 2^−24 (smallest subnormal), 1023·2^−24 (largest subnormal),
    // 2^−14 (smallest normal), −0, +inf, −inf
    let halves: [UInt16] = [0x3C00, 0xC100, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x8000, 0x7C00, 0xFC00]
    let expected: [Float] = [1, -2.5, 65504, 0x1p-24, 1023 * 0x1p-24, 0x1p-14, -0.0, .infinity, -.infinity]
    let url = try dir.safetensors("half.safetensors",
                                  header: padded("{\"h\":\(entry("F16", [3, 3], 0, 18)),\"nan\":\(entry("F16", [1], 18, 20))}"),
                                  payload: bytes(ofHalves: halves + [0x7E00]))
    let file = try SafetensorsFile(url: url)
    let tensor = try file.tensor("h")
    #expect(tensor.shape == [3, 3])
    #expect(bitPatterns(tensor) == expected.map(\.bitPattern))
    #expect(try file.tensor("nan")[0].isNaN)
}

@Test func bf16ValuesConvertToExactFloat32() throws {
    let dir = try TemporaryDirectory()
    // 1, −2.5, 65280 (= 0x477F), largest finite, smallest subnormal 2^−133, −0
    let raw: [UInt16] = [0x3F80, 0xC020, 0x477F, 0x7F7F, 0x0001, 0x8000]
    let expected: [Float] = [1, -2.5, 65280, Float(bitPattern: 0x7F7F_0000), 0x1p-133, -0.0]
    let url = try dir.safetensors("bf16.safetensors", header: padded("{\"b\":\(entry("BF16", [6], 0, 12))}"),
                                  payload: bytes(ofHalves: raw))
    let tensor = try SafetensorsFile(url: url).tensor("b")
    #expect(bitPatterns(tensor) == expected.map(\.bitPattern))
}

@Test func f64ValuesConvertToNearestFloat32() throws {
    let dir = try TemporaryDirectory()
    let doubles: [Double] = [1, -2.5, 65504, 0.1, 1e-40, 1e300]
    let url = try dir.safetensors("f64.safetensors", header: padded("{\"d\":\(entry("F64", [2, 3], 0, 48))}"),
                                  payload: bytes(ofDoubles: doubles))
    let tensor = try SafetensorsFile(url: url).tensor("d")
    #expect(tensor.shape == [2, 3])
    #expect(bitPatterns(tensor) == doubles.map { Float($0).bitPattern })
}

@Test func fp8ValuesConvertToExactFloat32() throws {
    let dir = try TemporaryDirectory()
    // E4M3: 1, −2.5, 448 (max), 2^−9 (smallest subnormal), NaN. E5M2: 1, −2.5, 57344 (max), 2^−16, +inf.
    let e4m3: [UInt8] = [0x38, 0xC2, 0x7E, 0x01, 0x7F]
    let e5m2: [UInt8] = [0x3C, 0xC1, 0x7B, 0x01, 0x7C]
    let header = padded("{\"a\":\(entry("F8_E4M3", [5], 0, 5)),\"b\":\(entry("F8_E5M2", [5], 5, 10))}")
    let file = try SafetensorsFile(url: dir.safetensors("fp8.safetensors", header: header, payload: e4m3 + e5m2))
    let a = try file.tensor("a").toArray(), b = try file.tensor("b").toArray()
    #expect(Array(a.prefix(4)) == [1, -2.5, 448, 0x1p-9])
    #expect(a[4].isNaN)
    #expect(b == [1, -2.5, 57344, 0x1p-16, .infinity])
}

@Test func unalignedF32DataIsCopiedAndReadCorrectly() throws {
    let dir = try TemporaryDirectory()
    // The data section starts at an odd file offset, so the floats cannot be viewed in place.
    let header = padded("{\"w\":\(entry("F32", [2, 2], 0, 16)),\"s\":\(entry("F32", [Int](), 16, 20))}", residue: 1)
    let values: [Float] = [1, -2.5, .leastNonzeroMagnitude, 65504]
    let url = try dir.safetensors("unaligned.safetensors", header: header, payload: bytes(ofFloats: values + [42]))
    let file = try SafetensorsFile(url: url)
    let w = try file.tensor("w")
    #expect(Int(bitPattern: w.pointer) % MemoryLayout<Float>.alignment == 0)
    #expect(bitPatterns(w) == values.map(\.bitPattern))
    #expect(try file.tensor("s").toArray() == [42])
    #expect(try file.tensor("w") === w)
}

@Test func scalarAndEmptyTensorsAreRead() throws {
    let dir = try TemporaryDirectory()
    let header = padded("{\"scalar\":\(entry("F32", [Int](), 0, 4)),\"empty\":\(entry("F32", [0, 3], 4, 4))}")
    let file = try SafetensorsFile(url: dir.safetensors("shapes.safetensors", header: header, payload: bytes(ofFloats: [3])))
    let scalar = try file.tensor("scalar"), empty = try file.tensor("empty")
    #expect(scalar.shape == [] && scalar.count == 1 && scalar[0] == 3)
    #expect(empty.shape == [0, 3] && empty.count == 0)
}

@Test func integerTensorsAreParsedButCannotBeReadAsFloat() throws {
    let dir = try TemporaryDirectory()
    let header = padded("{\"ids\":\(entry("I64", [2], 0, 16)),\"mask\":\(entry("BOOL", [3], 16, 19))}")
    let url = try dir.safetensors("ints.safetensors", header: header, payload: [UInt8](repeating: 1, count: 19))
    let file = try SafetensorsFile(url: url)
    #expect(file.entries["ids"]?.dtype == .i64)
    #expect(file.entries["mask"]?.byteRange == 16..<19)
    let error = #expect(throws: SafetensorsError.self) { try file.tensor("ids") }
    let text = error?.description ?? ""
    #expect(text.contains("ints.safetensors") && text.contains("'ids'") && text.contains("I64"))
}

@Test func metadataNamesAndSummariesAreExposed() throws {
    let dir = try TemporaryDirectory()
    let header = padded("""
    {"__metadata__":{"format":"pt","note":"a \\"quoted\\" ü"},\
    "z":\(entry("F16", [2, 2], 0, 8)),"a":\(entry("F32", [3], 8, 20)),\
    "m":\(entry("F16", [1], 20, 22)),"i":\(entry("U8", [5], 22, 27))}
    """)
    let file = try SafetensorsFile(url: dir.safetensors("meta.safetensors", header: header,
                                                        payload: [UInt8](repeating: 0, count: 27)))
    #expect(file.metadata == ["format": "pt", "note": "a \"quoted\" ü"])
    #expect(file.names == ["a", "i", "m", "z"])
    #expect(file.parameterCount == 4 + 3 + 1)
    #expect(file.dtypeCounts == ["F16": 2, "F32": 1, "U8": 1])
    #expect(file.url == dir.path("meta.safetensors"))
}

@Test func emptyHeaderObjectIsAFileWithNoTensors() throws {
    let dir = try TemporaryDirectory()
    let file = try SafetensorsFile(url: dir.safetensors("none.safetensors", header: "{}      "))
    #expect(file.names.isEmpty && file.parameterCount == 0 && file.metadata.isEmpty)
}

@Test func gapsBetweenTensorsAreAccepted() throws {
    let dir = try TemporaryDirectory()
    let header = padded("{\"a\":\(entry("F32", [1], 0, 4)),\"b\":\(entry("F32", [1], 8, 12))}")
    let file = try SafetensorsFile(url: dir.safetensors("gap.safetensors", header: header,
                                                        payload: bytes(ofFloats: [1, 0, 2])))
    #expect(try file.tensor("b").toArray() == [2])
}

// MARK: - Requests that are refused

@Test func missingTensorErrorListsTheNamesWhenFew() throws {
    let dir = try TemporaryDirectory()
    let header = padded("{\"alpha\":\(entry("F32", [1], 0, 4)),\"beta\":\(entry("F32", [1], 4, 8))}")
    let file = try SafetensorsFile(url: dir.safetensors("few.safetensors", header: header, payload: bytes(ofFloats: [1, 2])))
    let error = #expect(throws: SafetensorsError.self) { try file.tensor("gamma") }
    let text = error?.description ?? ""
    #expect(text.contains("few.safetensors") && text.contains("'gamma'") && text.contains("alpha, beta"))
}

@Test func missingTensorErrorCountsTheNamesWhenMany() throws {
    let dir = try TemporaryDirectory()
    let entries = (0..<40).map { "\"t\($0)\":\(entry("F32", [1], $0 * 4, $0 * 4 + 4))" }
    let url = try dir.safetensors("many.safetensors", header: padded("{" + entries.joined(separator: ",") + "}"),
                                  payload: bytes(ofFloats: [Float](repeating: 0, count: 40)))
    let error = #expect(throws: SafetensorsError.self) { try SafetensorsFile(url: url).tensor("missing") }
    let text = error?.description ?? ""
    #expect(text.contains("many.safetensors") && text.contains("'missing'") && text.contains("40 tensors"))
}

// MARK: - Files that are rejected

@Test func missingFileIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(dir.path("absent.safetensors"), mentioning: ["cannot open", "No such file"])
}

@Test func directoryIsRejected() throws {
    let dir = try TemporaryDirectory()
    try FileManager.default.createDirectory(at: dir.path("folder.safetensors"), withIntermediateDirectories: false)
    expectRejection(dir.path("folder.safetensors"), mentioning: ["not a regular file"])
}

@Test func emptyFileIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.file("empty.safetensors", bytes: []), mentioning: ["0 bytes", "too short"])
}

@Test func fileShorterThanEightBytesIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.file("short.safetensors", bytes: [2, 0, 0, 0, 0]), mentioning: ["5 bytes", "too short"])
}

@Test func headerLengthBeyondFileIsRejected() throws {
    let dir = try TemporaryDirectory()
    let url = try dir.safetensors("truncated.safetensors", headerLength: 64, header: Array("{}".utf8))
    expectRejection(url, mentioning: ["header length 64", "beyond the end of the file (10 bytes)"])
}

@Test func headerLengthAboveTheReferenceLimitIsRejected() throws {
    let dir = try TemporaryDirectory()
    let url = try dir.safetensors("huge.safetensors", headerLength: 100_000_001, header: Array("{}".utf8))
    expectRejection(url, mentioning: ["100000001", "limit of 100000000"])
}

@Test func headerLengthOfAllOnesIsRejected() throws {
    let dir = try TemporaryDirectory()
    let url = try dir.safetensors("ones.safetensors", headerLength: .max, header: Array("{}".utf8))
    expectRejection(url, mentioning: ["18446744073709551615", "exceeds the limit"])
}

@Test func headerLengthOfTwoToTheSixtySecondIsRejected() throws {
    let dir = try TemporaryDirectory()
    let url = try dir.safetensors("pow62.safetensors", headerLength: 1 << 62, header: Array("{}".utf8))
    expectRejection(url, mentioning: ["\(UInt64(1) << 62)", "exceeds the limit"])
}

@Test func headerThatIsNotUTF8IsRejected() throws {
    let dir = try TemporaryDirectory()
    let header: [UInt8] = Array("{\"".utf8) + [0xFF, 0xFE] + Array("\":{}}".utf8)
    let url = try dir.safetensors("latin.safetensors", headerLength: UInt64(header.count), header: header)
    expectRejection(url, mentioning: ["not valid UTF-8"])
}

@Test func headerThatIsNotJSONIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("garbage.safetensors", header: "{\"w\": {dtype: F32}}"),
                    mentioning: ["not valid JSON", "byte 7"])
}

@Test func zeroLengthHeaderIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("blank.safetensors", header: ""), mentioning: ["not valid JSON", "end of header"])
}

@Test func trailingGarbageAfterTheHeaderObjectIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("trailing.safetensors", header: "{} x"), mentioning: ["not valid JSON", "after the JSON value"])
}

@Test func headerThatIsNotAnObjectIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("array.safetensors", header: "[1, 2]  "), mentioning: ["an array", "expected a JSON object"])
}

@Test func duplicateTensorNamesInTheHeaderAreRejected() throws {
    let dir = try TemporaryDirectory()
    let header = padded("{\"w\":\(entry("F32", [1], 0, 4)),\"w\":\(entry("F32", [1], 4, 8))}")
    expectRejection(try dir.safetensors("dup.safetensors", header: header, payload: bytes(ofFloats: [1, 2])),
                    mentioning: ["duplicate key \"w\""])
}

@Test func canonicallyEquivalentTensorNamesInTheHeaderAreRejected() throws {
    // "\u{E9}" and "e\u{301}" are different keys to the JSON parser but one key to a Swift dictionary.
    let dir = try TemporaryDirectory()
    let header = padded("{\"\u{E9}\":\(entry("F32", [1], 0, 4)),\"e\u{301}\":\(entry("F32", [1], 4, 8))}")
    expectRejection(try dir.safetensors("equivalent.safetensors", header: header, payload: bytes(ofFloats: [1, 2])),
                    mentioning: ["appears more than once"])
}

@Test func metadataThatIsNotAnObjectIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("metaarray.safetensors", header: "{\"__metadata__\":[\"a\"]}"),
                    mentioning: ["__metadata__", "an array", "values are all strings"])
}

@Test func metadataWithANonStringValueIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("metanum.safetensors", header: "{\"__metadata__\":{\"epoch\":3}}"),
                    mentioning: ["__metadata__", "'epoch'", "the number 3"])
}

@Test func entryThatIsNotAnObjectIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("entrystring.safetensors", header: "{\"w\":\"F32\"}"),
                    mentioning: ["'w'", "the string \"F32\"", "expected an object"])
}

@Test func entryWithoutDTypeIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("nodtype.safetensors", header: "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}",
                                        payload: bytes(ofFloats: [1])),
                    mentioning: ["'w'", "lacks the field 'dtype'"])
}

@Test func entryWithoutShapeIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("noshape.safetensors", header: "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}",
                                        payload: bytes(ofFloats: [1])),
                    mentioning: ["'w'", "lacks the field 'shape'"])
}

@Test func entryWithoutDataOffsetsIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("nooffsets.safetensors", header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}",
                                        payload: bytes(ofFloats: [1])),
                    mentioning: ["'w'", "lacks the field 'data_offsets'"])
}

@Test func dtypeThatIsNotAStringIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("dtypenum.safetensors", header: "{\"w\":\(entry("F32", [1], 0, 4).replacingOccurrences(of: "\"F32\"", with: "32"))}",
                                        payload: bytes(ofFloats: [1])),
                    mentioning: ["'dtype'", "the number 32", "expected a string"])
}

@Test func shapeThatIsNotAnArrayIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("shapeobj.safetensors", header: "{\"w\":\(entry("F32", "4", "0", "16"))}",
                                        payload: bytes(ofFloats: [1, 2, 3, 4])),
                    mentioning: ["'shape'", "the number 4", "expected an array of non-negative integers"])
}

@Test func dataOffsetsThatAreNotAnArrayIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("offsetsstr.safetensors",
                                        header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":\"0-4\"}}",
                                        payload: bytes(ofFloats: [1])),
                    mentioning: ["'data_offsets'", "the string \"0-4\"", "two non-negative integers"])
}

@Test func unknownDTypeIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("c64.safetensors", header: "{\"w\":\(entry("C64", [1], 0, 8))}",
                                        payload: [UInt8](repeating: 0, count: 8)),
                    mentioning: ["'w'", "unknown dtype 'C64'", "BF16"])
}

@Test func negativeShapeDimensionIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("negdim.safetensors", header: "{\"w\":\(entry("F32", "[2,-1]", "0", "8"))}",
                                        payload: bytes(ofFloats: [1, 2])),
                    mentioning: ["'w'", "dimension 1 is -1, which is negative"])
}

@Test func fractionalShapeDimensionIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("fracdim.safetensors", header: "{\"w\":\(entry("F32", "[2.0]", "0", "8"))}",
                                        payload: bytes(ofFloats: [1, 2])),
                    mentioning: ["'w'", "2.0, which is not an integer"])
}

@Test func shapeDimensionOfOneETo30IsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("expdim.safetensors", header: "{\"w\":\(entry("F32", "[1e30]", "0", "4"))}",
                                        payload: bytes(ofFloats: [1])),
                    mentioning: ["'w'", "1e30, which is not an integer"])
}

@Test func shapeDimensionBeyondInt64IsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("bigdim.safetensors", header: "{\"w\":\(entry("F32", "[18446744073709551616]", "0", "4"))}",
                                        payload: bytes(ofFloats: [1])),
                    mentioning: ["'w'", "18446744073709551616, which is too large"])
}

@Test func shapeDimensionThatIsAStringIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("strdim.safetensors", header: "{\"w\":\(entry("F32", "[\"3\"]", "0", "12"))}",
                                        payload: bytes(ofFloats: [1, 2, 3])),
                    mentioning: ["'w'", "dimension 0 is the string \"3\""])
}

@Test func shapeWhoseElementCountOverflowsIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("overflow.safetensors", header: "{\"w\":\(entry("F32", [1 << 40, 1 << 40], 0, 4))}",
                                        payload: bytes(ofFloats: [1])),
                    mentioning: ["'w'", "[1099511627776, 1099511627776]", "overflows"])
}

@Test func shapeWhoseByteCountOverflowsIsRejected() throws {
    let dir = try TemporaryDirectory()
    // 2^61 elements fit in Int, 2^61 × 8 bytes do not.
    expectRejection(try dir.safetensors("byteoverflow.safetensors", header: "{\"w\":\(entry("F64", [1 << 61], 0, 8))}",
                                        payload: bytes(ofDoubles: [1])),
                    mentioning: ["'w'", "F64", "overflows"])
}

@Test func dataOffsetsWithOneValueAreRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("oneoffset.safetensors",
                                        header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}}",
                                        payload: bytes(ofFloats: [1])),
                    mentioning: ["'w'", "found 1 values; expected two"])
}

@Test func dataOffsetsWithThreeValuesAreRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("threeoffsets.safetensors",
                                        header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}",
                                        payload: bytes(ofFloats: [1, 2])),
                    mentioning: ["'w'", "found 3 values; expected two"])
}

@Test func negativeDataOffsetIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("negoffset.safetensors", header: "{\"w\":\(entry("F32", "[1]", "-1", "3"))}",
                                        payload: bytes(ofFloats: [1])),
                    mentioning: ["'w'", "begin is -1, which is negative"])
}

@Test func fractionalDataOffsetIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("fracoffset.safetensors", header: "{\"w\":\(entry("F32", "[1]", "0", "4.5"))}",
                                        payload: bytes(ofFloats: [1, 2])),
                    mentioning: ["'w'", "end is 4.5, which is not an integer"])
}

@Test func dataOffsetOfTwoToTheSixtyThirdIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("pow63.safetensors", header: "{\"w\":\(entry("F32", "[1]", "0", "9223372036854775808"))}",
                                        payload: bytes(ofFloats: [1])),
                    mentioning: ["'w'", "end is 9223372036854775808, which is too large"])
}

@Test func hugeNegativeDataOffsetIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("hugeneg.safetensors", header: "{\"w\":\(entry("F32", "[1]", "-18446744073709551616", "4"))}",
                                        payload: bytes(ofFloats: [1])),
                    mentioning: ["'w'", "which is negative"])
}

@Test func dataOffsetsWithBeginAfterEndAreRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("reversed.safetensors", header: "{\"w\":\(entry("F32", [0], 8, 4))}",
                                        payload: bytes(ofFloats: [1, 2])),
                    mentioning: ["'w'", "begin 8 is after end 4"])
}

@Test func byteSizeThatDisagreesWithShapeIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("mismatch.safetensors", header: "{\"w\":\(entry("F32", [2, 3], 0, 20))}",
                                        payload: bytes(ofFloats: [Float](repeating: 0, count: 6))),
                    mentioning: ["'w'", "spanning 20 bytes", "[2, 3] of F32 needs 24 bytes"])
}

@Test func tensorEndingBeyondTheDataSectionIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("short-data.safetensors", header: "{\"w\":\(entry("F32", [4], 0, 16))}",
                                        payload: bytes(ofFloats: [1, 2, 3])),
                    mentioning: ["'w'", "ends at data byte 16", "data section of 12 bytes"])
}

@Test func overlappingTensorsAreRejected() throws {
    let dir = try TemporaryDirectory()
    let header = "{\"a\":\(entry("F32", [2], 0, 8)),\"b\":\(entry("F32", [2], 4, 12))}"
    expectRejection(try dir.safetensors("overlap.safetensors", header: header, payload: bytes(ofFloats: [1, 2, 3])),
                    mentioning: ["'a' (bytes 0..<8)", "'b' (bytes 4..<12)", "overlap"])
}

@Test func tensorNestedInsideAnotherIsRejectedAsOverlap() throws {
    let dir = try TemporaryDirectory()
    let header = "{\"outer\":\(entry("F32", [4], 0, 16)),\"inner\":\(entry("F32", [1], 4, 8)),\"next\":\(entry("F32", [1], 12, 16))}"
    expectRejection(try dir.safetensors("nested.safetensors", header: header, payload: bytes(ofFloats: [1, 2, 3, 4])),
                    mentioning: ["'outer'", "'inner'", "overlap"])
}

@Test func deeplyNestedJSONIsRejected() throws {
    let dir = try TemporaryDirectory()
    let depth = 200_000
    let header = "{\"w\":" + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
    expectRejection(try dir.safetensors("deep.safetensors", header: header), mentioning: ["nested deeper than"])
}

@Test func deeplyNestedMetadataIsRejected() throws {
    let dir = try TemporaryDirectory()
    let depth = 100_000
    let header = "{\"__metadata__\":" + String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth) + "}"
    expectRejection(try dir.safetensors("deepmeta.safetensors", header: header), mentioning: ["nested deeper than"])
}

@Test func unterminatedHeaderIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("unterminated.safetensors", header: "{\"w\":{\"dtype\":\"F3"),
                    mentioning: ["not valid JSON", "unterminated string"])
}

@Test func loneSurrogateEscapeIsRejected() throws {
    let dir = try TemporaryDirectory()
    expectRejection(try dir.safetensors("surrogate.safetensors", header: "{\"\\ud800\":{}}"),
                    mentioning: ["not valid JSON", "unpaired surrogate"])
}

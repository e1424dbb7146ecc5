import Foundation
import SoftPromptCheckpoint
import SoftPromptTensor
import Testing

private func headerText(of url: URL) throws -> String {
    let data = try Data(contentsOf: url)
    let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    return String(decoding: data.dropFirst(8).prefix(length), as: UTF8.self)
}

@Test func roundTripIsBitIdenticalAndPreservesMetadata() throws {
    let dir = try TemporaryDirectory()
    let tensors: [(name: String, tensor: Tensor)] = [
        ("encoder.layer.0.weight", Tensor(shape: [3, 5], values: (0..<15).map { Float($0) * 0.37 - 2 })),
        ("scalar", Tensor(shape: [], values: [.pi])),
        ("empty", Tensor(zeros: [0, 3])),
        ("odd", Tensor(shape: [1, 1, 7], values: [-0.0, .infinity, -.infinity, .leastNonzeroMagnitude,
                                                   .greatestFiniteMagnitude, Float(bitPattern: 0x7FC0_1234), 1])),
        ("prompt", Tensor(shape: [2, 1, 3], values: [1, 2, 3, 4, 5, 6])),
    ]
    let metadata = ["format": "pt", "step": "1200", "note": "line\nbreak \"quoted\" \\ ü 🙂"]
    let url = dir.path("round.safetensors")
    try SafetensorsWriter.write(tensors, metadata: metadata, to: url)

    let file = try SafetensorsFile(url: url)
    #expect(file.metadata == metadata)
    #expect(file.names == tensors.map(\.name).sorted())
    #expect(file.parameterCount == tensors.reduce(0) { $0 + $1.tensor.count })
    for (name, original) in tensors {
        let read = try file.tensor(name)
        #expect(read.shape == original.shape, "\(name)")
        #expect(read.toArray().map(\.bitPattern) == original.toArray().map(\.bitPattern), "\(name)")
        #expect(file.entries[name]?.dtype == .f32)
    }
}

@Test func dataIsLaidOutInTheOrderGiven() throws {
    let dir = try TemporaryDirectory()
    let url = dir.path("order.safetensors")
    try SafetensorsWriter.write([("z", Tensor(zeros: [2])), ("a", Tensor(zeros: [3])), ("m", Tensor(zeros: [1]))], to: url)
    let file = try SafetensorsFile(url: url)
    #expect(file.entries["z"]?.byteRange == 0..<8)
    #expect(file.entries["a"]?.byteRange == 8..<20)
    #expect(file.entries["m"]?.byteRange == 20..<24)
}

@Test func headerKeysAreSortedAndHeaderIsPaddedToAMultipleOfEight() throws {
    let dir = try TemporaryDirectory()
    let url = dir.path("layout.safetensors")
    try SafetensorsWriter.write([("b", Tensor(zeros: [1])), ("a", Tensor(zeros: [1])), ("C", Tensor(zeros: [1]))],
                                metadata: ["y": "1", "x": "2"], to: url)
    let header = try headerText(of: url)
    #expect(header.utf8.count % 8 == 0)
    let trimmed = header.trimmingCharacters(in: .whitespaces)
    #expect(header.hasPrefix(trimmed) && header.dropFirst(trimmed.count).allSatisfy { $0 == " " })
    #expect(trimmed == """
    {"C":{"data_offsets":[8,12],"dtype":"F32","shape":[1]},"__metadata__":{"x":"2","y":"1"},\
    "a":{"data_offsets":[4,8],"dtype":"F32","shape":[1]},"b":{"data_offsets":[0,4],"dtype":"F32","shape":[1]}}
    """)
}

@Test func everyTensorIsReadBackAsAZeroCopyView() throws {
    let dir = try TemporaryDirectory()
    let url = dir.path("aligned.safetensors")
    try SafetensorsWriter.write([("a", Tensor(shape: [1], values: [1])), ("b", Tensor(shape: [2], values: [2, 3]))], to: url)
    let file = try SafetensorsFile(url: url)
    // Padding keeps the data 8-byte aligned, so both are views and sit one float apart.
    #expect(try file.tensor("b").pointer - file.tensor("a").pointer == 1)
}

@Test func outputIsDeterministic() throws {
    let dir = try TemporaryDirectory()
    let tensors: [(name: String, tensor: Tensor)] = [("w", Tensor(shape: [2], values: [1, 2])), ("b", Tensor(zeros: [3]))]
    let metadata = ["k1": "v1", "k2": "v2", "k3": "v3"]
    try SafetensorsWriter.write(tensors, metadata: metadata, to: dir.path("one.safetensors"))
    try SafetensorsWriter.write(tensors, metadata: metadata, to: dir.path("two.safetensors"))
    #expect(try Data(contentsOf: dir.path("one.safetensors")) == Data(contentsOf: dir.path("two.safetensors")))
}

@Test func fileWithoutMetadataHasNoMetadataKey() throws {
    let dir = try TemporaryDirectory()
    let url = dir.path("plain.safetensors")
    try SafetensorsWriter.write([("w", Tensor(zeros: [1]))], to: url)
    #expect(try !headerText(of: url).contains("__metadata__"))
    #expect(try SafetensorsFile(url: url).metadata.isEmpty)
}

@Test func namesNeedingEscapesRoundTrip() throws {
    let dir = try TemporaryDirectory()
    let names = ["quote\"d", "back\\slash", "tab\tand\u{1}control", "ünïcödé.权重"]
    let url = dir.path("names.safetensors")
    try SafetensorsWriter.write(names.enumerated().map { ($1, Tensor(shape: [1], values: [Float($0)])) }, to: url)
    let file = try SafetensorsFile(url: url)
    #expect(Set(file.names) == Set(names))
    for (i, name) in names.enumerated() { #expect(try file.tensor(name)[0] == Float(i)) }
}

@Test func noTensorsWritesAValidEmptyFile() throws {
    let dir = try TemporaryDirectory()
    let url = dir.path("nothing.safetensors")
    try SafetensorsWriter.write([], to: url)
    #expect(try SafetensorsFile(url: url).names.isEmpty)
}

@Test func duplicateNamesAreRejectedAndNothingIsWritten() throws {
    let dir = try TemporaryDirectory()
    let url = dir.path("dup.safetensors")
    let error = #expect(throws: SafetensorsError.self) {
        try SafetensorsWriter.write([("w", Tensor(zeros: [1])), ("b", Tensor(zeros: [1])), ("w", Tensor(zeros: [2]))], to: url)
    }
    let text = error?.description ?? ""
    #expect(text.contains("dup.safetensors") && text.contains("'w'") && text.contains("more than once"))
    #expect(try dir.contents().isEmpty)
}

@Test func metadataKeyAsATensorNameIsRejected() throws {
    let dir = try TemporaryDirectory()
    let error = #expect(throws: SafetensorsError.self) {
        try SafetensorsWriter.write([("__metadata__", Tensor(zeros: [1]))], to: dir.path("reserved.safetensors"))
    }
    #expect(error?.description.contains("reserved.safetensors") == true)
    #expect(error?.description.contains("reserved for the header's metadata") == true)
}

@Test func existingFileIsReplacedWhole() throws {
    let dir = try TemporaryDirectory()
    let url = dir.path("replace.safetensors")
    try SafetensorsWriter.write([("big", Tensor(zeros: [1000]))], metadata: ["v": "1"], to: url)
    try SafetensorsWriter.write([("small", Tensor(shape: [2], values: [5, 6]))], to: url)
    let file = try SafetensorsFile(url: url)
    #expect(file.names == ["small"] && file.metadata.isEmpty)
    #expect(try file.tensor("small").toArray() == [5, 6])
    #expect(try dir.contents() == ["replace.safetensors"])
}

@Test func largeTensorRoundTrips() throws {
    let dir = try TemporaryDirectory()
    let count = 1 << 20
    let tensor = Tensor(zeros: [1024, 1024])
    for i in 0..<count { tensor[i] = Float(i % 9973) * 0.001 }
    let url = dir.path("large.safetensors")
    try SafetensorsWriter.write([("w", tensor)], to: url)
    let read = try SafetensorsFile(url: url).tensor("w")
    #expect(read.shape == [1024, 1024])
    #expect(memcmp(read.pointer, tensor.pointer, count * 4) == 0)
}

@Test func writingIntoAMissingDirectoryThrowsAnErrorNamingThePath() throws {
    let dir = try TemporaryDirectory()
    let url = dir.path("absent").appendingPathComponent("out.safetensors")
    let error = #expect(throws: AtomicFileError.self) {
        try SafetensorsWriter.write([("w", Tensor(zeros: [1]))], to: url)
    }
    let text = error?.description ?? ""
    #expect(text.contains(url.path) && text.contains("No such file or directory"))
}

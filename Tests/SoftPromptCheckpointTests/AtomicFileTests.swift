import Foundation
import SoftPromptCheckpoint
import Testing

private struct Interrupted: Error {}

@Test func writeCreatesTheFileWithExactlyTheData() throws {
    let dir = try TemporaryDirectory()
    let url = dir.path("new.bin")
    let data = Data((0..<1000).map { UInt8($0 % 251) })
    try AtomicFile.write(data, to: url)
    #expect(try Data(contentsOf: url) == data)
}

@Test func emptyDataWritesAnEmptyFile() throws {
    let dir = try TemporaryDirectory()
    let url = dir.path("empty.bin")
    try AtomicFile.write(Data(), to: url)
    #expect(try Data(contentsOf: url).isEmpty)
}

@Test func existingDestinationIsReplacedWhole() throws {
    let dir = try TemporaryDirectory()
    let url = try dir.file("replace.bin", bytes: [UInt8](repeating: 0xAA, count: 4096))
    try AtomicFile.write(Data([1, 2, 3]), to: url)
    #expect(try Data(contentsOf: url) == Data([1, 2, 3]))
}

@Test func noTemporaryFilesRemainAfterASuccessfulWrite() throws {
    let dir = try TemporaryDirectory()
    for i in 0..<5 { try AtomicFile.write(Data([UInt8(i)]), to: dir.path("clean.bin")) }
    #expect(try dir.contents() == ["clean.bin"])
}

@Test func chunksAreStreamedInOrder() throws {
    let dir = try TemporaryDirectory()
    let url = dir.path("stream.bin")
    try AtomicFile.write(to: url) { output in
        try output.write(Data("head|".utf8))
        for chunk in ["a", "bb", "", "ccc"] { try output.write(Data(chunk.utf8)) }
        try [UInt8](repeating: 0x7A, count: 3).withUnsafeBytes { try output.write($0) }
    }
    #expect(try String(contentsOf: url, encoding: .utf8) == "head|abbccczzz")
}

@Test func failingBodyLeavesTheDestinationUntouchedAndNoTemporaryFile() throws {
    let dir = try TemporaryDirectory()
    let url = try dir.file("keep.bin", bytes: [9, 9, 9])
    #expect(throws: Interrupted.self) {
        try AtomicFile.write(to: url) { output in
            try output.write(Data([1, 2, 3, 4, 5, 6]))
            throw Interrupted()
        }
    }
    #expect(try Data(contentsOf: url) == Data([9, 9, 9]))
    #expect(try dir.contents() == ["keep.bin"])
}

@Test func failingBodyCreatesNoDestination() throws {
    let dir = try TemporaryDirectory()
    #expect(throws: Interrupted.self) {
        try AtomicFile.write(to: dir.path("never.bin")) { _ in throw Interrupted() }
    }
    #expect(try dir.contents().isEmpty)
}

@Test func writingIntoAMissingDirectoryThrowsAnErrorNamingThePathAndTheReason() throws {
    let dir = try TemporaryDirectory()
    let url = dir.path("missing").appendingPathComponent("file.bin")
    let error = #expect(throws: AtomicFileError.self) { try AtomicFile.write(Data([1]), to: url) }
    #expect(error?.destination == url.path)
    #expect(error?.errno == ENOENT)
    let text = error?.description ?? ""
    #expect(text.contains(url.path) && text.contains("No such file or directory"))
}

@Test func destinationThatIsADirectoryIsRefusedAndTheTemporaryFileRemoved() throws {
    let dir = try TemporaryDirectory()
    let url = dir.path("folder")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    #expect(FileManager.default.createFile(atPath: url.appendingPathComponent("inside").path, contents: Data()))
    let error = #expect(throws: AtomicFileError.self) { try AtomicFile.write(Data([1]), to: url) }
    #expect(error?.description.contains(url.path) == true)
    #expect(error?.description.contains("renaming") == true)
    #expect(try dir.contents() == ["folder"])
}

@Test func replacingAFileKeepsItsPermissions() throws {
    let dir = try TemporaryDirectory()
    let url = try dir.file("private.bin", bytes: [0])
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
    try AtomicFile.write(Data([1]), to: url)
    let permissions = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
    #expect(permissions == 0o600)
}

@Test func concurrentWritersLeaveOneWholeVersion() throws {
    let dir = try TemporaryDirectory()
    let url = dir.path("contended.bin")
    let versions = (0..<8).map { Data(repeating: UInt8($0), count: 64 * 1024 + $0) }
    DispatchQueue.concurrentPerform(iterations: versions.count) { i in
        try? AtomicFile.write(versions[i], to: url)
    }
    #expect(versions.contains(try Data(contentsOf: url)))
    #expect(try dir.contents() == ["contended.bin"])
}

import Foundation
import Testing
import SoftPromptCheckpoint

/// A fresh directory per test, removed when the test drops it; also builds safetensors files byte by byte
/// so malformed ones can be made exactly as a hostile or buggy writer would.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("SoftPromptCheckpointTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Every name in the directory, hidden temporary files included.
    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }

    @discardableResult
    func file(_ name: String, bytes: [UInt8]) throws -> URL {
        let target = path(name)
        try Data(bytes).write(to: target)
        return target
    }

    /// A safetensors file whose 8-byte length field says `headerLength` whatever the header really is.
    @discardableResult
    func safetensors(_ name: String, headerLength: UInt64, header: [UInt8], payload: [UInt8] = []) throws -> URL {
        try file(name, bytes: littleEndianBytes(headerLength) + header + payload)
    }

    /// A safetensors file with a truthful length field.
    @discardableResult
    func safetensors(_ name: String, header: String, payload: [UInt8] = []) throws -> URL {
        let bytes = Array(header.utf8)
        return try safetensors(name, headerLength: UInt64(bytes.count), header: bytes, payload: payload)
    }
}

func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

func bytes(ofFloats values: [Float]) -> [UInt8] { values.flatMap { littleEndianBytes($0.bitPattern) } }
func bytes(ofDoubles values: [Double]) -> [UInt8] { values.flatMap { littleEndianBytes($0.bitPattern) } }
func bytes(ofHalves values: [UInt16]) -> [UInt8] { values.flatMap { littleEndianBytes($0) } }

/// Opens `url`, expects a `SafetensorsError`, and checks that its description names the file and every
/// fragment (the specific problem). Returns the error for further checks.
@discardableResult
func expectRejection(_ url: URL, mentioning fragments: [String],
                     sourceLocation: SourceLocation = #_sourceLocation) -> SafetensorsError? {
    do {
        let file = try SafetensorsFile(url: url)
        Issue.record("expected \(url.lastPathComponent) to be rejected; it opened with \(file.names)",
                     sourceLocation: sourceLocation)
        return nil
    } catch let error as SafetensorsError {
        let text = error.description
        #expect(text.contains(url.lastPathComponent), "description does not name the file: \(text)",
                sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(text.contains(fragment), "description lacks \"\(fragment)\": \(text)", sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected a SafetensorsError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

import Foundation

/// The bytes of one task file and its lines, shared by the TSV and JSONL readers.
///
/// Lines end at "\n"; a "\r" before it is dropped (files edited on Windows), and so is a UTF-8 byte order mark
/// at the start (MRPC's header has one). The last line may lack its "\n" (CoLA's dev.tsv). Work is done on bytes,
/// not `Character`s: "\r\n" is a single `Character` in Swift, and per-character indexing is slow on 67k rows.
struct TaskFileBytes {
    let path: String
    let bytes: [UInt8]

    /// Reads `url`, refusing what is not a readable regular file (a FIFO or a device would block the read forever).
    init(_ url: URL) throws(TaskDataError) {
        path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .missingFile(path) }
        guard !isDirectory.boolValue else { throw .unreadable(path, "a directory, expected a file") }
        let resolved = url.resolvingSymlinksInPath().path  // attributes of a link describe the link, not its file
        let type = (try? FileManager.default.attributesOfItem(atPath: resolved))?[.type] as? FileAttributeType
        guard type == .typeRegular else { throw .unreadable(path, "not a regular file") }
        do { bytes = [UInt8](try Data(contentsOf: url)) } catch { throw .unreadable(path, error.localizedDescription) }
    }

    /// The byte ranges of the lines, numbered from 1, without their "\n" and trailing "\r". A final "\n" does not
    /// start another line.
    func lines() -> [(number: Int, range: Range<Int>)] {
        var result: [(number: Int, range: Range<Int>)] = []
        bytes.withUnsafeBufferPointer { buffer in
            var start = buffer.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            var number = 1
            while start < buffer.count {
                var end = start
                while end < buffer.count, buffer[end] != 0x0A { end += 1 }
                var contentEnd = end
                if contentEnd > start, buffer[contentEnd - 1] == 0x0D { contentEnd -= 1 }
                result.append((number, start..<contentEnd))
                number += 1
                start = end + 1
            }
        }
        return result
    }

    /// The cells of a TSV line: the ranges between TABs (no quote processing).
    func splitOnTabs(_ range: Range<Int>, into cells: inout [Range<Int>]) {
        cells.removeAll(keepingCapacity: true)
        bytes.withUnsafeBufferPointer { buffer in
            var start = range.lowerBound
            for i in range where buffer[i] == 0x09 {
                cells.append(start..<i)
                start = i + 1
            }
            cells.append(start..<range.upperBound)
        }
    }

    /// Whether the whole file is UTF-8; when it is not, the error names the first line that is not.
    func requireUTF8() throws(TaskDataError) {
        guard String(bytes: bytes, encoding: .utf8) == nil else { return }
        for line in lines() where String(bytes: bytes[line.range], encoding: .utf8) == nil {
            throw .badRow(file: path, line: line.number, problem: "not UTF-8 text")
        }
        throw .unreadable(path, "not UTF-8 text")
    }

    /// Bytes `range` as text; call `requireUTF8` first, so no byte is ever replaced.
    func text(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    /// Whether `range` holds only spaces, tabs and "\r".
    func isBlank(_ range: Range<Int>) -> Bool {
        bytes[range].allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }
}

import Foundation
import SoftPromptTasks
import Testing

/// A fresh folder of small task files per test, removed when the test drops it.
final class TaskFiles {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("SoftPromptTasksTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    func file(_ name: String, _ text: String) throws -> URL {
        try file(name, bytes: Array(text.utf8))
    }

    @discardableResult
    func file(_ name: String, bytes: [UInt8]) throws -> URL {
        let target = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: target)
        return target
    }
}

/// Runs `read`, expects a `TaskDataError`, and checks its whole description.
func expectError(_ expected: String, sourceLocation: SourceLocation = #_sourceLocation,
                 _ read: () throws -> Void) {
    do {
        try read()
        Issue.record("expected the error \"\(expected)\", but the file was accepted", sourceLocation: sourceLocation)
    } catch let error as TaskDataError {
        #expect(error.description == expected, sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a TaskDataError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
}

/// The text fields of records, for compact comparisons.
func fieldValues(_ records: [TaskRecord]) -> [[String]] { records.map { $0.fields.map(\.value) } }

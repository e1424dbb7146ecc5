import Foundation
import SoftPromptDistributed

/// Runs `body(communicator)` on one thread per rank and returns each rank's result, in rank order.
public func runRanks<T: Sendable>(_ size: Int, _ body: @escaping @Sendable (InProcessCommunicator) throws -> T) throws -> [T] {
    let group = InProcessGroup(size: size)
    let results = ResultBox<T>(size)
    let done = DispatchGroup()
    for r in 0..<size {
        done.enter()
        let communicator = group.communicators[r]
        // Real threads, not a pool: every rank must run at once or a collective would wait forever.
        Thread {
            results.set(r, Result { try body(communicator) })
            done.leave()
        }.start()
    }
    done.wait()
    return try results.values.map { try $0!.get() }
}

final class ResultBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Result<T, any Error>?]
    init(_ n: Int) { values = Array(repeating: nil, count: n) }
    func set(_ i: Int, _ value: Result<T, any Error>) { lock.withLock { values[i] = value } }
}


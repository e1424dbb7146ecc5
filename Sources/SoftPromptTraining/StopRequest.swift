import Dispatch
import Foundation
import Synchronization

/// A request to checkpoint and stop at the next step boundary: SIGTERM to a rank (pre-emption: the scheduler
/// signals every process), or the file `stop` in the heartbeat folder, which the launcher creates when it is
/// itself told to stop. Ranks learn of it at different moments, so the session agrees on it through the
/// communicator before acting.
public final class StopRequest: @unchecked Sendable {  // `source` is only touched in init and deinit
    private let requested = Flag()
    private let stopFile: URL?
    private let source: DispatchSourceSignal

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        stopFile = environment[Heartbeat.variable].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0).appendingPathComponent("stop") }
        signal(SIGTERM, SIG_IGN)  // handled below, on a dispatch queue, instead of ending the process
        source = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        source.setEventHandler { [requested] in requested.value.store(true, ordering: .relaxed) }
        source.resume()
    }

    deinit {
        source.cancel()
        signal(SIGTERM, SIG_DFL)
    }

    /// True once SIGTERM arrived or the stop file exists.
    public var isRequested: Bool {
        if requested.value.load(ordering: .relaxed) { return true }
        if let stopFile, FileManager.default.fileExists(atPath: stopFile.path) { return true }
        return false
    }
}

/// The signal handler's flag, shared by reference with the dispatch source's handler.
private final class Flag: Sendable {
    let value = Atomic<Bool>(false)
}

import Foundation

/// An Open MPI hostfile: one host per line, `name [slots=N] [max_slots=M]`, `#` comments.
public struct Hostfile: Sendable, Equatable {
    public struct Host: Sendable, Equatable {
        public var name: String
        public var slots: Int
        public init(name: String, slots: Int) {
            self.name = name
            self.slots = slots
        }
    }
    public let path: String
    public let hosts: [Host]
    public var totalSlots: Int { hosts.reduce(0) { $0 + $1.slots } }

    public init(path: String) throws(LaunchError) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw .hostfileUnreadable(path) }
        try self.init(path: path, text: text)
    }

    public init(path: String, text: String) throws(LaunchError) {
        self.path = path
        var hosts: [Host] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let name = fields.first else { continue }
            var slots = 1
            for field in fields.dropFirst() {
                let parts = field.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, let value = Int(parts[1]), value > 0 else {
                    throw .badHostfile(path: path, line: index + 1, problem: "\"\(field)\" is not key=positive-integer")
                }
                switch parts[0] {
                case "slots": slots = value
                case "max_slots", "max-slots": break
                default: throw .badHostfile(path: path, line: index + 1, problem: "unknown key \"\(parts[0])\" (expected slots or max_slots)")
                }
            }
            hosts.append(Host(name: String(name), slots: slots))
        }
        guard !hosts.isEmpty else { throw .badHostfile(path: path, line: 1, problem: "no hosts") }
        self.hosts = hosts
    }
}

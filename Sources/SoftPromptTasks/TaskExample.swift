/// One labelled example of a classification task, as text.
public struct TaskExample: Sendable, Equatable {
    public var text: String
    public var pair: String?
    public var label: Int

    public init(text: String, pair: String? = nil, label: Int) {
        self.text = text
        self.pair = pair
        self.label = label
    }
}

/// A task's splits and label names.
public struct TaskData: Sendable {
    public var name: String
    public var labels: [String]
    public var train: [TaskExample]
    public var dev: [TaskExample]

    public init(name: String, labels: [String], train: [TaskExample], dev: [TaskExample]) {
        self.name = name
        self.labels = labels
        self.train = train
        self.dev = dev
    }
}

public enum TaskDataError: Error, CustomStringConvertible, Equatable {
    case missingFile(String)
    case unreadable(String, String)
    case badHeader(file: String, expected: String, found: String)
    case badRow(file: String, line: Int, problem: String)
    case empty(String)
    case unknownTask(String, known: [String])

    public var description: String {
        switch self {
        case .missingFile(let path): return "\(path): no such file"
        case let .unreadable(path, why): return "\(path): cannot read (\(why))"
        case let .badHeader(file, expected, found): return "\(file):1: header is \"\(found)\", expected \"\(expected)\""
        case let .badRow(file, line, problem): return "\(file):\(line): \(problem)"
        case .empty(let path): return "\(path): no examples"
        case let .unknownTask(name, known): return "unknown task \"\(name)\" (known: \(known.joined(separator: ", ")))"
        }
    }
}

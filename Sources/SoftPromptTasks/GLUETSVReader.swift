import Foundation

/// Where one GLUE task keeps its text and its target in a TSV file.
public struct GLUETSVFormat: Sendable {
    public enum Header: Sendable {
        /// No header line; the columns are these, in order (CoLA).
        case none([String])
        /// The first line is exactly these column names.
        case exact([String])
        /// The first line names the columns; the text and target columns are found by name, anywhere (MNLI: train.tsv
        /// and the dev files carry different extra columns).
        case named
    }

    public enum Target: Sendable {
        /// The class is the position of the column's value in `values` (e.g. "0"/"1", "entailment"/…).
        case label(column: String, values: [String])
        /// A real number in `range` (STS-B's similarity).
        case score(column: String, range: ClosedRange<Double>)

        public var column: String {
            switch self {
            case .label(let column, _), .score(let column, _): column
            }
        }
    }

    public struct TextColumn: Sendable {
        /// The column's name in the file, e.g. `#1 String`.
        public var column: String
        /// The record field it becomes, e.g. `sentence1`.
        public var field: String

        public init(_ column: String, as field: String) {
            self.column = column
            self.field = field
        }
    }

    public var header: Header
    public var text: [TextColumn]
    public var target: Target
    /// Whether an empty text cell is a valid row (QQP has a few questions that are empty); otherwise it is an error.
    public var allowsEmptyText: Bool

    public init(header: Header, text: [TextColumn], target: Target, allowsEmptyText: Bool = false) {
        self.header = header
        self.text = text
        self.target = target
        self.allowsEmptyText = allowsEmptyText
    }
}

/// Reads GLUE's TSV files as the GLUE download script writes them.
///
/// Cells are split on TAB only, with no quote processing: GLUE sentences contain quotes (RTE, MRPC), and a CSV
/// reader would glue rows together. Every row must have exactly the header's number of cells.
public enum GLUETSVReader {
    public static func read(_ url: URL, format: GLUETSVFormat) throws(TaskDataError) -> [TaskRecord] {
        let file = try TaskFileBytes(url)
        try file.requireUTF8()
        var lines = file.lines()[...]
        let path = file.path

        // The column names, and where the rows start.
        let columns: [String]
        var headerText = "(no header line)"
        switch format.header {
        case .none(let names):
            columns = names
        case .exact(let names):
            guard let first = lines.popFirst() else { throw .empty(path) }
            headerText = file.text(first.range)
            guard headerText == names.joined(separator: "\t") else {
                throw .badHeader(file: path, expected: names.joined(separator: "\\t"), found: headerText)
            }
            columns = names
        case .named:
            guard let first = lines.popFirst() else { throw .empty(path) }
            headerText = file.text(first.range)
            columns = headerText.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
        let needed = format.text.map(\.column) + [format.target.column]
        var positions: [Int] = []
        for name in needed {
            guard let position = columns.firstIndex(of: name) else {
                throw .badHeader(file: path, expected: "a header with the columns \(needed.joined(separator: ", ")) (no \(name))",
                                 found: headerText)
            }
            positions.append(position)
        }
        let textPositions = positions.dropLast(), targetPosition = positions[positions.count - 1]
        let fieldList = columns.joined(separator: ", ")

        var records: [TaskRecord] = []
        records.reserveCapacity(lines.count)
        var cells: [Range<Int>] = []
        for line in lines {
            file.splitOnTabs(line.range, into: &cells)
            guard cells.count == columns.count else {
                let found = file.isBlank(line.range) ? "an empty line" : "\(cells.count)"
                throw .badRow(file: path, line: line.number,
                              problem: "expected \(columns.count) tab-separated fields (\(fieldList)), found \(found)")
            }

            var fields: [TaskField] = []
            fields.reserveCapacity(format.text.count)
            for (spec, cell) in zip(format.text, textPositions) {
                let value = file.text(cells[cell])
                if value.isEmpty, !format.allowsEmptyText {
                    throw .badField(file: path, line: line.number, field: spec.column, problem: "empty; expected text")
                }
                fields.append(TaskField(spec.field, value))
            }

            let targetText = file.text(cells[targetPosition])
            switch format.target {
            case let .label(column, values):
                guard let label = values.firstIndex(of: targetText) else {
                    throw .badField(file: path, line: line.number, field: column,
                                    problem: "\"\(targetText)\" is not one of \(values.joined(separator: ", "))")
                }
                records.append(TaskRecord(fields: fields, label: label, unit: records.count))
            case let .score(column, range):
                guard let score = Double(targetText), score.isFinite, range.contains(score) else {
                    throw .badField(file: path, line: line.number, field: column,
                                    problem: "\"\(targetText)\" is not a number from \(range.lowerBound) to \(range.upperBound)")
                }
                records.append(TaskRecord(fields: fields, label: 0, score: score, unit: records.count))
            }
        }
        guard !records.isEmpty else { throw .empty(path) }
        return records
    }
}

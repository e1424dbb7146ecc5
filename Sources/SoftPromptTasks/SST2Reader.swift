import Foundation

/// GLUE SST-2 as distributed: `train.tsv` and `dev.tsv` with the header `sentence<TAB>label` and labels 0/1.
/// GLUE TSVs are split on tabs only: no quote processing (quotes are part of the sentences).
public enum SST2Reader {
    public static let labels = ["negative", "positive"]

    public static func load(directory: URL) throws(TaskDataError) -> TaskData {
        let dev = try read(directory.appendingPathComponent("dev.tsv"))
        return TaskData(name: "sst2", labels: labels, train: try read(directory.appendingPathComponent("train.tsv")),
                        validation: dev, test: dev, split: "plain: train.tsv to train, dev.tsv to validate and report")
    }

    public static func read(_ url: URL) throws(TaskDataError) -> [TaskExample] {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw .missingFile(path) }
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch { throw .unreadable(path, "not UTF-8 text") }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard let header = lines.first.map({ $0.hasSuffix("\r") ? $0.dropLast() : $0 }) else { throw .empty(path) }
        guard header == "sentence\tlabel" else {
            throw .badHeader(file: path, expected: "sentence\\tlabel", found: String(header))
        }
        var examples: [TaskExample] = []
        examples.reserveCapacity(lines.count)
        for (index, raw) in lines.dropFirst().enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            let number = index + 2
            guard fields.count == 2 else {
                throw .badRow(file: path, line: number, problem: "expected 2 tab-separated fields (sentence, label), found \(fields.count)")
            }
            guard let label = Int(fields[1]), label == 0 || label == 1 else {
                throw .badRow(file: path, line: number, problem: "label \"\(fields[1])\" is not 0 or 1")
            }
            guard !fields[0].isEmpty else { throw .badRow(file: path, line: number, problem: "empty sentence") }
            examples.append(TaskExample(text: String(fields[0]), label: label))
        }
        guard !examples.isEmpty else { throw .empty(path) }
        return examples
    }
}

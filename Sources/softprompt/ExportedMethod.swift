import SoftPromptCheckpoint
import SoftPromptMethods

/// The prompt method an exported adapter needs at inference: methods that offset the input embeddings
/// (DePT, ADePT, EPT-like) are rebuilt from the options recorded in method.safetensors, so their own tensors
/// load into them; every other method is its exported prompt, i.e. plain prompt tuning.
enum ExportedMethod {
    static let offsetMethods = ["dept", "adept", "ept"]

    /// The method and the longest text its offset covers (DePT's A has one row per position).
    static func rebuild(methodFile: SafetensorsFile?, promptLength n: Int, width d: Int, maxLength: Int) throws
        -> (method: any PromptMethod, maxLength: Int)
    {
        let recorded = methodFile?.metadata ?? [:]
        guard let name = recorded["method"], offsetMethods.contains(name), let methodFile else {
            return (PromptTuning(promptLength: n, width: d), maxLength)
        }
        var arguments = ["--method", name, "--prompt-length", String(n)]
        for key in ["dept_rank", "adept_rank", "adept_dropout", "ept_subspaces", "ept_subspace_rank"] {
            if let value = recorded[key] { arguments += ["--" + key.replacingOccurrences(of: "_", with: "-"), value] }
        }
        let length = methodFile.entries["dept.A"]?.shape[0] ?? maxLength
        return (try MethodOptions.parse(arguments).makeMethod(width: d, maxLength: length, labels: []), length)
    }

    static func offsets(_ methodFile: SafetensorsFile?) -> Bool {
        offsetMethods.contains(methodFile?.metadata["method"] ?? "")
    }
}

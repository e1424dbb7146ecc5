import Foundation
import SoftPromptCheckpoint

/// The frozen network a model folder holds, read from its config.json: T5 (encoder–decoder: prompt on the encoder,
/// verbalised targets on the decoder) when `model_type` is "t5" or "mt5" or an entry of `architectures` names T5
/// (T5ForConditionalGeneration, MT5ForConditionalGeneration, …); a BERT-family encoder otherwise.
enum Backbone: String {
    case bert
    case t5

    static func of(_ directory: ModelDirectory) throws -> Backbone {
        let url = directory.configURL
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        } catch {
            throw ValidationErrorText("\(url.path): cannot read as JSON (\(error.localizedDescription))")
        }
        guard let config = object as? [String: Any] else {
            throw ValidationErrorText("\(url.path): expected a JSON object")
        }
        let type = (config["model_type"] as? String)?.lowercased() ?? ""
        let architectures = config["architectures"] as? [String] ?? []
        if type == "t5" || type == "mt5" || architectures.contains(where: { $0.uppercased().contains("T5") }) { return .t5 }
        return .bert
    }
}

/// An error that is just its message (file and field named in it).
struct ValidationErrorText: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

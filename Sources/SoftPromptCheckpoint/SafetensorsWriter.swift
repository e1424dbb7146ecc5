import Foundation
import SoftPromptTensor

/// Writes Float32 tensors as a safetensors file that the reference implementation (and `SafetensorsFile`)
/// reads back bit-identically. The output is deterministic: header keys sorted, header padded with spaces
/// to a multiple of 8 bytes (so every tensor's data is aligned), data in the order given.
public enum SafetensorsWriter {
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:],
                             to url: URL) throws {
        var seen = Set<String>()
        for (name, _) in tensors {
            guard name != SafetensorsHeader.metadataKey else {
                throw SafetensorsError.reservedTensorName(path: url.path, name: name)
            }
            guard seen.insert(name).inserted else {
                throw SafetensorsError.duplicateTensorName(path: url.path, name: name)
            }
        }
        let header = headerBytes(tensors, metadata: metadata)
        try AtomicFile.write(to: url) { output in
            var length = UInt64(header.count).littleEndian
            try withUnsafeBytes(of: &length) { try output.write($0) }
            try header.withUnsafeBytes { try output.write($0) }
            // Straight from tensor memory: a large model is never gathered into one buffer.
            for (_, tensor) in tensors {
                try output.write(UnsafeRawBufferPointer(start: tensor.pointer, count: tensor.count * MemoryLayout<Float>.size))
            }
        }
    }

    /// The JSON header, padded with trailing spaces so that 8 + its length is a multiple of 8.
    static func headerBytes(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) -> [UInt8] {
        var members: [(key: String, json: String)] = []
        if !metadata.isEmpty {
            let fields = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { quoted($0.key) + ":" + quoted($0.value) }
            members.append((SafetensorsHeader.metadataKey, "{" + fields.joined(separator: ",") + "}"))
        }
        var offset = 0
        for (name, tensor) in tensors {
            let end = offset + tensor.count * MemoryLayout<Float>.size
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            members.append((name, "{\"data_offsets\":[\(offset),\(end)],\"dtype\":\"F32\",\"shape\":[\(shape)]}"))
            offset = end
        }
        members.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        var bytes = Array(("{" + members.map { quoted($0.key) + ":" + $0.json }.joined(separator: ",") + "}").utf8)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - bytes.count % 8) % 8))
        return bytes
    }

    /// A JSON string literal; non-ASCII characters stay as UTF-8, which JSON allows.
    static func quoted(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

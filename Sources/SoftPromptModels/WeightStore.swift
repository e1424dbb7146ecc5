import SoftPromptCheckpoint
import SoftPromptTensor

/// Frozen weights as pointers of the model's scalar type. For Float32 they point into the memory-mapped
/// safetensors file (shared between the ranks of a node, never copied); for Float64, used by the gradient
/// checks, they are converted copies.
final class WeightStore<S: KernelScalar>: @unchecked Sendable {
    let file: SafetensorsFile
    private let prefix: String
    private var keepAlive: [AnyObject] = []

    init(file: SafetensorsFile, prefixes: [String]) {
        self.file = file
        // Accept checkpoints saved from a task model (`bert.embeddings…`) as well as the bare encoder.
        self.prefix = prefixes.first { p in file.entries.keys.contains { $0.hasPrefix(p) } } ?? ""
    }

    /// The tensor `name` (first of `alternatives` that exists), checked against `shape`.
    func load(_ name: String, shape: [Int], alternatives: [String] = []) throws -> UnsafePointer<S> {
        let candidates = ([name] + alternatives).map { prefix + $0 }
        guard let found = candidates.first(where: { file.entries[$0] != nil }) else {
            throw ModelWeightsError.missingTensor(file: file.url.path, name: candidates[0])
        }
        let tensor = try file.tensor(found)
        guard tensor.shape == shape else {
            throw ModelWeightsError.wrongShape(file: file.url.path, name: found, expected: shape, found: tensor.shape)
        }
        keepAlive.append(tensor)
        if S.self == Float.self {
            return UnsafeRawPointer(tensor.pointer).assumingMemoryBound(to: S.self)
        }
        return derived(count: tensor.count) { copy in
            for i in 0..<tensor.count { copy[i] = S(tensor.pointer[i]) }
        }
    }

    /// A tensor of `count` values computed from loaded ones by `fill`, owned by the store.
    func derived(count: Int, _ fill: (UnsafeMutablePointer<S>) -> Void) -> UnsafePointer<S> {
        let values = UnsafeMutablePointer<S>.allocate(capacity: max(count, 1))
        values.initialize(repeating: 0, count: count)
        fill(values)
        keepAlive.append(OwnedBuffer(values))
        return UnsafePointer(values)
    }
}

private final class OwnedBuffer<S>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<S>
    init(_ pointer: UnsafeMutablePointer<S>) { self.pointer = pointer }
    deinit { pointer.deallocate() }
}

public enum ModelWeightsError: Error, CustomStringConvertible, Equatable {
    case missingTensor(file: String, name: String)
    case wrongShape(file: String, name: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case let .missingTensor(file, name):
            return "\(file): tensor '\(name)' is missing (the config describes a model this file does not hold)"
        case let .wrongShape(file, name, expected, found):
            return "\(file): tensor '\(name)' has shape \(found), the config implies \(expected)"
        }
    }
}

/// A contiguous, row-major Float32 tensor.
///
/// `Tensor` is a class on purpose: kernels write through its pointer, and a reference type can never
/// trigger an `Array` copy-on-write inside a hot loop. A tensor either owns its memory (allocated,
/// 64-byte aligned, freed on deinit) or is a view into memory someone else owns (a memory-mapped
/// safetensors file, an arena), in which case it keeps that owner alive.
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>
    private let owner: AnyObject?

    /// A new tensor of zeros.
    public init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride,
                                                   alignment: 64)
        self.pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.pointer.initialize(repeating: 0, count: max(count, 1))
        self.owner = nil
    }

    /// A new tensor holding a copy of `values`, which must have `shape`'s element count.
    public convenience init(shape: [Int], values: [Float]) {
        self.init(zeros: shape)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
    }

    /// A view of `count(shape)` floats at `pointer`, valid while `owner` lives; `owner` is retained.
    public init(viewing pointer: UnsafeMutablePointer<Float>, shape: [Int], owner: AnyObject) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.pointer = pointer
        self.owner = owner
    }

    deinit {
        if owner == nil { UnsafeMutableRawPointer(pointer).deallocate() }
    }

    public var rank: Int { shape.count }
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    public subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }

    public func copy(from other: Tensor) {
        precondition(other.count == count, "copy of \(other.shape) into \(shape)")
        pointer.update(from: other.pointer, count: count)
    }

    public func toArray() -> [Float] { Array(buffer) }

    /// Rows of a matrix view: a tensor of shape (R, C…) seen as R rows of `count / R` elements.
    public func row(_ r: Int) -> UnsafeMutablePointer<Float> {
        precondition(rank >= 1 && r >= 0 && r < shape[0], "row \(r) out of \(shape)")
        return pointer + r * (count / shape[0])
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor\(shape)" }
}

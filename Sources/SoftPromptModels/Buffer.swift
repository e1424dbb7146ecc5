import SoftPromptTensor

/// An owned, zero-initialised run of scalars for activations: allocated once, freed on deinit.
final class Buffer<S: KernelScalar>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<S>
    let count: Int

    init(_ count: Int) {
        self.count = count
        pointer = UnsafeMutablePointer<S>.allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }

    func zero() { pointer.update(repeating: 0, count: count) }
}

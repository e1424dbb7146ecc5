import SoftPromptTensor

/// An owned, zero-initialised run of scalars for activations: allocated once, freed on deinit.
///
/// Aligned to 64 bytes, like `Tensor`: a cache line, an AVX-512 vector, and what MKL needs to round the same way
/// from run to run (its kernels may take another path for another alignment, and malloc's alignment changes
/// with the heap's history).
final class Buffer<S: KernelScalar>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<S>
    let count: Int

    init(_ count: Int) {
        self.count = count
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<S>.stride, alignment: 64)
            .bindMemory(to: S.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    func zero() { pointer.update(repeating: 0, count: count) }
}

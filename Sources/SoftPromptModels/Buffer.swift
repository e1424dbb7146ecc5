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
        let bytes = max(count, 1) * MemoryLayout<S>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        // Zero bytes are 0.0 for Float and Double. One memset: `initialize(repeating:)` on a generic S went
        // through a value witness per element, 0.3 s for a T5 step's 600 MB of activations.
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        pointer = raw.bindMemory(to: S.self, capacity: max(count, 1))
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

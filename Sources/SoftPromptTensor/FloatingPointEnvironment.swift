import CBLAS

/// The calling thread's floating-point modes.
public enum FloatingPointEnvironment {
    /// Flush-to-zero and denormals-are-zero. A prompt trained at lr 0.3 quickly drives some attention
    /// probabilities below 1.2e-38; on x86 every arithmetic operation on such a subnormal takes a
    /// micro-code assist, which made whole training steps 10–25 % slower (PT vs SuperPos at the same shape).
    /// Values that small are far below Float32's resolution of anything they are added to, so results
    /// change only in the last place, if at all. Applies to the calling thread (our ranks use one).
    public static func flushSubnormalsToZero() {
        softprompt_flush_denormals()
    }
}

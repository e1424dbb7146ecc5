/// The factor a schedule multiplies every group's learning rate by at a step (counted from 0).
public enum LearningRateSchedule: Sendable, Equatable, Codable {
    case constant
    /// Linear warm-up from 0 over `warmupSteps`, then linear decay to 0 at `totalSteps` (Hugging Face's
    /// `get_linear_schedule_with_warmup`, which DePT uses).
    case linear(warmupSteps: Int, totalSteps: Int)

    public func factor(atStep step: Int) -> Double {
        switch self {
        case .constant:
            return 1
        case let .linear(warmup, total):
            if step < warmup { return Double(step) / Double(max(1, warmup)) }
            return max(0, Double(total - step) / Double(max(1, total - warmup)))
        }
    }
}

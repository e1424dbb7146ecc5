public enum LaunchError: Error, CustomStringConvertible, Equatable {
    case hostfileUnreadable(String)
    case badHostfile(path: String, line: Int, problem: String)
    case notEnoughSlots(path: String, slots: Int, processes: Int)
    case mpirunNotFound
    case noCommand

    public var description: String {
        switch self {
        case .hostfileUnreadable(let path): return "\(path): cannot read the hostfile"
        case let .badHostfile(path, line, problem): return "\(path):\(line): \(problem)"
        case let .notEnoughSlots(path, slots, processes):
            return "\(path): \(slots) slots for \(processes) processes (add slots, or pass --oversubscribe)"
        case .mpirunNotFound: return "mpirun not found on PATH (install openmpi-bin, or run scripts/setup)"
        case .noCommand: return "nothing to launch: give the softprompt command after --, e.g. -- train --task demo"
        }
    }
}

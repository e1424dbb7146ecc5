import Foundation

/// What mpirun tells a process about its place in the job, read from the environment without touching MPI,
/// so single-process commands never initialise it.
enum LaunchEnvironment {
    static var isUnderMPI: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMI_SIZE"] != nil
            || environment["PMIX_RANK"] != nil
    }
}

import ArgumentParser
import Foundation
import SoftPromptDistributed
import SoftPromptTensor

/// Checks that the ranks of a job can talk: run it as `mpirun -np N softprompt selftest`.
struct SelfTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest",
        abstract: "Check MPI across the ranks of a job: deterministic allreduce, allgather, broadcast, barrier.",
        discussion: "Each rank prints its host and the BLAS serving its products (SOFTPROMPT_BLAS).")

    @Option(help: "Elements in the allreduced buffer.")
    var count = 1000

    func run() throws {
        let mpi = try MPIRuntime.shared()
        let communicator = MPICommunicator(runtime: mpi)
        let (rank, size) = (mpi.rank, mpi.size)
        var failures: [String] = []

        // Rank r contributes (r+1)·(i+1); the sum over ranks is (i+1)·size(size+1)/2, exact in Float32 here.
        var buffer = (0..<count).map { Float((rank + 1) * ($0 + 1)) }
        try buffer.withUnsafeMutableBufferPointer { try communicator.allreduceSum($0) }
        let triangle = size * (size + 1) / 2
        if let bad = (0..<count).first(where: { buffer[$0] != Float(($0 + 1) * triangle) }) {
            failures.append("allreduce: element \(bad) is \(buffer[bad]), expected \((bad + 1) * triangle)")
        }

        var ranks = [Int32](repeating: -1, count: size)
        try [Int32(rank)].withUnsafeBufferPointer { mine in
            try ranks.withUnsafeMutableBufferPointer { try mpi.allgather(mine, into: $0) }
        }
        if ranks != (0..<size).map(Int32.init) { failures.append("allgather: got ranks \(ranks)") }

        var message: [Float] = rank == 0 ? [3.25, -1, 42] : [0, 0, 0]
        try message.withUnsafeMutableBufferPointer { try communicator.broadcast($0, root: 0) }
        if message != [3.25, -1, 42] { failures.append("broadcast: got \(message)") }

        try communicator.barrier()
        let at = "rank \(rank)/\(size) on \(ProcessInfo.processInfo.hostName) (\(BLAS.name))"
        if failures.isEmpty {
            print("\(at): allreduce, allgather, broadcast, barrier ok")
        } else {
            for failure in failures { print("\(at): FAILED \(failure)") }
        }
        try mpi.finalize()
        if !failures.isEmpty { throw ExitCode(1) }
    }
}


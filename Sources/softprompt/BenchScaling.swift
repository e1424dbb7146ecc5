import ArgumentParser
import Foundation
import SoftPromptDistributed
import SoftPromptLauncher
import SoftPromptTensor

/// `bench --ranks N`: the throughput of N ranks over one rank's, for whole training steps (`--method`) or for
/// lockstep sgemm (`--sgemm`), the ceiling this machine puts under any synchronous data-parallel step.
extension Bench {
    /// Timed steps of one rank: median, fastest and mean step, the mean seconds of a step spent in collectives
    /// (exchanging the gradient and waiting there for slower ranks), the job's throughput, and what was timed.
    struct MeasuredSteps {
        let median: Double, min: Double, mean: Double, meanWaiting: Double
        /// Units per second of the whole job: tokens for training steps, GFLOP for sgemm.
        let throughput: Double
        let isT5: Bool, source: String, inputs: String
        /// Mean seconds per step spent computing rather than in collectives.
        var meanComputing: Double { mean - meanWaiting }

        init(times: [Double], waits: [Double], units: Double, isT5: Bool = false, source: String, inputs: String) {
            let total = times.reduce(0, +)
            median = SoftPromptTensor.median(times)
            min = times.min() ?? 0
            mean = total / Double(times.count)
            meanWaiting = waits.reduce(0, +) / Double(times.count)
            throughput = units / total
            self.isT5 = isT5
            self.source = source
            self.inputs = inputs
        }
    }

    /// What `measureUnderMPI` reads back: rank 0's median step, the job's throughput, rank 0's peak RSS, and each
    /// rank's mean step and mean seconds in collectives.
    struct RanksMeasurement {
        let step: Double, throughput: Double, rssMB: Any
        let stepMeans: [Double], waitingMeans: [Double]
    }

    /// The 1-rank measurement here (`measure` on a one-process communicator), then the same under `mpirun -np N`
    /// (this command again, see `benchRank`), and the throughput ratio, `--rounds` times in turn; the median ratio
    /// is reported. Perfect scaling is N. What N ranks lose is split, per step, into each rank computing slower
    /// than one rank alone and each rank's seconds in collectives, which are mostly waiting for the slower rank.
    func benchScaling(_ measure: (any Communicator) throws -> MeasuredSteps) throws {
        var measured: [(one: MeasuredSteps, many: RanksMeasurement)] = []
        for _ in 0..<rounds {
            measured.append((try measure(SingleProcessCommunicator()), try measureUnderMPI()))
        }
        let rates = referenceRates()
        let one = measured[0].one, rankRSS = measured[0].many.rssMB  // validate() keeps rounds ≥ 1
        let scalings = measured.map { $0.many.throughput / $0.one.throughput }
        let scaling = median(scalings)
        let oneStep = median(measured.map { $0.one.median }), oneRate = median(measured.map { $0.one.throughput })
        let manyStep = median(measured.map { $0.many.step }), manyRate = median(measured.map { $0.many.throughput })
        // Means over the rounds (each has --repeats steps), so that computing + waiting is the mean step.
        let alone = measured.map(\.one.meanComputing).reduce(0, +) / Double(rounds)
        let computing = (0..<ranks).map { r in measured.map { $0.many.stepMeans[r] - $0.many.waitingMeans[r] }.reduce(0, +) / Double(rounds) }
        let waiting = (0..<ranks).map { r in measured.map { $0.many.waitingMeans[r] }.reduce(0, +) / Double(rounds) }
        let slowdown = computing.reduce(0, +) / Double(ranks) / alone
        let unit = sgemm ? "gflops" : "tokens_per_second"
        var object: [String: Any] = [
            "benchmark": sgemm ? "lockstep_sgemm_scaling" : one.isT5 ? "t5_training_step_scaling" : "training_step_scaling",
            "inputs": one.inputs, "ranks": ranks,
            "one_rank_step_seconds_median": oneStep, "one_rank_" + unit: oneRate,
            "ranks_step_seconds_median": manyStep, "ranks_" + unit: manyRate, "scaling": scaling,
            "rounds": rounds, "round_scalings": scalings,
            "one_rank_computing_seconds_mean": alone, "rank_computing_seconds_mean": computing,
            "rank_waiting_seconds_mean": waiting, "computing_slowdown": slowdown,
            "one_rank_max_rss_mb": ProcessClock.maxResidentMegabytes(), "rank_max_rss_mb": rankRSS,
        ]
        if sgemm {
            object["step_products"] = stepProducts
        } else {
            object.merge(["model": one.source, "method": method ?? "", "batch_per_rank": batch, "seq": seq, "prompt": prompt]) { a, _ in a }
            object[one.isT5 ? "target" : "attention_cache"] = one.isT5 ? target as Any : attentionCache
        }
        object.merge(rates.fields()) { a, _ in a }
        let list = { (values: [Double]) in values.map { String(format: "%.3f", $0) }.joined(separator: ", ") }
        let rateFormat = sgemm ? "%.1f GFLOP/s" : "%.0f tokens/s"
        var text = String(format: "%@ on %@: 1 rank %.3f s/step, \(rateFormat); %d ranks %.3f s/step, \(rateFormat) → scaling %.2f× (ideal %d×)",
                          sgemm ? "lockstep sgemm" : method ?? "", one.inputs, oneStep, oneRate, ranks, manyStep, manyRate,
                          scaling, ranks)
        text += "\nmean step of each rank: computing " + list(computing) + String(format: " s (1 rank alone %.3f s, ×%.3f)", alone, slowdown)
            + ", in collectives (mostly waiting for the slower rank) " + list(waiting) + " s"
        if scalings.count > 1 {
            text += "\nmedian of \(scalings.count) alternated rounds: " + list(scalings)
        }
        try report(object, text: text)
    }

    /// This command again under `mpirun -np --ranks`, each rank timing its share (`benchRank`).
    private func measureUnderMPI() throws -> RanksMeasurement {
        var arguments = Array(CommandLine.arguments.dropFirst())
        arguments.removeAll { $0 == "--json" }
        var plan = LaunchPlan(processes: ranks, program: [Launch.executablePath()] + arguments + ["--json"])
        plan.oversubscribe = ranks > ProcessInfo.processInfo.activeProcessorCount
        plan.bindTo = plan.oversubscribe ? "none" : "core"
        plan.environment = MPIRunEnvironment.rankVariables()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = plan.arguments(mpirun: "mpirun")
        process.environment = ProcessInfo.processInfo.environment.merging(MPIRunEnvironment.mpirunVariables()) { _, new in new }
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let prefix = "[1,0]<stdout>:"
        let text = output.split(separator: "\n").filter { $0.hasPrefix(prefix) }.map { $0.dropFirst(prefix.count) }.joined(separator: "\n")
        guard process.terminationStatus == 0,
              let many = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let throughput = many["throughput"] as? Double, let step = many["step_seconds_median"] as? Double,
              let stepMeans = many["rank_step_seconds_mean"] as? [Double], let waitingMeans = many["rank_waiting_seconds_mean"] as? [Double],
              stepMeans.count == ranks, waitingMeans.count == ranks
        else { throw ValidationError("bench under mpirun -np \(ranks) failed (status \(process.terminationStatus)):\n\(output)") }
        return RanksMeasurement(step: step, throughput: throughput, rssMB: many["max_rss_mb"] ?? NSNull(),
                                stepMeans: stepMeans, waitingMeans: waitingMeans)
    }

    /// One rank of `--ranks N` (under mpirun): training steps (the global batch N × --batch, each rank its
    /// --batch) or lockstep sgemm; rank 0 prints the JSON the parent reads, with every rank's mean step and mean
    /// seconds in collectives.
    func benchRank(m: Int, n: Int, k: Int) throws {
        let communicator = MPICommunicator(runtime: try MPIRuntime.shared())
        defer { try? communicator.runtime.finalize() }
        let result = try method.map { try measureSteps(method: $0, communicator: communicator) }
            ?? measureLockstepSteps(m: m, n: n, k: k, communicator: communicator)
        var all = [Double](repeating: 0, count: 2 * communicator.size)  // (rank, mean step | mean waiting)
        try all.withUnsafeMutableBufferPointer { gathered in
            try [result.mean, result.meanWaiting].withUnsafeBufferPointer { try communicator.runtime.allgather($0, into: gathered) }
        }
        if communicator.rank == 0 {
            try printJSON(["ranks": communicator.size, "step_seconds_median": result.median, "step_seconds_min": result.min,
                           "throughput": result.throughput, "max_rss_mb": ProcessClock.maxResidentMegabytes(),
                           "rank_step_seconds_mean": stride(from: 0, to: all.count, by: 2).map { all[$0] },
                           "rank_waiting_seconds_mean": stride(from: 1, to: all.count, by: 2).map { all[$0] }])
        }
    }

    /// `repeats` training steps of one method on --batch sequences per rank (after a warm-up); throughput in
    /// tokens/s of the whole job.
    func measureSteps(method name: String, communicator: any Communicator) throws -> MeasuredSteps {
        let timed = TimedCommunicator(communicator)
        let made = try makeBenchTrainers(methods: name, communicator: timed, perRank: batch)
        let (runs, tokens, waits) = try timedTrainingSteps(made.trainers, collectives: timed)
        return MeasuredSteps(times: runs[0], waits: waits[0], units: Double(tokens[0]), isT5: made.isT5,
                             source: made.source, inputs: made.inputs)
    }

    /// `repeats` lockstep steps (after a warm-up): each --step-products sgemm calls of --shape and then a barrier,
    /// as a synchronous training step ends in its gradient exchange. Nothing but the BLAS and the barrier, so the
    /// scaling it reaches is what this machine allows any synchronous data-parallel step. Throughput in GFLOP/s
    /// of the whole job.
    func measureLockstepSteps(m: Int, n: Int, k: Int, communicator: any Communicator) throws -> MeasuredSteps {
        let timed = TimedCommunicator(communicator), problem = SGEMMBenchmark.Problem(m: m, n: n, k: k)
        func step() throws {
            for _ in 0..<stepProducts { problem.run() }
            try timed.barrier()
        }
        try step()
        var times: [Double] = [], waits: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds, waited = timed.seconds
            try step()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            waits.append(timed.seconds - waited)
        }
        let flops = problem.flops * Double(stepProducts * repeats * communicator.size)
        return MeasuredSteps(times: times, waits: waits, units: flops / 1e9, source: "sgemm",
                             inputs: "\(stepProducts) products of \(m)×\(n)×\(k) per rank and step")
    }
}

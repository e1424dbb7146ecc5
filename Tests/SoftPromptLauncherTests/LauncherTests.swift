import Foundation
import SoftPromptLauncher
import Testing

@Suite struct LaunchPlanTests {
    @Test func mpirunArgumentsAreAVectorWithEveryOption() throws {
        var plan = LaunchPlan(processes: 4, hostfile: try Hostfile(path: "hosts", text: "node1 slots=2\nnode2 slots=2\n"),
                              program: ["/opt/softprompt", "train", "--task", "demo"])
        plan.mapBy = "node"
        plan.bindTo = "core"
        plan.environment = [("OPENBLAS_NUM_THREADS", "1")]
        try plan.validate()
        #expect(plan.arguments(mpirun: "mpirun") == [
            "mpirun", "--hostfile", "hosts", "-np", "4", "--map-by", "node", "--bind-to", "core", "--tag-output",
            "-x", "OPENBLAS_NUM_THREADS=1", "/opt/softprompt", "train", "--task", "demo",
        ])
    }

    @Test func moreRanksThanSlotsIsRefusedUnlessOversubscribing() throws {
        var plan = LaunchPlan(processes: 3, hostfile: try Hostfile(path: "hosts", text: "localhost slots=2"), program: ["x"])
        #expect(throws: LaunchError.notEnoughSlots(path: "hosts", slots: 2, processes: 3)) { try plan.validate() }
        plan.oversubscribe = true
        try plan.validate()
    }

    @Test func everyRankGetsOneBLASThreadAndTheProjectVariables() {
        let variables = MPIRunEnvironment.rankVariables(current: ["OPENBLAS_CORETYPE": "Haswell", "SOFTPROMPT_MODEL": "/m",
                                                                 "HOME": "/root", "OPENBLAS_NUM_THREADS": "8"])
        #expect(variables.map { "\($0.0)=\($0.1)" } == ["OPENBLAS_NUM_THREADS=1", "OPENBLAS_CORETYPE=Haswell", "SOFTPROMPT_MODEL=/m"])
    }

    @Test func rootVariablesAreSetOnlyForRoot() {
        #expect(MPIRunEnvironment.mpirunVariables(isRoot: true, current: [:])["OMPI_ALLOW_RUN_AS_ROOT"] == "1")
        #expect(MPIRunEnvironment.mpirunVariables(isRoot: false, current: [:])["OMPI_ALLOW_RUN_AS_ROOT"] == nil)
    }
}

@Suite struct HostfileTests {
    @Test func hostsSlotsAndCommentsAreRead() throws {
        let file = try Hostfile(path: "h", text: "# cluster\nnode1 slots=4 max_slots=8\n\nnode2   # default one slot\n")
        #expect(file.hosts == [.init(name: "node1", slots: 4), .init(name: "node2", slots: 1)])
        #expect(file.totalSlots == 5)
    }

    @Test func aBadLineIsNamedWithItsNumber() {
        #expect(throws: LaunchError.badHostfile(path: "h", line: 2, problem: "\"slots=two\" is not key=positive-integer")) {
            try Hostfile(path: "h", text: "node1 slots=2\nnode2 slots=two\n")
        }
        #expect(throws: LaunchError.badHostfile(path: "h", line: 1, problem: "unknown key \"cpus\" (expected slots or max_slots)")) {
            try Hostfile(path: "h", text: "node1 cpus=2")
        }
    }

    @Test func anEmptyHostfileIsRefused() {
        #expect(throws: LaunchError.badHostfile(path: "h", line: 1, problem: "no hosts")) { try Hostfile(path: "h", text: "# nothing\n") }
    }

    @Test func aMissingHostfileIsNamed() {
        #expect(throws: LaunchError.hostfileUnreadable("/no/such/hostfile")) { try Hostfile(path: "/no/such/hostfile") }
    }
}

@Suite struct SupervisorTests {
    @Test func theFailedRankIsReadFromMpirunsReport() {
        let line = "mpirun noticed that process rank 1 with PID 4242 on node vm exited on signal 9 (Killed)."
        #expect(Supervisor.failedRank(in: line) == "rank 1 (PID 4242) on node vm exited on signal 9 (Killed)")
        #expect(Supervisor.failedRank(in: "[1,0]<stdout>:step 10/30") == nil)
    }

    @Test func theJobsExitStatusIsPropagated() throws {
        let outcome = try Supervisor().run(["sh", "-c", "exit 3"], environment: [:])
        #expect(outcome.status == 3 && outcome.failure == nil)
    }
}

@Suite struct RecipeTests {
    func recipe(_ yaml: String) throws -> String {
        let path = NSTemporaryDirectory() + "recipe-\(UUID().uuidString).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func recipeValuesComeBeforeTheCommandLinesSoFlagsOverrideThem() throws {
        let path = try recipe("task: demo\nsteps: 150\nbackbone-dropout: true\nverbose: false\n")
        #expect(try Recipe.expand(["launch", "--np", "2", "--", "train", "--recipe", path, "--steps", "3"]) ==
                ["launch", "--np", "2", "--", "train", "--task", "demo", "--steps", "150", "--backbone-dropout", "--steps", "3"])
    }

    @Test func aNestedValueIsRefusedWithItsLine() throws {
        let path = try recipe("task: demo\nsteps: [1, 2]\n")
        #expect { try Recipe.expand(["train", "--recipe", path]) } throws: { "\($0)" == "\(path): line 2: steps must be a single value" }
    }

    @Test func argumentsWithoutARecipeAreLeftAlone() throws {
        #expect(try Recipe.expand(["train", "--steps", "3"]) == ["train", "--steps", "3"])
        #expect(throws: RecipeError.self) { try Recipe.expand(["train", "--recipe", "/no/such.yaml"]) }
    }
}

@Suite struct AutomaticCoreTypeTests {
    @Test func aCoreTypeChosenForThisMachineIsNotForwarded() {
        let variables = MPIRunEnvironment.rankVariables(current: ["OPENBLAS_CORETYPE": "SkylakeX",
                                                                 MPIRunEnvironment.automaticCoreTypeVariable: "1"])
        #expect(variables.map(\.0) == ["OPENBLAS_NUM_THREADS"])
    }
}
